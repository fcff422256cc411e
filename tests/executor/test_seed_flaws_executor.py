"""The seed design's flaws (design.md "Where it comes from") on the executor/resync side.

tests/tracker/test_seed_flaws.py shows each flaw on the tracker's state alone;
here the same flaws are driven through the parts that produce them in a
running bot -- the executor posting (post responses racing userFills), the
resync timer ticking while an order is in flight, the feed router handling a
reconnect snapshot -- all against the real PositionTracker actor. Each test
would fail on the seed's behaviour (and the resync one failed on hip3's own
timer before a deferred ``SnapshotOutcome`` was recognised as falsy).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import trio
import trio.testing

from hip3.bot.bot import FeedRouter
from hip3.bot.resync import ResyncTimer
from hip3.clients import WsEvent
from hip3.domain import (
    AccountSnapshot,
    Fill,
    Filled,
    OrderAnswer,
    OrderUpdate,
    PositionSnapshot,
    Resting,
)
from hip3.errors import ValidationError, WireError
from hip3.executor import (
    Cancel,
    CancelTarget,
    Executor,
    Modify,
    OutcomeStatus,
    PlaceOrder,
    Tif,
    run_dead_mans_switch,
)
from hip3.risk import MarketLimits, RiskGates, RiskLimits
from hip3.tracker import PositionTracker, TrackerHandle
from hip3.types import Cloid, Side

D = Decimal
BTC = "BTC"


def trade(tid: int, sz: str, order: PlaceOrder, oid: int, time_ms: int) -> Fill:
    return Fill(
        coin=order.coin,
        px=order.limit_px,
        sz=D(sz),
        side=order.side,
        time_ms=time_ms,
        oid=oid,
        tid=tid,
        cloid=order.cloid,
        crossed=True,
        hash="0xabc",
    )


class ScriptedVenue:
    """An OrderVenue whose answers a test scripts, order by order.

    ``before_answer`` runs inside ``place_orders`` before it returns: that is
    where a test delivers userFills ahead of the post response. ``hold`` makes
    the post wait (an order in flight) until the event is set.
    """

    def __init__(self) -> None:
        self.answers: list[OrderAnswer] = []
        self.before_answer: Callable[[PlaceOrder], Any] | None = None
        self.hold: trio.Event | None = None
        self.posted = trio.Event()
        self.open: dict[Cloid, int] = {}
        self.cancelled: list[Cloid] = []
        self.raise_on_post: Exception | None = None
        self.scheduled: list[int | None] = []
        self.cancel_calls = 0

    async def place_orders(self, orders: Sequence[PlaceOrder]) -> Sequence[OrderAnswer]:
        (order,) = orders
        self.posted.set()
        if self.raise_on_post is not None:
            raise self.raise_on_post
        if self.hold is not None:
            await self.hold.wait()
        if self.before_answer is not None:
            await self.before_answer(order)
        result = self.answers.pop(0)
        if isinstance(result, Resting):
            self.open[order.cloid] = result.oid
        return [result]

    async def modify_order(self, modify: Modify) -> OrderAnswer:
        raise AssertionError("not used")

    async def cancel_orders(self, targets: Sequence[CancelTarget]) -> Sequence[str | None]:
        self.cancel_calls += 1
        out: list[str | None] = []
        for target in targets:
            if target.cloid is not None and target.cloid in self.open:
                del self.open[target.cloid]
                self.cancelled.append(target.cloid)
                out.append(None)
            else:
                out.append("Order was never placed, already canceled, or filled.")
        return out

    async def order_status(self, cloid: Cloid) -> OrderUpdate | None:
        return None

    async def schedule_cancel(self, time_ms: int | None) -> None:
        self.scheduled.append(time_ms)


async def start_tracker(nursery: trio.Nursery) -> TrackerHandle:
    handle: TrackerHandle = await nursery.start(PositionTracker(dedup_capacity=2000).run)
    await handle.fills([], is_snapshot=True)  # the subscribe ack: no history
    return handle


def executor_for(venue: ScriptedVenue, tracker: TrackerHandle) -> Executor:
    return Executor(venue=venue, tracker=tracker, gates=RiskGates(RiskLimits()))


# -- flaw 1: one order, several trades with the same cloid ---------------------------------


async def test_split_trades_delivered_before_the_filled_response_count_once() -> None:
    order = PlaceOrder(BTC, Side.BUY, "100", "3", tif=Tif.IOC)
    async with trio.open_nursery() as nursery:
        tracker = await start_tracker(nursery)
        venue = ScriptedVenue()
        venue.answers = [Filled(D(3), D(100), 7)]

        async def userfills_first(sent: PlaceOrder) -> None:
            await tracker.fills([trade(10 + i, "1", sent, 7, 1_000) for i in range(3)])

        venue.before_answer = userfills_first
        (outcome,) = await executor_for(venue, tracker).execute(order)
        assert outcome.status is OutcomeStatus.FILLED
        assert await tracker.position(BTC) == 3  # the seed's cloid dedup keeps 1
        nursery.cancel_scope.cancel()


async def test_filled_response_applies_at_once_and_later_trades_only_confirm() -> None:
    order = PlaceOrder(BTC, Side.SELL, "100", "3", tif=Tif.IOC)
    async with trio.open_nursery() as nursery:
        tracker = await start_tracker(nursery)
        venue = ScriptedVenue()
        venue.answers = [Filled(D(3), D(100), 7)]
        await executor_for(venue, tracker).execute(order)
        assert await tracker.position(BTC) == -3  # seed P0-1: no wait for userFills
        for i in range(3):
            await tracker.fills([trade(10 + i, "1", order, 7, 1_000)])
            assert await tracker.position(BTC) == -3
        nursery.cancel_scope.cancel()


async def test_resting_order_filled_later_in_pieces_counts_every_piece() -> None:
    order = PlaceOrder(BTC, Side.BUY, "100", "2", tif=Tif.ALO)
    async with trio.open_nursery() as nursery:
        tracker = await start_tracker(nursery)
        venue = ScriptedVenue()
        venue.answers = [Resting(8)]
        (outcome,) = await executor_for(venue, tracker).execute(order)
        assert outcome.status is OutcomeStatus.RESTING
        await tracker.fills([trade(20 + i, "0.5", order, 8, 2_000 + i) for i in range(4)])
        assert await tracker.position(BTC) == 2  # the seed counts the first piece only
        nursery.cancel_scope.cancel()


# -- flaw 2 and 3: replays through the feed router (reconnect snapshots) --------------------


class Converters:
    """Wire data -> domain for the feed router; fills here are already domain objects."""

    def fills(self, data: Mapping[str, Any]) -> list[Fill]:
        return list(data["fills"])

    def order_updates(self, data: Any) -> list[OrderUpdate]:
        return list(data)

    def account_snapshot(self, dex: str, data: Mapping[str, Any]) -> AccountSnapshot:
        raise AssertionError("not used")


class Sub:
    def __init__(self, events: Sequence[WsEvent]) -> None:
        self._events = list(events)

    def __aiter__(self) -> Sub:
        return self

    async def __anext__(self) -> WsEvent:
        if not self._events:
            raise StopAsyncIteration
        return self._events.pop(0)


def no_cloid(tid: int, sz: str, side: Side, *, liquidation: bool = False) -> Fill:
    return Fill(BTC, D(100), D(sz), side, 1_000 + tid, 900 + tid, tid, liquidation=liquidation)


async def feed(tracker: TrackerHandle, events: Sequence[WsEvent]) -> None:
    send, receive = trio.open_memory_channel[Any](1)
    bot: Any = _BotStub()
    router = FeedRouter(bot, tracker, send, Converters(), None)
    router.close_strategy_feed()  # no strategy listening in these tests
    await router.user_fills(Sub(events))
    receive.close()


class _BotStub:
    _fills_seen = 0

    def note_dex(self, dex: str) -> None:
        pass

    def on_reconnect(self, channel: str) -> None:
        pass


async def test_no_cloid_fills_replayed_by_the_reconnect_snapshot_count_once() -> None:
    liquidation = no_cloid(30, "2", Side.SELL, liquidation=True)
    elsewhere = no_cloid(31, "1", Side.BUY)
    data = WsEvent("data", "userFills", {"fills": [liquidation, elsewhere]})
    replay = WsEvent("data", "userFills", {"fills": [elsewhere, liquidation]}, is_snapshot=True)
    async with trio.open_nursery() as nursery:
        tracker = await start_tracker(nursery)
        await feed(tracker, [data, WsEvent("reconnected", "userFills"), replay])
        assert await tracker.position(BTC) == -1  # the seed counts both twice: -2
        assert (await tracker.stats()).duplicates_dropped == 2
        nursery.cancel_scope.cancel()


async def test_replay_after_more_than_1000_orders_is_still_recognised() -> None:
    trades = [
        Fill(BTC, D(100), D(1), Side.BUY, 1_000 + i, 100 + i, i, cloid=Cloid.from_int(100 + i))
        for i in range(1_001)
    ]
    events = [
        WsEvent("data", "userFills", {"fills": trades[i : i + 100]}) for i in range(0, 1_001, 100)
    ]
    replay = WsEvent("data", "userFills", {"fills": trades[:10]}, is_snapshot=True)
    async with trio.open_nursery() as nursery:
        tracker = await start_tracker(nursery)
        await feed(tracker, [*events, WsEvent("reconnected", "userFills"), replay])
        assert await tracker.position(BTC) == 1_001  # the seed's cleared set: 1_011
        nursery.cancel_scope.cancel()


# -- flaw 4: a resync while an order is in flight -------------------------------------------


async def test_resync_tick_during_an_order_in_flight_is_deferred_and_retried(
    autojump_clock: trio.testing.MockClock,
) -> None:
    order = PlaceOrder(BTC, Side.BUY, "100", "1", tif=Tif.IOC)
    exchange_szi = [D(0)]
    exchange_time = [0]

    async def fetch(dex: str) -> AccountSnapshot:
        positions = {BTC: PositionSnapshot(BTC, exchange_szi[0])} if exchange_szi[0] else {}
        return AccountSnapshot(dex, exchange_time[0], positions)

    async with trio.open_nursery() as nursery:
        tracker = await start_tracker(nursery)
        timer = ResyncTimer(interval_secs=60, dexes=[""], fetch=fetch, deliver=tracker.snapshot)
        await nursery.start(timer.run)
        venue = ScriptedVenue()
        venue.hold = trio.Event()
        venue.answers = [Filled(D(1), D(100), 7)]
        executor = executor_for(venue, tracker)
        nursery.start_soon(executor.execute, order)
        await venue.posted.wait()
        # The exchange filled it at t=1500; its snapshot at t=2000 holds the fill while
        # the post response is still on its way.
        exchange_szi[0], exchange_time[0] = D(1), 2_000
        await trio.sleep(61)  # one resync tick
        assert timer.stats.deferrals == 1 and timer.stats.snapshots_adopted == 0
        assert await tracker.position(BTC) == 0  # not overwritten with the exchange's 1
        venue.hold.set()
        await trio.testing.wait_all_tasks_blocked()
        await tracker.fills([trade(1, "1", order, 7, 1_500)])
        assert await tracker.position(BTC) == 1  # the seed: 1 + provisional 1 = 2
        await trio.sleep(60)
        assert timer.stats.snapshots_adopted == 1
        assert await tracker.position(BTC) == 1
        assert (await tracker.stats()).drift_events == 0
        nursery.cancel_scope.cancel()


async def test_baseline_snapshot_makes_positions_from_before_the_run_known() -> None:
    """The userFills subscribe snapshot is history; only a baseline says what is held."""
    history = [no_cloid(1, "5", Side.BUY), no_cloid(2, "2", Side.SELL)]  # t 1001, 1002
    after = no_cloid(9, "1", Side.BUY)  # t 1009: after the baseline

    async def fetch(dex: str) -> AccountSnapshot:
        # 3 held from trades older than the 2000 the venue still lists, plus 5 - 2.
        return AccountSnapshot(dex, 1_005, {BTC: PositionSnapshot(BTC, D(6))})

    ack = WsEvent("data", "userFills", {"fills": [*history, after]}, is_snapshot=True)
    async with trio.open_nursery() as nursery:
        with_baseline: TrackerHandle = await nursery.start(PositionTracker().run)
        timer = ResyncTimer(
            interval_secs=0, dexes=[""], fetch=fetch, deliver=with_baseline.snapshot
        )
        assert await timer.resync_until_adopted(timeout_secs=1)
        await feed(with_baseline, [ack])
        assert await with_baseline.position(BTC) == 7

        without: TrackerHandle = await nursery.start(PositionTracker().run)
        await feed(without, [ack])
        assert await without.position(BTC) == 0  # blind until the first resync
        nursery.cancel_scope.cancel()


# -- every intent ends with an outcome; the kill switch -------------------------------------


async def test_any_hip3_error_from_the_venue_ends_the_intent_with_an_outcome(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Refused before sending: rejected at once. An unreadable answer: looked up, not guessed."""
    async with trio.open_nursery() as nursery:
        tracker = await start_tracker(nursery)
        venue = ScriptedVenue()
        executor = executor_for(venue, tracker)
        venue.raise_on_post = ValidationError("too many decimals", field="px")
        invalid = PlaceOrder(BTC, Side.BUY, "100", "1")
        (outcome,) = await executor.execute(invalid)
        assert outcome.status is OutcomeStatus.REJECTED
        assert outcome.reason == "not placed: px: too many decimals"
        # The answer could not be read: the order may have executed, so orderStatus is
        # asked (here it never knows the cloid: lost once the window passed).
        venue.raise_on_post = WireError("bad status")
        unreadable = PlaceOrder(BTC, Side.BUY, "100", "1")
        (outcome,) = await executor.execute(unreadable)
        assert outcome.status is OutcomeStatus.REJECTED and str(outcome.reason).startswith("lost")
        assert executor.stats.unknown_outcomes == 1
        for order in (invalid, unreadable):
            state = await tracker.order(order.cloid)
            assert state is not None and state.status.is_terminal
        assert await tracker.open_orders() == []
        nursery.cancel_scope.cancel()


async def test_cancel_of_an_order_that_never_rested_is_not_sent() -> None:
    async with trio.open_nursery() as nursery:
        tracker = await start_tracker(nursery)
        venue = ScriptedVenue()
        executor = Executor(
            venue=venue,
            tracker=tracker,
            gates=RiskGates(RiskLimits(default=MarketLimits(max_position_sz=D(1)))),
        )
        refused = PlaceOrder(BTC, Side.BUY, "100", "5")
        (placed,) = await executor.execute(refused)
        assert placed.gate == "max_position"
        (cancel,) = await executor.execute(Cancel(BTC, cloid=refused.cloid))
        assert cancel.status is OutcomeStatus.REJECTED
        assert "never rested (refused by gate max_position)" in str(cancel.reason)
        assert venue.cancelled == [] and venue.cancel_calls == 0
        nursery.cancel_scope.cancel()


async def test_kill_waits_for_the_order_in_flight_and_then_cancels_it() -> None:
    order = PlaceOrder(BTC, Side.BUY, "99", "1", tif=Tif.ALO)
    queued = PlaceOrder(BTC, Side.BUY, "98", "1", tif=Tif.ALO)
    async with trio.open_nursery() as nursery:
        tracker = await start_tracker(nursery)
        venue = ScriptedVenue()
        venue.hold = trio.Event()
        venue.answers = [Resting(5), Resting(6)]
        executor = executor_for(venue, tracker)
        results: list[Any] = []

        async def place(intent: PlaceOrder) -> None:
            results.extend(await executor.execute(intent))

        nursery.start_soon(place, order)
        await venue.posted.wait()
        killed: list[Any] = []

        async def kill() -> None:
            killed.extend(await executor.kill("drawdown"))

        nursery.start_soon(kill)
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(place, queued)
        await trio.testing.wait_all_tasks_blocked()
        venue.hold.set()
        await trio.testing.wait_all_tasks_blocked()
        # The resting order was cancelled after its answer, not before; the queued one refused.
        assert [o.status for o in killed] == [OutcomeStatus.CANCELLED]
        assert venue.open == {} and venue.cancelled == [order.cloid]
        assert [o.status for o in results] == [OutcomeStatus.RESTING, OutcomeStatus.REJECTED]
        assert results[1].gate == "kill_switch"
        nursery.cancel_scope.cancel()


async def test_dead_mans_switch_can_be_left_armed_when_the_bot_is_cancelled(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue = ScriptedVenue()
    async with trio.open_nursery() as nursery:
        await nursery.start(
            lambda task_status: run_dead_mans_switch(
                venue,
                window_secs=60,
                rearm_secs=15,
                now_ms=lambda: 0,
                disarm_on_exit=False,
                task_status=task_status,
            )
        )
        await trio.sleep(20)
        nursery.cancel_scope.cancel()
    assert venue.scheduled == [60_000, 60_000]  # never disarmed (None)
