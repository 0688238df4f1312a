"""审计与用户 Audit and users (administrators): the audit log with its hash chain checked,
filtered by time, person, event and text, as a table and a download; and the users — list,
add, new password, unlock, remove. Every change is audited; the data layer refuses all of it
to a viewer without the admin right, whatever URL they open."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import auth, data, tables, user_admin
from dashboard.formatting import date_time
from dashboard.i18n import language, t
from pipelines.access import audit, users

lang = language()
st.title(t("nav.admin"))
tab_log, tab_users = st.tabs([t("admin.log"), t("admin.users")])


def _when(value: object) -> str:
    if value is None or pd.isna(value):
        return "—"
    stamp = pd.Timestamp(value)
    return date_time(stamp.tz_convert(audit.CHINA) if stamp.tzinfo else stamp, lang)


with tab_log:
    rows, broken = data.audit_chain()
    if broken:
        st.error(t("admin.chain_broken", n=rows, seqs="、".join(map(str, broken[:20]))))
    else:
        st.success(t("admin.chain_ok", n=f"{rows:,}"))
    today = dt.datetime.now(audit.CHINA).date()
    c1, c2, c3, c4 = st.columns([2, 2, 3, 2])
    span = c1.date_input(t("admin.dates"), (today - dt.timedelta(days=7), today), max_value=today, key="a_dates")
    known = sorted(users.load())
    people = c2.multiselect(t("admin.people"), known, key="a_people", accept_new_options=True)
    event_names = {e: t(f"event.{e}") for e in audit.EVENTS}
    events = c3.multiselect(t("admin.events"), list(audit.EVENTS), format_func=event_names.__getitem__, key="a_events")
    text = c4.text_input(t("admin.text"), key="a_text", max_chars=100)
    start, end = (span[0], span[-1]) if isinstance(span, tuple) and span else (today, today)
    since = dt.datetime.combine(start, dt.time(), audit.CHINA)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), audit.CHINA)
    log = data.audit_log(since, until, people, events, text.strip())
    table = pd.DataFrame(
        {
            t("admin.seq"): log["seq"].to_numpy(),
            t("admin.when"): [_when(v) for v in log["logged_at"]],
            t("admin.actor"): log["actor"].to_numpy(),
            t("admin.event"): [event_names.get(e, e) for e in log["event"]],
            t("admin.subject"): log["subject"].fillna("").to_numpy(),
            t("admin.what"): log["what"].fillna("").to_numpy(),
            t("admin.scope"): [t("level.city") if s == "" else (s or "") for s in log["scope"]],
            t("admin.rows"): log["row_count"].to_numpy(),
            t("admin.detail"): log["detail"].fillna("").to_numpy(),
            t("admin.client"): log["client"].fillna("").to_numpy(),
        }
    )
    st.caption(t("admin.shown", n=f"{len(table):,}"))
    st.dataframe(table, hide_index=True, width="stretch")
    auth.download(
        t("admin.download"),
        tables.csv_bytes(table),  # formula-like names typed at sign-in made plain
        f"audit_{start:%Y%m%d}_{end:%Y%m%d}.csv",
        "text/csv",
        what="audit.csv",
        rows=len(table),
        detail={"from": str(start), "to": str(end), "people": people, "events": events, "text": text},
    )

with tab_users:
    if done := st.session_state.pop("admin_message", None):
        st.success(done)
    listing = data.user_table()
    yes, no = t("admin.yes"), t("admin.no")
    st.dataframe(
        pd.DataFrame(
            {
                t("login.name"): listing["name"].to_numpy(),
                t("admin.role"): [t(f"role.{r}") for r in listing["role"]],
                t("admin.unit"): [u or t("level.city") for u in listing["unit"]],
                t("admin.pii"): [yes if v else no for v in listing["pii"]],
                t("admin.admin"): [yes if v else no for v in listing["admin"]],
                t("admin.approve"): [yes if v else no for v in listing["approve"]],
                t("admin.created"): [_when(v) for v in listing["created_at"]],
                t("admin.password_changed"): [_when(v) for v in listing["password_changed_at"]],
                t("admin.last_login"): [_when(v) for v in listing["last_login"]],
                t("admin.locked_until"): [_when(v) for v in listing["locked_until"]],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    names = listing["name"].tolist()
    add_tab, password_tab, unlock_tab, remove_tab = st.tabs(
        [t("admin.add"), t("admin.set_password"), t("admin.unlock"), t("admin.remove")]
    )

    def _done(action: callable, message: str, *args: object) -> None:  # type: ignore[valid-type]
        try:
            action(*args)
        except users.UserError as e:
            st.error(str(e))
        else:  # shown after the rerun that lists the change
            st.session_state["admin_message"] = message
            st.rerun()

    def _new_password() -> str | None:
        """A password typed twice: None (with the error shown) when the two differ."""
        first = st.text_input(t("login.password"), type="password", autocomplete="new-password")
        again = st.text_input(t("admin.again"), type="password", autocomplete="new-password")
        if first != again:
            st.error(t("admin.mismatch"))
            return None
        return first

    with add_tab, st.form("a_add", clear_on_submit=True):
        name = st.text_input(t("login.name"), max_chars=64)
        role = st.selectbox(t("admin.role"), list(users.ROLES), format_func=lambda r: t(f"role.{r}"))
        unit = st.text_input(t("admin.unit"), help=t("admin.unit_help"))
        pii = st.checkbox(t("admin.pii"))
        is_admin = st.checkbox(t("admin.admin"))
        approve = st.checkbox(t("admin.approve"))
        first = _new_password()
        if st.form_submit_button(t("admin.add"), type="primary") and first is not None:
            _done(user_admin.add, t("admin.added", name=name), name, role, unit, first, pii, is_admin, approve)
    with password_tab, st.form("a_password", clear_on_submit=True):
        who = st.selectbox(t("login.name"), names, key="a_pw_user")
        first = _new_password()
        if st.form_submit_button(t("admin.set_password"), type="primary") and first is not None:
            _done(user_admin.set_password, t("admin.password_set", name=who), who, first)
    with unlock_tab, st.form("a_unlock"):
        locked = listing.loc[listing["locked_until"].notna(), "name"].tolist()
        who = st.selectbox(t("login.name"), locked or names, key="a_unlock_user")
        if st.form_submit_button(t("admin.unlock"), type="primary"):
            _done(user_admin.unlock, t("admin.unlocked", name=who), who)
    with remove_tab, st.form("a_remove", clear_on_submit=True):
        who = st.selectbox(t("login.name"), names, key="a_remove_user")
        sure = st.checkbox(t("admin.confirm_remove"))
        if st.form_submit_button(t("admin.remove"), type="primary"):
            if not sure:
                st.error(t("admin.confirm_first"))
            else:
                _done(user_admin.remove, t("admin.removed", name=who), who)
