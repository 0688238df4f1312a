"""The product's fixed words: the levels units are ranked at, the index codes the marts hold, the
labels the engine writes for the lists and the yellow card, and the meeting types branches hold.

Grades and member tiers are not here: each methodology names its own
(pipelines/engine/methodology.py). The meeting types come from the data contract
(pipelines/config/contract.toml, meetings.meeting_type), the one file that lists them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

# From the smallest unit to the whole city; a scope sees its own level and those before it.
LEVELS = ("grid", "community", "street", "district", "city")

# The three indices the marts hold (one column each in unit_scores), and with the composite the
# four scores every ranking shows, in the order they are shown.
INDICES = ("fortress", "vanguard", "service")
COMPOSITE = "composite"
SCORES = (COMPOSITE, *INDICES)

# What mart_unit_scores.sql writes into unit_scores.list, and the yellow card's name.
RED_LIST = "红榜"
BLACK_LIST = "黑榜"
LISTS = (RED_LIST, BLACK_LIST)
YELLOW_CARD = "黄牌"

# The kinds of adjustment (methodology v1.1): points > 0, < 0 and 0.
BONUS = "加分"
DEDUCTION = "扣分"
VETO = "一票否决"
ADJUSTMENT_KINDS = (BONUS, DEDUCTION, VETO)

CONTRACT = Path(__file__).resolve().parent / "config" / "contract.toml"


def _meeting_types() -> tuple[str, ...]:
    kinds = tomllib.loads(CONTRACT.read_text(encoding="utf-8"))["kinds"]
    return tuple(kinds["meetings"]["columns"]["meeting_type"]["values"])


# The meeting types of the contract's defaults (a user's contract-extra may accept more spellings
# on load; the methodology's required meetings are checked against these).
MEETING_TYPES = _meeting_types()
