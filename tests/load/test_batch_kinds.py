"""A batch touches only what it brings: a kind with no file in the batch and nothing to
retry is not re-run (issue #14, the incremental load), yet what later kinds check against it
is the same, and a kind with quarantined rows is still retried. A GB18030 file's control
characters are found while it is transcoded (staging does not read it again)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.idnumber import check_digit
from pipelines.load import reading
from pipelines.load.batch import load

ID_A = "33010619800101123" + check_digit("33010619800101123")
ID_B = "33010619900202456" + check_digit("33010619900202456")
ROSTER = "姓名,公民身份号码,人员类别,党员类型,所在网格编码,党籍状态,数据日期\n"
SERVICES = "记录编号,公民身份号码,服务网格编码,服务日期,服务类别,服务时长,群众评价\n"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def _first_batch(tmp_path: Path) -> Path:
    d = tmp_path / "first"
    _write(
        d / "grids.csv",
        "网格编码,网格名称,所属社区,所属街道,所属区县,户数\nG001,一号网格,翠苑一区社区,翠苑街道,西湖区,300\n",
    )
    _write(d / "roster.csv", f"{ROSTER}张三,{ID_A},正式党员,社区党员,G001,正常,2025-06-30\n")
    _write(d / "services.csv", f"{SERVICES}S1,{ID_A},G001,2025-03-05,环境整治,2,5\n")
    return d


def _snapshot(db: Path) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("grids", "members", "member_registry", "grid_registry", "orgs")
        } | {"quarantine": con.execute("SELECT file_id, row, kind, rule FROM quarantine ORDER BY ALL").fetchall()}


def test_a_batch_of_services_checks_against_the_published_members_and_leaves_the_rest(tmp_path):
    db = tmp_path / "pbi.duckdb"
    load([_first_batch(tmp_path)], db)
    before = _snapshot(db)
    later = _write(
        tmp_path / "later" / "services_h2.csv",
        f"{SERVICES}S2,{ID_A},G001,2025-08-05,环境整治,2,5\nS3,{ID_B},G001,2025-08-06,环境整治,1,4\n"
        f"S4,{ID_A},G999,2025-08-07,环境整治,1,4\n",
    )
    result = load([later], db)
    assert (result.files[0].loaded, result.files[0].quarantined) == (1, 2)
    after = _snapshot(db)
    with duckdb.connect(str(db), read_only=True) as con:
        services = con.execute("SELECT record_id, member_no FROM services ORDER BY 1").fetchall()
        rules = con.execute("SELECT row, rule FROM quarantine WHERE kind = 'services' ORDER BY row").fetchall()
    assert services == [("S1", 1), ("S2", 1)]  # the published member, by its registry number
    assert rules == [(3, "unknown_member"), (4, "unknown_grid")]
    assert {k: v for k, v in after.items() if k != "quarantine"} == {
        k: v for k, v in before.items() if k != "quarantine"
    }


def test_a_kind_with_quarantined_rows_is_retried_when_another_kind_brings_what_they_lacked(tmp_path):
    db = tmp_path / "pbi.duckdb"
    first = _first_batch(tmp_path)
    _write(
        first / "services.csv",
        f"{SERVICES}S1,{ID_A},G001,2025-03-05,环境整治,2,5\nS2,{ID_B},G001,2025-03-06,环境整治,1,4\n",
    )
    load([first], db)
    assert _snapshot(db)["quarantine"][0][2:] == ("services", "unknown_member")
    roster = _write(
        tmp_path / "later" / "roster_b.csv", f"{ROSTER}李四,{ID_B},正式党员,社区党员,G001,正常,2025-09-30\n"
    )
    result = load([roster], db)  # no services file: the quarantined service is retried all the same
    assert result.released == 1
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT record_id FROM services ORDER BY 1").fetchall() == [("S1",), ("S2",)]
        assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]


def test_the_transcode_says_whether_it_met_a_control_character(tmp_path):
    clean = _write(tmp_path / "clean.csv", f"{SERVICES}S1,{ID_A},G001,2025-03-05,环境整治,2,5\n", "gb18030")
    c0 = _write(tmp_path / "c0.csv", f"{SERVICES}S1,{ID_A},G001,2025-03-05,环境\x07整治,2,5\n", "gb18030")
    c1 = _write(tmp_path / "c1.csv", f"{SERVICES}S1,{ID_A},G001,2025-03-05,环境\x85整治,2,5\n", "gb18030")
    out = tmp_path / "out.csv"
    assert reading.transcode(clean, "gb18030", out) is False
    assert out.read_text(encoding="utf-8").endswith("环境整治,2,5\n")
    assert reading.transcode(c0, "gb18030", out) is True
    assert reading.transcode(c1, "gb18030", out) is True
    assert reading.transcode(c1, "gb18030", out, scan=False) is False  # the baseline's read: no scan


def test_control_characters_of_a_gb18030_file_are_not_stored(tmp_path):
    db = tmp_path / "pbi.duckdb"
    first = _first_batch(tmp_path)
    _write(first / "services.csv", f"{SERVICES}S1,{ID_A},G001,2025-03-05,环境\x07整治\x85,2,5\n", "gb18030")
    load([first], db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT category FROM services").fetchall() == [("环境整治",)]


def test_a_tab_before_an_id_number_is_trimmed_and_the_row_loads(tmp_path):
    """Exports put a tab before an ID number so that Excel keeps it as text; the ASCII fast path
    of pbi_clean once kept that tab, and the row was quarantined as a bad ID."""
    db = tmp_path / "pbi.duckdb"
    first = _first_batch(tmp_path)
    _write(first / "services.csv", f"{SERVICES}S1,\t{ID_A},G001\t,2025-03-05,环境整治,2,5\n", "gb18030")
    load([first], db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT record_id, grid_id FROM services").fetchall() == [("S1", "G001")]
        assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]
