from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipelines.synth import SUMMARY, generate

# The fixtures that generate a city (and load and compute it): a test using any of them, directly
# or through another fixture, is in the `city` tier, which `make test-fast` leaves out.
CITY_FIXTURES = frozenset(
    {
        "small_clean",
        "small_dirty",
        "small_default",
        "published_demo",
        "demo_users",
        "two_districts",
        "two_districts_users",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark `city` every test that needs a generated city. `item.fixturenames` is the closure of
    the fixtures a test requests, so a module fixture built on `small_default` counts too."""
    for item in items:
        if CITY_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.city)


@pytest.fixture(scope="session", autouse=True)
def member_key_secret(tmp_path_factory) -> Path:
    """A keyed-hash secret of the test session's own (never the developer's data/secrets)."""
    path = tmp_path_factory.mktemp("secrets") / "member-key"
    os.environ["PBI_SECRET_KEY_FILE"] = str(path)
    os.environ["PBI_CONTRACT_EXTRA"] = str(path.parent / "no-extra.toml")
    return path


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashes() -> Iterator[Callable[[], object]]:
    """Password hashes made in the test process cost argon2id's minimum, not the product's
    64 MiB × 3 passes (~0.2 s each, hundreds of times). Verifying reads the parameters from the
    hash itself, so a server started by a test verifies these as it would the product's;
    tests/access/test_users.py checks the product's own parameters (the fixture's value is the
    product's hasher)."""
    from argon2 import PasswordHasher

    from pipelines.access import users

    quick = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    users._dummy.cache_clear()
    real = users._hasher
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "_hasher", lambda: quick)
        yield real
    users._dummy.cache_clear()


@pytest.fixture(autouse=True)
def access_files(monkeypatch, tmp_path_factory, request) -> None:
    """Every test its own audit log, and no users file but the one a test names: nothing is
    ever read from or written to the developer's data/users.json or data/audit."""
    root = tmp_path_factory.mktemp("access")
    monkeypatch.setenv("PBI_AUDIT", str(root / "audit.duckdb"))
    monkeypatch.setenv("PBI_USERS", str(root / "users.json"))
    if "published_demo" in request.fixturenames:
        monkeypatch.setenv("PBI_USERS", str(request.getfixturevalue("demo_users")))
    if "two_districts" in request.fixturenames:
        monkeypatch.setenv("PBI_USERS", str(request.getfixturevalue("two_districts_users")))


def _generate(root: Path, scale: str, seed: int, dirty_rate: float | None) -> Path:
    generate(scale, seed, root, dirty_rate, log=lambda *a: None)
    return root


@pytest.fixture(scope="session")
def small_clean(tmp_path_factory) -> Path:
    """The small city with no injected faults."""
    return _generate(tmp_path_factory.mktemp("small_clean"), "small", 7, 0.0)


@pytest.fixture(scope="session")
def small_dirty(tmp_path_factory) -> Path:
    """The small city with a fault rate high enough that every file gets every fault kind."""
    return _generate(tmp_path_factory.mktemp("small_dirty"), "small", 7, 0.004)


@pytest.fixture(scope="session")
def small_default(tmp_path_factory) -> Path:
    """The demo data exactly as `make run` makes it (seed 42, default dirty rate)."""
    return _generate(tmp_path_factory.mktemp("small_default"), "small", 42, None)


def summary(root: Path) -> dict:
    return json.loads((root / SUMMARY).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def published_demo(small_default, tmp_path_factory) -> Path:
    """The demo city loaded and computed once for the dashboard tests (treat as read-only)."""
    from pipelines.engine.compute import compute
    from pipelines.engine.methodology import load as load_methodology
    from pipelines.load.batch import load

    db = tmp_path_factory.mktemp("published") / "pbi.duckdb"
    load([small_default], db)
    compute(db, load_methodology())
    return db


def _demo_users(db: Path, folder: Path) -> Path:
    """The demo users of `make run` for the city `db` (one per role, bound to its first
    district, street and community), with the known passwords of tests/signin.py."""
    from pipelines.access import demo
    from tests.signin import PASSWORDS

    path = folder / "users.json"
    demo.create(db, path, PASSWORDS)
    return path


@pytest.fixture(scope="session")
def demo_users(published_demo, tmp_path_factory) -> Path:
    return _demo_users(published_demo, tmp_path_factory.mktemp("users"))


@pytest.fixture(scope="session")
def two_districts(tmp_path_factory) -> Path:
    """A published city of two districts (two streets each, two communities per street, a
    fault rate that quarantines rows in every district): loaded and computed once, for the
    access tests — a district user must see nothing of the other district."""
    from pipelines.engine.compute import compute
    from pipelines.engine.methodology import load as load_methodology
    from pipelines.load.batch import load
    from pipelines.synth.scales import SCALES, Scale

    SCALES["two_districts"] = Scale("two_districts", 2, (2, 2), (2, 2), (3, 4), 30, 3.0, 12.5, 5.0, 0.004)
    try:
        raw = _generate(tmp_path_factory.mktemp("two_districts_raw"), "two_districts", 11, None)
    finally:
        del SCALES["two_districts"]
    db = tmp_path_factory.mktemp("two_districts") / "pbi.duckdb"
    load([raw], db)
    compute(db, load_methodology())
    return db


@pytest.fixture(scope="session")
def two_districts_users(two_districts, tmp_path_factory) -> Path:
    return _demo_users(two_districts, tmp_path_factory.mktemp("two_districts_users"))
