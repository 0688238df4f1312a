"""Meeting mode: for a ranking projected in front of the secretaries being ranked. Names are
masked for everyone, whatever their rights, and type is enlarged for the back of the room.
On by the sidebar switch or `meeting=1` in the URL (so a big-screen link opens in it)."""

from __future__ import annotations

import streamlit as st

from dashboard.i18n import t

KEY = "meeting"
# Enlarges everything in the main area, tables and charts included (they are drawn in
# pixels, so a larger root font alone would leave them small); the width is divided by the
# zoom so the enlarged page still fits the screen.
ZOOM = 1.3
CSS = (
    "<style>[data-testid='stMainBlockContainer'] "
    f"{{ zoom: {ZOOM}; width: calc(100% / {ZOOM}); max-width: calc(100% / {ZOOM}); margin-left: 0; }}</style>"
)


def active() -> bool:
    """Whether meeting mode is on for this run (read before any page draws)."""
    if st.query_params.get(KEY) == "1":
        st.session_state[KEY] = True
    return bool(st.session_state.get(KEY, False))


def _write() -> None:
    if st.session_state.get(KEY):
        st.query_params[KEY] = "1"
    elif KEY in st.query_params:
        del st.query_params[KEY]


def toggle() -> None:
    st.toggle(t("sidebar.meeting"), key=KEY, on_change=_write, help=t("sidebar.meeting_help"))
    _write()


def style() -> None:
    if st.session_state.get(KEY):
        st.html(CSS)
