"""The access command line: `users add|remove|passwd|unlock|list|demo`, `audit show|verify`
and `export` — refusals with a bilingual reason and exit 2, the users file (0600, argon2id
hashes only), every change audited with the operating-system account, the hash chain under
tampering and under two writers at once, the lockout rule, and exports that stay inside
their --scope, are audited with their row count and file hash, and carry no clear personal
data."""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.access import audit, users

ROOT = Path(__file__).resolve().parents[2]
ACTOR = f"os:{getpass.getuser()}"
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"\([^()]*[A-Za-z]{3,}[^()]*\)")  # "(the English reason)"
# Personal data in clear: an ID number or a phone number standing alone (not inside a hex key).
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
PHONE = re.compile(r"(?<![0-9A-Za-z*])1\d{2}[\d*]{4}\d{4}(?![0-9A-Za-z*])")


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`python -m pipelines ARGS` with this test's users file, audit log and secret."""
    env = {**os.environ}
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _bilingual(message: str) -> bool:
    return bool(CJK.search(message) and ENGLISH.search(message))


def _sql(db: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).df()


def _events(event: str | None = None) -> pd.DataFrame:
    log = audit.read().sort_values("seq")
    return log if event is None else log[log["event"] == event]


@pytest.fixture
def own_users(access_files, monkeypatch, tmp_path) -> Path:
    """A users file of this test's own, empty (never the shared demo users of a fixture city)."""
    path = tmp_path / "users" / "users.json"
    monkeypatch.setenv("PBI_USERS", str(path))
    return path


@pytest.fixture(scope="module")
def units(two_districts) -> dict[str, str]:
    """A unit of each role in the two-district city."""
    district, street, community = _sql(
        two_districts, "SELECT district, street, community FROM grids ORDER BY ALL LIMIT 1"
    ).iloc[0]
    return {"市级": "", "区级": district, "街道": f"{district}/{street}", "社区": f"{district}/{street}/{community}"}


# --- users add ---------------------------------------------------------------------------------


def test_users_add_each_role_list_and_the_file(two_districts, own_users, units):
    for i, (role, unit) in enumerate(units.items()):
        args = ["users", "add", f"user{i}", "--role", role, "--password-stdin", "--db", str(two_districts)]
        if unit:
            args += ["--unit", unit]
        if role == "市级":
            args += ["--admin", "--pii"]
        done = _cli(*args, stdin=f"secret-{role}-pass\n")
        assert done.returncode == 0, done.stderr
        assert f"user{i}" in done.stdout
    known = users.load()
    assert {n: (u.role, u.unit) for n, u in known.items()} == {
        f"user{i}": (role, unit) for i, (role, unit) in enumerate(units.items())
    }
    assert known["user0"].admin and known["user0"].pii and not known["user1"].admin
    # spaces around the parts of a unit are trimmed
    done = _cli(
        "users",
        "add",
        "spaced",
        "--role",
        "街道",
        "--unit",
        units["街道"].replace("/", " / "),
        "--password-stdin",
        "--db",
        str(two_districts),
        stdin="spaced-password-1\n",
    )
    assert done.returncode == 0, done.stderr
    assert users.load()["spaced"].unit == units["街道"]

    # the file: owner only, hashes only
    assert stat.S_IMODE(own_users.stat().st_mode) == 0o600
    text = own_users.read_text(encoding="utf-8")
    assert "secret-" not in text and "spaced-password" not in text
    hashes = [u["password_hash"] for u in json.loads(text)["users"].values()]
    assert len(hashes) == 5 and all(h.startswith("$argon2id$") for h in hashes)
    assert len(set(hashes)) == 5

    audit.record("user1", "login_ok", subject="user1", at=dt.datetime(2025, 3, 3, 1, 2, tzinfo=dt.UTC))
    listing = _cli("users", "list")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()[1:]
    shown = {line.split("\t")[0]: line.split("\t")[1:4] for line in lines}
    assert shown["user0"] == ["市级", "全市", "是"] and shown["user3"] == ["社区", units["社区"], "否"]
    assert set(shown) == set(known) | {"spaced"}
    last = {line.split("\t")[0]: line.split("\t")[-1] for line in lines}
    assert last["user1"] == "2025-03-03 09:02" and last["user0"] == "—"  # China time

    added = _events("user_added")
    assert list(added["subject"]) == [*(f"user{i}" for i in range(4)), "spaced"]
    assert set(added["actor"]) == {ACTOR}
    assert json.loads(added["detail"].iloc[2]) == {
        "role": "街道",
        "unit": units["街道"],
        "pii": False,
        "admin": False,
        "approve": False,
    }
    assert list(added["scope"]) == [*units.values(), units["街道"]]


REFUSALS = {  # case: (name, options, password)
    "community with one part": ("新用户", ["--role", "社区", "--unit", "{区级}"], "good-password-1"),
    "unknown unit": ("新用户", ["--role", "区级", "--unit", "东湖区"], "good-password-1"),
    "unknown street": ("新用户", ["--role", "街道", "--unit", "{区级}/没有街道"], "good-password-1"),
    "city with a unit": ("新用户", ["--role", "市级", "--unit", "{区级}"], "good-password-1"),
    "admin not city": ("新用户", ["--role", "区级", "--unit", "{区级}", "--admin"], "good-password-1"),
    "short password": ("新用户", ["--role", "市级"], "short-pw1"),
    "password is the name": ("wang-xiaoming", ["--role", "市级"], " Wang-Xiaoming "),
    "duplicate name": ("existing-user", ["--role", "市级"], "other-password-2"),
    "name with a space": ("张 三", ["--role", "市级"], "good-password-1"),
    "name with a slash": ("a/b", ["--role", "市级"], "good-password-1"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_users_add_refusals(two_districts, own_users, units, case):
    first = _cli("users", "add", "existing-user", "--role", "市级", "--password-stdin", stdin="first-password-1\n")
    assert first.returncode == 0, first.stderr
    before = own_users.read_bytes()
    name, options, password = REFUSALS[case]
    options = [o.format(**units) for o in options]
    done = _cli("users", "add", name, *options, "--password-stdin", "--db", str(two_districts), stdin=password + "\n")
    assert done.returncode == 2, (case, done.stdout, done.stderr)
    assert _bilingual(done.stderr), done.stderr
    assert own_users.read_bytes() == before  # nothing changed
    assert list(_events("user_added")["subject"]) == ["existing-user"]


def test_unit_shapes_per_role():
    for role, unit in (("区级", "a/b"), ("街道", "a"), ("街道", "a/b/c"), ("社区", "a/b"), ("市级", "a")):
        with pytest.raises(users.UserError):
            users.check_unit(role, unit)
    assert users.check_unit("社区", " a / b / c ") == "a/b/c"
    with pytest.raises(users.UserError):
        users.check_unit("区长", "a")


def test_the_approve_right_any_role_listed_and_kept(two_districts, own_users, units):
    done = _cli(
        "users", "add", "checker", "--role", "区级", "--unit", units["区级"], "--approve", "--password-stdin",
        "--db", str(two_districts), stdin="checker-password-1\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    plain = _cli("users", "add", "plain", "--role", "市级", "--password-stdin", stdin="plain-password-1\n")
    assert plain.returncode == 0, plain.stderr
    known = users.load()
    assert known["checker"].approve and not known["checker"].admin and not known["plain"].approve
    assert json.loads(own_users.read_text(encoding="utf-8"))["users"]["checker"]["approve"] is True
    listing = _cli("users", "list")
    header, *lines = listing.stdout.splitlines()
    assert header.split("\t")[5] == "审批"
    shown = {line.split("\t")[0]: line.split("\t")[3:6] for line in lines}
    assert shown == {"checker": ["否", "否", "是"], "plain": ["否", "否", "否"]}
    assert json.loads(_events("user_added")["detail"].iloc[0])["approve"] is True


def test_a_users_file_written_before_the_approve_right_reads_it_as_false(own_users):
    own_users.parent.mkdir(parents=True, exist_ok=True)
    old = {"role": "市级", "unit": "", "pii": True, "admin": True, "password_hash": "$argon2id$x"}
    own_users.write_text(json.dumps({"version": 1, "users": {"old": old}}), encoding="utf-8")
    user = users.load()["old"]
    assert user.admin and user.pii and user.approve is False


# --- passwd, unlock, remove ---------------------------------------------------------------------


@pytest.mark.slow  # nine CLI processes
def test_passwd_unlock_remove_are_audited(own_users):
    assert _cli("users", "add", "wang", "--role", "市级", "--password-stdin", stdin="old-password-1\n").returncode == 0
    before = users.load()["wang"].password_hash

    done = _cli("users", "passwd", "wang", "--password-stdin", stdin="new-password-22\n")
    assert done.returncode == 0, done.stderr
    after = users.load()
    assert after["wang"].password_hash != before and after["wang"].password_hash.startswith("$argon2id$")
    assert users.verify(after, "wang", "new-password-22") is not None
    assert users.verify(after, "wang", "old-password-1") is None
    assert after["wang"].password_changed_at >= after["wang"].created_at

    refused = _cli("users", "passwd", "wang", "--password-stdin", stdin="short\n")
    assert refused.returncode == 2 and _bilingual(refused.stderr)
    assert users.load()["wang"].password_hash == after["wang"].password_hash
    missing = _cli("users", "passwd", "nobody", "--password-stdin", stdin="whatever-password\n")
    assert missing.returncode == 2 and _bilingual(missing.stderr)

    assert _cli("users", "unlock", "wang").returncode == 0
    assert _cli("users", "unlock", "nobody").returncode == 2

    done = _cli("users", "remove", "wang")
    assert done.returncode == 0, done.stderr
    assert "wang" not in users.load()
    again = _cli("users", "remove", "wang")
    assert again.returncode == 2 and _bilingual(again.stderr)

    log = _events()
    assert list(zip(log["event"], log["subject"], strict=True)) == [
        ("user_added", "wang"),
        ("password_changed", "wang"),
        ("user_unlocked", "wang"),
        ("user_removed", "wang"),
    ]
    assert set(log["actor"]) == {ACTOR}
    assert json.loads(log["detail"].iloc[-1])["role"] == "市级"
    assert stat.S_IMODE(own_users.stat().st_mode) == 0o600


def test_no_terminal_and_no_stdin_flag_is_refused(own_users):
    done = _cli("users", "add", "li", "--role", "市级", stdin="a-password-123\n")
    assert done.returncode != 0 and "--password-stdin" in done.stderr
    assert not users.load()


# --- users demo ----------------------------------------------------------------------------------

DEMO_LINE = re.compile(r"^  (\S+)\s+(\S+)\s+(市级|区级|街道|社区) ")


def _credentials(stdout: str) -> dict[str, str]:
    return {m[1]: m[2] for line in stdout.splitlines() if (m := DEMO_LINE.match(line))}


def test_users_demo_creates_six_once(two_districts, own_users, units):
    first = _cli("users", "demo", "--db", str(two_districts))
    assert first.returncode == 0, first.stderr
    shown = _credentials(first.stdout)
    assert set(shown) == {"admin", "city", "district", "street", "community", "approver"}
    known = users.load()
    assert {n: u.unit for n, u in known.items()} == {
        "admin": "",
        "city": "",
        "district": units["区级"],
        "street": units["街道"],
        "community": units["社区"],
        "approver": "",
    }
    assert known["admin"].admin and not any(u.admin for n, u in known.items() if n != "admin")
    # the approver of adjustments: a city user with the approve right only (admin enters, approver approves)
    assert [n for n, u in known.items() if u.approve] == ["approver"]
    assert known["approver"].role == "市级" and not known["approver"].pii
    assert re.search(r"^  approver\s+\S+\s+市级 全市（审批）$", first.stdout, re.M), first.stdout
    for name, password in shown.items():  # the printed passwords sign in
        assert users.verify(known, name, password) is not None, name
        assert password not in own_users.read_text(encoding="utf-8")
    credentials = own_users.with_name("demo-credentials.txt")
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600

    second = _cli("users", "demo", "--db", str(two_districts))
    assert second.returncode == 0, second.stderr
    assert _credentials(second.stdout) == shown
    assert users.load() == known  # no user added, none changed
    added = _events("user_added")
    assert len(added) == 6 and set(added["actor"]) == {ACTOR}
    assert json.loads(added[added["subject"] == "approver"]["detail"].item())["approve"] is True

    missing = _cli("users", "demo", "--db", str(two_districts.parent / "none.duckdb"))
    assert missing.returncode != 0 and users.load() == known


# --- audit verify --------------------------------------------------------------------------------


def _some_events(n: int = 5) -> None:
    for i in range(n):
        audit.record(f"user{i}", "login_ok", subject=f"user{i}", detail={"i": i})


@pytest.mark.slow
def test_audit_verify_intact_and_show():
    _some_events()
    done = _cli("audit", "verify")
    assert done.returncode == 0, done.stderr
    assert "5" in done.stdout and "intact" in done.stdout
    shown = _cli("audit", "show", "--user", "user2")
    assert shown.returncode == 0 and len(shown.stdout.splitlines()) == 1 and "\tuser2\tlogin_ok\t" in shown.stdout


def test_audit_show_cannot_be_forged_by_a_typed_name():
    """A name typed at sign-in (any string a crafted request sends) is printed one event per
    line: no new line, tab or terminal escape of its own."""
    forged = "x\n2025-01-01 08:00:00\tos:root\tuser_added\tmallory\x1b[2K\r"
    audit.record(forged, "login_failed", subject=forged)
    audit.record("city", "login_ok", subject="city")
    shown = _cli("audit", "show")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert len(lines) == 2 and [line.split("\t")[2] for line in lines] == ["login_ok", "login_failed"]
    assert "\x1b" not in shown.stdout and "\r" not in shown.stdout
    assert "mallory" in lines[1]  # still shown, escaped


def test_audit_verify_finds_a_changed_row():
    _some_events()
    with duckdb.connect(str(audit.audit_path())) as con:
        con.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3")
    done = _cli("audit", "verify")
    assert done.returncode == 1
    assert re.search(r"\[3\]", done.stderr), done.stderr
    assert audit.verify() == (5, [3])


def test_audit_verify_finds_a_deleted_row():
    _some_events()
    with duckdb.connect(str(audit.audit_path())) as con:
        con.execute("DELETE FROM audit_log WHERE seq = 3")
    done = _cli("audit", "verify")
    assert done.returncode == 1
    assert "4" in done.stderr
    assert audit.verify() == (4, [4])


def test_audit_verify_finds_a_changed_time_and_detail():
    _some_events()
    with duckdb.connect(str(audit.audit_path())) as con:
        con.execute("UPDATE audit_log SET logged_at = logged_at - INTERVAL 1 DAY WHERE seq = 2")
        con.execute("UPDATE audit_log SET detail = NULL WHERE seq = 4")
    assert audit.verify() == (5, [2, 4])


# --- lockout -------------------------------------------------------------------------------------

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def _minutes(m: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=m)


def _fail(name: str, m: float) -> None:
    audit.record(name, "login_failed", subject=name, at=_minutes(m))


def test_five_failures_lock_for_five_minutes_from_the_fifth():
    for m in range(4):
        _fail("wang", m)
        assert audit.locked_until("wang", _minutes(m)) is None
    assert audit.locked_until("wang", _minutes(3.9)) is None
    _fail("wang", 4)
    assert audit.locked_until("wang", _minutes(4)) == _minutes(9)
    assert audit.locked_until("wang", _minutes(8.99)) == _minutes(9)
    assert audit.locked_until("wang", _minutes(9)) is None
    assert audit.locked_until("wang", _minutes(3.9)) is None  # not before the fifth
    # refused attempts while locked (login_locked) do not extend it
    for m in (5, 6, 7, 8.5):
        audit.record("wang", "login_locked", subject="wang", at=_minutes(m))
    assert audit.locked_until("wang", _minutes(8.9)) == _minutes(9)
    assert audit.locked_until("wang", _minutes(9.01)) is None
    # a single failure after the lock ended does not lock again
    _fail("wang", 9.5)
    assert audit.locked_until("wang", _minutes(9.5)) is None


def test_failures_spread_over_more_than_five_minutes_do_not_lock():
    for m in (0, 1.5, 3, 4.5, 6):
        _fail("li", m)
        assert audit.locked_until("li", _minutes(m)) is None
    _fail("li", 6.2)  # now 1.5, 3, 4.5, 6, 6.2 are within five minutes
    assert audit.locked_until("li", _minutes(6.2)) == _minutes(11.2)


def test_lockout_is_per_name():
    for m in range(5):
        _fail("zhao", m)
    assert audit.locked_until("zhao", _minutes(5)) == _minutes(9)
    assert audit.locked_until("qian", _minutes(5)) is None
    assert audit.locked_until("zha", _minutes(5)) is None
    for m in range(3):  # failures split between two names lock neither
        _fail("sun", m)
        _fail("zhou", m + 0.5)
    assert audit.locked_until("sun", _minutes(3)) is None and audit.locked_until("zhou", _minutes(3)) is None


@pytest.mark.parametrize("reset", audit.RESETS)
def test_a_success_unlock_or_new_password_resets(reset):
    for m in range(5):
        _fail("wu", m)
    assert audit.locked_until("wu", _minutes(5)) == _minutes(9)
    audit.record("os:root", reset, subject="someone-else", at=_minutes(5))  # another name's does not
    assert audit.locked_until("wu", _minutes(5.5)) == _minutes(9)
    audit.record("os:root", reset, subject="wu", at=_minutes(6))
    assert audit.locked_until("wu", _minutes(6)) is None
    assert audit.locked_until("wu", _minutes(5.9)) == _minutes(9)  # as it was before the reset
    for m in (6.5, 7, 7.5, 8):  # the failures before the reset no longer count
        _fail("wu", m)
    assert audit.locked_until("wu", _minutes(8)) is None
    _fail("wu", 8.5)
    assert audit.locked_until("wu", _minutes(8.5)) == _minutes(13.5)


# --- two writers at once -------------------------------------------------------------------------

WRITER = """
import sys, time
from pipelines.access import audit
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.005)
for i in range(50):
    audit.record(sys.argv[1], "download", what=str(i), rows=i)
"""


@pytest.mark.slow  # two processes racing
def test_two_processes_appending_at_once_keep_one_chain():
    start = time.time() + 1.5
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name, str(start)],
            cwd=ROOT,
            env={**os.environ},
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("one", "two")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert audit.verify() == (100, [])
    log = _events()
    assert list(log["seq"]) == list(range(1, 101))
    for name in ("one", "two"):
        assert list(log.loc[log["actor"] == name, "what"]) == [str(i) for i in range(50)]


# --- export --------------------------------------------------------------------------------------

SCOPE = "西湖区"  # the second district: no demo user is bound to it


@pytest.fixture(scope="module")
def places(two_districts) -> pd.DataFrame:
    return _sql(
        two_districts, "SELECT grid_id, district, district || '/' || street || '/' || community AS path FROM grids"
    )


def _inside(path: str, scope: str) -> bool:
    return scope == "" or path == scope or path.startswith(scope + "/")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _export(db: Path, what: str, out: Path, *options: str) -> pd.DataFrame:
    done = _cli("export", what, "--db", str(db), "--out", str(out), *options)
    assert done.returncode == 0, done.stderr
    return _read(out)


def _quarantined_grids(db: Path, frame: pd.DataFrame) -> list[str | None]:
    """The grid each exported quarantine row names (None: no grid)."""
    staged = _sql(
        db,
        """SELECT f.file_name AS file, q.row::VARCHAR AS row, json_extract_string(q.staged, '$.grid_id') AS grid_id
           FROM quarantine q JOIN load_files f USING (file_id)""",
    )
    keyed = {(f, r): g for f, r, g in staged.itertuples(index=False)}
    return [keyed[(f, r)] for f, r in zip(frame["file"], frame["row"], strict=True)]


@pytest.mark.parametrize("what", ["scores", "members", "quarantine"])
def test_export_within_a_scope_is_audited(two_districts, places, tmp_path, what):
    district = dict(zip(places["grid_id"], places["district"], strict=True))
    everything = _export(two_districts, what, tmp_path / "all.csv")
    out = tmp_path / "out" / f"{what}.csv"
    frame = _export(two_districts, what, out, "--scope", SCOPE)
    assert 0 < len(frame) < len(everything)  # the other district had rows, and none came along
    if what == "scores":
        for level, unit in zip(frame["level"], frame["unit_id"], strict=True):
            assert _inside(district[unit] if level == "grid" else unit, SCOPE), (level, unit)
        assert set(frame["level"]) == {"grid", "community", "street", "district"}
        grids = everything[(everything["level"] == "grid")]["unit_id"]
        assert set(frame.loc[frame["level"] == "grid", "unit_id"]) == {g for g in grids if district[g] == SCOPE}
    elif what == "members":
        assert {district[g] for g in frame["grid_id"]} == {SCOPE}
        expected = everything[[district[g] == SCOPE for g in everything["grid_id"]]]
        assert len(frame) == len(expected)
    else:
        grids = _quarantined_grids(two_districts, frame)
        assert all(g in district and district[g] == SCOPE for g in grids), grids
        all_grids = _quarantined_grids(two_districts, everything)
        assert len(frame) == sum(1 for g in all_grids if g in district and district[g] == SCOPE)

    exports = _events("export")
    assert len(exports) == 2
    event = exports.iloc[-1]
    assert event["actor"] == ACTOR and event["what"] == f"{what}.csv" and event["scope"] == SCOPE
    assert event["row_count"] == len(frame)
    detail = json.loads(event["detail"])
    assert detail["file"] == str(out.resolve())
    assert detail["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert exports.iloc[0]["scope"] == "" and exports.iloc[0]["row_count"] == len(everything)


def test_export_level_and_period_are_recorded(two_districts, tmp_path):
    frame = _export(
        two_districts, "scores", tmp_path / "s.csv", "--scope", SCOPE, "--level", "street", "--period", "2025Q4"
    )
    assert set(frame["level"]) == {"street"} and set(frame["period"]) == {"2025Q4"} and len(frame) == 2
    detail = json.loads(_events("export")["detail"].iloc[-1])
    assert (detail["level"], detail["period"]) == ("street", "2025Q4")


@pytest.mark.parametrize("scope", ["东湖区", f"{SCOPE}/没有街道", f"{SCOPE}/a/b/c", "上城区/湖滨街道/江亭社区"])
def test_export_refuses_an_unknown_scope(two_districts, tmp_path, scope):
    out = tmp_path / "x.csv"
    done = _cli("export", "scores", "--db", str(two_districts), "--out", str(out), "--scope", scope)
    assert done.returncode != 0 and "--scope" in done.stderr and _bilingual(done.stderr)
    assert not out.exists()
    assert _events("export").empty


def _personal(db: Path) -> set[str]:
    """Every member's name the warehouse holds (roster and quarantined rows)."""
    names = _sql(
        db,
        """SELECT name FROM members WHERE length(name) >= 2
           UNION SELECT json_extract_string(staged, '$.name') FROM quarantine
           WHERE length(json_extract_string(staged, '$.name')) >= 2""",
    )
    return set(names["name"])


@pytest.mark.parametrize("scope", ["", "上城区"])
def test_exports_hold_no_clear_personal_data(two_districts, tmp_path, scope):
    names = _personal(two_districts)
    assert len(names) > 100
    for what in ("scores", "members", "quarantine"):
        options = ["--scope", scope] if scope else []
        frame = _export(two_districts, what, tmp_path / f"{what}.csv", *options)
        cells = [c for c in frame.to_numpy().ravel() if c]
        text = "\n".join(cells)
        assert not ID_NUMBER.search(text), (what, ID_NUMBER.search(text))
        assert all(re.fullmatch(r"\d{3}\*{4}\d{4}", p) for p in PHONE.findall(text)), what
        leaked = {n for n in names if n in text}
        assert not leaked, (what, sorted(leaked)[:5])
        if what == "quarantine":  # the ID numbers it holds are there, masked
            ids = frame.loc[frame["column"].str.contains("身份"), "value"]
            assert len(ids) and not any(ID_NUMBER.search(v) for v in ids)
            assert any(re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", v) for v in ids)
