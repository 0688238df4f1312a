"""The data contract as configuration: kinds, headers, aliases, types, code values.

Defaults live in pipelines/config/contract.toml; a user file (PBI_CONTRACT_EXTRA, default
data/config/contract-extra.toml) may add aliases and code values, never remove any.
"""

from __future__ import annotations

import datetime as dt
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import settings

DEFAULT = Path(__file__).resolve().parent.parent / "config" / "contract.toml"


class ContractError(ValueError):
    """A contract configuration file that cannot be used."""


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    type: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    max: float | None = None  # the largest plausible number (integer and number columns)


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    key: tuple[str, ...]
    columns: dict[str, Column] = field(default_factory=dict)

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns.values() if c.required]

    def header_map(self) -> dict[str, str]:
        """Normalised header or alias → field."""
        out = {}
        for col in self.columns.values():
            for h in (col.header, *col.aliases):
                out[normalise_header(h)] = col.field
        return out


def normalise_header(text: object) -> str:
    """Headers match after NFKC (full-width → ordinary), removing spaces and a trailing *."""
    s = unicodedata.normalize("NFKC", str(text or "")).strip()
    s = "".join(s.split())
    return s.rstrip("*").strip()


def load(path: Path = DEFAULT, extra: Path | None = None) -> dict[str, Kind]:
    with path.open("rb") as f:
        base = tomllib.load(f)
    kinds = {}
    for name, spec in base["kinds"].items():
        cols = {
            fname: Column(
                fname,
                c["header"],
                c["type"],
                c.get("required", False),
                tuple(c.get("aliases", ())),
                tuple(c.get("values", ())),
                c.get("max"),
            )
            for fname, c in spec["columns"].items()
        }
        kinds[name] = Kind(name, spec["label"], tuple(spec["key"]), cols)
    extra = settings.contract_extra_path() if extra is None else extra
    if extra.exists():
        _extend(kinds, extra)
    return kinds


def _extend(kinds: dict[str, Kind], path: Path) -> None:
    """Add a user's aliases and code values: [kinds.members.columns.id_number] aliases = [...]."""
    try:
        with path.open("rb") as f:
            user = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ContractError(f"{path}: {e}") from e
    for name, spec in user.get("kinds", {}).items():
        if name not in kinds:
            raise ContractError(f"{path}: unknown kind {name!r} (known: {', '.join(kinds)})")
        for fname, c in spec.get("columns", {}).items():
            col = kinds[name].columns.get(fname)
            if col is None:
                raise ContractError(f"{path}: kind {name} has no field {fname!r}")
            unknown = set(c) - {"aliases", "values"}
            if unknown:
                raise ContractError(f"{path}: {name}.{fname}: only aliases and values can be extended, not {unknown}")
            kinds[name].columns[fname] = Column(
                col.field,
                col.header,
                col.type,
                col.required,
                col.aliases + tuple(a for a in c.get("aliases", ()) if a not in col.aliases),
                col.values + tuple(v for v in c.get("values", ()) if v not in col.values),
                col.max,
            )


@dataclass(frozen=True)
class DateWindow:
    """The dates a record can bear: none before `earliest` (a birth date: `earliest_birth`),
    none after the day of the load (or the --as-of date, if later)."""

    earliest: dt.date
    earliest_birth: dt.date


def date_window(path: Path = DEFAULT) -> DateWindow:
    with path.open("rb") as f:
        dates = tomllib.load(f)["dates"]
    return DateWindow(dates["earliest"], dates["earliest_birth"])


@dataclass(frozen=True)
class Recognition:
    kind: Kind | None
    fields: dict[int, str]  # column position → field
    missing: list[str]  # required headers missing for the best candidate
    candidate: str | None


def recognise(headers: list[object], kinds: dict[str, Kind], forced: str | None = None) -> Recognition:
    """The kind whose required headers all appear; with several, the one matching most."""
    normal = [normalise_header(h) for h in headers]
    best: Recognition | None = None
    for kind in kinds.values():
        if forced and kind.name != forced:
            continue
        hmap = kind.header_map()
        fields: dict[int, str] = {}
        for i, h in enumerate(normal):
            f = hmap.get(h)
            if f and f not in fields.values():
                fields[i] = f
        missing = [c.header for c in kind.required if c.field not in fields.values()]
        score = (not missing, len(fields) - len(missing))
        cand = Recognition(kind if not missing else None, fields, missing, kind.name)
        if best is None or score > (not best.missing, len(best.fields) - len(best.missing)):
            best = cand
    assert best is not None
    return best
