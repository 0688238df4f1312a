"""Tables as the users read them: Chinese (or English) headers, formatted values, and
downloadable as CSV (UTF-8 with BOM, so Excel opens it) or Excel."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from dashboard import colours
from dashboard.formatting import date, date_time, indicator_value, rank_change, rank_range, score, share
from dashboard.i18n import language, t
from pipelines.access.cells import inert
from pipelines.engine.methodology import Methodology
from pipelines.report.pack import scorecard
from pipelines.vocabulary import SCORES


def rankings(units: pd.DataFrame, peer: bool, index: str = "composite") -> pd.DataFrame:
    """The ranking of a level by one index (the composite by default), or by the composite
    within grid type: rank, unit, the four scores (unrounded; the table formats them) — the
    composite as adjusted, then before adjustment and the points applied (methodology v1.1) —
    grade, veto, composite rank change, interval, list, yellow card."""
    column = "peer_rank" if peer else f"{index}_rank"
    ranked = units.dropna(subset=[column]).sort_values([column, "unit_id"], kind="stable")
    rank = ranked[column]
    adjusted = {}
    if "composite_raw" in ranked.columns:  # results computed before adjustments existed have none
        adjusted = {
            t("rankings.composite_raw"): ranked["composite_raw"].to_numpy(),
            t("rankings.adjustment"): ranked["adjustment"].fillna(0).to_numpy(),
        }
    scores = {t(f"score.{k}"): ranked[k].to_numpy() for k in SCORES}
    composite = t(f"score.{SCORES[0]}")
    table = pd.DataFrame(
        {
            t("rankings.rank"): rank.astype(int).to_numpy(),
            t("rankings.unit"): ranked["unit_name"].to_numpy(),
            t("rankings.code"): ranked["unit_id"].to_numpy(),
            composite: scores.pop(composite),
            **adjusted,
            **scores,
            t("rankings.grade"): ranked["grade"].to_numpy(),
            **(
                {t("rankings.veto"): [t("rankings.veto") if pd.notna(v) and v else "" for v in ranked["veto"]]}
                if "veto" in ranked.columns
                else {}
            ),
            t("rankings.change"): [rank_change(v) for v in ranked["rank_change"]],
            t("rankings.interval"): [
                rank_range(a, b) for a, b in zip(ranked["rank_q05"], ranked["rank_q95"], strict=True)
            ],
            t("rankings.list"): ranked["list"].fillna("").to_numpy(),
            t("rankings.yellow"): [t("rankings.yellow") if y else "" for y in ranked["yellow_card"]],
        }
    )
    if peer:
        table.insert(1, t("rankings.peer_class"), ranked["peer_class"].to_numpy())
        table = table.sort_values([t("rankings.peer_class"), t("rankings.rank")], kind="stable")
    return table.reset_index(drop=True)


def coloured(table: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The table for display, with grade, list and yellow-card cells as coloured labels
    (colours.py), and the column configuration that draws them. Labels are drawn by the
    browser; per-cell styles (a pandas Styler) cost 0.3 s a run on a thousand rows."""
    shown, config = table.copy(), {}
    palettes = {
        t("rankings.grade"): colours.GRADES,
        t("rankings.list"): colours.LISTS,
        t("rankings.yellow"): {t("rankings.yellow"): colours.YELLOW_CARD},
        t("rankings.veto"): {t("rankings.veto"): colours.VETO},
    }
    for column, palette in palettes.items():
        if column in shown.columns:
            shown[column] = [[v] if v in palette else [] for v in shown[column]]
            config[column] = st.column_config.MultiselectColumn(
                column, options=list(palette), color=list(palette.values())
            )
    return shown, config


def csv_bytes(table: pd.DataFrame) -> bytes:
    """CSV with a BOM (opens cleanly in Excel), formula-like text made plain."""
    return inert(table).to_csv(index=False).encode("utf-8-sig")


@st.cache_data(show_spinner=False, max_entries=32)  # 0.25 s for a thousand rows: once per view, not per run
def xlsx_bytes(table: pd.DataFrame, sheet: str) -> bytes:
    out = io.BytesIO()
    # Text is written as text: xlsxwriter would otherwise turn "=…" into a live formula.
    with pd.ExcelWriter(out, engine="xlsxwriter", engine_kwargs={"options": {"strings_to_formulas": False}}) as writer:
        inert(table).to_excel(writer, sheet_name=sheet[:31], index=False)
        writer.sheets[sheet[:31]].freeze_panes(1, 0)
    return out.getvalue()


def indicator_breakdown(
    methodology: Methodology, values: dict[str, float | None], indices: dict[str, float | None]
) -> pd.DataFrame:
    """Every indicator of the unit: index, raw value, goalposts, score, weight within its index,
    points contributed to the composite and points it could still add (the unit's scorecard,
    pipelines.report.pack.scorecard, as the meeting pack has it). `_gain` and `_code` are for
    the page, not shown."""
    rows = []
    for r in scorecard(methodology, indices, values, language()).to_dict("records"):
        lo, hi = r["lo"], r["hi"]
        arrow = "↑" if r["direction"] == 1 else "↓"
        rows.append(
            {
                t("profile.index"): r["index"],
                t("profile.indicator"): f"{r['code']} {r['name']}",
                t("profile.value"): indicator_value(r["value"], lo, hi),
                t("profile.goalposts"): f"{indicator_value(lo, lo, hi)} – {indicator_value(hi, lo, hi)} {arrow}",
                t("profile.score"): r["score"],
                t("profile.weight"): share(r["weight"]),
                t("profile.contribution"): round(r["contribution"], 2),
                t("profile.lost"): round(r["lost"], 2),
                "_gain": r["lost"],
                "_code": r["code"],
            }
        )
    return pd.DataFrame(rows)


def history(units: pd.DataFrame) -> pd.DataFrame:
    """A unit's quarters, newest first: composite, rank of ranked units, grade, list."""
    units = units.iloc[::-1]
    return pd.DataFrame(
        {
            t("filter.period"): units["period"].to_numpy(),
            t("score.composite"): [score(v) for v in units["composite"]],
            t("rankings.rank"): [
                "—" if pd.isna(r) else f"{int(r)}/{int(n)}"
                for r, n in zip(units["composite_rank"], units["ranked_units"], strict=True)
            ],
            t("rankings.grade"): units["grade"].fillna("—").to_numpy(),
            t("rankings.list"): units["list"].fillna("").to_numpy(),
        }
    )


def applied_adjustments(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The adjustments a run applied: period, kind, points, reason, evidence, who entered and
    who approved them, when."""

    def when(v: object) -> str:
        return "—" if v is None or pd.isna(v) else date_time(v, lang)

    return pd.DataFrame(
        {
            t("adjust.id"): rows["adjustment_id"].astype(int).to_numpy(),
            t("filter.period"): rows["period"].to_numpy(),
            t("adjust.kind"): rows["kind"].to_numpy(),
            t("adjust.points"): [f"{p:+g}" if p else "0" for p in rows["points"]],
            t("adjust.reason"): rows["reason"].to_numpy(),
            t("adjust.evidence"): rows["evidence_name"].fillna("—").to_numpy(),
            t("adjust.entered"): [
                f"{b} · {when(a)}" for b, a in zip(rows["entered_by"], rows["entered_at"], strict=True)
            ],
            t("adjust.approved"): [
                f"{b} · {when(a)}" for b, a in zip(rows["approved_by"], rows["approved_at"], strict=True)
            ],
        }
    )


def register_entries(rows: pd.DataFrame, lang: str, applied: set[int], applied_by: str | None = None) -> pd.DataFrame:
    """The register's entries as the adjustments page lists them: id, unit, period, kind,
    points, reason, evidence, state, who entered and who decided, when (and why), and whether
    the run shown applied the entry (its column headed `applied_by`; default: the latest run)."""

    def when(v: object) -> str:
        return "" if v is None or pd.isna(v) else date_time(v, lang)

    def who(by: object, at: object) -> str:
        return "—" if by is None or pd.isna(by) else f"{by} · {when(at)}"

    return pd.DataFrame(
        {
            t("adjust.id"): rows["adjustment_id"].astype(int).to_numpy(),
            t("adjust.level"): [t(f"level.{v}") for v in rows["level"]],
            t("rankings.unit"): rows["unit_name"].fillna(rows["unit_id"]).to_numpy(),
            t("rankings.code"): rows["unit_id"].to_numpy(),
            t("filter.period"): rows["period"].to_numpy(),
            t("adjust.kind"): rows["kind"].to_numpy(),
            t("adjust.points"): [f"{p:+g}" if p else "0" for p in rows["points"]],
            t("adjust.reason"): rows["reason"].to_numpy(),
            t("adjust.evidence"): rows["evidence_name"].fillna("—").to_numpy(),
            t("adjust.state"): [t(f"adjust.state.{v}") for v in rows["state"]],
            t("adjust.entered"): [who(b, a) for b, a in zip(rows["entered_by"], rows["entered_at"], strict=True)],
            t("adjust.decided"): [who(b, a) for b, a in zip(rows["decided_by"], rows["decided_at"], strict=True)],
            t("adjust.decision_reason"): rows["decision_reason"].fillna("").to_numpy(),
            applied_by or t("adjust.in_run"): [
                t("adjust.yes") if int(i) in applied else "" for i in rows["adjustment_id"]
            ],
        }
    )


def year_beside_quarters(year: pd.DataFrame, quarters: pd.DataFrame, label: str) -> pd.DataFrame:
    """A unit's year (its row of unit_scores) under its quarters: the four scores, the
    composite before adjustment where there is one, rank and grade."""
    rows = pd.concat([quarters, year], ignore_index=True)
    table = pd.DataFrame({t("filter.period"): [*quarters["period"], label]})
    for k in SCORES:
        table[t(f"score.{k}")] = [score(v) for v in rows[k]]
    if "composite_raw" in rows.columns:
        table.insert(2, t("rankings.composite_raw"), [score(v) for v in rows["composite_raw"]])
    table[t("rankings.rank")] = [
        "—" if pd.isna(r) else f"{int(r)}/{int(n)}"
        for r, n in zip(rows["composite_rank"], rows["ranked_units"], strict=True)
    ]
    table[t("rankings.grade")] = rows["grade"].fillna("—").to_numpy()
    return table


def services(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Service records with the member's name as the data layer returned it (masked unless
    the viewer may see names)."""
    return pd.DataFrame(
        {
            t("records.date"): [date(v, lang) for v in rows["service_date"]],
            t("records.grid"): rows["grid_id"].to_numpy(),
            t("records.member"): rows["name"].fillna("").to_numpy(),
            t("records.category"): rows["category"].to_numpy(),
            t("records.hours"): rows["hours"].to_numpy(),
            t("records.beneficiaries"): rows["beneficiaries"].to_numpy(),
            t("records.rating"): rows["rating"].to_numpy(),
            t("records.description"): rows["description"].to_numpy(),
        }
    )


def demands(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    def when(v: object) -> str:
        return "—" if v is None or pd.isna(v) else date_time(v, lang)

    return pd.DataFrame(
        {
            t("records.reported"): [when(v) for v in rows["reported_at"]],
            t("records.grid"): rows["grid_id"].to_numpy(),
            t("records.category"): rows["category"].to_numpy(),
            t("records.resolved"): [when(v) for v in rows["resolved_at"]],
            t("records.level"): rows["resolved_level"].fillna("—").to_numpy(),
            t("records.satisfaction"): rows["satisfaction"].to_numpy(),
            t("records.description"): rows["description"].to_numpy(),
        }
    )


def warnings(rows: pd.DataFrame) -> pd.DataFrame:
    """Early warnings: unit, the composite of the last three quarters, and why."""

    def why(declined: bool, yellow: bool) -> str:
        return "、".join(x for x, on in ((t("trends.declined"), declined), (t("rankings.yellow"), yellow)) if on)

    return pd.DataFrame(
        {
            t("rankings.unit"): rows["unit_name"].to_numpy(),
            t("rankings.code"): rows["unit_id"].to_numpy(),
            t("trends.before2"): [score(v) for v in rows["prev2"]],
            t("trends.before1"): [score(v) for v in rows["prev1"]],
            t("trends.now"): [score(v) for v in rows["composite"]],
            t("trends.why"): [why(d, y) for d, y in zip(rows["declined_twice"], rows["yellow_card"], strict=True)],
        }
    )


def member_tiers(summary: pd.DataFrame) -> pd.DataFrame:
    total = max(int(summary["members"].sum()), 1)
    return pd.DataFrame(
        {
            t("profile.tier"): summary["tier"].to_numpy(),
            t("profile.members"): summary["members"].to_numpy(),
            t("overview.share"): [f"{n / total:.1%}" for n in summary["members"]],
            t("members.mean"): [score(v) for v in summary["mean_score"]],
        }
    )


def members(rows: pd.DataFrame) -> pd.DataFrame:
    """Members: number (not personal), name as the data layer returned it, grid, activity,
    score and tier."""
    return pd.DataFrame(
        {
            t("members.no"): rows["member_no"].to_numpy(),
            t("records.member"): rows["name"].fillna("").to_numpy(),
            t("records.grid"): rows["grid_id"].to_numpy(),
            t("members.services"): rows["services"].to_numpy(),
            t("records.hours"): rows["hours"].to_numpy(),
            t("members.claims"): rows["claims"].to_numpy(),
            # With no service there is no rating (the stored R is then only the prior).
            t("records.rating"): [
                score(v) if n else "—" for v, n in zip(rows["rating"], rows["services"], strict=True)
            ],
            t("members.score"): [score(v) for v in rows["score"]],
            t("profile.tier"): rows["tier"].to_numpy(),
        }
    )


def member_history(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("filter.period"): rows["period"].to_numpy(),
            t("records.grid"): rows["grid_id"].to_numpy(),
            t("members.services"): rows["services"].to_numpy(),
            t("records.hours"): rows["hours"].to_numpy(),
            t("members.claims"): rows["claims"].to_numpy(),
            t("members.score"): [score(v) for v in rows["score"]],
            t("profile.tier"): rows["tier"].to_numpy(),
        }
    )


def member_identity(who: dict) -> pd.DataFrame:
    """A member's identity as one row: name (as the data layer returned it), gender, category,
    branch, grid, and the masked ID number and phone."""
    return pd.DataFrame(
        {
            t("records.member"): [who["name"] or ""],
            t("members.gender"): [who["gender"] or "—"],
            t("members.category"): [who["member_category"] or "—"],
            t("members.branch"): [who["branch"] or "—"],
            t("records.grid"): [who["grid_id"]],
            t("members.id_masked"): [who["id_masked"] or "—"],
            t("members.phone_masked"): [who["phone_masked"] or "—"],
        }
    )


DRAFT_PREFIX = "草稿_"  # a draft's downloaded file: never mistaken for an official result once saved


def shows_draft(view) -> bool:
    """Whether a page (its filters.View) shows a draft that its downloads and the big screen must
    mark: a run that is not the period's official one, once the review procedure is in use (an
    administrator's switch or named run). Before any review every viewer reads the latest run,
    and the page's banner says it is not reviewed (filters.review_banner)."""
    from dashboard import data

    return bool(getattr(view.choice, "draft", False)) and data.reviewing(view.stamp)


def draft_file(name: str, draft: bool) -> str:
    """A download's file name: a draft's starts with 草稿_."""
    return f"{DRAFT_PREFIX}{name}" if draft else name


def draft_label(label: str, draft: bool) -> str:
    """A download button's label: a draft's says 草稿."""
    return t("packx.draft_label", label=label) if draft else label
