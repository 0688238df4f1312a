"""Who is looking: the signed-in user's rights for this run of the page, as the data layer
applies them — their scope, whether names may be shown, whether they administer.

Set by the sign-in gate (dashboard/auth.py) at the top of every run, from the users file, and
kept in session state as a Python object: a browser can only send widget values, never one of
these, so neither a URL nor a crafted request can change it."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from pipelines.access.scope import covers, narrow

KEY = "pbi_viewer"


class NotSignedIn(PermissionError):
    """Data was asked for with no one signed in."""


class OutOfScope(PermissionError):
    """Data outside the viewer's scope (or rights) was asked for."""


@dataclass(frozen=True)
class Viewer:
    name: str
    role: str
    scope: str  # "" for the whole city, else the unit path the user is bound to
    pii: bool
    admin: bool
    meeting: bool = False  # meeting mode: names masked for everyone
    approve: bool = False  # may approve, reject and revoke adjustments (加减分) entered by others

    @property
    def show_names(self) -> bool:
        return self.pii and not self.meeting

    @property
    def city(self) -> bool:
        return self.scope == ""

    def narrow(self, asked: str) -> str:
        """A filter's scope within this viewer's: never wider."""
        return narrow(self.scope, asked or "")

    def sees(self, path: str) -> bool:
        """Whether the unit at `path` (区县/街道/社区; 全市 or "" for the city) is in scope."""
        return covers(self.scope, "" if path == "全市" else path)


def current() -> Viewer:
    viewer = st.session_state.get(KEY)
    if not isinstance(viewer, Viewer):
        raise NotSignedIn
    return viewer
