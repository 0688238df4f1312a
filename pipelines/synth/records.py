"""Service records, resident demands and meetings, driven by grid strength.

All draws are vectorised over whole arrays; records hold day indices and codes, and are
formatted into the users' file formats later (see exports.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.synth import calendar
from pipelines.synth.behaviour import N_QUARTERS, sigmoid

SERVICE_CATEGORIES = ["矛盾化解", "环境整治", "政策宣传", "困难帮助", "文化艺术", "微心愿", "其他"]
SERVICE_CATEGORY_SHARES = [0.10, 0.28, 0.17, 0.18, 0.09, 0.08, 0.10]
SERVICE_TEXT = {
    "矛盾化解": ["调解邻里噪音纠纷", "协调楼道停车矛盾", "化解物业费争议", "调处漏水引发的邻里矛盾"],
    "环境整治": ["清理楼道堆积杂物", "垃圾分类桶边督导", "清理小区卫生死角", "整治飞线充电"],
    "政策宣传": ["宣传医保缴费政策", "反诈知识入户宣传", "宣讲党的二十届三中全会精神", "消防安全知识宣传"],
    "困难帮助": ["走访慰问独居老人", "陪同困难群众就医", "为残疾居民代办业务", "帮助低保户申请补助"],
    "文化艺术": ["组织社区文艺排练", "开展书法公益课堂", "组织红色电影放映", "指导少儿暑期托管活动"],
    "微心愿": ["认领微心愿：为老人更换灯泡", "认领微心愿：赠送学习用品", "认领微心愿：代购轮椅"],
    "其他": ["参与疫苗接种引导志愿服务", "协助开展人口信息采集", "参与文明城市创建值守"],
}
DEMAND_CATEGORIES = ["环境卫生", "邻里纠纷", "设施维修", "困难帮扶", "政策咨询", "微心愿", "物业管理", "安全隐患"]
DEMAND_CATEGORY_SHARES = [0.20, 0.12, 0.22, 0.08, 0.10, 0.08, 0.12, 0.08]
DEMAND_TEXT = {
    "环境卫生": ["楼道垃圾无人清理", "小区绿化带杂草丛生", "垃圾桶满溢未及时清运"],
    "邻里纠纷": ["楼上装修噪音扰民", "邻居占用公共通道", "宠物扰民引发纠纷"],
    "设施维修": ["单元门禁损坏", "路灯不亮", "楼道扶手松动", "雨水井盖破损"],
    "困难帮扶": ["独居老人需要定期探访", "残疾居民申请帮扶", "困难家庭申请临时救助"],
    "政策咨询": ["咨询老年证办理", "咨询医保异地备案", "咨询加装电梯补贴政策"],
    "微心愿": ["希望得到一台收音机", "孩子需要辅导作业", "老人想学用智能手机"],
    "物业管理": ["物业服务不到位", "小区停车收费不合理", "电梯频繁故障"],
    "安全隐患": ["电动车楼道充电", "消防通道被占用", "外墙瓷砖脱落"],
}
DEMAND_SOURCES = ["12345热线", "网格员上报", "微信小程序", "居民来访", "党员走访"]
LEVELS = ["网格", "社区", "街道", "区级部门"]
LEVEL_MEDIAN_HOURS = np.array([20.0, 50.0, 110.0, 220.0])
MAX_RATE = 25.0  # services per member and quarter that propensity saturates towards
# Required meetings per quarter (methodology v1) and what a strong branch adds.
REQUIRED = {"支部党员大会": 1, "支部委员会": 3, "党课": 1, "主题党日": 3}
MEETING_TOPICS = [
    "学习贯彻党的二十届三中全会精神",
    "开展党纪学习教育",
    "研究网格重点工作",
    "讨论发展党员工作",
    "主题党日：走进红色教育基地",
    "主题党日：社区志愿服务",
    "民主评议党员",
    "党员冬训专题学习",
    "学习《中国共产党纪律处分条例》",
    "研究困难群众帮扶事项",
    "缴纳党费及党费使用情况通报",
]


def member_quarter_rates(
    rng: np.random.Generator, members: pd.DataFrame, strength_q: np.ndarray, target_mean: float, day_weights: np.ndarray
) -> np.ndarray:
    """(n_members, 8) expected service count per quarter, scaled to the target mean."""
    g = members["grid"].to_numpy()
    q = np.arange(N_QUARTERS)
    on = (members["start_q"].to_numpy()[:, None] <= q) & (members["end_q"].to_numpy()[:, None] > q)
    active = on & ~members["never_active"].to_numpy()[:, None]
    lam = np.exp(members["log_propensity"].to_numpy()[:, None] + 0.35 * strength_q[g])
    lam *= calendar.quarter_weight(day_weights)[None, :] * active
    # Scale to the target mean, saturating near MAX_RATE: the most active members serve
    # two or three times a week, not daily. Rescaling after saturating converges fast.
    for _ in range(4):
        lam = MAX_RATE * (1 - np.exp(-lam / MAX_RATE))
        lam *= target_mean * on.sum() / lam.sum()  # last step rescales: the mean is exact
    return lam


def services_for_quarter(
    rng: np.random.Generator,
    q: int,
    members: pd.DataFrame,
    grids: pd.DataFrame,
    rates: np.ndarray,
    strength_q: np.ndarray,
    day_weights: np.ndarray,
) -> pd.DataFrame:
    counts = rng.poisson(rates[:, q])
    m = np.repeat(np.arange(len(members)), counts)
    n = len(m)
    home = members["grid"].to_numpy()[m]
    # Where the service was given: mostly the home grid, else elsewhere in the community/street.
    comm_codes = grids["community_key"].astype("category").cat.codes.to_numpy()
    street_codes = grids["street_key"].astype("category").cat.codes.to_numpy()
    u = rng.random(n)
    grid = home.copy()
    grid[u >= 0.85] = _random_peer(rng, home[u >= 0.85], comm_codes)
    grid[u >= 0.97] = _random_peer(rng, home[u >= 0.97], street_codes)
    day = calendar.sample_days(rng, np.full(n, q), day_weights)
    cat = rng.choice(len(SERVICE_CATEGORIES), size=n, p=SERVICE_CATEGORY_SHARES)
    hours = np.clip(np.round(np.exp(rng.normal(np.log(2.0), 0.6, n)) * 2) / 2, 0.5, 12)
    hours[cat == 4] = np.clip(hours[cat == 4] + 1, 0.5, 12)
    beneficiaries = np.where(rng.random(n) < 0.7, np.ceil(rng.pareto(1.6, n) * 2 + 1), np.nan)
    s = strength_q[grid, q]
    rated = rng.random(n) < 0.45
    mood = grids["mood"].to_numpy()[grid]
    rating = np.clip(np.round(4.85 + 0.35 * s + mood + rng.normal(0, 0.6, n)), 1, 5)
    return pd.DataFrame(
        {
            "member": m,
            "grid": grid,
            "day": day,
            "category": cat,
            "hours": hours,
            "beneficiaries": beneficiaries,
            "rating": np.where(rated, rating, np.nan),
            "text": rng.integers(0, 4, n),
        }
    ).sort_values(["day", "grid"], kind="stable", ignore_index=True)


def _random_peer(rng: np.random.Generator, grids: np.ndarray, group_codes: np.ndarray) -> np.ndarray:
    """For each grid, a random grid of the same group (community or street)."""
    order = np.argsort(group_codes, kind="stable")
    sorted_codes = group_codes[order]
    lo = np.searchsorted(sorted_codes, group_codes[grids], side="left")
    hi = np.searchsorted(sorted_codes, group_codes[grids], side="right")
    return order[lo + (rng.random(len(grids)) * (hi - lo)).astype(int)]


def demands(
    rng: np.random.Generator,
    members: pd.DataFrame,
    grids: pd.DataFrame,
    strength_q: np.ndarray,
    per_grid_quarter: float,
    member_rates: np.ndarray,
) -> pd.DataFrame:
    hh = grids["households"].to_numpy()
    weights = calendar.demand_day_weights()
    expected = per_grid_quarter * (hh / hh.mean())[:, None] * calendar.quarter_weight(weights)[None, :]
    counts = rng.poisson(expected)  # (grids, quarters)
    grid = np.repeat(np.repeat(np.arange(len(grids)), N_QUARTERS), counts.ravel())
    q = np.repeat(np.tile(np.arange(N_QUARTERS), len(grids)), counts.ravel())
    n = len(grid)
    day = calendar.sample_days(rng, q, weights)
    reported_min = rng.integers(7 * 60 + 30, 21 * 60, n)
    s = strength_q[grid, q]
    level = np.where(
        rng.random(n) < 0.9 * sigmoid(1.9 + 1.0 * s), 0, rng.choice([1, 2, 3], size=n, p=[0.6, 0.28, 0.12])
    )
    hours = LEVEL_MEDIAN_HOURS[level] * np.exp(-0.3 * s + rng.normal(0, 0.95, n))
    reported_at = day * 1440 + reported_min  # minutes since 2024-01-01
    resolved_at = reported_at + np.round(hours * 60).astype(np.int64)
    export_min = (np.datetime64(calendar.EXPORT_DATE) - np.datetime64("2024-01-01")).astype(int) * 1440
    resolved = (rng.random(n) < 0.97 * sigmoid(3.2 + 0.9 * s)) & (resolved_at < export_min)
    mood = grids["mood"].to_numpy()[grid]
    satisfaction = np.clip(np.round(4.75 + 0.3 * s + mood - 0.35 * np.log(hours / 48) + rng.normal(0, 0.7, n)), 1, 5)
    rated = resolved & (rng.random(n) < 0.75)
    claimed = resolved & (rng.random(n) < np.clip(0.65 + 0.1 * s, 0.3, 0.9))
    claimant = _pick_members(rng, members, grid[claimed], q[claimed], member_rates)
    claimed_by = np.full(n, -1)
    claimed_by[np.flatnonzero(claimed)] = claimant
    out = pd.DataFrame(
        {
            "grid": grid,
            "quarter": q,
            "reported_at": reported_at,
            "category": rng.choice(len(DEMAND_CATEGORIES), size=n, p=DEMAND_CATEGORY_SHARES),
            "claimed_by": claimed_by,
            "resolved_at": np.where(resolved, resolved_at, -1),
            "level": np.where(resolved, level, -1),
            "satisfaction": np.where(rated, satisfaction, np.nan),
            "text": rng.integers(0, 3, n),
            "source": rng.integers(0, len(DEMAND_SOURCES), n),
        }
    )
    return out.sort_values("reported_at", kind="stable", ignore_index=True)


def _pick_members(
    rng: np.random.Generator, members: pd.DataFrame, grid: np.ndarray, q: np.ndarray, member_rates: np.ndarray
) -> np.ndarray:
    """A claiming member in the grid for each demand, weighted by that quarter's activity;
    -1 where the grid has no active member (the demand stays unclaimed)."""
    out = np.full(len(grid), -1)
    mg = members["grid"].to_numpy()
    order = np.argsort(mg, kind="stable")
    for quarter in np.unique(q):
        sel = np.flatnonzero(q == quarter)
        w = member_rates[order, quarter] + 1e-9 * (member_rates[order, quarter] > 0)
        cw = np.cumsum(w)
        lo = np.searchsorted(mg[order], grid[sel], side="left")
        hi = np.searchsorted(mg[order], grid[sel], side="right")
        base = np.where(lo > 0, cw[np.maximum(lo - 1, 0)], 0.0)
        total = cw[hi - 1] - base
        target = base + rng.random(len(sel)) * total
        idx = np.clip(np.searchsorted(cw, target, side="right"), lo, hi - 1)
        out[sel] = np.where(total > 0, order[idx], -1)
    return out


def meetings(
    rng: np.random.Generator, orgs: pd.DataFrame, grids: pd.DataFrame, members: pd.DataFrame, strength_q: np.ndarray
) -> pd.DataFrame:
    """Meetings of branches, building groups and community committees per quarter."""
    grid_index = pd.Series(np.arange(len(grids)), index=grids["grid_id"])
    size = np.bincount(members["grid"].to_numpy()[members["status"].to_numpy() == "正常"], minlength=len(grids))
    groups_per_grid = orgs[orgs["org_type"] == "楼栋党小组"].groupby("grid_id").size()
    parts = []
    for org_type, plan in (
        ("网格党支部", REQUIRED),
        ("楼栋党小组", {"党小组会": 3}),
        ("社区党委", {"党课": 1, "主题党日": 1}),
    ):
        sel = orgs[orgs["org_type"] == org_type]
        if org_type == "社区党委":
            g = grid_index.reindex(sel["org_id"].str[2:] + "001").to_numpy()  # its first grid
        else:
            g = grid_index.reindex(sel["grid_id"]).to_numpy()
        for mtype, required in plan.items():
            for q in range(N_QUARTERS):
                s = strength_q[g, q]
                held = rng.binomial(required, 0.97 * sigmoid(2.6 + 1.4 * s))
                if mtype == "主题党日":
                    held += rng.binomial(1, 0.3, len(g))
                o = np.repeat(np.arange(len(sel)), held)
                slot = np.concatenate([np.arange(k) for k in held]) if held.sum() else np.empty(0, int)
                parts.append(
                    pd.DataFrame({"org": sel.index.to_numpy()[o], "grid": g[o], "type": mtype, "q": q, "slot": slot})
                )
    m = pd.concat(parts, ignore_index=True)
    n = len(m)
    month_start = np.array([np.flatnonzero(q == calendar.QUARTER_OF_DAY)[0] for q in range(N_QUARTERS)])
    month = m["slot"].to_numpy() % 3
    day = month_start[m["q"].to_numpy()] + month * 30 + rng.integers(0, 28, n)
    branch_size = np.maximum(size[m["grid"].to_numpy()], 1)
    n_groups = groups_per_grid.reindex(grids["grid_id"].to_numpy()[m["grid"].to_numpy()]).fillna(1).to_numpy()
    expected = np.where(
        m["type"] == "支部委员会",
        rng.integers(3, 8, n),
        np.where(m["type"] == "党小组会", np.maximum(branch_size // n_groups, 2), branch_size),
    )
    s = strength_q[m["grid"].to_numpy(), m["q"].to_numpy()]
    attended = rng.binomial(expected.astype(int), np.clip(sigmoid(2.45 + 0.9 * s), 0.3, 0.995))
    m["day"] = np.minimum(day, np.flatnonzero(calendar.QUARTER_OF_DAY == 7)[-1])
    m["expected"] = expected.astype(int)
    m["attended"] = attended
    m["topic"] = rng.integers(0, len(MEETING_TOPICS), n)
    return m.sort_values(["day", "org"], kind="stable", ignore_index=True)
