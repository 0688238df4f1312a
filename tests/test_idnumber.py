import numpy as np
import pytest

from pipelines import idnumber

# Examples with known check characters (GB 11643-1999's own example and public specimens).
VALID = ["11010519491231002X", "440524188001010014", "330106198501011231"]  # Σ = 187, 187 mod 11 = 0 → "1"


@pytest.mark.parametrize("ident", VALID)
def test_known_ids_are_valid(ident):
    assert idnumber.is_valid(ident)


def test_check_digit_by_hand():
    # 11010519491231002: Σ digit × weight = 167, 167 mod 11 = 2 → 'X'
    assert idnumber.check_digit("11010519491231002") == "X"


@pytest.mark.parametrize("ident", ["110105194912310021", "4405241880010100", "44052418800101001A", ""])
def test_invalid_ids(ident):
    assert not idnumber.is_valid(ident)


def test_vectorised_matches_scalar():
    rng = np.random.default_rng(3)
    digits = rng.integers(0, 10, size=(500, 17))
    vec = idnumber.check_digits(digits)
    scalar = [idnumber.check_digit("".join(map(str, row))) for row in digits]
    assert list(vec) == scalar


def test_mask():
    assert idnumber.mask("33011019850101123X") == "330110********123X"
