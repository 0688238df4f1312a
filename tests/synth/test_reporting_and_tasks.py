"""Data contract v1.1 in the synthetic city: 在职报到党员 linked to reporting organisations,
demands claimed by units, and the quarterly task list of every grid branch."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.conftest import summary
from tests.load.contract_check import read_csv, read_xlsx
from tests.synth.contract_check_v11 import TASK_HEADERS, all_tasks, check_v11, read_tasks

REPORTING = "报到单位党组织"


def _roster(root) -> pd.DataFrame:
    frames = []
    for path in sorted((root / "党员花名册").glob("*.xlsx")):
        header, rows, _ = read_xlsx(path)
        frames.append(pd.DataFrame(rows, columns=header, dtype=object).assign(file=path.name))
    return pd.concat(frames, ignore_index=True)


def _orgs(root) -> pd.DataFrame:
    return read_csv(root / "党组织信息.csv", "gbk")


def _quarter(d: dt.date) -> tuple[int, int]:
    return d.year, (d.month - 1) // 3 + 1


def _quarter_start(year: int, q: int) -> dt.date:
    return dt.date(year, 3 * q - 2, 1)


@pytest.fixture(scope="module")
def clean_tasks(small_clean) -> pd.DataFrame:
    t = all_tasks(small_clean)
    # A task's quarter is the one its list was issued for: the first starting on or after 下达日期.
    starts = [_quarter_start(y, q) for y in (2024, 2025) for q in (1, 2, 3, 4)]
    t["quarter"] = [next(s for s in starts if s >= a) for a in t["assigned"]]
    return t


def test_clean_data_breaks_no_v11_rule(small_clean):
    assert check_v11(small_clean) == set()


def test_most_in_service_members_report_with_their_unit(small_clean):
    roster = _roster(small_clean)
    orgs = _orgs(small_clean)
    org_type = dict(zip(orgs["组织编码"], orgs["组织类型"], strict=True))
    linked = roster[roster["报到单位组织编码"].notna()]
    assert set(linked["党员类型"]) == {"在职报到党员"}  # only in-service members report with a unit
    assert {org_type[o] for o in linked["报到单位组织编码"]} == {REPORTING}
    for _, g in roster[roster["党员类型"] == "在职报到党员"].groupby("file"):
        assert 0.7 < g["报到单位组织编码"].notna().mean() < 0.9  # most, not all
    # The unit is the member's employer: its org is named after the 工作单位.
    name = dict(zip(orgs["组织编码"], orgs["组织名称"], strict=True))
    assert all(name[o].startswith(e) for o, e in zip(linked["报到单位组织编码"], linked["工作单位"], strict=True))
    # Stable across snapshots: one value (or none) per person.
    assert roster.groupby("公民身份号码")["报到单位组织编码"].nunique(dropna=False).max() == 1


def test_reporting_org_sizes_are_heavy_tailed(small_clean):
    roster = _roster(small_clean)
    n_orgs = int((_orgs(small_clean)["组织类型"] == REPORTING).sum())
    assert summary(small_clean)["counts"]["reporting_orgs"] == n_orgs
    assert 12 <= n_orgs <= 40  # proportionally fewer than the city's few hundred
    people = roster.drop_duplicates("公民身份号码")
    sizes = people["报到单位组织编码"].value_counts()
    assert len(sizes) >= 0.8 * n_orgs
    assert sizes.max() >= 40 and sizes.min() <= 5  # big bodies report dozens, small units a handful
    assert sizes.max() >= 4 * sizes.median()
    top_quarter = sizes.sort_values(ascending=False).iloc[: len(sizes) // 4]
    assert top_quarter.sum() > 0.4 * sizes.sum()


def test_units_claim_a_minority_of_demands_where_their_members_live(small_clean):
    grids = read_csv(small_clean / "网格台账.csv", "utf-8")
    community = dict(zip(grids["网格编码"], grids["所属街道"] + "/" + grids["所属社区"], strict=True))
    roster = _roster(small_clean).drop_duplicates("公民身份号码")
    linked = roster[roster["报到单位组织编码"].notna()]
    serves = set(zip(linked["报到单位组织编码"], linked["所在网格编码"].map(community), strict=True))
    orgs = _orgs(small_clean)
    reporting = set(orgs.loc[orgs["组织类型"] == REPORTING, "组织编码"])
    demands = pd.concat([read_csv(p, "utf-8-sig") for p in sorted((small_clean / "群众诉求").glob("*.csv"))])
    claimed = demands[demands["认领单位组织编码"] != ""]
    assert 0.03 < len(claimed) / len(demands) < 0.2
    assert set(claimed["认领单位组织编码"]) <= reporting
    assert claimed["认领单位组织编码"].nunique() >= 5
    pairs = zip(claimed["认领单位组织编码"], claimed["网格编码"].map(community), strict=True)
    assert all(p in serves for p in pairs)
    # Units take up small wishes far more often than, say, neighbour disputes.
    share = (demands["认领单位组织编码"] != "").groupby(demands["诉求类型"]).mean()
    assert share["微心愿"] > 3 * share["邻里纠纷"]


def test_task_files_are_written_like_the_other_kinds(small_clean):
    files = [f for f in summary(small_clean)["files"] if f.startswith("任务清单/")]
    assert sorted(f.rsplit(".", 1)[1] for f in files) == ["csv", "xlsx"]  # 1 district × 2 years
    for f in files:
        frame, first = read_tasks(small_clean / f)
        assert set(TASK_HEADERS) <= set(frame.columns)
        if f.endswith(".csv"):
            raw = (small_clean / f).read_bytes()
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")  # GBK, as the reporting system exports
            assert first == 2
        else:
            assert first == 3  # a title row above the header
            assert all(isinstance(v, dt.datetime) for v in frame["截止日期"])  # real Excel dates
    counted = sum(len(read_tasks(small_clean / f)[0]) for f in files)
    assert summary(small_clean)["counts"]["tasks"] == counted


def test_every_branch_gets_four_to_eight_tasks_a_quarter(small_clean, clean_tasks):
    t = clean_tasks
    orgs = _orgs(small_clean)
    branches = set(orgs.loc[orgs["组织类型"] == "网格党支部", "组织编码"])
    assert set(t["组织编码"]) == branches
    per = t.groupby(["组织编码", "quarter"]).size()
    assert len(per) == 8 * len(branches)  # every branch, every quarter
    assert per.between(4, 8).all() and per.min() == 4 and per.max() == 8
    assert t["任务编号"].is_unique
    assert not t.duplicated(["组织编码", "quarter", "任务内容"]).any()  # no task twice in a quarter's list
    assert t["任务类别"].nunique() >= 5 and t["任务内容"].str.fullmatch(r"[\u4e00-\u9fff“”]{6,}").all()


def test_tasks_are_assigned_before_and_due_inside_their_quarter(clean_tasks):
    t = clean_tasks
    lead = [(q - a).days for q, a in zip(t["quarter"], t["assigned"], strict=True)]
    assert min(lead) >= 0 and max(lead) <= 21
    assert (t["due"].map(_quarter) == t["quarter"].map(_quarter)).all()
    assert (t["due"].map(lambda d: (d + dt.timedelta(days=1)).day == 1)).mean() > 0.6  # mostly month ends
    done = t["completed"].notna()
    assert (t.loc[done, "completed"] >= t.loc[done, "assigned"]).all()


def test_completion_shares(clean_tasks):
    t = clean_tasks
    done = t["completed"].notna()
    on_time = done & (t["completed"] <= t["due"])
    late = done & ~on_time
    assert 0.7 < on_time.mean() < 0.92
    assert 0.04 < late.mean() < 0.16
    assert 0.04 < (~done).mean() < 0.16
    assert (t.loc[on_time, "completed"] == t.loc[on_time, "due"]).mean() > 0.05  # some on the day itself


def test_stronger_grids_complete_more_on_time(small_clean, clean_tasks):
    t = clean_tasks
    orgs = _orgs(small_clean)
    grid = dict(zip(orgs["组织编码"], orgs["所在网格编码"], strict=True))
    truth = pd.read_csv(small_clean / "_generator/grid_truth.csv", dtype={"grid_id": str}).set_index("grid_id")
    label = t["quarter"].map(lambda d: f"strength_{d.year}Q{(d.month - 1) // 3 + 1}")
    t = t.assign(
        strength=[truth.at[grid[o], c] for o, c in zip(t["组织编码"], label, strict=True)],
        on_time=t["completed"].notna() & (t["completed"] <= t["due"]),
    )
    per = t.groupby(["组织编码", "quarter"]).agg(strength=("strength", "first"), rate=("on_time", "mean"))
    assert per["strength"].rank().corr(per["rate"].rank()) > 0.3  # Spearman
    weak, strong = per["strength"].quantile([1 / 3, 2 / 3])
    assert per.loc[per["strength"] >= strong, "rate"].mean() > per.loc[per["strength"] <= weak, "rate"].mean() + 0.15


def test_new_faults_look_as_users_meet_them(small_dirty):
    m = pd.read_csv(small_dirty / "_generator/faults.csv", dtype={"value": str})
    orgs = _orgs(small_dirty)
    org_type = dict(zip(orgs["组织编码"], orgs["组织类型"], strict=True))
    wrong_type = m[m["fault"] == "not_reporting_org"]
    assert len(wrong_type) and {org_type[v] for v in wrong_type["value"]} == {"网格党支部"}
    assert not set(m.loc[(m["fault"] == "unknown_org") & (m["kind"] == "members"), "value"]) & set(org_type)
    assert (m.loc[m["fault"] == "excel_mangled_date", "value"] == "########").all()
    pairs = m[m["fault"] == "duplicate_task_id"]
    assert len(pairs) and (pairs.groupby("value").size() == 2).all()  # both rows of a number given twice
    tasks = all_tasks(small_dirty).set_index(["file", "row"])
    for _, g in pairs.groupby("value"):
        rows = tasks.loc[list(zip(g["file"], g["row"], strict=True))]
        assert rows["任务编号"].nunique() == 1 and rows["任务内容"].nunique() == 2
