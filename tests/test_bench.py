"""The benchmark suite runs and reports its four headline ratios as numbers.

No figure is checked against its target here: speed is measured by ``bench/run.py``, never
asserted by a test (a loaded CI machine would make such a test flaky, not informative).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADLINES = (
    "sign_vs_sdk",
    "sign_vs_floor",
    "help_vs_version",
    "parse_vs_json_loads",
    "tracker_vs_bare_channel",
    "roundtrip_vs_sdk",
)


def test_quick_run_reports_the_headline_ratios_as_numbers() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    # 0 = every target met, 1 = one missed on this machine; either way one JSON line last
    assert proc.returncode in (0, 1) and proc.stdout.strip(), proc.stderr[-4000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in HEADLINES:
        value = results[key]
        assert isinstance(value, float | int) and not isinstance(value, bool), key
        assert math.isfinite(value) and value > 0, (key, value)
    assert results["tracker_memory_mb_10k"] > 0
    # Every key of the contract that this run measured is a finite positive number.
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from run import TARGETS
    finally:
        sys.path.pop(0)
    for key in set(TARGETS) & set(results):
        assert math.isfinite(results[key]) and results[key] > 0, (key, results[key])
