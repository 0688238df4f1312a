"""Every `PBI_*` variable is read in pipelines/settings.py and nowhere else, each one is in the
README's table, and relative paths mean the same file from any working directory."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pipelines import settings
from tests.settings.readme_table import row, table

ROOT = Path(__file__).resolve().parents[2]
CODE = ("pipelines", "dashboard", "bench")
SETTINGS_FILE = ROOT / "pipelines" / "settings.py"
NAME = re.compile(r"\bPBI_[A-Z][A-Z0-9_]*")
NAMES = {s.name for s in settings.ALL}


def _sources() -> list[Path]:
    return [p for d in CODE for p in sorted((ROOT / d).rglob("*.py")) if p != SETTINGS_FILE]


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes (they may name a variable: that documents, it does not read)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _names_a_setting(node: ast.AST) -> bool:
    """A key like `settings.DB.name`: writing the variable for a child process is allowed,
    reading it this way would bypass the setting's default and path resolution."""
    return any(isinstance(n, ast.Name) and n.id == "settings" for n in ast.walk(node))


def environment_offences(path: Path, root: Path = ROOT) -> list[str]:
    """Where a module spells a PBI_ name in code, or reads the environment by a setting's name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = _docstrings(tree)
    rel = path.relative_to(root)
    found = []
    for node in ast.walk(tree):
        where = f"{rel}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if NAME.search(node.value):
                found.append(f"{where}: names {NAME.search(node.value).group()} (use pipelines.settings)")
        elif isinstance(node, ast.Subscript) and _is_environ(node.value) and isinstance(node.ctx, ast.Load):
            if _names_a_setting(node.slice):
                found.append(f"{where}: reads os.environ[...] by a setting's name (call its settings function)")
        elif isinstance(node, ast.Call):
            func = node.func
            called = getattr(func, "attr", getattr(func, "id", ""))
            reads = called == "getenv" or (called in ("get", "pop") and _is_environ(getattr(func, "value", None)))
            if reads and node.args and _names_a_setting(node.args[0]):
                found.append(f"{where}: reads the environment by a setting's name (call its settings function)")
    return found


def test_no_module_reads_a_pbi_variable_outside_settings():
    offences = [o for path in _sources() for o in environment_offences(path)]
    assert not offences, "\n".join(offences)


def test_the_check_catches_reads_and_allows_writes(tmp_path):
    """The scanner itself: each way of reading is caught; a docstring and a child's env are not."""
    module = tmp_path / "m.py"
    module.write_text(
        '"""Documents PBI_DB."""\n'
        "import os\n"
        "from pipelines import settings\n"
        'a = os.environ.get("PBI_DB")\n'
        'b = os.getenv("PBI_USERS", "x")\n'
        "c = os.environ[settings.DB.name]\n"
        "d = os.environ.get(settings.AUDIT.name)\n"
        "os.environ[settings.DB.name] = 'x'\n"
        "env = {**os.environ, settings.DB.name: 'x'}\n",
        encoding="utf-8",
    )
    offences = environment_offences(module, tmp_path)
    assert sorted(o.split(":")[1] for o in offences) == ["4", "5", "6", "7"], offences


def test_every_pbi_name_in_code_and_docs_is_a_setting():
    """A name in a comment, docstring or document that no setting has is stale or a typo."""
    files = [*_sources(), ROOT / "README.md", ROOT / "Makefile", ROOT / "data" / "README.md"]
    files += sorted((ROOT / "docs").glob("*.md"))
    unknown = {
        f"{p.relative_to(ROOT)}: {name}"
        for p in files
        if p.exists()
        for name in NAME.findall(p.read_text(encoding="utf-8"))
        if name not in NAMES
    }
    assert not unknown, sorted(unknown)


def _readme_table() -> list[str]:
    """The rows of README's table under '## Settings'."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `PBI_")]


def test_readme_lists_every_setting_and_no_other():
    listed = {line.split("`")[1] for line in _readme_table()}
    assert not NAMES - listed, f"settings missing from README's table: {sorted(NAMES - listed)}"
    assert not listed - NAMES, f"README lists settings that do not exist: {sorted(listed - NAMES)}"


def test_readme_table_says_what_the_module_says():
    """Meaning and default as in pipelines/settings.py, in its order (print it with
    `python -m tests.settings.readme_table`)."""
    assert "\n".join(_readme_table()) == "\n".join(row(s) for s in settings.ALL), table()


def test_settings_are_read_when_asked_not_at_import(monkeypatch):
    monkeypatch.setenv("PBI_SESSION_MINUTES", "5")
    assert settings.session_timeout().total_seconds() == 300
    monkeypatch.setenv("PBI_SESSION_MINUTES", "")  # empty is unset: the default
    assert settings.session_timeout().total_seconds() == 30 * 60
    monkeypatch.setenv("PBI_LOAD_PROFILE", "0")
    assert settings.load_profile() is False
    monkeypatch.setenv("PBI_LOAD_PROFILE", "1")
    assert settings.load_profile() is True


@pytest.mark.parametrize("cwd", ["tmp", "sub", "root"])
def test_relative_paths_resolve_from_the_repository_root(monkeypatch, tmp_path, cwd):
    where = {"tmp": tmp_path, "sub": ROOT / "pipelines" / "config", "root": ROOT}[cwd]
    monkeypatch.chdir(where)
    for s in settings.ALL:
        monkeypatch.delenv(s.name, raising=False)
    assert settings.db_path() == ROOT / "data" / "warehouse" / "pbi.duckdb"
    assert settings.users_path() == ROOT / "data" / "users.json"
    assert settings.audit_path() == ROOT / "data" / "audit" / "audit.duckdb"
    assert settings.raw_dir() == ROOT / "data" / "raw"
    monkeypatch.setenv("PBI_DB", "elsewhere/x.duckdb")
    monkeypatch.setenv("PBI_USERS", str(tmp_path / "u.json"))  # absolute: taken as it is
    assert settings.db_path() == ROOT / "elsewhere" / "x.duckdb"
    assert settings.users_path() == tmp_path / "u.json"


def test_the_access_modules_and_the_dashboard_use_the_settings(monkeypatch, tmp_path):
    from dashboard import data
    from pipelines.access import audit, users

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PBI_DB", "w/db.duckdb")
    monkeypatch.setenv("PBI_USERS", "w/u.json")
    monkeypatch.setenv("PBI_AUDIT", "w/a.duckdb")
    assert data.db_path() == ROOT / "w" / "db.duckdb"
    assert users.users_path() == ROOT / "w" / "u.json"
    assert audit.audit_path() == ROOT / "w" / "a.duckdb"
