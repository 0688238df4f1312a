"""双报到: the reporting units (报到单位党组织), which in-service members they report, and the
resident demands units claim directly.

Units are city bodies (agencies, SOEs, hospitals, universities), district bodies and
companies. Their sizes are heavy-tailed: a city agency or SOE reports dozens of members, a
small company a handful. A member's unit is their employer and does not change between
roster snapshots; some in-service members have no unit on record (their employer has no
reporting organisation, or the link was never entered).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

UNITS_PER_GRID = 0.4  # ≈ 400 units at city scale, ≈ 24 at small scale
MIN_UNITS = 8
LINKED_SHARE = 0.8  # in-service members whose unit is on record
# Unlinked members: this share works at a unit that simply has not entered them.
UNLINKED_AT_UNIT = 0.25
HOME_DISTRICT_AFFINITY = 4.0  # employees tend to live in the district of a district-level unit
CITY_UNIT_AFFINITY = 2.0
# Median relative size (members reported) and spread of each class: heavy-tailed overall.
CLASS_SIZE = {"city": (30.0, 0.5), "district": (10.0, 0.6), "company": (2.5, 0.9)}
# Expected share of each class among the reporting units (a class with too few bodies gives all).
CLASS_SHARE = {"city": 0.12, "district": 0.3, "company": 0.58}
CITY_UNITS = [
    "市财政局",
    "市教育局",
    "市卫生健康委员会",
    "市城市管理局",
    "市市场监督管理局",
    "市税务局",
    "市人力资源和社会保障局",
    "市公安局",
    "市交通运输局",
    "市生态环境局",
    "市民政局",
    "市审计局",
    "市统计局",
    "市司法局",
    "市应急管理局",
    "市退役军人事务局",
    "市园林文物局",
    "市总工会",
    "市第一人民医院",
    "市中医院",
    "市儿童医院",
    "浙江大学",
    "杭州师范大学",
    "浙江工业大学",
    "国网杭州供电公司",
    "杭州地铁集团有限公司",
    "杭州银行股份有限公司",
    "中国移动杭州分公司",
    "中国电信杭州分公司",
    "杭州市公交集团",
    "杭州市水务集团有限公司",
    "杭州市城市建设投资集团有限公司",
    "杭州日报报业集团",
    "中国工商银行杭州分行",
    "中国建设银行杭州分行",
    "浙江省交通投资集团有限公司",
]
DISTRICT_UNITS = [
    "财政局",
    "教育局",
    "卫生健康局",
    "民政局",
    "人力资源和社会保障局",
    "住房和城乡建设局",
    "市场监督管理局",
    "城市管理局",
    "司法局",
    "人民法院",
    "人民检察院",
    "行政服务中心",
    "人民医院",
    "中医院",
    "实验小学",
    "第一中学",
    "国有资本投资运营有限公司",
    "城市建设发展集团有限公司",
    "税务局",
    "文化和广电旅游体育局",
]
AGENCY_ENDINGS = ("局", "委员会", "法院", "检察院", "中心", "工会")


def org_name(unit: str, unit_class: str) -> str:
    """The unit's Party organisation: agencies have 机关党委, large bodies 党委, companies 党支部."""
    if unit.endswith(AGENCY_ENDINGS):
        return f"{unit}机关党委"
    return f"{unit}党委" if unit_class != "company" else f"{unit}党支部"


def catalog(grids: pd.DataFrame, companies: list[str]) -> pd.DataFrame:
    """Every employer in-service members may have: name, class and home district (None for
    city bodies). Company names are unique; a company is placed in a district at random later."""
    rows = [{"name": u, "cls": "city", "home": None} for u in CITY_UNITS]
    for district in pd.unique(grids["district"]):
        rows += [{"name": f"{district}{u}", "cls": "district", "home": district} for u in DISTRICT_UNITS]
    taken = {r["name"] for r in rows}
    rows += [{"name": c, "cls": "company", "home": None} for c in companies if c not in taken]
    return pd.DataFrame(rows)


def units(rng: np.random.Generator, grids: pd.DataFrame, companies: list[str]) -> pd.DataFrame:
    """The employers (catalog rows) with a size weight; `is_unit` marks the reporting units,
    `org_id`/`org_name` their Party organisation (BD000001… in catalog order)."""
    cat = catalog(grids, companies)
    districts = pd.unique(grids["district"])
    company = (cat["cls"] == "company").to_numpy()
    cat.loc[company, "home"] = districts[rng.integers(len(districts), size=int(company.sum()))]
    n_units = min(len(cat), max(MIN_UNITS, round(UNITS_PER_GRID * len(grids))))
    per_class = cat["cls"].map(cat["cls"].value_counts())
    pick = (cat["cls"].map(CLASS_SHARE) / per_class).to_numpy(dtype=float)
    chosen = rng.choice(len(cat), size=n_units, replace=False, p=pick / pick.sum())
    cat["is_unit"] = False
    cat.loc[np.sort(chosen), "is_unit"] = True
    median = cat["cls"].map({k: v[0] for k, v in CLASS_SIZE.items()}).to_numpy()
    spread = cat["cls"].map({k: v[1] for k, v in CLASS_SIZE.items()}).to_numpy()
    cat["weight"] = median * np.exp(spread * rng.standard_normal(len(cat)))
    cat["org_id"] = None
    cat["org_name"] = None
    idx = np.flatnonzero(cat["is_unit"].to_numpy())
    cat.loc[idx, "org_id"] = [f"BD{k:06d}" for k in range(1, len(idx) + 1)]
    cat.loc[idx, "org_name"] = [org_name(n, c) for n, c in zip(cat["name"][idx], cat["cls"][idx], strict=True)]
    return cat


def _affinity(cat: pd.DataFrame, district: str) -> np.ndarray:
    home = cat["home"].to_numpy(dtype=object)
    return np.where(home == district, HOME_DISTRICT_AFFINITY, np.where(pd.isna(home), CITY_UNIT_AFFINITY, 1.0))


def link_members(
    rng: np.random.Generator, members: pd.DataFrame, grids: pd.DataFrame, cat: pd.DataFrame
) -> pd.DataFrame:
    """Members with `employer` re-drawn for 在职报到党员 (weighted by unit size and district) and
    `reporting_org_id` (None for everyone else and for the unlinked)."""
    out = members.copy()
    in_service = np.flatnonzero((members["member_type"] == "在职报到党员").to_numpy())
    district = grids["district"].to_numpy()[members["grid"].to_numpy()[in_service]]
    linked = rng.random(len(in_service)) < LINKED_SHARE
    at_unit = rng.random(len(in_service)) < UNLINKED_AT_UNIT
    is_unit = cat["is_unit"].to_numpy()
    pick = np.empty(len(in_service), dtype=np.int64)
    for d in pd.unique(district):
        here = district == d
        w = cat["weight"].to_numpy() * _affinity(cat, d)
        for mask, pool in ((here & (linked | at_unit), is_unit), (here & ~linked & ~at_unit, ~is_unit)):
            p = np.where(pool, w, 0.0) if pool.any() else w  # (every employer a unit: province scale)
            pick[mask] = rng.choice(len(cat), size=int(mask.sum()), p=p / p.sum())
    employer = members["employer"].to_numpy(dtype=object).copy()
    employer[in_service] = cat["name"].to_numpy(dtype=object)[pick]
    reporting = np.full(len(members), None, dtype=object)
    reporting[in_service[linked]] = cat["org_id"].to_numpy(dtype=object)[pick[linked]]
    out["employer"] = employer
    out["reporting_org_id"] = reporting
    return out


# Share of demands a unit claims directly, by demand category: units take up residents'
# small wishes and hardship cases, sometimes repairs, rarely the rest.
CLAIM_SHARE = {"微心愿": 0.35, "困难帮扶": 0.25, "设施维修": 0.12}
CLAIM_SHARE_OTHER = 0.04


def claiming_orgs(
    rng: np.random.Generator,
    demands: pd.DataFrame,
    members: pd.DataFrame,
    grids: pd.DataFrame,
    categories: list[str],
) -> np.ndarray:
    """The org a unit claimed each demand with (None for most): only a unit whose members
    report to the demand's community, chosen in proportion to how many of them do."""
    out = np.full(len(demands), None, dtype=object)
    community = grids["community_key"].to_numpy()
    linked = members[members["reporting_org_id"].notna()]
    per_community = (
        pd.DataFrame({"community": community[linked["grid"].to_numpy()], "org": linked["reporting_org_id"]})
        .value_counts()
        .sort_index()
    )
    share = np.array([CLAIM_SHARE.get(c, CLAIM_SHARE_OTHER) for c in categories])
    claims = rng.random(len(demands)) < share[demands["category"].to_numpy()]
    demand_community = community[demands["grid"].to_numpy()]
    for key, counts in per_community.groupby(level="community", sort=True):
        sel = np.flatnonzero(claims & (demand_community == key))
        if len(sel):
            orgs = counts.index.get_level_values("org").to_numpy(dtype=object)
            w = counts.to_numpy(dtype=float)
            out[sel] = orgs[rng.choice(len(orgs), size=len(sel), p=w / w.sum())]
    return out
