"""The generated exports follow the data contract: kinds, headers, encodings, formats."""

from __future__ import annotations

import codecs
import datetime as dt
import json

import openpyxl
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape
from shapely.strtree import STRtree

from tests.conftest import summary
from tests.load.contract_check import CONTRACT_HEADERS, check, id_valid, parse_date, parse_datetime, read_csv, read_xlsx

PHONE_PREFIXES = {"13", "14", "15", "17", "18", "19"}


def _roster(root):
    frames = []
    for path in sorted((root / "党员花名册").glob("*.xlsx")):
        header, rows, _ = read_xlsx(path)
        frames.append(pd.DataFrame(rows, columns=header).assign(file=path.name))
    return pd.concat(frames, ignore_index=True)


def test_layout_and_kinds(small_clean):
    files = summary(small_clean)["files"]
    assert "网格台账.csv" in files and "网格边界.geojson" in files and "党组织信息.csv" in files
    assert len([f for f in files if f.startswith("党员花名册/")]) == 4  # 1 district × 4 snapshots
    assert len([f for f in files if f.startswith("服务记录/")]) == 4  # one per half year
    assert len([f for f in files if f.startswith("群众诉求/")]) == 4
    assert len([f for f in files if f.startswith("组织生活/")]) == 2  # per district and year
    for f in files:
        assert (small_clean / f).stat().st_size > 0


def test_headers_hold_contract_columns(small_clean):
    grids = read_csv(small_clean / "网格台账.csv", "utf-8")
    assert set(CONTRACT_HEADERS["grids"]) <= set(grids.columns)
    orgs = read_csv(small_clean / "党组织信息.csv", "gbk")
    assert list(orgs.columns) == CONTRACT_HEADERS["orgs"]
    for path in (small_clean / "服务记录").glob("*.csv"):
        header = read_csv(path, "gb18030").columns
        assert set(CONTRACT_HEADERS["services"] + ["服务对象人数", "群众评价", "服务内容"]) <= set(header)
    for path in (small_clean / "群众诉求").glob("*.csv"):
        header = read_csv(path, "utf-8-sig").columns
        assert set(CONTRACT_HEADERS["demands"] + ["认领人身份号码", "办结时间", "办结层级", "满意度"]) <= set(header)
    for path in (small_clean / "党员花名册").glob("*.xlsx"):
        header, _, _ = read_xlsx(path)
        assert set(CONTRACT_HEADERS["members"] + ["数据日期", "手机号码", "入党日期"]) <= set(header)
    for path in (small_clean / "组织生活").glob("*.xlsx"):
        header, _, _ = read_xlsx(path)
        assert set(CONTRACT_HEADERS["meetings"]) <= set(header)


def test_encodings(small_clean):
    services = next((small_clean / "服务记录").glob("*.csv")).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        services.decode("utf-8")  # really GB18030, not UTF-8
    assert "服务网格编码" in services.decode("gb18030")
    orgs = (small_clean / "党组织信息.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        orgs.decode("utf-8")
    assert orgs.decode("gbk").startswith("组织编码")
    for path in (small_clean / "群众诉求").glob("*.csv"):
        assert path.read_bytes().startswith(codecs.BOM_UTF8)
    grids = (small_clean / "网格台账.csv").read_bytes()
    assert not grids.startswith(codecs.BOM_UTF8) and grids.decode("utf-8").startswith("网格编码")


def test_roster_xlsx_has_title_row_and_text_ids(small_clean):
    path = next((small_clean / "党员花名册").glob("*.xlsx"))
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert "党员花名册" in ws["A1"].value and "年" in ws["A1"].value  # title row
    header = [c.value for c in ws[2]]
    assert header[:2] == ["序号", "姓名"]
    col = header.index("公民身份号码") + 1
    cells = [ws.cell(row=r, column=col) for r in range(3, ws.max_row + 1)]
    assert cells and all(c.data_type == "s" and len(c.value) == 18 for c in cells)


def test_meeting_dates_are_real_excel_dates(small_clean):
    path = next((small_clean / "组织生活").glob("*.xlsx"))
    ws = openpyxl.load_workbook(path).worksheets[0]
    header = [c.value for c in ws[1]]
    col = header.index("会议日期") + 1
    cells = [ws.cell(row=r, column=col) for r in range(2, ws.max_row + 1)]
    assert all(c.is_date for c in cells)
    assert all(isinstance(ws.cell(row=r, column=header.index("应到人数") + 1).value, int | float) for r in range(2, 50))


def test_dates_in_several_accepted_forms(small_clean):
    forms = set()
    for path in sorted((small_clean / "服务记录").glob("*.csv")):
        dates = read_csv(path, "gb18030")["服务日期"]
        assert dates.map(parse_date).notna().all()
        sample = dates.iloc[0]
        forms.add("年" if "年" in sample else "/" if "/" in sample else "." if "." in sample else "-")
    assert {"年", "/"} <= forms and len(forms) >= 3
    for path in sorted((small_clean / "群众诉求").glob("*.csv")):
        f = read_csv(path, "utf-8-sig")
        assert f["上报时间"].map(parse_datetime).notna().all()
        assert f.loc[f["办结时间"] != "", "办结时间"].map(parse_datetime).notna().all()


def test_every_period_is_covered(small_clean):
    quarters = set()
    for path in (small_clean / "服务记录").glob("*.csv"):
        for d in read_csv(path, "gb18030")["服务日期"].map(parse_date):
            quarters.add((d.year, (d.month - 1) // 3 + 1))
    assert quarters == {(y, q) for y in (2024, 2025) for q in (1, 2, 3, 4)}


def test_clean_data_breaks_no_rule(small_clean):
    assert check(small_clean) == set()
    manifest = pd.read_csv(small_clean / "_generator/faults.csv")
    assert manifest.empty


def test_members_look_real(small_clean):
    roster = _roster(small_clean)
    assert roster["公民身份号码"].map(id_valid).all()
    # Birth date and gender are encoded in the ID number.
    births = roster["出生日期"].map(parse_date)
    assert (roster["公民身份号码"].str[6:14] == births.map(lambda d: d.strftime("%Y%m%d"))).all()
    male = roster["公民身份号码"].str[16].astype(int) % 2 == 1
    assert ((roster["性别"] == "男") == male).all()
    assert roster["姓名"].str.fullmatch(r"[\u4e00-\u9fff]{2,4}").all()
    phones = roster["手机号码"].dropna()
    assert len(phones) > 0.85 * len(roster)
    assert phones.str.fullmatch(r"1\d{10}").all() and phones.str[:2].isin(PHONE_PREFIXES).all()
    latest = roster[roster["file"].str.contains("20251231")]
    shares = latest["党员类型"].value_counts(normalize=True)
    assert set(shares.index) == {"社区党员", "在职报到党员", "流动党员", "离退休党员"}
    assert 0.2 < shares["在职报到党员"] < 0.4 and 0.2 < shares["离退休党员"] < 0.4 and shares["流动党员"] < 0.12
    assert 0.9 < (latest["人员类别"] == "正式党员").mean() < 0.99
    assert 0.95 < (latest["党籍状态"] == "正常").mean() < 1.0
    in_service = latest[latest["党员类型"] == "在职报到党员"]
    assert in_service["工作单位"].notna().all()
    retired_age = 2025 - latest.loc[latest["党员类型"] == "离退休党员", "出生日期"].str[:4].astype(int)
    assert retired_age.min() >= 59
    # Snapshots differ: members join and leave between them.
    ids = {f: set(g["公民身份号码"]) for f, g in roster.groupby("file")}
    first, last = sorted(ids)[0], sorted(ids)[-1]
    assert ids[last] - ids[first] and ids[first] - ids[last]


def test_orgs_structure(small_clean):
    orgs = read_csv(small_clean / "党组织信息.csv", "gbk")
    grids = read_csv(small_clean / "网格台账.csv", "utf-8")
    types = orgs["组织类型"].value_counts()
    n_communities = grids[["所属街道", "所属社区"]].drop_duplicates().shape[0]
    assert types["社区党委"] == n_communities
    branches = orgs[orgs["组织类型"] == "网格党支部"]
    assert 0.85 * len(grids) <= len(branches) < len(grids)  # a few grids lack a branch
    groups = orgs[orgs["组织类型"] == "楼栋党小组"]
    assert len(groups) > 0 and groups["上级组织编码"].isin(branches["组织编码"]).all()
    assert types["报到单位党组织"] >= 2
    assert orgs["组织编码"].is_unique


def test_grid_registry(small_clean):
    grids = read_csv(small_clean / "网格台账.csv", "utf-8")
    assert 45 <= len(grids) <= 80 and grids["网格编码"].is_unique
    assert grids["所属区县"].nunique() == 1 and grids["所属街道"].nunique() == 2
    assert grids[["所属街道", "所属社区"]].drop_duplicates().shape[0] == 6
    assert grids["户数"].astype(int).between(50, 1500).all()
    assert set(grids["网格类型"]) <= {"老旧小区", "商品房小区", "村改居", "商圈楼宇"}
    assert grids["网格名称"].str.endswith("网格").all()


def test_geometry_tiles_communities_without_overlap(small_clean):
    collection = json.loads((small_clean / "网格边界.geojson").read_text(encoding="utf-8"))
    grids = read_csv(small_clean / "网格台账.csv", "utf-8")
    polys = {f["properties"]["网格编码"]: shape(f["geometry"]) for f in collection["features"]}
    assert set(polys) == set(grids["网格编码"])
    assert all(p.is_valid and p.geom_type in ("Polygon", "MultiPolygon") for p in polys.values())
    geoms = list(polys.values())
    tree = STRtree(geoms)
    total = sum(p.area for p in geoms)
    left, right = tree.query(geoms, predicate="intersects")
    overlap = sum(geoms[i].intersection(geoms[j]).area for i, j in zip(left, right, strict=True) if i < j)
    assert overlap < 1e-12 * total  # shared edges are identical after rounding: no slivers
    # Communities are contiguous: each community's union is one piece, and the whole area too.
    for _, g in grids.groupby(["所属街道", "所属社区"]):
        union = shapely.union_all([polys[i] for i in g["网格编码"]])
        assert union.geom_type == "Polygon"
    # Around Hangzhou, in WGS-84 degrees.
    minx, miny, maxx, maxy = shapely.union_all(geoms).bounds
    assert 119.5 < minx < maxx < 121.0 and 29.8 < miny < maxy < 30.8
    # Irregular: not a lattice of equal squares.
    vertex_counts = {len(p.exterior.coords) for p in geoms}
    areas = pd.Series([p.area for p in geoms])
    assert len(vertex_counts) > 2 and areas.std() / areas.mean() > 0.2


def test_households_and_residents(small_clean):
    grids = read_csv(small_clean / "网格台账.csv", "utf-8")
    ratio = grids["常住人口"].astype(int) / grids["户数"].astype(int)
    assert ratio.between(2.0, 3.1).all()


def test_meetings_and_demands_follow_rules(small_clean):
    for path in (small_clean / "组织生活").glob("*.xlsx"):
        header, rows, _ = read_xlsx(path)
        f = pd.DataFrame(rows, columns=header)
        assert set(f["会议类型"]) == {"支部党员大会", "支部委员会", "党小组会", "党课", "主题党日"}
        assert (f["应到人数"] > 0).all() and (f["实到人数"] <= f["应到人数"]).all()
        assert f["会议编号"].is_unique
    for path in (small_clean / "群众诉求").glob("*.csv"):
        f = read_csv(path, "utf-8-sig")
        resolved = f["办结时间"] != ""
        assert (f.loc[resolved, "办结层级"].isin(["网格", "社区", "街道", "区级部门"])).all()
        assert (f.loc[~resolved, "办结层级"] == "").all()


def test_summary_counts_match_files(small_clean):
    counts = summary(small_clean)["counts"]
    services = sum(len(read_csv(p, "gb18030")) for p in (small_clean / "服务记录").glob("*.csv"))
    demands = sum(len(read_csv(p, "utf-8-sig")) for p in (small_clean / "群众诉求").glob("*.csv"))
    assert counts["services"] == services and counts["demands"] == demands
    # Small scale targets (approximate): ~60 grids, ~3,000 members, ~60,000 services, ~6,000 demands,
    # ~5,000 meetings (more: calibrated in #4, most branches hold every required meeting).
    assert 45 <= counts["grids"] <= 80
    assert 2_200 <= counts["members"] <= 4_000
    assert 45_000 <= counts["services"] <= 80_000
    assert 4_500 <= counts["demands"] <= 8_000
    assert 3_800 <= counts["meetings"] <= 7_500  # most branches hold all required meetings


def test_dates_respect_time(small_clean):
    for path in (small_clean / "党员花名册").glob("*.xlsx"):
        header, rows, _ = read_xlsx(path)
        f = pd.DataFrame(rows, columns=header)
        snap = parse_date(f["数据日期"].iloc[0])
        assert path.stem.endswith(snap.strftime("%Y%m%d"))
        joined = f["入党日期"].map(parse_date)
        born = f["出生日期"].map(parse_date)
        assert (joined <= snap).all()
        assert ((joined - born).map(lambda d: d.days) >= 18 * 365).all()
        full = f["转正日期"].dropna().map(parse_date)
        assert (full <= snap).all()
        assert ((f["人员类别"] == "预备党员") == f["转正日期"].isna()).all()
    assert dt.date(2024, 1, 1) <= parse_date("2024/1/1")
