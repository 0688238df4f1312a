"""The loader's plan (pipelines/config/load-plan.toml): read, checked, and the SQL it names."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.load import batch, contract
from pipelines.load import plan as load_plan
from pipelines.load.plan import SQL, Key, PlanError

TEXT = load_plan.CONFIG.read_text(encoding="utf-8")
KINDS = list(contract.load(extra=Path("/nonexistent")))


def _broken(old: str, new: str) -> str:
    assert old in TEXT
    return TEXT.replace(old, new, 1)


def _line_of(text: str, fragment: str) -> int:
    return next(i + 1 for i, line in enumerate(text.splitlines()) if fragment in line)


def test_the_plan_covers_every_kind_of_the_contract_in_reference_order():
    plan = load_plan.load(KINDS)
    assert set(KINDS) < set(plan.names)
    # what a kind refers to comes before it
    order = plan.names
    assert order.index("grids") < order.index("orgs") < order.index("meetings")
    assert order.index("members") < order.index("services") and order.index("members") < order.index("demands")
    members = next(k for k in plan.kinds if k.name == "members")
    assert members.key == ("as_of", "member_key") and members.conflict_column == "id_masked"
    assert next(k for k in plan.kinds if k.name == "orgs").publish == plan.kinds[0].publish == "marts/publish_rows.sql"


def test_every_loader_sql_file_is_named_by_the_plan_or_the_map_builder():
    plan = load_plan.load(KINDS)
    named = {*plan.setup, *plan.staged, plan.retry, plan.outcome, plan.replace, plan.unquarantine, plan.quarantine}
    for k in plan.kinds:
        named |= {*k.files(), k.publish} | ({k.raw} if k.raw else set())
    named |= {f for *_, files in plan.upgrade for f in files}
    named |= {"marts/unit_geometry.sql", "intermediate/int_grid_shapes.sql"}  # pipelines/load/geometry.py
    layers = ("staging", "intermediate", "marts")
    on_disk = {str(p.relative_to(SQL)) for layer in layers for p in (SQL / layer).glob("*.sql")}
    assert on_disk == named - {"macros.sql"}


def test_each_sql_file_holds_one_statement():
    fill = {"kind": "grids", "mart": "grids", "key": Key(["grid_id"]), "structure": "{}"}
    fill |= {"conflict_field": "grid_id", "conflict_column": "grid_id"}
    for layer in ("staging", "intermediate", "marts"):
        for path in (SQL / layer).glob("*.sql"):
            text = path.read_text(encoding="utf-8")
            text = text.format(**fill) if "{kind}" in text else text
            assert len(duckdb.extract_statements(text)) == 1, path


def test_a_warehouse_before_v1_1_is_upgraded_by_the_plan():
    upgrade = {f"{table}.{column}": files for table, column, files in load_plan.load(KINDS).upgrade}
    assert set(upgrade) == {"members.reporting_org_id", "demands.claimed_by_org"}
    assert upgrade["members.reporting_org_id"][0] == "marts/upgrade_members_column.sql"


def test_a_key_renders_as_a_column_list_or_a_match_between_two_aliases():
    key = Key(["as_of", "member_key"])
    assert f"{key}" == "as_of, member_key"
    assert f"{key:m=o}" == "m.as_of = o.as_of AND m.member_key = o.member_key"


BROKEN = [  # (what the plan says, what a wrong plan says instead, the message)
    ('typed = "intermediate/int_orgs_typed.sql"', 'typed = "int_orgs_typd.sql"', "typed: no SQL file"),
    ('key = ["record_id"]', "key = []", "services: key must be a list of column names"),
    ('mart = "meetings"', 'mart = "meetings"\nmarts = "x"', "meetings: unknown setting 'marts'"),
    ('outcome = "intermediate/int_outcome.sql"', 'outcome = "outcome.sql"', "outcome: no SQL file"),
    ('column = "id_masked" }', 'value = "id_masked" }', "members: conflict needs field and column"),
    ('"members.reporting_org_id" = [', '"members" = [', "upgrade 'members': needs"),
    ('"marts/upgrade_demands_content.sql"]', '"marts/upgrade_demands.sql"]', "demands.claimed_by_org: no SQL file"),
]


@pytest.mark.parametrize("old, new, message", BROKEN)
def test_a_bad_plan_names_file_and_line(old, new, message):
    text = _broken(old, new)
    with pytest.raises(PlanError) as e:
        load_plan.parse(text, KINDS)
    assert str(e.value).startswith(f"load-plan.toml:{_line_of(text, new.splitlines()[-1])}: ")
    assert message in str(e.value)


def test_a_contract_kind_missing_from_the_plan_is_named_where_the_kinds_begin():
    text = _broken("[kinds.demands]", "[kinds.complaints]")
    with pytest.raises(PlanError) as e:
        load_plan.parse(text, KINDS)
    assert str(e.value) == (
        f"load-plan.toml:{_line_of(text, '[kinds.grids]')}: contract kind 'demands' has no [kinds.demands]"
    )


def test_a_kind_outside_the_contract_needs_its_raw_table():
    text = _broken('raw = "staging/raw_geometry.sql"\n', "")
    with pytest.raises(PlanError, match=r"load-plan.toml:\d+: geometry: not a kind of the contract"):
        load_plan.parse(text, KINDS)


def test_the_profile_setting_is_read_when_a_phase_ends_not_at_import(monkeypatch, capsys):
    monkeypatch.delenv("PBI_LOAD_PROFILE", raising=False)
    with batch.phase("quiet"):
        pass
    monkeypatch.setenv("PBI_LOAD_PROFILE", "1")
    with batch.phase("timed"):
        pass
    err = capsys.readouterr().err
    assert "timed" in err and "quiet" not in err
