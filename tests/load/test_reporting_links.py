"""双报到 links (data contract v1.1): a roster's reporting org (header 报到单位组织编码, alias
报到单位党组织编码) must be a known org of type 报到单位党组织; a demand's claiming org
(认领单位组织编码) a known org. Empty is NULL; each fault is quarantined with its reason and
retried when the org arrives. v1 files without the columns load as before, and a warehouse
published before v1.1 is brought up to date without its rows counting as changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.load.batch import load
from tests.load.v11_files import GRIDS, ORGS, ident, quarantined, query, reference, write_csv, write_xlsx

ROSTER = ["姓名", "公民身份号码", "人员类别", "党员类型", "所在网格编码", "党籍状态", "数据日期"]
MEMBERS = [  # file rows 3.. under a title row, with the reporting org after them
    (["张三", ident(1), "正式党员", "在职报到党员", "G001", "正常", "2025-09-30"], "BD01"),  # 3 ok
    (["李四", ident(2), "正式党员", "在职报到党员", "G001", "正常", "2025-09-30"], None),  # 4 ok, no link
    (["王五", ident(3), "正式党员", "在职报到党员", "G001", "正常", "2025-09-30"], "BDX9"),  # 5 unknown org
    (["赵六", ident(4), "预备党员", "在职报到党员", "G001", "正常", "2025-09-30"], "ZB01"),  # 6 not a reporting org
    (["钱七", ident(5), "正式党员", "社区党员", "G002", "正常", "2025-09-30"], " BD02 "),  # 7 ok, trimmed
]
DEMANDS = ["工单编号", "网格编码", "诉求类型", "上报时间", "认领人身份号码", "办结时间", "办结层级", "满意度"]
TICKETS = [  # file rows 2.., the claiming org after them
    (["GD1", "G001", "环境卫生", "2025-08-01 09:30", ident(1), "2025-08-02 10:00", "网格", "5"], "BD01"),  # ok
    (["GD2", "G001", "微心愿", "2025-08-03 10:00", "", "2025-08-05 16:00", "社区", "4"], "ZB01"),  # ok: any org
    (["GD3", "G002", "设施维修", "2025-08-04 08:00", "", "", "", ""], "BDX9"),  # 4 unknown org
    (["GD4", "G002", "邻里纠纷", "2025-08-06 14:00", ident(5), "", "", ""], ""),  # ok, no org
]
V1_TABLES = {
    "grids", "grid_registry", "grid_geometry", "orgs", "members", "member_registry", "services", "demands",
    "meetings", "load_batches", "load_files", "load_ledger", "quarantine", "member_key_check", "unit_geometry",
}  # fmt: skip


def _roster(folder: Path, header: str | None = "报到单位党组织编码") -> Path:
    rows = [ROSTER + ([header] if header else [])]
    rows += [values + ([org] if header else []) for values, org in MEMBERS]
    return write_xlsx(
        folder / "党员花名册" / "翠苑一区社区党员花名册.xlsx", rows, "翠苑一区社区党员花名册（2025年9月）"
    )


def _demands(folder: Path, with_org: bool = True) -> Path:
    rows = [DEMANDS + (["认领单位组织编码"] if with_org else [])]
    rows += [values + ([org] if with_org else []) for values, org in TICKETS]
    return write_csv(folder / "群众诉求" / "诉求工单_2025年第三季度.csv", rows, encoding="gbk")


@pytest.fixture()
def linked(tmp_path) -> Path:
    folder = tmp_path / "exports"
    reference(folder)
    _roster(folder)
    _demands(folder)
    db = tmp_path / "pbi.duckdb"
    load([folder], db)
    return db


def test_a_roster_links_members_to_reporting_orgs_under_the_alias(linked):
    got = query(linked, "SELECT name, reporting_org_id FROM members ORDER BY name")
    assert sorted(got) == sorted([("张三", "BD01"), ("李四", None), ("钱七", "BD02")])


def test_a_reporting_org_unknown_or_of_another_type_is_quarantined_with_its_reason(linked):
    assert quarantined(linked, "members") == [
        (5, "reporting_org_id", "unknown_org", "未知组织编码 BDX9 (unknown org)"),
        (
            6,
            "reporting_org_id",
            "not_reporting_org",
            "“报到单位组织编码” ZB01 不是报到单位党组织 (org is not a reporting unit's Party organisation)",
        ),
    ]
    assert query(linked, "SELECT header, value FROM quarantine WHERE kind = 'members' ORDER BY row") == [
        ("报到单位组织编码", "BDX9"),
        ("报到单位组织编码", "ZB01"),
    ]


def test_a_demand_names_the_org_that_claimed_it(linked):
    got = query(linked, "SELECT ticket_id, claimed_by_org, claimed_by_no IS NOT NULL FROM demands ORDER BY 1")
    assert got == [("GD1", "BD01", True), ("GD2", "ZB01", False), ("GD4", None, True)]
    assert quarantined(linked, "demands") == [(4, "claimed_by_org", "unknown_org", "未知组织编码 BDX9 (unknown org)")]


def test_links_to_an_org_quarantined_for_want_of_it_load_when_it_arrives(linked, tmp_path):
    more = write_csv(tmp_path / "补充组织.csv", [ORGS[0], ["BDX9", "市交通集团党委", "报到单位党组织", "", ""]])
    result = load([more], linked)
    assert result.released == 2  # 王五 and GD3; 赵六's org is still a branch
    assert query(linked, "SELECT reporting_org_id FROM members WHERE name = '王五'") == [("BDX9",)]
    assert query(linked, "SELECT claimed_by_org FROM demands WHERE ticket_id = 'GD3'") == [("BDX9",)]
    assert [rule for _, _, rule, _ in quarantined(linked, "members")] == ["not_reporting_org"]


def _v1_warehouse(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "v1"
    reference(folder)
    _roster(folder, header=None)
    _demands(folder, with_org=False)
    db = tmp_path / "v1.duckdb"
    result = load([folder], db)
    assert [(f.kind, f.loaded, f.quarantined) for f in result.files if f.kind in ("members", "demands")] == [
        ("members", 5, 0),
        ("demands", 4, 0),
    ]
    return folder, db


def test_v1_files_load_as_before_and_the_task_table_is_there_empty(tmp_path):
    _, db = _v1_warehouse(tmp_path)
    tables = {t for (t,) in query(db, "SELECT table_name FROM duckdb_tables()")}
    assert tables == V1_TABLES | {"tasks"}
    assert query(db, "SELECT count(*) FROM tasks") == [(0,)]
    assert query(db, "SELECT count(*), count(reporting_org_id) FROM members") == [(5, 0)]
    assert query(db, "SELECT count(*), count(claimed_by_org) FROM demands") == [(4, 0)]
    assert query(db, "SELECT count(*) FROM quarantine") == [(0,)]


def test_a_warehouse_published_before_v1_1_is_brought_up_to_date(tmp_path):
    folder, db = _v1_warehouse(tmp_path)
    # As the loader before v1.1 left it: no new columns, no task table, v1 content hashes.
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE members DROP COLUMN reporting_org_id")
        con.execute("ALTER TABLE demands DROP COLUMN claimed_by_org")
        con.execute("DROP TABLE tasks")
        con.execute(
            "UPDATE members SET _content = hash(as_of, member_key, id_masked, name, gender, ethnicity, birth_date, "
            "education, member_category, join_date, full_member_date, branch, member_type, grid_id, employer, "
            "phone_masked, status)"
        )
        con.execute(
            "UPDATE demands SET _content = hash(ticket_id, grid_id, category, reported_at, claimed_by_key, "
            "resolved_at, resolved_level, satisfaction, description)"
        )
    # The same rows again in other files (a roster saved as CSV, demands with one more line).
    roster = write_csv(tmp_path / "again" / "roster.csv", [ROSTER, *[v for v, _ in MEMBERS]])
    demands = shutil.copy(folder / "群众诉求" / "诉求工单_2025年第三季度.csv", tmp_path / "again" / "demands.csv")
    with open(demands, "ab") as f:
        f.write("GD5,G001,环境卫生,2025-09-01 09:00,,,,\n".encode("gbk"))
    result = load([roster, Path(demands)], db)
    assert [(f.kind, f.loaded, f.unchanged, f.quarantined) for f in result.files] == [
        ("members", 0, 5, 0),
        ("demands", 1, 4, 0),
    ]
    assert query(db, "SELECT count(*), count(reporting_org_id) FROM members") == [(5, 0)]
    assert query(db, "SELECT count(*) FROM tasks") == [(0,)]


def test_an_empty_reporting_org_needs_no_org_at_all(tmp_path):
    """Before any org is loaded, a roster and demands whose new columns are empty load whole."""
    folder = tmp_path / "no-orgs"
    write_csv(folder / "网格台账.csv", GRIDS)
    rows = [[*ROSTER, "报到单位组织编码"], *[[*values, ""] for values, _ in MEMBERS]]
    write_xlsx(folder / "roster.xlsx", rows)
    tickets = [[*DEMANDS, "认领单位组织编码"], *[[*values, ""] for values, _ in TICKETS]]
    write_csv(folder / "demands.csv", tickets, encoding="gbk")
    db = tmp_path / "pbi.duckdb"
    result = load([folder], db)
    assert {f.kind: (f.loaded, f.quarantined) for f in result.files} == {
        "grids": (2, 0),
        "members": (5, 0),
        "demands": (4, 0),
    }
