"""How the benchmark measures: the machine, a command's wall time and peak memory, and the
section of docs/benchmarks.md a result is written to."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import threading
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


def run_measured(
    cmd: list[str], quiet: bool = False, env: dict[str, str] | None = None, stderr: Path | None = None
) -> tuple[float, float, float]:
    """(wall seconds, peak RSS of the largest process, peak RSS summed over the process
    tree) for a command. Memory is sampled every 0.05 s beside it; the wall time is taken
    when the process ends, not at the next sample (runs of a second need that precision).
    env: variables added to this process's; stderr: a file the command's standard error goes to."""
    err = stderr.open("w", encoding="utf-8") if stderr else None
    started = time.perf_counter()
    proc = psutil.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.DEVNULL if quiet else None,
        stderr=err,
        env={**os.environ, **env} if env else None,
    )
    peaks = [0, 0]  # largest process, tree
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                procs = [proc, *proc.children(recursive=True)]
                rss = [p.memory_info().rss for p in procs if p.is_running()]
                peaks[0], peaks[1] = max(peaks[0], *rss), max(peaks[1], sum(rss))
            except (psutil.Error, ValueError):
                pass
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    proc.wait()
    wall = time.perf_counter() - started
    if err:
        err.close()
    done.set()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"benchmarked command failed ({proc.returncode}): {' '.join(cmd)}")
    return wall, peaks[0], peaks[1]


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
