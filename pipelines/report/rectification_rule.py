"""The rectification rule (整改清单), in one place: every unit graded lowest (较差), on the
black list (黑榜) or with a yellow card (黄牌), why it was listed, its two weakest indicators
and who answers for it. The meeting pack lays the list out; the evaluation register
(pipelines/evaluation/rectification.py) turns the published period's list into tracked items.
Both call `rectification` here, so the list a meeting sees is the list that is tracked."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.engine.explain import contributions
from pipelines.engine.methodology import Methodology
from pipelines.numbers import number
from pipelines.serve import units as served_units
from pipelines.vocabulary import BLACK_LIST, INDICES, YELLOW_CARD

COLUMNS = [
    "unit_id",
    "unit_name",
    "composite_rank",
    "composite",
    "grade",
    "list",
    "yellow_card",
    "reasons",
    "weakest",
    "organisation",
]


def carded(units: pd.DataFrame) -> pd.Series:
    """Which units have a yellow card (黄牌) this quarter."""
    return units["yellow_card"].fillna(False).astype(bool)


def chosen(units: pd.DataFrame, lowest: str) -> pd.Series:
    """The rule itself: graded `lowest`, on the black list, or with a yellow card."""
    return (units["grade"] == lowest) | (units["list"] == BLACK_LIST) | carded(units)


def scorecard(m: Methodology, unit: dict, values: dict, lang: str = "zh") -> pd.DataFrame:
    """One unit's indicators: index, code, name (in `lang`), raw value, goalposts, direction,
    0–100 score, weight within its index, points contributed to the composite and points still
    open — the engine's decomposition (pipelines.engine.explain) given the unit's published
    index scores (`unit`: fortress, vanguard, service) and its indicator values and scores
    (`values`: F1, F1_score, …)."""
    scores = {i.code: number(values.get(f"{i.code}_score")) for i in m.indicators}
    known = {k: number(unit.get(k)) for k in INDICES}
    parts = {p["code"]: p for p in contributions(m.tree(), scores | known, "composite")}
    index_names = m.index_names(lang)
    return pd.DataFrame(
        [
            {
                "index": index_names[i.index],
                "code": i.code,
                "name": i.name(lang),
                "value": number(values.get(i.code)),
                "lo": float(i.lo),
                "hi": float(i.hi),
                "direction": int(i.direction),
                "score": scores[i.code],
                "weight": parts.get(i.code, {}).get("share_parent", 0.0),
                "contribution": parts.get(i.code, {}).get("contribution", 0.0),
                "lost": parts.get(i.code, {}).get("gain", 0.0),
            }
            for i in m.indicators
        ]
    )


def weakest(card: pd.DataFrame, how_many: int = 2) -> list[dict]:
    """A unit's `how_many` indicators that lose most points of its composite, from its
    scorecard: code, name, value, goalposts, score and points lost."""
    losing = card[card["lost"] > 1e-9].sort_values(["lost", "code"], ascending=[False, True], kind="stable")
    return losing.head(how_many)[["code", "name", "value", "lo", "hi", "score", "lost"]].to_dict("records")


def rectification(
    con: duckdb.DuckDBPyConnection, m: Methodology, units: pd.DataFrame, values: dict[str, dict] | None
) -> pd.DataFrame:
    """Every unit of `units` (one level, as pipelines.serve.units.scores reads it) the rule
    selects: why, its two weakest indicators by lost points against their goalposts (none for
    a year, whose indicators are not scored: `values` None), and who answers for it; in rank
    order. Columns COLUMNS."""
    lowest = m.lowest_grade
    picked = units[chosen(units, lowest)]
    if picked.empty:
        return pd.DataFrame(columns=COLUMNS)
    level = picked["level"].iloc[0]
    # Grids and communities: their branch or committee; streets and districts have none in the
    # organisation export and are named by the office that leads them.
    responsible = served_units.responsible(con, level)
    out = picked.merge(responsible, on="unit_id", how="left")
    if level in ("street", "district"):
        office = "党工委" if level == "street" else "委"
        out["organisation"] = out["unit_name"] + office
    out["reasons"] = [
        "、".join(
            r
            for r, hit in ((lowest, grade == lowest), (BLACK_LIST, band == BLACK_LIST), (YELLOW_CARD, bool(card)))
            if hit
        )
        for grade, band, card in zip(out["grade"], out["list"], carded(out), strict=True)
    ]
    out["weakest"] = [
        [] if values is None else weakest(scorecard(m, unit, values.get(unit["unit_id"], {})))
        for unit in out.to_dict("records")
    ]
    return (
        out[COLUMNS]
        .sort_values(["composite_rank", "unit_id"], na_position="last", kind="stable")
        .reset_index(drop=True)
    )
