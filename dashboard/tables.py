"""Tables as the users read them: Chinese (or English) headers, formatted values, and
downloadable as CSV (UTF-8 with BOM, so Excel opens it) or Excel."""

from __future__ import annotations

import io

import pandas as pd

from dashboard.formatting import rank_change, rank_range
from dashboard.i18n import t


def rankings(units: pd.DataFrame, peer: bool) -> pd.DataFrame:
    """The ranking of a level: rank (or rank within grid type), unit, the four scores
    (unrounded; the table formats them), grade, rank change, interval, list, yellow card."""
    ranked = units.dropna(subset=["composite_rank"])
    rank = ranked["peer_rank"] if peer else ranked["composite_rank"]
    table = pd.DataFrame(
        {
            t("rankings.rank"): rank.astype(int).to_numpy(),
            t("rankings.unit"): ranked["unit_name"].to_numpy(),
            t("rankings.code"): ranked["unit_id"].to_numpy(),
            t("score.composite"): ranked["composite"].to_numpy(),
            t("score.fortress"): ranked["fortress"].to_numpy(),
            t("score.vanguard"): ranked["vanguard"].to_numpy(),
            t("score.service"): ranked["service"].to_numpy(),
            t("rankings.grade"): ranked["grade"].to_numpy(),
            t("rankings.change"): [rank_change(v) for v in ranked["rank_change"]],
            t("rankings.interval"): [
                rank_range(a, b) for a, b in zip(ranked["rank_q05"], ranked["rank_q95"], strict=True)
            ],
            t("rankings.list"): ranked["list"].fillna("").to_numpy(),
            t("rankings.yellow"): ["🟨" if y else "" for y in ranked["yellow_card"]],
        }
    )
    if peer:
        table.insert(1, t("rankings.peer_class"), ranked["peer_class"].to_numpy())
        table = table.sort_values([t("rankings.peer_class"), t("rankings.rank")], kind="stable")
    return table.reset_index(drop=True)


def csv_bytes(table: pd.DataFrame) -> bytes:
    return table.to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(table: pd.DataFrame, sheet: str) -> bytes:
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="xlsxwriter") as writer:
        table.to_excel(writer, sheet_name=sheet[:31], index=False)
        writer.sheets[sheet[:31]].freeze_panes(1, 0)
    return out.getvalue()
