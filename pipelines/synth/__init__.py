"""The synthetic city: a complete, realistic set of raw exports for 2024Q1–2025Q4
(`generate()` in pipelines/synth/city.py).

Imported lazily, so that commands which only need the scale names (the CLI's argument
parser) do not pay for NumPy, pandas and Faker.
"""

from __future__ import annotations

_CITY = {"generate", "GENERATOR_DIR", "MANIFEST", "TRUTH", "SUMMARY"}


def __getattr__(name: str):
    if name in _CITY:
        from pipelines.synth import city

        return getattr(city, name)
    raise AttributeError(f"module 'pipelines.synth' has no attribute {name!r}")
