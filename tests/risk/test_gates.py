from __future__ import annotations

from decimal import Decimal

import pytest

from hip3.domain import OrderState, OrderStatus
from hip3.executor import Cancel, CancelAll, Modify, PlaceOrder
from hip3.risk import KillSwitch, MarketData, MarketLimits, RiskGates, RiskLimits, RiskView
from hip3.types import Cloid, Side

D = Decimal
NOW_MS = 1_700_000_000_000


def view(**kwargs: object) -> RiskView:
    base: dict[str, object] = {
        "now_ms": NOW_MS,
        "market_data": {
            "BTC": MarketData("BTC", NOW_MS - 100, mid=D(100), mark=D(100)),
            "xyz:GOLD": MarketData("xyz:GOLD", NOW_MS - 100, oracle=D(2000)),
        },
    }
    base.update(kwargs)
    return RiskView(**base)  # type: ignore[arg-type]


def order(coin: str, side: Side, sz: str, status: OrderStatus = OrderStatus.RESTING) -> OrderState:
    return OrderState(coin, side, D(100), D(sz), status, oid=1, cloid=Cloid.random())


def buy(sz: str = "1", px: str = "100", coin: str = "BTC", **kw: object) -> PlaceOrder:
    return PlaceOrder(coin, Side.BUY, px, sz, **kw)  # type: ignore[arg-type]


def test_order_within_all_limits_passes() -> None:
    gates = RiskGates(
        RiskLimits(
            default=MarketLimits(D(5), D(1000)),
            max_open_orders=4,
            price_band_bps=D(100),
            max_data_age_ms=1000,
        )
    )
    assert gates.check(buy(), view()) is None


def test_max_position_counts_position_and_same_side_open_orders() -> None:
    gates = RiskGates(RiskLimits(default=MarketLimits(max_position_sz=D(3))))
    v = view(positions={"BTC": D(1)}, open_orders=[order("BTC", Side.BUY, "1")])
    assert gates.check(buy("1"), v) is None
    rejection = gates.check(buy("1.5"), v)
    assert rejection is not None and rejection.gate == "max_position"
    assert "3.5" in rejection.reason and "BTC" in rejection.reason


def test_max_position_lets_a_reducing_order_through_when_over_the_cap() -> None:
    gates = RiskGates(RiskLimits(default=MarketLimits(max_position_sz=D(1))))
    sell = PlaceOrder("BTC", Side.SELL, "100", "2")
    assert gates.check(sell, view(positions={"BTC": D(5)})) is None


def test_per_market_limits_override_default() -> None:
    limits = RiskLimits(
        default=MarketLimits(max_position_sz=D(10)),
        per_market={"xyz:GOLD": MarketLimits(max_position_sz=D("0.5"))},
    )
    rejection = RiskGates(limits).check(buy("1", "2000", coin="xyz:GOLD"), view())
    assert rejection is not None and rejection.gate == "max_position"
    assert RiskGates(limits).check(buy("1"), view()) is None


def test_max_notional_rejects_projected_notional_over_cap() -> None:
    gates = RiskGates(RiskLimits(default=MarketLimits(max_notional_usd=D(250))))
    assert gates.check(buy("2"), view()) is None
    rejection = gates.check(buy("3"), view())
    assert rejection is not None and rejection.gate == "max_notional"
    assert "300.00" in rejection.reason


def test_max_open_orders_counts_only_live_orders() -> None:
    gates = RiskGates(RiskLimits(max_open_orders=2))
    live = [order("BTC", Side.BUY, "1"), order("BTC", Side.SELL, "1", OrderStatus.PENDING)]
    rejection = gates.check(buy(), view(open_orders=live))
    assert rejection is not None and rejection.gate == "max_open_orders"
    done = [live[0], order("BTC", Side.SELL, "1", OrderStatus.FILLED)]
    assert gates.check(buy(), view(open_orders=done)) is None


def test_price_band_measured_against_mark_then_oracle() -> None:
    gates = RiskGates(RiskLimits(price_band_bps=D(50)))
    assert gates.check(buy(px="100.4"), view()) is None
    rejection = gates.check(buy(px="101"), view())
    assert rejection is not None and rejection.gate == "price_band"
    assert "100.0 bps" in rejection.reason
    gold = gates.check(buy(px="2020", coin="xyz:GOLD"), view())
    assert gold is not None and gold.gate == "price_band" and "2000" in gold.reason


def test_price_band_rejects_when_no_reference_price() -> None:
    gates = RiskGates(RiskLimits(price_band_bps=D(50)))
    rejection = gates.check(buy(coin="ETH"), view())
    assert rejection is not None and rejection.gate == "price_band"


def test_stale_market_data_rejected_with_its_age() -> None:
    gates = RiskGates(RiskLimits(max_data_age_ms=500))
    old = {"BTC": MarketData("BTC", NOW_MS - 2000, mid=D(100))}
    rejection = gates.check(buy(), view(market_data=old))
    assert rejection is not None and rejection.gate == "stale_data"
    assert "2000 ms" in rejection.reason
    missing = gates.check(buy(coin="ETH"), view())
    assert missing is not None and missing.gate == "stale_data"


def test_rate_limit_budget_reserve_enforced() -> None:
    gates = RiskGates(RiskLimits(min_rate_budget=10))
    assert gates.check(buy(), view(rate_budget=11.0)) is None
    rejection = gates.check(buy(), view(rate_budget=10.5))
    assert rejection is not None and rejection.gate == "rate_limit"


def test_kill_switch_blocks_orders_but_not_cancels() -> None:
    switch = KillSwitch()
    switch.engage("drawdown")
    switch.engage("second reason ignored")
    gates = RiskGates(RiskLimits())
    v = view(kill_reason=switch.reason)
    rejection = gates.check(buy(), v)
    assert rejection is not None and rejection.gate == "kill_switch"
    assert "drawdown" in str(rejection)
    assert gates.check(Cancel("BTC", oid=5), v) is None
    assert gates.check(CancelAll(), v) is None
    switch.reset()
    assert not switch.engaged


def test_modify_does_not_count_the_order_it_replaces() -> None:
    gates = RiskGates(RiskLimits(default=MarketLimits(max_position_sz=D(2)), max_open_orders=1))
    resting = order("BTC", Side.BUY, "2")
    modify = Modify("BTC", Side.BUY, "99", "2", cloid=resting.cloid)
    assert gates.check(modify, view(open_orders=[resting])) is None


def test_reduce_only_skips_position_gates() -> None:
    gates = RiskGates(RiskLimits(default=MarketLimits(max_position_sz=D(1))))
    assert gates.check(buy("5", reduce_only=True), view()) is None


@pytest.mark.parametrize("bad", [{"cloid": None, "oid": None}, {"cloid": Cloid.random(), "oid": 3}])
def test_cancel_needs_exactly_one_target(bad: dict[str, object]) -> None:
    from hip3.errors import ValidationError

    with pytest.raises(ValidationError):
        Cancel("BTC", **bad)  # type: ignore[arg-type]
