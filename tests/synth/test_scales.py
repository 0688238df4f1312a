"""The city scale meets issue #2's sizes (approximately). Slow (~1 min); runs in CI too."""

from __future__ import annotations

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from pipelines.synth import generate
from pipelines.synth.scales import SCALES


@pytest.mark.city  # generates the city scale itself
@pytest.mark.slow
def test_city_scale(tmp_path):
    s = generate("city", 11, tmp_path, None, log=lambda *a: None)
    c = s["counts"]
    assert s["dirty_rate"] == 0 and s["faults"] == 0  # city data is clean by default
    assert 800 <= c["grids"] <= 1_250
    assert 48_000 <= c["members"] <= 75_000
    assert 1_600_000 <= c["services"] <= 2_400_000
    assert 160_000 <= c["demands"] <= 240_000
    assert 75_000 <= c["meetings"] <= 125_000
    files = s["files"]
    assert len([f for f in files if f.startswith("党员花名册/")]) == 6 * 4  # per district and snapshot
    assert len([f for f in files if f.startswith("组织生活/")]) == 6 * 2  # per district and year
    districts = {f.split("/")[1][:3] for f in files if f.startswith("党员花名册/")}
    assert len(districts) == 6
    # Keys are unique across all files of a kind (several districts write meetings files).
    meeting_ids = []
    for f in files:
        if f.startswith("组织生活/"):
            rows = CalamineWorkbook.from_path(str(tmp_path / f)).get_sheet_by_index(0).to_python()
            meeting_ids += [r[0] for r in rows[1:]]
    assert len(meeting_ids) == c["meetings"] and len(set(meeting_ids)) == len(meeting_ids)
    for prefix, column, encoding in (("服务记录/", "记录编号", "gb18030"), ("群众诉求/", "工单编号", "utf-8-sig")):
        keys = pd.concat(
            [
                pd.read_csv(tmp_path / f, encoding=encoding, usecols=[column], dtype=str)[column]
                for f in files
                if f.startswith(prefix)
            ]
        )
        assert keys.is_unique


def test_province_plan_is_province_sized():
    """Province is generated on demand (make bench SCALE=province); its plan is checked here."""
    p = SCALES["province"]
    mean = lambda r: (r[0] + r[1]) / 2  # noqa: E731
    grids = p.districts * mean(p.streets_per_district) * mean(p.communities_per_street) * mean(p.grids_per_community)
    assert p.districts == 20 and 17_000 <= grids <= 23_000
    assert 0.8e6 <= grids * p.members_per_grid <= 1.2e6
