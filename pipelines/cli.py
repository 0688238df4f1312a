"""Command line: `python -m pipelines COMMAND ...`."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines.synth.scales import SCALES


def _synth(args: argparse.Namespace) -> int:
    from pipelines.synth import generate

    if args.dirty_rate is not None and not 0 <= args.dirty_rate <= 0.05:
        raise SystemExit("--dirty-rate must be between 0 and 0.05")
    generate(args.scale, args.seed, Path(args.out), args.dirty_rate)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from pipelines import bench

    return bench.main(args.scale, args.seed)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description="党建指数看板 data pipelines")
    sub = parser.add_subparsers(dest="command", required=True)
    synth = sub.add_parser("synth", help="write a synthetic city's raw exports (2024Q1–2025Q4)")
    synth.add_argument("--scale", choices=sorted(SCALES), default="small")
    synth.add_argument("--seed", type=int, default=42)
    synth.add_argument("--out", required=True, help="folder to write the exports into")
    synth.add_argument(
        "--dirty-rate",
        type=float,
        default=None,
        help="share of rows per file and fault kind made bad (default: 0.002 for small, 0 otherwise)",
    )
    synth.set_defaults(func=_synth)

    bench = sub.add_parser("bench", help="measure generation time and memory; write docs/benchmarks.md")
    bench.add_argument("--scale", choices=sorted(SCALES), default="city")
    bench.add_argument("--seed", type=int, default=1)
    bench.set_defaults(func=_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
