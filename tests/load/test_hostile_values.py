"""Hostile values (issue 19, cases 5, 6, 8, 16, 17): impossible dates and numbers too large for
any column are quarantined with a reason; a lost or replaced member key is refused before
anything is published; the published files are owner-only; a copy of a file in one batch
reconciles in the ledger, and the summary tells this batch's rows from retried old ones."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines import settings
from pipelines.engine.scores_db import scores_path
from pipelines.idnumber import check_digit
from pipelines.load.batch import LoadError, load
from pipelines.publish import publishing

ROOT = Path(__file__).resolve().parents[2]
ID_A = "33010619800101123" + check_digit("33010619800101123")
ID_B = "33010619900202456" + check_digit("33010619900202456")
GRIDS = "网格编码,网格名称,所属社区,所属街道,所属区县,户数,常住人口\n"
ROSTER = "姓名,公民身份号码,出生日期,人员类别,入党日期,党员类型,所在网格编码,党籍状态,数据日期\n"
SERVICES = "记录编号,公民身份号码,服务网格编码,服务日期,服务类别,服务时长,服务对象人数,群众评价\n"
ORGS = "组织编码,组织名称,组织类型,上级组织编码,所在网格编码\n"
MEETINGS = "会议编号,组织编码,会议类型,会议日期,应到人数,实到人数\n"
DEMANDS = "工单编号,网格编码,诉求类型,上报时间,办结时间,办结层级,满意度\n"


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def _base(folder: Path) -> Path:
    """One grid, one org and one member: what the other kinds refer to."""
    _write(folder, "grids.csv", GRIDS + "G001,一号网格,翠苑一区社区,翠苑街道,西湖区,300,900\n")
    _write(folder, "orgs.csv", ORGS + "O1,一号网格党支部,网格党支部,,G001\n")
    _write(folder, "roster.csv", ROSTER + f"张三,{ID_A},1980-01-01,正式党员,2001-07-01,社区党员,G001,正常,2025-06-30\n")
    return folder


def _q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _rules(db: Path, kind: str) -> dict[int, tuple[str, str]]:
    return {
        row: (field, rule)
        for row, field, rule in _q(db, "SELECT row, field, rule FROM quarantine WHERE kind = ?", [kind])
    }


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Case 5: dates no record can bear ------------------------------------------------------------


def test_impossible_dates_are_quarantined_in_every_dated_kind(tmp_path):
    folder = _base(tmp_path / "in")
    _write(
        folder,
        "services.csv",
        SERVICES
        + f"S1,{ID_A},G001,0001-01-01,环境整治,2,,5\n"
        + f"S2,{ID_A},G001,9999-12-31,环境整治,2,,5\n"
        + f"S3,{ID_A},G001,2099-06-01,环境整治,2,,5\n"
        + f"S4,{ID_A},G001,1921-06-30,环境整治,2,,5\n"
        + f"S5,{ID_A},G001,2025-03-05,环境整治,2,,5\n",
    )
    _write(
        folder,
        "roster2.csv",
        ROSTER
        + f"李四,{ID_B},1890-05-01,正式党员,2001-07-01,社区党员,G001,正常,2025-06-30\n"  # born too early
        + f"李四,{ID_B},1950-05-01,正式党员,1900-07-01,社区党员,G001,正常,2025-09-30\n"  # joined before 1921
        + f"李四,{ID_B},1950-05-01,正式党员,2001-07-01,社区党员,G001,正常,2099-12-31\n"  # snapshot ahead
        + f"李四,{ID_B},1915-05-01,正式党员,1945-07-01,社区党员,G001,正常,2025-12-31\n",  # old, possible
    )
    _write(
        folder,
        "demands.csv",
        DEMANDS
        + "D1,G001,环境卫生,9999-12-31 10:00,,,\n"
        + "D2,G001,环境卫生,2025-03-05 10:00,2099-06-01 10:00,社区,5\n"
        + "D3,G001,环境卫生,2025-03-05 10:00,2025-03-06 10:00,社区,5\n",
    )
    _write(folder, "meetings.csv", MEETINGS + "M1,O1,党课,1900-01-01,10,8\nM2,O1,党课,2025-03-05,10,8\n")
    db = tmp_path / "pbi.duckdb"
    load([folder], db)

    assert _rules(db, "services") == {r: ("service_date", "implausible_date") for r in (2, 3, 4, 5)}
    assert _q(db, "SELECT record_id, service_date FROM services") == [("S5", dt.date(2025, 3, 5))]
    assert _rules(db, "members") == {
        2: ("birth_date", "implausible_date"),
        3: ("join_date", "implausible_date"),
        4: ("as_of", "implausible_date"),
    }
    assert _rules(db, "demands") == {2: ("reported_at", "implausible_date"), 3: ("resolved_at", "implausible_date")}
    assert _rules(db, "meetings") == {2: ("meeting_date", "implausible_date")}
    reason = _q(db, "SELECT reason FROM quarantine WHERE kind = 'services' AND row = 3")[0][0]
    assert "服务日期" in reason and "9999-12-31" in reason and "after the day of the load" in reason


def test_a_join_date_after_the_snapshot_stays_a_future_date(tmp_path):
    """The snapshot bound and the window are one macro; a date after the snapshot keeps its reason."""
    folder = _base(tmp_path / "in")
    _write(
        folder, "roster2.csv", ROSTER + f"李四,{ID_B},1950-05-01,正式党员,2025-08-01,社区党员,G001,正常,2025-06-30\n"
    )
    db = tmp_path / "pbi.duckdb"
    load([folder], db)
    assert _rules(db, "members") == {2: ("join_date", "future_date")}


@pytest.mark.slow
def test_the_latest_date_is_the_load_day_or_a_later_as_of(tmp_path):
    folder = _base(tmp_path / "in")
    ahead = dt.date.today() + dt.timedelta(days=20)
    _write(folder, "services.csv", SERVICES + f"S1,{ID_A},G001,{ahead.isoformat()},环境整治,2,,5\n")
    db = tmp_path / "pbi.duckdb"
    load([folder], db)
    assert _rules(db, "services") == {2: ("service_date", "implausible_date")}
    other = tmp_path / "other.duckdb"
    load([folder], other, as_of=ahead)  # a snapshot dated ahead on purpose widens the window to it
    assert _q(other, "SELECT record_id FROM services") == [("S1",)]


# Case 6: numbers too large for any column ------------------------------------------------------

TWENTY = "12345678901234567890"


def test_twenty_digit_numbers_are_quarantined_not_a_traceback(tmp_path):
    folder = tmp_path / "in"
    _write(
        folder,
        "grids.csv",
        GRIDS
        + "G001,一号网格,翠苑一区社区,翠苑街道,西湖区,300,900\n"
        + f"G002,二号网格,翠苑一区社区,翠苑街道,西湖区,{TWENTY},900\n"
        + f"G003,三号网格,翠苑一区社区,翠苑街道,西湖区,300,{TWENTY}\n"
        + "G004,四号网格,翠苑一区社区,翠苑街道,西湖区,100001,900\n",
    )
    _write(folder, "orgs.csv", ORGS + "O1,一号网格党支部,网格党支部,,G001\n")
    _write(folder, "roster.csv", ROSTER + f"张三,{ID_A},1980-01-01,正式党员,2001-07-01,社区党员,G001,正常,2025-06-30\n")
    _write(
        folder,
        "services.csv",
        SERVICES
        + f"S1,{ID_A},G001,2025-03-05,环境整治,2,,{TWENTY}\n"
        + f"S2,{ID_A},G001,2025-03-05,环境整治,2,{TWENTY},5\n"
        + f"S3,{ID_A},G001,2025-03-05,环境整治,{TWENTY},3,5\n"
        + f"S4,{ID_A},G001,2025-03-05,环境整治,2,3,5\n",
    )
    _write(folder, "demands.csv", DEMANDS + f"D1,G001,环境卫生,2025-03-05 10:00,2025-03-06 10:00,社区,{TWENTY}\n")
    _write(folder, "meetings.csv", MEETINGS + f"M1,O1,党课,2025-03-05,{TWENTY},8\nM2,O1,党课,2025-03-05,10,{TWENTY}\n")
    db = tmp_path / "pbi.duckdb"
    load([folder], db)  # no ConversionException
    assert _rules(db, "grids") == {
        3: ("households", "number_out_of_range"),
        4: ("residents", "number_out_of_range"),
        5: ("households", "number_out_of_range"),
    }
    assert _rules(db, "services") == {
        2: ("rating", "rating_out_of_range"),
        3: ("beneficiaries", "number_out_of_range"),
        4: ("hours", "hours_out_of_range"),
    }
    assert _rules(db, "demands") == {2: ("satisfaction", "rating_out_of_range")}
    assert _rules(db, "meetings") == {2: ("expected", "number_out_of_range"), 3: ("attended", "number_out_of_range")}
    assert _q(db, "SELECT record_id FROM services") == [("S4",)]
    reason = _q(db, "SELECT reason FROM quarantine WHERE kind = 'grids' AND row = 3")[0][0]
    assert "户数" in reason and TWENTY in reason and "out of range" in reason


# Case 8: the member key -----------------------------------------------------------------------


@pytest.fixture
def own_key(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "secrets" / "member-key"
    monkeypatch.setenv(settings.SECRET_KEY_FILE.name, str(path))
    return path


def test_the_warehouse_records_a_fingerprint_never_the_key(tmp_path, own_key):
    db = tmp_path / "pbi.duckdb"
    load([_base(tmp_path / "in")], db)
    key = own_key.read_text().strip()
    (fingerprint, batch), *more = _q(db, "SELECT fingerprint, batch_id FROM member_key_check")
    assert not more and batch == 1 and len(fingerprint) == 64
    assert key not in fingerprint and key not in str(_q(db, "SELECT * FROM member_key_check"))


def test_a_lost_key_is_refused_not_replaced(tmp_path, own_key):
    db = tmp_path / "pbi.duckdb"
    load([_base(tmp_path / "in")], db)
    before = _digest(db)
    own_key.unlink()
    later = _write(tmp_path / "later", "services.csv", SERVICES + f"S1,{ID_A},G001,2025-03-05,环境整治,2,,5\n")
    with pytest.raises(LoadError) as refused:
        load([later], db)
    message = str(refused.value)
    assert str(own_key) in message and settings.SECRET_KEY_FILE.name in message and "backup" in message
    assert not own_key.exists()  # no new key made silently
    assert _digest(db) == before


@pytest.mark.slow
def test_another_key_is_refused_and_the_right_one_loads_again(tmp_path, own_key):
    db = tmp_path / "pbi.duckdb"
    load([_base(tmp_path / "in")], db)
    before, original = _digest(db), own_key.read_text()
    own_key.write_text("f" * 64)
    later = _write(tmp_path / "later", "services.csv", SERVICES + f"S1,{ID_A},G001,2025-03-05,环境整治,2,,5\n")
    with pytest.raises(LoadError, match="does not match"):
        load([later], db)
    assert _digest(db) == before
    own_key.write_text(original)  # restored from the backup
    result = load([later], db)
    assert result.files[0].loaded == 1  # the known member is known still


def test_a_warehouse_without_a_fingerprint_adopts_the_current_key(tmp_path, own_key):
    db = tmp_path / "pbi.duckdb"
    load([_base(tmp_path / "in")], db)
    with duckdb.connect(str(db)) as con:  # as an older version left it
        con.execute("DROP TABLE member_key_check")
    later = _write(tmp_path / "later", "services.csv", SERVICES + f"S1,{ID_A},G001,2025-03-05,环境整治,2,,5\n")
    result = load([later], db)
    assert any("adopt" in n or "records the current key" in n for n in result.notices)
    assert len(_q(db, "SELECT * FROM member_key_check")) == 1
    own_key.write_text("e" * 64)
    with pytest.raises(LoadError):
        load([_write(tmp_path / "third", "s.csv", SERVICES + f"S2,{ID_A},G001,2025-03-05,环境整治,2,,5\n")], db)


# Case 16: owner-only files ----------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_warehouse_is_owner_only_and_an_older_wide_one_is_narrowed(tmp_path):
    db = tmp_path / "pbi.duckdb"
    old = os.umask(0o022)
    try:
        load([_base(tmp_path / "in")], db)
        assert _mode(db) == 0o600
        os.chmod(db, 0o644)  # as an older version published it
        load([_write(tmp_path / "later", "s.csv", SERVICES + f"S1,{ID_A},G001,2025-03-05,环境整治,2,,5\n")], db)
        assert _mode(db) == 0o600
        assert os.umask(0o022) == 0o022  # the process's umask is given back
    finally:
        os.umask(old)


def test_a_results_database_made_under_publishing_is_owner_only(tmp_path):
    """compute publishes pbi.scores.duckdb through publishing(): DuckDB creates it there."""
    target = scores_path(tmp_path / "pbi.duckdb")
    old = os.umask(0o022)
    try:
        with publishing(target) as building, duckdb.connect(str(building)) as con:
            con.execute("CREATE TABLE runs (run_id INTEGER)")
            assert _mode(building) == 0o600
    finally:
        os.umask(old)
    assert _mode(target) == 0o600


@pytest.mark.slow
def test_cli_exports_are_owner_only(tmp_path):
    db = tmp_path / "pbi.duckdb"
    folder = _base(tmp_path / "in")
    _write(folder, "services.csv", SERVICES + f"S1,{ID_B},G001,2025-03-05,环境整治,2,,5\n")  # unknown member
    load([folder], db)
    out = tmp_path / "out" / "quarantine.csv"
    out.parent.mkdir()
    out.write_text("old")
    os.chmod(out, 0o644)
    env = dict(os.environ)
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "export", "quarantine", "--db", str(db), "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert _mode(out) == 0o600
    assert out.read_bytes().startswith(b"\xef\xbb\xbffile,row,")


# Case 17: a copy of a file in one batch; this batch's reasons ---------------------------------------


@pytest.mark.slow
def test_a_copy_in_one_batch_reconciles_in_the_ledger(tmp_path):
    folder = _base(tmp_path / "in")
    text = SERVICES + f"S1,{ID_A},G001,2025-03-05,环境整治,2,,5\nS2,{ID_A},G001,2025-03-06,环境整治,2,,9\n"
    _write(folder, "services.csv", text)
    _write(folder, "services_copy.csv", text)
    db = tmp_path / "pbi.duckdb"
    result = load([folder], db)
    copy = next(f for f in result.files if f.file == "services_copy.csv")
    assert (copy.kind, copy.rows_read, copy.loaded, copy.quarantined, copy.unchanged) == ("services", 2, 0, 0, 2)
    ledger = {
        r[0]: r[1:]
        for r in _q(db, "SELECT file_name, rows_read, loaded, quarantined, unchanged, status FROM load_ledger")
    }
    assert ledger["services.csv"] == (2, 1, 1, 0, "loaded")
    assert ledger["services_copy.csv"] == (2, 0, 0, 2, "duplicate_file")
    for read, loaded, quarantined, unchanged, _status in ledger.values():
        assert read == loaded + quarantined + unchanged
    # The copy and its original again in a later batch: a ledger row each, no key clash.
    again = load([folder / "services.csv", folder / "services_copy.csv"], db)
    assert [f.status for f in again.files] == ["unchanged", "duplicate_file"]
    assert len(_q(db, "SELECT * FROM load_ledger WHERE batch_id = 2")) == 2


def test_top_reasons_are_this_batchs_rows_and_retried_ones_are_counted_apart(tmp_path):
    db = tmp_path / "pbi.duckdb"
    first = _base(tmp_path / "in")
    _write(first, "services.csv", SERVICES + f"S1,{ID_B},G001,2025-03-05,环境整治,2,,5\n")  # unknown member
    load([first], db)
    later = _write(tmp_path / "later", "s.csv", SERVICES + f"S2,{ID_A},G001,2025-03-05,环境整治,30,,5\n")
    result = load([later], db)
    reasons = [reason for reason, _n in result.top_reasons]
    assert reasons == ["服务时长应大于0且不超过24小时 (hours out of range (0, 24])"]
    assert result.retried_still == 1
