"""An independent reading of the data contract, for tests only.

It reads the generated files with other libraries than the product (openpyxl, pandas'
CSV reader) and flags every row that breaks a contract rule, so tests can check that the
generator's fault manifest names exactly the bad rows: no more, no fewer.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pandas as pd

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

_DATE_FORMS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")

CONTRACT_HEADERS = {
    "grids": ["网格编码", "网格名称", "所属社区", "所属街道", "所属区县", "户数"],
    "orgs": ["组织编码", "组织名称", "组织类型", "上级组织编码", "所在网格编码"],
    "members": ["姓名", "公民身份号码", "人员类别", "党员类型", "所在网格编码", "党籍状态"],
    "services": ["记录编号", "公民身份号码", "服务网格编码", "服务日期", "服务类别", "服务时长"],
    "demands": ["工单编号", "网格编码", "诉求类型", "上报时间"],
    "meetings": ["会议编号", "组织编码", "会议类型", "会议日期", "应到人数", "实到人数"],
}


def id_valid(value: str) -> bool:
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(value[:17], WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == value[17]


def parse_date(text: str) -> dt.date | None:
    """A date in one of the contract's forms, or None (unreadable or impossible)."""
    for form in _DATE_FORMS:
        m = form.match(text)
        if m:
            try:
                return dt.date(*map(int, m.groups()))
            except ValueError:
                return None
    return None


def parse_datetime(text: str) -> dt.datetime | None:
    day, _, clock = text.partition(" ")
    d = parse_date(day)
    m = _TIME.match(clock) if clock else None
    if d is None or (clock and m is None):
        return None
    if not clock:
        return dt.datetime.combine(d, dt.time())
    return dt.datetime(d.year, d.month, d.day, int(m[1]), int(m[2]), int(m[3] or 0))


def read_csv(path: Path, encoding: str) -> pd.DataFrame:
    return pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)


def read_xlsx(path: Path) -> tuple[list, list[list]]:
    """(header, rows of raw cell values) with the header found below any title rows."""
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    start = next(i for i, r in enumerate(rows) if "姓名" in r or "会议编号" in r or "任务编号" in r)
    return rows[start], rows[start + 1 :], start + 2


def _duplicates(frame: pd.DataFrame) -> pd.Series:
    return frame.astype(str).duplicated(keep="first")


def _bad_rating(text: pd.Series) -> pd.Series:
    """A rating given but not a whole 1–5."""
    rating = pd.to_numeric(text.replace("", None), errors="coerce")
    return rating.notna() & ~rating.isin([1, 2, 3, 4, 5])


def check(root: Path) -> set[tuple[str, int, str]]:
    """Every (file, row, fault) the contract rules flag in a generated folder."""
    found: set[tuple[str, int, str]] = set()

    def flag(file: str, rows, fault: str, first_row: int = 2) -> None:
        for r in rows:
            found.add((file, int(r) + first_row, fault))

    def flag_checks(file: str, frame: pd.DataFrame, checks: list, first_row: int = 2) -> None:
        """Each (mask, fault) of a file's rows, then its repeated rows (every kind's last rule)."""
        for mask, fault in [*checks, (_duplicates(frame), "duplicate_row")]:
            flag(file, frame.index[mask.to_numpy(dtype=bool)], fault, first_row)

    grids = read_csv(root / "网格台账.csv", "utf-8")
    bad_hh = ~grids["户数"].str.fullmatch(r"\d+")
    flag("网格台账.csv", grids.index[bad_hh], "invalid_number")
    known_grids = set(grids.loc[~bad_hh, "网格编码"])

    orgs = read_csv(root / "党组织信息.csv", "gbk")
    needs_grid = orgs["组织类型"].isin(["网格党支部", "楼栋党小组"])
    bad_org = needs_grid & ~orgs["所在网格编码"].isin(known_grids)
    flag("党组织信息.csv", orgs.index[bad_org], "unknown_grid")
    known_orgs = set(orgs.loc[~bad_org, "组织编码"])

    known_ids: set[str] = set()
    for path in sorted((root / "党员花名册").glob("*.xlsx")):
        rel = path.relative_to(root).as_posix()
        header, rows, first = read_xlsx(path)
        col = {h: i for i, h in enumerate(header)}
        for i, row in enumerate(rows):
            ident, grid = row[col["公民身份号码"]], row[col["所在网格编码"]]
            snapshot = parse_date(row[col["数据日期"]])
            joined = parse_date(row[col["入党日期"]]) if row[col["入党日期"]] else None
            if not isinstance(ident, str):
                flag(rel, [i], "excel_mangled_id", first)
            elif not id_valid(ident):
                flag(rel, [i], "bad_check_digit", first)
            elif grid not in known_grids:
                flag(rel, [i], "unknown_grid", first)
            elif row[col["人员类别"]] not in ("正式党员", "预备党员"):
                flag(rel, [i], "invalid_code", first)
            elif joined is None or joined > snapshot:
                flag(rel, [i], "future_date", first)
            else:
                known_ids.add(ident)

    for path in sorted((root / "服务记录").glob("*.csv")):
        rel = path.relative_to(root).as_posix()
        f = read_csv(path, "gb18030")
        ident = f["公民身份号码"]
        mangled = ident.str.contains("E+", regex=False)
        bad_id = ~mangled & ~ident.map(id_valid)
        unknown = ~mangled & ~bad_id & ~ident.isin(known_ids)
        hours = pd.to_numeric(f["服务时长"], errors="coerce")
        checks = [
            (mangled, "excel_mangled_id"),
            (bad_id, "bad_check_digit"),
            (unknown, "unknown_member"),
            (~f["服务网格编码"].isin(known_grids), "unknown_grid"),
            (f["服务日期"].map(parse_date).isna(), "impossible_date"),
            (~((hours > 0) & (hours <= 24)), "hours_out_of_range"),
            (_bad_rating(f["群众评价"]), "rating_out_of_range"),
        ]
        flag_checks(rel, f, checks)

    for path in sorted((root / "群众诉求").glob("*.csv")):
        rel = path.relative_to(root).as_posix()
        f = read_csv(path, "utf-8-sig")
        reported = f["上报时间"].map(parse_datetime)
        resolved = f["办结时间"].map(lambda s: parse_datetime(s) if s else None)
        claimed = f["认领人身份号码"]
        before = [r is not None and s is not None and s < r for r, s in zip(reported, resolved, strict=True)]
        checks = [
            (~f["网格编码"].isin(known_grids), "unknown_grid"),
            ((claimed != "") & ~claimed.isin(known_ids), "unknown_member"),
            (reported.isna(), "impossible_date"),
            (pd.Series(before), "resolved_before_reported"),
            (_bad_rating(f["满意度"]), "rating_out_of_range"),
        ]
        flag_checks(rel, f, checks)

    for path in sorted((root / "组织生活").glob("*.xlsx")):
        rel = path.relative_to(root).as_posix()
        header, rows, first = read_xlsx(path)
        f = pd.DataFrame(rows, columns=header)
        not_date = f["会议日期"].map(lambda v: not isinstance(v, dt.datetime))
        checks = [
            (~f["组织编码"].isin(known_orgs), "unknown_org"),
            (not_date, "impossible_date"),
            (f["实到人数"] > f["应到人数"], "attended_gt_expected"),
        ]
        flag_checks(rel, f, checks, first)
    return found
