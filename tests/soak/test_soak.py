"""Soak: the trading bot on the simulator for a long run, memory and dedup state sampled.

Long set (``pytest -m slow tests/soak``; length from ``HIP3_SOAK_SECS``, default
600 s of real time): the simulator runs in its own process, so the RSS sampled
from ``/proc/self/statm`` is the bot's (plus a noise trader's); after warm-up it
must stay flat, and the tracker's dedup memory must sit at its bound.

Short set (default run, MockClock): a tiny dedup capacity is reached and never
exceeded within seconds, and the accounting still ends equal to the truth --
evicting old trades costs nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
import trio
import trio.testing
from e2e.harness import (
    BOT_KEY,
    MakerTaker,
    NoiseStats,
    check_accounting,
    fills_seen,
    noise_trader,
    run_bot_on_sim,
    trio_clock_ms,
)

from hip3.bot import Bot, Mode
from hip3.clients import InfoClient
from hip3.sim import SimConfig

SOAK_SECS = float(os.environ.get("HIP3_SOAK_SECS", "600"))
PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1 << 20


def rss_bytes() -> int:
    """Resident set size of this process (second field of /proc/self/statm, in pages)."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * PAGE


@attrs.frozen
class Sample:
    t: float
    rss: int
    dedup: int
    fills: int


async def sample_every(
    bot: Bot, secs: float, samples: list[Sample], *, task_status: Any = trio.TASK_STATUS_IGNORED
) -> None:
    task_status.started()
    start = trio.current_time()
    while True:
        stats = await bot.tracker.stats()
        samples.append(
            Sample(trio.current_time() - start, rss_bytes(), stats.dedup_size, fills_seen(bot))
        )
        await trio.sleep(secs)


async def test_short_soak_dedup_memory_reaches_its_bound_and_accounting_holds(
    autojump_clock: trio.testing.MockClock,
) -> None:
    capacity = 16
    samples: list[Sample] = []

    async def sample(sim: Any, bot: Bot) -> None:
        await sample_every(bot, 0.25, samples)

    run = await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=31),
        secs=4,
        dedup_capacity=capacity,
        outcome_history=200,
        noise_every_secs=0.05,
        during=sample,
        until=lambda bot: fills_seen(bot) >= 3 * capacity,
    )
    check_accounting(run, orders_remembered=False)
    stats = run.summary.tracker_stats
    assert stats.dedup_capacity == capacity and stats.dedup_size == capacity
    assert stats.dedup_evictions >= stats.fills_received - stats.duplicates_dropped - capacity
    assert max(s.dedup for s in samples) == capacity  # reached, never exceeded
    assert len(run.bot.outcomes) <= 200 < sum(run.bot.outcome_counts.values())


@pytest.mark.slow
async def test_soak_memory_flat_and_dedup_at_its_bound() -> None:
    """Real time, ``HIP3_SOAK_SECS`` long; the simulator in a child process.

    The noise trader makes about 6 fills a second, so the dedup memory (200) is
    full within a minute and evicts from then on.
    """
    capacity = 200
    script = Path(__file__).with_name("sim_process.py")
    child = subprocess.Popen(
        [sys.executable, str(script), "7"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert child.stdout is not None
        line = await trio.to_thread.run_sync(child.stdout.readline)
        urls = orjson.loads(line)
        samples = await _soak(urls["url"], urls["ws_url"], capacity)
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.terminate()
        child.wait(timeout=10)
    warm = next(s for s in samples if s.t >= SOAK_SECS * 0.25)
    later = [s for s in samples if s.t >= warm.t]
    growth = max(s.rss for s in later) - warm.rss
    report = [
        (round(s.t), s.rss // MB, s.dedup, s.fills) for s in samples[:: max(1, len(samples) // 20)]
    ]
    assert samples[-1].fills > 2 * capacity, report
    assert max(s.dedup for s in samples) == capacity, report
    assert samples[-1].dedup == capacity, report
    assert growth < 16 * MB, (growth / MB, report)


async def _soak(url: str, ws_url: str, capacity: int) -> list[Sample]:
    from hip3.tracker import PositionTracker

    clock_ms: Callable[[], int] = trio_clock_ms()
    tracker = PositionTracker(dedup_capacity=capacity)
    bot = Bot.create(
        base_url=url,
        ws_url=ws_url,
        account=BOT_KEY.address,
        markets=["BTC", "xyz:TSLA"],
        strategy=MakerTaker(),
        mode=Mode.TRADING,
        key=BOT_KEY,
        mainnet=False,
        clock_ms=clock_ms,
        tracker=tracker,
        strategy_interval_secs=0.2,
        position_resync_interval_secs=5,
        dead_mans_switch_secs=30,
        outcome_history=1_000,
    )
    samples: list[Sample] = []
    noise = NoiseStats()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            lambda: noise_trader(url, every_secs=0.1, clock_ms=clock_ms, stats=noise)
        )
        done = trio.Event()

        async def run_bot(task_status: trio.TaskStatus[None]) -> None:
            try:
                await bot.run(task_status=task_status)
            finally:
                done.set()

        await nursery.start(run_bot)
        await nursery.start(sample_every, bot, max(1.0, SOAK_SECS / 200), samples)
        await trio.sleep(SOAK_SECS)
        bot.stop()
        await done.wait()
        nursery.cancel_scope.cancel()
    summary = bot.summary()
    assert summary.final_resync and summary.positions == summary.exchange_positions
    assert [e for e in summary.drift_events if not e.baseline] == []
    async with InfoClient(url) as info:
        for dex in bot.dexes:
            assert await info.open_orders(bot.user, dex) == []
    assert summary.tracker_stats.dedup_size == capacity
    assert noise.orders > 0
    return samples
