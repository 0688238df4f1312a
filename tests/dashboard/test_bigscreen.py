"""大屏 the big screen (AppTest): each panel, the turn of panels, the URL's parameters and their
fallbacks, meeting mode forced, no sidebar, a district user's scope, and the display's
keep-alive with its cap (dashboard/auth.py)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth, sessions
from pipelines.engine.scores_db import connect_read
from tests.signin import Clock, app

PANELS = ("ranking", "map", "trends", "lists")
INJECTIONS = ("' OR 1=1 --", "%", ";DROP TABLE grids", "<script>alert(1)</script>")
DARK, LIGHT = "#0e1117", "#ffffff"


def _screen(monkeypatch, db: Path, user: str = "city", **params: str) -> AppTest:
    at = app(monkeypatch, db, "bigscreen", user=user, **params)
    assert not at.exception, at.exception
    return at


def _query(at: AppTest, key: str) -> str:
    """A query parameter as the app left it (AppTest gives one value or a list of them)."""
    value = at.query_params[key]
    return value[-1] if isinstance(value, list) else value


def _html(at: AppTest) -> list[str]:
    return [e.proto.body for e in at.get("html")]


def _head(at: AppTest) -> dict[str, str]:
    """The panel shown: its name, theme, title, context line and position."""
    head = next(b for b in _html(at) if "data-panel=" in b)
    found = {
        key: re.search(pattern, head).group(1)
        for key, pattern in {
            "panel": r'data-panel="([a-z]+)"',
            "theme": r'data-theme="([a-z]+)"',
            "title": r'class="pbi-bs-title">([^<]*)<',
            "context": r'class="pbi-bs-context">([^<]*)<',
            "position": r'class="pbi-bs-position">([^<]*)<',
        }.items()
    }
    return found


def _css(at: AppTest) -> str:
    return next(b for b in _html(at) if "pbi-bs-head" in b and "<style>" in b)


def _footer(at: AppTest) -> str:
    return next(b for b in _html(at) if "pbi-bs-foot" in b)


def _body(at: AppTest) -> str:
    """The panel's own content: its HTML (not the style sheet) and its charts."""
    parts = [b for b in _html(at) if "<style>" not in b]
    parts += [e.proto.spec for e in at.get("plotly_chart")]
    return "\n".join(parts)


def _values(array: list | dict) -> list[float]:
    """A chart's numbers as Plotly sends them: a list, or typed bytes (dtype, bdata)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def _sql(db: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with connect_read(db) as con:
        return con.execute(sql, params or []).df()


def _level(db: Path, level: str, period: str = "2025Q4") -> pd.DataFrame:
    return _sql(
        db,
        "SELECT * FROM unit_scores WHERE run_id = (SELECT max(run_id) FROM runs) AND period = ? AND level = ?",
        [period, level],
    )


# --- panels -------------------------------------------------------------------------------------


def test_ranking_panel_lists_the_top_units_in_rank_order(monkeypatch, published_demo):
    at = _screen(monkeypatch, published_demo, level="grid", panel="ranking")
    head = _head(at)
    assert head["panel"] == "ranking" and head["position"] == "1 / 4"
    assert head["title"] == "党建综合指数排名 · 前 10 名" and head["context"] == "2025Q4 · 网格 · 全市"
    expected = _level(published_demo, "grid").dropna(subset=["composite_rank"]).sort_values("composite_rank")
    body = _body(at)
    shown = re.findall(r"<td><b>([^<]+)</b>", body)
    assert shown == list(expected["unit_name"].head(10))
    scores = re.findall(r"</span><b>([0-9.]+)</b></td>", body)
    assert scores == [f"{v:.1f}" for v in expected["composite"].head(10)]  # one decimal
    assert "background-color: #c62828" in body  # 红榜 labels in the list colour
    assert not at.get("plotly_chart")


def test_map_panel_draws_offline_in_the_theme(monkeypatch, published_demo):
    at = _screen(monkeypatch, published_demo, level="community", panel="map")
    assert _head(at)["panel"] == "map"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    style = spec["layout"]["map"]["style"]
    assert style["sources"] == {} and style["layers"][0]["paint"]["background-color"] == DARK
    assert spec["layout"]["paper_bgcolor"] == DARK
    coloured = {u for trace in spec["data"] for u in trace["locations"]}
    assert coloured == set(_level(published_demo, "community")["unit_id"])
    assert "http" not in json.dumps(spec)  # no tiles, glyphs or sprites to fetch


def test_trends_panel_plots_the_scopes_four_indices(monkeypatch, published_demo):
    at = _screen(monkeypatch, published_demo, panel="trends", index="service")
    assert _head(at)["title"] == "全市 · 各项指数走势"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    city = _sql(
        published_demo,
        "SELECT * FROM unit_scores WHERE run_id = (SELECT max(run_id) FROM runs) AND level = 'city' "
        "AND period LIKE '%Q%' ORDER BY period",  # a quarter's panel plots the quarters
    )
    traces = {trace["name"]: trace for trace in spec["data"]}
    assert list(traces) == ["党建综合指数", "堡垒指数", "先锋指数", "服务指数"]
    assert _values(traces["服务指数"]["y"]) == pytest.approx(list(city["service"]))
    assert traces["服务指数"]["line"]["width"] > traces["党建综合指数"]["line"]["width"]  # the chosen index
    assert spec["layout"]["font"]["size"] >= 18  # large type


def test_lists_panel_shows_red_black_and_yellow(monkeypatch, published_demo):
    at = _screen(monkeypatch, published_demo, level="grid", panel="lists")
    units = _level(published_demo, "grid").dropna(subset=["composite_rank"])
    red, black = (units[units["list"] == name] for name in ("红榜", "黑榜"))
    yellow = units[units["yellow_card"].fillna(False).astype(bool)]
    body = _body(at)
    for title in (f"红榜（{len(red)}）", f"黑榜（{len(black)}）", f"黄牌（{len(yellow)}）"):
        assert title in body
    first_red = red.sort_values("composite_rank")["unit_name"].iloc[0]
    last_black = black.sort_values("composite_rank")["unit_name"].iloc[-1]
    names = re.findall(r"<td><b>([^<]+)</b>", body)
    assert names[0] == first_red and last_black in names


def test_english(monkeypatch, published_demo):
    at = _screen(monkeypatch, published_demo, level="street", panel="ranking", lang="en")
    assert _head(at)["title"] == "Composite index · top 2" and _head(at)["context"] == "2025Q4 · Street · City"
    assert "Meeting mode: names masked" in _footer(at)


# --- turning -----------------------------------------------------------------------------------


def test_panels_turn_in_order_once_the_interval_has_passed(monkeypatch, published_demo):
    clock = Clock(monkeypatch)
    at = _screen(monkeypatch, published_demo, interval="20")
    seen = [_head(at)["panel"]]
    at.run()  # no time has passed: the same panel
    assert _head(at)["panel"] == seen[0]
    clock.advance(seconds=10)
    at.run()  # half the interval: still the same panel
    assert _head(at)["panel"] == seen[0]
    for _ in PANELS:
        clock.advance(seconds=20)
        at.run()
        assert not at.exception
        seen.append(_head(at)["panel"])
    assert seen == [*PANELS, PANELS[0]]
    assert _head(at)["position"] == "1 / 4" and "每 20 秒切换" in _footer(at)


def test_a_pinned_panel_stays(monkeypatch, published_demo):
    clock = Clock(monkeypatch)
    at = _screen(monkeypatch, published_demo, panel="lists")
    clock.advance(minutes=5)
    at.run()
    assert _head(at)["panel"] == "lists" and "固定显示本面板" in _footer(at)


# --- the URL ------------------------------------------------------------------------------------


def test_parameters_come_from_the_url(monkeypatch, published_demo):
    at = _screen(
        monkeypatch,
        published_demo,
        theme="light",
        interval="30",
        period="2024Q3",
        level="street",
        index="service",
        panel="ranking",
    )
    head = _head(at)
    assert head["theme"] == "light" and f"background: {LIGHT}" in _css(at)
    assert head["context"] == "2024Q3 · 街道 · 全市" and head["title"] == "服务指数排名 · 前 2 名"
    expected = _level(published_demo, "street", "2024Q3").sort_values("service_rank")
    assert re.findall(r"<td><b>([^<]+)</b>", _body(at)) == list(expected["unit_name"])
    assert "名次变化" not in _body(at)  # the published rank change is the composite's
    assert _query(at, "theme") == "light" and _query(at, "interval") == "30"


def test_scope_from_the_url(monkeypatch, two_districts):
    at = _screen(monkeypatch, two_districts, scope="西湖区", level="community", panel="ranking")
    assert _head(at)["context"] == "2025Q4 · 社区 · 西湖区"
    communities = set(_sql(two_districts, "SELECT community FROM grids WHERE district = '西湖区'")["community"])
    shown = re.findall(r"<td><b>([^<]+)</b>", _body(at))
    assert shown and set(shown) <= communities


@pytest.mark.parametrize(
    "value,seconds",
    [("1", 5), ("4", 5), ("5", 5), ("60", 60), ("300", 300), ("99999", 300), ("-5", 15), ("7.5", 15), ("abc", 15)],
)
def test_interval_is_clamped_or_falls_back(monkeypatch, published_demo, value, seconds):
    at = _screen(monkeypatch, published_demo, interval=value)
    assert f"每 {seconds} 秒切换" in _footer(at) and _query(at, "interval") == str(seconds)


def test_invalid_values_fall_back_to_the_defaults(monkeypatch, published_demo):
    clean = _screen(monkeypatch, published_demo, level="grid")
    expected = _body(clean)
    for param in ("theme", "interval", "panel", "period", "level", "scope", "index"):
        for value in INJECTIONS:
            at = _screen(monkeypatch, published_demo, **{"level": "grid", param: value})
            head = _head(at)
            assert (head["panel"], head["theme"], head["position"]) == ("ranking", "dark", "1 / 4"), (param, value)
            assert head["context"] == "2025Q4 · 网格 · 全市", (param, value)
            assert _body(at) == expected, (param, value)
            assert "<script>" not in "".join(_html(at))


# --- meeting mode, no sidebar, scope -------------------------------------------------------------


def test_meeting_mode_is_forced(monkeypatch, published_demo):
    at = _screen(monkeypatch, published_demo, user="district")  # may see names elsewhere
    assert _query(at, "meeting") == "1" and at.session_state["meeting"] is True
    assert at.session_state["pbi_viewer"].meeting and not at.session_state["pbi_viewer"].show_names


def test_no_sidebar_no_header_large_type(monkeypatch, published_demo):
    css = _css(_screen(monkeypatch, published_demo))
    hidden = css.split("{ display: none !important; }")[0]
    for selector in ('[data-testid="stSidebar"]', '[data-testid="stExpandSidebarButton"]', "stHeader", "stToolbar"):
        assert selector in hidden
    assert "zoom: 1 !important" in css and "font-size: clamp(18px" in css
    assert f"background: {DARK}" in css


@pytest.fixture(scope="module")
def places(two_districts) -> pd.DataFrame:
    return _sql(
        two_districts,
        "SELECT grid_id, district, street, community, district || '/' || street || '/' || community AS path FROM grids",
    )


@pytest.mark.parametrize("level", ["grid", "community", "district"])
def test_a_district_user_asking_for_the_other_district_sees_only_their_own(monkeypatch, two_districts, places, level):
    home = places[places["district"] == "上城区"]
    other = places[places["district"] == "西湖区"]
    markers = (set(other["grid_id"]) | set(other["street"]) | set(other["community"]) | {"西湖区"}) - (
        set(home["street"]) | set(home["community"])
    )
    assert markers
    for panel in PANELS:
        at = _screen(monkeypatch, two_districts, user="district", scope="西湖区", level=level, panel=panel)
        assert _head(at)["context"].endswith("· 上城区"), panel
        body = _body(at)
        leaked = sorted(m for m in markers if m in body)
        assert not leaked, (level, panel, leaked[:5])
        if panel == "ranking":
            assert re.findall(r"<td><b>([^<]+)</b>", body)  # their own units are there


# --- keep-alive ---------------------------------------------------------------------------------


@pytest.fixture
def session(monkeypatch, published_demo) -> sessions.Session:
    """A live session of the demo city user (published_demo's users file), signed in an hour
    ago and last used 20 minutes ago, in a session state of its own."""
    now = dt.datetime.now(dt.UTC)
    started = sessions.start("city", "password", now - dt.timedelta(hours=1))
    sessions.touch(started.id, now - dt.timedelta(minutes=20))
    monkeypatch.setattr(auth.st, "session_state", {auth.SESSION_KEY: started.id})
    return sessions.get(started.id)


def _last_seen(session: sessions.Session) -> dt.datetime:
    return sessions.get(session.id).last_seen


def test_the_display_keeps_a_live_session(session):
    at = dt.datetime.now(dt.UTC)
    assert auth.keep_alive_display(at) is True and _last_seen(session) == at


def test_the_display_keeps_no_session_past_the_cap(monkeypatch, session):
    at = session.signed_in + dt.timedelta(hours=8, minutes=1)
    sessions.touch(session.id, at - dt.timedelta(minutes=5))
    assert auth.keep_alive_display(at) is False and _last_seen(session) == at - dt.timedelta(minutes=5)
    monkeypatch.setenv("PBI_BIGSCREEN_HOURS", "0.5")  # the cap is configurable
    fresh = sessions.start("city", "password", session.signed_in)
    auth.st.session_state[auth.SESSION_KEY] = fresh.id
    at = fresh.signed_in + dt.timedelta(minutes=29)
    assert auth.keep_alive_display(at) is True and _last_seen(fresh) == at
    at = fresh.signed_in + dt.timedelta(minutes=31)
    assert auth.keep_alive_display(at) is False and _last_seen(fresh) == at - dt.timedelta(minutes=2)


def test_the_display_does_not_revive_an_idle_session(session):
    before = _last_seen(session)
    assert auth.keep_alive_display(before + dt.timedelta(minutes=31)) is False and _last_seen(session) == before


def test_a_changed_account_is_handed_to_the_gate(monkeypatch, session, tmp_path):
    from pipelines.access import users

    copy = tmp_path / "users.json"  # the demo users file is shared: change a copy
    copy.write_text(users.users_path().read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("PBI_USERS", str(copy))
    auth.st.session_state[auth.SESSION_KEY] = sessions.start("city", "password").id  # in the copy's store
    users.set_password("city", "another-Passw0rd-1", copy)
    reruns: list[str] = []

    class Rerun(Exception):
        pass

    def rerun(scope: str = "app") -> None:
        reruns.append(scope)
        raise Rerun

    monkeypatch.setattr(auth.st, "rerun", rerun)
    with pytest.raises(Rerun):
        auth.keep_alive_display()
    assert reruns == ["app"]


def test_no_session_nothing_kept(monkeypatch):
    monkeypatch.setattr(auth.st, "session_state", {})
    assert auth.keep_alive_display() is False


def test_turns_keep_the_screen_until_its_cap_on_the_clock(monkeypatch, published_demo):
    """The screen's turns on the test's clock, one every 10 minutes (the fragment's, with no
    full run of the page): kept past the 30-minute idle timeout up to 8 hours after sign-in,
    then no longer, so the gate ends it 30 minutes after its last kept turn."""
    clock = Clock(monkeypatch)
    started = sessions.start("city", "password")
    monkeypatch.setattr(auth.st, "session_state", {auth.SESSION_KEY: started.id})
    for _ in range(6 * 8):
        clock.advance(minutes=10)
        assert auth.keep_alive_display() is True
    assert clock.at - started.signed_in == dt.timedelta(hours=8)
    last = clock.at
    clock.advance(minutes=10)
    assert auth.keep_alive_display() is False and sessions.get(started.id).last_seen == last
    assert clock.at - sessions.get(started.id).last_seen < auth.timeout() < clock.advance(minutes=21) - last
