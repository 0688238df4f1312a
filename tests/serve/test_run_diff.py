"""The review page's diff in the serving layer, by hand, on the tiny results file of
tests/evaluation/results.py: two runs of 2025Q3 in which grid 甲 changes grade, rank and list,
grid 丙 too, grid 乙 and 东区 change nothing and 西区 changes its grade only."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pipelines.engine.scores_db import connect_read, scores_path
from pipelines.evaluation.review import Publication, Status
from pipelines.serve import run_diff
from tests.evaluation.results import G1, G2, G3, make_results


@pytest.fixture
def db(tmp_path):
    return make_results(tmp_path / "warehouse" / "pbi.duckdb")


def _diff(db, scope="", old=1, new=2):
    with connect_read(db) as con:
        return run_diff.diff(con, "2025Q3", old, new, scope)


def test_the_diff_lists_only_units_that_change_with_old_and_new_values(db):
    rows = _diff(db)
    assert list(zip(rows["level"], rows["unit_id"], strict=True)) == [("grid", G1), ("grid", G3), ("district", "西区")]
    g1, g3, west = (rows.iloc[i].to_dict() for i in range(3))
    assert (g1["old_grade"], g1["new_grade"], g1["old_rank"], g1["new_rank"]) == ("较差", "好", 3, 1)
    assert pd.isna(g1["old_list"]) and g1["new_list"] == "红榜"
    assert (g3["old_grade"], g3["new_grade"], g3["old_list"], g3["new_list"]) == ("好", "一般", "红榜", "黑榜")
    assert (g3["old_rank"], g3["new_rank"]) == (1, 3)
    assert (west["old_grade"], west["new_grade"]) == ("较差", "较好")
    assert (west["grade_changed"], west["rank_changed"], west["list_changed"]) == (True, False, False)
    assert G2 not in set(rows["unit_id"]) and "东区" not in set(rows["unit_id"])


def test_the_diff_is_narrowed_to_the_scope(db):
    assert _diff(db, "东区")["unit_id"].tolist() == [G1]  # 甲 lies in 东区; 丙 and 西区 do not
    assert _diff(db, "西区")["unit_id"].tolist() == [G3, "西区"]
    assert _diff(db, "西区/三街道/三社区")["unit_id"].tolist() == [G3]


def test_a_run_against_itself_changes_nothing(db):
    assert _diff(db, old=2, new=2).empty


def test_a_unit_in_one_run_only_counts_as_changed(db):
    with duckdb.connect(str(scores_path(db))) as con:
        con.execute(
            "INSERT INTO unit_scores SELECT * REPLACE ('330100000009' AS unit_id, '新网格' AS unit_name,"
            " 4 AS composite_rank) FROM unit_scores WHERE run_id = 2 AND period = '2025Q3' AND unit_id = ?",
            [G2],
        )
    new = _diff(db).set_index("unit_id").loc["330100000009"]
    assert pd.isna(new["old_grade"]) and (new["new_grade"], new["new_rank"]) == ("一般", 4)
    assert new["grade_changed"] and new["rank_changed"] and not new["list_changed"]  # no list before, none now


def test_the_summary_counts_changes_per_level(db):
    counts = run_diff.summary(_diff(db)).set_index("level")
    assert counts.loc["grid"].to_dict() == {"units": 2, "grade_changed": 2, "rank_changed": 2, "list_changed": 2}
    assert counts.loc["district"].to_dict() == {"units": 1, "grade_changed": 1, "rank_changed": 0, "list_changed": 0}
    assert list(counts.index) == ["grid", "district"]
    assert run_diff.summary(_diff(db, old=2, new=2)).empty


def test_the_outline_counts_grades_and_lists(db):
    with connect_read(db) as con:
        out = run_diff.outline(con, "2025Q3", 2).set_index("level")
        east = run_diff.outline(con, "2025Q3", 2, "东区").set_index("level")
    assert list(out.index) == ["grid", "district"]
    grid = out.loc["grid"]
    assert (grid["units"], grid["好"], grid["一般"], grid["较好"], grid["红榜"], grid["黑榜"]) == (3, 1, 2, 0, 1, 1)
    district = out.loc["district"]
    assert (district["units"], district["好"], district["较好"], district["红榜"], district["黑榜"]) == (2, 1, 1, 0, 0)
    assert list(out.columns)[:2] == ["units", "好"]  # the best grade first
    assert list(out.columns)[-2:] == ["红榜", "黑榜"]
    assert east.loc["grid", "units"] == 2 and east.loc["district", "units"] == 1  # 甲, 乙; 东区


def test_the_candidates_are_the_runs_of_the_period_newest_first(db):
    with connect_read(db) as con:
        runs = run_diff.candidates(con, "2025Q3")
        none = run_diff.candidates(con, "2023Q1")
    assert runs["run_id"].tolist() == [2, 1]
    assert runs["adjustments"].tolist() == [0, 0]  # results without run_adjustments
    assert {"computed_at", "methodology_version", "config_hash", "data_digest"} <= set(runs.columns)
    assert none.empty


def test_the_baseline_is_the_official_run_else_the_publication_before():
    assert run_diff.baseline(Status("2025Q3"), 2) is None  # a draft: nothing to compare with
    on_notice = Status("2025Q3", "公示中", 1)
    assert run_diff.baseline(on_notice, 2) == 1
    assert run_diff.baseline(on_notice, 1) is None  # the official run itself
    first = Publication(1, None, "admin")
    correction = Status("2025Q3", "公示中", 2, correction="更正", history=(first,))
    assert run_diff.baseline(correction, 2) == 1  # against the publication it would replace
    assert run_diff.baseline(correction, 3) == 2
