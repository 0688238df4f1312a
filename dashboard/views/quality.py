"""数据质量 Data quality: what each load read and kept, and every quarantined row with its reason.
A viewer bound to a unit sees the quarantined rows naming its grids; the load ledger (the
city's files) is for city viewers."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, data, tables
from dashboard.formatting import date_time
from dashboard.i18n import language, t
from dashboard.viewer import current as viewer

s = data.stamp()
lang = language()
st.title(t("quality.title"))

if viewer().city:
    st.subheader(t("quality.ledger"))
    ledger = data.load_ledger(s)
    st.caption(t("quality.reconciled"))
    st.dataframe(
        ledger.assign(
            kind=[t(f"kind.{k}") for k in ledger["kind"]], loaded_at=[date_time(v, lang) for v in ledger["loaded_at"]]
        ).rename(
            columns={c: t(f"quality.{c if c != 'batch_id' else 'batch'}") for c in ledger.columns if c != "file_name"}
            | {"file_name": t("quality.file")}
        ),
        hide_index=True,
    )
else:
    st.caption(t("quality.scoped", scope=viewer().scope))

rows = data.quarantine_rows(s)
st.subheader(t("quality.quarantine", n=f"{len(rows):,}"))
if rows.empty:
    st.success(t("quality.none"))
else:
    kinds = sorted(rows["kind"].unique())
    left, right = st.columns(2)
    chosen_kinds = left.multiselect(t("quality.kind"), kinds, format_func=lambda k: t(f"kind.{k}"), key="q_kind")
    shown = rows[rows["kind"].isin(chosen_kinds)] if chosen_kinds else rows
    names = data.rule_names()
    rules = sorted(shown["rule"].unique())
    chosen_rules = right.multiselect(
        t("quality.reason"), rules, format_func=lambda r: names.get(r, {}).get(lang, r), key="q_reason"
    )
    if chosen_rules:
        shown = shown[shown["rule"].isin(chosen_rules)]
    table = (
        shown.drop(columns="rule")
        .assign(kind=[t(f"kind.{k}") for k in shown["kind"]])
        .rename(columns={c: t(f"quality.{c}") for c in ("file", "row", "kind", "column", "value", "reason")})
    )
    st.dataframe(table, hide_index=True)
    auth.download(
        t("quality.download"), tables.csv_bytes(table), "quarantine.csv", "text/csv", what="quarantine", rows=len(table)
    )
