"""Masked forms of personal data, for every page, download and export."""

from __future__ import annotations


def mask_name(name: str | None) -> str:
    """张*明, 张*: the surname and (for three or more characters) the last character."""
    if name is None or name != name or not name:
        return ""
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
