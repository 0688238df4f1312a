"""Chinese names for districts, streets, communities and grids around Hangzhou.

Real district names (with their administrative codes, which also seed members' ID
numbers) come first; streets, communities and estates are composed from syllables that
Hangzhou place names use, unique within their parent as the data contract requires.
"""

from __future__ import annotations

import numpy as np

CITY_NAME = "杭州市"
# Longitude/latitude of the city centre (Wulin Square), WGS-84.
CITY_CENTRE = (120.1650, 30.2740)

# (name, administrative code). Small uses the first, city the first six, province all.
DISTRICTS = [
    ("西湖区", "330106"),
    ("上城区", "330102"),
    ("拱墅区", "330105"),
    ("滨江区", "330108"),
    ("萧山区", "330109"),
    ("余杭区", "330110"),
    ("临平区", "330113"),
    ("钱塘区", "330114"),
    ("富阳区", "330111"),
    ("临安区", "330112"),
    ("桐庐县", "330122"),
    ("淳安县", "330127"),
    ("建德市", "330182"),
    ("海曙区", "330203"),
    ("江北区", "330205"),
    ("北仑区", "330206"),
    ("镇海区", "330211"),
    ("鄞州区", "330212"),
    ("奉化区", "330213"),
    ("越城区", "330602"),
]

REAL_STREETS = [
    "北山",
    "西溪",
    "翠苑",
    "古荡",
    "文新",
    "留下",
    "转塘",
    "蒋村",
    "灵隐",
    "三墩",
    "双浦",
    "东新",
    "湖墅",
    "米市巷",
    "朝晖",
    "潮鸣",
    "闸弄口",
    "四季青",
    "采荷",
    "望江",
    "南星",
    "紫阳",
    "清波",
    "小营",
    "湖滨",
    "长庆",
    "武林",
    "天水",
    "石桥",
    "康桥",
    "半山",
    "祥符",
    "上塘",
    "大关",
    "拱宸桥",
    "和睦",
    "小河",
    "宁围",
    "新塘",
    "北干",
    "城厢",
    "蜀山",
    "闻堰",
    "浦阳",
    "临浦",
    "瓜沥",
    "靖江",
    "南阳",
    "义蓬",
    "良渚",
    "仓前",
    "五常",
    "闲林",
    "中泰",
    "仁和",
    "瓶窑",
    "径山",
    "黄湖",
    "百丈",
    "乔司",
    "星桥",
    "东湖",
    "南苑",
    "崇贤",
    "塘栖",
    "运河",
    "长河",
    "西兴",
    "浦沿",
    "白杨",
    "下沙",
    "河庄",
    "义桥",
    "新街",
    "益农",
    "党湾",
]
_FIRST = list("东西南北新长康和安宁文明华兴永丰金翠景春云湖山江桥塘溪湾港嘉德福瑞龙凤桂兰梅竹松柏青秀")
_SECOND = list("苑城湖山塘桥溪河园林港湾坊里庄浦亭阁门洲源坞桥岭田桥泉")
_ESTATE_SUFFIX = {
    "老旧小区": ["新村", "里", "坊", "小区"],
    "商品房小区": ["花园", "府", "苑", "家园", "公寓", "名邸"],
    "村改居": ["村", "家园", "社区安置房"],
    "商圈楼宇": ["大厦", "广场", "中心", "商务楼"],
}
_CN_DIGITS = "一二三四五六七八九"


def _two_char_pool(rng: np.random.Generator) -> list[str]:
    pool = [a + b for a in _FIRST for b in _SECOND if a != b]
    rng.shuffle(pool)
    return pool


def street_names(rng: np.random.Generator, n: int) -> list[str]:
    """n distinct street names ending in 街道 (real ones first)."""
    base = list(REAL_STREETS)
    rng.shuffle(base)
    extra = [s for s in _two_char_pool(rng) if s not in base]
    return [s + "街道" for s in (base + extra)[:n]]


def community_names(rng: np.random.Generator, n: int, used: set[str]) -> list[str]:
    """n community names ending in 社区, distinct from each other and from `used`."""
    out: list[str] = []
    for s in _two_char_pool(rng):
        for variant in (s, s + "一区", s + "二区"):
            name = variant + "社区"
            if name not in used:
                used.add(name)
                out.append(name)
                break
        if len(out) == n:
            return out
    raise ValueError("community name pool exhausted")


def estate_name(rng: np.random.Generator, grid_type: str, used: set[str]) -> str:
    """A grid name after its main estate, e.g. 嘉湖花园网格, unique within `used`."""
    suffixes = _ESTATE_SUFFIX[grid_type]
    for _ in range(50):
        base = _FIRST[rng.integers(len(_FIRST))] + _SECOND[rng.integers(len(_SECOND))]
        name = base + suffixes[rng.integers(len(suffixes))] + "网格"
        if name not in used:
            used.add(name)
            return name
    k = len(used) + 1
    name = f"第{_CN_DIGITS[(k - 1) % 9]}{k}网格"
    used.add(name)
    return name
