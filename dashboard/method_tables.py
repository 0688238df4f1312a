"""The methodology of a run as the users read it: tables and sentences in the current language,
built from the parsed methodology (`pipelines.engine.methodology.Methodology`) of the run that
made the numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import pandas as pd

from dashboard.formatting import rank_change
from dashboard.i18n import language, t
from pipelines.engine.methodology import NUMERIC_PARAMETERS, Methodology

# Parameters the engine reads have a label (method.param.*); a run's file may hold others,
# which are shown under their own key.
KNOWN_PARAMETERS = NUMERIC_PARAMETERS


class _Named(Protocol):
    def name(self, lang: str = "zh") -> str: ...


def name(item: _Named, lang: str | None = None) -> str:
    """An item's name in the current language (Chinese where no English is given)."""
    return item.name(lang or language())


def index_names(m: Methodology) -> dict[str, str]:
    return m.index_names(language())


def _share(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def _number(x: float) -> str:
    return f"{x:g}"


def indicators(m: Methodology, shares: Mapping[str, float | None]) -> pd.DataFrame:
    """Code, name, index, direction, normalisation with its goalposts, weight, its share of the
    index, missing-data rule."""
    indices = index_names(m)
    rows = m.indicators
    return pd.DataFrame(
        {
            t("method.code"): [i.code for i in rows],
            t("method.indicator"): [name(i) for i in rows],
            t("method.index"): [indices[i.index] for i in rows],
            t("method.direction"): [
                t("method.direction.up" if i.direction == 1 else "method.direction.down") for i in rows
            ],
            t("method.normalise"): [t("method.goalposts", lo=_number(i.lo), hi=_number(i.hi)) for i in rows],
            t("method.weight"): [float(i.weight) for i in rows],
            t("method.share"): [_share(shares.get(i.code)) for i in rows],
            t("method.missing"): [t(f"method.missing.{i.missing}") for i in rows],
        }
    )


def composite(m: Methodology, weights: Mapping[str, float], shares: Mapping[str, float | None]) -> pd.DataFrame:
    """The indices in the composite with their weight and share."""
    indices = index_names(m)
    codes = list(m.composite.indices)
    return pd.DataFrame(
        {
            t("method.index"): [indices[c] for c in codes],
            t("method.weight"): [weights[c] for c in codes],
            t("method.share"): [_share(shares.get(c)) for c in codes],
        }
    )


def grades(m: Methodology) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("method.grade"): [g.name for g in m.grades],
            t("method.grade_min"): [f"≥ {_number(g.min)}" for g in m.grades],
        }
    )


def member_components(m: Methodology) -> pd.DataFrame:
    rows = m.member_components
    total = sum(float(c.weight) for c in rows)
    return pd.DataFrame(
        {
            t("method.code"): [c.code for c in rows],
            t("method.component"): [name(c) for c in rows],
            t("method.normalise"): [
                t("method.goalposts", lo="0", hi=_number(c.full_at))
                if c.full_at is not None
                else t("method.goalposts", lo=_number(c.lo), hi=_number(c.hi))
                for c in rows
            ],
            t("method.weight"): [float(c.weight) for c in rows],
            t("method.share"): [_share(float(c.weight) / total if total else None) for c in rows],
            t("method.missing"): [t(f"method.missing.{c.missing}") for c in rows],
        }
    )


def member_tiers(m: Methodology) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("method.tier"): [x.name for x in m.member_tiers],
            t("method.tier_min"): [f"≥ {_number(x.min)}" for x in m.member_tiers],
        }
    )


def parameters(m: Methodology) -> pd.DataFrame:
    """Every parameter of [parameters], named where the methodology names it."""
    labels, values = [], []
    for key, value in m.parameters.entries:
        if key == "required_meetings":
            for meeting, n in value:
                labels.append(t("method.param.required_meetings", meeting=meeting))
                values.append(_number(n))
        else:
            labels.append(t(f"method.param.{key}") if key in KNOWN_PARAMETERS else key)
            values.append(_number(value) if isinstance(value, int | float) else str(value))
    return pd.DataFrame({t("method.parameter"): labels, t("method.value"): values})


def weight_need(m: Methodology) -> str:
    """What an index needs present: v1.2's absolute weight sum, or v1/v1.1's share of its weights."""
    if m.scoring.min_weight is not None:
        return t("method.need.sum", sum=_number(m.scoring.min_weight))
    return t("method.need.share", share=f"{float(m.scoring.min_weight_share):.0%}")


def rules(m: Methodology) -> dict[str, str]:
    """The scoring, composite, cap, list, yellow-card and rank-interval rules as sentences."""
    lists, yellow, ri = m.lists, m.yellow_card, m.rank_intervals
    quantiles = [float(q) for q in ri.quantiles]
    return {
        "scoring": t(
            "method.rule.scoring",
            scale=_number(m.scoring.scale),
            need=weight_need(m),
        ),
        "composite": t("method.rule.composite"),
        "cap": t(
            "method.rule.cap",
            below=_number(m.cap_rule.satisfaction_below),
            grade=m.cap_rule.max_grade,
        ),
        "lists": t(
            "method.rule.lists",
            red=f"{float(lists.red_share):.0%}",
            black=f"{float(lists.black_share):.0%}",
            n=lists.min_ranked_units,
        ),
        "yellow": t("method.rule.yellow", drop=_number(yellow.composite_drop), grade=yellow.repeat_grade),
        "intervals": t(
            "method.rule.intervals",
            lo=_number(ri.weight_factor_min),
            hi=_number(ri.weight_factor_max),
            n=ri.replications,
            seed=ri.seed,
            q_lo=f"{quantiles[0]:.0%}",
            q_hi=f"{quantiles[-1]:.0%}",
        ),
    }


def run_record(record: Mapping, checked: bool) -> pd.DataFrame:
    """The run record as two columns (field, value); `checked`: the stored text hashes to the
    recorded hash."""
    rows = [
        (t("method.run.id"), str(record["run_id"])),
        (t("method.run.time"), str(record["computed_at"])[:19]),
        (t("method.run.version"), str(record["methodology_version"])),
        (t("method.run.hash"), str(record["config_hash"])),
        (t("method.run.check"), t("method.run.check_ok" if checked else "method.run.check_bad")),
        (t("method.run.batch"), "—" if pd.isna(record["data_batch"]) else str(int(record["data_batch"]))),
        (t("method.run.digest"), str(record["data_digest"] or "—")),
        (t("method.run.engine"), t(f"method.engine.{record.get('engine') or 'duckdb'}")),
    ]
    return pd.DataFrame(rows, columns=[t("method.field"), t("method.value")])


def run_files(files: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("method.file"): files["file_name"].fillna("—").to_numpy(),
            t("method.kind"): [t(f"kind.{k}") if isinstance(k, str) else "—" for k in files["kind"]],
            t("method.content_hash"): files["content_hash"].to_numpy(),
        }
    )


def whatif(compared: pd.DataFrame) -> pd.DataFrame:
    """The what-if table: unit, code, published and what-if rank (empty where unranked), the
    move (↑3: rose three places), published and what-if composite (unrounded; the page formats)."""
    return pd.DataFrame(
        {
            t("method.whatif.unit"): compared["unit_name"].to_numpy(),
            t("method.code"): compared["unit_id"].to_numpy(),
            t("method.whatif.published_rank"): compared["composite_rank"].astype("Int64").to_numpy(),
            t("method.whatif.new_rank"): compared["whatif_rank"].astype("Int64").to_numpy(),
            t("method.whatif.move"): [rank_change(None if pd.isna(m) else int(m)) for m in compared["move"]],
            t("method.whatif.published"): compared["composite"].to_numpy(dtype=float),
            t("method.whatif.new"): compared["whatif_composite"].to_numpy(dtype=float),
        }
    )
