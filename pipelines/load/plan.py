"""The loader's plan: which SQL file runs for each kind, in which order, with which key.

Declared in pipelines/config/load-plan.toml beside the data contract, read into frozen
objects and checked before any data is read: a plan naming a missing file, a kind the
contract does not know or a key without columns stops the load with `file:line`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / "config" / "load-plan.toml"
SQL = Path(__file__).resolve().parent.parent / "sql"
EACH_KIND = ("retry", "outcome", "replace", "publish", "unquarantine", "quarantine")
KIND_FILES = ("raw", "staging", "checks", "known", "registry", "typed", "publish")
KIND_KEYS = {*KIND_FILES, "mart", "key", "conflict", "headers"}
REQUIRED = ("staging", "checks", "typed", "mart", "key")
NAME = re.compile(r"[a-z_][a-z0-9_]*")


class PlanError(ValueError):
    """A load plan that cannot be used."""


class Key(tuple):
    """A kind's key as SQL. `{key}` lists its columns; `{key:a=b}` says that alias a's key
    equals alias b's (a.k1 = b.k1 AND a.k2 = b.k2)."""

    def __format__(self, spec: str) -> str:
        if not spec:
            return ", ".join(self)
        left, right = spec.split("=")
        return " AND ".join(f"{left}.{c} = {right}.{c}" for c in self)


@dataclass(frozen=True)
class KindPlan:
    name: str
    staging: str
    checks: str
    typed: str
    mart: str
    key: Key
    publish: str
    conflict_field: str  # what a key conflict shows: the field named …
    conflict_column: str  # … and the column holding the value
    known: str | None = None
    registry: str | None = None
    raw: str | None = None  # a kind outside the contract creates its raw table with this file
    headers: tuple[tuple[str, str], ...] = ()  # (field, header) of a kind outside the contract

    def files(self) -> list[str]:
        """This kind's own files, in the order they run."""
        return [f for f in (self.staging, self.checks, self.known, self.registry, self.typed) if f]


@dataclass(frozen=True)
class Plan:
    setup: tuple[str, ...]
    staged: tuple[str, ...]
    retry: str
    outcome: str
    replace: str
    unquarantine: str
    quarantine: str
    kinds: tuple[KindPlan, ...]
    # (table, column, files): what brings a warehouse published before the column up to date
    upgrade: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @property
    def names(self) -> list[str]:
        return [k.name for k in self.kinds]


class _Lines:
    """Line numbers of tables and keys in the plan's text, for messages."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def first(self, prefix: str) -> int:
        return next((i + 1 for i, line in enumerate(self.lines) if line.lstrip().startswith(prefix)), 1)

    def of(self, table: str, key: str | None = None) -> int:
        header = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]")
        start = next((i for i, line in enumerate(self.lines) if header.match(line)), None)
        if start is None:
            return 1
        if key is None:
            return start + 1
        pattern = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=')
        for i in range(start + 1, len(self.lines)):
            if self.lines[i].lstrip().startswith("["):
                break
            if pattern.match(self.lines[i]):
                return i + 1
        return start + 1


def load(contract_kinds: Iterable[str], path: Path = CONFIG) -> Plan:
    """The plan in `path`, checked against the contract's kinds and the SQL folder."""
    path = Path(path)
    return parse(path.read_text(encoding="utf-8"), contract_kinds, path)


def parse(text: str, contract_kinds: Iterable[str], path: Path = CONFIG) -> Plan:
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PlanError(f"{path.name}: {e}") from e
    lines = _Lines(text)

    def fail(line: int, problem: str):
        raise PlanError(f"{path.name}:{line}: {problem}")

    def sql_file(value: object, table: str, key: str) -> str:
        if not isinstance(value, str) or not (SQL / value).is_file():
            fail(lines.of(table, key), f"{key}: no SQL file {value!r} under pipelines/sql/")
        return value

    batch = config.get("batch")
    if not isinstance(batch, dict):
        fail(1, "section [batch] is missing")
    files = {}
    for key in ("setup", "staged"):
        listed = batch.get(key)
        if not isinstance(listed, list):
            fail(lines.of("batch", key), f"batch.{key} must be a list of SQL files")
        files[key] = tuple(sql_file(f, "batch", key) for f in listed)
    upgrade = []
    for target, listed in batch.get("upgrade", {}).items():
        table, _, column = target.partition(".")
        if not (NAME.fullmatch(table) and NAME.fullmatch(column)) or not isinstance(listed, list):
            fail(lines.of("batch.upgrade", target), f'upgrade {target!r}: needs "table.column" = [SQL files]')
        upgrade.append((table, column, tuple(sql_file(f, "batch.upgrade", target) for f in listed)))
    each = batch.get("each_kind", {})
    for key in EACH_KIND:
        files[key] = sql_file(each.get(key), "batch.each_kind", key)

    contract = list(contract_kinds)
    kinds = config.get("kinds", {})
    for name in contract:
        if name not in kinds:
            fail(lines.first("[kinds."), f"contract kind {name!r} has no [kinds.{name}]")
    out = []
    for name, spec in kinds.items():
        table = f"kinds.{name}"
        unknown = set(spec) - KIND_KEYS
        if unknown:
            fail(lines.of(table, sorted(unknown)[0]), f"{name}: unknown setting {sorted(unknown)[0]!r}")
        for key in REQUIRED:
            if key not in spec:
                fail(lines.of(table), f"{name}: {key} is missing")
        if name not in contract and "raw" not in spec:
            fail(lines.of(table), f"{name}: not a kind of the contract, so it needs raw (its raw table)")
        paths = {k: sql_file(spec[k], table, k) for k in KIND_FILES if k in spec}
        key = spec["key"]
        if not isinstance(key, list) or not key or not all(isinstance(k, str) and NAME.fullmatch(k) for k in key):
            fail(lines.of(table, "key"), f"{name}: key must be a list of column names, got {key!r}")
        if not isinstance(spec["mart"], str) or not NAME.fullmatch(spec["mart"]):
            fail(lines.of(table, "mart"), f"{name}: mart must be a table name, got {spec['mart']!r}")
        conflict = spec.get("conflict", {"field": key[-1], "column": key[-1]})
        if set(conflict) != {"field", "column"}:
            fail(lines.of(table, "conflict"), f"{name}: conflict needs field and column, got {sorted(conflict)}")
        out.append(
            KindPlan(
                name=name,
                staging=paths["staging"],
                checks=paths["checks"],
                typed=paths["typed"],
                mart=spec["mart"],
                key=Key(key),
                publish=paths.get("publish", files["publish"]),
                conflict_field=conflict["field"],
                conflict_column=conflict["column"],
                known=paths.get("known"),
                registry=paths.get("registry"),
                raw=paths.get("raw"),
                headers=tuple(spec.get("headers", {}).items()),
            )
        )
    return Plan(
        setup=files["setup"],
        staged=files["staged"],
        retry=files["retry"],
        outcome=files["outcome"],
        replace=files["replace"],
        unquarantine=files["unquarantine"],
        quarantine=files["quarantine"],
        kinds=tuple(out),
        upgrade=tuple(upgrade),
    )
