"""``max_notional_per_token``: the summed notional of every perp position settled in one
token (the whole account's, a person's positions included) is capped per token, and
amounts of different tokens are never added together."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.executor import PlaceOrder
from hip3.risk import MarketData, MarketLimits, RiskGates, RiskLimits, RiskView
from hip3.types import Side

D = Decimal
NOW_MS = 1_700_000_000_000
#: two markets per token: the main dex settles in USDC, the xyz dex in USDH
TOKEN = {"BTC": "USDC", "ETH": "USDC", "xyz:TSLA": "USDH", "xyz:NVDA": "USDH", "@1": None}
PRICE = {"BTC": D(100), "ETH": D(10), "xyz:TSLA": D(50), "xyz:NVDA": D(20), "@1": D(3)}
CAPS = {"USDC": D(1000), "USDH": D(600)}


def gates(caps: dict[str, Decimal] = CAPS) -> RiskGates:
    return RiskGates(RiskLimits(max_notional_per_token=caps), collateral_of=TOKEN.get)


def view(positions: dict[str, Decimal], *, priced: tuple[str, ...] = tuple(PRICE)) -> RiskView:
    data = {coin: MarketData(coin, NOW_MS, mark=PRICE[coin]) for coin in priced}
    return RiskView(now_ms=NOW_MS, positions=positions, market_data=data)


def buy(coin: str, sz: str) -> PlaceOrder:
    return PlaceOrder(coin, Side.BUY, PRICE[coin], D(sz))


def test_a_token_cap_counts_the_other_markets_of_that_token_only() -> None:
    # 500 USDC in ETH (a person's) + a BTC buy of 600 = 1100 > 1000: refused
    refused = gates().check(buy("BTC", "6"), view({"ETH": D(50)}))
    assert refused is not None and refused.gate == "max_notional_per_token"
    assert "USDC notional of the account would reach 1100.00 USDC (max 1000)" in refused.reason
    # 590 USDH on the xyz dex changes nothing for USDC: never summed across tokens
    assert gates().check(buy("BTC", "4"), view({"ETH": D(50), "xyz:TSLA": D("11.8")})) is None
    # and the USDH cap sees only USDH: 590 + 20 = 610 > 600
    usdh = gates().check(buy("xyz:NVDA", "1"), view({"ETH": D(50), "xyz:TSLA": D("11.8")}))
    assert usdh is not None and "USDH notional" in usdh.reason


def test_a_reducing_order_passes_and_spot_balances_are_no_perp_notional() -> None:
    over = view({"BTC": D(20), "@1": D(10_000)})  # 2000 USDC of BTC: already over the cap
    assert gates().check(PlaceOrder("BTC", Side.SELL, D(100), D(5)), over) is None
    assert gates().check(buy("BTC", "1"), view({"@1": D(10_000)})) is None


def test_a_position_without_a_price_cannot_be_bounded_and_refuses() -> None:
    refused = gates().check(buy("BTC", "1"), view({"ETH": D(1)}, priced=("BTC",)))
    assert refused is not None and "no price for the ETH position" in refused.reason


def test_no_cap_for_a_token_means_no_check_for_it() -> None:
    assert gates({"USDH": D(1)}).check(buy("BTC", "100"), view({"ETH": D(1)}, priced=())) is None


def test_the_per_market_cap_names_the_markets_token() -> None:
    limits = RiskLimits(default=MarketLimits(max_notional_usd=D(100)))
    refused = RiskGates(limits, collateral_of=TOKEN.get).check(buy("xyz:TSLA", "3"), view({}))
    assert refused is not None and refused.reason.endswith("150.00 USDH (max 100)")


sizes = st.decimals(min_value=-30, max_value=30, places=1)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    positions=st.fixed_dictionaries({coin: sizes for coin in TOKEN}),
    coin=st.sampled_from(["BTC", "ETH", "xyz:TSLA", "xyz:NVDA"]),
    sz=st.decimals(min_value="0.1", max_value=20, places=1),
)
def test_the_gate_is_exactly_the_per_token_sum(
    positions: dict[str, Decimal], coin: str, sz: Decimal
) -> None:
    order = buy(coin, str(sz))
    token = TOKEN[coin]
    own = abs(positions[coin] + sz) * PRICE[coin]
    others = sum(
        (abs(s) * PRICE[c] for c, s in positions.items() if c != coin and TOKEN[c] == token),
        D(0),
    )
    growing = abs(positions[coin] + sz) > abs(positions[coin])
    expected_refusal = growing and own + others > CAPS[token]  # type: ignore[index]
    result = gates().check(order, view(positions))
    assert (result is not None) == expected_refusal
    # Whatever the positions in the other token, the decision is the same.
    other_token = {c: (D(0) if TOKEN[c] not in (token, None) else s) for c, s in positions.items()}
    assert (gates().check(order, view(other_token)) is None) == (result is None)
