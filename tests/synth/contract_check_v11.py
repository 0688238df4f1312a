"""An independent reading of data contract v1.1's additions, for tests only (the v1 rules are
read by tests/load/contract_check.py): the reporting org on rosters, the claiming org on
demands, and the task list. Flags every row that breaks one of their rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd

from tests.load.contract_check import parse_date, read_csv, read_xlsx

TASK_HEADERS = ["任务编号", "组织编码", "任务内容", "任务类别", "下达日期", "截止日期", "完成日期"]
REPORTING_TYPE = "报到单位党组织"


def known_orgs(root: Path) -> dict[str, str]:
    """org_id → org_type of the orgs that load (a branch or group needs a known grid)."""
    grids = read_csv(root / "网格台账.csv", "utf-8")
    known_grids = set(grids.loc[grids["户数"].str.fullmatch(r"\d+"), "网格编码"])
    orgs = read_csv(root / "党组织信息.csv", "gbk")
    bad = orgs["组织类型"].isin(["网格党支部", "楼栋党小组"]) & ~orgs["所在网格编码"].isin(known_grids)
    return dict(zip(orgs.loc[~bad, "组织编码"], orgs.loc[~bad, "组织类型"], strict=True))


def read_tasks(path: Path) -> tuple[pd.DataFrame, int]:
    """(rows as they are in the file, the row number of the first data row)."""
    if path.suffix == ".csv":
        return read_csv(path, "gbk"), 2
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    start = next(i for i, r in enumerate(rows) if "任务编号" in r)
    return pd.DataFrame(rows[start + 1 :], columns=rows[start], dtype=object), start + 2


def task_date(value) -> dt.date | None:
    """An Excel date cell or a text date; None if empty or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return parse_date(str(value))


def all_tasks(root: Path) -> pd.DataFrame:
    """Every task row of every file, with file, row and parsed dates (None where unreadable)."""
    frames = []
    for path in sorted((root / "任务清单").glob("*")):
        f, first = read_tasks(path)
        f = f.assign(
            file=path.relative_to(root).as_posix(),
            row=range(first, first + len(f)),
            assigned=f["下达日期"].map(task_date),
            due=f["截止日期"].map(task_date),
            completed=f["完成日期"].map(task_date),
        )
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def _before(a: pd.Series, b: pd.Series) -> pd.Series:
    """a < b where both are dates (missing ones never compare)."""
    return pd.Series([not pd.isna(x) and not pd.isna(y) and x < y for x, y in zip(a, b, strict=True)], index=a.index)


def check_v11(root: Path) -> set[tuple[str, int, str]]:
    found: set[tuple[str, int, str]] = set()
    orgs = known_orgs(root)

    for path in sorted((root / "党员花名册").glob("*.xlsx")):
        rel = path.relative_to(root).as_posix()
        header, rows, first = read_xlsx(path)
        col = header.index("报到单位组织编码")
        for i, row in enumerate(rows):
            org = row[col]
            if org is None:
                continue
            if org not in orgs:
                found.add((rel, first + i, "unknown_org"))
            elif orgs[org] != REPORTING_TYPE:
                found.add((rel, first + i, "not_reporting_org"))

    for path in sorted((root / "群众诉求").glob("*.csv")):
        rel = path.relative_to(root).as_posix()
        f = read_csv(path, "utf-8-sig")
        org = f["认领单位组织编码"]
        for i in f.index[(org != "") & ~org.isin(list(orgs))]:
            found.add((rel, i + 2, "unknown_org"))

    t = all_tasks(root)
    ok = pd.Series(True, index=t.index)

    def flag(mask: pd.Series, fault: str) -> None:
        nonlocal ok
        for _, r in t[mask & ok].iterrows():
            found.add((r["file"], r["row"], fault))
        ok &= ~mask

    completed_text = pd.Series(["" if v is None else str(v) for v in t["完成日期"]], index=t.index)
    flag(~t["组织编码"].isin(list(orgs)), "unknown_org")
    flag(t["due"].isna(), "impossible_date")
    flag((completed_text != "") & t["completed"].isna() & completed_text.str.startswith("#"), "excel_mangled_date")
    flag((completed_text != "") & t["completed"].isna(), "impossible_date")
    flag(t["assigned"].isna(), "impossible_date")
    flag(_before(t["due"], t["assigned"]), "due_before_assigned")
    flag(_before(t["completed"], t["assigned"]), "completed_before_assigned")
    # Exact copies within a file are duplicates; a number given to rows with other content
    # is a conflict, and neither row counts.
    cells = t[[*TASK_HEADERS, "组织名称"]].itertuples(index=False)
    content = pd.Series(["|".join(map(str, row)) for row in cells], index=t.index)
    flag(ok & pd.concat([t["file"], content], axis=1).duplicated(keep="first"), "duplicate_row")
    variants = content[ok].groupby(t.loc[ok, "任务编号"]).nunique()
    flag(t["任务编号"].isin(variants.index[variants > 1]), "duplicate_task_id")
    return found
