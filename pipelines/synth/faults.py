"""Injecting the kinds of bad rows the data contract names, with a manifest.

Every fault is one row with one problem, placed so it cannot cascade: roster faults hit
members who are on every snapshot (so their services still find them), and faults in the
grid and org registries are extra rows nothing refers to. The manifest records file, row
(as a user sees it, counting title and header rows), kind, column, fault and value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.idnumber import check_digit


@dataclass
class Fault:
    """A fault kind: the column it corrupts and how (frame, row positions) -> new values."""

    name: str
    column: str
    corrupt: Callable[[pd.DataFrame, np.ndarray], list]
    eligible: Callable[[pd.DataFrame], np.ndarray] | None = None  # mask of rows it may hit


@dataclass
class Injector:
    rng: np.random.Generator
    rate: float
    known_grids: set[str]
    known_ids: set[str]
    manifest: list[dict] = field(default_factory=list)

    def count(self, n_rows: int) -> int:
        return 0 if self.rate <= 0 or n_rows == 0 else max(1, round(self.rate * n_rows))

    def apply(
        self,
        frame: pd.DataFrame,
        faults: list[Fault],
        duplicates: bool,
        file: str,
        kind: str,
        first_row: int,
        protect: np.ndarray | None = None,
        preset: dict[int, tuple[str, str, str]] | None = None,
    ) -> pd.DataFrame:
        """Corrupt rows of `frame` in place and return it with duplicate rows inserted.

        first_row: the row number (as a user sees it) of the frame's first data row.
        protect: mask of rows that must stay intact.
        preset: rows the caller already made bad, {position: (fault, column, value)}: recorded
        in the manifest and left alone.
        """
        n = len(frame)
        taken = np.zeros(n, bool) if protect is None else protect.copy()
        marks: dict[int, tuple[str, str, str]] = dict(preset or {})
        taken[list(marks)] = True
        for fault in faults:
            ok = ~taken if fault.eligible is None else (~taken & fault.eligible(frame))
            pool = np.flatnonzero(ok)
            k = min(self.count(n), len(pool))
            rows = np.sort(self.rng.choice(pool, size=k, replace=False)) if k else np.empty(0, int)
            if not k:
                continue
            values = fault.corrupt(frame, rows)
            column = frame[fault.column].to_numpy(dtype=object, copy=True)
            column[rows] = values
            # object dtype: a corrupted cell may be of another type (a float ID from Excel)
            frame[fault.column] = pd.Series(column, index=frame.index, dtype=object)
            marks.update({int(r): (fault.name, fault.column, str(v)) for r, v in zip(rows, values, strict=True)})
            taken[rows] = True
        order = np.arange(n)
        if duplicates and self.count(n):
            pool = np.flatnonzero(~taken)
            dup = np.sort(self.rng.choice(pool, size=min(self.count(n), len(pool)), replace=False))
            order = np.sort(np.concatenate([order, dup]), kind="stable")  # copy right after its original
        out = frame.iloc[order].reset_index(drop=True)
        seen: set[int] = set()
        for pos, src in enumerate(order):
            row = first_row + pos
            if src in seen:
                self.manifest.append(
                    {
                        "file": file,
                        "row": row,
                        "kind": kind,
                        "column": "",
                        "fault": "duplicate_row",
                        "value": f"{row - 1}",
                    }
                )
            elif src in marks:
                name, column, value = marks[src]
                self.manifest.append(
                    {"file": file, "row": row, "kind": kind, "column": column, "fault": name, "value": value}
                )
            seen.add(src)
        return out

    def extra_bad_rows(
        self, frame: pd.DataFrame, candidates: pd.DataFrame, rekey, fault: Fault, file: str, kind: str
    ) -> pd.DataFrame:
        """Registry faults: append copies of some `candidates` rows, given new keys by
        `rekey(extra)` so nothing refers to them, and corrupt only those with `fault`."""
        k = min(self.count(len(frame)), len(candidates))
        extra = candidates.iloc[np.sort(self.rng.choice(len(candidates), size=k, replace=False))].copy()
        rekey(extra)
        frame = pd.concat([frame, extra], ignore_index=True)
        bad = np.arange(len(frame)) >= len(frame) - k
        fault.eligible = lambda f: bad
        return self.apply(frame, [fault], False, file, kind, 2, protect=~bad)

    # Values for corruptions.
    def unknown_grid(self, n: int) -> list[str]:
        out = []
        while len(out) < n:
            district, street, grid = self.rng.integers(0, 100), self.rng.integers(0, 100), self.rng.integers(0, 1000)
            code = f"3301{district:02d}9{street:02d}999{grid:03d}"  # community 999 exists nowhere
            if code not in self.known_grids:
                out.append(code)
        return out

    def unknown_orgs(self, n: int) -> list[str]:
        """Reporting-unit codes no org has (units are numbered BD000001 upwards)."""
        return [f"BD9{k:05d}" for k in self.rng.integers(0, 100_000, n)]

    def unknown_ids(self, n: int) -> list[str]:
        out = []
        while len(out) < n:
            birth = f"{self.rng.integers(1950, 2000)}{self.rng.integers(1, 13):02d}{self.rng.integers(1, 29):02d}"
            first17 = f"3301{self.rng.integers(1, 100):02d}{birth}{self.rng.integers(0, 1000):03d}"
            candidate = first17 + check_digit(first17)
            if candidate not in self.known_ids:
                out.append(candidate)
        return out


def bad_check_digit(ids) -> list[str]:
    """Same ID with a wrong 18th character."""
    out = []
    for i in ids:
        right = check_digit(i[:17])
        wrong = "0123456789X"[("0123456789X".index(right) + 3) % 11]
        out.append(i[:17] + wrong)
    return out


def excel_mangled_text(ids) -> list[str]:
    """What a CSV saved from Excel shows for an ID read as a number: 3.30110E+17."""
    return [f"{float(i):.5E}" for i in ids]


def excel_mangled_number(ids) -> list[float]:
    """What an xlsx cell holds after Excel took an ID as a number: 15 significant digits."""
    return [float(i[:15] + "000") for i in ids]
