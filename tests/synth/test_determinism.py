import hashlib
from pathlib import Path

from pipelines.synth import generate


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(tmp_path, small_default):
    again = tmp_path / "again"
    generate("small", 42, again, None, log=lambda *a: None)
    assert _digest(again) == _digest(small_default)


def test_other_seed_other_data(tmp_path, small_default):
    other = tmp_path / "other"
    generate("small", 43, other, None, log=lambda *a: None)
    a, b = _digest(other), _digest(small_default)
    assert a.keys() == b.keys()
    assert all(a[k] != b[k] for k in a if not k.endswith("summary.json"))
