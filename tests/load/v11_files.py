"""Small real export files of data contract v1.1 for the loader's tests: grids and orgs as
UTF-8 CSV, rosters and task lists as .xlsx under a title row, demands and task lists as GBK CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import openpyxl

from pipelines.idnumber import check_digit


def ident(n: int) -> str:
    """A valid ID number, distinct per n."""
    first = f"3301061980010{n:04d}"
    return first + check_digit(first)


GRIDS = [
    ["网格编码", "网格名称", "所属社区", "所属街道", "所属区县", "户数"],
    ["G001", "一号网格", "翠苑一区社区", "翠苑街道", "西湖区", "300"],
    ["G002", "二号网格", "翠苑一区社区", "翠苑街道", "西湖区", "280"],
]
ORGS = [
    ["组织编码", "组织名称", "组织类型", "上级组织编码", "所在网格编码"],
    ["SQ01", "翠苑一区社区党委", "社区党委", "", ""],
    ["ZB01", "一号网格党支部", "网格党支部", "SQ01", "G001"],
    ["BD01", "市财政局机关党委", "报到单位党组织", "", ""],
    ["BD02", "市电力公司党委", "报到单位党组织", "", ""],
]


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8") -> Path:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]], title: str | None = None) -> Path:
    """A workbook as an office export makes it: a title row above the header when given."""
    wb = openpyxl.Workbook()
    sheet = wb.active
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def reference(folder: Path) -> list[Path]:
    """The grids and orgs every test's rows refer to."""
    return [write_csv(folder / "网格台账.csv", GRIDS), write_csv(folder / "党组织信息.csv", ORGS)]


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def quarantined(db: Path, kind: str) -> list[tuple]:
    """(row, field, rule, reason) of a kind's quarantined rows, by row."""
    return query(db, "SELECT row, field, rule, reason FROM quarantine WHERE kind = ? ORDER BY row", [kind])
