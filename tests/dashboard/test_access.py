"""Access in the dashboard (AppTest) over a city of two districts: sign-in, lockout, expiry,
each role's scope against links that ask for the other district's data, injection strings in
every filter and query parameter, masking, and the audit of downloads."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth, sessions
from pipelines.access import audit, users
from pipelines.engine.scores_db import connect_read
from tests.signin import APP, PASSWORDS, Clock, app, capture_downloads

HOME = "上城区"  # the first district: the demo users' units are in it
SCOPES = {"district": "上城区", "street": "上城区/东湖街道", "community": "上城区/东湖街道/湖湾社区", "city": ""}
INJECTIONS = ("' OR 1=1 --", "%", ";DROP TABLE grids")


def _sql(db: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with connect_read(db) as con:
        return con.execute(sql, params or []).df()


@pytest.fixture(scope="module")
def places(two_districts) -> pd.DataFrame:
    """Every grid with its community path."""
    return _sql(
        two_districts,
        "SELECT grid_id, district, street, community, district || '/' || street || '/' || community AS path FROM grids",
    )


def _inside(path: str, scope: str) -> bool:
    return scope == "" or path == scope or path.startswith(scope + "/")


def _outside_markers(places: pd.DataFrame, scope: str) -> set[str]:
    """Grid ids, and street and community names, found only outside the scope."""
    inside = places[[_inside(p, scope) for p in places["path"]]]
    outside = places.drop(inside.index)
    names = set(outside["street"]) | set(outside["community"]) | set(outside["district"])
    return set(outside["grid_id"]) | (
        names - set(inside["street"]) - set(inside["community"]) - set(inside["district"])
    )


def _text(at: AppTest) -> str:
    """Everything the page shows, tables and chart data included."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [e.value.to_csv() for e in at.dataframe]
    parts += [" ".join(map(str, e.options)) for e in (*at.selectbox, *at.multiselect)]
    parts += [e.proto.spec for e in at.get("plotly_chart")]
    return "\n".join(parts)


def _events(event: str | None = None) -> pd.DataFrame:
    log = audit.read()
    return log if event is None else log[log["event"] == event]


# --- signing in ---------------------------------------------------------------------------


def _login_form(monkeypatch, db: Path, **params: str) -> AppTest:
    return app(monkeypatch, db, user=None, **params)


def _submit(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    return at.button[0].click().run()


def test_nobody_signed_in_sees_only_the_form(monkeypatch, two_districts):
    at = _login_form(monkeypatch, two_districts, level="grid")
    assert not at.exception
    assert [s.value for s in at.subheader] == ["登录"]
    assert not at.dataframe and not at.metric and "pbi_viewer" not in at.session_state
    assert {e.label for e in at.text_input} == {"用户名", "密码"}


def test_sign_in_opens_the_page_asked_for_and_is_audited(monkeypatch, two_districts):
    at = _login_form(monkeypatch, two_districts)
    at.switch_page("views/rankings.py").run()
    at = _submit(at, "district", PASSWORDS["district"]).run()  # (a browser is sent for its cookie and back)
    assert not at.exception
    assert at.title[0].value.startswith("排名")
    assert "district（区级 · 上城区）" in at.sidebar.caption[0].value
    ok = _events("login_ok")
    assert list(ok["subject"]) == ["district"] and json.loads(ok["detail"].iloc[0]) == {"method": "password"}


def test_wrong_password_and_unknown_name_say_the_same(monkeypatch, two_districts):
    at = _submit(_login_form(monkeypatch, two_districts), "district", "not-the-password")
    assert at.error[0].value == "用户名或密码错误。" and at.subheader[0].value == "登录"
    at = _submit(at, "nobody-here", "whatever-password")
    assert at.error[0].value == "用户名或密码错误。"
    assert list(_events("login_failed")["subject"]) == ["nobody-here", "district"]


def test_five_failures_lock_the_name_for_five_minutes(monkeypatch, two_districts):
    at = _login_form(monkeypatch, two_districts)
    for _ in range(4):
        at = _submit(at, "street", "wrong-password-1")
        assert at.error[0].value == "用户名或密码错误。"
    at = _submit(at, "street", "wrong-password-1")
    assert "已锁定" in at.error[0].value and "5 分钟" in at.error[0].value
    at = _submit(at, "street", PASSWORDS["street"])  # the right password, refused while locked
    assert "已锁定" in at.error[0].value and at.subheader[0].value == "登录"
    assert len(_events("login_failed")) == 5 and len(_events("login_locked")) == 1
    at = _submit(at, "district", PASSWORDS["district"]).run()  # the lock is the name's, not the browser's
    assert at.title[0].value.startswith("总览")
    later = audit.now() + dt.timedelta(minutes=5, seconds=1)
    assert audit.locked_until("street", later) is None


def test_an_idle_session_expires(monkeypatch, two_districts):
    clock = Clock(monkeypatch)
    at = app(monkeypatch, two_districts, user="district")
    assert at.title[0].value.startswith("总览")
    sid = at.session_state["pbi_session"]
    clock.advance(minutes=29)
    at.run()  # a click within the timeout: still signed in, and the idle clock starts again
    assert at.title[0].value.startswith("总览")
    clock.advance(minutes=30, seconds=1)
    at.run()
    assert at.subheader[0].value == "登录" and "30 分钟未操作" in at.info[0].value
    assert list(_events("session_expired")["subject"]) == ["district"]
    assert sessions.get(sid) is None  # ended on the server: its cookie leads nowhere now
    at.run()  # the page does not come back by itself
    assert at.subheader[0].value == "登录" and not at.dataframe


def test_timeout_is_configurable(monkeypatch, two_districts):
    monkeypatch.setenv("PBI_SESSION_MINUTES", "5")
    clock = Clock(monkeypatch)
    at = app(monkeypatch, two_districts, user="district")
    clock.advance(minutes=6)
    at.run()
    assert "5 分钟未操作" in at.info[0].value


def test_a_new_password_or_removal_ends_open_sessions(monkeypatch, two_districts, tmp_path):
    path = tmp_path / "users.json"
    path.write_text(Path(users.users_path()).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("PBI_USERS", str(path))
    at = app(monkeypatch, two_districts, user="street")
    assert at.title[0].value.startswith("总览")
    ended = [at.session_state["pbi_session"]]
    users.set_password("street", "a-brand-new-password")
    at.run()
    assert at.subheader[0].value == "登录" and "重新登录" in at.info[0].value
    at = app(monkeypatch, two_districts, user="community")
    ended.append(at.session_state["pbi_session"])
    users.remove("community")
    at.run()
    assert at.subheader[0].value == "登录"
    assert set(_events("session_ended")["subject"]) == {"street", "community"}
    assert [sessions.get(sid) for sid in ended] == [None, None]  # ended on the server, not only in the tab


def test_sign_out(monkeypatch, two_districts):
    at = app(monkeypatch, two_districts, user="district")
    sid = at.session_state["pbi_session"]
    at.sidebar.button(key="logout").click().run()
    assert at.subheader[0].value == "登录" and "pbi_session" not in at.session_state
    assert list(_events("logout")["subject"]) == ["district"]
    assert sessions.get(sid) is None


def test_the_session_cannot_be_forged_from_session_state(monkeypatch, two_districts):
    """A browser sends widget values only; a plain value under the session keys is ignored."""
    monkeypatch.setenv("PBI_DB", str(two_districts))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["pbi_session"] = {"name": "admin"}
    at.session_state["pbi_viewer"] = {"name": "admin", "scope": ""}
    at.run()
    assert at.subheader[0].value == "登录" and not at.dataframe


def test_oidc_button_when_configured_and_identity_matching():
    known = users.load(None) | {
        "wang@city.gov.cn": users.User("wang@city.gov.cn", "区级", "上城区"),
    }
    assert auth.oidc_match("Wang@City.gov.cn", known).unit == "上城区"
    assert auth.oidc_match("li@city.gov.cn", known) is None and auth.oidc_match(None, known) is None


def test_oidc_button_shows_with_auth_secrets(monkeypatch, two_districts):
    monkeypatch.setenv("PBI_DB", str(two_districts))
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32}
    at.run()
    assert any(b.label == "使用统一身份认证登录" for b in at.button)
    at = _login_form(monkeypatch, two_districts)
    assert not any(b.label == "使用统一身份认证登录" for b in at.button)


# --- scope: links asking for the other district ----------------------------------------------


def _attacks(db: Path, places: pd.DataFrame) -> list[tuple[str, dict[str, str]]]:
    """Pages with query parameters that name data of 西湖区 (outside every demo unit)."""
    other = places[places["district"] == "西湖区"]
    grid = other["grid_id"].iloc[0]
    community = other["path"].iloc[0]
    member = _sql(
        db,
        "SELECT member_no FROM members WHERE grid_id IN (SELECT grid_id FROM grids WHERE district = '西湖区') LIMIT 1",
    )["member_no"].iloc[0]
    units = ",".join(other["grid_id"].head(3))
    return [
        ("overview", {"scope": "西湖区", "level": "grid"}),
        ("overview", {"level": "city"}),
        ("rankings", {"scope": "西湖区", "level": "grid"}),
        ("rankings", {"scope": community, "level": "grid"}),
        ("rankings", {"level": "district"}),
        ("map", {"scope": "西湖区", "level": "grid"}),
        ("map", {"level": "city"}),
        ("trends", {"level": "grid", "units": units}),
        ("profile", {"level": "grid", "unit": grid}),
        ("profile", {"level": "community", "unit": community}),
        ("profile", {"level": "district", "unit": "西湖区"}),
        ("members", {"scope": "西湖区", "member": str(member)}),
        ("quality", {}),
        ("methodology", {"level": "grid", "scope": "西湖区", "w_F1": "3"}),
    ]


@pytest.mark.parametrize("role", ["district", "street", "community"])
def test_no_page_shows_data_outside_the_scope(monkeypatch, two_districts, places, role):
    scope = SCOPES[role]
    markers = _outside_markers(places, scope)
    assert markers  # the other district is there to be leaked
    for page, params in _attacks(two_districts, places):
        at = app(monkeypatch, two_districts, page, user=role, **params)
        assert not at.exception, (page, params, at.exception)
        shown = _text(at)
        leaked = sorted(m for m in markers if m in shown)
        assert not leaked, (role, page, params, leaked[:5])
        for frame in at.dataframe:  # every unit listed is the scope's
            table = frame.value
            if "编码" in table.columns:  # unit codes (indicator codes such as F1 are not places)
                units = [u for u in table["编码"] if u in set(places["grid_id"]) or "区" in str(u)]
                assert all(_inside(_path(u, places), scope) for u in units), (page, params)


def _path(unit: str, places: pd.DataFrame) -> str:
    by_grid = dict(zip(places["grid_id"], places["path"], strict=True))
    return by_grid.get(unit, unit)


def test_the_city_user_sees_both_districts(monkeypatch, two_districts, places):
    at = app(monkeypatch, two_districts, "rankings", user="city", level="grid")
    codes = set(at.dataframe[0].value["编码"])
    assert codes == set(places["grid_id"]) - _unscored(two_districts)
    assert "西湖区" in _text(app(monkeypatch, two_districts, "map", user="city", level="district"))


def _unscored(db: Path) -> set[str]:
    return set(
        _sql(
            db,
            "SELECT unit_id FROM unit_scores WHERE level = 'grid' AND period = '2025Q4' AND run_id = 1 "
            "AND composite_rank IS NULL",
        )["unit_id"]
    )


def test_ranks_stay_the_published_ranks_of_the_level(monkeypatch, two_districts, places):
    at = app(monkeypatch, two_districts, "rankings", user="street", level="grid")
    shown = at.dataframe[0].value.set_index("编码")["排名"]
    published = _sql(
        two_districts,
        "SELECT unit_id, composite_rank FROM unit_scores WHERE run_id = 1 AND period = '2025Q4' AND level = 'grid'",
    ).set_index("unit_id")["composite_rank"]
    assert len(shown) and all(int(shown[u]) == int(published[u]) for u in shown.index)
    assert max(shown) > len(shown)  # ranks among the whole level, not re-ranked in the scope


def test_levels_above_the_users_unit_are_not_offered(monkeypatch, two_districts):
    at = app(monkeypatch, two_districts, "rankings", user="street", level="city")
    assert at.selectbox(key="f_level").options == ["网格", "社区", "街道"]
    assert at.selectbox(key="f_district").disabled and at.selectbox(key="f_district").options == ["上城区"]
    assert at.selectbox(key="f_street").disabled and at.selectbox(key="f_street").options == ["东湖街道"]
    assert at.title[0].value == "排名 · 网格 · 2025Q4"


def test_a_profile_link_outside_the_scope_is_refused_and_audited(monkeypatch, two_districts, places):
    grid = places.loc[places["district"] == "西湖区", "grid_id"].iloc[0]
    at = app(monkeypatch, two_districts, "profile", user="community", level="grid", unit=grid)
    assert "不在您的权限范围内" in at.warning[0].value
    assert at.query_params["unit"] != [grid] and grid not in _text(at)
    denied = _events("access_denied")
    assert list(denied["actor"]) == ["community"] and grid in denied["detail"].iloc[0]


def test_the_map_greys_the_neighbours_without_their_data(monkeypatch, two_districts, places):
    at = app(monkeypatch, two_districts, "map", user="district", level="grid")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    outside = [trace for trace in spec["data"] if trace.get("name") == "outside"]
    assert len(outside) == 1 and outside[0]["hoverinfo"] == "skip"
    ids = [f["id"] for f in outside[0]["geojson"]["features"]]
    assert len(ids) == 1 and ids[0].startswith("outside-")  # the other district, anonymous
    coloured = {loc for trace in spec["data"] if trace.get("name") != "outside" for loc in trace["locations"]}
    assert coloured == set(places.loc[places["district"] == HOME, "grid_id"])


# --- injection strings ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["district", "community"])
def test_injection_strings_change_nothing(monkeypatch, two_districts, role):
    pages = {"rankings": {"level": "grid"}, "members": {}, "profile": {"level": "grid"}}
    for page, base in pages.items():
        clean = app(monkeypatch, two_districts, page, user=role, **base)
        expected = [d.value for d in clean.dataframe]
        for param in ("period", "level", "scope", "index", "peer_class", "unit", "units", "member", "w_F1", "lang"):
            for value in INJECTIONS:
                at = app(monkeypatch, two_districts, page, user=role, **{**base, param: value})
                assert not at.exception, (page, param, value)
                got = [d.value for d in at.dataframe]
                assert len(got) == len(expected), (page, param, value)
                for a, b in zip(got, expected, strict=True):
                    pd.testing.assert_frame_equal(a, b)
    with duckdb.connect(str(two_districts), read_only=True) as con:  # and the warehouse is whole
        assert con.execute("SELECT count(*) FROM grids").fetchall()[0][0] == 29


def test_injection_strings_in_the_sidebar_filters(monkeypatch, two_districts):
    at = app(monkeypatch, two_districts, "rankings", user="street", level="grid")
    before = at.dataframe[0].value
    for key in ("f_period", "f_level", "f_index", "f_community"):
        for value in INJECTIONS:
            with pytest.raises(Exception):  # noqa: B017  (not an option: the widget itself refuses it)
                at.selectbox(key=key).set_value(value).run()
    at = app(monkeypatch, two_districts, "rankings", user="street", level="grid")
    pd.testing.assert_frame_equal(at.dataframe[0].value, before)


# --- masking ------------------------------------------------------------------------------------


def _names(db: Path) -> set[str]:
    return set(_sql(db, "SELECT DISTINCT name FROM members WHERE length(name) >= 2")["name"])


def _member_pages(monkeypatch, db: Path, user: str, **params: str) -> list[AppTest]:
    at = app(monkeypatch, db, "members", user=user, **params)
    member = str(at.dataframe[1].value["党员序号"].iloc[0])
    grid = at.dataframe[1].value["网格"].iloc[0]
    return [
        app(monkeypatch, db, "members", user=user, member=member, **params),
        app(monkeypatch, db, "profile", user=user, level="grid", unit=grid, **params),
    ]


@pytest.mark.parametrize(
    ("user", "params", "clear"),
    [
        ("community", {}, False),  # no pii
        ("city", {}, False),
        ("district", {}, True),  # pii
        ("district", {"meeting": "1"}, False),  # pii, but meeting mode
    ],
)
def test_names_only_with_pii_outside_meeting_mode(monkeypatch, two_districts, user, params, clear):
    names = _names(two_districts)
    phones: list[str] = []
    for at in _member_pages(monkeypatch, two_districts, user, **params):
        assert not at.exception
        shown = _text(at)
        found = {n for n in names if n in shown}
        assert bool(found) == clear, (user, params, sorted(found)[:3])
        assert not re.search(r"(?<!\d)\d{17}[\dXx](?!\d)", shown)  # never an ID number
        phones += re.findall(r"(?<![\d*])1\d{2}[\d*]{4}\d{4}(?!\d)", shown)
    assert phones and all(re.fullmatch(r"\d{3}\*{4}\d{4}", p) for p in phones)  # the member's, masked


def test_meeting_mode_by_the_sidebar_switch(monkeypatch, two_districts):
    names = _names(two_districts)
    at = app(monkeypatch, two_districts, "members", user="district")
    assert {n for n in names if n in _text(at)}
    at.sidebar.toggle(key="meeting").set_value(True).run()
    assert not {n for n in names if n in _text(at)} and at.query_params["meeting"] in ("1", ["1"])
    assert any("zoom" in str(e.proto) for e in at.get("html"))  # type enlarged


# --- downloads -------------------------------------------------------------------------------


def test_downloads_hold_only_the_scope_and_every_click_is_audited(monkeypatch, two_districts, places):
    payloads = capture_downloads(monkeypatch)
    at = app(monkeypatch, two_districts, "rankings", user="street", level="grid", scope="西湖区")
    table = at.dataframe[0].value
    csv_name = next(n for n in payloads if n.endswith(".csv"))
    frame = pd.read_csv(pd.io.common.BytesIO(payloads[csv_name]), encoding="utf-8-sig", dtype=str)
    assert len(frame) == len(table) > 0
    assert all(_inside(_path(u, places), SCOPES["street"]) for u in frame["编码"])
    xlsx = pd.read_excel(pd.io.common.BytesIO(payloads[csv_name.replace(".csv", ".xlsx")]), dtype=str)
    assert set(xlsx["编码"]) == set(frame["编码"])
    buttons = at.get("download_button")
    buttons[0].click().run()
    at.get("download_button")[1].click().run()
    downloads = _events("download").sort_values("seq")
    assert list(downloads["what"]) == ["rankings.csv", "rankings.xlsx"]
    assert set(downloads["actor"]) == {"street"} and set(downloads["scope"]) == {SCOPES["street"]}
    assert list(downloads["row_count"]) == [len(table), len(table)]
    assert json.loads(downloads["detail"].iloc[0])["level"] == "grid"
    assert audit.verify() == (len(audit.read()), [])


def test_a_typed_raw_files_url_is_refused_for_a_unit_user(monkeypatch, two_districts, small_default, tmp_path):
    for raw in (tmp_path / "no such folder", small_default):  # refused even where there is nothing to list
        monkeypatch.setenv("PBI_RAW", str(raw))
        at = app(monkeypatch, two_districts, "raw_files", user="district")
        assert [e.value for e in at.error] == ["该内容不在您的权限范围内。此次访问已记录。"] and not at.dataframe
    assert list(_events("access_denied")["what"]) == ["raw_files", "raw_files"]
    at = app(monkeypatch, two_districts, "raw_files", user="city")
    assert not at.error and len(at.dataframe[0].value) > 0


def test_ids_excel_mangled_are_masked_in_quarantine(two_districts):
    """A number Excel turned into 3.30102197107088E+17 still holds region and birth date:
    the quarantine keeps only its first six digits."""
    values = _sql(two_districts, "SELECT value FROM quarantine WHERE rule = 'excel_mangled_id' AND value IS NOT NULL")[
        "value"
    ]
    assert len(values) > 0
    assert values.str.fullmatch(r"\d\.\d{5}\*+[eE]\+?\d+|\d(\.\d{0,5})?[eE]\+?\d+").all(), values.head().tolist()
