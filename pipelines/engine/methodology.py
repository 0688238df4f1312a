"""The index methodology as a versioned, hashed configuration file, parsed once into typed,
frozen objects.

`load()` parses and checks a methodology TOML file (default: pipelines/config/methodology-v1.toml)
and refuses a malformed one with a message naming the line and the problem, e.g.
`methodology.toml:58: indicators F3: weight must be a number ≥ 0, got "高"`. Every name the
engine and the pack rely on (the tier V6 counts, the grades the cap rule and the yellow card
name) is checked here, so a renamed one is a `file:line` message, not a traceback later.

Methodology v1.2: `[scoring] min_weight` (an index is missing below this absolute sum of the
weights present) replaces `min_weight_share` (a share of the index's weights), which an older
file keeps, with its meaning; the optional `[points]` (正能量值: every number a parameter, the
v1.2 rule table by default) with `[points.tiers]` (a tier's name = its minimum, from the top).

Numbers are kept as the file writes them (90 stays an int, 10.0 a float): the meeting pack and
the dashboard print some of them as they are.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import vocabulary
from pipelines.engine.composite import MISSING_RULES, Node
from pipelines.engine.marts import INDICATORS

DEFAULT = Path(__file__).resolve().parent.parent / "config" / "methodology-v1.toml"
# Indicators the domain SQL computes (pipelines/sql/…): a configuration can weight, bound and
# drop them, not invent new ones.
KNOWN_INDICATORS = set(INDICATORS)
KNOWN_COMPONENTS = {"V1", "V2", "V3", "V4"}
KNOWN_INDICES = set(vocabulary.INDICES)
MEETING_TYPES = set(vocabulary.MEETING_TYPES)
# V6 is the share of members at this tier or above, unless [parameters] vanguard_tier names another.
DEFAULT_VANGUARD_TIER = "优秀"
# Parameters the domain SQL reads (pipelines/sql/indices/): each must be a number.
NUMERIC_PARAMETERS = (
    "on_time_hours",
    "member_rating_prior_mean",
    "member_rating_prior_weight",
    "satisfaction_prior_mean",
    "satisfaction_prior_weight",
)
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
MEMBER_SCORE = "member_score"
# Methodology v1.1's tables, optional in a text (a v1 file means these defaults).
DEFAULT_MIN_QUARTERS = 3
DEFAULT_MAX_BONUS = 5
DEFAULT_MAX_DEDUCTION = 20
# Methodology v1.2's 正能量值 rule table, optional in a text (a v1.1 file gets these).
POINTS_NUMBERS = {  # key: (default, whole number, low, positive)
    "per_service": (2, False, 0, False),  # each service record
    "per_hour": (1, False, 0, False),  # each hour of service
    "per_claim": (5, False, 0, False),  # each demand the member claimed, resolved in the quarter
    "per_top_rating": (1, False, 0, False),  # each rating of top_rating on the member's services
    "top_rating": (5, False, None, False),
    "quarter_cap": (60, False, 0, True),  # a member's quarterly points are capped here
    "per_org_claim": (10, False, 0, False),  # an organisation: each demand it claimed, resolved in p
    "min_members": (3, True, 1, False),  # reported members an organisation needs to be ranked
}
DEFAULT_POINT_TIERS = (("先锋", 150), ("优秀", 100), ("合格", 40), ("待激励", 0))


class MethodologyError(ValueError):
    """A methodology file that cannot be used; the message names the line."""


def _named(name_zh: str | None, name_en: str | None, fallback: str, lang: str) -> str:
    """A name in `lang`, else the Chinese one, else `fallback` (the code)."""
    return (name_en if lang == "en" else name_zh) or name_zh or fallback


@dataclass(frozen=True)
class _Coded:
    """An item with a code and optional names in Chinese and English (given by keyword)."""

    code: str
    name_zh: str | None = field(default=None, kw_only=True)
    name_en: str | None = field(default=None, kw_only=True)

    def name(self, lang: str = "zh") -> str:
        return _named(self.name_zh, self.name_en, self.code, lang)


@dataclass(frozen=True)
class Scoring:
    """Exactly one of the two minimums is set: v1.2's absolute one, or v1/v1.1's share."""

    scale: float  # index = scale × Σ w·s / Σ w
    min_weight_share: float | None = None  # v1, v1.1: below this share of an index's weight present, it is missing
    min_weight: float | None = None  # v1.2: below this sum of the weights present, an index is missing


@dataclass(frozen=True)
class Parameters:
    on_time_hours: float
    member_rating_prior_mean: float
    member_rating_prior_weight: float
    satisfaction_prior_mean: float
    satisfaction_prior_weight: float
    required_meetings: tuple[tuple[str, int], ...]  # (meeting type, meetings per branch and quarter)
    vanguard_tier: str  # V6 counts members at this tier or above
    entries: tuple[tuple[str, object], ...]  # every parameter as the file writes it, in its order (for display)


@dataclass(frozen=True)
class Index(_Coded):
    """An index (S1…): the weighted mean of its indicators' scores."""


@dataclass(frozen=True)
class Indicator(_Coded):
    index: str
    direction: int  # +1 higher is better, −1 lower is better
    lo: float  # goalposts
    hi: float
    weight: float  # within its index
    missing: str = "skip"


@dataclass(frozen=True)
class MemberComponent(_Coded):
    """A component of the member score: goalposts [0, full_at] or [lo, hi]."""

    weight: float
    lo: float
    hi: float
    full_at: float | None = None
    missing: str = "skip"


@dataclass(frozen=True)
class Cutoff:
    """A grade (on the composite) or a member tier (on the member score): the first, from the
    top, whose minimum a score reaches."""

    name: str
    min: float


@dataclass(frozen=True)
class Composite:
    indices: tuple[str, ...]  # their mean; missing if any is


@dataclass(frozen=True)
class CapRule:
    satisfaction_below: float  # S4's satisfaction below this caps the grade …
    max_grade: str  # … at this grade


@dataclass(frozen=True)
class Lists:
    red_share: float  # top / bottom share of ranked units, rounded up
    black_share: float
    min_ranked_units: int


@dataclass(frozen=True)
class YellowCard:
    composite_drop: float  # fell by at least this many points from the previous period …
    repeat_grade: str  # … or graded this in both


@dataclass(frozen=True)
class RankIntervals:
    replications: int
    weight_factor_min: float
    weight_factor_max: float
    seed: int
    quantiles: tuple[float, float]


@dataclass(frozen=True)
class Years:
    min_quarters: int  # a year's index is missing if present in fewer of its quarters


@dataclass(frozen=True)
class Adjustments:
    max_bonus: float  # Σ bonus points counts up to this …
    max_deduction: float  # … and Σ deduction points down to minus this


@dataclass(frozen=True)
class Points:
    """正能量值 (methodology v1.2): a member's quarterly points = per_service × services +
    per_hour × hours + per_claim × claims resolved + per_top_rating × ratings of top_rating,
    capped at quarter_cap; tiers on the year's points; an organisation adds per_org_claim per
    demand it claimed resolved, and is ranked with at least min_members reported members."""

    per_service: float = 2
    per_hour: float = 1
    per_claim: float = 5
    per_top_rating: float = 1
    top_rating: float = 5
    quarter_cap: float = 60
    per_org_claim: float = 10
    min_members: int = 3
    tiers: tuple[Cutoff, ...] = tuple(Cutoff(n, x) for n, x in DEFAULT_POINT_TIERS)  # best first


@dataclass(frozen=True)
class Methodology:
    path: Path
    text: str
    sha256: str
    version: str
    name_zh: str | None
    name_en: str | None
    scoring: Scoring
    parameters: Parameters
    indices: tuple[Index, ...]
    indicators: tuple[Indicator, ...]
    member_components: tuple[MemberComponent, ...]
    member_tiers: tuple[Cutoff, ...]  # best first
    composite: Composite
    grades: tuple[Cutoff, ...]  # best first
    cap_rule: CapRule
    lists: Lists
    yellow_card: YellowCard
    rank_intervals: RankIntervals
    years: Years = Years(DEFAULT_MIN_QUARTERS)
    adjustments: Adjustments = Adjustments(DEFAULT_MAX_BONUS, DEFAULT_MAX_DEDUCTION)
    quotas: tuple[tuple[str, float], ...] = ()  # (grade, share of ranked units), best grade first
    points: Points = Points()

    def name(self, lang: str = "zh") -> str:
        return _named(self.name_zh, self.name_en, "", lang)

    def indicators_of(self, index: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.index == index)

    def index_names(self, lang: str = "zh") -> dict[str, str]:
        return {i.code: i.name(lang) for i in self.indices}

    @property
    def lowest_grade(self) -> str:
        return self.grades[-1].name

    @property
    def vanguard_tier(self) -> Cutoff:
        """The tier V6 counts members at or above (checked to exist by parse())."""
        return next(t for t in self.member_tiers if t.name == self.parameters.vanguard_tier)

    def tree(self) -> list[Node]:
        """The unit tree for the engine: indicators → indices → composite."""
        scale = float(self.scoring.scale)
        absolute = self.scoring.min_weight
        share = 0.0 if absolute is not None else float(self.scoring.min_weight_share)
        minimum = None if absolute is None else float(absolute)
        nodes = [_leaf(i.code, i.index, i.weight, i.direction, i.lo, i.hi, scale, i.missing) for i in self.indicators]
        for idx in self.indices:
            parent = vocabulary.COMPOSITE if idx.code in self.composite.indices else None
            nodes.append(Node(idx.code, parent, 2, 1.0, aggregate="amean", min_share=share, min_weight=minimum))
        # missing if any index is
        nodes.append(Node(vocabulary.COMPOSITE, None, 3, aggregate="amean", min_share=1.0))
        return nodes

    def member_tree(self) -> list[Node]:
        """The member tree: components V1–V4 (goalposts [0, full_at] or [lo, hi]) → score."""
        scale = float(self.scoring.scale)
        nodes = [_leaf(c.code, MEMBER_SCORE, c.weight, 1, c.lo, c.hi, scale, c.missing) for c in self.member_components]
        return [*nodes, Node(MEMBER_SCORE, None, 2, aggregate="amean", min_share=0.0)]


def _leaf(
    code: str, parent: str, weight: float, direction: int, lo: float, hi: float, scale: float, missing: str
) -> Node:
    """A scored input of a tree: its value mapped by goalposts [lo, hi] to 0–scale, weighted under its parent."""
    return Node(
        code,
        parent,
        level=1,
        weight=float(weight),
        direction=int(direction),
        normalise="goalposts",
        lo=float(lo),
        hi=float(hi),
        out_lo=0.0,
        out_hi=scale,
        missing=missing,
    )


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


def _is_whole(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def load(path: Path = DEFAULT) -> Methodology:
    path = Path(path)
    return parse(path.read_text(encoding="utf-8"), path)


def parse(text: str, path: Path = Path("methodology.toml")) -> Methodology:
    """A methodology from its text, e.g. the text a run recorded; errors name `path`. The same
    text and name give the same (frozen) object: a run's methodology is parsed once."""
    return _parse(text, Path(path))


@functools.lru_cache(maxsize=16)
def _parse(text: str, path: Path) -> Methodology:
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
        return v

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
        if not config[table]:
            fail(lines.of(table), f"{table}: at least one is needed")
        for n, t in enumerate(config[table]):
            if not isinstance(t.get("name"), str) or not t["name"]:
                fail(lines.of(table, "name", n), f"{table}: name must be a text, got {t.get('name')!r}")
        names = [t["name"] for t in config[table]]
        if len(set(names)) != len(names):
            fail(lines.of(table, "name", 0), f"{table}: a name appears twice ({', '.join(names)})")
        mins = [number(table, n, t, "min", f"{table} {t.get('name')}") for n, t in enumerate(config[table])]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            fail(lines.of(table, "min", 0), f"{table}: minimums must fall from the first to the last")
    grades = {g["name"] for g in config["grades"]}
    if config["cap_rule"].get("max_grade") not in grades:
        fail(lines.of("cap_rule", "max_grade"), f"cap_rule: max_grade must be one of {sorted(grades)}")
    if config["yellow_card"].get("repeat_grade") not in grades:
        fail(lines.of("yellow_card", "repeat_grade"), f"yellow_card: repeat_grade must be one of {sorted(grades)}")
    number("cap_rule", 0, config["cap_rule"], "satisfaction_below", "cap_rule")
    number("yellow_card", 0, config["yellow_card"], "composite_drop", "yellow_card", low=0)
    composite = config["composite"].get("indices", [])
    if not isinstance(composite, list):
        fail(lines.of("composite", "indices"), "composite: indices must be a list of index codes")
    for key in composite:
        if key not in index_codes:
            fail(lines.of("composite", "indices"), f"composite: unknown index {key!r}")
    for key in ("red_share", "black_share"):
        v = config["lists"].get(key)
        if not _is_number(v) or not 0 < v <= 0.5:
            fail(lines.of("lists", key), f"lists: {key} must be a share in (0, 0.5], got {v!r}")
    if not _is_whole(config["lists"].get("min_ranked_units")) or config["lists"]["min_ranked_units"] < 0:
        fail(lines.of("lists", "min_ranked_units"), "lists: min_ranked_units must be a whole number ≥ 0")
    ri = config["rank_intervals"]
    if not _is_whole(ri.get("replications")) or ri["replications"] < 1:
        fail(lines.of("rank_intervals", "replications"), "rank_intervals: replications must be a whole number ≥ 1")
    if not (
        _is_number(ri.get("weight_factor_min"))
        and _is_number(ri.get("weight_factor_max"))
        and 0 < ri["weight_factor_min"] <= ri["weight_factor_max"]
    ):
        fail(lines.of("rank_intervals", "weight_factor_min"), "rank_intervals: need 0 < weight_factor_min ≤ max")
    if not _is_whole(ri.get("seed")):
        fail(lines.of("rank_intervals", "seed"), f"rank_intervals: seed must be a whole number, got {ri.get('seed')!r}")
    q = ri.get("quantiles")
    if not (isinstance(q, list) and len(q) == 2 and all(_is_number(x) for x in q) and 0 <= q[0] <= q[1] <= 1):
        fail(
            lines.of("rank_intervals", "quantiles"), f"rank_intervals: quantiles must be [lo, hi] in [0, 1], got {q!r}"
        )
    p = config["parameters"]
    for key in p.get("required_meetings", {}):
        if key not in MEETING_TYPES:
            fail(lines.of("parameters.required_meetings", key), f"required_meetings: unknown meeting type {key!r}")
    for key, value in p.get("required_meetings", {}).items():
        if not isinstance(value, int) or value < 0:
            fail(lines.of("parameters.required_meetings", key), f"required_meetings {key}: a whole number ≥ 0")
    given = [k for k in ("min_weight", "min_weight_share") if k in config["scoring"]]
    if len(given) != 1:
        problem = "give one of" if given else "needs"
        fail(
            lines.of("scoring", given[-1] if given else None),
            f"scoring: {problem} min_weight (v1.2: the sum of the weights present an index needs) "
            "or min_weight_share (v1, v1.1: their share of the index's weights)",
        )
    number("scoring", 0, config["scoring"], given[0], "scoring", low=0)
    number("scoring", 0, config["scoring"], "scale", "scoring", positive=True)
    number("parameters", 0, p, "on_time_hours", "parameters", positive=True)
    for key in NUMERIC_PARAMETERS:
        number("parameters", 0, p, key, "parameters")
    tiers = [t["name"] for t in config["member_tiers"]]
    vanguard_tier = p.get("vanguard_tier", DEFAULT_VANGUARD_TIER)
    if vanguard_tier not in tiers:
        line = lines.of("parameters", "vanguard_tier") if "vanguard_tier" in p else lines.of("member_tiers")
        fail(
            line,
            f"member_tiers: V6 counts members at tier {vanguard_tier!r} or above, but the tiers are "
            f"{', '.join(tiers)} (name a tier {vanguard_tier!r}, or set [parameters] vanguard_tier)",
        )
    _check_cycle(config, lines, fail)
    _check_points(config, lines, fail)
    return _build(config, path, text, vanguard_tier)


def _check_cycle(config: dict, lines: _Lines, fail) -> None:
    """Methodology v1.1's tables: [years], [adjustments] and the optional [quotas]."""
    for table in ("years", "adjustments", "quotas"):
        if table in config and not isinstance(config[table], dict):
            fail(lines.of(None, table), f"{table} must be a table ([{table}])")
    mq = config.get("years", {}).get("min_quarters", DEFAULT_MIN_QUARTERS)
    if not _is_whole(mq) or not 1 <= mq <= 4:
        fail(lines.of("years", "min_quarters"), f"years: min_quarters must be a whole number 1–4, got {mq!r}")
    for key, default in (("max_bonus", DEFAULT_MAX_BONUS), ("max_deduction", DEFAULT_MAX_DEDUCTION)):
        v = config.get("adjustments", {}).get(key, default)
        if not _is_number(v) or v < 0 or v != v or v == float("inf"):
            fail(lines.of("adjustments", key), f"adjustments: {key} must be a number ≥ 0, got {v!r}")
    names = [g["name"] for g in config["grades"]]
    for grade, share in config.get("quotas", {}).items():
        line = lines.of("quotas", grade)
        if grade not in names:
            fail(line, f"quotas: unknown grade {grade!r} (the grades are {', '.join(names)})")
        if grade == names[-1]:
            fail(line, f"quotas: {grade!r} is the lowest grade: a unit over its quota has no grade to drop to")
        if not _is_number(share) or not 0 < share <= 1:
            fail(line, f"quotas {grade}: the share must be a number in (0, 1], got {share!r}")


def _check_points(config: dict, lines: _Lines, fail) -> None:
    """Methodology v1.2's optional [points] and its [points.tiers] (name = minimum, from the top)."""
    if "points" not in config:
        return
    table = config["points"]
    if not isinstance(table, dict):
        fail(lines.of(None, "points"), "points must be a table ([points])")
    for key in table:
        if key not in POINTS_NUMBERS and key != "tiers":
            known = ", ".join([*POINTS_NUMBERS, "tiers"])
            fail(lines.of("points", key), f"points: unknown key {key!r} (known: {known})")
    for key, (_default, whole, low, positive) in POINTS_NUMBERS.items():
        if key not in table:
            continue
        v = table[key]
        bad = not (_is_whole(v) if whole else _is_number(v)) or v != v or v in (float("inf"), float("-inf"))
        bad = bad or (low is not None and v < low) or (positive and v <= 0)
        if bad:
            kind = "a whole number" if whole else "a number"
            bound = " > 0" if positive else (f" ≥ {low:g}" if low is not None else "")
            fail(lines.of("points", key), f"points: {key} must be {kind}{bound}, got {v!r}")
    tiers = table.get("tiers")
    if tiers is None:
        return
    if not isinstance(tiers, dict) or not tiers:
        fail(lines.of("points.tiers"), 'points.tiers: a table of tiers is needed ([points.tiers], "先锋" = 150, …)')
    for name, v in tiers.items():
        if not _is_number(v) or v != v or v in (float("inf"), float("-inf")):
            fail(lines.of("points.tiers", name), f"points.tiers {name}: the minimum must be a number, got {v!r}")
    mins = list(tiers.values())
    if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        fail(lines.of("points.tiers"), "points.tiers: minimums must fall from the first to the last")


def _points(config: dict) -> Points:
    table = config.get("points", {})
    numbers = {key: table.get(key, default) for key, (default, *_rest) in POINTS_NUMBERS.items()}
    tiers = table.get("tiers")
    cutoffs = Points().tiers if tiers is None else tuple(Cutoff(name, v) for name, v in tiers.items())
    return Points(**numbers, tiers=cutoffs)


def _build(config: dict, path: Path, text: str, vanguard_tier: str) -> Methodology:
    """The checked configuration as typed objects."""
    p = config["parameters"]
    meetings = tuple((k, v) for k, v in p.get("required_meetings", {}).items())
    ri = config["rank_intervals"]
    quotas = config.get("quotas", {})
    return Methodology(
        path=path,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        version=config["version"],
        name_zh=config.get("name_zh"),
        name_en=config.get("name_en"),
        scoring=Scoring(
            config["scoring"]["scale"], config["scoring"].get("min_weight_share"), config["scoring"].get("min_weight")
        ),
        parameters=Parameters(
            **{key: p[key] for key in NUMERIC_PARAMETERS},
            required_meetings=meetings,
            vanguard_tier=vanguard_tier,
            entries=tuple((k, meetings if k == "required_meetings" else v) for k, v in p.items()),
        ),
        indices=tuple(Index(i["code"], name_zh=i.get("name_zh"), name_en=i.get("name_en")) for i in config["indices"]),
        indicators=tuple(
            Indicator(
                i["code"],
                i["index"],
                i["direction"],
                i["lo"],
                i["hi"],
                i["weight"],
                i.get("missing", "skip"),
                name_zh=i.get("name_zh"),
                name_en=i.get("name_en"),
            )
            for i in config["indicators"]
        ),
        member_components=tuple(
            MemberComponent(
                c["code"],
                c["weight"],
                c.get("lo", 0.0),
                c["full_at"] if "full_at" in c else c["hi"],
                c.get("full_at"),
                c.get("missing", "skip"),
                name_zh=c.get("name_zh"),
                name_en=c.get("name_en"),
            )
            for c in config["member_components"]
        ),
        member_tiers=tuple(Cutoff(t["name"], t["min"]) for t in config["member_tiers"]),
        composite=Composite(tuple(config["composite"].get("indices", []))),
        grades=tuple(Cutoff(g["name"], g["min"]) for g in config["grades"]),
        cap_rule=CapRule(config["cap_rule"]["satisfaction_below"], config["cap_rule"]["max_grade"]),
        lists=Lists(config["lists"]["red_share"], config["lists"]["black_share"], config["lists"]["min_ranked_units"]),
        yellow_card=YellowCard(config["yellow_card"]["composite_drop"], config["yellow_card"]["repeat_grade"]),
        rank_intervals=RankIntervals(
            ri["replications"], ri["weight_factor_min"], ri["weight_factor_max"], ri["seed"], tuple(ri["quantiles"])
        ),
        years=Years(config.get("years", {}).get("min_quarters", DEFAULT_MIN_QUARTERS)),
        adjustments=Adjustments(
            config.get("adjustments", {}).get("max_bonus", DEFAULT_MAX_BONUS),
            config.get("adjustments", {}).get("max_deduction", DEFAULT_MAX_DEDUCTION),
        ),
        quotas=tuple((g["name"], config["quotas"][g["name"]]) for g in config["grades"] if g["name"] in quotas),
        points=_points(config),
    )
