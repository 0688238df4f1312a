"""The loader on real generated files: every injected fault is caught with the right rule and
nothing else, files reconcile, loads are idempotent, updates update, failures publish nothing."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.load.batch import LoadError, load
from tests.load.contract_check import read_csv, read_xlsx

ROOT = Path(__file__).resolve().parents[2]
# The generator's fault codes where they differ from the rule that catches them (a date Excel
# showed as ######## is unreadable; a task number given twice with other content conflicts).
RULE_FOR_FAULT = {
    "impossible_date": "invalid_date",
    "excel_mangled_date": "invalid_date",
    "duplicate_task_id": "key_conflict",
}


def _q(db: Path, sql: str, params=None):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _digest(db: Path) -> dict[str, str]:
    """Content of every data table (order-independent), for 'nothing changed' checks."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal").fetchall():
            if t in ("load_ledger", "load_batches"):
                continue
            cols = [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall() if r[0] not in ("_batch_id", "last_batch")]
            out[t] = str(con.execute(f"SELECT count(*), sum(hash({', '.join(cols)})) FROM {t}").fetchall())
    return out


@pytest.fixture(scope="module")
def loaded(small_default, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("warehouse") / "pbi.duckdb"
    result = load([small_default], db)
    assert result.published
    return db


def test_every_injected_fault_is_quarantined_with_its_rule_and_nothing_else(loaded, small_default):
    manifest = pd.read_csv(small_default / "_generator/faults.csv", dtype={"value": str})
    expected = {
        (Path(f).name, r, RULE_FOR_FAULT.get(x, x))
        for f, r, x in zip(manifest["file"], manifest["row"], manifest["fault"], strict=True)
    }
    got = set(_q(loaded, "SELECT f.file_name, q.row, q.rule FROM quarantine q JOIN load_files f USING (file_id)"))
    assert got == expected
    assert len(expected) > 1000


def test_reasons_are_chinese_with_english(loaded):
    reasons = dict(_q(loaded, "SELECT rule, any_value(reason) FROM quarantine GROUP BY rule"))
    assert reasons["bad_check_digit"] == "公民身份号码校验位错误 (ID check digit invalid)"
    assert (
        reasons["excel_mangled_id"]
        == "身份证号已被Excel转换为科学计数法，精度已丢失 (ID number mangled into scientific notation by Excel)"
    )
    assert re.fullmatch(r"未知网格编码 \d{15} \(unknown grid\)", reasons["unknown_grid"])
    assert all(re.search(r"[\u4e00-\u9fff].* \([A-Za-z].*\)$", r) for r in reasons.values())


def _rows_in_file(path: Path) -> int:
    """Data rows as an independent reader counts them."""
    if path.suffix == ".xlsx":
        return len(read_xlsx(path)[1])
    if path.suffix == ".geojson":
        import json

        return len(json.loads(path.read_text(encoding="utf-8"))["features"])
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return len(read_csv(path, enc))
        except UnicodeDecodeError:
            continue
    raise AssertionError(path)


def test_every_file_reconciles(loaded, small_default):
    ledger = _q(
        loaded,
        "SELECT f.path, l.rows_read, l.loaded, l.quarantined, l.unchanged FROM load_ledger l "
        "JOIN load_files f USING (file_id) WHERE l.batch_id = 1",
    )
    data_files = [p for p in small_default.rglob("*") if p.is_file() and "_generator" not in p.parts]
    assert len(ledger) == len(data_files) and any("任务清单" in p.parts for p in data_files)
    for path, read, ok, bad, same in ledger:
        assert read == ok + bad + same, path
        assert read == _rows_in_file(Path(path)), path
    totals = dict(_q(loaded, "SELECT kind, sum(loaded) FROM load_ledger GROUP BY kind"))
    tables = {
        "grids": "grids",
        "geometry": "grid_geometry",
        "orgs": "orgs",
        "members": "members",
        "services": "services",
        "demands": "demands",
        "meetings": "meetings",
        "tasks": "tasks",
    }
    for kind, table in tables.items():
        assert _q(loaded, f"SELECT count(*) FROM {table}")[0][0] == totals[kind], kind


def test_keys_are_unique_in_every_table(loaded):
    for table, key in (
        ("services", "record_id"),
        ("demands", "ticket_id"),
        ("meetings", "meeting_id"),
        ("members", "as_of, member_key"),
        ("grids", "grid_id"),
        ("orgs", "org_id"),
        ("tasks", "task_id"),
    ):
        assert _q(loaded, f"SELECT count(*) - count(DISTINCT ({key})) FROM {table}")[0][0] == 0, table


def test_no_clear_id_number_is_stored(loaded, small_default):
    roster = read_xlsx(next((small_default / "党员花名册").glob("*.xlsx")))
    ids = [
        r[roster[0].index("公民身份号码")]
        for r in roster[1][:200]
        if isinstance(r[roster[0].index("公民身份号码")], str)
    ]
    raw = loaded.read_bytes()
    assert not any(i.encode() in raw for i in ids)
    masked = {m for (m,) in _q(loaded, "SELECT id_masked FROM members")}
    assert all(re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", m) for m in masked)
    phones = [p for (p,) in _q(loaded, "SELECT phone_masked FROM members WHERE phone_masked IS NOT NULL")]
    assert phones and all(re.fullmatch(r"1\d\d\*{4}\d{4}", p) for p in phones)
    # The staged rows kept for retry hold no clear ID either.
    staged = " ".join(s for (s,) in _q(loaded, "SELECT CAST(staged AS VARCHAR) FROM quarantine"))
    assert not re.search(r"(?<![0-9a-f])\d{17}[\dX](?![0-9a-f])", staged)  # not inside a hex key


def test_snapshots_and_dates(loaded):
    snaps = [d.isoformat() for (d,) in _q(loaded, "SELECT DISTINCT as_of FROM members ORDER BY 1")]
    assert snaps == ["2024-06-30", "2024-12-31", "2025-06-30", "2025-12-31"]
    # Every date form of the service files was read (one form per half year).
    per_half = _q(loaded, "SELECT year(service_date), quarter(service_date) > 2, count(*) FROM services GROUP BY ALL")
    assert len(per_half) == 4 and all(n > 10_000 for *_, n in per_half)
    assert _q(loaded, "SELECT count(*) FROM meetings WHERE meeting_date IS NULL")[0][0] == 0


def test_second_load_changes_nothing(loaded, small_default, tmp_path):
    db = tmp_path / "again.duckdb"
    shutil.copyfile(loaded, db)
    before = _digest(db)
    result = load([small_default], db)
    assert all(f.status == "unchanged" and f.loaded == 0 for f in result.files)
    assert result.released == 0 and result.superseded == 0
    assert _digest(db) == before
    for f in result.files:
        assert f.rows_read == f.quarantined + f.unchanged


def test_updated_export_updates_by_key(loaded, small_default, tmp_path):
    db = tmp_path / "updated.duckdb"
    shutil.copyfile(loaded, db)
    src = small_default / "服务记录/服务记录_2025年下半年.csv"
    lines = src.read_bytes().decode("gb18030").splitlines(keepends=True)
    fields = lines[5].split(",")
    record_id, old_hours = fields[0], fields[6]
    fields[6] = "7.5" if old_hours != "7.5" else "6"
    lines[5] = ",".join(fields)
    lines.append(lines[1].replace(lines[1].split(",")[0], "FW209900000001"))  # a new record
    new = tmp_path / "服务记录_2025年下半年_更新.csv"
    new.write_bytes("".join(lines).encode("gb18030"))
    result = load([new], db)
    f = result.files[0]
    assert (f.loaded, f.rows_read) == (2, len(lines) - 1)
    assert f.unchanged + f.quarantined + f.loaded == f.rows_read
    assert _q(db, "SELECT hours FROM services WHERE record_id = ?", [record_id])[0][0] == float(fields[6])
    assert _q(db, "SELECT count(*) FROM services WHERE record_id = 'FW209900000001'")[0][0] == 1


def test_a_broken_file_publishes_nothing(loaded, small_default, tmp_path):
    db = tmp_path / "broken.duckdb"
    shutil.copyfile(loaded, db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    good = tmp_path / "grids.csv"
    shutil.copyfile(small_default / "网格台账.csv", good)
    bad = tmp_path / "services.csv"
    bad.write_text("记录编号,服务网格编码,服务日期\nFW1,330106001001001,2025-01-01\n", encoding="utf-8")
    with pytest.raises(LoadError) as e:
        load([good, bad], db)
    message = str(e.value)
    assert "services.csv" in message and "公民身份号码" in message and "服务类别" in message and "服务时长" in message
    assert "记录编号、服务网格编码、服务日期" in message  # the headers found
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not list(tmp_path.glob(".broken.duckdb.building-*"))


def test_unknown_kind_and_unreadable_files_are_refused(tmp_path):
    junk = tmp_path / "notes.csv"
    junk.write_text("标题,内容\n甲,乙\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"无法识别文件类型.*标题、内容"):
        load([junk], tmp_path / "x.duckdb")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(LoadError, match="文件无法读取"):
        load([broken], tmp_path / "x.duckdb")
    assert not (tmp_path / "x.duckdb").exists()


def test_quarantined_rows_leave_quarantine_when_what_they_lacked_arrives(small_clean, tmp_path):
    db = tmp_path / "retry.duckdb"
    services = small_clean / "服务记录/服务记录_2024年上半年.csv"
    first = load([services], db)
    n = first.files[0].rows_read
    assert first.files[0].quarantined == n  # no grids, no members yet
    assert _q(db, "SELECT DISTINCT rule FROM quarantine") == [("unknown_grid",)]
    # Rosters name their members' reporting orgs (双报到): the orgs come with them.
    second = load([small_clean / "网格台账.csv", small_clean / "党组织信息.csv", small_clean / "党员花名册"], db)
    assert second.released == n
    assert _q(db, "SELECT count(*) FROM quarantine")[0][0] == 0
    assert _q(db, "SELECT count(*) FROM services")[0][0] == n
    assert _q(db, "SELECT count(*) FROM services WHERE member_no IS NULL")[0][0] == 0  # numbered when released


def test_member_and_grid_numbers_are_given_once_and_match_the_keys(loaded):
    registry = _q(loaded, "SELECT count(*), count(DISTINCT member_no), count(DISTINCT member_key) FROM member_registry")
    assert registry[0][0] == registry[0][1] == registry[0][2] > 1000
    grids = _q(loaded, "SELECT count(*), count(DISTINCT grid_no), count(DISTINCT grid_id) FROM grid_registry")
    assert grids[0][0] == grids[0][1] == grids[0][2] > 50
    wrong = _q(
        loaded, "SELECT count(*) FROM members m JOIN grid_registry g USING (grid_id) WHERE m.grid_no <> g.grid_no"
    )
    assert wrong == [(0,)] and _q(loaded, "SELECT count(*) FROM members WHERE grid_no IS NULL") == [(0,)]
    for table, no, key in (
        ("members", "member_no", "member_key"),
        ("services", "member_no", "member_key"),
        ("demands", "claimed_by_no", "claimed_by_key"),
    ):
        wrong = _q(
            loaded,
            f"SELECT count(*) FROM {table} t LEFT JOIN member_registry r ON r.member_key = t.{key} "
            f"WHERE t.{no} IS DISTINCT FROM r.member_no",
        )
        assert wrong == [(0,)], table


def test_key_repeated_with_other_content_is_quarantined(small_clean, tmp_path):
    db = tmp_path / "conflict.duckdb"
    load([small_clean / "网格台账.csv", small_clean / "党组织信息.csv"], db)
    text = small_clean / "组织生活/西湖区三会一课记录_2024年.xlsx"
    header, rows, _ = read_xlsx(text)
    frame = pd.DataFrame(rows[:3], columns=header)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    frame.to_csv(a, index=False)
    changed = frame.copy()
    changed.loc[0, "实到人数"] = changed.loc[0, "实到人数"] - 1
    changed.to_csv(b, index=False)
    result = load([a, b], db)
    conflicted = _q(db, "SELECT value, rule FROM quarantine")
    meeting_id = frame.loc[0, "会议编号"]
    assert sorted(conflicted) == [(meeting_id, "key_conflict")] * 2
    assert _q(db, "SELECT count(*) FROM meetings WHERE meeting_id = ?", [meeting_id])[0][0] == 0
    assert [f.loaded for f in result.files] == [2, 0] and [f.unchanged for f in result.files] == [0, 2]


def test_strict_publishes_nothing_when_rows_are_quarantined(small_default, tmp_path):
    db = tmp_path / "strict.duckdb"
    with pytest.raises(LoadError, match="--strict"):
        load([small_default / "网格台账.csv"], db, strict=True)
    assert not db.exists()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines", *args], cwd=ROOT, capture_output=True, text=True)


def test_cli_load_and_export_quarantine(small_default, tmp_path):
    db = tmp_path / "cli.duckdb"
    run = _cli("load", str(small_default), "--db", str(db))
    assert run.returncode == 0, run.stderr
    assert "已发布" in run.stdout and "服务记录_2024年上半年.csv" in run.stdout
    out = tmp_path / "q.csv"
    assert _cli("export", "quarantine", "--db", str(db), "--out", str(out)).returncode == 0
    q = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert list(q.columns) == ["file", "row", "kind", "column", "value", "reason"]
    manifest = pd.read_csv(small_default / "_generator/faults.csv")
    assert len(q) == len(manifest)
    assert not q["value"].fillna("").str.contains(r"\d{17}[\dX]").any()  # IDs masked
    failed = _cli("load", str(tmp_path / "nothing-here"), "--db", str(db))
    assert failed.returncode != 0 and "不存在" in failed.stdout + failed.stderr


def test_top_reasons_read_as_sentences_without_values(small_default, tmp_path):
    result = load([small_default], tmp_path / "reasons.duckdb")
    texts = [reason for reason, _ in result.top_reasons]
    assert texts and all("{" not in t and "与第行" not in t for t in texts)
    assert any(t.startswith("整行重复 (exact duplicate") for t in texts)  # the row number goes with its parenthesis
