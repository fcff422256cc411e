"""CLI start-up: ``hip3 --help`` against ``hip3 --version``, whole processes.

``help_vs_version`` = median wall time of ``hip3 --help`` / median of ``hip3 --version``,
in alternating rounds of fresh processes (so both pay the interpreter's start and the
``hip3`` import alike); lower is better, target <= 1.5. Listing the commands must not
import them.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _command() -> list[str]:
    beside = Path(sys.executable).with_name("hip3")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("hip3")
    if found:
        return [found]
    return [sys.executable, "-m", "hip3_cli.main"]


def _wall(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def run(quick: bool) -> dict[str, float]:
    base = _command()
    rounds = 5 if quick else 15
    _wall([*base, "--version"])  # warm the file cache
    helps, versions = [], []
    for _ in range(rounds):
        helps.append(_wall([*base, "--help"]))
        versions.append(_wall([*base, "--version"]))
    help_s, version_s = statistics.median(helps), statistics.median(versions)
    print(f"hip3 --help     {help_s * 1000:7.1f} ms (median of {rounds})")
    print(f"hip3 --version  {version_s * 1000:7.1f} ms")
    return {"help_vs_version": help_s / version_s}
