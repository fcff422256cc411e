"""Per-market lanes: one market's lost answer does not stall another; each market keeps
its order; kill and a CancelAll of every market wait for every lane; global gates hold
under concurrency. MockClock throughout: every delay below is virtual time."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.domain import OrderAnswer, Resting
from hip3.errors import UnknownOutcomeError
from hip3.executor import (
    Cancel,
    CancelAll,
    CancelTarget,
    Executor,
    Intent,
    Modify,
    Outcome,
    OutcomeStatus,
    PlaceOrder,
)
from hip3.risk import RiskGates, RiskLimits
from hip3.types import Side

from .fakes import Tracker, Venue

D = Decimal


class SlowVenue(Venue):
    """The fake venue with per-coin round trips, recording each call when it executes."""

    def __init__(self, delays: dict[str, float] | None = None) -> None:
        super().__init__()
        self.delays = delays or {}
        self.lose_coins: set[str] = set()  # the post executes, its answer never comes
        self.calls: list[tuple[float, str, str, object]] = []  # (time, kind, coin, cloid)
        self.open_now = 0
        self.max_open = 0

    async def place_orders(self, orders: Sequence[PlaceOrder]) -> Sequence[OrderAnswer]:
        (order,) = orders
        await trio.sleep(self.delays.get(order.coin, 0.01))
        self.calls.append((trio.current_time(), "place", order.coin, order.cloid))
        results = await super().place_orders(orders)
        if isinstance(results[0], Resting):
            self.open_now += 1
            self.max_open = max(self.max_open, self.open_now)
        if order.coin in self.lose_coins:
            self.lose_coins.discard(order.coin)
            await trio.sleep(10)  # the ws post timeout
            raise UnknownOutcomeError("ws post timed out")
        return results

    async def cancel_orders(self, targets: Sequence[CancelTarget]) -> Sequence[str | None]:
        await trio.sleep(0.01)
        for target in targets:
            self.calls.append((trio.current_time(), "cancel", target.coin, target.cloid))
        statuses = await super().cancel_orders(targets)
        self.open_now -= sum(1 for s in statuses if s is None)
        return statuses


def make(venue: SlowVenue, limits: RiskLimits | None = None, **kw: object) -> Executor:
    return Executor(
        venue=venue,
        tracker=Tracker(),
        gates=RiskGates(limits or RiskLimits()),
        resolve_window_secs=5,
        resolve_poll_secs=0.5,
        **kw,  # type: ignore[arg-type]
    )


def buy(coin: str, px: str = "99") -> PlaceOrder:
    return PlaceOrder(coin, Side.BUY, px, "1")


async def run_with(
    executor: Executor,
    feed: list[Intent],
    *,
    during: list[tuple[float, Intent]] | None = None,
) -> list[tuple[float, Outcome]]:
    """Feed intents to ``Executor.run`` (``during``: more after a virtual delay)."""
    received: list[tuple[float, Outcome]] = []
    intents_send, intents_recv = trio.open_memory_channel[Intent](0)
    outcomes_send, outcomes_recv = trio.open_memory_channel[Outcome](0)

    async def collect() -> None:
        async with outcomes_recv:
            async for outcome in outcomes_recv:
                received.append((trio.current_time(), outcome))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(executor.run, intents_recv, outcomes_send)
        nursery.start_soon(collect)
        async with intents_send:
            for intent in feed:
                await intents_send.send(intent)
            for delay, intent in during or []:
                await trio.sleep(delay)
                await intents_send.send(intent)
    return received


async def test_lost_answer_on_one_market_does_not_delay_another(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue = SlowVenue()
    venue.lose_coins = {"A"}
    venue.known_after_status_calls = 3  # resolution takes a few polls after the timeout
    executor = make(venue)
    a, b = buy("A"), buy("B")
    start = trio.current_time()
    received = await run_with(executor, [a], during=[(0.001, b)])
    by_intent = {outcome.intent: (t - start, outcome) for t, outcome in received}
    b_at, b_outcome = by_intent[b]
    a_at, a_outcome = by_intent[a]
    assert b_outcome.status is OutcomeStatus.RESTING and b_at < 0.1
    assert a_outcome.status is OutcomeStatus.RESTING  # resolved by orderStatus
    assert a_at > 10 + 1  # the post timeout, then the polls
    assert [o.intent for _, o in received] == [b, a]
    assert executor.stats.unknown_resolved == 1


async def test_lost_answer_does_not_delay_the_same_market_out_of_order(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """The same market still waits: its cancel must follow the unresolved placement."""
    venue = SlowVenue()
    venue.lose_coins = {"A"}
    executor = make(venue)
    a = buy("A")
    received = await run_with(executor, [a, Cancel("A", cloid=a.cloid), buy("B")])
    kinds = [(kind, coin) for _, kind, coin, _ in venue.calls]
    assert kinds.index(("place", "A")) < kinds.index(("cancel", "A"))
    cancel_at = next(t for t, kind, coin, _ in venue.calls if kind == "cancel")
    assert cancel_at > 10  # after A's resolution
    assert [o.status for _, o in received if isinstance(o.intent, Cancel)] == [
        OutcomeStatus.CANCELLED
    ]


lane_step = st.tuples(
    st.sampled_from(["A", "B", "C"]),
    st.sampled_from(["place", "cancel", "modify"]),
    st.sampled_from([0.0, 0.3, 1.0, 2.5]),  # the call's round trip
)


@settings(max_examples=40)
@given(steps=st.lists(lane_step, min_size=1, max_size=20))
def test_each_market_keeps_its_order_under_any_interleaving(
    steps: list[tuple[str, str, float]],
) -> None:
    async def scenario() -> None:
        venue = SlowVenue()
        executor = make(venue)
        feed: list[Intent] = []
        expected: dict[str, list[tuple[str, object]]] = {}
        last: dict[str, PlaceOrder] = {}
        delays: list[float] = []
        for coin, kind, delay in steps:
            intent: Intent
            if kind == "place" or coin not in last:
                intent = buy(coin)
                last[coin] = intent
                expected.setdefault(coin, []).append(("place", intent.cloid))
            elif kind == "cancel":
                intent = Cancel(coin, cloid=last[coin].cloid)
                expected.setdefault(coin, []).append(("cancel", intent.cloid))
            else:
                old = last[coin]
                intent = Modify(coin, Side.BUY, "98", "1", cloid=old.cloid)
                last[coin] = PlaceOrder(coin, Side.BUY, "98", "1", cloid=intent.new_cloid)
                expected.setdefault(coin, []).append(("place", intent.new_cloid))
            feed.append(intent)
            delays.append(delay)
        # Each call's round trip varies by the intent's place in the feed.
        venue.delays = {}
        original = venue.place_orders
        position = iter(delays)

        async def varied(orders: Sequence[PlaceOrder]) -> Sequence[OrderAnswer]:
            venue.delays[orders[0].coin] = next(position, 0.01)
            return await original(orders)

        venue.place_orders = varied  # type: ignore[method-assign]
        received = await run_with(executor, feed)
        assert sorted(id(o.intent) for _, o in received) == sorted(id(i) for i in feed)
        for coin, calls in expected.items():
            seen = [(kind, cloid) for _, kind, c, cloid in venue.calls if c == coin]
            # A cancel of an order that never rested may end without a call; everything
            # that did reach the venue did so in the feed's order.
            assert seen == [call for call in calls if call in seen]
            assert [c for c in seen if c[0] == "place"] == [c for c in calls if c[0] == "place"]

    trio.run(scenario, clock=trio.testing.MockClock(autojump_threshold=0))


async def test_kill_waits_for_in_flight_intents_of_every_lane(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue = SlowVenue({"A": 3.0, "B": 5.0})
    executor = make(venue)
    a, b, late = buy("A"), buy("B"), buy("C")
    killed: list[Outcome] = []

    async def kill_soon() -> None:
        await trio.sleep(1)
        killed.extend(await executor.kill("test"))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(kill_soon)
        received = await run_with(executor, [a, b], during=[(1.5, late)])
    place_times = [t for t, kind, _, _ in venue.calls if kind == "place"]
    cancel_times = [t for t, kind, _, _ in venue.calls if kind == "cancel"]
    assert len(place_times) == 2 and cancel_times
    assert min(cancel_times) >= max(place_times)  # nothing in flight when cancels go out
    assert {o.intent.cloid for o in killed} == {a.cloid, b.cloid}  # type: ignore[union-attr]
    assert all(o.status is OutcomeStatus.CANCELLED for o in killed)
    late_outcome = next(o for _, o in received if o.intent is late)
    assert late_outcome.status is OutcomeStatus.REJECTED and late_outcome.gate == "kill_switch"
    assert venue.open_now == 0


async def test_cancel_all_is_a_barrier_across_lanes(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue = SlowVenue({"A": 3.0, "B": 1.0})
    executor = make(venue)
    a, b = buy("A"), buy("B")
    after = buy("B", "98")
    received = await run_with(executor, [a, b, CancelAll(), after])
    kinds = [(kind, cloid) for _, kind, _, cloid in venue.calls]
    assert kinds == [
        ("place", b.cloid),  # the quicker lane answers first
        ("place", a.cloid),
        ("cancel", a.cloid),  # one cancel call, after both lanes ended
        ("cancel", b.cloid),
        ("place", after.cloid),  # and what followed the barrier, after it
    ]
    cancel_times = [t for t, kind, _, _ in venue.calls if kind == "cancel"]
    after_time = next(t for t, kind, _, c in venue.calls if c == after.cloid)
    assert max(t for t, kind, _, c in venue.calls if kind == "place" and c != after.cloid) <= min(
        cancel_times
    )
    assert after_time >= max(cancel_times)
    cancelled = [o for _, o in received if isinstance(o.intent, Cancel)]
    assert {o.intent.cloid for o in cancelled} == {a.cloid, b.cloid}  # type: ignore[union-attr]
    assert next(o for _, o in received if o.intent is after).status is OutcomeStatus.RESTING


async def test_max_open_orders_holds_under_concurrent_placements(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue = SlowVenue({coin: 2.0 for coin in "ABCDEF"})
    executor = make(venue, RiskLimits(max_open_orders=2))
    orders = [buy(coin) for coin in "ABCDEF"]
    received = await run_with(executor, list(orders))
    statuses = [o.status for _, o in received]
    assert statuses.count(OutcomeStatus.RESTING) == 2
    refused = [o for _, o in received if o.status is OutcomeStatus.REJECTED]
    assert len(refused) == 4 and {o.gate for o in refused} == {"max_open_orders"}
    assert venue.max_open == 2
    # Concurrency is real: the two admitted posts overlapped in time.
    first, second = (t for t, *_ in venue.calls)
    assert first == second


async def test_rate_budget_counts_posts_in_flight_in_other_lanes(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue = SlowVenue({coin: 2.0 for coin in "ABCD"})
    executor = make(
        venue, RiskLimits(min_rate_budget=1), rate_budget=lambda: 3.0
    )  # room for two posts at once (each costs 1, the reserve is 1)
    received = await run_with(executor, [buy(coin) for coin in "ABCD"])
    refused = [o for _, o in received if o.status is OutcomeStatus.REJECTED]
    assert len(venue.posts) == 2
    assert len(refused) == 2 and {o.gate for o in refused} == {"rate_limit"}
