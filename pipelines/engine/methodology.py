"""The index methodology as a versioned, hashed configuration file.

`load()` parses and checks a methodology TOML file (default: pipelines/config/methodology-v1.toml)
and refuses a malformed one with a message naming the line and the problem, e.g.
`methodology.toml:58: indicators F3: weight must be a number ≥ 0, got "高"`.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pipelines.engine.composite import MISSING_RULES, Node
from pipelines.engine.marts import INDICATORS

DEFAULT = Path(__file__).resolve().parent.parent / "config" / "methodology-v1.toml"
# Indicators the domain SQL computes (pipelines/sql/…): a configuration can weight, bound and
# drop them, not invent new ones.
KNOWN_INDICATORS = set(INDICATORS)
KNOWN_COMPONENTS = {"V1", "V2", "V3", "V4"}
KNOWN_INDICES = {"fortress", "vanguard", "service"}
MEETING_TYPES = {"支部党员大会", "支部委员会", "党小组会", "党课", "主题党日"}
SECTIONS = (
    "scoring",
    "parameters",
    "indices",
    "indicators",
    "member_components",
    "member_tiers",
    "composite",
    "grades",
    "cap_rule",
    "lists",
    "yellow_card",
    "rank_intervals",
)


class MethodologyError(ValueError):
    """A methodology file that cannot be used; the message names the line."""


@dataclass(frozen=True)
class Methodology:
    path: Path
    text: str
    sha256: str
    config: dict

    @property
    def version(self) -> str:
        return self.config["version"]

    def indicators(self, index: str | None = None) -> list[dict]:
        return [i for i in self.config["indicators"] if index is None or i["index"] == index]

    def tree(self) -> list[Node]:
        """The unit tree for the engine: indicators → indices → composite."""
        scale = float(self.config["scoring"]["scale"])
        share = float(self.config["scoring"]["min_weight_share"])
        nodes = [
            Node(
                i["code"],
                i["index"],
                1,
                float(i["weight"]),
                int(i["direction"]),
                "goalposts",
                float(i["lo"]),
                float(i["hi"]),
                0.0,
                scale,
                missing=i.get("missing", "skip"),
            )
            for i in self.config["indicators"]
        ]
        composite = self.config["composite"]["indices"]
        for idx in self.config["indices"]:
            parent = "composite" if idx["code"] in composite else None
            nodes.append(Node(idx["code"], parent, 2, 1.0, aggregate="amean", min_share=share))
        nodes.append(Node("composite", None, 3, aggregate="amean", min_share=1.0))  # missing if any index is
        return nodes

    def member_tree(self) -> list[Node]:
        """The member tree: components V1–V4 (goalposts [0, full_at] or [lo, hi]) → score."""
        scale = float(self.config["scoring"]["scale"])
        nodes = [
            Node(
                c["code"],
                MEMBER_SCORE,
                1,
                float(c["weight"]),
                1,
                "goalposts",
                float(c.get("lo", 0.0)),
                float(c["full_at"]) if "full_at" in c else float(c["hi"]),
                0.0,
                scale,
                missing=c.get("missing", "skip"),
            )
            for c in self.config["member_components"]
        ]
        return [*nodes, Node(MEMBER_SCORE, None, 2, aggregate="amean", min_share=0.0)]


MEMBER_SCORE = "member_score"


class _Lines:
    """Finds the line of a key in the text, for error messages."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def of(self, table: str | None, key: str | None = None, nth: int = 0) -> int:
        start, seen = 0, -1
        if table is not None:
            header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?")
            for i, line in enumerate(self.lines):
                if header.match(line):
                    seen += 1
                    if seen == nth:
                        start = i
                        break
            else:
                return 1
        if key is None:
            return start + 1
        pattern = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=')
        for i in range(start + (1 if table else 0), len(self.lines)):
            if table is not None and i > start and re.match(r"^\s*\[", self.lines[i]):
                break
            if pattern.match(self.lines[i]):
                return i + 1
        return start + 1


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def load(path: Path = DEFAULT) -> Methodology:
    path = Path(path)
    return parse(path.read_text(encoding="utf-8"), path)


def parse(text: str, path: Path = Path("methodology.toml")) -> Methodology:
    """A methodology from its text, e.g. the text a run recorded; errors name `path`."""
    name = path.name
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise MethodologyError(f"{name}: {e}") from e
    lines = _Lines(text)

    def fail(line: int, problem: str) -> None:
        raise MethodologyError(f"{name}:{line}: {problem}")

    for section in SECTIONS:
        if section not in config:
            fail(1, f"section [{section}] is missing")
    if "version" not in config:
        fail(1, "version is missing")

    def number(
        table: str, nth: int, item: dict, key: str, label: str, low: float | None = None, positive: bool = False
    ) -> float:
        v = item.get(key)
        if not _is_number(v) or (low is not None and v < low) or (positive and v <= 0):
            bound = " > 0" if positive else (f" ≥ {low:g}" if low is not None else "")
            fail(lines.of(table, key, nth), f"{label}: {key} must be a number{bound}, got {v!r}")
        return float(v)

    index_codes = set()
    for n, idx in enumerate(config["indices"]):
        if idx.get("code") not in KNOWN_INDICES:
            fail(
                lines.of("indices", "code", n),
                f"unknown index {idx.get('code')!r} (the marts hold {', '.join(sorted(KNOWN_INDICES))})",
            )
        index_codes.add(idx["code"])
    seen: set[str] = set()
    for n, ind in enumerate(config["indicators"]):
        code = ind.get("code")
        if code not in KNOWN_INDICATORS:
            fail(
                lines.of("indicators", "code", n),
                f"unknown indicator {code!r} (known: {', '.join(sorted(KNOWN_INDICATORS))})",
            )
        if code in seen:
            fail(lines.of("indicators", "code", n), f"indicator {code} defined twice")
        seen.add(code)
        label = f"indicators {code}"
        if ind.get("index") not in index_codes:
            fail(lines.of("indicators", "index", n), f"{label}: unknown index {ind.get('index')!r}")
        number("indicators", n, ind, "weight", label, low=0)
        lo, hi = number("indicators", n, ind, "lo", label), number("indicators", n, ind, "hi", label)
        if lo >= hi:
            fail(lines.of("indicators", "lo", n), f"{label}: goalposts need lo < hi, got lo = {lo:g}, hi = {hi:g}")
        if ind.get("direction") not in (1, -1):
            fail(lines.of("indicators", "direction", n), f"{label}: direction must be 1 or -1")
        if ind.get("missing", "skip") not in MISSING_RULES:
            fail(lines.of("indicators", "missing", n), f"{label}: missing must be one of {MISSING_RULES}")
    for n, comp in enumerate(config["member_components"]):
        code = comp.get("code")
        if code not in KNOWN_COMPONENTS:
            fail(lines.of("member_components", "code", n), f"unknown member component {code!r}")
        number("member_components", n, comp, "weight", f"member_components {code}", low=0)
        if "full_at" in comp:
            number("member_components", n, comp, "full_at", f"member_components {code}", positive=True)
        elif not (_is_number(comp.get("lo")) and _is_number(comp.get("hi")) and comp["lo"] < comp["hi"]):
            fail(lines.of("member_components", "code", n), f"member_components {code}: needs full_at, or lo < hi")
        if comp.get("missing", "skip") not in MISSING_RULES:
            fail(
                lines.of("member_components", "missing", n),
                f"member_components {code}: missing must be one of {MISSING_RULES}",
            )
    for table in ("member_tiers", "grades"):
        mins = [number(table, n, t, "min", f"{table} {t.get('name')}") for n, t in enumerate(config[table])]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            fail(lines.of(table, "min", 0), f"{table}: minimums must fall from the first to the last")
    grades = {g["name"] for g in config["grades"]}
    if config["cap_rule"].get("max_grade") not in grades:
        fail(lines.of("cap_rule", "max_grade"), f"cap_rule: max_grade must be one of {sorted(grades)}")
    if config["yellow_card"].get("repeat_grade") not in grades:
        fail(lines.of("yellow_card", "repeat_grade"), f"yellow_card: repeat_grade must be one of {sorted(grades)}")
    for key in config["composite"].get("indices", []):
        if key not in index_codes:
            fail(lines.of("composite", "indices"), f"composite: unknown index {key!r}")
    for key in ("red_share", "black_share"):
        v = config["lists"].get(key)
        if not _is_number(v) or not 0 < v <= 0.5:
            fail(lines.of("lists", key), f"lists: {key} must be a share in (0, 0.5], got {v!r}")
    ri = config["rank_intervals"]
    if not isinstance(ri.get("replications"), int) or ri["replications"] < 1:
        fail(lines.of("rank_intervals", "replications"), "rank_intervals: replications must be a whole number ≥ 1")
    if not (
        _is_number(ri.get("weight_factor_min"))
        and _is_number(ri.get("weight_factor_max"))
        and 0 < ri["weight_factor_min"] <= ri["weight_factor_max"]
    ):
        fail(lines.of("rank_intervals", "weight_factor_min"), "rank_intervals: need 0 < weight_factor_min ≤ max")
    for key in config["parameters"].get("required_meetings", {}):
        if key not in MEETING_TYPES:
            fail(lines.of("parameters.required_meetings", key), f"required_meetings: unknown meeting type {key!r}")
    for key, value in config["parameters"].get("required_meetings", {}).items():
        if not isinstance(value, int) or value < 0:
            fail(lines.of("parameters.required_meetings", key), f"required_meetings {key}: a whole number ≥ 0")
    number("scoring", 0, config["scoring"], "min_weight_share", "scoring", low=0)
    number("parameters", 0, config["parameters"], "on_time_hours", "parameters", positive=True)
    return Methodology(path, text, hashlib.sha256(text.encode("utf-8")).hexdigest(), config)
