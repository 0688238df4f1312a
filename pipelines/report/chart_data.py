"""A native chart's data as text: python-pptx writes each chart's data into a workbook embedded in
the deck with xlsxwriter, whose `write` turns a string beginning with '=' into a live formula
and one that looks like an address into a hyperlink. A unit named =HYPERLINK("http://…") would
then run when a secretary opens the chart's data. Here the embedded workbook is written with
both conversions off (as pipelines/report/workbook.py writes the pack's own workbook), so every
category and series name is stored as the text it is — the same text the chart shows."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.util import lazyproperty
from xlsxwriter import Workbook

# in_memory as python-pptx has it; the two conversions off.
WORKBOOK_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}


class _TextWorkbookWriter(CategoryWorkbookWriter):
    @contextlib.contextmanager
    def _open_worksheet(self, xlsx_file) -> Iterator[tuple]:
        workbook = Workbook(xlsx_file, WORKBOOK_OPTIONS)
        worksheet = workbook.add_worksheet()
        yield workbook, worksheet
        workbook.close()


class TextChartData(CategoryChartData):
    """CategoryChartData whose embedded workbook holds names as text, never as formulas or links."""

    @lazyproperty
    def _workbook_writer(self) -> CategoryWorkbookWriter:
        return _TextWorkbookWriter(self)
