"""Access and privacy in a real browser (Debian's headless Chromium, as in test_pages.py),
against `streamlit run` over a city of two districts whose demo users are bound to the first.

Each role signs in through the form and opens links that ask for the other district's data,
downloads rankings, and sends injection strings as query parameters: nothing outside its
scope may show (in the page's text, its tables' cells, its charts' data, or a download),
every download is in the audit log, members' names are masked unless the user may see them
(and never in meeting mode), phones and ID numbers only ever in masked form. Also: the
lockout after five wrong passwords, and an idle page signed out by itself."""

from __future__ import annotations

import contextlib
import io
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import pandas as pd
import pytest

from pipelines.access import audit, users
from pipelines.access.scope import covers
from pipelines.engine.scores_db import connect_read
from tests.browser.helpers import (
    RUN_OVER,
    SIGNED_IN,
    WAIT_SECONDS,
    audited,
    download,
    fill_sign_in,
    last_seq,
    serve,
    settled,
    sign_in,
)

OTHER = "西湖区"  # the district no demo user is bound to
ROLES = ("district", "street", "community", "city")
INJECTIONS = ("' OR 1=1 --", "%", ";DROP TABLE grids")
PHONE = re.compile(r"(?<![\d.])1\d{10}(?!\d)")  # a phone number in clear
ID_NUMBER = re.compile(r"(?<![\d.])\d{17}[\dXx](?![\dXx])")  # an 18-digit ID number in clear
PHONE_MASKED = re.compile(r"\d{3}\*{4}\d{4}")
ID_MASKED = re.compile(r"\d{6}\*{8}\d{3}[\dX]")
NAME_MASKED = re.compile(r".\*+.?")
RANKINGS, MEMBERS, PROFILE = "排名 ·", "先锋分前 50 名", "指标明细"
MEMBER_COLUMN, CODE_COLUMN = "党员", "编码"
DENIED = "不在您的权限范围内"  # a page refused: shown, and recorded in the audit log


@dataclass(frozen=True)
class City:
    """What the test knows of the published city, read from its files."""

    grids: pd.DataFrame  # grid_id, grid_name, district, street, community, path
    members: pd.DataFrame  # each member's latest roster row: member_no, name, id_masked, phone_masked, path
    ranked: pd.DataFrame  # unit_id, level, path of every unit ranked in the latest quarter
    names: frozenset[str]  # every member name in clear
    scopes: dict[str, str]  # user: scope
    pii: dict[str, bool]  # user: may see names

    def units(self, scope: str) -> set[str]:
        """Ids of every unit at or under `scope`: grids, communities, streets, districts."""
        g = self.grids[[covers(scope, p) for p in self.grids["path"]]]
        return set(g["grid_id"]) | {u for p in g["path"] for u in _ancestors(p)}

    def words_outside(self, scope: str) -> set[str]:
        """Grid ids and the names of grids, communities, streets and districts outside
        `scope` (those also naming something inside it left out)."""
        inside = [covers(scope, p) for p in self.grids["path"]]
        columns = ["grid_id", "grid_name", "community", "street", "district"]
        words = {c: set(self.grids.loc[[not i for i in inside], c]) for c in columns}
        known = {w for c in columns for w in self.grids.loc[inside, c]}
        return set().union(*words.values()) - known

    def ranked_in(self, scope: str, level: str) -> set[str]:
        rows = self.ranked[(self.ranked["level"] == level) & self.ranked["path"].map(lambda p: covers(scope, p))]
        return set(rows["unit_id"])

    def member_in(self, scope: str, phone: bool = True) -> int:
        """A member whose latest roster row is in `scope` (with a phone number, if asked)."""
        rows = self.members[[covers(scope, p) for p in self.members["path"]]]
        if phone:
            rows = rows[rows["phone_masked"].notna()]
        return int(rows["member_no"].min())


PATH = "concat_ws('/', g.district, g.street, g.community)"  # a grid's place, as scopes are written


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


@pytest.fixture(scope="module")
def city(two_districts, two_districts_users) -> City:
    with duckdb.connect(str(two_districts), read_only=True) as con:
        grids = con.execute(
            f"SELECT grid_id, grid_name, district, street, community, {PATH} AS path FROM grids g ORDER BY grid_id"
        ).df()
        members = con.execute(
            f"""SELECT m.member_no, m.name, m.id_masked, m.phone_masked, {PATH} AS path
                FROM (SELECT * FROM members QUALIFY row_number() OVER (PARTITION BY member_no ORDER BY as_of DESC) = 1)
                     m
                JOIN grids g USING (grid_id) ORDER BY m.member_no"""
        ).df()
        names = frozenset(r[0] for r in con.execute("SELECT DISTINCT name FROM members WHERE name <> ''").fetchall())
    with connect_read(two_districts) as con:
        ranked = con.execute(
            f"""SELECT u.unit_id, u.level, CASE WHEN u.level = 'grid' THEN {PATH} ELSE u.unit_id END AS path
               FROM unit_scores u LEFT JOIN grids g ON u.level = 'grid' AND g.grid_id = u.unit_id
               WHERE u.run_id = (SELECT max(run_id) FROM runs) AND u.composite_rank IS NOT NULL
                 AND u.period = (SELECT max(period) FROM unit_scores)"""
        ).df()
    known = users.load(two_districts_users)
    scopes = {name: user.scope for name, user in known.items()}
    assert OTHER in set(grids["district"]) and all(not covers(s, OTHER) for s in scopes.values() if s)
    return City(grids, members, ranked, names, scopes, {name: user.pii for name, user in known.items()})


@dataclass(frozen=True)
class Server:
    url: str
    audit: Path


@pytest.fixture(scope="module")
def server(two_districts, two_districts_users, tmp_path_factory) -> Server:
    log = tmp_path_factory.mktemp("browser_access") / "audit.duckdb"
    for url in serve(two_districts, two_districts_users, log):
        yield Server(url, log)


@pytest.fixture(scope="module")
def page(browser, browser_context_args):
    """One tab for the whole module (each page load is a new session all the same): the
    dashboard's scripts load once, not once per test."""
    context = browser.new_context(**browser_context_args)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


# Everything a user can read on the page: its text, every cell its tables drew (the grid
# is a canvas; its accessible table holds the visible cells) and its charts' data.
PAGE_TEXT = """() => {
    const out = [document.querySelector('[data-testid="stApp"]').innerText];
    const row = r => [...r.querySelectorAll('th,td')].map(c => c.textContent).join('\\t');  // cells apart
    for (const t of document.querySelectorAll('[data-testid="stDataFrame"] table'))
        out.push([...t.querySelectorAll('tr')].map(row).join('\\n'));
    for (const p of document.querySelectorAll('.js-plotly-plot'))
        out.push(JSON.stringify((p.data || []).map(d => [d.name, d.locations, d.customdata, d.text, d.x])));
    return out.join('\\n');
}"""
# Every element drawn: none still loading its code (a skeleton), every table's cells and
# every chart there.
DRAWN = """() => !document.querySelector('[data-testid="stSkeleton"]')
    && [...document.querySelectorAll('[data-testid="stDataFrame"]')].every(d => d.querySelector('table'))
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(p => p.querySelector('.js-plotly-plot'))"""
LOCATIONS = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .flatMap(p => p.data.flatMap(d => d.locations ?? []))"""  # the units a map draws
COLUMN = """([table, header]) => {
    const t = document.querySelectorAll('[data-testid="stDataFrame"]')[table].querySelector('table');
    const th = [...t.querySelectorAll('th')].find(h => h.textContent === header);
    if (!th) return null;
    const i = th.getAttribute('aria-colindex');
    return [...t.querySelectorAll(`td[aria-colindex="${i}"]`)].map(c => c.textContent);
}"""

FIRST_WITH = """(header) => [...document.querySelectorAll('[data-testid="stDataFrame"]')].findIndex(
    d => [...d.querySelectorAll('th')].some(h => h.textContent === header))"""


def _open(page, server: Server, path: str, name: str, marker: str) -> str:
    """Sign in as `name` at `path` and return everything the page shows, once drawn."""
    sign_in(page, f"{server.url}{path}", name, marker)
    page.wait_for_function(DRAWN)
    page.wait_for_function(RUN_OVER)
    return page.evaluate(PAGE_TEXT)


def _column(page, header: str, table: int = 0) -> list[str] | None:
    return page.evaluate(COLUMN, [table, header])


def _first_with(page, header: str) -> int:
    """The index of the page's first table with this column header."""
    return page.evaluate(FIRST_WITH, header)


def _redrawn(page, header: str, table: int, before: list[str]) -> list[str] | None:
    """A column's cells once redrawn after a rerun in the same session (a table's accessible
    cells follow its canvas a moment after the run ends); as they are after a minute if unchanged."""
    deadline = time.monotonic() + WAIT_SECONDS
    while (cells := _column(page, header, table)) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    return cells


def _no_personal_numbers(text: str, where: str) -> None:
    assert not PHONE.search(text), f"a phone number in clear on {where}: {PHONE.search(text).group()}"
    assert not ID_NUMBER.search(text), f"an ID number in clear on {where}: {ID_NUMBER.search(text).group()}"


def _nothing_outside(text: str, city: City, scope: str, where: str) -> None:
    leaked = sorted(w for w in city.words_outside(scope) if w in text)
    assert not leaked, f"{where} shows units outside {scope}: {leaked[:10]}"


def _no_clear_names(text: str, city: City, where: str) -> None:
    """No member's name in clear (names of three characters or more: a two-character name
    can be part of any word)."""
    clear = sorted(n for n in city.names if len(n) >= 3 and n in text)
    assert not clear, f"names in clear on {where}: {clear[:10]}"


def _masked_cells(cells: list[str] | None, city: City) -> None:
    assert cells, "no member rows drawn"
    assert all(NAME_MASKED.fullmatch(c) and c not in city.names for c in cells if c), cells


def _hostile(city: City) -> dict[str, tuple[str, str]]:
    """Links asking for the other district's data: name: (path, what the page shows when run)."""
    other = city.grids[city.grids["district"] == OTHER]
    member = city.member_in(OTHER, phone=False)
    q = urlencode
    return {
        "rankings": (f"/rankings?{q({'level': 'grid', 'scope': OTHER})}", RANKINGS),
        "rankings_community": (f"/rankings?{q({'level': 'community', 'scope': other['path'].iloc[0]})}", RANKINGS),
        "profile": (f"/profile?{q({'level': 'grid', 'unit': other['grid_id'].iloc[0]})}", PROFILE),
        "map": (f"/map?{q({'level': 'grid', 'scope': OTHER})}", "地图 ·"),
        "members": (f"/members?{q({'scope': OTHER, 'member': member})}", MEMBERS),
        "trends": (f"/trends?{q({'level': 'grid', 'units': ','.join(other['grid_id'].iloc[:3])})}", "预警 ·"),
        "quality": ("/quality", "隔离记录（"),
        "raw": ("/raw", DENIED),
        "admin": ("/admin", DENIED),
        "city_level": (f"/?{q({'level': 'city'})}", "总览 ·"),
    }


@pytest.mark.parametrize("name", ["district", "street", "community"])
def test_links_to_the_other_district_show_nothing_of_it(server, city, page, name):
    """Every link into the other district opens the user's own scope instead: no unit outside
    it in the text, tables, charts or downloads; the raw files and the audit stay closed."""
    scope = city.scopes[name]
    own = city.units(scope)
    before = last_seq(server.audit)
    for key, (path, marker) in _hostile(city).items():
        text = _open(page, server, path, name, marker)
        where = f"{key} ({path}) as {name}"
        _nothing_outside(text, city, scope, where)
        _no_personal_numbers(text, where)
        assert f"{SIGNED_IN}{name}（" in text
        if key.startswith("rankings"):
            codes = _column(page, CODE_COLUMN)
            assert codes and set(codes) <= own, (where, codes)
        if key == "rankings":
            _rankings_downloads(page, server, city, name, scope, "grid")
        if key == "profile":
            assert "所请求的单位不在您的权限范围内" in text  # said, and a unit of the user's own shown
        if key == "map":
            locations = page.evaluate(LOCATIONS)
            mine = [x for x in locations if not str(x).startswith("outside-")]
            assert mine and set(mine) <= own, (where, locations)
        if key == "members":
            assert "该党员在当前范围内没有记录" in text  # the other district's member: nothing of them
            cells = _column(page, MEMBER_COLUMN, 1)  # the top 50 (table 0 holds the tiers)
            if city.pii[name]:
                assert cells and set(cells) <= city.names  # this user may see names: in clear
            else:
                _masked_cells(cells, city)
                _no_clear_names(text, city, where)
        if key == "quality":
            assert "读取行数" not in text and "读取 = 加载" not in text  # the load ledger: city users only
            csv = download(page, "下载隔离记录 CSV").read_text(encoding="utf-8-sig")
            _nothing_outside(csv, city, scope, f"the quarantine download as {name}")
            _no_personal_numbers(csv, f"the quarantine download as {name}")
            if not city.pii[name]:
                _no_clear_names(csv, city, f"the quarantine download as {name}")
        if key == "raw":  # refused: neither the files nor where they are
            assert "原始导出文件" not in text and "数据目录" not in text and "个文件" not in text
            assert page.locator("[data-testid='stDataFrame']").count() == 0
        if key == "admin":  # refused: neither the log nor the users
            assert "校验链" not in text and "审计日志共" not in text
            assert page.locator("[data-testid='stDataFrame']").count() == 0
        if key == "city_level":
            assert f"{scope}指数" in text  # the overview of the user's own unit, not the city's
    refused = audit.read(actors=[name], events=["access_denied"], path=server.audit)
    refused = refused[refused["seq"] > before]
    assert len(refused) >= 3 and "profile" in set(refused["what"]), refused  # the unit, the raw files, the audit


def _rankings_downloads(page, server: Server, city: City, name: str, scope: str, level: str) -> None:
    """Download the rankings as CSV and Excel: every row in `scope`, exactly the ranked units
    there, and each download in the audit log with its actor, scope and row count."""
    before = last_seq(server.audit)
    csv = pd.read_csv(download(page, "下载 CSV"), encoding="utf-8-sig", dtype={CODE_COLUMN: str})
    xlsx = pd.read_excel(download(page, "下载 Excel"), engine="calamine", dtype={CODE_COLUMN: str})
    expected = city.ranked_in(scope, level)
    for table in (csv, xlsx):
        assert len(table) and set(table[CODE_COLUMN]) == expected
        outside = [u for u in table[CODE_COLUMN] if u not in city.units(scope)]
        assert not outside, outside
        _nothing_outside(table.to_csv(), city, scope, f"the rankings download as {name}")
        _no_personal_numbers(table.to_csv(), f"the rankings download as {name}")
        if not city.pii[name]:
            _no_clear_names(table.to_csv(), city, f"the rankings download as {name}")
    events = audited(server.audit, name, before, 2)
    assert events["what"].tolist() == ["rankings.csv", "rankings.xlsx"], events
    assert events["scope"].tolist() == [scope, scope]
    assert events["row_count"].tolist() == [len(csv), len(xlsx)]


def test_a_city_user_sees_the_other_district(server, city, page):
    """The same checks see the other district when the user may: a city user asking for it
    gets exactly it (so the checks above would catch a leak); the raw files are theirs, the
    audit is not (no admin right)."""
    links = _hostile(city)
    path, marker = links["rankings"]
    text = _open(page, server, path, "city", marker)
    assert set(_column(page, CODE_COLUMN)) <= city.units(OTHER)
    with pytest.raises(AssertionError, match="outside"):  # what the district user must not see, seen here
        _nothing_outside(text, city, city.scopes["district"], "rankings as city")
    _rankings_downloads(page, server, city, "city", OTHER, "grid")

    text = _open(page, server, "/raw", "city", "原始数据文件")  # the raw files: city users only
    assert DENIED not in text and ("原始导出文件" in text or "尚无原始数据" in text)
    text = _open(page, server, "/admin", "city", DENIED)  # the audit: administrators only
    assert "校验链" not in text and "审计日志共" not in text


@pytest.mark.parametrize("name", ["community", "city"])
def test_names_masked_for_a_user_without_pii(server, city, page, name):
    """A member in the user's scope (for the city user, one of the other district): name
    masked in the lists and the member's own row, ID number and phone only masked."""
    member = city.member_in(city.scopes[name] or OTHER)
    text = _open(page, server, f"/members?member={member}", name, MEMBERS)
    _masked_cells(_column(page, MEMBER_COLUMN, 1), city)  # the top 50 (table 0 is the tiers)
    _masked_cells(_column(page, MEMBER_COLUMN, 2), city)  # the never active
    identity = _column(page, MEMBER_COLUMN, 3)
    _masked_cells(identity, city)
    row = city.members.set_index("member_no").loc[member]
    assert PHONE_MASKED.fullmatch(_column(page, "手机号（脱敏）", 3)[0]) and row["phone_masked"] in text
    assert ID_MASKED.fullmatch(_column(page, "身份证号（脱敏）", 3)[0])
    _no_clear_names(text, city, f"members as {name}")
    _no_personal_numbers(text, f"members as {name}")


def test_meeting_mode_masks_names_for_a_user_with_pii(server, city, page):
    """A district user with the pii right sees names in clear, until meeting mode is on (by
    the switch, or a link with meeting=1)."""
    member = city.member_in(city.scopes["district"])
    _open(page, server, f"/members?member={member}", "district", MEMBERS)
    top, identity = _column(page, MEMBER_COLUMN, 1), _column(page, MEMBER_COLUMN, 3)
    assert top and set(top) | set(identity) <= city.names  # in clear: the checks below could fail

    page.locator("[data-testid='stSidebar'] [data-testid='stCheckbox']").filter(has_text="会议模式").click()
    page.wait_for_url("**meeting=1**")
    settled(page, MEMBERS)
    _masked_cells(_redrawn(page, MEMBER_COLUMN, 1, top), city)
    _masked_cells(_redrawn(page, MEMBER_COLUMN, 3, identity), city)
    text = page.evaluate(PAGE_TEXT)
    _no_clear_names(text, city, "members in meeting mode")
    _no_personal_numbers(text, "members in meeting mode")

    text = _open(page, server, "/profile?level=grid&meeting=1", "district", PROFILE)
    # the services: the first table with a member column (after indicators, tasks, history, tiers)
    services = _column(page, MEMBER_COLUMN, _first_with(page, MEMBER_COLUMN))
    _masked_cells(services, city)
    _no_clear_names(text, city, "profile in meeting mode")


def _rotated(k: int) -> dict[str, str]:
    """Every parameter a page reads, each an injection string (rotated, so that over three
    links each parameter gets each string)."""
    params = ("scope", "unit", "level", "period", "member", "units", "index", "peer_class")
    return {p: INJECTIONS[(i + k) % len(INJECTIONS)] for i, p in enumerate(params)}


@pytest.mark.parametrize("name", ROLES)
def test_injection_strings_in_the_url_change_nothing(server, city, page, name):
    """SQL fragments and wildcards as parameter values reach no query: the rankings are the
    user's own units, exactly as with no parameters, and no page fails."""
    scope = city.scopes[name]
    expected = city.ranked_in(scope, "grid")
    plain = None
    for k in range(len(INJECTIONS)):
        text = _open(page, server, f"/rankings?{urlencode(_rotated(k))}", name, RANKINGS)
        assert "排名 · 网格 ·" in text  # the default level
        csv = download(page, "下载 CSV").read_bytes()
        table = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig", dtype={CODE_COLUMN: str})
        assert set(table[CODE_COLUMN]) == expected
        assert plain is None or csv == plain
        plain = csv


PAGES = {  # page: the marker of its end, and the injected links (each string in member and unit)
    "members": (MEMBERS, [_rotated(k) for k in range(len(INJECTIONS))]),
    "profile": (PROFILE, [_rotated(k) for k in range(len(INJECTIONS))]),
    "trends": ("预警 ·", [_rotated(0) | {"units": ",".join(INJECTIONS)}]),  # units is a list: all at once
}


@pytest.mark.parametrize("path", list(PAGES))
def test_injection_strings_on_member_profile_and_trends_pages(server, city, page, path):
    """The same on the pages reading member, unit and units: the same tables and charts as
    with no parameters (a district user: the unit asked for is refused, nothing else changes)."""
    marker, links = PAGES[path]
    _open(page, server, f"/{path}", "district", marker)
    plain = _shown(page)
    assert plain["tables"]
    for params in links:
        _open(page, server, f"/{path}?{urlencode(params)}", "district", marker)
        assert _shown(page) == plain, params


def _shown(page) -> dict:
    """What the page's tables and charts hold (not its notices)."""
    return page.evaluate(
        """() => ({
            titles: [...document.querySelectorAll('h1')].map(h => h.textContent),
            tables: [...document.querySelectorAll('[data-testid="stDataFrame"] table')].map(t => t.textContent),
            charts: [...document.querySelectorAll('.js-plotly-plot')]
                .map(p => JSON.stringify(p.data.map(d => [d.name, d.y]))),
        })"""
    )


def test_five_wrong_passwords_lock_the_name(server, page):
    """Five wrong passwords for a name, then the right one: refused, the account locked."""
    name = "admin"  # no other test here signs in as admin: its lockout disturbs none
    page.context.clear_cookies()  # signed in nowhere
    page.goto(f"{server.url}/")
    for attempt in range(1, 6):
        fill_sign_in(page, name, f"wrong-password-{attempt}")
        _failures_logged(server.audit, name, attempt)
        page.wait_for_function(RUN_OVER)
        assert page.get_by_text("用户名或密码错误" if attempt < 5 else "锁定").count()
    fill_sign_in(page, name, accepted=False)  # the right password
    settled(page, "锁定")
    assert page.get_by_text(SIGNED_IN).count() == 0 and page.get_by_label("用户名").count() == 1
    events = audit.read(actors=[name], path=server.audit).sort_values("seq")["event"].tolist()
    assert events[-6:] == ["login_failed"] * 5 + ["login_locked"], events
    assert "login_ok" not in events


def _failures_logged(log: Path, name: str, n: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while len(audit.read(actors=[name], events=["login_failed"], path=log)) < n:
        assert time.monotonic() < deadline, f"failed sign-in {n} not in the audit log"
        time.sleep(0.1)


def test_an_idle_page_signs_itself_out(two_districts, two_districts_users, tmp_path, page):
    """With a 6-second timeout, a page left alone returns to the sign-in form by itself, and
    not before the timeout (no upper bound: a busy machine may be slow to notice)."""
    log = tmp_path / "audit.duckdb"
    with contextlib.contextmanager(serve)(two_districts, two_districts_users, log, PBI_SESSION_MINUTES="0.1") as url:
        sign_in(page, f"{url}/rankings", "community", RANKINGS)
        page.get_by_text("未操作").wait_for(timeout=60_000)  # untouched: the page reruns by itself
        page.wait_for_function(RUN_OVER)
        assert page.get_by_label("用户名").count() == 1 and page.get_by_text(SIGNED_IN).count() == 0
        events = audit.read(actors=["community"], path=log).set_index("event")["logged_at"]
        idle = (events["session_expired"] - events["login_ok"]).total_seconds()
        assert idle >= 6, idle  # not before the timeout
        page.reload()  # ended on the server: the cookie signs nobody in
        page.get_by_label("用户名").wait_for()
        assert page.get_by_text(SIGNED_IN).count() == 0
