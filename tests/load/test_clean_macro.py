"""pbi_clean's fast paths (plain ASCII; text with nothing to translate or trim) give what its
full path gives: full-width digits and punctuation translated, edges trimmed, empty as NULL."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.load.plan import SQL

FULL = "nullif(trim(translate(?, '０１２３４５６７８９　．／：－ｘＸ', '0123456789 ./:-xX'), E' \\t\\r\\n　'), '')"


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    macros = (SQL / "macros.sql").read_text(encoding="utf-8")
    con.execute(macros[: macros.index("-- Dates in every")])
    return con


@pytest.mark.parametrize(
    "value",
    [
        "正式党员",
        " 正式党员",
        "正式党员\t",
        "\n正式党员",
        "　正式党员　",
        "正式 党员",
        "Ｇ００１",
        "１２３",
        "２０２５．３．５",
        "３３０１０６１９８００１０１１２３ｘ",
        "张三 ",
        "",
        "　",
        "G001",
        " G001 ",
        "G001\t",
        "\tG001",  # a tab before an ID keeps Excel from turning it into a number: a common export
        "\t330106198001011234\r",
        "G001\n",
        "2025-03-05",
    ],
)
def test_fast_paths_agree_with_the_full_path(con, value):
    assert (
        con.execute("SELECT pbi_clean(?)", [value]).fetchone()[0]
        == con.execute(f"SELECT {FULL}", [value]).fetchone()[0]
    )


def test_values_are_cleaned_as_the_contract_says(con):
    got = con.execute("SELECT pbi_clean('Ｇ００１　'), pbi_clean(' 社区党员'), pbi_clean('')").fetchone()
    assert got == ("Ｇ001", "社区党员", None)


@pytest.mark.parametrize(
    "value", ["环境整治", " 环境整治", "环境整治\t", "\n环境整治", "　环境整治　", "环境 整治", "", "　", "\t"]
)
def test_free_text_fast_path_agrees_with_the_full_trim(con, value):
    macros = (SQL / "macros.sql").read_text(encoding="utf-8")
    start = macros.index("CREATE OR REPLACE TEMP MACRO pbi_text")
    con.execute(macros[start : macros.index(";", start) + 1])
    full = "nullif(trim(?, E' \\t\\r\\n　'), '')"
    assert (
        con.execute("SELECT pbi_text(?)", [value]).fetchone()[0] == con.execute(f"SELECT {full}", [value]).fetchone()[0]
    )
