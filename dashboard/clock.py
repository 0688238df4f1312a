"""The dashboard's one clock: idle expiry, the big screen's turning and its keep-alive cap,
and the session store all read the time here, so a test replaces `now` (monkeypatch) and
drives time instead of sleeping."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """The current time, in UTC."""
    return dt.datetime.now(dt.UTC)
