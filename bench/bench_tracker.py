"""PositionTracker throughput vs a bare trio channel and vs its own state; its memory.

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

``tracker_vs_direct``: the same realistic input (orders announced, answered
``filled`` and confirmed by their three trades, a main-dex snapshot adopted
every 1000 fills) applied end to end through a running PositionTracker's
handle, against calling the TrackerState methods directly; fills/s through
the actor over fills/s direct (target >= 0.6), timed and reported like the
ratio above. Since the handle sends with ``send_nowait`` while the channel
has room (no checkpoint per message) and the bare-channel baseline above
awaits ``send`` per message, ``tracker_vs_bare_channel`` now exceeds 1; this
ratio is the one that shows what the actor costs over the state itself.

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

from hip3.domain import AccountSnapshot, Fill, PositionSnapshot
from hip3.tracker import DEFAULT_CHANNEL_SIZE, PositionTracker, TrackerHandle, TrackerState
from hip3.types import Cloid, Side

_COINS = ("BTC", "ETH", "SOL", "xyz:TSLA", "xyz:XYZ100")
_SIZES = tuple(Decimal(f"0.{i:03d}") + Decimal("0.001") for i in range(50))
_PX = Decimal("25.125")
_ZERO = Decimal(0)


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


# -- through the actor vs direct ------------------------------------------------------

_SENT, _FILLED, _FILL, _SNAPSHOT = range(4)
_MAIN_COINS = ("BTC", "ETH", "SOL")
_UNIT = Decimal("0.01")
_T0 = 1_700_000_000_000


def _flow(n_fills: int) -> tuple[list[tuple[int, Any]], int]:
    """Orders of three trades each, a main-dex snapshot (the truth at T) every 1000 fills."""
    messages: list[tuple[int, Any]] = []
    truth: dict[str, Decimal] = {}
    fills = snapshots = 0
    order = 0
    while fills < n_fills:
        coin = _COINS[order % 5]
        side = Side.BUY if order % 3 else Side.SELL
        cloid = Cloid.from_int(order + 1)
        oid = 50_000_000 + order
        sz = 3 * _UNIT
        messages.append((_SENT, (cloid, coin, side, _PX, sz)))
        messages.append((_FILLED, (cloid, oid, sz)))
        for _ in range(3):
            messages.append(
                (
                    _FILL,
                    Fill(
                        coin=coin,
                        px=_PX,
                        sz=_UNIT,
                        side=side,
                        time_ms=_T0 + fills,
                        oid=oid,
                        tid=700_000_000 + fills,
                        cloid=cloid,
                        crossed=True,
                        hash="0x4f0c9d2a7b1e3f5a6c8d0e2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f90e1",
                    ),
                )
            )
            fills += 1
        truth[coin] = truth.get(coin, _ZERO) + (sz if side is Side.BUY else -sz)
        order += 1
        # At an order boundary (nothing provisional unconfirmed), once per 1000 fills.
        if fills // 1000 > snapshots:
            snapshots += 1
            positions = {
                c: PositionSnapshot(coin=c, szi=truth[c]) for c in _MAIN_COINS if truth.get(c)
            }
            snapshot = AccountSnapshot(dex="", time_ms=_T0 + fills - 1, positions=positions)
            messages.append((_SNAPSHOT, snapshot))
    return messages, snapshots


def _direct(messages: list[tuple[int, Any]]) -> tuple[float, TrackerState]:
    state = TrackerState()
    state.apply_fills([], is_snapshot=True)
    start = time.thread_time()
    for kind, payload in messages:
        if kind == _FILL:
            state.apply_fill(payload)
        elif kind == _SENT:
            state.order_sent(*payload)
        elif kind == _FILLED:
            state.order_filled(*payload)
        else:
            state.adopt_snapshot(payload)
    return time.thread_time() - start, state


async def _through_actor(messages: list[tuple[int, Any]]) -> tuple[float, Any]:
    async with trio.open_nursery() as nursery:
        handle: TrackerHandle = await nursery.start(PositionTracker().run)
        await handle.fills([], is_snapshot=True)
        start = time.thread_time()
        for kind, payload in messages:
            if kind == _FILL:
                await handle.fill(payload)
            elif kind == _SENT:
                await handle.order_sent(*payload)
            elif kind == _FILLED:
                await handle.order_filled(*payload)
            else:
                await handle.snapshot(payload)
        stats = await handle.stats()  # answered after every message was applied
        elapsed = time.thread_time() - start
        await handle.aclose()
    return elapsed, stats


def _versus_direct(quick: bool) -> dict[str, float]:
    n = 30_000 if quick else 200_000
    rounds = 5 if quick else 9
    messages, snapshots = _flow(n)
    direct: list[float] = []
    actor: list[float] = []
    for _ in range(rounds):
        direct_secs, state = _direct(messages)
        actor_secs, stats = trio.run(_through_actor, messages)
        direct.append(direct_secs)
        actor.append(actor_secs)
        expected = state.stats()
        for got in (expected, stats):
            assert got.snapshots_adopted == snapshots and got.drift_events == 0, got
            assert got.fills_applied == expected.fills_applied, (got, expected)
    ratio = statistics.median(d / a for d, a in zip(direct, actor, strict=True))
    fills = sum(1 for kind, _ in messages if kind == _FILL)
    direct_rate = fills / statistics.median(direct)
    actor_rate = fills / statistics.median(actor)
    print(
        f"tracker: {actor_rate:,.0f} fills/s through the actor vs {direct_rate:,.0f} applied"
        f" directly (orders answered and confirmed, a snapshot every 1000 fills)"
        f" -> tracker_vs_direct {ratio:.2f} (target >= 0.6; median of {rounds} rounds)"
    )
    return {
        "tracker_vs_direct": ratio,
        "tracker_actor_fills_per_sec": actor_rate,
        "tracker_direct_fills_per_sec": direct_rate,
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
    results.update(_versus_direct(quick))
    results.update(_memory(quick))
    return results


if __name__ == "__main__":
    run(quick="--quick" in sys.argv[1:])
