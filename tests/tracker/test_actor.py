"""The actor: channel order, drained bursts, replies, closing and cancellation."""

from __future__ import annotations

from decimal import Decimal

import pytest
import trio

from hip3.domain import OrderStatus
from hip3.tracker import PositionTracker, TrackerHandle, TrackerStopped
from hip3.types import Cloid, PlaceOrder, Side, Tif

from ._build import fill, snapshot


async def test_query_after_fill_sees_the_fill() -> None:
    async with trio.open_nursery() as nursery:
        handle: TrackerHandle = await nursery.start(PositionTracker().run)
        await handle.fills([], is_snapshot=True)
        await handle.fill(fill(1, "0.5"))
        assert await handle.position("BTC") == Decimal("0.5")
        await handle.fill(fill(2, "0.2", Side.SELL))
        assert await handle.positions() == {"BTC": Decimal("0.3")}
        await handle.aclose()


async def test_a_burst_larger_than_the_channel_is_applied_in_order() -> None:
    async with trio.open_nursery() as nursery:
        handle: TrackerHandle = await nursery.start(PositionTracker(channel_size=4).run)
        async with trio.open_nursery() as producers:
            for start in (0, 1000):

                async def produce(start: int = start) -> None:
                    for i in range(start, start + 500):
                        await handle.fill(fill(i, "1", oid=i))

                producers.start_soon(produce)
        stats = await handle.stats()
        assert stats.fills_applied == 1000
        assert await handle.position("BTC") == 1000
        await handle.aclose()


async def test_run_ends_when_the_handle_closes_and_later_calls_raise() -> None:
    tracker = PositionTracker()
    async with trio.open_nursery() as nursery:
        handle: TrackerHandle = await nursery.start(tracker.run)
        async with handle:
            await handle.fill(fill(1, "2"))
    # the nursery exited: run returned on its own
    assert tracker.state.position("BTC") == 2
    with pytest.raises(TrackerStopped):
        await handle.position("BTC")


async def test_cancelled_tracker_fails_pending_queries_instead_of_hanging() -> None:
    async with trio.open_nursery() as outer:
        cancel_scope = trio.CancelScope()

        async def run_tracker(task_status: trio.TaskStatus[TrackerHandle]) -> None:
            with cancel_scope:
                await PositionTracker().run(task_status=task_status)

        handle: TrackerHandle = await outer.start(run_tracker)
        cancel_scope.cancel()
        with pytest.raises(TrackerStopped):
            await handle.positions()


async def test_order_sent_accepts_an_order_object_and_keywords() -> None:
    async with trio.open_nursery() as nursery:
        handle: TrackerHandle = await nursery.start(PositionTracker().run)
        a = Cloid.from_int(1)
        b = Cloid.from_int(2)
        await handle.order_sent(PlaceOrder("BTC", Side.BUY, 100, 2, tif=Tif.IOC, cloid=a))
        await handle.order_sent(b, "ETH", Side.SELL, Decimal(10), Decimal(1), reduce_only=True)
        await handle.order_filled(a, 11, Decimal(1))
        await handle.order_resting(b, 12)
        orders = {o.cloid: o for o in await handle.orders()}
        # An Ioc that filled partly is done: the rest was cancelled by the venue.
        assert orders[a].status is OrderStatus.CANCELLED and orders[a].filled_sz == 1
        assert orders[b].status is OrderStatus.RESTING and orders[b].reduce_only
        assert [o.cloid for o in await handle.open_orders()] == [b]
        assert await handle.position("BTC") == 1
        await handle.aclose()


async def test_snapshot_outcome_is_falsy_when_deferred() -> None:
    async with trio.open_nursery() as nursery:
        handle: TrackerHandle = await nursery.start(PositionTracker().run)
        cloid = Cloid.from_int(5)
        await handle.order_sent(cloid, "BTC", Side.BUY, Decimal(1), Decimal(1))
        outcome = await handle.snapshot(snapshot("", 5_000, BTC="1"))
        assert not outcome and "in flight" in (outcome.reason or "")
        await handle.order_rejected(cloid, "Insufficient margin to place order.")
        outcome = await handle.snapshot(snapshot("", 5_000, BTC="1"))
        assert outcome.adopted and await handle.position("BTC") == 1
        assert (await handle.stats()).snapshots_deferred == 1
        await handle.aclose()


async def test_a_failing_message_is_counted_and_the_tracker_keeps_serving() -> None:
    async with trio.open_nursery() as nursery:
        handle: TrackerHandle = await nursery.start(PositionTracker().run)
        with pytest.raises(ValueError):
            await handle.order_cancelled()
        await handle._send(object())  # a message type the tracker does not know
        await handle.fill(fill(1, "1"))
        stats = await handle.stats()
        assert stats.errors == 1 and stats.fills_applied == 1
        await handle.aclose()
