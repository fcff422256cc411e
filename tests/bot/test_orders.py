"""OrderLedger: orders counted once each by the tracker's state, intents apart."""

from __future__ import annotations

from decimal import Decimal

import attrs

from hip3.bot import OrderLedger, OrderTally
from hip3.domain import OrderState, OrderStatus
from hip3.executor import Cancel, CancelAll, Modify, Outcome, OutcomeStatus, PlaceOrder
from hip3.types import Side

D = Decimal


def quote(px: str = "100") -> PlaceOrder:
    return PlaceOrder("BTC", Side.BUY, px, "1")


def state(order: PlaceOrder, status: OrderStatus, filled: str = "0") -> OrderState:
    return OrderState(
        order.coin, order.side, order.px, order.sz, status, cloid=order.cloid, filled_sz=D(filled)
    )


def settle(ledger: OrderLedger, *states: OrderState) -> OrderTally:
    return ledger.settle(ledger.pending_cloids(), states)


def test_a_quote_filled_after_resting_is_a_filled_order_and_its_late_cancel_no_rejection() -> None:
    ledger = OrderLedger()
    q = quote()
    ledger.record(Outcome(q, OutcomeStatus.RESTING, oid=1))
    assert settle(ledger, state(q, OrderStatus.RESTING)) == OrderTally(placed=1, resting=1)
    # The stream fills it; the strategy's cancel arrives too late and is refused.
    ledger.record(Outcome.rejected(Cancel("BTC", cloid=q.cloid), "already canceled, or filled"))
    assert settle(ledger, state(q, OrderStatus.FILLED, "1")) == OrderTally(placed=1, filled=1)
    assert ledger.intents["place"][OutcomeStatus.RESTING] == 1
    assert ledger.intents["cancel"][OutcomeStatus.REJECTED] == 1
    # Settled orders are folded into counters: nothing left to ask the tracker about.
    assert ledger.pending_cloids() == []
    assert settle(ledger) == OrderTally(placed=1, filled=1)


def test_refusals_by_gate_and_by_venue_are_counted_apart() -> None:
    ledger = OrderLedger()
    gated, refused = quote("1"), quote("2")
    ledger.record(Outcome.rejected(gated, "too big", gate="max_notional"))
    ledger.record(Outcome.rejected(refused, "would have immediately matched"))
    tally = settle(ledger, state(refused, OrderStatus.REJECTED))
    assert tally == OrderTally(placed=1, rejected=2, venue_rejections=1, gate_rejections=1)
    assert ledger.intents_json()["place"] == {
        "filled": 0,
        "resting": 0,
        "cancelled": 0,
        "rejected": 2,
    }


def test_partial_fills_modify_replacements_and_cancel_all() -> None:
    ledger = OrderLedger()
    a, b = quote("1"), quote("2")
    ledger.record(Outcome(a, OutcomeStatus.RESTING, oid=1))
    ledger.record(Outcome(b, OutcomeStatus.RESTING, oid=2))
    modify = Modify("BTC", Side.BUY, "3", "1", cloid=a.cloid)
    replacement = attrs.evolve(a, limit_px=D(3), cloid=modify.new_cloid)
    ledger.record(Outcome(modify, OutcomeStatus.RESTING, oid=3))
    ledger.record(Outcome(CancelAll(), OutcomeStatus.CANCELLED, oid=2))
    tally = settle(
        ledger,
        state(a, OrderStatus.CANCELLED),  # replaced by the modify
        state(b, OrderStatus.CANCELLED, "0.4"),
        state(replacement, OrderStatus.PARTIALLY_FILLED, "0.5"),
    )
    assert tally == OrderTally(placed=3, cancelled=2, resting=1, partially_filled=2)
    assert ledger.intents["modify"][OutcomeStatus.RESTING] == 1
    assert ledger.intents["cancel"][OutcomeStatus.CANCELLED] == 1


def test_forgotten_orders_fall_back_to_the_post_answer_and_late_ones_count_open() -> None:
    ledger = OrderLedger()
    took, rested = quote("1"), quote("2")
    ledger.record(Outcome(took, OutcomeStatus.FILLED, oid=1, filled_sz=D(1)))
    ledger.record(Outcome(rested, OutcomeStatus.RESTING, oid=2))
    asked = ledger.pending_cloids()
    # An order sent while the question was on its way is not taken for a forgotten one.
    late = quote("3")
    ledger.record(Outcome(late, OutcomeStatus.RESTING, oid=3))
    tally = ledger.settle(asked, [])  # the tracker remembers neither of the first two
    assert tally == OrderTally(placed=3, filled=1, untracked=1, resting=1)
    assert ledger.pending_cloids() == [late.cloid]


def test_observe_mode_refusals_are_intents_not_orders() -> None:
    ledger = OrderLedger()
    ledger.record(Outcome.rejected(quote(), "observe mode: no orders are sent"), sent=False)
    assert settle(ledger) == OrderTally()
    assert ledger.intents["place"][OutcomeStatus.REJECTED] == 1


def test_settling_is_asked_for_as_pending_orders_pile_up() -> None:
    ledger = OrderLedger()
    quotes = [quote(str(100 + i)) for i in range(64)]
    for q in quotes[:-1]:
        ledger.record(Outcome(q, OutcomeStatus.RESTING, oid=1))
    assert not ledger.needs_settling()
    ledger.record(Outcome(quotes[-1], OutcomeStatus.RESTING, oid=1))
    assert ledger.needs_settling()
    settle(ledger, *(state(q, OrderStatus.CANCELLED) for q in quotes))
    assert not ledger.needs_settling() and ledger.pending_cloids() == []
