"""The behaviour has the structure indices should find (issue #2): measured from the files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.load.contract_check import parse_date, parse_datetime, read_csv, read_xlsx


@pytest.fixture(scope="module")
def data(small_clean):
    services = pd.concat([read_csv(p, "gb18030") for p in sorted((small_clean / "服务记录").glob("*.csv"))])
    services["date"] = services["服务日期"].map(parse_date)
    services["quarter"] = services["date"].map(lambda d: f"{d.year}Q{(d.month - 1) // 3 + 1}")
    roster_frames = []
    for path in sorted((small_clean / "党员花名册").glob("*.xlsx")):
        header, rows, _ = read_xlsx(path)
        roster_frames.append(pd.DataFrame(rows, columns=header))
    roster = pd.concat(roster_frames)
    demands = pd.concat([read_csv(p, "utf-8-sig") for p in sorted((small_clean / "群众诉求").glob("*.csv"))])
    meetings = []
    for path in sorted((small_clean / "组织生活").glob("*.xlsx")):
        header, rows, _ = read_xlsx(path)
        meetings.append(pd.DataFrame(rows, columns=header))
    truth = pd.read_csv(small_clean / "_generator/grid_truth.csv", dtype={"grid_id": str})
    return {"services": services, "roster": roster, "demands": demands, "meetings": pd.concat(meetings), "truth": truth}


def _latest(roster: pd.DataFrame) -> pd.DataFrame:
    last = roster[roster["数据日期"] == roster["数据日期"].max()]
    return last[last["党籍状态"] == "正常"]


def test_member_activity_is_heavy_tailed(data):
    s = data["services"]
    q4 = s[s["quarter"] == "2025Q4"].groupby("公民身份号码").size()
    members = _latest(data["roster"])
    counts = members["公民身份号码"].map(q4).fillna(0).to_numpy()
    top_decile = np.sort(counts)[::-1][: len(counts) // 10].sum() / counts.sum()
    assert top_decile > 0.3  # the top 10% give three times their share of service
    assert (counts == 0).mean() > 0.25  # many never serve in a quarter
    per_quarter = s.groupby(["公民身份号码", "quarter"]).size()
    assert (per_quarter >= 15).sum() >= 5  # a few serve more than once a week
    assert per_quarter.max() <= 60  # but nobody more than about every other day


def test_retired_serve_more_than_in_service(data):
    s = data["services"]
    members = _latest(data["roster"])
    total = members["公民身份号码"].map(s.groupby("公民身份号码").size()).fillna(0)
    by_type = total.groupby(members["党员类型"].to_numpy()).mean()
    assert by_type["离退休党员"] > 1.5 * by_type["在职报到党员"]
    assert by_type["在职报到党员"] > by_type["流动党员"]


def test_seasonality(data):
    per_day = data["services"].groupby("date").size()

    def mean(a, b):
        return per_day[(per_day.index >= pd.Timestamp(a).date()) & (per_day.index <= pd.Timestamp(b).date())].mean()

    april = mean("2024-04-01", "2024-04-30")
    assert mean("2024-03-01", "2024-03-08") > 1.8 * april  # 学雷锋日
    assert mean("2024-06-20", "2024-06-30") > 1.3 * april  # before 七一
    assert mean("2024-02-08", "2024-02-15") < 0.6 * april  # Spring Festival
    assert mean("2025-01-27", "2025-02-04") < 0.6 * mean("2025-04-01", "2025-04-30")


def test_ratings_skew_high(data):
    ratings = pd.to_numeric(data["services"]["群众评价"].replace("", None)).dropna()
    assert ratings.isin([4, 5]).mean() > 0.8 and ratings.between(1, 5).all()
    sat = pd.to_numeric(data["demands"]["满意度"].replace("", None)).dropna()
    assert sat.isin([4, 5]).mean() > 0.75


def test_resolution_times_are_long_tailed(data):
    d = data["demands"]
    resolved = d[d["办结时间"] != ""]
    hours = np.array(
        [
            (parse_datetime(b) - parse_datetime(a)).total_seconds() / 3600
            for a, b in zip(resolved["上报时间"], resolved["办结时间"], strict=True)
        ]
    )
    assert (hours > 0).all()
    median = np.median(hours)
    assert np.mean(hours) > 1.5 * median and np.quantile(hours, 0.95) > 5 * median
    assert 0.5 < (hours <= 72).mean() < 0.95
    assert 0.7 < len(resolved) / len(d) < 0.97


def _grid_quarter_rate(data) -> pd.DataFrame:
    """Services per grid and quarter, and the share of demands solved inside the grid."""
    s = data["services"]
    svc = s.groupby(["服务网格编码", "quarter"]).size().unstack(fill_value=0)
    return svc


def test_some_grids_improve_and_some_decline(data):
    truth = data["truth"].set_index("grid_id")
    svc = _grid_quarter_rate(data)
    early = svc[["2024Q1", "2024Q2", "2024Q3", "2024Q4"]].sum(axis=1)
    late = svc[["2025Q1", "2025Q2", "2025Q3", "2025Q4"]].sum(axis=1)
    change = np.log((late + 1) / (early + 1))
    trend = truth.reindex(change.index)["trend"]
    assert (trend == "improving").sum() >= 5 and (trend == "declining").sum() >= 5
    # Strength is flattened at the top (strong grids differ less), so service volume moves
    # by some 5–10% a year; the direction must still be plain.
    assert change[trend == "improving"].mean() > 0.05
    assert change[trend == "declining"].mean() < -0.05
    assert change[trend == "improving"].mean() - change[trend == "declining"].mean() > 0.12
    # ...and the grids' own meeting completion moves the same way.
    m = data["meetings"]
    m = m[m["组织编码"].str.startswith("ZB")].assign(
        grid=lambda x: x["组织编码"].str[2:], year=lambda x: x["会议日期"].map(lambda d: d.year)
    )
    held = m.groupby(["grid", "year"]).size().unstack(fill_value=0)
    delta = (held[2025] - held[2024]).reindex(change.index).dropna()
    t = trend.reindex(delta.index)
    assert delta[t == "improving"].mean() > delta[t == "declining"].mean()


def test_strength_drives_resolution_in_grid(data):
    truth = data["truth"].set_index("grid_id")
    d = data["demands"]
    resolved = d[d["办结时间"] != ""]
    in_grid = resolved.groupby("网格编码")["办结层级"].apply(lambda x: (x == "网格").mean())
    strength = truth.reindex(in_grid.index)["strength"]
    assert np.corrcoef(strength, in_grid)[0, 1] > 0.4
