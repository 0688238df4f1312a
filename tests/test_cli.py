import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines", *args], cwd=ROOT, capture_output=True, text=True)


def test_synth_command_writes_a_city(tmp_path):
    out = tmp_path / "demo"
    result = _run("synth", "--scale", "small", "--seed", "5", "--out", str(out), "--dirty-rate", "0")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "_generator/summary.json").read_text(encoding="utf-8"))
    assert summary["seed"] == 5 and summary["dirty_rate"] == 0 and summary["faults"] == 0
    assert all((out / f).exists() for f in summary["files"])
    assert "网格" in result.stdout


def test_synth_rejects_bad_arguments(tmp_path):
    assert _run("synth", "--scale", "planet", "--out", str(tmp_path)).returncode != 0
    bad_rate = _run("synth", "--out", str(tmp_path), "--dirty-rate", "0.5")
    assert bad_rate.returncode != 0 and "dirty-rate" in bad_rate.stderr
    assert not (tmp_path / "_generator").exists()


def test_rerun_replaces_previous_output(tmp_path):
    out = tmp_path / "demo"
    assert _run("synth", "--seed", "1", "--out", str(out)).returncode == 0
    stale = out / "服务记录" / "old.csv"
    stale.write_text("x")
    assert _run("synth", "--seed", "1", "--out", str(out)).returncode == 0
    assert not stale.exists()


def test_scale_names_match_the_generator():
    from pipelines.cli import SCALE_NAMES
    from pipelines.synth.scales import SCALES

    assert set(SCALE_NAMES) == set(SCALES)
