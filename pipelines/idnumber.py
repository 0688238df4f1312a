"""Citizen ID numbers (公民身份号码, GB 11643-1999): check digits and masking."""

from __future__ import annotations

import numpy as np

# Weights of positions 1..17 and the check character for (sum mod 11).
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def is_valid(id_number: str) -> bool:
    """True for an 18-character ID whose check character matches (no date check)."""
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return False
    return check_digit(id_number[:17]) == id_number[17].upper()


def check_digits(first17: np.ndarray) -> np.ndarray:
    """Vectorised check characters for an (n, 17) array of digits."""
    total = (first17.astype(np.int64) * np.asarray(WEIGHTS)).sum(axis=1)
    return np.asarray(list(CHECK_CHARS))[total % 11]


def mask(id_number: str) -> str:
    """Display form: first 6 and last 4 characters, e.g. 330110********123X."""
    return id_number[:6] + "*" * 8 + id_number[-4:]
