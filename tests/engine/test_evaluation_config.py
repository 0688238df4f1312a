"""Methodology v1.1's tables in the configuration: [years], [adjustments] (optional, with the
defaults) and [quotas] (optional); a bad value is refused with file:line."""

from __future__ import annotations

import re

import pytest

from pipelines.engine.methodology import DEFAULT, MethodologyError, load, parse

SHIPPED = DEFAULT.read_text(encoding="utf-8")


def _line(text: str, pattern: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if re.match(pattern, line))


def test_the_shipped_file_writes_the_defaults():
    m = load()
    assert m.version == "v1.2" and m.years.min_quarters == 3  # v1.2 keeps v1.1's tables
    assert (m.adjustments.max_bonus, m.adjustments.max_deduction) == (5, 20) and m.quotas == ()


def test_a_v1_text_without_the_tables_gets_the_defaults():
    v1 = SHIPPED[: SHIPPED.index("# v1.1: the year")]
    assert "[years]" not in v1 and "[adjustments]" not in v1
    m = parse(v1)
    assert m.years.min_quarters == 3 and (m.adjustments.max_bonus, m.adjustments.max_deduction) == (5, 20)


def test_quotas_are_kept_in_grade_order():
    m = parse(SHIPPED + '\n[quotas]\n"较好" = 0.3\n"好" = 0.1\n')
    assert m.quotas == (("好", 0.1), ("较好", 0.3))


@pytest.mark.parametrize(
    "old,new,key,message",
    [
        ("min_quarters = 3", "min_quarters = 0", "min_quarters", "min_quarters must be a whole number 1–4"),
        ("min_quarters = 3", "min_quarters = 5", "min_quarters", "min_quarters must be a whole number 1–4"),
        ("min_quarters = 3", "min_quarters = 2.5", "min_quarters", "min_quarters must be a whole number 1–4"),
        ("max_bonus = 5", "max_bonus = -1", "max_bonus", "max_bonus must be a number ≥ 0"),
        ("max_deduction = 20", 'max_deduction = "二十"', "max_deduction", "max_deduction must be a number ≥ 0"),
    ],
)
def test_bad_years_and_adjustments_are_refused_with_the_line(old, new, key, message):
    text = SHIPPED.replace(old, new)
    with pytest.raises(MethodologyError) as e:
        parse(text)
    assert str(e.value).startswith(f"methodology.toml:{_line(text, rf'{key} =')}: ") and message in str(e.value)


@pytest.mark.parametrize(
    "quota,message",
    [
        ('"优" = 0.1', "unknown grade '优'"),
        ('"好" = 0', "the share must be a number in (0, 1]"),
        ('"好" = 1.5', "the share must be a number in (0, 1]"),
        ('"好" = "10%"', "the share must be a number in (0, 1]"),
        ('"较差" = 0.5', "'较差' is the lowest grade"),
    ],
)
def test_bad_quotas_are_refused_with_the_line(quota, message):
    text = SHIPPED + f'\n[quotas]\n"较好" = 0.3\n{quota}\n'
    with pytest.raises(MethodologyError) as e:
        parse(text)
    line = len(text.rstrip("\n").splitlines())  # the last line: the bad quota
    assert str(e.value).startswith(f"methodology.toml:{line}: ") and message in str(e.value)


def test_a_quota_share_of_one_is_accepted():
    assert parse(SHIPPED + '\n[quotas]\n"好" = 1\n').quotas == (("好", 1),)
