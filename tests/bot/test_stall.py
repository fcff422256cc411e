"""No silent stall (issue 10): a dex whose snapshots stay deferred is resolved actively,
then adopted anyway with drift naming the blocking order; and lost fills are looked for
within seconds of the venue saying an order filled (FillWatch)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
import trio
import trio.testing

from hip3.bot.fillwatch import FillWatch
from hip3.bot.resync import ResyncTimer
from hip3.domain import AccountSnapshot, Fill, PositionSnapshot
from hip3.errors import TransportError
from hip3.tracker import PositionTracker, TrackerHandle, Unconfirmed
from hip3.types import Cloid, Side

C1 = Cloid.from_int(1)


@pytest.fixture
def mock_clock() -> trio.testing.MockClock:
    return trio.testing.MockClock(autojump_threshold=0)


def now_ms() -> int:
    return int(trio.current_time() * 1000)


def btc(szi: str) -> AccountSnapshot:
    position = PositionSnapshot("BTC", Decimal(szi))
    return AccountSnapshot("", now_ms(), {"BTC": position} if Decimal(szi) else {})


def trade(tid: int, sz: str, *, oid: int = 7, time_ms: int = 1) -> Fill:
    return Fill("BTC", Decimal(100), Decimal(sz), Side.BUY, time_ms, oid, tid, cloid=C1)


async def stalled_tracker(nursery: trio.Nursery) -> TrackerHandle:
    """A tracker whose only dex is blocked: the venue answered 'filled 2' for an order
    of which one trade of 1 ever arrives."""
    handle: TrackerHandle = await nursery.start(PositionTracker().run)
    assert await handle.snapshot(btc("0"))  # the baseline
    await trio.sleep(1)
    await handle.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(2), tif="Ioc")
    await handle.order_filled(C1, 7, Decimal(2))
    await handle.fills([trade(1, "1", time_ms=now_ms())])
    return handle


async def test_a_stalled_dex_is_resolved_then_adopted_with_a_named_cause(
    mock_clock: trio.testing.MockClock,
) -> None:
    resolved: list[Sequence[Any]] = []
    async with trio.open_nursery() as nursery:
        tracker = await stalled_tracker(nursery)

        async def fetch(dex: str) -> AccountSnapshot:
            return btc("1")  # the venue's truth: one trade of 1

        async def deliver(snapshot: AccountSnapshot, force_cause: str | None = None) -> object:
            return await tracker.snapshot(snapshot, force_cause=force_cause)

        async def resolve(blockers: Sequence[Any]) -> None:
            resolved.append(blockers)  # orderStatus/userFillsByTime find nothing new

        timer = ResyncTimer(
            interval_secs=10, dexes=[""], fetch=fetch, deliver=deliver, resolve=resolve
        )
        await nursery.start(timer.run)
        await trio.sleep(25)
        assert await tracker.position("BTC") == 2  # still deferred after two ticks
        assert timer.stats.snapshots_forced == 0 and resolved == []
        await trio.sleep(30)  # the tick at 40 s is 30 s (3 intervals) into the stall
        assert [b.kind for b in resolved[0]] == ["unconfirmed_provisional"]
        assert timer.stats.snapshots_forced == 1
        assert await tracker.position("BTC") == 1  # the venue's again
        [event] = [e for e in await tracker.drift_events() if not e.baseline]
        assert event.forced and str(C1) in (event.cause or "")
        stats = await tracker.stats()
        assert stats.drift_events == 1 and stats.snapshots_forced == 1
        nursery.cancel_scope.cancel()


async def test_a_stall_the_resolution_clears_is_adopted_without_force(
    mock_clock: trio.testing.MockClock,
) -> None:
    async with trio.open_nursery() as nursery:
        tracker = await stalled_tracker(nursery)

        async def fetch(dex: str) -> AccountSnapshot:
            return btc("2")

        async def deliver(snapshot: AccountSnapshot, force_cause: str | None = None) -> object:
            return await tracker.snapshot(snapshot, force_cause=force_cause)

        async def resolve(blockers: Sequence[Any]) -> None:
            await tracker.fills([trade(2, "1", time_ms=now_ms() - 5_000)])  # the lost trade

        timer = ResyncTimer(
            interval_secs=10, dexes=[""], fetch=fetch, deliver=deliver, resolve=resolve
        )
        await nursery.start(timer.run)
        await trio.sleep(45)
        assert timer.stats.stalls_resolved == 1 and timer.stats.snapshots_forced == 0
        assert await tracker.position("BTC") == 2
        assert (await tracker.stats()).drift_events == 0
        nursery.cancel_scope.cancel()


class Gaps:
    """What the tracker lists as missing, and what the venue's userFillsByTime returns."""

    def __init__(self) -> None:
        self.gaps: list[Unconfirmed] = []
        self.requests: list[tuple[float, int]] = []
        self.delivered: list[Fill] = []
        self.fail = False

    async def unconfirmed(self) -> list[Unconfirmed]:
        return list(self.gaps)

    async def fetch(self, start_ms: int) -> list[Fill]:
        self.requests.append((trio.current_time(), start_ms))
        if self.fail:
            raise TransportError("connection reset")
        return [trade(1, "1")]

    async def deliver(self, fills: Sequence[Fill]) -> None:
        self.delivered.extend(fills)

    def gap(self, oid: int, since_ms: int) -> None:
        self.gaps.append(
            Unconfirmed("BTC", "", None, oid, Decimal(1), Decimal(0), since_ms, "venue", True)
        )


def watch(gaps: Gaps, **params: Any) -> FillWatch:
    return FillWatch(
        unconfirmed=gaps.unconfirmed,
        fetch=gaps.fetch,
        deliver=gaps.deliver,
        wall_clock_ms=lambda: 1_000_000 + now_ms(),
        **params,
    )


async def test_fill_watch_fetches_once_a_gap_outlives_the_grace_and_coalesces(
    mock_clock: trio.testing.MockClock,
) -> None:
    gaps = Gaps()
    fills = watch(gaps, grace_secs=2, check_secs=0.5)
    async with trio.open_nursery() as nursery:
        await nursery.start(fills.run)
        gaps.gap(7, now_ms())
        gaps.gap(8, now_ms())
        await trio.sleep(1.9)
        assert gaps.requests == []  # within the stream's ordinary delay
        await trio.sleep(0.2)
        [(_, start_ms)] = gaps.requests  # one request covers both gaps
        # From before the oldest gap, with the margin (5 s).
        assert start_ms <= 1_000_000 + now_ms() - 2_000 - 5_000
        assert len(gaps.delivered) == 1 and fills.stats.rounds == 1
        gaps.gaps.clear()  # the trades arrived
        await trio.sleep(10)
        assert len(gaps.requests) == 1 and fills.stats.gaps_closed == 2
        nursery.cancel_scope.cancel()


async def test_fill_watch_retries_with_growing_delays_then_leaves_it_to_the_resync(
    mock_clock: trio.testing.MockClock,
) -> None:
    gaps = Gaps()
    fills = watch(gaps, grace_secs=1, check_secs=0.25, max_attempts=4, max_retry_secs=4)
    async with trio.open_nursery() as nursery:
        await nursery.start(fills.run)
        start = trio.current_time()
        gaps.gap(7, now_ms())  # never closes: its trades are not at the venue
        await trio.sleep(60)
        times = [round(at - start, 2) for at, _ in gaps.requests]
        assert times == [1.0, 3.0, 7.0, 11.0]  # +2, +4, then capped at 4 s
        assert fills.stats.gaps_given_up == 1
        nursery.cancel_scope.cancel()


async def test_fill_watch_backfills_after_a_reconnect_and_survives_failures(
    mock_clock: trio.testing.MockClock,
) -> None:
    gaps = Gaps()
    fills = watch(gaps, check_secs=0.5, reconnect_lookback_secs=60)
    async with trio.open_nursery() as nursery:
        await nursery.start(fills.run)
        gaps.fail = True
        fills.request("orderUpdates reconnected")
        await trio.sleep(0.6)
        assert fills.stats.failures == 1 and fills.stats.reconnect_rounds == 1
        gaps.fail = False
        fills.request("userFills reconnected")
        await trio.sleep(1.1)
        (_, start_ms) = gaps.requests[-1]
        assert start_ms <= 1_000_000 + now_ms() - 60_000  # the whole lookback
        assert fills.stats.reconnect_rounds == 2 and len(gaps.delivered) == 1
        nursery.cancel_scope.cancel()
