"""The engine's DuckDB SQL as Spark SQL: one source of truth for the models, translated with
SQLGlot (read="duckdb", write="spark") plus the rewrites SQLGlot does not make, or makes with
another meaning:

- the engine's DuckDB macros (CREATE MACRO … in the same text, or in an earlier call sharing
  `macros`) are expanded in place from their one definition;
- CREATE [OR REPLACE] [TEMP] TABLE x AS … (and the in-memory `work.` database) becomes a
  cached temp view: Spark materialises it once, as DuckDB does;
- decimal literals become DOUBLE (Spark keeps 0.5 a DECIMAL, so that a ratio of sums would be
  a DECIMAL rounded to its scale where DuckDB computes a DOUBLE);
- UNION ALL BY NAME, DuckDB's UNPIVOT statement and range()/generate_series() in FROM, which
  Spark's parser does not have or SQLGlot renders off by one step;
- ordered aggregates: list(x ORDER BY …) (SQLGlot's collect_list loses the order), first(x
  ORDER BY …), string_agg(x, s ORDER BY …); order-insensitive ones (sum, count…) drop the order;
- date_diff(part, a, b) counts part boundaries crossed (DuckDB), not whole parts elapsed (Spark);
- quantile_cont(x, q) → percentile(x, q) (both interpolate linearly);
- WITH x AS MATERIALIZED (…) loses the hint, which Spark's parser does not have.

DuckDB's short PIVOT (without an IN list) depends on the data's values: it is refused
(NotPortable). QUALIFY becomes a subquery by SQLGlot itself."""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

WORK = "work"  # the computation's in-memory DuckDB database: plain temp views on Spark


class NotPortable(ValueError):
    """A DuckDB construct with no Spark SQL of the same meaning."""


@dataclass(frozen=True)
class Macro:
    params: tuple[str, ...]
    body: exp.Expression


def _spark(node: exp.Expression) -> str:
    return node.sql(dialect="spark", comments=False)


def _parse_spark(text: str) -> exp.Expression:
    return sqlglot.parse_one(text, read="spark")


# -- macros ------------------------------------------------------------------------------------


def _macro(create: exp.Create) -> tuple[str, Macro]:
    udf = create.this
    params = tuple(p.name.lower() for p in udf.expressions)
    return udf.this.name.lower(), Macro(params, create.expression)


def _expand(tree: exp.Expression, macros: dict[str, Macro]) -> exp.Expression:
    def substitute(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Anonymous) or node.name.lower() not in macros:
            return node
        macro = macros[node.name.lower()]
        if len(node.expressions) != len(macro.params):
            raise NotPortable(f"macro {node.name}: {len(macro.params)} arguments, called with {len(node.expressions)}")
        given = dict(zip(macro.params, node.expressions, strict=True))

        def bind(part: exp.Expression) -> exp.Expression:
            if isinstance(part, exp.Column) and not part.table and part.name.lower() in given:
                return exp.Paren(this=given[part.name.lower()].copy())
            return part

        # A macro's body may call another macro (defined before it); the call is one operand.
        return exp.Paren(this=_expand(macro.body.copy().transform(bind), macros))

    return tree.transform(substitute)


# -- expression rewrites -----------------------------------------------------------------------


def _double_literals(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Literal) and not node.is_string and "." in node.this and "e" not in node.this.lower():
        parent = node.parent
        if isinstance(parent, exp.Cast) and parent.to.is_type("double"):
            return node
        return exp.Cast(this=node, to=exp.DataType.build("DOUBLE"))
    return node


def _naive_trunc(node: exp.Expression) -> exp.Expression:
    # Spark's date_trunc returns a zoned TIMESTAMP; DuckDB's stays naive: cast back (exact in
    # the session's fixed zone).
    if isinstance(node, exp.TimestampTrunc | exp.DateTrunc) and not getattr(node, "_naive", False):
        unit = node.args["unit"].name.upper()
        trunc = _parse_spark(f"date_trunc('{unit}', {_spark(node.this)})")
        cast = exp.Cast(this=trunc, to=exp.DataType.build("TIMESTAMP"))
        trunc._naive = True  # type: ignore[attr-defined]
        return cast
    return node


def _date_diff(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.DateDiff) and node.args.get("date_part_boundary"):
        unit = (node.unit.name if node.args.get("unit") else "DAY").upper()
        start, end = _spark(node.expression), _spark(node.this)
        # date_trunc is made naive again by _naive_trunc, which runs after this.
        return _parse_spark(f"timestampdiff({unit}, date_trunc('{unit}', {start}), date_trunc('{unit}', {end}))")
    return node


def _comparator(keys: list[exp.Ordered]) -> str:
    """A comparator for array_sort over structs k0, k1 … in DuckDB's order (NULLs last unless
    said otherwise)."""
    expr = "0"
    for i in reversed(range(len(keys))):
        o = keys[i]
        desc = bool(o.args.get("desc"))
        nulls_first = bool(o.args.get("nulls_first"))
        lt, gt = ("1", "-1") if desc else ("-1", "1")
        null_l, null_r = ("-1", "1") if nulls_first else ("1", "-1")
        a, b = f"l.k{i}", f"r.k{i}"
        expr = (
            f"CASE WHEN {a} IS NULL AND {b} IS NULL THEN {expr} WHEN {a} IS NULL THEN {null_l} "
            f"WHEN {b} IS NULL THEN {null_r} WHEN {a} < {b} THEN {lt} WHEN {a} > {b} THEN {gt} ELSE {expr} END"
        )
    return f"(l, r) -> {expr}"


def _sorted_list(order: exp.Order) -> str:
    keys = list(order.expressions)
    fields = ", ".join(f"'k{i}', {_spark(o.this)}" for i, o in enumerate(keys))
    value = _spark(order.this)
    return f"transform(array_sort(collect_list(named_struct({fields}, 'v', {value})), {_comparator(keys)}), s -> s.v)"


_ORDER_FREE = (exp.Sum, exp.Avg, exp.Count, exp.Min, exp.Max, exp.CountIf)


def _ordered_aggregates(node: exp.Expression) -> exp.Expression:
    order = node.this if isinstance(node, exp.Func) and isinstance(node.args.get("this"), exp.Order) else None
    if order is None or isinstance(node, exp.Window):
        return node
    if isinstance(node, _ORDER_FREE):
        node = node.copy()
        node.set("this", order.this)
        return node
    if isinstance(node, exp.ArrayAgg):
        return _parse_spark(_sorted_list(order))
    if isinstance(node, exp.First):
        return _parse_spark(f"element_at({_sorted_list(order)}, 1)")
    if isinstance(node, exp.Last):
        return _parse_spark(f"element_at({_sorted_list(order)}, -1)")
    if isinstance(node, exp.GroupConcat):
        sep = _spark(node.args["separator"]) if node.args.get("separator") else "','"
        # string_agg skips NULLs, and is NULL without a value (array_join would give '').
        value = _spark(order.this)
        return _parse_spark(f"CASE WHEN count({value}) > 0 THEN array_join({_sorted_list(order)}, {sep}) END")
    raise NotPortable(f"ordered aggregate {node.key}: no Spark SQL of the same meaning")


def _quantiles(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.PercentileCont) and not isinstance(node.parent, exp.WithinGroup):
        return _parse_spark(f"percentile({_spark(node.this)}, {_spark(node.expression)})")
    return node


def _union_by_name(node: exp.Expression) -> exp.Expression:
    """UNION [ALL] BY NAME of SELECTs naming their columns: each branch selects every name
    (NULL where it lacks one), in the order of first appearance, as DuckDB fills them."""
    if not (isinstance(node, exp.Union) and node.args.get("by_name")):
        return node
    branches: list[exp.Select] = []
    distinct: set[bool] = set()

    def flatten(n: exp.Expression) -> None:
        if isinstance(n, exp.Union) and n.args.get("by_name"):
            distinct.add(bool(n.args.get("distinct")))
            flatten(n.this)
            flatten(n.expression)
        elif isinstance(n, exp.Select) and not any(isinstance(e, exp.Star) for e in n.expressions):
            branches.append(n)
        else:
            raise NotPortable("UNION BY NAME over a branch that does not name its columns")

    flatten(node)
    if len(distinct) > 1:
        raise NotPortable("UNION BY NAME mixing ALL and DISTINCT")
    names: list[str] = []
    for b in branches:
        names += [n for n in b.named_selects if n.lower() not in {x.lower() for x in names}]
    all_ = not distinct.pop()
    result: exp.Expression | None = None
    for b in branches:
        have = {e.alias_or_name.lower(): e for e in b.expressions}
        cols = [have[n.lower()].copy() if n.lower() in have else exp.alias_(exp.Null(), n) for n in names]
        select = b.copy()
        select.set("expressions", cols)
        result = select if result is None else exp.Union(this=result, expression=select, distinct=not all_)
    for key in ("order", "limit", "offset", "with_"):  # what the statement's union carries
        if node.args.get(key):
            result.set(key, node.args[key].copy())
    return result


def _unpivot(node: exp.Expression) -> exp.Expression:
    if not (isinstance(node, exp.Pivot) and node.args.get("unpivot") and node.args.get("into")):
        return node
    into = node.args["into"]
    if len(into.expressions) != 1 or any(not isinstance(c, exp.Column) for c in node.expressions):
        raise NotPortable("UNPIVOT into more than one value column (or of expressions)")
    cols = ", ".join(_spark(c) for c in node.expressions)
    return _parse_spark(
        f"SELECT * FROM {_spark(node.this)} UNPIVOT ({_spark(into.expressions[0])} FOR {_spark(into.this)} IN ({cols}))"
    )


def _series(node: exp.Expression) -> exp.Expression:
    """range(a, b, step) / generate_series(a, b, step) as a table in FROM → a LATERAL subquery
    exploding Spark's sequence (inclusive), without the end for range (exclusive)."""
    if not (isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries)):
        return node
    series = node.this
    alias = node.args.get("alias")
    if alias is None or len(alias.columns) != 1:
        raise NotPortable("range()/generate_series() in FROM needs an alias t(x)")
    start, end = _spark(series.args["start"]), _spark(series.args["end"])
    step = _spark(series.args["step"]) if series.args.get("step") else "1"
    values = f"sequence({start}, {end}, {step})"
    if series.args.get("is_end_exclusive"):
        values = f"IF({start} < {end}, filter({values}, _pbi_v -> _pbi_v < {end}), array())"
    column, name = alias.columns[0].sql(dialect="spark"), alias.this.sql(dialect="spark")
    return _parse_spark(f"SELECT * FROM LATERAL (SELECT explode({values}) AS {column}) AS {name}").args["from_"].this


def _no_work(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Table) and node.args.get("db") and node.db.lower() == WORK:
        node = node.copy()
        node.set("db", None)
    return node


def _not_materialized(node: exp.Expression) -> exp.Expression:
    """WITH x AS MATERIALIZED (…): a hint to DuckDB's planner that Spark's parser lacks (Spark
    plans a CTE read twice on its own terms; the result is the same)."""
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node = node.copy()
        node.set("materialized", None)
    return node


def _short_pivot(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Pivot) and not node.args.get("unpivot"):
        fields = node.args.get("fields") or []
        if not fields and not any(isinstance(e, exp.In) for e in node.expressions):
            raise NotPortable("DuckDB's short PIVOT (no IN list): its columns depend on the data")
    return node


def _rewrite(tree: exp.Expression, macros: dict[str, Macro]) -> exp.Expression:
    tree = _expand(tree, macros)
    steps = (
        _short_pivot,
        _no_work,
        _not_materialized,
        _unpivot,
        _series,
        _union_by_name,
        _ordered_aggregates,
        _quantiles,
    )
    for step in steps:
        tree = tree.transform(step)
    tree = tree.transform(_date_diff)
    tree = tree.transform(_naive_trunc)
    return tree.transform(_double_literals)


# -- statements --------------------------------------------------------------------------------


def _is_temp(create: exp.Create) -> bool:
    props = create.args.get("properties")
    return bool(props and any(isinstance(p, exp.TemporaryProperty) for p in props.expressions))


def _select_star_from(query: exp.Expression, name: str) -> bool:
    return (
        isinstance(query, exp.Select)
        and len(query.expressions) == 1
        and isinstance(query.expressions[0], exp.Star)
        and isinstance(query.args.get("from_") and query.args["from_"].this, exp.Table)
        and query.args["from_"].this.name.lower() == name.lower()
        and not query.args.get("joins")
        and not query.args.get("where")
    )


def _statement(tree: exp.Expression, macros: dict[str, Macro]) -> list[str]:
    if isinstance(tree, exp.Create) and (tree.kind or "").upper() == "MACRO":
        name, macro = _macro(tree)
        macros[name] = macro
        return []
    if isinstance(tree, exp.Create) and (tree.kind or "").upper() in ("TABLE", "VIEW") and tree.expression:
        target = tree.this
        name = target.name
        in_work = bool(target.args.get("db")) and target.db.lower() == WORK
        query = _rewrite(tree.expression, macros)
        if (tree.kind or "").upper() == "VIEW":
            if _select_star_from(query, name):  # a view of the `work` table of its own name: the same thing here
                return []
            return [f"CREATE OR REPLACE TEMPORARY VIEW {_spark(exp.to_identifier(name))} AS {_spark(query)}"]
        if not (in_work or _is_temp(tree)):
            raise NotPortable(f"CREATE TABLE {name} AS …: only temp tables and `work` tables have a Spark form here")
        ident = _spark(exp.to_identifier(name))
        return [f"CREATE OR REPLACE TEMPORARY VIEW {ident} AS {_spark(query)}", f"CACHE TABLE {ident}"]
    return [_spark(_rewrite(tree, macros))]


def to_spark(sql: str, macros: dict[str, Macro] | None = None) -> list[str]:
    """Spark SQL statements for the DuckDB statements in `sql` (the engine's, after str.format).
    Macros defined in `sql` are expanded in its later statements and, when the caller passes a
    dict as `macros`, recorded there for later calls (a computation shares one)."""
    macros = {} if macros is None else macros
    out: list[str] = []
    for tree in sqlglot.parse(sql, read="duckdb"):
        if tree is not None:
            out += _statement(tree, macros)
    return out
