"""The composite engine reproduces COINr on the ASEM reference (shared/reference/asem):
every indicator, pillar, sub-index and the Index, to 1e-9, with identical ranks."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.engine.composite import Node, score

ASEM = Path(__file__).resolve().parents[3] / "shared" / "reference" / "asem"
VARIANTS = {
    "simple_amean": {"normalise": "minmax", "out_lo": 0.0, "out_hi": 100.0, "aggregate": "amean"},
    "simple_gmean_1to100": {"normalise": "minmax", "out_lo": 1.0, "out_hi": 100.0, "aggregate": "gmean"},
    "simple_zscore_amean": {"normalise": "zscore", "out_lo": 0.0, "out_hi": 100.0, "aggregate": "amean"},
}


def _nodes(variant: dict) -> list[Node]:
    meta = pd.read_csv(ASEM / "asem_iMeta.csv")
    meta = meta[meta["Type"].isin(["Indicator", "Aggregate"])]
    nodes = []
    for _, m in meta.iterrows():
        parent = None if pd.isna(m["Parent"]) else m["Parent"]
        if m["Type"] == "Indicator":
            nodes.append(
                Node(
                    m["iCode"],
                    parent,
                    1,
                    float(m["Weight"]),
                    int(m["Direction"]),
                    variant["normalise"],
                    out_lo=variant["out_lo"],
                    out_hi=variant["out_hi"],
                )
            )
        else:
            nodes.append(Node(m["iCode"], parent, int(m["Level"]), float(m["Weight"]), aggregate=variant["aggregate"]))
    return nodes


@pytest.fixture(scope="module")
def raw_long() -> pd.DataFrame:
    data = pd.read_csv(ASEM / "asem_iData.csv")
    meta = pd.read_csv(ASEM / "asem_iMeta.csv")
    indicators = meta.loc[meta["Type"] == "Indicator", "iCode"].tolist()
    long = data.melt(id_vars=["uCode"], value_vars=indicators, var_name="code", value_name="value")
    return long.rename(columns={"uCode": "unit"}).assign(grp="2018")


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_engine_reproduces_coinr(variant, raw_long):
    expected = pd.read_csv(ASEM / f"asem_{variant}_Aggregated.csv").set_index("uCode")
    con = duckdb.connect()
    con.register("raw", raw_long)
    table = score(con, "raw", _nodes(VARIANTS[variant]))
    got = con.execute(f"SELECT unit, code, score FROM {table}").df().pivot(index="unit", columns="code", values="score")
    got = got.reindex(index=expected.index, columns=expected.columns)
    assert got.shape == (51, 60)
    missing_expected, missing_got = expected.isna(), got.isna()
    assert (missing_expected == missing_got).all().all()
    diff = (got - expected).abs().to_numpy()[~missing_expected.to_numpy()]
    assert np.nanmax(diff) < 1e-9
    for code in ("Index", "Conn", "Sust", "Physical", "Political", "Environ"):
        mine = got[code].rank(ascending=False, method="min")
        theirs = expected[code].rank(ascending=False, method="min")
        assert (mine == theirs).all(), code


def test_missing_children_are_skipped_and_min_share_applies():
    con = duckdb.connect()
    values = pd.DataFrame({"unit": ["a", "a", "b"], "grp": "p", "code": ["x", "y", "x"], "value": [0.5, 1.0, 0.25]})
    con.register("v", values)
    nodes = [
        Node("x", "I", 1, 0.3, normalise="goalposts", lo=0, hi=1),
        Node("y", "I", 1, 0.7, normalise="goalposts", lo=0, hi=1),
        Node("I", None, 2, min_share=0.5),
    ]
    got = dict(
        ((u, c), s) for u, c, s in con.execute(f"SELECT unit, code, score FROM {score(con, 'v', nodes)}").fetchall()
    )
    assert got[("a", "I")] == pytest.approx(100 * (0.3 * 0.5 + 0.7 * 1.0) / 1.0)
    assert ("b", "I") not in got  # only x present: weight share 0.3 < 0.5 → missing
    nodes[2] = Node("I", None, 2, min_share=0.3)
    got = dict(
        ((u, c), s) for u, c, s in con.execute(f"SELECT unit, code, score FROM {score(con, 'v', nodes)}").fetchall()
    )
    assert got[("b", "I")] == pytest.approx(25.0)  # renormalised over the present child


@pytest.mark.parametrize(
    "bad,message",
    [
        (dict(code="x", parent=None, level=1, normalise="goalposts", lo=1, hi=1), "lo < hi"),
        (dict(code="x", parent=None, level=1, normalise="rank"), "normalisation"),
        (dict(code="x", parent=None, level=2, aggregate="median"), "aggregation"),
        (dict(code="x", parent=None, level=1, direction=0), "direction"),
        (dict(code="x", parent=None, level=1, weight=float("nan")), "weight"),
    ],
)
def test_bad_nodes_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        Node(**bad)
