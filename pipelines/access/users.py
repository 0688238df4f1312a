"""Who may sign in, and what each may see: the users file.

A JSON file outside git (PBI_USERS, default data/users.json), readable by its owner only.
Each user has a role bound to a unit — 市级 (the whole city, no unit), 区级 (a district,
`区县`), 街道 (`区县/街道`), 社区 (`区县/街道/社区`), units written as in score exports —
and three permissions: `pii` (see members' names), `admin` (audit log, users, entering
adjustments) and `approve` (approve or reject adjustments within the scope). Passwords
are stored as argon2id hashes only. Writes are atomic (a new file replaces the old) and
serialised by a lock file, so the command line and the dashboard can both change it.

Names are compared and stored NFKC-normalised and case-folded (`canonical`), so `ADMIN` and
full-width `ａｄｍｉｎ` are `admin`. A new name may hold no invisible or format character
(zero-width space, direction marks, controls, spaces), may not mix Latin, Cyrillic and Greek
letters, and may not look like an existing name (`skeleton`: marks dropped, Cyrillic and
Greek lookalikes read as Latin). Sign-in finds a user by `lookup_key` of the typed name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import json
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from pipelines import settings
from pipelines.access.scope import covers

ROLES = {"市级": 0, "区级": 1, "街道": 2, "社区": 3}  # role: how many parts its unit has
ROLE_LEVELS = {"市级": "city", "区级": "district", "街道": "street", "社区": "community"}
NAME = re.compile(r"[^\s/\\]{2,64}")  # Chinese names and e-mail addresses (for OIDC) both fit
MIN_PASSWORD = 10
# Cyrillic and Greek letters drawn like Latin ones (lower case: names are case-folded first).
LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁһӏԛԝвкмнтѵьɡαβεικνορτυχζ",
    "aeopcyxijsdhlqwbkmhtvbgabeiknoptuxz",
)
SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")  # alphabets whose letters pass for one another


def canonical(name: str) -> str:
    """A name as compared and stored: trimmed, NFKC-normalised and case-folded."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name.strip()).casefold())


def lookup_key(name: str) -> str:
    """The name a sign-in looks up (and counts failures under): canonical, invisible and format
    characters dropped, so `ad<zero-width space>MIN` tries — and locks — `admin`."""
    return "".join(c for c in canonical(name) if unicodedata.category(c)[0] not in "CZ" or c == " ")


def skeleton(name: str) -> str:
    """What a name looks like: canonical, marks dropped, Cyrillic and Greek lookalikes as Latin."""
    bare = unicodedata.normalize("NFD", canonical(name))
    return "".join(c for c in bare if unicodedata.category(c)[0] != "M").translate(LOOKALIKES)


def _scripts(name: str) -> set[str]:
    return {w for c in name if c.isalpha() for w in unicodedata.name(c, "?").split()[:1] if w in SCRIPTS}


def check_name(name: str) -> str:
    """The name to store (canonical), or UserError when it holds an invisible character or
    mixes look-alike alphabets."""
    name = canonical(name)
    hidden = [c for c in name if unicodedata.category(c)[0] in "CZ" and not c.isspace()]
    if hidden:
        codes = ", ".join(f"U+{ord(c):04X}" for c in hidden)
        raise UserError(f"用户名含不可见或格式字符 (the name holds invisible or format characters): {codes}")
    if not NAME.fullmatch(name):
        raise UserError(f"用户名须为 2–64 个字符，不含空格和斜杠 (2–64 characters, no spaces or slashes): {name!r}")
    mixed = _scripts(name)
    if len(mixed) > 1:
        raise UserError(f"用户名混用了形似的字母表 (the name mixes look-alike alphabets): {' + '.join(sorted(mixed))}")
    return name


def find(users: dict[str, User], name: str) -> User | None:
    """The user a typed name means: its own entry, else the one whose lookup key it shares."""
    if name in users:
        return users[name]
    key = lookup_key(name)
    return next((u for n, u in users.items() if lookup_key(n) == key), None)


@functools.cache
def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's defaults (64 MiB, 3 passes): ~50 ms here


@functools.cache
def _dummy() -> str:
    """Verified against when the name is unknown, so it costs as long as a wrong password."""
    return _hasher().hash("not a password of anyone")


class UserError(ValueError):
    """A user change refused: the message says why (in Chinese, with the English)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    unit: str  # "" for 市级
    pii: bool = False
    admin: bool = False
    password_hash: str = ""
    created_at: str = ""
    password_changed_at: str = ""
    approve: bool = False  # may approve or reject adjustments (pipelines/evaluation); older files lack it

    @property
    def scope(self) -> str:
        """The units this user may see: "" (the whole city) or a unit path."""
        return self.unit

    def public(self) -> dict:
        """Everything but the password hash (for listings)."""
        out = asdict(self)
        del out["password_hash"]
        return out


def users_path() -> Path:
    """PBI_USERS, else data/users.json under the repository (pipelines/settings.py)."""
    return settings.users_path()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def load(path: Path | None = None) -> dict[str, User]:
    """Every user by name; none when the file does not exist yet."""
    path = path or users_path()
    if not path.exists():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    # Names are canonical since lookalikes were refused; an older file's `Wang` is read as `wang`.
    return {canonical(name): User(name=canonical(name), **fields) for name, fields in raw.get("users", {}).items()}


@contextlib.contextmanager
def _changing(path: Path) -> Iterator[dict[str, User]]:
    """The users, to change in place; written back atomically (mode 0600) when the block ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        users = load(path)
        yield users
        body = {
            "version": 1,
            "users": {u.name: {k: v for k, v in asdict(u).items() if k != "name"} for u in users.values()},
        }
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(body, f, ensure_ascii=False, indent=2)
        os.replace(tmp, path)


def check_unit(role: str, unit: str, known_units: set[str] | None = None) -> str:
    """The unit normalised (parts trimmed), or UserError: 市级 has none, 区级 one part
    (区县), 街道 two, 社区 three; and it must be a unit the warehouse knows, when one is given."""
    if role not in ROLES:
        raise UserError(f"角色须为 {'、'.join(ROLES)} 之一 (role must be one of them): {role}")
    parts = [p.strip() for p in (unit or "").split("/") if p.strip()]
    if len(parts) != ROLES[role]:
        if role == "市级":
            raise UserError("市级用户不绑定单位 (a city user has no unit)")
        shape = "/".join(("区县", "街道", "社区")[: ROLES[role]])
        raise UserError(f"{role}用户的单位应写作“{shape}” (a {ROLE_LEVELS[role]} user's unit is {shape}): {unit}")
    unit = "/".join(parts)
    if unit and known_units is not None and unit not in known_units:
        raise UserError(f"数据中没有这个单位 (no such unit in the published data): {unit}")
    return unit


def check_password(name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"密码至少 {MIN_PASSWORD} 个字符 (a password has at least {MIN_PASSWORD} characters)")
    if canonical(password) == canonical(name):
        raise UserError("密码不能与用户名相同 (the password may not be the user name)")


def add(
    name: str,
    role: str,
    unit: str,
    password: str,
    *,
    pii: bool = False,
    admin: bool = False,
    approve: bool = False,
    known_units: set[str] | None = None,
    path: Path | None = None,
) -> User:
    name = check_name(name)
    unit = check_unit(role, unit, known_units)
    if admin and role != "市级":
        raise UserError("管理员须为市级用户：审计日志和用户涉及全市 (an administrator must be a city user)")
    check_password(name, password)
    with _changing(path or users_path()) as users:
        if name in users:
            raise UserError(f"用户已存在 (user exists): {name}")
        like = next((n for n in users if skeleton(n) == skeleton(name)), None)
        if like is not None:
            raise UserError(f"用户名与已有用户 {like} 形似 (the name looks like an existing user's): {name}")
        now = _now()
        users[name] = User(name, role, unit, pii, admin, _hasher().hash(password), now, now, approve)
        return users[name]


def remove(name: str, path: Path | None = None) -> User:
    with _changing(path or users_path()) as users:
        user = find(users, name)
        if user is None:
            raise UserError(f"没有这个用户 (no such user): {name}")
        return users.pop(user.name)


def set_password(name: str, password: str, path: Path | None = None) -> User:
    check_password(name, password)
    with _changing(path or users_path()) as users:
        user = find(users, name)
        if user is None:
            raise UserError(f"没有这个用户 (no such user): {name}")
        users[user.name] = replace(user, password_hash=_hasher().hash(password), password_changed_at=_now())
        return users[user.name]


def verify(users: dict[str, User], name: str, password: str) -> User | None:
    """The user if the password is theirs, else None; as slow for an unknown name."""
    from argon2.exceptions import InvalidHashError, VerificationError

    user = find(users, name)
    try:
        _hasher().verify(user.password_hash if user else _dummy(), password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def in_unit(user: User, path: str) -> bool:
    """Whether a unit path (区县/街道/社区, or 全市 for the city) is within the user's scope."""
    return covers(user.scope, "" if path == "全市" else path)
