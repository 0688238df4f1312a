"""The synthetic city: a complete, realistic set of raw exports for 2024Q1–2025Q4.

`generate()` writes every kind of the data contract into a folder, deterministically for
a seed, plus `_generator/` (not data: the fault manifest, the latent truth per grid and a
summary) that tests use to check the loader and the indices.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.synth import behaviour, calendar, exports, geography, orgs, people, records, reporting, tasks, writers
from pipelines.synth.faults import Injector
from pipelines.synth.scales import QUARTERS, SCALES

GENERATOR_DIR = "_generator"
MANIFEST = f"{GENERATOR_DIR}/faults.csv"
TRUTH = f"{GENERATOR_DIR}/grid_truth.csv"
SUMMARY = f"{GENERATOR_DIR}/summary.json"


def generator_digest() -> str:
    """A digest of the generator's source: a cache of generated data (the benchmark's) is
    stale when it differs."""
    h = hashlib.sha256()
    for f in sorted(Path(__file__).resolve().parent.glob("*.py")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def generate(scale: str, seed: int, out: Path, dirty_rate: float | None = None, log=print) -> dict:
    """Write the raw exports of `scale` into `out` (replacing what a previous run wrote)."""
    started = time.perf_counter()
    sc = SCALES[scale]
    rate = sc.default_dirty_rate if dirty_rate is None else dirty_rate
    out = Path(out)
    for sub in ("党员花名册", "服务记录", "群众诉求", "组织生活", "任务清单", GENERATOR_DIR):
        shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    # Streams 8 and 9 (双报到, task lists) were added later: spawning more children leaves
    # the first eight as they were.
    streams = np.random.SeedSequence(seed).spawn(10)
    rng = [np.random.default_rng(s) for s in streams[:6]]
    quarter_rngs = [np.random.default_rng(s) for s in streams[6].spawn(behaviour.N_QUARTERS)]

    grids = behaviour.assign_strength(rng[1], geography.build_tree(rng[0], sc))
    strength_q = behaviour.strength_by_quarter(rng[1], grids)
    employers = people.employer_pool(seed, max(40, len(grids) // 4))
    members = people.build_members(rng[2], grids, sc.members_per_grid, employers)
    rng_reporting = np.random.default_rng(streams[8])
    units = reporting.units(rng_reporting, grids, people.employer_pool(seed, len(grids))[len(people.AGENCIES) :])
    members = reporting.link_members(rng_reporting, members, grids, units)
    reporting_orgs = units[units["is_unit"]]
    org_table = orgs.build_orgs(
        rng[3], grids, list(zip(reporting_orgs["org_id"], reporting_orgs["org_name"], strict=True))
    )
    log(
        f"{scale}: {grids['district'].nunique()} 区县, {grids['street_key'].nunique()} 街道, "
        f"{grids['community_key'].nunique()} 社区, {len(grids):,} 网格, {len(members):,} 党员"
    )
    inj = Injector(np.random.default_rng(streams[7]), rate, set(grids["grid_id"]), set(members["id_number"]))
    counts = {
        "grids": len(grids),
        "orgs": len(org_table),
        "members": len(members),
        "reporting_orgs": len(reporting_orgs),
        "reporting_links": int(members["reporting_org_id"].notna().sum()),
    }

    with writers.BackgroundWriter() as xlsx:
        files = [exports.grids_csv(grids, inj, out), "网格边界.geojson"]
        writers.write_geojson(geography.feature_collection(grids), out / files[1])
        files.append(exports.orgs_csv(org_table, inj, out))
        files += exports.roster_files(members, grids, org_table, inj, out, xlsx)

        day_w = calendar.service_day_weights()
        rates = records.member_quarter_rates(rng[4], members, strength_q, sc.services_per_member_quarter, day_w)
        counts["services"] = 0
        seq = 1
        for half in range(4):
            if half % 2 == 0:
                seq = 1  # record numbers run per year
            svc = pd.concat(
                [
                    records.services_for_quarter(quarter_rngs[q], q, members, grids, rates, strength_q, day_w)
                    for q in (2 * half, 2 * half + 1)
                ],
                ignore_index=True,
            )
            files.append(exports.services_file(half, svc, members, grids, seq, inj, out))
            seq += len(svc)
            counts["services"] += len(svc)
            log(f"  服务记录 {exports.HALF_LABEL[half]}: {len(svc):,}")
            del svc

        dem = records.demands(rng[5], members, grids, strength_q, sc.demands_per_grid_quarter, rates)
        dem["claimed_org"] = reporting.claiming_orgs(rng_reporting, dem, members, grids, records.DEMAND_CATEGORIES)
        counts["demands_claimed_by_org"] = int(dem["claimed_org"].notna().sum())
        for half in range(4):
            files.append(exports.demands_file(half, dem[dem["quarter"] // 2 == half], members, grids, inj, out))
        counts["demands"] = len(dem)
        del dem

        mt = records.meetings(rng[5], org_table, grids, members, strength_q)
        mt_district = grids["district"].to_numpy()[mt["grid"].to_numpy()]
        for district in pd.unique(grids["district"]):
            for year in (2024, 2025):
                sel = mt[(mt_district == district) & (mt["q"] // 4 == year - 2024)]
                files.append(exports.meetings_file(district, year, sel, org_table, inj, out, xlsx))
        counts["meetings"] = len(mt)

        tk = tasks.tasks(np.random.default_rng(streams[9]), org_table, grids, strength_q)
        tk_district = grids["district"].to_numpy()[tk["grid"].to_numpy()]
        for district in pd.unique(grids["district"]):
            for year in (2024, 2025):
                sel = tk[(tk_district == district) & (tk["q"] // 4 == year - 2024)]
                files.append(exports.tasks_file(district, year, sel, org_table, inj, out, xlsx))
        counts["tasks"] = len(tk)

    gen = out / GENERATOR_DIR
    gen.mkdir(exist_ok=True)
    pd.DataFrame(inj.manifest, columns=["file", "row", "kind", "column", "fault", "value"]).to_csv(
        out / MANIFEST, index=False
    )
    truth = grids[["grid_id", "grid_type", "households", "strength", "trend", "slope"]].copy()
    for q, label in enumerate(QUARTERS):
        truth[f"strength_{label}"] = strength_q[:, q]
    truth.to_csv(out / TRUTH, index=False)
    summary = {
        "scale": scale,
        "seed": seed,
        "dirty_rate": rate,
        "quarters": QUARTERS,
        "counts": counts,
        "faults": len(inj.manifest),
        "files": files,
        "generator": generator_digest(),
    }
    (out / SUMMARY).write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    log(f"  {len(files)} files, {len(inj.manifest):,} injected faults, {time.perf_counter() - started:.1f} s")
    return summary
