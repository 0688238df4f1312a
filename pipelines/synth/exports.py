"""Each kind of raw export, formatted as users have it, with faults injected.

Headers, encodings and layouts follow docs/data-contract.md: grids as UTF-8 CSV plus
GeoJSON, orgs as GBK CSV, rosters as .xlsx per district and snapshot with a title row,
service logs as GB18030 CSV per half year, demands as UTF-8-with-BOM CSV per half year,
meetings as .xlsx per district and year with real Excel dates, task lists (v1.1) per district
and year: 2024 as .xlsx with a title row, 2025 as GBK CSV.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.load import contract
from pipelines.synth import calendar, faults, records, tasks, writers
from pipelines.synth.faults import Fault, Injector
from pipelines.synth.people import SNAPSHOT_DATES, on_snapshot

HALF_LABEL = ["2024年上半年", "2024年下半年", "2025年上半年", "2025年下半年"]
SERVICE_DATE_FORMAT = ["slash", "cn", "iso", "dot"]  # one per half-year file
CHUNK_ROWS = 500_000  # rows formatted at a time for the large kinds
DEMAND_DATE_FORMAT = [("iso", True), ("slash", False), ("iso", False), ("slash", True)]


def _text(values) -> np.ndarray:
    """Numbers as the text users see (2 not 2.0); NaN as missing."""
    out = np.empty(len(values), dtype=object)
    arr = np.asarray(values, dtype=float)
    ok = ~np.isnan(arr)
    whole = ok & (arr == np.round(arr))
    out[whole] = arr[whole].astype(np.int64).astype(str)
    frac = ok & ~whole
    out[frac] = arr[frac].astype(str)
    return out


def _category_and_text(part: pd.DataFrame, categories: list[str], texts: dict[str, list[str]]):
    """Category names and a description from that category's templates, for each record."""
    cats = np.asarray(categories, dtype=object)[part["category"].to_numpy()]
    text = np.array(
        [texts[c][t % len(texts[c])] for c, t in zip(cats, part["text"].to_numpy(), strict=True)], dtype=object
    )
    return cats, text


def _headed(kind: str, table: pd.DataFrame, fields: list[str]) -> pd.DataFrame:
    """The `fields` of `table`, in this order, under the data contract's headers (the loader
    reads them back by the same headers; pipelines/config/contract.toml)."""
    columns = contract.load(contract.DEFAULT)[kind].columns
    return pd.DataFrame({columns[f].header: table[f] for f in fields})


def _registry_csv(
    frame: pd.DataFrame,
    candidates: pd.DataFrame,
    rekey: Callable[[pd.DataFrame], None],
    fault: Fault,
    kind: str,
    inj: Injector,
    path: Path,
    encoding: str,
) -> str:
    """A registry kind's CSV (grids, orgs): its rows, then copies of some `candidates` given new
    keys by `rekey` (nothing refers to them) and corrupted by `fault`. Returns the file's name."""
    frame = inj.extra_bad_rows(frame, candidates, rekey, fault, path.name, kind)
    writers.write_csv(frame, path, encoding)
    return path.name


def grids_csv(grids: pd.DataFrame, inj: Injector, out: Path) -> str:
    fields = ["grid_id", "grid_name", "community", "street", "district", "households", "residents", "grid_type"]
    frame = _headed("grids", grids.astype({"households": str, "residents": str}), fields)

    def rekey(extra: pd.DataFrame) -> None:
        extra["网格编码"] = inj.unknown_grid(len(extra))
        extra["网格名称"] = [f"{n.removesuffix('网格')}二期网格" for n in extra["网格名称"]]

    invalid = Fault("invalid_number", "户数", lambda f, r: ["-" + v for v in f.iloc[r]["户数"]])
    return _registry_csv(frame, frame, rekey, invalid, "grids", inj, out / "网格台账.csv", "utf-8")


def orgs_csv(orgs: pd.DataFrame, inj: Injector, out: Path) -> str:
    frame = _headed("orgs", orgs, ["org_id", "org_name", "org_type", "parent_org_id", "grid_id"])

    def rekey(extra: pd.DataFrame) -> None:
        extra["组织编码"] = ["ZB" + g for g in inj.unknown_grid(len(extra))]
        extra["组织名称"] = [n.replace("网格党支部", "二期网格党支部") for n in extra["组织名称"]]

    unknown = Fault("unknown_grid", "所在网格编码", lambda f, r: inj.unknown_grid(len(r)))
    branches = frame[frame["组织类型"] == "网格党支部"]
    return _registry_csv(frame, branches, rekey, unknown, "orgs", inj, out / "党组织信息.csv", "gbk")


def roster_files(
    members: pd.DataFrame,
    grids: pd.DataFrame,
    orgs: pd.DataFrame,
    inj: Injector,
    out: Path,
    xlsx: writers.BackgroundWriter,
) -> list[str]:
    """One .xlsx per district and snapshot date, title row above the header."""
    branch_of_grid = orgs[orgs["org_type"] == "网格党支部"].set_index("grid_id")["org_name"]
    committees = orgs[orgs["org_type"] == "社区党委"]
    committee = committees.set_index(committees["org_id"].str[2:])["org_name"]
    g = members["grid"].to_numpy()
    grid_ids = grids["grid_id"].to_numpy()[g]
    branch = np.array(branch_of_grid.reindex(grid_ids).to_numpy(dtype=object))
    no_branch = pd.isna(branch)
    branch[no_branch] = committee.reindex(pd.Series(grid_ids[no_branch]).str[:12]).to_numpy(dtype=object)
    district = grids["district"].to_numpy()[g]
    stable = ((members["start_q"] == 0) & (members["end_q"] == 8)).to_numpy()
    stable = stable & (members["join_date"].to_numpy() <= np.datetime64(SNAPSHOT_DATES[0]))
    used = np.zeros(len(members), bool)  # a member is corrupted on one snapshot at most
    branch_ids = set(orgs.loc[orgs["org_type"] == "网格党支部", "org_id"])
    branch_ids_sorted = sorted(branch_ids)
    names: list[str] = []
    for k, snap in enumerate(SNAPSHOT_DATES):
        on = on_snapshot(members, k)
        for dname in pd.unique(grids["district"]):
            idx = np.flatnonzero(on & (district == dname))
            m = members.iloc[idx]
            join = m["join_date"].to_numpy()
            full_date = (join + np.timedelta64(365, "D")).astype("datetime64[D]")
            full = full_date <= np.datetime64(snap)
            frame = pd.DataFrame(
                {
                    "序号": np.arange(1, len(m) + 1).astype(float),
                    "姓名": m["name"].to_numpy(),
                    "性别": m["gender"].to_numpy(),
                    "民族": m["ethnicity"].to_numpy(),
                    "公民身份号码": m["id_number"].to_numpy(),
                    "出生日期": pd.DatetimeIndex(m["birth_date"]).strftime("%Y-%m-%d").to_numpy(dtype=object),
                    "学历": m["education"].to_numpy(),
                    "人员类别": np.where(full, "正式党员", "预备党员").astype(object),
                    "入党日期": pd.DatetimeIndex(join).strftime("%Y-%m-%d").to_numpy(dtype=object),
                    "转正日期": np.where(full, pd.DatetimeIndex(full_date).strftime("%Y-%m-%d"), None).astype(object),
                    "所在党支部": branch[idx],
                    "党员类型": m["member_type"].to_numpy(),
                    "所在网格编码": grid_ids[idx],
                    "工作单位": m["employer"].to_numpy(),
                    "报到单位组织编码": m["reporting_org_id"].to_numpy(),
                    "手机号码": m["phone"].to_numpy(),
                    "党籍状态": m["status"].to_numpy(),
                    "是否流动党员": np.where(m["member_type"] == "流动党员", "是", "否").astype(object),
                    "是否失联党员": m["lost_contact"].to_numpy(),
                    "数据日期": snap.isoformat(),
                }
            )
            ok_rows = stable[idx] & ~used[idx]
            digits_only = np.array([not i.endswith("X") for i in frame["公民身份号码"]], bool)
            in_service = (frame["党员类型"] == "在职报到党员").to_numpy()
            spec = [
                Fault(
                    "bad_check_digit", "公民身份号码", lambda f, r: faults.bad_check_digit(f.iloc[r]["公民身份号码"])
                ),
                Fault(
                    "excel_mangled_id",
                    "公民身份号码",
                    lambda f, r: faults.excel_mangled_number(f.iloc[r]["公民身份号码"]),
                    eligible=lambda f, mask=digits_only: mask,
                ),
                Fault("unknown_grid", "所在网格编码", lambda f, r: inj.unknown_grid(len(r))),
                Fault("invalid_code", "人员类别", lambda f, r: ["入党积极分子"] * len(r)),
                Fault("future_date", "入党日期", lambda f, r: [f"{2031 + int(x) % 5}-05-01" for x in r]),
                Fault(
                    "unknown_org",
                    "报到单位组织编码",
                    lambda f, r: inj.unknown_orgs(len(r)),
                    eligible=lambda f, mask=in_service: mask,
                ),
                # The member's own grid branch entered where the reporting unit's org belongs.
                Fault(
                    "not_reporting_org",
                    "报到单位组织编码",
                    lambda f, r: [
                        f"ZB{g}" if f"ZB{g}" in branch_ids else branch_ids_sorted[0] for g in f.iloc[r]["所在网格编码"]
                    ],
                    eligible=lambda f, mask=in_service: mask,
                ),
            ]
            before = len(inj.manifest)
            rel = f"党员花名册/{dname}党员花名册_{snap:%Y%m%d}.xlsx"
            frame = inj.apply(frame, spec, False, rel, "members", 3, protect=~ok_rows)
            hit = {row["row"] - 3 for row in inj.manifest[before:]}
            used[idx[sorted(hit)]] = True
            title = f"中共杭州市{dname}委员会组织部 党员花名册（{snap.year}年{snap.month}月{snap.day}日）"
            xlsx.xlsx(frame, out / rel, title=title, sheet="党员花名册")
            names.append(rel)
    return names


def _write_chunked(
    records_: pd.DataFrame, build, spec_for, inj: Injector, rel: str, kind: str, path: Path, encoding: str
) -> None:
    """Format, corrupt and write a large kind chunk by chunk (bounded memory at any scale).

    build(part, offset) -> text frame; spec_for(part, frame) -> the faults for that chunk.
    """
    next_row = 2  # header is row 1

    def frames():
        nonlocal next_row
        for start in range(0, max(len(records_), 1), CHUNK_ROWS):
            part = records_.iloc[start : start + CHUNK_ROWS]
            frame = build(part, start)
            frame = inj.apply(frame, spec_for(part, frame), True, rel, kind, next_row)
            next_row += len(frame)
            yield frame

    writers.write_csv(frames(), path, encoding)


def services_file(
    half: int, svc: pd.DataFrame, members: pd.DataFrame, grids: pd.DataFrame, seq_start: int, inj: Injector, out: Path
) -> str:
    fmt = SERVICE_DATE_FORMAT[half]
    year = 2024 + half // 2
    dates = calendar.date_table(fmt)

    def build(part: pd.DataFrame, offset: int) -> pd.DataFrame:
        cats, text = _category_and_text(part, records.SERVICE_CATEGORIES, records.SERVICE_TEXT)
        m = part["member"].to_numpy()
        first = seq_start + offset
        return pd.DataFrame(
            {
                "记录编号": [f"FW{year}{i:08d}" for i in range(first, first + len(part))],
                "党员姓名": members["name"].to_numpy()[m],
                "公民身份号码": members["id_number"].to_numpy()[m],
                "服务网格编码": grids["grid_id"].to_numpy()[part["grid"].to_numpy()],
                "服务日期": dates[part["day"].to_numpy()],
                "服务类别": cats,
                "服务时长": _text(part["hours"]),
                "服务对象人数": _text(part["beneficiaries"]),
                "群众评价": _text(part["rating"]),
                "服务内容": text,
            }
        )

    def spec_for(part: pd.DataFrame, frame: pd.DataFrame) -> list[Fault]:
        digits_only = ~frame["公民身份号码"].str.endswith("X").to_numpy(dtype=bool)
        return [
            Fault("bad_check_digit", "公民身份号码", lambda f, r: faults.bad_check_digit(f.iloc[r]["公民身份号码"])),
            Fault(
                "excel_mangled_id",
                "公民身份号码",
                lambda f, r: faults.excel_mangled_text(f.iloc[r]["公民身份号码"]),
                eligible=lambda f: digits_only,
            ),
            Fault("unknown_grid", "服务网格编码", lambda f, r: inj.unknown_grid(len(r))),
            Fault("unknown_member", "公民身份号码", lambda f, r: inj.unknown_ids(len(r))),
            Fault("impossible_date", "服务日期", lambda f, r: [calendar.impossible_date(fmt, year)] * len(r)),
            Fault("hours_out_of_range", "服务时长", lambda f, r: [["0", "30", "-1.5"][int(x) % 3] for x in r]),
            Fault("rating_out_of_range", "群众评价", lambda f, r: [["6", "0"][int(x) % 2] for x in r]),
        ]

    rel = f"服务记录/服务记录_{HALF_LABEL[half]}.csv"
    _write_chunked(svc, build, spec_for, inj, rel, "services", out / rel, "gb18030")
    return rel


def _minutes_text(minutes: np.ndarray, fmt: str, seconds: bool) -> np.ndarray:
    day = minutes // 1440
    return calendar.datetime_text(calendar.date_table(fmt)[day], minutes % 1440, seconds)


def demands_file(
    half: int, dem: pd.DataFrame, members: pd.DataFrame, grids: pd.DataFrame, inj: Injector, out: Path
) -> str:
    fmt, seconds = DEMAND_DATE_FORMAT[half]
    year = 2024 + half // 2

    def build(part: pd.DataFrame, offset: int) -> pd.DataFrame:
        cats, text = _category_and_text(part, records.DEMAND_CATEGORIES, records.DEMAND_TEXT)
        resolved = part["resolved_at"].to_numpy() >= 0
        # Resolution times can run past the last day of 2025 (export taken in January 2026).
        res_text = np.full(len(part), None, dtype=object)
        if resolved.any():
            res_text[resolved] = _resolved_text(part["resolved_at"].to_numpy()[resolved], fmt, seconds)
        claimed = part["claimed_by"].to_numpy()
        levels = np.asarray(records.LEVELS, dtype=object)[np.maximum(part["level"].to_numpy(), 0)]
        return pd.DataFrame(
            {
                "工单编号": [f"GD{year}{i + 1:08d}" for i in part.index],
                "网格编码": grids["grid_id"].to_numpy()[part["grid"].to_numpy()],
                "诉求类型": cats,
                "诉求来源": np.asarray(records.DEMAND_SOURCES, dtype=object)[part["source"].to_numpy()],
                "诉求内容": text,
                "上报时间": _minutes_text(part["reported_at"].to_numpy(), fmt, seconds),
                "认领人身份号码": np.where(claimed >= 0, members["id_number"].to_numpy()[np.maximum(claimed, 0)], None),
                "认领单位组织编码": part["claimed_org"].to_numpy(dtype=object),
                "办结时间": res_text,
                "办结层级": np.where(resolved, levels, None),
                "满意度": _text(part["satisfaction"]),
            }
        )

    def spec_for(part: pd.DataFrame, frame: pd.DataFrame) -> list[Fault]:
        reported = part["reported_at"].to_numpy()
        resolved = part["resolved_at"].to_numpy() >= 0
        return [
            Fault("unknown_grid", "网格编码", lambda f, r: inj.unknown_grid(len(r))),
            Fault("unknown_member", "认领人身份号码", lambda f, r: inj.unknown_ids(len(r))),
            Fault(
                "unknown_org",
                "认领单位组织编码",
                lambda f, r: inj.unknown_orgs(len(r)),
                eligible=lambda f: part["claimed_org"].notna().to_numpy(),
            ),
            Fault(
                "impossible_date",
                "上报时间",
                lambda f, r: [calendar.impossible_date(fmt, year) + " 10:00" + (":00" if seconds else "")] * len(r),
            ),
            Fault(
                "resolved_before_reported",
                "办结时间",
                lambda f, r: list(_minutes_text(reported[r] - 180, fmt, seconds)),
                eligible=lambda f: resolved,
            ),
            Fault("rating_out_of_range", "满意度", lambda f, r: [["7", "0"][int(x) % 2] for x in r]),
        ]

    rel = f"群众诉求/诉求工单_{HALF_LABEL[half]}.csv"
    _write_chunked(dem, build, spec_for, inj, rel, "demands", out / rel, "utf-8-sig")
    return rel


def _resolved_text(minutes: np.ndarray, fmt: str, seconds: bool) -> np.ndarray:
    """Date-times that may fall after 2025-12-31 (outside the day table)."""
    inside = minutes < calendar.N_DAYS * 1440
    out = np.empty(len(minutes), dtype=object)
    out[inside] = _minutes_text(minutes[inside], fmt, seconds)
    for i in np.flatnonzero(~inside):
        t = dt.datetime(2024, 1, 1) + dt.timedelta(minutes=int(minutes[i]))
        day = calendar.DATE_FORMATS[fmt](t.date())
        out[i] = f"{day} {t:%H:%M}" + (":00" if seconds else "")
    return out


def meetings_file(
    district: str,
    year: int,
    mt: pd.DataFrame,
    orgs: pd.DataFrame,
    inj: Injector,
    out: Path,
    xlsx: writers.BackgroundWriter,
) -> str:
    """Meetings of one district and year; numbered by their place in the whole (sorted) table,
    so numbers are unique across files."""
    days = calendar.DAYS[mt["day"].to_numpy()]
    frame = pd.DataFrame(
        {
            "会议编号": [f"HY{year}{i + 1:07d}" for i in mt.index],
            "组织编码": orgs["org_id"].to_numpy()[mt["org"].to_numpy()],
            "组织名称": orgs["org_name"].to_numpy()[mt["org"].to_numpy()],
            "会议类型": mt["type"].to_numpy(),
            "会议主题": np.asarray(records.MEETING_TOPICS, dtype=object)[mt["topic"].to_numpy()],
            "会议日期": np.asarray(days, dtype=object),
            "应到人数": mt["expected"].to_numpy().astype(float),
            "实到人数": mt["attended"].to_numpy().astype(float),
        }
    )
    spec = [
        Fault("unknown_org", "组织编码", lambda f, r: ["ZB" + g for g in inj.unknown_grid(len(r))]),
        Fault("impossible_date", "会议日期", lambda f, r: [f"{year}年2月30日"] * len(r)),
        Fault("attended_gt_expected", "实到人数", lambda f, r: list(f.iloc[r]["应到人数"].to_numpy() + 2)),
    ]
    rel = f"组织生活/{district}三会一课记录_{year}年.xlsx"
    frame = inj.apply(frame, spec, True, rel, "meetings", 2)
    xlsx.xlsx(frame, out / rel, sheet="组织生活记录")
    return rel


def _date_cells(values: np.ndarray, as_text: bool) -> np.ndarray:
    """datetime64[D] values as Excel date cells (dt.date) or as text like 2025/3/5; NaT → empty."""
    values = np.asarray(values, dtype="datetime64[D]")  # pandas holds them in seconds: dates, not datetimes
    out = np.full(len(values), None, dtype=object)
    for i, v in enumerate(values):
        if not np.isnat(v):
            d = v.astype(dt.date)
            out[i] = calendar.DATE_FORMATS["slash"](d) if as_text else d
    return out


def _conflicting_copies(frame: pd.DataFrame, inj: Injector) -> tuple[pd.DataFrame, dict[int, tuple[str, str, str]]]:
    """Some rows followed by another task under the same 任务编号 (a number given twice): the
    loader keeps neither, so both are in the manifest."""
    k = inj.count(len(frame))
    if not k:
        return frame, {}
    src = np.sort(inj.rng.choice(len(frame), size=k, replace=False))
    copies = frame.iloc[src].copy()
    position = {t: i for i, t in enumerate(tasks.TEXTS)}
    copies["任务内容"] = [tasks.TEXTS[(position[t] + 1) % len(tasks.TEXTS)] for t in copies["任务内容"]]
    keys = np.concatenate([np.arange(len(frame), dtype=float), src + 0.5])
    order = np.argsort(keys, kind="stable")
    out = pd.concat([frame, copies], ignore_index=True).iloc[order].reset_index(drop=True)
    new_pos = np.empty(len(order), dtype=np.int64)
    new_pos[order] = np.arange(len(order))
    preset = {}
    for j, s in enumerate(src):
        for pos in (new_pos[s], new_pos[len(frame) + j]):
            preset[int(pos)] = ("duplicate_task_id", "任务编号", out.iloc[pos]["任务编号"])
    return out, preset


def tasks_file(
    district: str,
    year: int,
    tk: pd.DataFrame,
    orgs: pd.DataFrame,
    inj: Injector,
    out: Path,
    xlsx: writers.BackgroundWriter,
) -> str:
    """The task list of one district and year, numbered by place in the whole (sorted) table.
    2024 as the district's workbook (title row, real Excel dates); 2025 as the GBK CSV its
    reporting system exports (dates as text), where Excel-mangled dates also turn up."""
    as_csv = year >= 2025
    assigned = tk["assigned"].to_numpy()
    frame = pd.DataFrame(
        {
            "任务编号": [f"RW{year}{i + 1:07d}" for i in tk.index],
            "组织编码": orgs["org_id"].to_numpy()[tk["org"].to_numpy()],
            "组织名称": orgs["org_name"].to_numpy()[tk["org"].to_numpy()],
            "任务类别": tk["category"].to_numpy(dtype=object),
            "任务内容": tk["content"].to_numpy(dtype=object),
            "下达日期": _date_cells(assigned, as_csv),
            "截止日期": _date_cells(tk["due"].to_numpy(), as_csv),
            "完成日期": _date_cells(tk["completed"].to_numpy(), as_csv),
        }
    )
    assigned_of = dict(zip(frame["任务编号"], assigned, strict=True))
    frame, preset = _conflicting_copies(frame, inj)
    first_row = 2 if as_csv else 3

    def before_assigned(f: pd.DataFrame, r: np.ndarray, days: int) -> list:
        """Dates some days before each row's 下达日期 (a typo in the month or the year's turn)."""
        ids = f.iloc[r]["任务编号"].to_numpy()
        bad = [assigned_of[t] - np.timedelta64(days + int(x) % 20, "D") for t, x in zip(ids, r, strict=True)]
        return list(_date_cells(np.array(bad, dtype="datetime64[D]"), as_csv))

    spec = [
        Fault("unknown_org", "组织编码", lambda f, r: ["ZB" + g for g in inj.unknown_grid(len(r))]),
        Fault("due_before_assigned", "截止日期", lambda f, r: before_assigned(f, r, 5)),
        Fault(
            "completed_before_assigned",
            "完成日期",
            lambda f, r: before_assigned(f, r, 3),
            eligible=lambda f: f["完成日期"].notna().to_numpy(),
        ),
        Fault(
            "impossible_date",
            "截止日期",
            lambda f, r: [calendar.impossible_date("slash", year) if as_csv else f"{year}年2月30日"] * len(r),
        ),
    ]
    if as_csv:
        # A date column too narrow in Excel, saved as CSV: the cell's text is what Excel showed.
        spec.append(
            Fault(
                "excel_mangled_date",
                "完成日期",
                lambda f, r: ["########"] * len(r),
                eligible=lambda f: f["完成日期"].notna().to_numpy(),
            )
        )
    rel = f"任务清单/{district}书记抓党建任务清单_{year}年" + (".csv" if as_csv else ".xlsx")
    frame = inj.apply(frame, spec, True, rel, "tasks", first_row, preset=preset)
    if as_csv:
        writers.write_csv(frame, out / rel, "gbk")
    else:
        title = f"中共杭州市{district}委员会组织部 {year}年书记抓党建任务清单完成情况"
        xlsx.xlsx(frame, out / rel, title=title, sheet="任务清单")
    return rel
