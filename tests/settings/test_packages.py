"""The product's packages and what they stand on: `pipelines` imports neither `dashboard` nor
`bench`, the product imports no development-only package, and every runtime requirement is
something the product runs on."""

from __future__ import annotations

import ast
import functools
import importlib.metadata as metadata
import re
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("pipelines", "dashboard")
# The one optional extra the product uses: st.login (OIDC sign-in) needs streamlit[auth] (Authlib).
EXTRAS = {"streamlit": {"auth"}, "pyspark": {"connect"}}  # st.login; compute --remote (Spark Connect)


def imported_roots(package: str) -> dict[str, set[str]]:
    """Top-level module → the files of `package` that import it (at any depth, lazily or not)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_pipelines_imports_neither_the_dashboard_nor_the_benchmark():
    roots = imported_roots("pipelines")
    assert not roots.get("dashboard"), sorted(roots["dashboard"])
    assert not roots.get("bench"), sorted(roots["bench"])
    assert not list((ROOT / "pipelines").rglob("bench*")), "benchmark code belongs in bench/"


def test_the_dashboard_does_not_import_the_benchmark():
    assert not imported_roots("dashboard").get("bench")


def _requirements(name: str) -> set[str]:
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    return {Requirement(line).name.lower() for line in lines if line.strip() and not line.startswith(("#", "-r"))}


@functools.cache
def _packages_distributions() -> dict[str, list[str]]:
    return metadata.packages_distributions()  # a scan of the whole venv: once, not once per module


def _distributions_of(modules: set[str]) -> set[str]:
    by_module = _packages_distributions()
    return {d.lower() for m in modules for d in by_module.get(m, [])}


def test_the_product_imports_no_development_only_package():
    dev_only = _requirements("requirements-dev.txt") - _requirements("requirements.txt")
    assert "psutil" in dev_only  # the benchmark's alone
    used = {m: files for p in PRODUCT for m, files in imported_roots(p).items()}
    offending = {m: sorted(files) for m, files in used.items() if _distributions_of({m}) & dev_only}
    assert not offending, offending


def _closure(names: set[str]) -> set[str]:
    """The distributions and everything they require (with the extras the product uses)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            specs = metadata.requires(name) or []
        except metadata.PackageNotFoundError:  # not installed: nothing below it to count
            continue
        for spec in specs:
            req = Requirement(spec)
            extras = {""} | EXTRAS.get(name, set())
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in extras):
                todo.append(re.sub(r"[-_.]+", "-", req.name).lower())
    return seen


def test_every_runtime_requirement_is_used_by_the_product():
    modules = {m for p in PRODUCT for m in imported_roots(p)}
    used = _closure(_distributions_of(modules))
    unused = {r for r in _requirements("requirements.txt") if re.sub(r"[-_.]+", "-", r) not in used}
    assert not unused, f"in requirements.txt, but the product neither imports nor needs them: {unused}"
