#!/usr/bin/env python3
"""hip3's benchmark suite: each measure is a ratio against a baseline timed in the same run.

    python bench/run.py            # full run, a line per measure
    python bench/run.py --quick    # shorter samples (CI-sized)
    python bench/run.py --json     # one JSON object of ratios on stdout
    python bench/run.py sign parse # only some benches (by module suffix)

Each ``bench/bench_<name>.py`` exposes ``run(quick: bool) -> dict[str, float]``
and prints its own human lines (to stderr under ``--json``). Ratios are
"higher is better": baseline time / hip3 time, or hip3 rate / baseline rate.
No figure here is an absolute time that could be asserted in a test.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent

# The contract (issue 12): each key's target and direction. ">=" ratios are "higher is
# better" (baseline time / hip3 time, or hip3 rate / baseline rate); "<=" ones are
# "lower is better" (a cost relative to a baseline).
TARGETS: dict[str, tuple[str, float]] = {
    "sign_vs_sdk": (">=", 10.0),
    "sign_vs_floor": (">=", 0.85),
    "parse_bot_path_vs_json_loads": (">=", 2.0),
    "tracker_vs_direct": (">=", 0.6),
    "snapshot_scaling": ("<=", 2.0),
    "replay_vs_orjson_loop": (">=", 0.5),
    "help_vs_version": ("<=", 1.5),
    "roundtrip_http_vs_sdk": (">=", 1.5),
    # earlier headline figures, kept
    "parse_vs_json_loads": (">=", 1.0),
    "tracker_vs_bare_channel": (">=", 0.5),
    "roundtrip_vs_sdk": (">=", 1.0),
}


def meets(key: str, value: float) -> bool:
    direction, target = TARGETS[key]
    return value >= target if direction == ">=" else value <= target


def discover() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("names", nargs="*", help=f"benches to run (default: all of {discover()})")
    parser.add_argument("--quick", action="store_true", help="short samples")
    parser.add_argument("--json", action="store_true", help="print one JSON object of results")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(HERE))
    names = args.names or discover()
    unknown = sorted(set(names) - set(discover()))
    if unknown:
        parser.error(f"unknown bench(es) {unknown}; available: {discover()}")

    results: dict[str, float] = {}
    started = time.perf_counter()
    human = sys.stderr if args.json else sys.stdout
    for name in names:
        module = importlib.import_module(f"bench_{name}")
        print(f"== {name}", file=human, flush=True)
        with contextlib.redirect_stdout(human):
            results.update(module.run(args.quick))
    elapsed = time.perf_counter() - started

    failed = [k for k in TARGETS if k in results and not meets(k, results[k])]
    if args.json:
        print(json.dumps(results, sort_keys=True))
    else:
        # Headline ratios with their targets first, then the details behind them.
        keys = [k for k in TARGETS if k in results]
        keys += sorted(k for k in results if k not in TARGETS)
        width = max(len("measure"), *(len(k) for k in keys)) + 2
        print(f"\n{'measure':<{width}}{'value':>12}{'target':>10}")
        for key in keys:
            if key not in TARGETS:
                print(f"{key:<{width}}{results[key]:>12.2f}")
                continue
            direction, target = TARGETS[key]
            verdict = "ok" if meets(key, results[key]) else "MISSED"
            print(f"{key:<{width}}{results[key]:>12.2f}{direction:>4}{target:>6.2f}  {verdict}")
        print(f"\n({elapsed:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
