"""Cells that a spreadsheet would run: text beginning with = + - @ (or a tab or carriage
return) is a formula to Excel and WPS. Every CSV and Excel file the product writes passes
through `inert`, which makes such text plain (a leading '); numbers and negative numbers
written as text (-558, a quarantined value) are left alone."""

from __future__ import annotations

import re

import pandas as pd

_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?")


def inert_value(value: object) -> object:
    if not isinstance(value, str) or not value or value[0] not in "=+-@\t\r":
        return value
    if value[0] in "+-" and _NUMBER.fullmatch(value):
        return value
    return "'" + value


def inert(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every formula-like text cell made plain."""
    text = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    return frame.assign(**{c: frame[c].map(inert_value) for c in text}) if text else frame
