"""一人一档 in the members page and the unit profile's tasks (F6), over the hand-made data of
tests/dashboard/points_data.py: the ledger's numbers by source and quarter (count × rate, the
cap taking 64.5 down to 60), the year to date and tier, recent services with no ID number and a
masked phone; the profile's tasks due in the quarter (on time on the due date, late, open; a
task due on the next quarter's first day not among them), and no tasks block for older results."""

from __future__ import annotations

import re
import shutil

import duckdb
import pytest

from pipelines.engine.scores_db import connect_read, scores_path
from tests.dashboard.points_data import add_points
from tests.signin import app

ID_NUMBER = re.compile(r"\d{17}[\dXx]")
PHONE = re.compile(r"(?<![0-9*])1\d{10}(?![0-9])")


@pytest.fixture(scope="module")
def city(two_districts, tmp_path_factory) -> dict:
    info = add_points(two_districts, tmp_path_factory.mktemp("member_file"))
    with duckdb.connect(str(scores_path(info["db"]))) as con:  # F6 as results of v1.2 hold it
        con.execute("ALTER TABLE indicator_scores ADD COLUMN IF NOT EXISTS F6 DOUBLE")
        con.execute("ALTER TABLE indicator_scores ADD COLUMN IF NOT EXISTS F6_score DOUBLE")
        con.execute(
            "UPDATE indicator_scores SET F6 = 1 / 3, F6_score = 0 WHERE level = 'grid' AND unit_id = ?"
            " AND period = '2025Q4'",
            [info["task_grid"]],
        )
    return info


def _ledger(at):
    return next(d.value for d in at.dataframe if "封顶前" in d.value.columns)


def test_the_ledger_by_source_and_quarter_with_the_cap(monkeypatch, city):
    member = city["members"]["RA"][0][0]
    at = app(monkeypatch, city["db"], "members", user="city", period="2025Q4", member=str(member))
    assert not at.exception
    ledger = _ledger(at).set_index("期间")
    assert list(ledger.index) == ["2025Q3", "2025Q4", "2025"]
    q3 = ledger.loc["2025Q3"]
    # 10 services × 2, 25.5 hours × 1, 3 claims × 5, 4 ratings of 5 × 1 = 64.5, capped at 60.
    assert (q3["服务（次）"], q3["服务得分"]) == (10, 20.0)
    assert (q3["时长（小时）"], q3["时长得分"]) == (25.5, 25.5)
    assert (q3["认领办结（件）"], q3["认领得分"]) == (3, 15.0)
    assert (q3["5 分评价（次）"], q3["评价得分"]) == (4, 4.0)
    assert (q3["封顶前"], q3["封顶扣减"], q3["本期正能量值"]) == (64.5, -4.5, 60.0)
    q4 = ledger.loc["2025Q4"]
    assert (q4["本期正能量值"], q4["年度累计"], q4["封顶扣减"]) == (25.0, 85.0, 0.0)
    year = ledger.loc["2025"]
    assert (year["本期正能量值"], year["年度累计"], year["正能量等次"]) == (85.0, 85.0, "合格")
    assert set(ledger["报到单位"]) == {"甲单位党支部"}
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["2025年累计正能量值"] == "85.0"
    assert metrics["正能量等次"] == "合格"
    # The member's services before 2025Q4's end, and nothing that is an ID number or a phone.
    assert any("近期服务记录" in m.value for m in at.markdown)
    for frame in at.dataframe:
        text = frame.value.astype(str).to_string()
        assert not ID_NUMBER.search(text) and not PHONE.search(text)


def test_the_ledger_of_the_year_before_shows_its_quarter(monkeypatch, city):
    """In 2025Q3 the year to date is that quarter's: 60 (64.5 capped)."""
    member = city["members"]["RA"][0][0]
    at = app(monkeypatch, city["db"], "members", user="city", period="2025Q3", member=str(member))
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["2025年累计正能量值"] == "60.0"


def test_a_member_outside_the_scope_has_no_ledger(monkeypatch, city):
    """A district viewer asking for a member living in the other district sees none of them."""
    outside = city["members"]["RD"][0][0]
    at = app(monkeypatch, city["db"], "members", user="district", period="2025Q4", member=str(outside))
    assert not at.exception
    assert not [d for d in at.dataframe if "封顶前" in d.value.columns]


def test_the_profile_shows_the_units_tasks_of_the_quarter(monkeypatch, city):
    at = app(monkeypatch, city["db"], "profile", user="city", period="2025Q4", level="grid", unit=city["task_grid"])
    assert not at.exception
    assert any(s.value == "任务完成率（F6）与任务清单" for s in at.subheader)
    assert {m.label: m.value for m in at.metric}["任务完成率"] == "33.3%"
    tasks = next(d.value for d in at.dataframe if "任务内容" in d.value.columns)
    # Open first, then late, then on time; T4 is due on 2026-01-01: the next quarter's.
    assert list(tasks["状态"]) == ["未完成", "逾期完成", "按时完成"]
    assert list(tasks["截止日期"]) == ["2025年12月15日", "2025年11月30日", "2025年12月31日"]
    assert any("按时完成 1 项，逾期完成 1 项，未完成 1 项" in c.value for c in at.caption)


def test_older_results_show_no_tasks_block(monkeypatch, city, tmp_path):
    """Results without F6 (computed before v1.2): the profile is as it was, no tasks block."""
    shutil.copytree(city["db"].parent, tmp_path, dirs_exist_ok=True)
    db = tmp_path / city["db"].name
    with duckdb.connect(str(scores_path(db))) as con:
        con.execute("ALTER TABLE indicator_scores DROP COLUMN F6_score")
        con.execute("ALTER TABLE indicator_scores DROP COLUMN F6")
    with connect_read(db) as con:
        assert con.execute("SELECT count(*) FROM tasks").fetchone()[0] == 4  # the tasks are there, F6 is not
    at = app(monkeypatch, db, "profile", user="city", period="2025Q4", level="grid", unit=city["task_grid"])
    assert not at.exception
    assert not any("任务完成率" in s.value for s in at.subheader)
