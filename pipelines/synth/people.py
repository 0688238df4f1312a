"""Party members: identities (from Faker's zh_CN data, sampled vectorised), types,
tenure across the 8 quarters, and each member's latent service propensity."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from faker import Faker
from faker.providers.person.zh_CN import Provider as PersonProvider
from faker.providers.phone_number.zh_CN import Provider as PhoneProvider
from faker.providers.ssn.zh_CN import Provider as SsnProvider

from pipelines.idnumber import check_digits

MEMBER_TYPES = ["社区党员", "在职报到党员", "流动党员", "离退休党员"]
MEMBER_TYPE_SHARES = [0.34, 0.30, 0.06, 0.30]
# Age ranges (inclusive) at the end of 2025 by member type.
AGE_RANGE = {"社区党员": (21, 85), "在职报到党员": (24, 59), "流动党员": (22, 50), "离退休党员": (60, 90)}
# Log-propensity shift by type: retired members serve most, mobile members least.
TYPE_ACTIVITY = {"社区党员": 0.0, "在职报到党员": -0.55, "流动党员": -1.1, "离退休党员": 0.55}
TYPE_NEVER_ACTIVE = {"社区党员": 0.0, "在职报到党员": 0.45, "流动党员": 1.0, "离退休党员": -0.5}
STATUSES = ["正常", "保留", "停止"]
STATUS_SHARES = [0.975, 0.012, 0.013]
ETHNICITIES = ["汉族", "畲族", "回族", "满族", "土家族", "苗族", "壮族"]
ETHNICITY_SHARES = [0.965, 0.01, 0.008, 0.006, 0.004, 0.004, 0.003]
EDUCATION_YOUNG = ["研究生", "大学本科", "大学专科", "中专", "高中"]
EDUCATION_YOUNG_SHARES = [0.14, 0.50, 0.22, 0.07, 0.07]
EDUCATION_OLD = ["大学本科", "大学专科", "中专", "高中", "初中", "小学"]
EDUCATION_OLD_SHARES = [0.12, 0.14, 0.16, 0.28, 0.22, 0.08]
AGENCIES = [
    "市财政局",
    "市教育局",
    "市卫生健康委员会",
    "市城市管理局",
    "市市场监督管理局",
    "市税务局",
    "区人民法院",
    "区人民检察院",
    "区住房和城乡建设局",
    "区民政局",
    "市第一人民医院",
    "浙江大学",
    "杭州师范大学",
    "国网杭州供电公司",
    "杭州地铁集团有限公司",
    "杭州银行股份有限公司",
    "中国移动杭州分公司",
    "杭州市公交集团",
    "市人力资源和社会保障局",
    "区行政服务中心",
]
SNAPSHOT_DATES = [dt.date(2024, 6, 30), dt.date(2024, 12, 31), dt.date(2025, 6, 30), dt.date(2025, 12, 31)]
# Quarter index (0 = 2024Q1) of each snapshot date.
SNAPSHOT_QUARTER = [1, 3, 5, 7]


def employer_pool(seed: int, n: int) -> list[str]:
    """Employers of in-service members: Faker zh_CN companies plus public agencies."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    companies = sorted({fake.company() for _ in range(n)})
    return AGENCIES + companies


def _weighted(rng: np.random.Generator, options: list[str], shares, n: int) -> np.ndarray:
    p = np.asarray(shares, dtype=float)
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=n, p=p / p.sum())]


def _names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    last = list(PersonProvider.last_names.keys())
    last_w = np.array(list(PersonProvider.last_names.values()))
    surnames = np.asarray(last, dtype=object)[rng.choice(len(last), size=len(male), p=last_w / last_w.sum())]
    m_first = np.asarray(PersonProvider.first_names_male, dtype=object)
    f_first = np.asarray(PersonProvider.first_names_female, dtype=object)
    n = len(male)
    first1 = np.where(male, m_first[rng.integers(len(m_first), size=n)], f_first[rng.integers(len(f_first), size=n)])
    first2 = np.where(male, m_first[rng.integers(len(m_first), size=n)], f_first[rng.integers(len(f_first), size=n)])
    # Faker's lists hold one- and two-character given names; compose only single ones.
    single = (np.char.str_len(first1.astype(str)) == 1) & (np.char.str_len(first2.astype(str)) == 1)
    two = (rng.random(n) < 0.7) & single & (first1 != first2)
    return surnames + first1 + np.where(two, first2, "")


def id_numbers(rng: np.random.Generator, area: np.ndarray, birth: np.ndarray, male: np.ndarray) -> np.ndarray:
    """18-character ID numbers: area code, birth date, sequence with gender parity, and
    the GB 11643 check character. `birth` holds datetime64[D] values."""
    n = len(area)
    ymd = pd.DatetimeIndex(birth).strftime("%Y%m%d").to_numpy(dtype=object)
    seq = rng.integers(0, 50, size=n) * 20 + rng.integers(0, 10, size=n) * 2 + np.where(male, 1, 0)
    seq_txt = np.char.zfill((seq % 1000).astype(str), 3)
    first17 = (area.astype(object) + ymd + seq_txt.astype(object)).astype("U17")
    digits = first17.view("U1").reshape(n, 17).astype(np.int8)
    return (first17.astype(object) + check_digits(digits).astype(object)).astype(object)


def _area_codes(rng: np.random.Generator, local: np.ndarray) -> np.ndarray:
    all_codes = np.asarray([c for c in SsnProvider.area_codes if not c.endswith("00")], dtype=object)
    zhejiang = np.asarray([c for c in all_codes if c.startswith("33")], dtype=object)
    u = rng.random(len(local))
    return np.where(
        u < 0.62,
        local,
        np.where(
            u < 0.84,
            zhejiang[rng.integers(len(zhejiang), size=len(local))],
            all_codes[rng.integers(len(all_codes), size=len(local))],
        ),
    )


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    prefixes = np.asarray([str(p) for p in PhoneProvider.phonenumber_prefixes], dtype=object)
    tail = np.char.zfill(rng.integers(0, 10**8, size=n).astype(str), 8).astype(object)
    phones = prefixes[rng.integers(len(prefixes), size=n)] + tail
    return np.where(rng.random(n) < 0.92, phones, None)


def build_members(
    rng: np.random.Generator, grids: pd.DataFrame, members_per_grid: float, employers: list[str]
) -> pd.DataFrame:
    """One row per member ever on a roster in 2024–2025, with latent behaviour columns."""
    hh = grids["households"].to_numpy()
    expected = members_per_grid * hh / hh.mean() * np.exp(0.15 * grids["strength"].to_numpy())
    counts = np.maximum(rng.poisson(expected), 3)
    g = np.repeat(np.arange(len(grids)), counts)
    n = len(g)
    mtype = _weighted(rng, MEMBER_TYPES, MEMBER_TYPE_SHARES, n)
    lo = np.array([AGE_RANGE[t][0] for t in mtype])
    hi = np.array([AGE_RANGE[t][1] for t in mtype])
    age = lo + (hi - lo + 1) * rng.beta(1.3, 1.6, n)
    birth = (np.datetime64("2025-12-31") - (age * 365.25).astype("timedelta64[D]")).astype("datetime64[D]")
    male = rng.random(n) < np.where(age > 60, 0.72, 0.6)
    ids = id_numbers(rng, _area_codes(rng, grids["district_code"].to_numpy(dtype=object)[g]), birth, male)
    # Re-draw the (rare) duplicates so every ID is one person.
    while True:
        dup = pd.Series(ids).duplicated().to_numpy()
        if not dup.any():
            break
        ids[dup] = id_numbers(rng, np.asarray(ids[dup]).astype("U6").astype(object), birth[dup], male[dup])

    # Tenure in quarters [start_q, end_q): most span all 8; some join later as 预备党员,
    # some transfer out or die. Everyone is on at least one roster snapshot.
    joins_late = rng.random(n) < 0.07
    start_q = np.where(joins_late, rng.integers(1, 8, size=n), 0)
    leaves = (rng.random(n) < 0.05) & ~joins_late
    end_q = np.where(leaves, rng.integers(2, 8, size=n), 8)
    age_join = np.clip(rng.normal(27, 6, n), 18, np.maximum(age - 2.2, 18))
    join = birth + (age_join * 365.25).astype("timedelta64[D]")
    late_join_day = np.datetime64("2024-01-01") + (start_q * 91.3 + rng.uniform(0, 80, n)).astype("timedelta64[D]")
    join = np.where(joins_late, late_join_day.astype("datetime64[D]"), join).astype("datetime64[D]")
    young = age < 55
    edu = np.where(
        young,
        _weighted(rng, EDUCATION_YOUNG, EDUCATION_YOUNG_SHARES, n),
        _weighted(rng, EDUCATION_OLD, EDUCATION_OLD_SHARES, n),
    )
    emp = np.asarray(employers, dtype=object)[rng.integers(len(employers), size=n)]
    employer = np.where(
        mtype == "在职报到党员", emp, np.where((mtype == "流动党员") & (rng.random(n) < 0.6), emp, None)
    )
    status = _weighted(rng, STATUSES, STATUS_SHARES, n)
    strength = grids["strength"].to_numpy()[g]
    type_shift = np.array([TYPE_ACTIVITY[t] for t in mtype])
    never_shift = np.array([TYPE_NEVER_ACTIVE[t] for t in mtype])
    p_never = 0.1 + 0.9 / (1 + np.exp(-(-1.3 - 0.9 * strength + never_shift)))
    never = (rng.random(n) < p_never) | (status != "正常")
    log_propensity = 0.75 * rng.standard_normal(n) + type_shift
    return pd.DataFrame(
        {
            "grid": g,
            "name": _names(rng, male),
            "id_number": ids,
            "gender": np.where(male, "男", "女"),
            "ethnicity": _weighted(rng, ETHNICITIES, ETHNICITY_SHARES, n),
            "birth_date": birth,
            "education": edu,
            "join_date": join,
            "member_type": mtype,
            "employer": employer,
            "phone": _phones(rng, n),
            "status": status,
            "lost_contact": np.where((mtype == "流动党员") & (rng.random(n) < 0.04), "是", "否"),
            "start_q": start_q,
            "end_q": end_q,
            "never_active": never,
            "log_propensity": log_propensity,
        }
    )


def on_snapshot(members: pd.DataFrame, k: int) -> np.ndarray:
    """Mask of members on roster snapshot k (joined by, and not left before, its date)."""
    q = SNAPSHOT_QUARTER[k]
    joined = members["join_date"].to_numpy() <= np.datetime64(SNAPSHOT_DATES[k])
    return joined & (members["start_q"].to_numpy() <= q) & (members["end_q"].to_numpy() > q)
