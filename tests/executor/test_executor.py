"""Executor rules against an in-process venue that keeps its own order book.

These pin the executor's contract (gates first, tracker told before the post,
status mapping, unknown outcomes resolved by cloid without a second post);
the same behaviours over real sockets against hip3.sim live in test_executor_sim.py.
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
import trio
import trio.testing

from hip3.domain import OrderStatus
from hip3.executor import (
    Cancel,
    CancelAll,
    Executor,
    Intent,
    Modify,
    Outcome,
    OutcomeStatus,
    PlaceOrder,
    run_dead_mans_switch,
)
from hip3.risk import MarketLimits, RiskGates, RiskLimits
from hip3.types import Side

from .fakes import Tracker, Venue

D = Decimal


def make(limits: RiskLimits | None = None) -> tuple[Executor, Venue, Tracker]:
    venue, tracker = Venue(), Tracker()
    executor = Executor(
        venue=venue,
        tracker=tracker,
        gates=RiskGates(limits or RiskLimits()),
        resolve_window_secs=5,
        resolve_poll_secs=0.5,
    )
    return executor, venue, tracker


def buy(px: str, sz: str = "1") -> PlaceOrder:
    return PlaceOrder("xyz:GOLD", Side.BUY, px, sz)


async def test_resting_order_tells_tracker_sent_before_resting_with_oid() -> None:
    executor, _venue, tracker = make()
    order = buy("99")
    (outcome,) = await executor.execute(order)
    assert outcome.status is OutcomeStatus.RESTING and outcome.oid == 1
    assert tracker.log == [("sent", order.cloid), ("resting", order.cloid)]
    assert tracker.orders[order.cloid].oid == 1


async def test_filled_order_applies_provisional_fill_at_once() -> None:
    executor, _venue, tracker = make()
    (outcome,) = await executor.execute(buy("100", "2"))
    assert outcome.status is OutcomeStatus.FILLED and outcome.filled_sz == D(2)
    assert tracker.position == {"xyz:GOLD": D(2)}


async def test_venue_error_rejects_with_the_venues_text() -> None:
    executor, venue, tracker = make()
    venue.error_text = "Insufficient margin to place order. asset=110000"
    (outcome,) = await executor.execute(buy("99"))
    assert outcome.status is OutcomeStatus.REJECTED
    assert outcome.reason == venue.error_text and outcome.gate is None
    assert tracker.log[-1] == ("rejected", venue.error_text)
    assert executor.stats.rejected == 1


async def test_gate_rejection_sends_nothing_and_names_the_gate() -> None:
    executor, venue, tracker = make(RiskLimits(default=MarketLimits(max_position_sz=D(1))))
    (outcome,) = await executor.execute(buy("99", "2"))
    assert outcome.status is OutcomeStatus.REJECTED and outcome.gate == "max_position"
    assert venue.posts == [] and tracker.log == []


async def test_transport_failure_before_sending_rejects_without_resolution() -> None:
    executor, venue, _tracker = make()
    venue.fail_next = True
    (outcome,) = await executor.execute(buy("99"))
    assert outcome.status is OutcomeStatus.REJECTED and "connection refused" in str(outcome.reason)
    assert venue.status_calls == 0


async def test_lost_response_resolved_by_order_status_without_second_post(
    autojump_clock: trio.testing.MockClock,
) -> None:
    executor, venue, tracker = make()
    venue.lose_next_response = True
    venue.known_after_status_calls = 2  # the venue answers unknownOid twice first
    order = buy("100", "3")
    (outcome,) = await executor.execute(order)
    assert outcome.status is OutcomeStatus.FILLED and outcome.filled_sz == D(3)
    assert venue.posts == [order.cloid]
    assert tracker.position == {"xyz:GOLD": D(3)}
    assert executor.stats.unknown_outcomes == 1 and executor.stats.unknown_resolved == 1


async def test_lost_order_the_venue_never_saw_ends_rejected_as_lost(
    autojump_clock: trio.testing.MockClock,
) -> None:
    executor, venue, _tracker = make()
    venue.lose_next_response = True
    venue.known_after_status_calls = 10**6
    (outcome,) = await executor.execute(buy("99"))
    assert outcome.status is OutcomeStatus.REJECTED and str(outcome.reason).startswith("lost")
    assert len(venue.posts) == 1


async def test_cancel_and_cancel_all_end_cancelled_or_rejected_with_text() -> None:
    executor, _venue, tracker = make()
    first, second, third = buy("97"), buy("98"), buy("99")
    for order in (first, second, third):
        await executor.execute(order)
    (one,) = await executor.execute(Cancel("xyz:GOLD", cloid=first.cloid))
    assert one.status is OutcomeStatus.CANCELLED
    (again,) = await executor.execute(Cancel("xyz:GOLD", cloid=first.cloid))
    assert again.status is OutcomeStatus.REJECTED and "already canceled" in str(again.reason)
    # The venue's "success" closes the order in the tracker at once (before orderUpdates).
    assert ("update", "canceled") in tracker.log
    assert tracker.orders[first.cloid].status is OrderStatus.CANCELLED
    rest = await executor.execute(CancelAll("xyz:GOLD"))
    assert {o.intent.cloid for o in rest} == {second.cloid, third.cloid}  # type: ignore[union-attr]
    assert all(o.status is OutcomeStatus.CANCELLED for o in rest)


async def test_modify_is_sent_under_the_new_cloid() -> None:
    executor, venue, tracker = make()
    order = buy("97")
    await executor.execute(order)
    modify = Modify("xyz:GOLD", Side.BUY, "98", "1", cloid=order.cloid)
    (outcome,) = await executor.execute(modify)
    assert outcome.status is OutcomeStatus.RESTING
    assert venue.posts == [order.cloid, modify.new_cloid]
    assert ("sent", modify.new_cloid) in tracker.log


async def test_kill_switch_cancels_everything_and_blocks_new_orders() -> None:
    executor, venue, _tracker = make()
    await executor.execute(buy("97"))
    await executor.execute(buy("98"))
    cancelled = await executor.kill("max drawdown")
    assert [o.status for o in cancelled] == [OutcomeStatus.CANCELLED] * 2
    (blocked,) = await executor.execute(buy("96"))
    assert blocked.gate == "kill_switch" and "max drawdown" in str(blocked.reason)
    assert len(venue.posts) == 2


async def test_run_consumes_channel_and_reports_one_outcome_per_intent() -> None:
    executor, venue, _tracker = make()
    intent_send, intent_recv = trio.open_memory_channel[Intent](4)
    outcome_send, outcome_recv = trio.open_memory_channel[Outcome](4)
    venue.error_text = None
    async with trio.open_nursery() as nursery:
        await nursery.start(executor.run, intent_recv, outcome_send)
        async with intent_send:
            await intent_send.send(buy("99"))
            await intent_send.send(buy("100"))
            await intent_send.send(PlaceOrder("xyz:GOLD", Side.SELL, "1", "0.5"))
        statuses = [o.status async for o in outcome_recv]
    assert statuses == [OutcomeStatus.RESTING, OutcomeStatus.FILLED, OutcomeStatus.RESTING]


async def test_dead_mans_switch_arms_rearms_and_disarms(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue = Venue()
    now = [1_000_000]
    async with trio.open_nursery() as nursery:
        await nursery.start(
            lambda task_status: run_dead_mans_switch(
                venue, window_secs=60, rearm_secs=15, now_ms=lambda: now[0], task_status=task_status
            )
        )
        assert venue.scheduled == [1_060_000]
        await trio.sleep(31)
        nursery.cancel_scope.cancel()
    assert venue.scheduled == [1_060_000, 1_060_000, 1_060_000, None]


def test_dead_mans_switch_window_must_respect_venue_minimum() -> None:
    with pytest.raises(ValueError, match="window_secs"):
        trio.run(lambda: run_dead_mans_switch(Venue(), window_secs=2, rearm_secs=1))


async def test_refused_cancel_learns_the_orders_end_from_order_status() -> None:
    """orderUpdates lost: the venue filled the order, the tracker still holds it open."""
    executor, venue, tracker = make()
    order = buy("99")
    await executor.execute(order)
    resting = venue.orders[order.cloid]
    venue.orders[order.cloid] = attrs.evolve(resting, sz=D(0), status="filled")
    (outcome,) = await executor.execute(Cancel("xyz:GOLD", cloid=order.cloid))
    assert outcome.status is OutcomeStatus.REJECTED and "filled" in str(outcome.reason)
    assert tracker.orders[order.cloid].status is OrderStatus.FILLED
    assert executor.stats.fates_learned == 1
    # An order the tracker already closed is not asked about again.
    calls = venue.status_calls
    await executor.execute(Cancel("xyz:GOLD", cloid=order.cloid))
    assert venue.status_calls == calls


async def test_modify_ends_its_target_in_the_tracker_without_waiting_for_order_updates() -> None:
    executor, _venue, tracker = make()
    order = buy("97")
    await executor.execute(order)
    modify = Modify("xyz:GOLD", Side.BUY, "98", "1", cloid=order.cloid)
    await executor.execute(modify)
    assert ("cancelled", "modified") in tracker.log
    assert tracker.orders[order.cloid].status is OrderStatus.CANCELLED
    assert [o.cloid for o in await tracker.open_orders()] == [modify.new_cloid]


async def test_cancel_all_and_kill_leave_someone_elses_orders_on_the_account() -> None:
    executor, venue, tracker = make()
    mine = buy("97")
    await executor.execute(mine)
    # A person's order on the same account, known to the tracker but not the bot's.
    theirs = buy("96")
    await venue.place_orders([theirs])
    tracker.orders[theirs.cloid] = attrs.evolve(
        tracker.orders[mine.cloid], cloid=theirs.cloid, oid=99, own=False
    )
    cancelled = await executor.kill("stop")
    assert [o.intent.cloid for o in cancelled] == [mine.cloid]  # type: ignore[union-attr]
    assert tracker.orders[theirs.cloid].status is OrderStatus.RESTING
    everything = await executor.execute(CancelAll(scope="account"))
    assert [o.intent.cloid for o in everything] == [theirs.cloid]  # type: ignore[union-attr]


def test_cancel_all_scope_is_own_or_account() -> None:
    assert CancelAll().scope == "own"
    with pytest.raises(ValueError, match="scope"):
        CancelAll(scope="everyone")  # type: ignore[arg-type]
