"""Demo users for `make run`: one per role and an approver of adjustments, with random
passwords printed once and kept in a file beside the users file (mode 0600) so later runs can
print them again. Demo only: real users are added with `python -m pipelines users add`."""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path

from pipelines.access import users
from pipelines.access.units import first_community, known_units

ALPHABET = string.ascii_letters + string.digits


def credentials_path(path: Path | None = None) -> Path:
    return (path or users.users_path()).with_name("demo-credentials.txt")


def plan(db: Path) -> list[tuple[str, str, str, bool, bool, bool]]:
    """(name, role, unit, pii, admin, approve) of each demo user, bound to units of this warehouse:
    one per role, and a city approver of adjustments (entered by admin, approved by another user)."""
    district, street, community = first_community(db)
    return [
        ("admin", "市级", "", True, True, False),
        ("city", "市级", "", False, False, False),
        ("district", "区级", district, True, False, False),
        ("street", "街道", f"{district}/{street}", True, False, False),
        ("community", "社区", f"{district}/{street}/{community}", False, False, False),
        ("approver", "市级", "", False, False, True),
    ]


def create(db: Path, path: Path | None = None, passwords: dict[str, str] | None = None) -> dict[str, str]:
    """Add the demo users that do not exist yet; returns {name: password} of those added.
    `passwords` fixes some passwords (tests); the others are random."""
    path = path or users.users_path()
    existing = users.load(path)
    known = known_units(db)
    added: dict[str, str] = {}
    for name, role, unit, pii, admin, approve in plan(db):
        if name in existing:
            continue
        password = (passwords or {}).get(name) or "".join(secrets.choice(ALPHABET) for _ in range(14))
        users.add(name, role, unit, password, pii=pii, admin=admin, approve=approve, known_units=known, path=path)
        added[name] = password
    if added:
        lines = [f"{name}\t{password}" for name, password in added.items()]
        target = credentials_path(path)
        old = target.read_text(encoding="utf-8").splitlines() if target.exists() else []
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join([*old, *lines]) + "\n")
    return added


def saved(path: Path | None = None) -> dict[str, str]:
    """The demo credentials kept beside the users file that still sign their user in."""
    target = credentials_path(path)
    if not target.exists():
        return {}
    present = users.load(path)
    pairs = (line.split("\t", 1) for line in target.read_text(encoding="utf-8").splitlines() if "\t" in line)
    return {name: password for name, password in pairs if users.verify(present, name, password)}
