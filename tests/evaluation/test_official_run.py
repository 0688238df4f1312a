"""Which run a reader gets (serve.runs.resolve / choose) through the review, on the hand-made
results file (tests/evaluation/results.py): a period's official run once it is on notice or
published, a later compute changing nothing, a correction on notice switching to the new run;
`export` picking the official run and calling anything else a draft on stderr; and a draft
pack's labels (the tiny file has no marts for a whole pack, so labels and footers are tested
on a Pack made by hand)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines import cli
from pipelines.engine.scores_db import connect_read, scores_path
from pipelines.evaluation import review
from pipelines.report import labels, pack
from pipelines.serve import runs
from tests.evaluation.results import make_results

T0 = dt.datetime(2025, 10, 8, 9, 0)
AFTER = T0 + dt.timedelta(days=5)
P = "2025Q3"


# The columns `export scores` reads that the review's results file leaves out.
EXPORT_COLUMNS = (
    *(
        f"{c} INTEGER"
        for c in ("fortress_rank", "vanguard_rank", "service_rank", "rank_change", "rank_q05", "rank_q95")
    ),
    "composite_raw DOUBLE",
    "adjustment DOUBLE",
    "veto BOOLEAN",
)


@pytest.fixture
def db(tmp_path, people) -> Path:
    db = make_results(tmp_path / "warehouse" / "pbi.duckdb")
    with duckdb.connect(str(scores_path(db))) as con:
        for column in EXPORT_COLUMNS:
            con.execute(f"ALTER TABLE unit_scores ADD COLUMN {column}")
    return db


def _choice(db: Path, run: int | None = None, period: str | None = P, draft: bool = False) -> runs.Choice:
    with connect_read(db) as con:
        return runs.choose(con, run, period, draft)


def _resolve(db: Path, **kwargs) -> int | None:
    with connect_read(db) as con:
        return runs.resolve(con, **kwargs)


def _compute_again(db: Path) -> None:
    """A later computation: run 3, a copy of run 2 (what a reader sees must not move)."""
    with duckdb.connect(str(scores_path(db))) as con:
        for table in ("runs", "unit_scores", "indicator_scores", "run_periods"):
            cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
            rest = ", ".join(c for c in cols if c != "run_id")
            con.execute(f"INSERT INTO {table} (run_id, {rest}) SELECT 3, {rest} FROM {table} WHERE run_id = 2")


def test_resolve_follows_the_review(db):
    assert _resolve(db) == 2  # no period: the latest, as before
    assert _resolve(db, period=P) is None  # a draft period has no official run
    assert _resolve(db, period=P, draft=True) == 2
    assert _resolve(db, run=1, period=P) == 1 and _resolve(db, run=9, period=P) is None
    review.submit(db, P, by="admin", run=1, at=T0)
    assert _resolve(db, period=P) is None and _choice(db, draft=True) == runs.Choice(2, True, review.state(db, P))
    review.approve(db, P, by="approver", at=T0)
    c = _choice(db)
    assert (c.run, c.draft, c.state, c.notice) == (1, False, review.NOTICE, (T0.date(), dt.date(2025, 10, 12)))
    assert _resolve(db, period=P, draft=True) == 1  # an official run wins over the latest
    review.publish(db, P, by="admin", at=AFTER)
    c = _choice(db)
    assert (c.run, c.draft, c.state, c.notice) == (1, False, review.PUBLISHED, None)
    assert _choice(db, run=2).draft and not _choice(db, run=1).draft  # a run named: draft unless official
    _compute_again(db)
    assert _resolve(db) == 3 and _resolve(db, period=P) == 1  # a later compute changes nothing
    assert _resolve(db, period="2025Q2") is None  # another period stays a draft
    review.correct(db, P, run=3, by="admin", reason="数据更正", at=AFTER)
    c = _choice(db)
    assert (c.run, c.draft, c.state) == (3, False, review.NOTICE) and c.notice is not None


def _export(db: Path, tmp_path: Path, capsys, *args: str) -> tuple[set[float], str]:
    out = tmp_path / "scores.csv"
    assert cli.main(["export", "scores", "--db", str(db), "--out", str(out), *args]) == 0
    err = capsys.readouterr().err
    with out.open(encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r["level"] == "grid"]
    # Run 1 ranks 甲网格 3rd, run 2 1st: the composite (90 - 10·rank) tells the runs apart.
    return {float(r["composite"]) for r in rows if r["unit_id"] == "330100000001"}, err


def test_export_reads_the_official_run_and_calls_anything_else_a_draft(db, tmp_path, capsys):
    got, err = _export(db, tmp_path, capsys, "--period", P)
    assert got == {80.0} and "草稿" in err and "draft" in err  # the latest (run 2), said to be a draft
    review.submit(db, P, by="admin", run=1, at=T0)
    review.approve(db, P, by="approver", at=T0)
    got, err = _export(db, tmp_path, capsys, "--period", P)
    assert got == {60.0} and err == ""  # the pinned run on notice, no warning
    got, err = _export(db, tmp_path, capsys, "--period", P, "--run", "2")
    assert got == {80.0} and "草稿" in err and "#1" in err  # any run still, named a draft
    _, err = _export(db, tmp_path, capsys)
    assert "不一定都是正式结果" in err  # no period: the latest run, with a note


def _pack(**kwargs) -> pack.Pack:
    run = {"run_id": 2, "computed_at": T0, "methodology_version": "v1.1", "config_hash": "abc" * 20,
           "data_batch": None, "data_digest": "d", "loaded_at": None, "data_date": dt.date(2025, 9, 30)}  # fmt: skip
    empty = pd.DataFrame(columns=["unit_id", "unit_name", "composite_rank", "list", "grade", "yellow_card"])
    return pack.Pack(
        period=P, previous=None, level="grid", scope="", run=run, methodology=None, units=empty,
        scope_history=pd.DataFrame(), rectification=pd.DataFrame(), scorecards=[], members=pd.DataFrame(),
        **kwargs,
    )  # fmt: skip


def test_a_draft_pack_says_so_on_every_header_footer_and_the_cover(db):
    status = review.Status(P)
    draft = _pack(draft=True, review=status)
    assert labels.heading(draft).endswith("（草稿）") and "草稿" in draft.trace  # sheet headers, every slide
    assert labels.standing(draft).startswith("草稿：该期间尚无正式结果")
    review.submit(db, P, by="admin", run=2, at=T0)
    noticed = _pack(review=review.approve(db, P, by="approver", at=T0))
    assert "草稿" not in labels.heading(noticed) + noticed.trace and "公示中" in noticed.trace
    assert labels.standing(noticed).startswith("公示中：公示期 2025年10月8日 至 2025年10月12日")
    done = dataclasses.replace(noticed, review=review.publish(db, P, by="admin", at=AFTER))
    assert labels.standing(done).startswith("已发布：发布于") and "公示中" not in done.trace
