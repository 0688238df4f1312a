"""One meaning per colour, on every page: grades from green (好) through grey (一般) to purple
(较差; red means honour here), and the lists — 红榜 red, 黑榜 dark, 黄牌 amber; 一票否决 (veto)
the colour of the lowest grade it forces."""

from __future__ import annotations

# One palette for the dashboard and the meeting pack (workbook and deck).
from pipelines.report.labels import GRADE_COLOURS as GRADES
from pipelines.report.labels import LIST_COLOURS as LISTS
from pipelines.report.labels import OTHER, YELLOW_CARD

__all__ = ["GRADES", "LISTS", "OTHER", "VETO", "YELLOW_CARD", "cell"]

VETO = list(GRADES.values())[-1] if GRADES else OTHER  # a vetoed unit holds the lowest grade


def cell(background: str) -> str:
    """CSS for a table cell in a colour, with readable text."""
    return f"background-color: {background}; color: {'#000' if background == YELLOW_CARD else '#fff'}"
