"""``hip3 replay``'s library path against a bare orjson line loop, on a chaos journal.

The journal is made here: the bot trades ``examples/chaos.toml`` on the embedded
simulator (under trio's MockClock, so simulated seconds cost little real time) with
its journal on. ``replay_vs_orjson_loop`` = the journal's MB/s through
:func:`hip3.journal.replay.replay` / MB/s of ``for line in f: orjson.loads(line)``
over the same file, best of alternating rounds after a warm-up (target >= 0.5).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import orjson
import trio
import trio.testing

ROOT = Path(__file__).resolve().parent.parent


def make_journal(path: Path, secs: float) -> None:
    from hip3.app import run_from_config
    from hip3.config import config_from_dict, load_config

    base = load_config(ROOT / "examples" / "chaos.toml")
    config = config_from_dict(
        {
            "mode": base.mode,
            "network": "sim",
            "markets": list(base.markets),
            "position_resync_interval_secs": base.position_resync_interval_secs,
            "strategy": {"name": "market_maker", "interval_secs": 0.5,
                         "params": {"half_spread_bps": 1, "order_notional_usd": 200,
                                    "max_position_usd": 2000, "tif": "Gtc"}},
            "journal": {"path": str(path)},
            "log": {"level": "error"},
            "sim": {"seed": 11, "tick_ms": 100,
                    "faults": {"ws_drop": 0.02, "ws_duplicate": 0.05, "ws_reorder": 0.05,
                               "ws_delay": 0.05, "ws_delay_ms": 300, "post_drop": 0.02}},
        }
    )  # fmt: skip
    trio.run(
        lambda: run_from_config(config, duration=secs),
        clock=trio.testing.MockClock(autojump_threshold=0),
    )


def _bare(path: Path) -> float:
    started = time.perf_counter()
    with open(path, "rb") as f:
        for line in f:
            orjson.loads(line)
    return time.perf_counter() - started


def _replay(path: Path) -> float:
    from hip3.journal.replay import replay

    started = time.perf_counter()
    replay(path)
    return time.perf_counter() - started


def run(quick: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chaos.jsonl"
        make_journal(path, 40 if quick else 120)
        size_mb = path.stat().st_size / 1e6
        lines = sum(1 for _ in path.open("rb"))
        rounds = 5 if quick else 11
        _replay(path)  # warm: imports, first-use caches
        bare, ours = [], []
        for _ in range(rounds):
            bare.append(_bare(path))
            ours.append(_replay(path))
        # Best of alternating rounds for both (CPU-bound, noise only adds time).
        bare_s, ours_s = min(bare), min(ours)
    print(
        f"chaos journal {size_mb:.2f} MB, {lines} lines: orjson loop {size_mb / bare_s:.0f} MB/s, "
        f"hip3 replay {size_mb / ours_s:.0f} MB/s"
    )
    return {"replay_vs_orjson_loop": bare_s / ours_s, "replay_journal_mb": size_mb}
