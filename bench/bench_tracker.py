"""PositionTracker throughput against a bare trio memory channel, and its memory.

``tracker_vs_bare_channel``: one producer task sends the same pre-built
:class:`hip3.domain.Fill` objects (distinct tids, several coins) either

* through a bare bounded trio memory channel to a consumer that only drains
  it (``receive`` then ``receive_nowait`` until ``WouldBlock``), or
* through ``TrackerHandle.fill`` to a running PositionTracker, which
  de-duplicates and applies each one; the run ends when a query sent after
  the last fill is answered (so every fill was applied).

The ratio is tracker fills/s over bare-channel messages/s: each round runs
both back to back, timed in CPU time of this thread (``time.thread_time``:
one trio loop, so that is all the work, and other processes on a shared
machine stay out of it); the per-round ratios' median is reported. The
design target is >= 0.5.

Memory: tracemalloc's figure for a TrackerState after 10,000 distinct fills
and after 1,000,000 (100,000 with ``--quick``): the dedup memory is bounded
by its capacity, so both should be about the same. Reported in MB as extra
keys. Runnable standalone: ``python bench/bench_tracker.py [--quick]``.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import trio

from hip3.domain import Fill
from hip3.tracker import DEFAULT_CHANNEL_SIZE, PositionTracker, TrackerHandle, TrackerState
from hip3.types import Side

_COINS = ("BTC", "ETH", "SOL", "xyz:TSLA", "xyz:XYZ100")
_SIZES = tuple(Decimal(f"0.{i:03d}") + Decimal("0.001") for i in range(50))
_PX = Decimal("25.125")


def _fills(n: int, start: int = 0) -> Iterator[Fill]:
    for i in range(start, start + n):
        yield Fill(
            coin=_COINS[i % 5],
            px=_PX,
            sz=_SIZES[i % 50],
            side=Side.BUY if i % 3 else Side.SELL,
            time_ms=1_700_000_000_000 + i,
            oid=10_000_000 + i // 3,
            tid=900_000_000_000 + i,
            crossed=bool(i % 2),
            hash="0x4f0c9d2a7b1e3f5a6c8d0e2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f90e1",
        )


async def _bare_channel(fills: list[Fill]) -> float:
    send, receive = trio.open_memory_channel[Any](DEFAULT_CHANNEL_SIZE)
    received = 0

    async def consume() -> None:
        nonlocal received
        async with receive:
            while True:
                try:
                    await receive.receive()
                except trio.EndOfChannel:
                    return
                received += 1
                while True:
                    try:
                        receive.receive_nowait()
                    except trio.WouldBlock:
                        break
                    except trio.EndOfChannel:
                        return
                    received += 1

    start = time.thread_time()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(consume)
        async with send:
            for fill in fills:
                await send.send(fill)
    elapsed = time.thread_time() - start
    assert received == len(fills)
    return elapsed


async def _tracker(fills: list[Fill]) -> float:
    async with trio.open_nursery() as nursery:
        handle: TrackerHandle = await nursery.start(PositionTracker().run)
        await handle.fills([], is_snapshot=True)
        start = time.thread_time()
        for fill in fills:
            await handle.fill(fill)
        stats = await handle.stats()  # answered after every fill was applied
        elapsed = time.thread_time() - start
        await handle.aclose()
    assert stats.fills_applied == len(fills), stats
    return elapsed


def _throughput(quick: bool) -> dict[str, float]:
    n = 30_000 if quick else 200_000
    rounds = 5 if quick else 9
    fills = list(_fills(n))
    bare: list[float] = []
    tracked: list[float] = []
    for _ in range(rounds):
        bare.append(trio.run(_bare_channel, fills))
        tracked.append(trio.run(_tracker, fills))
    # Per-round ratio (the two runs back to back see the same machine), median over rounds.
    ratio = statistics.median(b / t for b, t in zip(bare, tracked, strict=True))
    bare_rate = n / statistics.median(bare)
    tracker_rate = n / statistics.median(tracked)
    print(
        f"tracker: {tracker_rate:,.0f} fills/s applied vs bare channel {bare_rate:,.0f} msgs/s"
        f" -> tracker_vs_bare_channel {ratio:.2f} (target >= 0.5; median of {rounds} rounds)"
    )
    return {
        "tracker_vs_bare_channel": ratio,
        "tracker_fills_per_sec": tracker_rate,
        "bare_channel_msgs_per_sec": bare_rate,
    }


def _state_memory_mb(n: int) -> float:
    """Bytes a TrackerState holds after ``n`` distinct fills (the fills themselves freed)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        state = TrackerState()
        state.apply_fills([], is_snapshot=True)
        for fill in _fills(n):
            state.apply_fill(fill)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
        assert state.stats().dedup_size == min(n, state.dedup_capacity)
    finally:
        tracemalloc.stop()
    return held / 1e6


def _memory(quick: bool) -> dict[str, float]:
    large = 100_000 if quick else 1_000_000
    small_mb = _state_memory_mb(10_000)
    large_mb = _state_memory_mb(large)
    label = f"{large // 1000}k" if large < 1_000_000 else "1m"
    print(
        f"tracker memory: {small_mb:.2f} MB after 10k distinct fills, {large_mb:.2f} MB after"
        f" {large:,} (growth {large_mb - small_mb:+.2f} MB; dedup capacity bounds it)"
    )
    return {
        "tracker_memory_mb_10k": small_mb,
        f"tracker_memory_mb_{label}": large_mb,
        "tracker_memory_growth_mb": large_mb - small_mb,
    }


def run(quick: bool) -> dict[str, float]:
    results = _throughput(quick)
    results.update(_memory(quick))
    return results


if __name__ == "__main__":
    run(quick="--quick" in sys.argv[1:])
