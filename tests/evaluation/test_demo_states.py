"""The demo city in every review state (pipelines/evaluation/demo.py, `make run`): staged once on
a copy of the demo city — the early quarters published after their end, the second-to-last
published and corrected, the last on notice today with one open objection, the last year a
draft, rectification items in every status; a second staging changes nothing; any other data
is refused."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.access import users
from pipelines.access.scope import covers
from pipelines.engine.scores_db import scores_path
from pipelines.evaluation import adjustments, demo, objections, rectification, register, review
from pipelines.evaluation.workflow import ReviewError
from pipelines.synth.city import GENERATOR_DIR
from tests.evaluation.results import make_results

ROOT = Path(__file__).resolve().parents[2]


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args, "--db", str(db)], cwd=ROOT, env={**os.environ},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def staged(published_demo, demo_users, tmp_path_factory) -> tuple[Path, demo.Summary]:
    """A copy of the demo city (the shared one stays untouched), staged once by its demo users."""
    folder = tmp_path_factory.mktemp("demo_states")
    for f in (published_demo, scores_path(published_demo)):
        shutil.copy(f, folder / f.name)
    db = folder / published_demo.name
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PBI_USERS", str(demo_users))
        patch.setenv("PBI_AUDIT", str(folder / "audit" / "audit.duckdb"))
        return db, demo.stage(db)


def _today() -> dt.date:
    return register.now().date()


def _quarter_end(period: str) -> dt.date:
    year, q = int(period[:4]), int(period[-1])
    return dt.date(year + q // 4, 3 * q % 12 + 1, 1) - dt.timedelta(days=1)


def _counts(db: Path) -> tuple:
    with register.reading(db) as con:
        (events,) = con.execute("SELECT count(*) FROM review_events").fetchall()[0]
    latest = max(s.run or 0 for s in review.statuses(db))
    items = rectification.listing(db)
    return events, len(items), len(objections.listing(db)), len(adjustments.listing(db)), latest, tuple(items["status"])


def test_every_review_state_is_shown(staged):
    db, summary = staged
    assert summary.staged
    states = {s.period: s for s in review.statuses(db)}
    quarters = sorted(p for p in states if "Q" in p)
    *early, second, last = quarters
    assert len(early) >= 2
    for q in early:  # published once, after the quarter ended, never corrected
        s = states[q]
        assert s.state == review.PUBLISHED and len(s.history) == 1, q
        assert s.history[0].published_at.date() > _quarter_end(q) and s.history[0].reason is None
    # The second-to-last: published, then corrected with another run and a reason, published again.
    s = states[second]
    assert s.state == review.PUBLISHED and len(s.history) == 2
    first, corrected = s.history
    assert (
        first.reason is None
        and corrected.run != first.run
        and corrected.reason
        and first.published_at < corrected.published_at
    )
    assert s.run == corrected.run == summary.correction_run
    # The last: on notice today, one objection open, filed by the community user within their scope.
    s = states[last]
    assert s.state == review.NOTICE and s.notice_start <= _today() <= s.notice_end
    assert all(p.published_at.date() < s.notice_start for q in [*early, second] for p in states[q].history)
    opened = objections.listing(db, open_only=True)
    assert len(opened) == 1 and opened.iloc[0]["period"] == last
    community = users.load()["community"]
    assert opened.iloc[0]["filed_by"] == "community" and covers(community.scope, opened.iloc[0]["unit_path"])
    assert int(opened.iloc[0]["objection_id"]) == summary.objection
    # The year of the last quarter: a draft, no event; an earlier complete year published.
    year = last[:4]
    assert states[year].state == review.DRAFT and states[year].history == ()
    assert review.state(db, year) == review.Status(year)
    assert all(states[p].state == review.PUBLISHED for p in states if len(p) == 4 and p < year)


def test_rectification_items_in_every_status(staged):
    db, summary = staged
    items = rectification.listing(db)
    assert set(items["status"]) == set(rectification.STATUSES)
    assert summary.items == {s: int((items["status"] == s).sum()) for s in rectification.STATUSES}
    today = _today()
    deadline = items["deadline"].map(lambda d: d.date() if hasattr(d, "date") else d)
    # Overdue: past the deadline, not reported done; open or in progress: the deadline still ahead.
    overdue = items["status"] == rectification.OVERDUE
    assert (deadline[overdue] < today).all() and items.loc[overdue, "reported"].ne(rectification.DONE).all()
    waiting = items["status"].isin([rectification.OPEN, rectification.IN_PROGRESS])
    assert (deadline[waiting] >= today).all()
    done = items["status"].isin([rectification.DONE, rectification.CONFIRMED])
    assert items.loc[done, "evidence_sha256"].notna().all()
    assert items.loc[items["status"] == rectification.CONFIRMED, "confirmed_by"].eq("admin").all()
    # Every item came from a publication: no period on notice or in draft has any.
    published = {s.period for s in review.statuses(db) if s.state == review.PUBLISHED}
    assert set(items["period"]) <= published


def test_the_correction_rests_on_approved_adjustments(staged):
    db, _ = staged
    second = sorted(s.period for s in review.statuses(db) if "Q" in s.period)[-2]
    entries = adjustments.listing(db, period=second)
    assert len(entries) >= 1 and set(entries["state"]) == {adjustments.APPROVED}
    assert set(entries["entered_by"]) == {"admin"} and set(entries["decided_by"]) == {"approver"}


def test_a_second_staging_changes_nothing(staged):
    db, _ = staged
    before = _counts(db)
    again = demo.stage(db)
    assert not again.staged and "nothing changed" in again.message
    assert _counts(db) == before


def test_the_command_prints_a_summary_and_changes_nothing_the_second_time(staged):
    db, _ = staged
    before = _counts(db)
    done = _cli(db, "review", "demo")
    assert done.returncode == 0, done.stderr
    assert "nothing changed" in done.stdout and "公示中" in done.stdout and "已发布" in done.stdout
    assert _counts(db) == before


def test_other_data_is_refused(small_default, tmp_path):
    """A department's own exports (here: the demo city's files without the generator's summary)
    and a results file loaded from nowhere are refused, and no register is made."""
    from pipelines.load.batch import load

    raw = tmp_path / "exports"
    shutil.copytree(small_default, raw, ignore=shutil.ignore_patterns(GENERATOR_DIR))
    db = tmp_path / "own" / "pbi.duckdb"
    db.parent.mkdir()
    load([raw], db)
    assert not demo.is_demo(db)
    with pytest.raises(ReviewError, match="not the demo data"):
        demo.stage(db)
    assert not register.evaluation_path(db).exists()

    other = make_results(tmp_path / "hand" / "pbi.duckdb")
    refused = _cli(other, "review", "demo")
    assert refused.returncode == 2 and "not the demo data" in refused.stderr
    assert not register.evaluation_path(other).exists()
