"""The README's settings table as pipelines/settings.py defines it (tests compare the two)."""

from __future__ import annotations

from pipelines import settings

HEADER = "| environment variable | meaning | default |\n|---|---|---|"


def row(s: settings.Setting) -> str:
    default = f"`{s.default}`" if s.default else "unset"
    return f"| `{s.name}` | {s.meaning} | {default} |"


def table() -> str:
    return "\n".join([HEADER, *(row(s) for s in settings.ALL)])


if __name__ == "__main__":  # print it, to paste into README.md
    print(table())
