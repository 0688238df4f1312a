"""`python -m pipelines bench`: time and memory of the heavy steps, written to
docs/benchmarks.md with the machine they ran on.

Today it measures synthetic-data generation (issue #2's targets: city in about a minute
on 2 cores; province with bounded memory). The loader benchmark joins it in issue #3.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        m = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = m.group(1).strip() if m else cpu
    mem = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}, {platform.system()}"


def run_measured(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds, peak RSS of the largest process, peak RSS summed over the process
    tree) for a command, sampling the tree every 0.2 s."""
    started = time.perf_counter()
    proc = psutil.Popen(cmd, cwd=ROOT)
    peak_tree = 0
    while proc.poll() is None:
        try:
            procs = [proc, *proc.children(recursive=True)]
            peak_tree = max(peak_tree, sum(p.memory_info().rss for p in procs if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"benchmarked command failed ({proc.returncode}): {' '.join(cmd)}")
    import resource

    peak_one = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # kB on Linux
    return wall, peak_one, peak_tree


def update_section(doc: Path, key: str, body: str) -> None:
    """Replace (or append) the section between <!-- key --> markers."""
    start, end = f"<!-- {key} -->", f"<!-- /{key} -->"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n\nWritten by `make bench`.\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")


def bench_synth(scale: str, seed: int) -> dict:
    out = ROOT / "data" / "bench" / f"synth-{scale}"
    shutil.rmtree(out, ignore_errors=True)
    wall, peak_one, peak_tree = run_measured(
        [sys.executable, "-m", "pipelines", "synth", "--scale", scale, "--seed", str(seed), "--out", str(out)]
    )
    summary = json.loads((out / "_generator" / "summary.json").read_text(encoding="utf-8"))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    result = {
        "scale": scale,
        "wall_s": wall,
        "peak_rss_gb": peak_one / 1e9,
        "peak_tree_rss_gb": peak_tree / 1e9,
        "output_gb": size / 1e9,
        "counts": summary["counts"],
    }
    c = summary["counts"]
    body = f"""## Synthetic data generation — `{scale}`

Measured {dt.date.today().isoformat()} on {machine()}.
`python -m pipelines synth --scale {scale} --seed {seed}` (xlsx written by 2 worker processes).

| measure | value |
|---|---|
| wall time | {wall:,.1f} s |
| peak RSS, largest process | {peak_one / 1e9:,.2f} GB |
| peak RSS, whole process tree (sampled) | {peak_tree / 1e9:,.2f} GB |
| output | {size / 1e9:,.2f} GB in {len(summary["files"])} files |
| grids / members | {c["grids"]:,} / {c["members"]:,} |
| services / demands / meetings | {c["services"]:,} / {c["demands"]:,} / {c["meetings"]:,} |
"""
    update_section(DOC, f"synth-{scale}", body)
    return result


def main(scale: str, seed: int = 1) -> int:
    result = bench_synth(scale, seed)
    print(
        f"synth {scale}: {result['wall_s']:.1f} s, peak RSS {result['peak_rss_gb']:.2f} GB "
        f"(tree {result['peak_tree_rss_gb']:.2f} GB), {result['output_gb']:.2f} GB written"
    )
    print(f"written to {DOC.relative_to(ROOT)}")
    return 0
