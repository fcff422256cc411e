from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hip3.bot.book import Book, Level
from hip3.bot.strategies import MarketMaker, MarketMakerParams
from hip3.bot.strategy import MarketRules, Strategy, StrategyContext
from hip3.domain import Fill, OrderState, OrderStatus
from hip3.errors import ValidationError
from hip3.executor import Cancel, Modify, PlaceOrder, Tif
from hip3.risk import MarketData, MarketLimits, RiskGates, RiskLimits, RiskView
from hip3.types import Side, validate_price, validate_size

D = Decimal


@attrs.frozen
class Market:
    coin: str
    sz_decimals: int
    is_spot: bool = False


BTC = Market("BTC", 5)  # main dex: szDecimals 5 -> prices with at most 1 decimal
GOLD = Market("xyz:GOLD", 2)  # HIP-3 dex market: at most 4 decimals
MARKETS = {m.coin: m for m in (BTC, GOLD)}


def book(coin: str, bid: str, ask: str, time_ms: int = 0) -> Book:
    return Book(coin, time_ms, (Level(D(bid), D(1)),), (Level(D(ask), D(1)),))


def ctx(now_ms: int = 0, **kwargs: object) -> StrategyContext:
    return StrategyContext(now_ms=now_ms, markets=MARKETS, **kwargs)  # type: ignore[arg-type]


def places(intents: object) -> dict[Side, PlaceOrder]:
    return {i.side: i for i in intents if isinstance(i, PlaceOrder)}  # type: ignore[attr-defined]


def test_market_maker_satisfies_the_strategy_protocol() -> None:
    assert isinstance(MarketMaker(), Strategy)
    assert isinstance(BTC, MarketRules)


@pytest.mark.parametrize(
    ("market", "bid", "ask"),
    [(BTC, "97123.4", "97125.6"), (GOLD, "2345.67", "2346.11")],
)
def test_quotes_are_valid_venue_prices_and_sizes_around_mid(
    market: Market, bid: str, ask: str
) -> None:
    maker = MarketMaker(MarketMakerParams(half_spread_bps=10, order_notional_usd=100))
    quotes = places(maker.on_book(book(market.coin, bid, ask), ctx()))
    mid = (D(bid) + D(ask)) / 2
    assert set(quotes) == {Side.BUY, Side.SELL}
    for order in quotes.values():
        validate_price(order.px, market.sz_decimals)
        validate_size(order.sz, market.sz_decimals)
        assert order.tif is Tif.ALO
        assert D(10) <= order.px * order.sz <= D(100)
    assert quotes[Side.BUY].px < mid < quotes[Side.SELL].px
    # Rounding widens, never tightens, the 10 bps half spread.
    assert quotes[Side.BUY].px <= mid * D("0.999")
    assert quotes[Side.SELL].px >= mid * D("1.001")


def test_long_inventory_skews_both_quotes_down_and_shrinks_the_bid() -> None:
    params = MarketMakerParams(skew_bps=50, max_position_usd=1000, order_notional_usd=400)
    flat = places(MarketMaker(params).on_book(book("xyz:GOLD", "1990", "2010"), ctx()))
    long_ctx = ctx(positions={"xyz:GOLD": D("0.4")})  # 800 USD long of 1000
    long = places(MarketMaker(params).on_book(book("xyz:GOLD", "1990", "2010"), long_ctx))
    assert long[Side.BUY].px < flat[Side.BUY].px
    assert long[Side.SELL].px < flat[Side.SELL].px
    assert long[Side.BUY].sz == D("0.1")  # only 200 USD of room left
    assert long[Side.SELL].sz * long[Side.SELL].px > D(390)  # the reducing side keeps its size
    short = places(
        MarketMaker(params).on_book(
            book("xyz:GOLD", "1990", "2010"), ctx(positions={"xyz:GOLD": D("-0.4")})
        )
    )
    assert short[Side.BUY].px > flat[Side.BUY].px


def test_no_bid_at_full_long_position() -> None:
    params = MarketMakerParams(max_position_usd=500)
    quotes = places(
        MarketMaker(params).on_book(book("BTC", "100000", "100001"), ctx(positions={"BTC": D(1)}))
    )
    assert set(quotes) == {Side.SELL}


def test_quotes_kept_while_mid_steady_and_replaced_when_it_moves() -> None:
    maker = MarketMaker(MarketMakerParams(requote_bps=5))
    first = places(maker.on_book(book("BTC", "100000", "100002"), ctx()))
    live = [
        OrderState("BTC", o.side, o.px, o.sz, OrderStatus.RESTING, oid=i, cloid=o.cloid)
        for i, o in enumerate(first.values())
    ]
    assert maker.on_book(book("BTC", "100010", "100012"), ctx(10, open_orders=live)) == []
    moved = maker.on_book(book("BTC", "100100", "100102"), ctx(20, open_orders=live))
    cancelled = {i.cloid for i in moved if isinstance(i, Cancel)}
    assert cancelled == {o.cloid for o in first.values()}
    assert set(places(moved)) == {Side.BUY, Side.SELL}


def test_stale_quotes_cancelled_on_timer() -> None:
    maker = MarketMaker(MarketMakerParams(quote_ttl_ms=1000))
    first = places(maker.on_book(book("BTC", "100000", "100002"), ctx()))
    assert maker.on_timer(ctx(500)) == []
    stale = maker.on_timer(ctx(1500))
    assert {i.cloid for i in stale if isinstance(i, Cancel)} == {o.cloid for o in first.values()}
    assert maker.on_stop(ctx(1600)) == []


def test_fill_requotes_with_new_inventory_and_stop_cancels_everything() -> None:
    maker = MarketMaker(MarketMakerParams(order_notional_usd=100))
    b = book("BTC", "100000", "100002")
    first = places(maker.on_book(b, ctx(books={"BTC": b})))
    bid = first[Side.BUY]
    fill = Fill("BTC", bid.px, bid.sz, Side.BUY, 5, 11, 1, cloid=bid.cloid)
    after = maker.on_fill(fill, ctx(5, books={"BTC": b}, positions={"BTC": bid.sz}))
    cancelled = {i.cloid for i in after if isinstance(i, Cancel)}
    assert cancelled == {first[Side.SELL].cloid}  # the filled bid is gone, nothing to cancel
    replaced = places(after)
    assert replaced[Side.SELL].px < first[Side.SELL].px  # skewed by the long inventory
    stop = maker.on_stop(ctx(6))
    assert {i.cloid for i in stop if isinstance(i, Cancel)} == {o.cloid for o in replaced.values()}


def test_no_quote_without_a_two_sided_book_or_known_market() -> None:
    maker = MarketMaker()
    assert maker.on_book(Book("BTC", 0, (Level(D(1), D(1)),)), ctx()) == []
    assert maker.on_book(book("ETH", "3000", "3001"), ctx()) == []


@given(
    data=st.data(),
    position_usd=st.decimals(min_value=-600, max_value=600, places=0),
    market=st.sampled_from([BTC, GOLD, Market("kPEPE", 0)]),
)
def test_quotes_always_valid_and_within_position_gate(
    data: st.DataObject, position_usd: Decimal, market: Market
) -> None:
    # Prices where the venue's tick (6 - szDecimals decimals) is at most 1 bp of the price.
    lowest = D(1).scaleb(-(6 - market.sz_decimals)) * 10_000
    mid = data.draw(st.decimals(min_value=lowest, max_value=D(200_000), places=3), label="mid")
    params = MarketMakerParams(max_position_usd=500, order_notional_usd=50)
    position = position_usd / mid
    maker = MarketMaker(params)
    b = Book(market.coin, 0, (Level(mid, D(1)),), (Level(mid * D("1.0001"), D(1)),))
    c = ctx(positions={market.coin: position})
    limits = RiskLimits(
        default=MarketLimits(max_position_sz=params.max_position_usd / mid * D("1.01")),
        price_band_bps=D(100),
    )
    view = RiskView(
        now_ms=0,
        positions=c.positions,
        market_data={market.coin: MarketData(market.coin, 0, mid=b.mid)},
    )
    for order in maker.on_book(b, c):
        assert isinstance(order, PlaceOrder)
        validate_price(order.px, market.sz_decimals)
        validate_size(order.sz, market.sz_decimals)
        assert RiskGates(limits).check(order, view) is None


def test_quote_that_would_cross_joins_its_own_touch() -> None:
    params = MarketMakerParams(skew_bps=100, half_spread_bps=1, max_position_usd=1000)
    long_ctx = ctx(positions={"BTC": D("0.01")})  # 1000 USD long: reservation 1% below mid
    quotes = places(MarketMaker(params).on_book(book("BTC", "100000", "100010"), long_ctx))
    assert quotes[Side.SELL].px == D(100010)


def test_partly_filled_quote_is_cancelled_and_requoted() -> None:
    maker = MarketMaker(MarketMakerParams(order_notional_usd=100))
    b = book("BTC", "100000", "100002")
    bid = places(maker.on_book(b, ctx(books={"BTC": b})))[Side.BUY]
    part = Fill("BTC", bid.px, bid.sz / 2, Side.BUY, 5, 11, 1, cloid=bid.cloid)
    after = maker.on_fill(part, ctx(5, books={"BTC": b}, positions={"BTC": bid.sz / 2}))
    assert bid.cloid in {i.cloid for i in after if isinstance(i, Cancel)}
    assert Side.BUY in places(after)


@pytest.mark.parametrize(
    ("text", "tif"),
    [("Gtc", Tif.GTC), ("ioc", Tif.IOC), ("ALO", Tif.ALO), (Tif.IOC, Tif.IOC)],
)
def test_tif_given_as_text_becomes_the_enum_the_venue_adapter_reads(
    text: str | Tif, tif: Tif
) -> None:
    maker = MarketMaker(MarketMakerParams(tif=text))  # type: ignore[arg-type]
    quotes = places(maker.on_book(book("BTC", "97123.4", "97125.6"), ctx()))
    assert {order.tif for order in quotes.values()} == {tif}
    # what the exchange adapter writes into t.limit.tif
    assert {order.tif.value for order in quotes.values()} == {tif.value}


@pytest.mark.parametrize("bad", ["Day", "", 3, None])
def test_unknown_tif_is_refused_at_construction_naming_the_field(bad: object) -> None:
    with pytest.raises(ValidationError, match=r"^tif: expected one of Gtc, Ioc, Alo") as info:
        MarketMakerParams(tif=bad)  # type: ignore[arg-type]
    assert info.value.field == "tif"
    with pytest.raises(ValidationError, match=r"^tif: "):
        PlaceOrder("BTC", Side.BUY, "1", "1", tif=bad)  # type: ignore[arg-type]


def test_place_order_and_modify_accept_tif_text() -> None:
    assert PlaceOrder("BTC", Side.BUY, "1", "1", tif="ioc").tif is Tif.IOC
    modify = Modify("BTC", Side.SELL, "1", "1", oid=7, tif="Alo")
    assert modify.tif is Tif.ALO
