"""One meaning per colour, on every page: grades from green (好) through grey (一般) to purple
(较差; red means honour here), and the lists — 红榜 red, 黑榜 dark, 黄牌 amber."""

from __future__ import annotations

GRADES = {"好": "#1b7837", "较好": "#5aae61", "一般": "#9e9e9e", "较差": "#7b3294"}
LISTS = {"红榜": "#c62828", "黑榜": "#212121"}
YELLOW_CARD = "#f0a500"
OTHER = "#bdbdbd"  # a grade a methodology names otherwise


def cell(background: str) -> str:
    """CSS for a table cell in a colour, with readable text."""
    return f"background-color: {background}; color: {'#000' if background == YELLOW_CARD else '#fff'}"
