"""The adjustments register through its API: refusals of bad entries and wrong users, the states
(待审批 → 已生效 → 已撤销, 待审批 → 已驳回), in_force, evidence kept by its SHA-256, and the
audit rows of every change."""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import stat

import pandas as pd
import pytest

from pipelines.access import audit
from pipelines.evaluation import adjustments as adj
from pipelines.evaluation import register
from tests.evaluation.conftest import GRIDS

GRID = GRIDS[0][0]  # 东区/一街道/一社区
WEST_GRID = GRIDS[2][0]
OS = f"os:{getpass.getuser()}"


def _add(db, **changes) -> int:
    entry = {
        "level": "grid",
        "unit": GRID,
        "period": "2025Q2",
        "kind": "加分",
        "points": 2,
        "reason": "获评市级先进网格",
        "by": "admin",
    }
    return adj.add(db, **(entry | changes))


def _state(db, number: int) -> str:
    rows = adj.listing(db)
    return rows.loc[rows["adjustment_id"] == number, "state"].item()


def _events() -> pd.DataFrame:
    return audit.read().sort_values("seq")


# --- entering ------------------------------------------------------------------------------------


def test_an_entry_is_pending_and_listed_with_its_unit(warehouse, people):
    number = _add(warehouse, unit=" 东区 / 一街道 ", level="street", points="1.5")
    assert number == 1 and _add(warehouse) == 2
    rows = adj.listing(warehouse)
    assert list(rows.columns) == list(adj.LISTING)
    first = rows.iloc[0]
    assert (first.level, first.unit_id, first.unit_name, first.points, first.state) == (
        "street",
        "东区/一街道",
        "一街道",
        1.5,
        "待审批",
    )
    assert first.entered_by == "admin" and pd.isna(first.decided_by)
    assert abs(first.entered_at - register.now()) < dt.timedelta(minutes=5)  # China time, no zone
    assert rows.iloc[1].unit_name == "甲网格"
    assert adj.in_force(warehouse).empty  # pending entries do not count


@pytest.mark.parametrize(
    ("level", "unit", "name"),
    [
        ("grid", GRID, "甲网格"),
        ("community", "东区/一街道/一社区", "一社区"),
        ("district", "西区", "西区"),
        ("city", "全市", "全市"),
    ],
)
def test_units_are_written_as_in_score_exports(warehouse, people, level, unit, name):
    _add(warehouse, level=level, unit=unit)
    assert adj.listing(warehouse).iloc[0][["unit_id", "unit_name"]].tolist() == [unit, name]


@pytest.mark.parametrize("period", ["2024Q4", "2025Q3", "2024", "2025"])
def test_periods_covered_by_the_data(warehouse, people, period):
    _add(warehouse, period=period)
    assert adj.listing(warehouse)["period"].tolist() == [period]


REFUSED = {
    "unknown level": {"level": "province"},
    "grid id at street level": {"level": "street"},
    "unknown grid": {"unit": "339999999999"},
    "community of the wrong street": {"level": "community", "unit": "东区/三街道/一社区"},
    "city written otherwise": {"level": "city", "unit": "东区"},
    "quarter not covered": {"period": "2025Q4"},
    "quarter before the data": {"period": "2024Q3"},
    "year not covered": {"period": "2023"},
    "malformed period": {"period": "2025-Q2"},
    "unknown kind": {"kind": "表彰"},
    "bonus not positive": {"points": 0},
    "bonus negative": {"points": -1},
    "deduction positive": {"kind": "扣分", "points": 3},
    "veto with points": {"kind": "一票否决", "points": -5},
    "not a number": {"points": "three"},
    "not finite": {"points": float("nan")},
    "infinite": {"points": float("inf")},
    "absurd": {"points": 250},
    "absurd deduction": {"kind": "扣分", "points": -101},
    "blank reason": {"reason": "   "},
    "control character in reason": {"reason": "ok\x1b[2J"},
    "new line in reason": {"reason": "line\nforged"},
    "direction mark in reason": {"reason": "abc\u202edef"},
    "reason too long": {"reason": "长" * 501},
    "unknown user": {"by": "nobody"},
    "approver without admin": {"by": "approver"},
    "plain user": {"by": "viewer"},
}


@pytest.mark.parametrize("case", REFUSED)
def test_bad_entries_are_refused_with_a_bilingual_reason(warehouse, people, case):
    with pytest.raises(adj.AdjustmentError, match=r"[\u4e00-\u9fff].*\([^)]*[A-Za-z]{3,}") as refused:
        _add(warehouse, **REFUSED[case])
    assert isinstance(refused.value, ValueError)
    assert adj.listing(warehouse).empty
    assert _events().empty  # nothing audited


def test_no_warehouse_is_refused(tmp_path, people):
    with pytest.raises(adj.AdjustmentError, match="load data first"):
        _add(tmp_path / "none.duckdb")
    assert not register.evaluation_path(tmp_path / "none.duckdb").exists()


def test_the_kinds_take_their_signs(warehouse, people):
    _add(warehouse, kind="扣分", points=-20)
    _add(warehouse, kind="一票否决", points="0")
    _add(warehouse, kind="加分", points=100)
    assert adj.listing(warehouse)[["kind", "points"]].values.tolist() == [["扣分", -20], ["一票否决", 0], ["加分", 100]]


# --- deciding --------------------------------------------------------------------------------------


def test_pending_approved_revoked(warehouse, people):
    number = _add(warehouse)
    adj.approve(warehouse, number, by="approver")
    assert _state(warehouse, number) == "已生效"
    force = adj.in_force(warehouse)
    assert list(force.columns) == list(adj.IN_FORCE)
    assert force[["adjustment_id", "unit_id", "points", "entered_by", "approved_by"]].values.tolist() == [
        [number, GRID, 2.0, "admin", "approver"]
    ]
    with pytest.raises(adj.AdjustmentError, match="cannot be approved"):
        adj.approve(warehouse, number, by="east")  # approving twice
    with pytest.raises(adj.AdjustmentError, match="cannot be rejected"):
        adj.reject(warehouse, number, by="east", reason="太迟了")

    adj.revoke(warehouse, number, by="admin", reason="表彰已撤回")
    row = adj.listing(warehouse).iloc[0]
    assert (row.state, row.decided_by, row.decision_reason) == ("已撤销", "admin", "表彰已撤回")
    assert adj.in_force(warehouse).empty
    with pytest.raises(adj.AdjustmentError, match="cannot be revoked"):
        adj.revoke(warehouse, number, by="admin", reason="again")
    with pytest.raises(adj.AdjustmentError, match="cannot be approved"):
        adj.approve(warehouse, number, by="approver")


def test_pending_rejected(warehouse, people):
    number = _add(warehouse)
    with pytest.raises(adj.AdjustmentError, match="reason"):
        adj.reject(warehouse, number, by="approver", reason=" ")
    adj.reject(warehouse, number, by="approver", reason="证据不足")
    row = adj.listing(warehouse).iloc[0]
    assert (row.state, row.decided_by, row.decision_reason) == ("已驳回", "approver", "证据不足")
    for decide in (
        lambda: adj.approve(warehouse, number, by="approver"),
        lambda: adj.revoke(warehouse, number, by="admin", reason="x"),
    ):
        with pytest.raises(adj.AdjustmentError):
            decide()
    assert adj.in_force(warehouse).empty


def test_a_pending_entry_can_be_revoked(warehouse, people):
    number = _add(warehouse)
    adj.revoke(warehouse, number, by="admin", reason="录入有误")
    assert _state(warehouse, number) == "已撤销"
    with pytest.raises(adj.AdjustmentError, match="cannot be approved"):
        adj.approve(warehouse, number, by="approver")


def test_the_user_who_entered_it_cannot_approve_or_reject_it(warehouse, people):
    number = _add(warehouse, by="admin2")  # holds both rights
    for decide in (
        lambda: adj.approve(warehouse, number, by="ADMIN2"),  # the same user, written otherwise
        lambda: adj.reject(warehouse, number, by="admin2", reason="no"),
    ):
        with pytest.raises(adj.AdjustmentError, match="entered an adjustment cannot"):
            decide()
    assert _state(warehouse, number) == "待审批"
    adj.approve(warehouse, number, by="approver")
    assert _state(warehouse, number) == "已生效"


def test_rights_and_scope_of_deciders(warehouse, people):
    east_entry, west_entry = _add(warehouse), _add(warehouse, unit=WEST_GRID)
    with pytest.raises(adj.AdjustmentError, match="lacks the right"):
        adj.approve(warehouse, east_entry, by="admin")  # admin without approve
    with pytest.raises(adj.AdjustmentError, match="lacks the right"):
        adj.revoke(warehouse, east_entry, by="viewer", reason="x")
    with pytest.raises(adj.AdjustmentError, match="no such user"):
        adj.approve(warehouse, east_entry, by="ghost")
    with pytest.raises(adj.AdjustmentError, match="outside the user's scope"):
        adj.approve(warehouse, west_entry, by="east")
    with pytest.raises(adj.AdjustmentError, match="outside the user's scope"):
        adj.revoke(warehouse, west_entry, by="east", reason="x")
    with pytest.raises(adj.AdjustmentError, match="no such adjustment"):
        adj.approve(warehouse, 99, by="east")
    adj.approve(warehouse, east_entry, by="east")
    adj.approve(warehouse, west_entry, by="west")
    assert adj.in_force(warehouse)["approved_by"].tolist() == ["east", "west"]


def test_only_approved_entries_not_revoked_are_in_force(warehouse, people):
    pending, approved, rejected, revoked = (_add(warehouse, points=p) for p in (1, 2, 3, 4))
    adj.approve(warehouse, approved, by="approver")
    adj.reject(warehouse, rejected, by="approver", reason="不符合条件")
    adj.approve(warehouse, revoked, by="approver")
    adj.revoke(warehouse, revoked, by="approver", reason="撤回")
    assert adj.in_force(warehouse)["adjustment_id"].tolist() == [approved]
    states = adj.listing(warehouse).set_index("adjustment_id")["state"].to_dict()
    assert states == {pending: "待审批", approved: "已生效", rejected: "已驳回", revoked: "已撤销"}
    assert adj.listing(warehouse, state="已驳回")["adjustment_id"].tolist() == [rejected]


def test_listing_filters(warehouse, people):
    _add(warehouse, period="2025Q1")
    _add(warehouse, unit=WEST_GRID, period="2025")
    _add(warehouse, level="district", unit="西区", period="2025")
    _add(warehouse, level="city", unit="全市", period="2025")
    assert adj.listing(warehouse, period="2025")["unit_id"].tolist() == [WEST_GRID, "西区", "全市"]
    assert adj.listing(warehouse, level="district")["unit_id"].tolist() == ["西区"]
    assert adj.listing(warehouse, scope="西区")["unit_id"].tolist() == [WEST_GRID, "西区"]
    assert adj.listing(warehouse, scope="东区/一街道")["unit_id"].tolist() == [GRID]
    assert adj.listing(warehouse, scope="西")["unit_id"].tolist() == []  # a path, not a prefix
    with pytest.raises(adj.AdjustmentError):
        adj.listing(warehouse, state="approved")


def test_an_absent_register_reads_empty(tmp_path):
    db = tmp_path / "pbi.duckdb"
    assert adj.listing(db).empty and list(adj.listing(db).columns) == list(adj.LISTING)
    assert adj.in_force(db).empty and list(adj.in_force(db).columns) == list(adj.IN_FORCE)
    assert not register.evaluation_path(db).exists()


# --- evidence --------------------------------------------------------------------------------------


def test_evidence_is_kept_by_its_hash_owner_only_and_read_back(warehouse, people, tmp_path):
    content = "市级表彰文件 2025".encode() * 100
    original = tmp_path / "表彰通知.pdf"
    original.write_bytes(content)
    first = _add(warehouse, evidence=original)
    second = _add(warehouse, evidence_bytes=content, evidence_name="C:\\uploads/副本.pdf")
    digest = hashlib.sha256(content).hexdigest()

    rows = adj.listing(warehouse)
    assert rows["evidence_sha256"].tolist() == [digest, digest]
    assert rows["evidence_name"].tolist() == ["表彰通知.pdf", "副本.pdf"]  # the name, without folders
    folder = register.evidence_dir(warehouse)
    assert folder == warehouse.with_name("pbi.evaluation.files")
    assert [p.name for p in folder.iterdir()] == [digest]  # stored once, named by its hash
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / digest).stat().st_mode) == 0o600
    assert stat.S_IMODE(register.evaluation_path(warehouse).stat().st_mode) == 0o600

    assert adj.evidence(warehouse, first) == ("表彰通知.pdf", content)
    assert adj.evidence(warehouse, second) == ("副本.pdf", content)
    with pytest.raises(adj.AdjustmentError, match="no evidence"):
        adj.evidence(warehouse, _add(warehouse))


def test_tampered_or_missing_evidence_is_detected(warehouse, people):
    number = _add(warehouse, evidence_bytes=b"original", evidence_name="a.txt")
    stored = register.evidence_dir(warehouse) / hashlib.sha256(b"original").hexdigest()
    stored.write_bytes(b"forged")
    with pytest.raises(adj.AdjustmentError, match="altered"):
        adj.evidence(warehouse, number)
    # entering the same evidence again repairs the store
    _add(warehouse, evidence_bytes=b"original", evidence_name="b.txt")
    assert adj.evidence(warehouse, number) == ("a.txt", b"original")
    stored.unlink()
    with pytest.raises(adj.AdjustmentError, match="missing"):
        adj.evidence(warehouse, number)


def test_evidence_too_large_or_ill_named_is_refused(warehouse, people, tmp_path, monkeypatch):
    monkeypatch.setattr(adj, "MAX_EVIDENCE_BYTES", 1000)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 1001)
    for kwargs in (
        {"evidence": big},
        {"evidence_bytes": b"x" * 1001, "evidence_name": "big.bin"},
        {"evidence_bytes": b"x", "evidence_name": ""},
        {"evidence_bytes": b"x", "evidence_name": "a\x00.txt"},
        {"evidence": tmp_path / "missing.pdf"},
        {"evidence": big, "evidence_bytes": b"x"},
    ):
        with pytest.raises(adj.AdjustmentError):
            _add(warehouse, **kwargs)
    assert adj.listing(warehouse).empty
    assert not register.evidence_dir(warehouse).exists()


def test_the_limit_is_twenty_megabytes():
    assert adj.MAX_EVIDENCE_BYTES == 20 * 1024 * 1024


def test_evidence_downloads_by_a_user_are_scoped_and_audited(warehouse, people):
    number = _add(warehouse, evidence_bytes=b"proof", evidence_name="proof.txt")
    with pytest.raises(adj.AdjustmentError, match="may not see"):
        adj.evidence(warehouse, number, by="west")  # outside the unit
    with pytest.raises(adj.AdjustmentError, match="may not see"):
        adj.evidence(warehouse, number, by="viewer")  # not in force yet, no right
    assert adj.evidence(warehouse, number, by="east") == ("proof.txt", b"proof")
    adj.approve(warehouse, number, by="approver")
    assert adj.evidence(warehouse, number, by="viewer", client="10.0.0.9") == ("proof.txt", b"proof")
    downloads = _events().query("event == 'evidence_downloaded'")
    assert downloads["actor"].tolist() == ["east", "viewer"]
    assert downloads["client"].tolist()[-1] == "10.0.0.9"
    assert json.loads(downloads["detail"].iloc[0])["evidence_sha256"] == hashlib.sha256(b"proof").hexdigest()


# --- audit ---------------------------------------------------------------------------------------------


def test_every_change_is_audited_with_the_user_and_the_os_account(warehouse, people):
    first = _add(warehouse, evidence_bytes=b"e", evidence_name="e.txt")
    second = _add(warehouse, level="district", unit="东区", kind="一票否决", points=0, reason="重大事故")
    adj.approve(warehouse, first, by="approver")
    adj.reject(warehouse, second, by="east", reason="不属实")
    adj.revoke(warehouse, first, by="admin", reason="撤回")
    log = _events()
    assert log[["actor", "event", "subject"]].values.tolist() == [
        ["admin", "adjustment_added", GRID],
        ["admin", "adjustment_added", "东区"],
        ["approver", "adjustment_approved", GRID],
        ["east", "adjustment_rejected", "东区"],
        ["admin", "adjustment_revoked", GRID],
    ]
    details = [json.loads(d) for d in log["detail"]]
    assert all(d["os"] == OS for d in details)
    assert [d["id"] for d in details] == [first, second, first, second, first]
    assert details[0]["evidence_sha256"] == hashlib.sha256(b"e").hexdigest() and details[0]["reason"]
    assert details[3]["reason"] == "不属实" and details[4]["reason"] == "撤回"
    assert log["scope"].tolist()[:2] == ["东区/一街道/一社区", "东区"]
    assert audit.verify()[1] == []


def test_a_change_whose_audit_fails_is_not_kept(warehouse, people):
    def broken(*args, **kwargs):
        raise audit.AuditKeyError("no key")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(audit, "record", broken)
        with pytest.raises(audit.AuditKeyError):
            _add(warehouse)
    assert adj.listing(warehouse).empty
    assert _add(warehouse) == 1  # the id was not used up either
