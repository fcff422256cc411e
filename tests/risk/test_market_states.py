"""HIP-3 market states as gates: halts and delistings, open-interest caps, stale oracles."""

from __future__ import annotations

from decimal import Decimal

from hip3.executor import Cancel, PlaceOrder
from hip3.risk import MarketStates, RiskGates, RiskLimits, RiskView
from hip3.types import Side

D = Decimal
COIN = "xyz:TSLA"


class Clock:
    def __init__(self) -> None:
        self.ms = 1_700_000_000_000

    def __call__(self) -> int:
        return self.ms


def place(side: Side = Side.BUY, sz: str = "1", *, reduce_only: bool = False) -> PlaceOrder:
    return PlaceOrder(COIN, side, D(250), D(sz), reduce_only=reduce_only)


def setup(**limits: object) -> tuple[Clock, MarketStates, RiskGates]:
    clock = Clock()
    states = MarketStates(now_ms=clock, halt_recheck_secs=30)
    return clock, states, RiskGates(RiskLimits(**limits), states=states)  # type: ignore[arg-type]


def check(gates: RiskGates, clock: Clock, intent: object, position: str = "0") -> str | None:
    view = RiskView(now_ms=clock.ms, positions={COIN: D(position)})
    rejection = gates.check(intent, view)
    return None if rejection is None else rejection.gate


def test_a_market_without_news_passes() -> None:
    clock, _states, gates = setup()
    assert check(gates, clock, place()) is None


def test_a_venue_halt_refusal_gates_the_market_until_the_recheck() -> None:
    clock, states, gates = setup()
    states.note_rejection(COIN, "Trading is halted for xyz:TSLA. asset=110000")
    assert check(gates, clock, place()) == "market_halted"
    assert check(gates, clock, place(Side.SELL, reduce_only=True), position="1") == "market_halted"
    assert check(gates, clock, Cancel(COIN, oid=5)) is None  # cancels always pass
    clock.ms += 29_999
    assert check(gates, clock, place()) == "market_halted"
    clock.ms += 1
    assert check(gates, clock, place()) is None  # one order may probe again


def test_a_delisted_market_is_gated_for_good() -> None:
    clock, states, gates = setup()
    states.set_delisted(COIN, True)
    clock.ms += 10**9
    rejection = gates.check(place(), RiskView(now_ms=clock.ms))
    assert rejection is not None and rejection.gate == "market_halted"
    assert "delisted" in rejection.reason


def test_at_the_cap_only_orders_that_grow_the_position_are_refused() -> None:
    clock, states, gates = setup()
    states.set_capped([COIN], among=[COIN])
    assert check(gates, clock, place(Side.BUY)) == "oi_cap"
    assert check(gates, clock, place(Side.SELL)) == "oi_cap"  # a new short grows too
    assert check(gates, clock, place(Side.SELL, "1"), position="2") is None  # reduces
    assert check(gates, clock, place(Side.SELL, "5"), position="2") == "oi_cap"  # flips larger
    states.set_capped([], among=[COIN])  # the next poll: below the cap again
    assert check(gates, clock, place(Side.BUY)) is None


def test_the_venues_oi_cap_refusal_caps_the_market_until_a_poll_says_otherwise() -> None:
    clock, states, gates = setup()
    states.note_rejection(COIN, "Order would increase open interest while open interest is capped")
    assert check(gates, clock, place()) == "oi_cap"
    states.set_capped([], among=[COIN])
    assert check(gates, clock, place()) is None


def test_open_interest_from_the_stream_against_the_dex_limit() -> None:
    clock, states, gates = setup()
    states.set_caps({COIN: D(1000)})
    states.note_ctx(COIN, {"oraclePx": "250.0", "openInterest": "3.9"})  # $975
    assert check(gates, clock, place()) is None
    states.note_ctx(COIN, {"oraclePx": "250.0", "openInterest": "4.0"})  # $1000: capped
    assert check(gates, clock, place()) == "oi_cap"
    states.note_ctx(COIN, {"oraclePx": "240.0", "openInterest": "4.0"})  # $960
    assert check(gates, clock, place()) is None


def test_a_stale_oracle_gates_orders_but_not_reductions() -> None:
    clock, states, gates = setup(max_oracle_age_ms=10_000)
    states.note_ctx(COIN, {"oraclePx": "250.0", "openInterest": "0"})
    clock.ms += 9_000
    states.note_ctx(COIN, {"oraclePx": "250.0", "openInterest": "0"})  # unchanged: no news
    assert check(gates, clock, place()) is None
    clock.ms += 1_001
    assert check(gates, clock, place()) == "stale_oracle"
    assert check(gates, clock, place(Side.SELL, reduce_only=True), position="1") is None
    states.note_ctx(COIN, {"oraclePx": "250.5", "openInterest": "0"})  # it moved
    assert check(gates, clock, place()) is None


def test_malformed_contexts_change_nothing() -> None:
    clock, states, gates = setup(max_oracle_age_ms=10)
    states.note_ctx(COIN, {"oraclePx": None, "openInterest": "x"})
    states.note_ctx(COIN, {"oraclePx": "NaN"})
    clock.ms += 10**6
    assert states.get(COIN) is None
    assert check(gates, clock, place()) is None
