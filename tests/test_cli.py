import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.city  # generates a small city itself
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


@pytest.mark.city  # generates a small city itself
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


def test_bench_is_not_a_pipelines_command():
    """The benchmark left the product: `python -m bench`, not `python -m pipelines bench`."""
    result = _run("bench", "--help")
    assert result.returncode != 0 and "invalid choice" in result.stderr


def test_bench_runs_as_its_own_package():
    result = subprocess.run([sys.executable, "-m", "bench", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "--scale" in result.stdout and "--what" in result.stdout
    from bench.__main__ import build_parser
    from pipelines.cli import SCALE_NAMES

    parser = build_parser()
    args = parser.parse_args([])
    assert (args.scale, args.seed, args.what) == ("city", 1, "load")  # `make bench`'s defaults, as before
    assert parser.parse_args(["--what", "synth", "--scale", "small"]).what == "synth"
    assert next(a.choices for a in parser._actions if a.dest == "scale") == SCALE_NAMES


def test_bench_modules_import_and_name_modules_that_exist():
    """Every `-m MODULE` the benchmark starts as a child process (baseline, one page) exists."""
    import importlib.util
    import re

    import bench.baseline
    import bench.pages
    import bench.run

    assert callable(bench.run.main) and callable(bench.pages.bench_pages) and callable(bench.baseline.main)
    started = {
        m for f in (ROOT / "bench").glob("*.py") for m in re.findall(r'"-m", "([\w.]+)"', f.read_text(encoding="utf-8"))
    }
    assert {"bench.baseline", "bench.pages", "pipelines"} <= started
    assert all(importlib.util.find_spec(m) for m in started), started


def test_compute_baseline_reads_every_table_the_engine_reads(published_demo):
    """The compute bench's baseline scans each warehouse table the index SQL reads from, and runs
    on a loaded warehouse (round one's baseline read the services alone)."""
    import re

    from bench import compute_baseline

    indices = ROOT / "pipelines" / "sql" / "indices"
    engine_sql = "\n".join(f.read_text(encoding="utf-8") for f in indices.glob("*.sql"))
    facts = {"services", "demands", "meetings", "tasks", "members"}
    read_by_engine = {t for t in facts if re.search(rf"\b(FROM|JOIN)\s+{t}\b", engine_sql)}
    scanned = {re.search(r"FROM (\w+)", q).group(1) for q in compute_baseline.ENGINE_READING}
    assert facts - {"tasks"} <= read_by_engine and "{tasks}" in engine_sql  # the task list is a template slot
    assert scanned == facts
    compute_baseline.main([str(published_demo)])  # binds every column on a real warehouse


def test_load_baseline_reads_every_file_as_text_with_fastexcel(tmp_path, monkeypatch):
    """The loader bench's baseline (the fastest plain read): a GBK CSV and a workbook with a title
    row land as tables of text, every line and row of them; no cell passes through Python
    (fastexcel hands Arrow to DuckDB); the incremental baseline copies the database first."""
    import duckdb
    import python_calamine
    import xlsxwriter

    from bench import baseline, copy_and_read

    data = tmp_path / "exports"
    data.mkdir()
    (data / "grids.csv").write_bytes("网格编码,户数\nG001,５９５\nG002,300\n".encode("gbk"))
    wb = xlsxwriter.Workbook(str(data / "m.xlsx"))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["三会一课记录"])
    ws.write_row(1, 0, ["会议编号", "应到人数"])
    ws.write_row(2, 0, ["M1", 20])
    wb.close()
    monkeypatch.setattr(python_calamine, "CalamineWorkbook", None)  # the cell-by-cell reader is not used
    baseline.main(data, tmp_path / "b.duckdb")
    with duckdb.connect(str(tmp_path / "b.duckdb"), read_only=True) as con:
        tables = {t: con.execute(f"SELECT * FROM {t}").fetchall() for (t,) in con.execute("SHOW TABLES").fetchall()}
        types = {r[0] for r in con.execute("SELECT data_type FROM duckdb_columns() WHERE NOT internal").fetchall()}
    assert sorted(tables.values()) == [
        [("G001", "５９５"), ("G002", "300")],
        [("三会一课记录", None), ("会议编号", "应到人数"), ("M1", "20")],
    ]
    assert types == {"VARCHAR"}
    copy_and_read.main(tmp_path / "b.duckdb", tmp_path / "c.duckdb", [data / "grids.csv"])
    with duckdb.connect(str(tmp_path / "c.duckdb"), read_only=True) as con:
        assert len(con.execute("SHOW TABLES").fetchall()) == len(tables) + 1


def test_a_load_parses_its_arguments_without_the_other_commands_modules():
    """`load` (and synth, compute, export) build only this module's parsers: the access,
    evaluation and report modules are imported for their own commands, and every command is
    still listed and reachable."""
    probe = (
        "import sys; from pipelines.cli import build_parser; "
        "build_parser('load').parse_args(['load', 'x.csv']); "
        "print(sorted(m for m in sys.modules if m.startswith(('pipelines.access', 'pipelines.evaluation', "
        "'pipelines.report'))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    listing = _run("--help")
    assert listing.returncode == 0
    assert all(c in listing.stdout for c in ("load", "users", "audit", "adjust", "review", "report", "objection"))
    assert _run("users", "--help").returncode == 0
    typo = _run("lod")
    assert typo.returncode != 0 and "review" in typo.stderr  # the choices named in full
