"""The task list (任务清单, data contract v1.1) on real files: an .xlsx under a title row and a
GBK CSV, recognised by their headers wherever they lie; every rule with its reason; duplicate
and conflicting task numbers; dates in every accepted form, Excel's included; updates by key;
retry when the org arrives; the load report's counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.load.batch import load
from tests.load.v11_files import ORGS, quarantined, query, reference, write_csv, write_xlsx

HEADER = ["任务编号", "组织编码", "任务内容", "任务类别", "下达日期", "截止日期", "完成日期"]
TITLE = "西湖区书记抓党建任务清单（2025年第三季度）"
# File rows 3.. (row 1 the title, row 2 the header); the expected outcome beside each.
ROWS = [
    ["RW001", "ZB01", "组织党员参加环境整治", "服务群众", dt.datetime(2025, 7, 1), "2025-09-30", "2025-09-30"],  # 3 ok
    [10002, "ZB01", "开展主题党日活动", "组织生活", "2025/7/1", "2025年8月31日", None],  # 4 ok, a number cell
    ["RW003", "ZB01", "走访困难党员", None, 45839, "20250930", "2025.9.1"],  # 5 ok, an Excel serial
    ["RW004", "BDX9", "认领微心愿", "服务群众", "2025-07-01", "2025-09-30", None],  # 6 unknown org
    ["RW005", "ZB01", "整理党员档案", "基础工作", "2025-07-01", "2025-06-30", None],  # 7 due before assigned
    ["RW006", "ZB01", "组织党课", "组织生活", "2025-07-01", "2025-09-30", "2025-06-15"],  # 8 completed before
    ["RW007", "ZB01", None, "组织生活", "2025-07-01", "2025-09-30", None],  # 9 content missing
    [None, "ZB01", "召开支委会", "组织生活", "2025-07-01", "2025-09-30", None],  # 10 task number missing
    ["RW009", "BD01", "认领社区项目", "双报到", "2025-07-01", "2025-09-30", None],  # 11 ok (a reporting org)
    ["RW009", "BD01", "认领社区项目", "双报到", "2025-07-01", "2025-09-30", None],  # 12 exact duplicate of 11
    ["RW010", "ZB01", "更新党员信息", "基础工作", "2025-07-01", "2025-09-30", None],  # 13 key conflict
    ["RW010", "ZB01", "更新党员信息", "基础工作", "2025-07-01", "2025-09-15", None],  # 14 key conflict
    ["RW011", "ZB01", "年度述职评议", "基础工作", "2026-10-01", "2027-01-31", None],  # 15 ok, due ahead
    ["RW012", "ZB01", "明年任务", "基础工作", "2031-01-01", "2031-03-31", None],  # 16 assigned ahead
    ["RW013", "ZB01", "核对台账", "基础工作", "2025-07-01", "2025-13-01", None],  # 17 impossible due date
    ["RW014", "ZB01", None, None, None, None, None],  # 18 content, dates missing: the first rule
]


def _xlsx(folder: Path) -> Path:
    return write_xlsx(folder / "任务清单" / "西湖区任务清单_2025年第三季度.xlsx", [HEADER, *ROWS], TITLE)


@pytest.fixture()
def loaded(tmp_path) -> tuple[Path, object]:
    folder = tmp_path / "exports"
    reference(folder)
    _xlsx(folder)
    db = tmp_path / "pbi.duckdb"
    return db, load([folder], db)


def test_the_task_list_is_recognised_and_loaded_with_every_date_form(loaded):
    db, result = loaded
    tasks = next(f for f in result.files if f.kind == "tasks")
    assert tasks.file == "西湖区任务清单_2025年第三季度.xlsx"
    got = query(db, "SELECT task_id, org_id, category, assigned_date, due_date, completed_date FROM tasks ORDER BY 1")
    d = dt.date
    assert got == [
        ("10002", "ZB01", "组织生活", d(2025, 7, 1), d(2025, 8, 31), None),
        ("RW001", "ZB01", "服务群众", d(2025, 7, 1), d(2025, 9, 30), d(2025, 9, 30)),
        ("RW003", "ZB01", None, d(2025, 7, 1), d(2025, 9, 30), d(2025, 9, 1)),
        ("RW009", "BD01", "双报到", d(2025, 7, 1), d(2025, 9, 30), None),
        ("RW011", "ZB01", "基础工作", d(2026, 10, 1), d(2027, 1, 31), None),
    ]
    # The lineage every published table carries: the file and the row a user sees.
    assert query(db, "SELECT _row, _batch_id FROM tasks WHERE task_id = 'RW001'") == [(3, 1)]


def test_every_rule_of_the_task_list_quarantines_with_its_reason(loaded):
    db, _ = loaded
    got = {row: (field, rule, reason) for row, field, rule, reason in quarantined(db, "tasks")}
    assert got == {
        6: ("org_id", "unknown_org", "未知组织编码 BDX9 (unknown org)"),
        7: ("due_date", "due_before_assigned", "截止日期早于下达日期：2025-06-30 < 2025-07-01 (due before assigned)"),
        8: (
            "completed_date",
            "completed_before_assigned",
            "完成日期早于下达日期：2025-06-15 < 2025-07-01 (completed before assigned)",
        ),
        9: ("content", "missing_required", "必填项“任务内容”为空 (required value missing)"),
        10: ("task_id", "missing_required", "必填项“任务编号”为空 (required value missing)"),
        12: (None, "duplicate_row", "整行重复（与第11行完全相同） (exact duplicate of an earlier row)"),
        13: (
            "task_id",
            "key_conflict",
            "同一批次中“任务编号” RW010 出现多次且内容不同 (key repeated in the batch with different content)",
        ),
        14: (
            "task_id",
            "key_conflict",
            "同一批次中“任务编号” RW010 出现多次且内容不同 (key repeated in the batch with different content)",
        ),
        16: (
            "assigned_date",
            "implausible_date",
            "“下达日期”超出可能的日期范围（早于最早日期或晚于加载日期）：2031-01-01 "
            "(impossible date: before the earliest date or after the day of the load)",
        ),
        17: ("due_date", "invalid_date", "“截止日期”不是有效日期：2025-13-01 (invalid or impossible date)"),
        18: ("content", "missing_required", "必填项“任务内容”为空 (required value missing)"),
    }


def test_the_load_report_counts_the_task_list_and_it_reconciles(loaded):
    db, result = loaded
    tasks = next(f for f in result.files if f.kind == "tasks")
    assert (tasks.rows_read, tasks.loaded, tasks.quarantined, tasks.unchanged) == (16, 5, 11, 0)
    ledger = query(db, "SELECT kind, rows_read, loaded, quarantined, unchanged FROM load_ledger WHERE kind = 'tasks'")
    assert ledger == [("tasks", 16, 5, 11, 0)]


def test_a_gbk_csv_updates_tasks_by_number_and_the_same_file_again_changes_nothing(loaded, tmp_path):
    db, _ = loaded
    update = [
        HEADER,
        ["10002", "ZB01", "开展主题党日活动", "组织生活", "2025-07-01", "2025-08-31", "2025-08-20"],  # completed now
        ["RW001", "ZB01", "组织党员参加环境整治", "服务群众", "2025-07-01", "2025/9/30", "2025年9月30日"],  # same
        ["RW015", "SQ01", "社区党委专题会议", "组织生活", "2025-08-01", "2025-09-30", ""],  # new
        ["RW016", "BDX8", "认领微心愿", "服务群众", "2025-08-01", "2025-09-30", ""],  # unknown org
    ]
    csv_file = write_csv(tmp_path / "更新" / "任务清单_更新.csv", update, encoding="gbk")
    result = load([csv_file], db)
    f = result.files[0]
    assert (f.kind, f.rows_read, f.loaded, f.unchanged, f.quarantined) == ("tasks", 4, 2, 1, 1)
    assert query(db, "SELECT completed_date FROM tasks WHERE task_id = '10002'") == [(dt.date(2025, 8, 20),)]
    assert query(db, "SELECT count(*) FROM tasks") == [(6,)]
    again = load([csv_file], db)
    assert again.files[0].status == "unchanged" and again.files[0].loaded == 0
    assert query(db, "SELECT count(*) FROM tasks") == [(6,)]


def test_a_task_of_an_unknown_org_loads_when_the_org_arrives(loaded, tmp_path):
    db, _ = loaded
    more = write_csv(
        tmp_path / "党组织信息_补充.csv", [*ORGS[:1], ["BDX9", "市交通集团党委", "报到单位党组织", "", ""]]
    )
    result = load([more], db)
    assert result.released == 1
    assert query(db, "SELECT org_id FROM tasks WHERE task_id = 'RW004'") == [("BDX9",)]
    assert 6 not in [row for row, *_ in quarantined(db, "tasks")]
