"""Party organisations: a 社区党委 per community, a 网格党支部 per grid (a few grids
lack one), 楼栋党小组 under some branches, and 报到单位党组织 of reporting units."""

from __future__ import annotations

import numpy as np
import pandas as pd

BRANCHLESS_SHARE = 0.04  # grids still without their own branch (members sit in the 党委)
GROUP_SHARE = 0.75  # branches with building groups


def build_orgs(rng: np.random.Generator, grids: pd.DataFrame, reporting_units: list[tuple[str, str]]) -> pd.DataFrame:
    """reporting_units: (org_id, org_name) of the 报到单位党组织 (pipelines/synth/reporting.py)."""
    rows: list[dict] = []
    community_org: dict[str, str] = {}
    for key, first in grids.groupby("community_key", sort=False).first().iterrows():
        org_id = "DW" + first["grid_id"][:12]
        community_org[key] = org_id
        rows.append(
            {
                "org_id": org_id,
                "org_name": f"中共{first['street']}{first['community']}委员会",
                "org_type": "社区党委",
                "parent_org_id": None,
                "grid_id": None,
            }
        )
    has_branch = rng.random(len(grids)) >= BRANCHLESS_SHARE
    for (_, grid), branch in zip(grids.iterrows(), has_branch, strict=True):
        if not branch:
            continue
        bid = "ZB" + grid["grid_id"]
        estate = grid["grid_name"].removesuffix("网格")
        rows.append(
            {
                "org_id": bid,
                "org_name": f"{grid['community']}{estate}网格党支部",
                "org_type": "网格党支部",
                "parent_org_id": community_org[grid["community_key"]],
                "grid_id": grid["grid_id"],
            }
        )
        if rng.random() < GROUP_SHARE:
            buildings = np.sort(rng.choice(np.arange(1, 30), size=int(rng.integers(1, 7)), replace=False))
            for k, b in enumerate(buildings, start=1):
                rows.append(
                    {
                        "org_id": f"XZ{grid['grid_id']}{k:02d}",
                        "org_name": f"{estate}{b}幢党小组",
                        "org_type": "楼栋党小组",
                        "parent_org_id": bid,
                        "grid_id": grid["grid_id"],
                    }
                )
    for org_id, org_name in reporting_units:
        rows.append(
            {
                "org_id": org_id,
                "org_name": org_name,
                "org_type": "报到单位党组织",
                "parent_org_id": None,
                "grid_id": None,
            }
        )
    return pd.DataFrame(rows)
