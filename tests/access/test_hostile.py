"""Issue 19, access: eight sign-ins for one name at once (case 10), an audit log edited with
its hashes recomputed or its newest row deleted (case 12), and lookalike user names (case 13).
Each test builds its hostile input itself."""

from __future__ import annotations

import json
import multiprocessing
import stat
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from pipelines import settings
from pipelines.access import audit, users

ROOT = Path(__file__).resolve().parents[2]
NAME, RIGHT, WRONG = "wang", "right-password-1", "wrong-password-1"


# --- 10: parallel sign-ins -------------------------------------------------------------------


def _attempt_counting(password: str, at_iso: str, counter: str, gate) -> str | None:
    """One sign-in through the form's function, in a process of its own: every password check
    it makes is appended to `counter` (a file shared by all the processes)."""
    import datetime as dt

    from dashboard import auth
    from pipelines.access import users as u

    real = u.verify

    def counted(*args, **kwargs):
        with open(counter, "a") as f:
            f.write("checked\n")
        return real(*args, **kwargs)

    u.verify = counted
    gate.wait()
    return auth.attempt(NAME, password, dt.datetime.fromisoformat(at_iso))


@pytest.fixture
def wang() -> None:
    users.add(NAME, "市级", "", RIGHT)


def _threads(monkeypatch, passwords: list[str]) -> tuple[list[str | None], list[str]]:
    """Every password sent for NAME at once, from threads: (the answers, the checks made)."""
    from dashboard import auth

    checked: list[str] = []
    real = users.verify

    def counted(known, name, password):
        checked.append(password)
        return real(known, name, password)

    monkeypatch.setattr(users, "verify", counted)
    at, start = audit.now(), threading.Barrier(len(passwords))
    answers: list[str | None] = [None] * len(passwords)

    def one(i: int) -> None:
        start.wait()
        answers[i] = auth.attempt(NAME, passwords[i], at)

    workers = [threading.Thread(target=one, args=(i,)) for i in range(len(passwords))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return answers, checked


def test_seven_wrong_at_once_check_five_and_lock_out_the_right_one(monkeypatch, wang):
    answers, checked = _threads(monkeypatch, [WRONG] * 7)
    assert len(checked) <= audit.LOCKOUT_FAILURES, f"{len(checked)} passwords checked in one burst"
    assert all(a is not None for a in answers)
    from dashboard import auth

    refused = auth.attempt(NAME, RIGHT, audit.now())  # the right password, sent 8th
    assert refused is not None and "锁定" in refused
    assert len(checked) <= audit.LOCKOUT_FAILURES  # refused without checking it
    log = audit.read()
    assert "login_ok" not in set(log["event"])


def test_eight_at_once_with_the_right_one_check_at_most_five(monkeypatch, wang):
    _, checked = _threads(monkeypatch, [WRONG] * 7 + [RIGHT])
    assert len(checked) <= audit.LOCKOUT_FAILURES


@pytest.mark.slow
def test_eight_processes_at_once_check_at_most_five(tmp_path, wang):
    counter = tmp_path / "checks"
    counter.touch()
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no DuckDB or lock shared by fork
    gate = context.Manager().Barrier(8)
    at = audit.now().isoformat()
    with context.Pool(8) as pool:
        answers = pool.starmap(_attempt_counting, [(p, at, str(counter), gate) for p in [WRONG] * 7 + [RIGHT]])
    checks = counter.read_text().count("checked")
    assert checks <= audit.LOCKOUT_FAILURES, f"{checks} passwords checked by 8 processes"
    assert sum(a is not None for a in answers) >= 3  # at least three refused unchecked


def test_reservations_reset_by_a_success_and_leave_the_window():
    at = audit.now()
    for _ in range(5):
        assert audit.reserve("li", at) is None
    until = audit.reserve("li", at)
    assert until == at + audit.LOCKOUT
    assert audit.reserve("li", at + audit.LOCKOUT) is None  # the first five left the window
    audit.record("li", "login_ok", subject="li", at=at + audit.LOCKOUT)
    for _ in range(4):  # a success clears the attempts before it
        assert audit.reserve("li", at + audit.LOCKOUT) is None


# --- 12: the keyed audit chain ----------------------------------------------------------------


def _five() -> None:
    for i in range(5):
        audit.record("os:tester", "export", what=f"file-{i}.csv", rows=i, scope="")


def _recompute_plain(con: duckdb.DuckDBPyConnection, first: int) -> None:
    """What an editor without the key does: recompute every later hash as the unkeyed chain had it."""
    for (seq,) in con.execute("SELECT seq FROM audit_log WHERE seq >= ? ORDER BY seq", [first]).fetchall():
        con.execute(
            f"""UPDATE audit_log SET row_hash = sha256(
                  coalesce((SELECT row_hash FROM audit_log WHERE seq = ? - 1), '') || audit_content({audit._ARGS}))
                WHERE seq = ?""",
            [seq, seq],
        )


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_an_intact_keyed_log_passes():
    _five()
    assert audit.verify() == (5, [])
    done = _cli("audit", "verify")
    assert done.returncode == 0, done.stderr
    key = settings.audit_key_path()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(audit.head_path(audit.audit_path()).stat().st_mode) == 0o600


def test_the_key_is_kept_outside_the_logs_folder(monkeypatch):
    monkeypatch.delenv("PBI_USERS")
    monkeypatch.delenv("PBI_AUDIT")
    assert settings.audit_key_path().parent != settings.audit_path().parent
    monkeypatch.setenv("PBI_AUDIT_KEY_FILE", "/elsewhere/audit-key")
    assert settings.audit_key_path() == Path("/elsewhere/audit-key")


def test_an_edited_row_with_recomputed_hashes_fails():
    _five()
    with audit._connect(audit.audit_path()) as con:
        con.execute("UPDATE audit_log SET row_count = 4000 WHERE seq = 3")
        _recompute_plain(con, 3)
    rows, broken = audit.verify()
    assert rows == 5 and broken and broken[0] == 3
    done = _cli("audit", "verify")
    assert done.returncode == 1 and "3" in done.stderr


def test_a_deleted_newest_row_fails_on_the_head():
    _five()
    with audit._connect(audit.audit_path()) as con:
        con.execute("DELETE FROM audit_log WHERE seq = 5")
    assert audit.verify() == (4, [5])
    done = _cli("audit", "verify")
    assert done.returncode == 1 and "head mismatch" in done.stderr
    audit.record("os:tester", "export", what="after.csv")  # a new row 5 does not hide it
    assert audit.verify()[1] == [5]


def test_a_deleted_head_file_fails():
    _five()
    audit.head_path(audit.audit_path()).unlink()
    assert audit.verify()[1] != []


def test_a_lost_key_is_refused_not_replaced():
    _five()
    settings.audit_key_path().unlink()
    with pytest.raises(audit.AuditKeyError):
        audit.record("os:tester", "export", what="x.csv")
    assert not settings.audit_key_path().exists()
    assert audit.verify()[1] != []


def _legacy_log(n: int) -> None:
    """A log as written before the chain was keyed: plain SHA-256 rows, no head."""
    with audit._connect(audit.audit_path()) as con:
        for seq in range(1, n + 1):
            con.execute(
                "INSERT INTO audit_log VALUES (?, now(), 'os:old', 'export', NULL, ?, '', 1, NULL, 'host', '')",
                [seq, f"old-{seq}.csv"],
            )
        _recompute_plain(con, 1)


def test_a_pre_hmac_log_is_legacy_then_sealed_by_a_marker():
    _legacy_log(3)
    assert audit.check().intact and audit.check().legacy == 3
    audit.record("os:tester", "export", what="new.csv")
    log = audit.read().sort_values("seq")
    assert list(log["event"]) == ["export"] * 3 + [audit.MARKER, "export"]
    assert json.loads(log["detail"].iloc[3])["legacy_rows"] == 3
    result = audit.check()
    assert result.intact and result.legacy == 3 and result.rows == 5
    with audit._connect(audit.audit_path()) as con:  # a legacy row edited, its plain chain recomputed
        con.execute("UPDATE audit_log SET what = 'forged.csv' WHERE seq = 2")
        _recompute_plain(con, 2)
    assert 4 in audit.verify()[1]  # the marker's keyed hash no longer matches the chain before it


def test_reseal_after_a_deliberate_restore():
    _five()
    backup = audit.audit_path().read_bytes()
    audit.record("os:tester", "export", what="later.csv")
    audit.audit_path().write_bytes(backup)  # the older copy put back on purpose
    assert audit.verify()[1] == [6]
    assert audit.reseal().intact and audit.verify() == (5, [])


# --- 13: lookalike user names -----------------------------------------------------------------

LOOKALIKES = {
    "cyrillic а": "\u0430dmin",
    "greek ο": "adm\u03bfin",
    "zero-width space": "ad\u200bmin",
    "right-to-left mark": "admin\u200f",
    "full width": "ａｄｍｉｎ",
    "upper case": "ADMIN",
    "combining dot": "admin\u0307",
    "whole cyrillic": "\u0430\u0435\u043e",  # аео: like a Latin aeo added first
}


@pytest.mark.parametrize("kind", list(LOOKALIKES))
def test_a_lookalike_name_is_refused(kind):
    users.add("admin", "市级", "", "admin-password-1")
    users.add("aeo", "市级", "", "aeo-password-12")
    with pytest.raises(users.UserError):
        users.add(LOOKALIKES[kind], "市级", "", "another-password-1")
    assert sorted(users.load()) == ["admin", "aeo"]


def test_names_are_stored_canonical_and_found_by_any_form():
    users.add("Ｗang@XIHU.gov.cn", "市级", "", "wang-password-1")
    assert list(users.load()) == ["wang@xihu.gov.cn"]
    raw = json.loads(users.users_path().read_text(encoding="utf-8"))
    assert list(raw["users"]) == ["wang@xihu.gov.cn"]
    known = users.load()
    for typed in ("WANG@xihu.gov.cn", "ｗａｎｇ@xihu.gov.cn", "wang@xihu.gov.cn\u200b"):
        assert users.verify(known, typed, "wang-password-1") is not None, typed


def test_a_name_in_another_case_shares_the_lockout(monkeypatch):
    from dashboard import auth

    users.add("zhao", "市级", "", "zhao-password-1")
    at = audit.now()
    for typed in ("ZHAO", "Zhao", "ｚｈａｏ", "zh\u200bao", "ZHAO"):
        assert auth.attempt(typed, WRONG, at) is not None
    assert auth.attempt("zhao", "zhao-password-1", at) is not None  # locked: the five were all zhao's
    assert set(audit.read()["subject"]) == {"zhao"}


def test_unchanged_names_still_work():
    for name in ("张三", "li.si", "wang@xihu.gov.cn", "Αθηνά"):  # Greek alone is one alphabet
        users.add(name, "市级", "", f"{name}-password-12")
    assert sorted(users.load()) == sorted(["张三", "li.si", "wang@xihu.gov.cn", "αθηνά"])
