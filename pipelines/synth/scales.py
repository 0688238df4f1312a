"""Size parameters of the three synthetic scales.

Targets (approximate, over 8 quarters) are those of issue #2: small ≈ 60 grids / 3,000
members / 60,000 services / 6,000 demands / 5,000 meetings; city ≈ 1,000 / 60,000 /
2,000,000 / 200,000 / 100,000; province ≈ 20,000 / 1,000,000 / 20,000,000 / 3,000,000 /
2,000,000.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    districts: int
    streets_per_district: tuple[int, int]  # inclusive range
    communities_per_street: tuple[int, int]
    grids_per_community: tuple[int, int]
    members_per_grid: float
    services_per_member_quarter: float  # mean over all members, before seasonality
    demands_per_grid_quarter: float
    radius_km: float  # of the whole area around the city centre
    default_dirty_rate: float


SCALES: dict[str, Scale] = {
    "small": Scale("small", 1, (2, 2), (3, 3), (8, 12), 50, 3.0, 12.5, 4.0, 0.002),
    "city": Scale("city", 6, (6, 9), (4, 6), (3, 6), 60, 4.2, 25.0, 22.0, 0.0),
    "province": Scale("province", 20, (12, 18), (10, 14), (4, 7), 50, 2.5, 18.75, 60.0, 0.0),
}

QUARTERS = [f"{y}Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)]
