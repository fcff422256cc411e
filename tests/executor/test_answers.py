"""One model of an order's answer, and one rule for a lost one.

A lost answer is resolved by ``orderStatus`` by cloid in one place
(:func:`hip3.clients.resolve.resolve_by_cloid`), whether the venue client
resolved it (it answers :class:`~hip3.domain.Resolved`) or the executor had to
(the venue raised ``UnknownOutcomeError``): the same venue view of the order
must end the intent the same way, and tell the tracker the same things.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest
import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.clients.resolve import resolve_by_cloid
from hip3.domain import OrderAnswer, OrderUpdate, Resolved
from hip3.errors import TransportError, UnknownOutcomeError
from hip3.executor import Executor, OutcomeStatus, PlaceOrder
from hip3.risk import RiskGates, RiskLimits
from hip3.types import Cloid, Side

from .fakes import Tracker, Venue

D = Decimal
C1 = Cloid.from_int(1)


def _update(cloid: Cloid, status: str, orig: Decimal, remaining: Decimal) -> OrderUpdate:
    return OrderUpdate("xyz:GOLD", 41, Side.BUY, D(100), remaining, orig, status, 7, cloid=cloid)


# -- resolve_by_cloid -------------------------------------------------------------


async def test_resolve_asks_until_the_venue_knows_the_order(
    autojump_clock: trio.testing.MockClock,
) -> None:
    asked: list[float] = []
    update = _update(C1, "open", D(1), D(1))

    async def ask(cloid: Cloid) -> OrderUpdate | None:
        assert cloid == C1
        asked.append(trio.current_time())
        return update if len(asked) == 3 else None

    resolved = await resolve_by_cloid(ask, C1, window_secs=10, poll_secs=0.5)
    assert resolved == Resolved(C1, update) and resolved.found and resolved.oid == 41
    assert asked == [0.0, 0.5, 1.0]


async def test_resolve_gives_up_after_the_window_having_asked_at_its_end(
    autojump_clock: trio.testing.MockClock,
) -> None:
    asked: list[float] = []

    async def ask(cloid: Cloid) -> OrderUpdate | None:
        asked.append(trio.current_time())
        return None

    resolved = await resolve_by_cloid(ask, C1, window_secs=2, poll_secs=0.5)
    assert resolved == Resolved(C1, None) and not resolved.found
    assert resolved.filled_sz == 0 and resolved.status is None
    assert asked == [0.0, 0.5, 1.0, 1.5, 2.0]


async def test_resolve_lets_a_failed_lookup_end_it() -> None:
    async def ask(cloid: Cloid) -> OrderUpdate | None:
        raise UnknownOutcomeError("orderStatus failed")

    with pytest.raises(UnknownOutcomeError, match="orderStatus failed"):
        await resolve_by_cloid(ask, C1, window_secs=2, poll_secs=0.5)


# -- the same venue view, resolved by the client or by the executor ---------------


class _LosingVenue(Venue):
    """Loses the post's answer; then resolves it itself (answers ``Resolved(view)``), or
    leaves the lookup to the executor (raises ``UnknownOutcomeError``)."""

    def __init__(self, view: OrderUpdate | None, *, resolves_itself: bool) -> None:
        super().__init__()
        self.view = view
        self.resolves_itself = resolves_itself

    async def place_orders(self, orders: Sequence[PlaceOrder]) -> Sequence[OrderAnswer]:
        self.posts.extend(o.cloid for o in orders)
        if self.resolves_itself:
            return [Resolved(o.cloid, self.view) for o in orders]
        raise UnknownOutcomeError("ws post timed out")

    async def order_status(self, cloid: Cloid) -> OrderUpdate | None:
        self.status_calls += 1
        if self.status_calls == 1:
            raise TransportError("orderStatus timed out")  # retried, not final
        return self.view


def _lost(reason: object) -> object:
    """A lost order's reason names why its answer was lost, which differs by path."""
    return "lost" if isinstance(reason, str) and reason.startswith("lost:") else reason


_STATUSES = ["open", "filled", "canceled", "marginCanceled", "rejected", "minTradeNtlRejected"]


@settings(max_examples=60)
@given(
    status=st.sampled_from([*_STATUSES, None]),
    orig=st.integers(1, 5),
    remaining=st.integers(0, 5),
)
def test_a_lost_answer_ends_the_same_whoever_resolved_it(
    status: str | None, orig: int, remaining: int
) -> None:
    order = PlaceOrder("xyz:GOLD", Side.BUY, "100", orig, cloid=C1)
    view = None if status is None else _update(C1, status, D(orig), D(min(remaining, orig)))

    def run(venue: Venue) -> tuple[object, ...]:
        tracker = Tracker()
        executor = Executor(
            venue=venue,
            tracker=tracker,
            gates=RiskGates(RiskLimits()),
            resolve_window_secs=2,
            resolve_poll_secs=0.5,
        )

        async def main() -> tuple[object, ...]:
            (outcome,) = await executor.execute(order)
            return (
                outcome.status,
                outcome.oid,
                outcome.filled_sz,
                _lost(outcome.reason),
                [(what, _lost(detail)) for what, detail in tracker.log],
                tracker.position,
                venue.posts,
            )

        return trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))

    by_client = run(_LosingVenue(view, resolves_itself=True))
    by_executor = run(_LosingVenue(view, resolves_itself=False))
    assert by_client == by_executor
    assert by_client[-1] == [C1]  # posted once, never again
    if status is None:
        assert by_client[0] is OutcomeStatus.REJECTED and by_client[3] == "lost"
