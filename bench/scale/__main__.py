"""`python -m bench.scale`: the scale bench alone, written to bench/results/scale.md.

Loads our bot at 20 and 50 concurrent conversations with the conversations visitors
hold, on one machine (SQLite) and on the cluster with 1 and 2 replicas (PostgreSQL +
Redis behind HAProxy), beside Rasa's `rasa init` starter bot, and soaks the 2-replica
cluster. `--quick` is a smoke run (short levels, a one-minute soak) to bench/work.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from bench import commands, console
from bench.collect import relative
from bench.scale.run import run_scale, write_report
from bench.scale.settings import ScaleSettings


def parse_args(argv: list[str] | None) -> ScaleSettings:
    """Settings from the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fast smoke run (to bench/work)")
    parser.add_argument("--soak-minutes", type=float, help="soak duration (default 10, quick 1)")
    parser.add_argument("--messages", type=int, help="measured messages per level")
    parser.add_argument("--results-dir", type=Path, help="where scale.md goes")
    args = parser.parse_args(argv)
    settings = ScaleSettings()
    if args.quick:
        settings = settings.quick_variant()
    changes: dict[str, object] = {}
    if args.soak_minutes is not None:
        changes["soak_minutes"] = args.soak_minutes
    if args.messages is not None:
        changes["messages_per_level"] = args.messages
    if args.results_dir:
        changes["results_dir"] = args.results_dir
    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    settings = parse_args(argv)

    def work() -> None:
        results = run_scale(settings)
        path = write_report(results, settings.results_dir)
        console.say(f"wrote {relative(path)}")
        console.say(f"done in {results.runtime_seconds / 60:.1f} min")

    return commands.bench_main(work)


if __name__ == "__main__":
    sys.exit(main())
