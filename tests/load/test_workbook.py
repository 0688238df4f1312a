"""The workbook reader: fastexcel straight into Arrow gives the same text as the cell-by-cell
reader; a sheet with a long number is read cell by cell so an Excel-mangled ID is still seen;
the XML scan finds a far cell however its reference is written, and lets large honest sheets by."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import fastexcel
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from pipelines.idnumber import check_digit
from pipelines.load import contract
from pipelines.load.reading import FileError
from pipelines.load.workbook import _read_cells, _read_fast, read_spreadsheet, scan_sheets

ID_A = "33010619800101123" + check_digit("33010619800101123")
ID_B = "11010519491231002" + check_digit("11010519491231002")
HEADER = ["会议编号", "组织编码", "会议类型", "会议日期", "应到人数", "实到人数"]


def _both(path: Path, sheet: str = "会议"):
    kinds = contract.load()
    fast = _read_fast(fastexcel.read_excel(path), sheet, kinds, None, sheet)
    cells = _read_cells(CalamineWorkbook.from_path(str(path)), sheet, kinds, None, sheet)
    return fast, cells


def test_the_fast_reader_gives_the_cell_readers_text(tmp_path):
    path = tmp_path / "m.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("会议")
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    day = wb.add_format({"num_format": 'yyyy"年"m"月"d"日"'})
    clock = wb.add_format({"num_format": "hh:mm:ss"})
    # Data from column B, a title two rows above the header, an empty row in the data.
    ws.write(1, 1, "三会一课记录（2025年）")
    ws.write_row(3, 1, HEADER)
    ws.write_row(4, 1, ["M1", "ZB1", "主题党日"])
    ws.write_datetime(4, 4, dt.datetime(2025, 3, 15), day)
    ws.write_row(4, 5, [20, 18])
    ws.write_row(6, 1, ["M2", "ZB1", "支部党员大会"])
    ws.write_datetime(6, 4, dt.datetime(2025, 3, 16, 9, 30), stamp)
    ws.write_row(6, 5, [20.5, 1e-3])
    ws.write_row(7, 1, ["M3", "", "党课"])
    ws.write_datetime(7, 4, dt.datetime(2025, 3, 17), stamp)  # a date-time at midnight: a date
    ws.write_boolean(7, 5, True)
    ws.write_formula(7, 6, "=1/0", None, "#DIV/0!")
    ws.write_row(8, 1, ["M4", "ZB2", "支委会"])
    ws.write_datetime(8, 4, dt.time(8, 30), clock)  # a time of day alone
    ws.write_number(8, 5, 1.5e3)
    ws.write_string(8, 6, "  ")
    wb.close()
    (fast_src, fast), (cell_src, cells) = _both(path)
    assert fast_src.header_row == cell_src.header_row == 4
    assert fast.to_pydict() == cells.to_pydict()
    assert fast.to_pydict() == {
        "_row": [5, 7, 8, 9],
        "meeting_id": ["M1", "M2", "M3", "M4"],
        "org_id": ["ZB1", "ZB1", None, "ZB2"],
        "meeting_type": ["主题党日", "支部党员大会", "党课", "支委会"],
        "meeting_date": ["2025-03-15", "2025-03-16 09:30:00", "2025-03-17", "08:30:00"],
        "expected": ["20", "20.5", "TRUE", "1500"],
        "attended": ["18", "0.001", None, "  "],
    }


def _roster(path: Path, ids: list) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("花名册")
    ws.write_row(0, 0, ["姓名", "公民身份号码", "人员类别", "党员类型", "所在网格编码", "党籍状态", "数据日期"])
    for n, ident in enumerate(ids, start=1):
        ws.write_row(n, 0, [f"党员{n}"])
        (ws.write_number if isinstance(ident, float) else ws.write_string)(n, 1, ident)
        ws.write_row(n, 2, ["正式党员", "社区党员", "G001", "正常", "2025-06-30"])
    wb.close()
    return path


def test_a_sheet_with_an_excel_mangled_id_is_read_cell_by_cell(tmp_path):
    mangled = float(ID_A[:15] + "000")  # what Excel keeps of an ID typed as a number
    path = _roster(tmp_path / "r.xlsx", [ID_B, mangled])
    assert scan_sheets(path)["花名册"].big_numbers
    src, table = read_spreadsheet(path, contract.load())
    assert src.kind.name == "members"
    # The float form, which the staging rule recognises as mangled; fastexcel's text would be its digits.
    assert table.column("id_number").to_pylist() == [ID_B, repr(mangled)]
    assert "e+17" in repr(mangled)
    fast = _read_fast(fastexcel.read_excel(path), "花名册", contract.load(), None, "花名册")[1]
    assert fast.column("id_number").to_pylist()[1] == str(int(mangled))  # why the fallback exists


def test_ids_as_text_and_small_numbers_in_e_notation_keep_the_fast_reader(tmp_path):
    path = _roster(tmp_path / "r.xlsx", [ID_A, ID_B])
    assert not scan_sheets(path)["花名册"].big_numbers
    wb = xlsxwriter.Workbook(str(tmp_path / "n.xlsx"))
    ws = wb.add_worksheet("会议")
    ws.write_row(0, 0, HEADER)
    ws.write_row(1, 0, ["M1", "ZB1", "主题党日", "2025-03-15", 20, 18])
    wb.close()
    _rewrite_sheet(tmp_path / "n.xlsx", lambda xml: xml.replace(b"<v>20</v>", b"<v>2.0E+1</v>"))
    scan = scan_sheets(tmp_path / "n.xlsx")["会议"]
    assert not scan.big_numbers and scan.far is None
    assert read_spreadsheet(tmp_path / "n.xlsx", contract.load())[1].column("expected").to_pylist() == ["20"]


def _rewrite_sheet(path: Path, edit) -> None:
    """Rewrite the first worksheet's XML of an .xlsx in place."""
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}
    members["xl/worksheets/sheet1.xml"] = edit(members["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _meetings(path: Path, far: tuple[int, int] | None = None) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("会议")
    ws.write_row(0, 0, HEADER)
    ws.write_row(1, 0, ["M1", "ZB1", "主题党日", "2025-03-15", 20, 18])
    if far:
        ws.write(*far, "x")
    wb.close()
    return path


@pytest.mark.parametrize(
    "written",
    [
        lambda ref: f'r="{ref}"',
        lambda ref: f"r='{ref}'",
        lambda ref: f'r =\n "{ref}"',
        lambda ref: f"r\t=\t'{ref}'",
    ],
)
def test_a_far_cell_is_found_however_its_reference_is_written(tmp_path, written):
    path = _meetings(tmp_path / "m.xlsx", (1048575, 16383))
    _rewrite_sheet(path, lambda xml: xml.replace(b'r="XFD1048576"', written("XFD1048576").encode()))
    assert scan_sheets(path)["会议"].far == "XFD1048576"
    with pytest.raises(FileError, match="XFD1048576"):
        read_spreadsheet(path, contract.load())


def test_long_or_wide_honest_sheets_are_not_refused_and_a_long_wide_one_is(tmp_path):
    long = _meetings(tmp_path / "long.xlsx", (899_999, 0))  # A900000: 900,000 cells of one column
    assert scan_sheets(long)["会议"].far is None
    assert read_spreadsheet(long, contract.load())[1].column("_row").to_pylist() == [2, 900_000]
    wide = _meetings(tmp_path / "wide.xlsx", (2, 700))  # ZY3
    assert scan_sheets(wide)["会议"].far is None
    both = _meetings(tmp_path / "both.xlsx", (699_999, 25))  # Z700000: 26 × 700,000 > 2^24 cells
    assert scan_sheets(both)["会议"].far == "Z700000"


def test_the_scan_reads_a_sheet_xml_whitespace_and_all(tmp_path):
    path = _meetings(tmp_path / "m.xlsx")
    _rewrite_sheet(path, lambda xml: re.sub(rb"(<c |<row )", rb"\n\1", xml))
    assert scan_sheets(path)["会议"].far is None
    assert read_spreadsheet(path, contract.load())[1].column("meeting_id").to_pylist() == ["M1"]
