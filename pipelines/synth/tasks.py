"""The quarterly task list (书记抓党建任务清单) of every grid branch.

Before each quarter the district issues each 网格党支部 4–8 tasks, due inside the quarter;
branches report when each was done. How many a branch completes, and on time, follows its
grid's latent strength that quarter: strong branches finish almost all on time, weak ones
finish late or not at all. A task still open when the data were exported has no 完成日期.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.synth import calendar
from pipelines.synth.behaviour import N_QUARTERS, sigmoid

TASKS_PER_QUARTER = (4, 8)  # inclusive
TASKS = {
    "组织生活": [
        "按期召开支部党员大会",
        "每月开展主题党日活动",
        "落实“三会一课”制度并规范会议记录",
        "召开专题组织生活会并开展民主评议党员",
        "支部书记讲专题党课",
        "按时收缴党费并公示",
    ],
    "党员教育": [
        "组织党员集中学习党的二十届三中全会精神",
        "开展党纪学习教育专题学习",
        "督促党员完成“学习强国”学习任务",
        "为老弱病残党员送学上门",
        "组织党员观看警示教育片",
        "做好预备党员教育考察",
    ],
    "阵地建设": [
        "更新党群服务驿站公示栏",
        "规范网格党建阵地标识标牌",
        "完善党员活动室台账资料",
        "开展“红色楼道”创建",
        "落实党群服务点开放值守",
    ],
    "服务群众": [
        "组织在职党员认领群众微心愿",
        "开展党员志愿服务活动不少于两次",
        "走访慰问困难党员和困难群众",
        "开展党员联户入户走访",
        "组织报到单位参与社区共建项目",
        "收集并办结群众急难愁盼问题",
    ],
    "网格治理": [
        "开展网格矛盾纠纷排查化解",
        "组织楼道消防安全隐患排查整治",
        "完善网格党员和居民信息台账",
        "开展垃圾分类桶边督导",
        "协助开展文明城市创建",
        "落实网格员与党员中心户联系制度",
    ],
    "队伍建设": [
        "召开支部委员会研究班子建设",
        "开展党员积分评定",
        "培育和认定党员中心户",
        "发展入党积极分子谈心谈话",
    ],
}
CATEGORY_WEIGHT = {"组织生活": 1.6, "党员教育": 1.2, "阵地建设": 0.8, "服务群众": 1.3, "网格治理": 1.1, "队伍建设": 0.7}
CATEGORIES = list(TASKS)
TEXT_CATEGORY = np.array([c for c in CATEGORIES for _ in TASKS[c]], dtype=object)
TEXTS = np.array([t for c in CATEGORIES for t in TASKS[c]], dtype=object)
ISSUED_BEFORE = 21  # the district issues a quarter's list up to three weeks before it starts
MEAN_EARLY_DAYS = 8.0  # on-time tasks are mostly done close to the due date
MEAN_LATE_DAYS = 18.0

QUARTER_START = np.array([np.datetime64(f"{2024 + q // 4}-{3 * (q % 4) + 1:02d}-01") for q in range(N_QUARTERS)])


def _month_end(month_start: np.ndarray) -> np.ndarray:
    return (month_start.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1


def tasks(rng: np.random.Generator, orgs: pd.DataFrame, grids: pd.DataFrame, strength_q: np.ndarray) -> pd.DataFrame:
    """One row per task: org (row of `orgs`), grid (row of `grids`), quarter q, category,
    content, and assigned / due / completed dates (datetime64[D]; NaT when never done)."""
    branches = orgs[orgs["org_type"] == "网格党支部"]
    grid_of = pd.Series(np.arange(len(grids)), index=grids["grid_id"]).reindex(branches["grid_id"]).to_numpy()
    n_pairs = len(branches) * N_QUARTERS
    pair_org = np.repeat(branches.index.to_numpy(), N_QUARTERS)
    pair_grid = np.repeat(grid_of, N_QUARTERS)
    pair_q = np.tile(np.arange(N_QUARTERS), len(branches))
    lo, hi = TASKS_PER_QUARTER
    n_tasks = rng.integers(lo, hi + 1, n_pairs)
    # Distinct tasks per branch and quarter, weighted by category (Efraimidis–Spirakis keys).
    w = np.array([CATEGORY_WEIGHT[c] for c in TEXT_CATEGORY])
    keys = rng.random((n_pairs, len(TEXTS))) ** (1 / w)
    ranked = np.argsort(-keys, axis=1)
    take = np.arange(len(TEXTS))[None, :] < n_tasks[:, None]
    pair = np.repeat(np.arange(n_pairs), n_tasks)
    text = ranked[take]
    n = len(pair)

    districts = pd.unique(grids["district"])
    district_no = pd.Series(np.arange(len(districts)), index=districts).reindex(grids["district"]).to_numpy()
    issued_offset = rng.integers(0, ISSUED_BEFORE + 1, (len(districts), N_QUARTERS))
    q = pair_q[pair]
    g = pair_grid[pair]
    assigned = QUARTER_START[q] - issued_offset[district_no[g], q].astype("timedelta64[D]")

    # Due: most at the quarter's end, others at a month's end or mid-month, always inside it.
    month = rng.choice(3, size=n, p=[0.2, 0.25, 0.55])
    month_start = (QUARTER_START[q].astype("datetime64[M]") + month).astype("datetime64[D]")
    mid = rng.random(n) < 0.25
    due = np.where(mid, month_start + rng.choice([14, 19], size=n).astype("timedelta64[D]"), _month_end(month_start))

    s = strength_q[g, q]
    done = rng.random(n) < sigmoid(2.4 + 1.3 * s)
    on_time = rng.random(n) < sigmoid(2.0 + 1.5 * s)
    early = np.floor(rng.exponential(MEAN_EARLY_DAYS, n)).astype(np.int64)
    early = np.minimum(early, (due - assigned).astype(np.int64))
    late = 1 + np.floor(rng.exponential(MEAN_LATE_DAYS, n)).astype(np.int64)
    completed = np.where(on_time, due - early.astype("timedelta64[D]"), due + late.astype("timedelta64[D]"))
    # Not done, or done only after the export was taken: no completion date in the data.
    open_ = ~done | (completed > np.datetime64(calendar.EXPORT_DATE))
    completed = np.where(open_, np.datetime64("NaT"), completed).astype("datetime64[D]")
    out = pd.DataFrame(
        {
            "org": pair_org[pair],
            "grid": g,
            "q": q,
            "category": TEXT_CATEGORY[text],
            "content": TEXTS[text],
            "assigned": assigned.astype("datetime64[D]"),
            "due": due.astype("datetime64[D]"),
            "completed": completed,
        }
    )
    return out.sort_values(["q", "org", "due"], kind="stable", ignore_index=True)
