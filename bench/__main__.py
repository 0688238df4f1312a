"""`python -m bench --scale city [--what load|synth]`: measure, and write docs/benchmarks.md."""

from __future__ import annotations

import argparse

from pipelines.cli import SCALE_NAMES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="benchmark the loader, computation and pages (or generation)"
    )
    parser.add_argument("--scale", choices=SCALE_NAMES, default="city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--what",
        choices=["load", "synth"],
        default="load",
        help="load: loader vs raw DuckDB baseline, then computation and pages (default); synth: generation",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from bench import run  # after parsing: --help needs neither psutil nor duckdb

    return run.main(args.scale, args.seed, args.what)


if __name__ == "__main__":
    raise SystemExit(main())
