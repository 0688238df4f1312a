"""Periods as the serving layer reads them: quarters and years, their keys and days, and the
period before one of the same kind."""

import datetime as dt

import pytest

from pipelines.serve.periods import QUARTER, YEAR, is_year, kind, previous, quarters_of, span


def test_a_quarter_and_a_year_have_their_keys_and_days():
    assert span("2025Q4") == (20254, dt.date(2025, 10, 1), dt.date(2026, 1, 1), QUARTER)
    assert span("2024Q1") == (20241, dt.date(2024, 1, 1), dt.date(2024, 4, 1), QUARTER)
    assert span("2025") == (20250, dt.date(2025, 1, 1), dt.date(2026, 1, 1), YEAR)
    assert is_year("2025") and not is_year("2025Q2")


@pytest.mark.parametrize("bad", ["2025Q5", "2025Q0", "25Q1", "2025-1", "", "2025 ", "2025\n", "２０２５"])
def test_anything_else_is_not_a_period(bad):
    with pytest.raises(ValueError, match="not a period"):
        kind(bad)


def test_the_period_before_is_of_the_same_kind():
    labels = ["2024Q3", "2024Q4", "2025Q1", "2025Q2", "2024", "2025"]
    assert previous(labels, "2025Q1") == "2024Q4"
    assert previous(labels, "2024Q3") is None
    assert previous(labels, "2025") == "2024"
    assert previous(labels, "2024") is None
    assert quarters_of(labels, "2025") == ["2025Q1", "2025Q2"]
    assert quarters_of(labels, "2024") == ["2024Q3", "2024Q4"]
