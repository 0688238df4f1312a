"""The review state machine through its API on a hand-made results file (tests/evaluation/
results.py): every transition allowed and refused by the right and the wrong user, notice and
objections holding publication back, a correction keeping both versions, official() after each
step, objections within scope only, rectification items equal to the rule's units, overdue by
a set clock, and the audit rows of every step."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipelines.access import audit
from pipelines.evaluation import objections, rectification, register, review
from pipelines.evaluation.workflow import ReviewError
from tests.evaluation.results import G1, G3, LISTED, make_results

T0 = dt.datetime(2025, 10, 8, 9, 0)  # the clock of these tests: approval day
AFTER = T0 + dt.timedelta(days=5)  # the day after a 5-day notice from T0
P = "2025Q3"


@pytest.fixture
def db(tmp_path, people):
    return make_results(tmp_path / "warehouse" / "pbi.duckdb")


def _on_notice(db, run=1):
    review.submit(db, P, by="admin", run=run, at=T0)
    return review.approve(db, P, by="approver", at=T0)


def _published(db):
    _on_notice(db)
    return review.publish(db, P, by="admin", at=AFTER)


def test_a_period_goes_from_draft_to_published_and_official_follows(db):
    assert review.state(db, P).state == review.DRAFT and review.official(db, P) is None
    s = review.submit(db, P, by="admin", run=1, at=T0)
    assert (s.state, s.run, s.submitted_by) == (review.REVIEW, 1, "admin")
    assert review.official(db, P) is None  # in review: nobody but administrators sees it
    s = review.approve(db, P, by="approver", at=T0)
    assert (s.state, s.notice_start, s.notice_end) == (review.NOTICE, T0.date(), dt.date(2025, 10, 12))
    assert review.official(db, P) == 1
    s = review.publish(db, P, by="admin", at=AFTER)
    assert (s.state, s.run, s.official) == (review.PUBLISHED, 1, 1)
    assert [(p.run, p.published_by, p.reason) for p in s.history] == [(1, "admin", None)]
    assert review.officials(db) == {P: 1}
    assert review.official(db, "2025Q2") is None  # another period is untouched


def test_submit_takes_the_latest_run_and_a_later_run_changes_nothing(db):
    assert review.submit(db, P, by="admin", at=T0).run == 2  # the latest by default
    review.reject(db, P, by="approver", reason="口径有误", at=T0)
    _published(db)  # run 1 this time
    assert review.official(db, P) == 1  # run 2 exists, computed later: still run 1 until corrected


def test_rights_and_the_same_user(db):
    for who in ("approver", "viewer", "east", "nobody"):
        with pytest.raises(ReviewError):
            review.submit(db, P, by=who, run=1, at=T0)
    review.submit(db, P, by="admin2", run=1, at=T0)  # admin2 holds admin and approve
    with pytest.raises(ReviewError, match="submitted"):
        review.approve(db, P, by="admin2", at=T0)
    with pytest.raises(ReviewError, match="submitted"):
        review.reject(db, P, by="admin2", reason="r", at=T0)
    for who in ("admin", "viewer"):  # admin lacks approve
        with pytest.raises(ReviewError, match="right"):
            review.approve(db, P, by=who, at=T0)
    with pytest.raises(ReviewError, match="right"):
        review.withdraw(db, P, by="approver", reason="r", at=T0)
    review.approve(db, P, by="east", at=T0)  # any holder of approve but the submitter
    for who in ("approver", "viewer"):
        with pytest.raises(ReviewError, match="right"):
            review.publish(db, P, by=who, at=AFTER)
    review.publish(db, P, by="admin", at=AFTER)
    with pytest.raises(ReviewError, match="right"):
        review.correct(db, P, run=2, by="approver", reason="r", at=AFTER)


def test_transitions_refused_in_the_wrong_state(db):
    wrong = {  # state: actions it refuses
        review.DRAFT: ("approve", "reject", "withdraw", "publish", "correct"),
        review.REVIEW: ("submit", "publish", "correct"),
        review.NOTICE: ("submit", "approve", "reject", "correct"),
        review.PUBLISHED: ("submit", "approve", "reject", "withdraw", "publish"),
    }
    calls = {
        "submit": lambda: review.submit(db, P, by="admin", run=1, at=AFTER),
        "approve": lambda: review.approve(db, P, by="approver", at=AFTER),
        "reject": lambda: review.reject(db, P, by="approver", reason="r", at=AFTER),
        "withdraw": lambda: review.withdraw(db, P, by="admin", reason="r", at=AFTER),
        "publish": lambda: review.publish(db, P, by="admin", at=AFTER),
        "correct": lambda: review.correct(db, P, run=2, by="admin", reason="r", at=AFTER),
    }
    steps = [
        lambda: None,
        lambda: review.submit(db, P, by="admin", run=1, at=T0),
        lambda: review.approve(db, P, by="approver", at=T0),
        lambda: review.publish(db, P, by="admin", at=AFTER),
    ]
    for step, (expected, refused) in zip(steps, wrong.items(), strict=True):
        step()
        assert review.state(db, P).state == expected
        for action in refused:
            with pytest.raises(ReviewError, match="cannot"):
                calls[action]()
            assert review.state(db, P).state == expected, action


def test_reject_and_withdraw_go_back_to_draft(db):
    review.submit(db, P, by="admin", run=1, at=T0)
    assert review.reject(db, P, by="approver", reason="口径有误", at=T0).state == review.DRAFT
    _on_notice(db)
    s = review.withdraw(db, P, by="admin", reason="数据需重载", at=T0)
    assert (s.state, s.official) == (review.DRAFT, None)
    with pytest.raises(ReviewError, match="reason"):
        review.submit(db, P, by="admin", run=1, at=T0) and review.reject(db, P, by="approver", reason=" ", at=T0)


def test_publication_waits_for_the_notice_and_the_objections(db):
    _on_notice(db)
    with pytest.raises(ReviewError, match="notice runs until 2025-10-12"):
        review.publish(db, P, by="admin", at=dt.datetime(2025, 10, 12, 23, 59))
    number = objections.file(db, period=P, level="grid", unit_id=G1, by="east", text_="数据有误", at=T0)
    with pytest.raises(ReviewError, match="objections still open: 1"):
        review.publish(db, P, by="admin", at=AFTER)
    with pytest.raises(ReviewError, match="right"):
        objections.resolve(db, number, by="approver", accept=True, note="n", at=T0)
    objections.resolve(db, number, by="admin", accept=False, note="经核实无误", at=T0)
    with pytest.raises(ReviewError, match="already resolved"):
        objections.resolve(db, number, by="admin", accept=True, note="n", at=T0)
    assert review.publish(db, P, by="admin", at=AFTER).state == review.PUBLISHED
    row = objections.listing(db).iloc[0]
    assert (row.decision, row.note, row.resolved_by, row.run_id) == ("reject", "经核实无误", "admin", 1)


def test_notice_dates_and_days(db):
    review.submit(db, P, by="admin", run=1, at=T0)
    for bad in ({"notice_days": 0}, {"notice_days": 61}, {"notice_start": "2025-10-07"}, {"notice_start": "x"}):
        with pytest.raises(ReviewError):
            review.approve(db, P, by="approver", at=T0, **bad)
    s = review.approve(db, P, by="approver", at=T0, notice_days=7, notice_start="2025-10-10")
    assert (s.notice_start, s.notice_end) == (dt.date(2025, 10, 10), dt.date(2025, 10, 16))


def test_a_correction_reopens_notice_and_keeps_both_versions(db):
    _published(db)
    with pytest.raises(ReviewError, match="already the published"):
        review.correct(db, P, run=1, by="admin", reason="r", at=AFTER)
    s = review.correct(db, P, run=2, by="admin", reason="网格数据更正", at=AFTER)
    assert (s.state, s.run, s.correction, review.official(db, P)) == (review.NOTICE, 2, "网格数据更正", 2)
    assert s.published.run == 1  # still the version in force until the correction is published
    # withdrawn, the correction leaves the published version official
    s = review.withdraw(db, P, by="admin", reason="撤回更正", at=AFTER)
    assert (s.state, s.run, review.official(db, P)) == (review.PUBLISHED, 1, 1)
    review.correct(db, P, run=2, by="admin", reason="网格数据更正", at=AFTER)
    s = review.publish(db, P, by="admin", at=AFTER + dt.timedelta(days=5))
    assert (s.state, s.run) == (review.PUBLISHED, 2)
    assert [(p.run, p.reason) for p in s.history] == [(1, None), (2, "网格数据更正")]


def test_a_year_still_running_stays_a_draft(db):
    with pytest.raises(ReviewError, match="year-to-date"):
        review.submit(db, "2025", by="admin", run=1, at=T0)
    assert review.submit(db, "2024", by="admin", run=1, at=T0).state == review.REVIEW
    for bad in ("2025Q5", "Q3", ""):
        with pytest.raises(ReviewError):
            review.submit(db, bad, by="admin", at=T0)
    with pytest.raises(ReviewError, match="no such run"):
        review.submit(db, P, by="admin", run=9, at=T0)


def test_objections_only_on_notice_and_within_scope(db):
    with pytest.raises(ReviewError, match="public notice"):
        objections.file(db, period=P, level="grid", unit_id=G1, by="east", text_="t", at=T0)
    _on_notice(db)
    with pytest.raises(ReviewError, match="outside the user's scope"):
        objections.file(db, period=P, level="grid", unit_id=G3, by="east", text_="t", at=T0)
    with pytest.raises(ReviewError, match="outside the user's scope"):
        objections.file(db, period=P, level="city", unit_id="全市", by="west", text_="t", at=T0)
    with pytest.raises(ReviewError):
        objections.file(db, period=P, level="grid", unit_id="999", by="viewer", text_="t", at=T0)
    number = objections.file(
        db,
        period=P,
        level="district",
        unit_id="西区",
        by="west",
        text_="排名有误",
        data=b"proof",
        name="说明.pdf",
        at=T0,
    )
    row = objections.listing(db, filed_by="west").iloc[0]
    assert (row.objection_id, row.unit_name, row.file_name) == (number, "西区", "说明.pdf")
    assert register.read_evidence(db, row.file_sha256) == b"proof"
    assert objections.open_counts(db) == {P: 1}
    assert objections.listing(db, scope="东区").empty


def test_rectification_items_are_the_rules_units_and_go_overdue(db):
    _published(db)
    items = rectification.listing(db, period=P, at=AFTER)
    assert set(zip(items["level"], items["unit_id"], strict=True)) == LISTED[1]
    assert set(items["status"]) == {rectification.OPEN}
    assert set(items["deadline"].dt.date) == {AFTER.date() + dt.timedelta(days=30)}
    g1 = items.set_index("unit_id").loc[G1]
    assert g1.reasons == "较差" and g1.organisation == "甲网格党支部"
    assert [w["code"] for w in json.loads(g1.weakest)] == ["F1", "S1"]
    assert items.set_index("unit_id").loc["西区"].organisation == "西区委"
    number = int(g1.item_id)
    late = AFTER + dt.timedelta(days=31)
    assert (
        rectification.listing(db, status=rectification.OVERDUE, at=late)["item_id"].tolist()
        == items["item_id"].tolist()
    )
    assert rectification.overdue(db, scope="西区", at=late)["unit_id"].tolist() == ["西区"]
    assert rectification.overdue(db, at=AFTER + dt.timedelta(days=30)).empty  # the deadline day itself is in time
    # updates: a user whose scope holds the unit; confirm: admin, once reported done
    with pytest.raises(ReviewError, match="outside"):
        rectification.update(db, number, by="west", measures="m", at=late)
    with pytest.raises(ReviewError, match="give measures"):
        rectification.update(db, number, by="east", at=late)
    with pytest.raises(ReviewError, match="status must be"):
        rectification.update(db, number, by="east", status="逾期", at=late)
    assert (
        rectification.update(db, number, by="east", measures="补开组织生活", status="整改中", at=late)["status"]
        == "逾期"
    )
    with pytest.raises(ReviewError, match="only an item reported done"):
        rectification.confirm(db, number, by="admin", at=late)
    item = rectification.update(
        db, number, by="east", status="已完成", evidence_bytes=b"pdf", evidence_name="记录.pdf", at=late
    )
    assert (item["status"], item["measures"], item["evidence_name"]) == ("已完成", "补开组织生活", "记录.pdf")
    with pytest.raises(ReviewError, match="right"):
        rectification.confirm(db, number, by="east", at=late)
    assert rectification.confirm(db, number, by="admin", at=late)["status"] == rectification.CONFIRMED
    with pytest.raises(ReviewError, match="already confirmed"):
        rectification.update(db, number, by="east", measures="m", at=late)
    assert rectification.evidence(db, number, by="east") == ("记录.pdf", b"pdf")


def test_a_published_correction_adds_the_newly_listed_units(db):
    _published(db)
    review.correct(db, P, run=2, by="admin", reason="更正", at=AFTER)
    review.publish(db, P, by="admin", at=AFTER + dt.timedelta(days=5))
    items = rectification.listing(db, period=P, at=AFTER)
    assert set(zip(items["level"], items["unit_id"], strict=True)) == LISTED[1] | LISTED[2]
    assert items.set_index("unit_id").loc[G3].reasons == "黑榜"


def test_every_step_is_audited(db):
    _published(db)
    review.correct(db, P, run=2, by="admin", reason="更正", at=AFTER)
    number = objections.file(db, period=P, level="grid", unit_id=G1, by="east", text_="t", at=AFTER)
    objections.resolve(db, number, by="admin", accept=True, note="已更正", at=AFTER)
    review.withdraw(db, P, by="admin", reason="r", at=AFTER)
    review.submit(db, "2025Q2", by="admin", run=1, at=AFTER)
    review.reject(db, "2025Q2", by="approver", reason="r", at=AFTER)
    item = int(rectification.listing(db)["item_id"].iloc[0])
    rectification.update(db, item, by="admin", status="已完成", at=AFTER)
    rectification.confirm(db, item, by="admin", at=AFTER)
    log = audit.read().sort_values("seq")
    assert log["event"].tolist() == [
        "review_submitted", "review_approved", "review_published", "review_corrected", "objection_filed",
        "objection_resolved", "review_withdrawn", "review_submitted", "review_rejected", "rectification_updated",
        "rectification_confirmed",
    ]  # fmt: skip
    assert log["actor"].tolist()[:3] == ["admin", "approver", "admin"]
    published = json.loads(log.iloc[2]["detail"])
    assert (published["run"], published["items"], log.iloc[2]["subject"]) == (1, 3, P)
    assert json.loads(log.iloc[3]["detail"])["replaces"] == 1
    assert set(audit.EVENTS) >= set(log["event"])


def test_a_failed_audit_keeps_nothing(db, monkeypatch):
    def broken(*args, **kwargs):
        raise audit.AuditKeyError("no key")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(audit.AuditKeyError):
        review.submit(db, P, by="admin", run=1, at=T0)
    assert review.state(db, P).state == review.DRAFT


def test_an_objection_may_span_lines_but_no_other_control_character(db):
    _on_notice(db)
    number = objections.file(
        db, period=P, level="grid", unit_id=G1, by="east", text_="一、服务记录缺失\r\n二、满意度有误", at=T0
    )
    assert objections.listing(db, filed_by="east").iloc[0].text == "一、服务记录缺失\n二、满意度有误"
    with pytest.raises(ReviewError, match="control characters"):
        objections.file(db, period=P, level="grid", unit_id=G1, by="east", text_="数据\x1b[2J有误", at=T0)
    with pytest.raises(ReviewError, match="control characters"):  # a reason stays on one line
        review.withdraw(db, P, by="admin", reason="第一行\n第二行", at=T0)
    assert number == 1
