"""Files as users really have them: GBK CSV with title rows, .xls, full-width headers and
digits, header aliases, required marks, every accepted date form, Excel date cells."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pytest
import xlwt

from pipelines.idnumber import check_digit
from pipelines.load.batch import load


def _id(first17: str) -> str:
    return first17 + check_digit(first17)


ID_A = _id("33010619800101123")
ID_B = _id("11010519491231002")  # ends in X: written lower-case below


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("formats")
    # Grids: GBK, a title row, full-width header space, a required mark, full-width digits.
    (d / "grids.csv").write_bytes(
        (
            "西湖区网格台账（2025年）,,,,,\n"
            "网格编码　,网格名称,所属社区,所属街道,所属区县,户数*\n"
            "G001,一号网格,翠苑一区社区,翠苑街道,西湖区,５９５\n"
            "G002,二号网格,翠苑一区社区,翠苑街道,西湖区, 300 \n"
        ).encode("gbk")
    )
    # Orgs: a real .xls with a title row.
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("党组织")
    ws.write(0, 0, "党组织信息")
    for j, h in enumerate(["组织编码", "组织名称", "组织类型", "上级组织编码", "所在网格编码"]):
        ws.write(1, j, h)
    for i, row in enumerate(
        [["DW1", "翠苑一区社区党委", "社区党委", "", ""], ["ZB1", "一号网格党支部", "网格党支部", "DW1", "G001"]],
        start=2,
    ):
        for j, v in enumerate(row):
            ws.write(i, j, v)
    wb.save(str(d / "orgs.xls"))
    # Roster: GBK CSV, alias 身份证号, no 数据日期 column (the --as-of date applies), lower-case x.
    (d / "roster.csv").write_bytes(
        (
            "姓名,身份证号,人员类别,党员类型,所在网格编码,党籍状态,手机号码,入党日期\n"
            f"张三,{ID_A},正式党员,社区党员,G001,正常,13812345678,2001年7月1日\n"
            f"李四,{ID_B.lower()},预备党员,离退休党员,G002,正常,,2025.3.5\n"
        ).encode("gbk")
    )
    # Services: UTF-8 without BOM; dates compact, dotted and as an Excel serial.
    (d / "services.csv").write_text(
        "记录编号,公民身份号码,服务网格编码,服务日期,服务类别,服务时长,群众评价\n"
        f"S1,{ID_A},G001,20250305,环境整治,2,5\n"
        f"S2,{ID_A},G001,2025.3.6,政策宣传,1.5,\n"
        f"S3,{ID_B},G002,45723,困难帮助,３,4\n",
        encoding="utf-8",
    )
    # Demands: date-times in several forms.
    (d / "demands.csv").write_text(
        "工单编号,网格编码,诉求类型,上报时间,认领人身份号码,办结时间,办结层级,满意度\n"
        f"D1,G001,设施维修,2025/3/5 14:30,{ID_A},2025-03-06 09:00:00,网格,5\n"
        "D2,G002,环境卫生,2025年3月7日 08:05,,,,\n",
        encoding="utf-8-sig",
    )
    # Meetings: xlsx with real date cells below a title row.
    wbx = openpyxl.Workbook()
    wsx = wbx.active
    wsx.append(["三会一课记录"])
    wsx.append(["会议编号", "组织编码", "会议类型", "会议日期", "应到人数", "实到人数"])
    wsx.append(["M1", "ZB1", "主题党日", dt.date(2025, 3, 15), 20, 18])
    wbx.save(d / "meetings.xlsx")
    return d


@pytest.fixture(scope="module")
def db(folder, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("db") / "pbi.duckdb"
    result = load([folder], path, as_of=dt.date(2025, 6, 30))
    assert {f.kind for f in result.files} == {"grids", "orgs", "members", "services", "demands", "meetings"}
    assert all(f.quarantined == 0 for f in result.files), [(f.file, f.quarantined) for f in result.files]
    return path


def _q(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_title_rows_full_width_and_marks(db):
    assert _q(db, "SELECT grid_id, households FROM grids ORDER BY 1") == [("G001", 595), ("G002", 300)]


def test_xls_orgs(db):
    assert _q(db, "SELECT org_id, org_type, grid_id FROM orgs ORDER BY 1") == [
        ("DW1", "社区党委", None),
        ("ZB1", "网格党支部", "G001"),
    ]


def test_roster_alias_as_of_and_masks(db):
    rows = _q(db, "SELECT name, id_masked, as_of, join_date, phone_masked FROM members ORDER BY name")
    assert rows == [
        ("张三", ID_A[:6] + "********" + ID_A[-4:], dt.date(2025, 6, 30), dt.date(2001, 7, 1), "138****5678"),
        ("李四", ID_B[:6] + "********" + ID_B[-4:], dt.date(2025, 6, 30), dt.date(2025, 3, 5), None),
    ]


def test_dates_numbers_and_member_links(db):
    rows = _q(
        db,
        "SELECT s.record_id, s.service_date, s.hours, m.name FROM services s "
        "JOIN members m USING (member_key) ORDER BY 1",
    )
    assert rows == [
        ("S1", dt.date(2025, 3, 5), 2.0, "张三"),
        ("S2", dt.date(2025, 3, 6), 1.5, "张三"),
        ("S3", dt.date(2025, 3, 7), 3.0, "李四"),
    ]


def test_datetimes(db):
    assert _q(db, "SELECT ticket_id, reported_at, resolved_at, resolved_level FROM demands ORDER BY 1") == [
        ("D1", dt.datetime(2025, 3, 5, 14, 30), dt.datetime(2025, 3, 6, 9, 0), "网格"),
        ("D2", dt.datetime(2025, 3, 7, 8, 5), None, None),
    ]


def test_excel_date_cells(db):
    assert _q(db, "SELECT meeting_id, meeting_date, expected, attended FROM meetings") == [
        ("M1", dt.date(2025, 3, 15), 20, 18)
    ]


def test_forced_kind_and_user_aliases(tmp_path, monkeypatch):
    extra = tmp_path / "extra.toml"
    extra.write_text('[kinds.grids.columns.households]\naliases = ["住户数"]\n', encoding="utf-8")
    monkeypatch.setenv("PBI_CONTRACT_EXTRA", str(extra))
    f = tmp_path / "g.csv"
    f.write_text(
        "网格编码,网格名称,所属社区,所属街道,所属区县,住户数\nG9,九号,甲社区,乙街道,丙区,10\n", encoding="utf-8"
    )
    load([f], tmp_path / "x.duckdb", kind="grids")
    assert _q(tmp_path / "x.duckdb", "SELECT grid_id, households FROM grids") == [("G9", 10)]


def test_roster_conflict_shows_the_masked_id(folder, tmp_path):
    db = tmp_path / "c.duckdb"
    load([folder / "grids.csv"], db)
    header = "姓名,公民身份号码,人员类别,党员类型,所在网格编码,党籍状态,数据日期\n"
    (tmp_path / "a.csv").write_text(header + f"张三,{ID_A},正式党员,社区党员,G001,正常,2025-06-30\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(header + f"张三,{ID_A},正式党员,社区党员,G002,正常,2025-06-30\n", encoding="utf-8")
    load([tmp_path / "a.csv", tmp_path / "b.csv"], db)
    masked = ID_A[:6] + "********" + ID_A[-4:]
    rows = _q(db, "SELECT header, value, rule, reason FROM quarantine ORDER BY file_id")
    assert [r[:3] for r in rows] == [("公民身份号码", masked, "key_conflict")] * 2
    assert (
        rows[0][3]
        == f"同一批次中“公民身份号码” {masked} 出现多次且内容不同 (key repeated in the batch with different content)"
    )
    assert _q(db, "SELECT count(*) FROM members") == [(0,)]
