"""Property: whatever the venue does, every intent ends in exactly one outcome and no order
is ever posted twice; the tracker's filled total equals the venue's."""

from __future__ import annotations

from decimal import Decimal

import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.executor import Cancel, CancelAll, Executor, Intent, OutcomeStatus, PlaceOrder
from hip3.risk import RiskGates, RiskLimits
from hip3.types import Side

from .fakes import Tracker, Venue

D = Decimal

step = st.one_of(
    st.tuples(
        st.just("place"),
        st.sampled_from(["97", "99", "100", "101"]),
        st.sampled_from(["0.5", "1", "2"]),
        st.sampled_from(["ok", "lost", "lost_unknown", "refused", "venue_error"]),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 20), st.just(""), st.just("")),
    st.tuples(st.just("cancel_all"), st.just(""), st.just(""), st.just("")),
)


@settings(max_examples=60)
@given(steps=st.lists(step, max_size=25))
def test_every_intent_has_one_outcome_and_nothing_is_posted_twice(
    steps: list[tuple[str, str, str, str]],
) -> None:
    async def scenario() -> None:
        venue, tracker = Venue(), Tracker()
        executor = Executor(
            venue=venue,
            tracker=tracker,
            gates=RiskGates(RiskLimits()),
            resolve_window_secs=3,
            resolve_poll_secs=0.5,
        )
        placed: list[PlaceOrder] = []
        for kind, a, b, fault in steps:
            intent: Intent
            if kind == "place":
                intent = PlaceOrder("BTC", Side.BUY, a, b)
                placed.append(intent)
                venue.lose_next_response = fault == "lost"
                venue.swallow_next = fault == "lost_unknown"
                venue.status_calls = 0
                venue.known_after_status_calls = 1
                venue.fail_next = fault == "refused"
                venue.error_text = "Insufficient margin" if fault == "venue_error" else None
            elif kind == "cancel" and placed:
                intent = Cancel("BTC", cloid=placed[int(a) % len(placed)].cloid)
            else:
                intent = CancelAll()
            outcomes = await executor.execute(intent)
            if not isinstance(intent, CancelAll):
                assert len(outcomes) == 1 and outcomes[0].intent == intent
            for outcome in outcomes:
                assert outcome.status in OutcomeStatus
                if outcome.status is OutcomeStatus.REJECTED:
                    assert outcome.reason
            if fault == "lost_unknown" and kind == "place":
                # Never reached the venue: after the resolution window it is called lost.
                assert outcomes[0].status is OutcomeStatus.REJECTED
                assert str(outcomes[0].reason).startswith("lost")
        assert len(venue.posts) == len(set(venue.posts))
        venue_filled = sum((o.orig_sz for o in venue.orders.values() if o.status == "filled"), D(0))
        assert tracker.position.get("BTC", D(0)) == venue_filled

    trio.run(scenario, clock=trio.testing.MockClock(autojump_threshold=0))
