"""Drilldowns between pages: a unit's profile is a URL (period, level, scope, unit and
language in its query parameters), so a click, a shared link and the back button all
reopen the same view."""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

from dashboard.filters import Filters
from dashboard.i18n import language

PROFILE_PAGE = "views/profile.py"


def profile_params(f: Filters, level: str, unit_id: str) -> dict[str, str]:
    return {**f.params(), "level": level, "unit": unit_id, "lang": language()}


def table_key(name: str) -> str:
    """The key of a table whose row click opens a profile. It changes with every profile
    opened, so coming back finds the table with nothing selected (a kept selection would
    open the profile again)."""
    return f"{name}_{st.session_state.get('opened', 0)}"


def open_profile(f: Filters, level: str, unit_id: str) -> NoReturn:
    """Go to the profile of a unit (rankings row, map click, trends selection)."""
    st.session_state["opened"] = st.session_state.get("opened", 0) + 1
    st.switch_page(PROFILE_PAGE, query_params=profile_params(f, level, unit_id))
