"""The venue's refusal texts, classified."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.risk.rejects import VenueReject, classify_reject

R = VenueReject


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Price must be divisible by tick size. asset=0", R.TICK),
        ("Order has invalid price. asset=110000", R.TICK),
        ("Order has invalid size.", R.SIZE),
        ("Order must have minimum value of $10. asset=1", R.MIN_NOTIONAL),
        ("Order must have minimum value of 10 USDH.", R.MIN_NOTIONAL),
        ("Insufficient margin to place order. asset=0", R.MARGIN),
        ("Insufficient spot balance.", R.MARGIN),
        ("Order would cause position to exceed margin tier limit at current leverage", R.MARGIN),
        ("Reduce only order would increase position.", R.REDUCE_ONLY),
        ("Post only order would have immediately matched, bbo was 1@2. asset=0", R.POST_ONLY_CROSS),
        ("Order could not immediately match against any resting orders. asset=0", R.IOC_NO_MATCH),
        ("No liquidity available for market order.", R.NO_LIQUIDITY),
        ("Order price too far from oracle", R.PRICE_BAND),
        ("Order would increase open interest while open interest is capped", R.OI_CAP),
        (
            "Order rejected due to price more aggressive than oracle while at open interest cap",
            R.OI_CAP,
        ),
        ("Order would increase open interest too quickly", R.OI_CAP),
        ("Trading is halted for xyz:TSLA. asset=110000", R.HALTED),
        ("Too many open orders.", R.TOO_MANY_ORDERS),
        ("Order has duplicate cloid. asset=0", R.DUPLICATE_CLOID),
        (
            "Too many cumulative requests sent (4 > 3) for cumulative volume traded $0.00. "
            "Place taker orders to free up 1 request per USDC traded.",
            R.RATE_LIMITED,
        ),
        ("Cannot modify canceled or filled order", R.ORDER_GONE),
        ("Order was never placed, already canceled, or filled.", R.ORDER_GONE),
        ("User or API Wallet 0xabc does not exist.", R.UNKNOWN_ACCOUNT),
        ("Too many cumulative requests sent. Rate limit exceeded.", R.RATE_LIMITED),
        ("Invalid nonce: duplicate nonce 17", R.NONCE),
        ("Action expired: expiresAfter 1 < 2", R.EXPIRED),
        (
            "Cannot set scheduled cancel time until enough volume traded. "
            "Required: $1000000. Traded: $12.00.",
            R.SCHEDULE_CANCEL,
        ),
        ("Too many scheduled cancel triggers today (max 10).", R.SCHEDULE_CANCEL),
        ("something new the venue says", R.OTHER),
        (None, R.OTHER),
    ],
)
def test_each_known_refusal_has_its_kind(text: str | None, kind: VenueReject) -> None:
    assert classify_reject(text) is kind


@settings(derandomize=True, max_examples=200)
@given(st.text(max_size=120))
def test_any_text_gets_a_kind(text: str) -> None:
    assert isinstance(classify_reject(text), VenueReject)


def test_the_summary_counts_the_venues_refusals_by_reason() -> None:
    from decimal import Decimal

    from hip3.app.summary import OrderCounts, TradeSummary
    from hip3_cli.trade import render_summary

    summary = TradeSummary(
        mode="trading", network="sim", account="0x" + "ab" * 20, markets=("BTC",),
        duration_secs=3.0, interrupted=False, fills=0,
        positions={}, exchange_positions={"BTC": Decimal(0)},
        drift=[], drift_explained=0, orders=OrderCounts(), resync={
            "snapshots_adopted": 1, "deferrals": 0, "fetch_failures": 0},
        dedup={"duplicates_dropped": 0, "capacity": 10}, realized_pnl={}, fees={},
        unrealized_pnl=None, venue_rejects={"oi_cap": 3, "tick": 1},
    )  # fmt: skip
    assert summary.to_json()["venue_rejects"] == {"oi_cap": 3, "tick": 1}
    assert "venue rejects by reason: oi_cap 3, tick 1" in render_summary(summary)


def test_the_ledger_counts_only_the_venues_refusals() -> None:
    from decimal import Decimal

    from hip3.bot.orders import OrderLedger
    from hip3.executor import Cancel, Outcome, PlaceOrder
    from hip3.types import Side

    ledger = OrderLedger()
    order = PlaceOrder("BTC", Side.BUY, Decimal(100), Decimal(1))
    ledger.record(Outcome.rejected(order, "Order has invalid price. asset=0"))
    ledger.record(Outcome.rejected(order, "too big", gate="max_notional"))
    ledger.record(Outcome.rejected(Cancel("BTC", oid=1), "Order was never placed, already "
                                   "canceled, or filled."))  # fmt: skip
    ledger.record(Outcome.rejected(order, "Order has invalid price."), sent=False)  # observe
    assert ledger.venue_rejects == {R.TICK: 1, R.ORDER_GONE: 1}
