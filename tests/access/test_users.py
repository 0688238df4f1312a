"""The product's password hashes: argon2id at the library's defaults (the test suite itself
uses cheaper ones, tests/conftest.py::quick_password_hashes)."""

from __future__ import annotations

import argon2

from pipelines.access import users


def test_the_product_hashes_passwords_with_argon2id_at_the_library_defaults(quick_password_hashes):
    real = quick_password_hashes()  # the product's hasher, not the test suite's stand-in
    digest = real.hash("a password")
    params = argon2.extract_parameters(digest)
    default = argon2.PasswordHasher()
    assert params.type is argon2.Type.ID
    assert (params.time_cost, params.memory_cost, params.parallelism) == (
        default.time_cost,
        default.memory_cost,
        default.parallelism,
    )
    assert params.memory_cost >= 64 * 1024


def test_hashes_of_other_parameters_still_verify(quick_password_hashes):
    quick = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("x")
    assert quick_password_hashes().verify(quick, "x")
    assert users.verify({"x": users.User("x", "市级", "", False, False, quick, "", "")}, "x", "x") is not None
