"""ccxt 4.5.90's ``hyperliquid`` exchange, unchanged, through every step a user takes.

Only two things differ from trading on the venue: the base URLs point at a simulator on
loopback, and sandbox mode is on (so ccxt signs with the testnet source, as it does against any
testnet URL). The REST steps use the synchronous client (requests); the websocket steps use
``ccxt.pro`` on its own asyncio loop. Each step is its own test, in the order a user goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import ccxt
import ccxt.pro
import pytest

from tests.conformance.conftest import ConformanceVenue, eventually

pytestmark = pytest.mark.conformance

BTC = "BTC/USDC:USDC"
ETH = "ETH/USDC:USDC"
SOL = "SOL/USDC:USDC"
TSLA = "XYZ-TSLA/USDC:USDC"  # a HIP-3 market, as ccxt names it
STEP = 10.0  # seconds any one websocket step may take


def _point_at(exchange: Any, venue: ConformanceVenue) -> None:
    exchange.set_sandbox_mode(True)
    urls = {"public": venue.http_url, "private": venue.http_url, "ws": {"public": venue.ws_url}}
    exchange.urls["api"] = urls
    exchange.urls["test"] = urls


@pytest.fixture(scope="module")
def rest(venue: ConformanceVenue) -> Any:
    exchange = ccxt.hyperliquid({"walletAddress": venue.address, "privateKey": venue.key})
    _point_at(exchange, venue)
    return exchange


def cloid(n: int) -> str:
    return f"0x{n:032x}"


# -- market data -------------------------------------------------------------------------------


def test_load_markets_with_default_options_has_perps_and_hip3(rest: Any) -> None:
    markets = rest.load_markets(reload=True)
    assert {BTC, ETH, SOL, TSLA} <= set(markets)
    assert markets[BTC]["swap"] and markets[BTC]["settle"] == "USDC"
    assert markets[BTC]["precision"]["amount"] == 1e-05  # szDecimals 5
    assert int(markets[TSLA]["baseId"]) == 110000  # HIP-3 asset id: 100000 + 10000 * dex index


def test_fetch_ticker_and_tickers(rest: Any) -> None:
    ticker = rest.fetch_ticker(BTC)
    assert ticker["symbol"] == BTC
    assert ticker["bid"] < ticker["ask"]
    tickers = rest.fetch_tickers()
    assert {BTC, ETH, TSLA} <= set(tickers)
    assert all(t["last"] > 0 for t in tickers.values())


def test_fetch_order_book(rest: Any) -> None:
    book = rest.fetch_order_book(BTC)
    assert book["bids"] and book["asks"]
    assert book["bids"][0][0] < book["asks"][0][0]
    assert book["bids"] == sorted(book["bids"], reverse=True)


def test_create_market_order_fills(rest: Any) -> None:
    ask = rest.fetch_order_book(BTC)["asks"][0][0]
    order = rest.create_order(BTC, "market", "buy", 0.01, ask)
    assert order["info"]["filled"]["totalSz"] == "0.01"
    assert order["id"]


def test_fetch_trades_my_trades_and_ohlcv_after_a_trade(rest: Any) -> None:
    trades = rest.fetch_trades(BTC)
    assert trades and all(t["symbol"] == BTC for t in trades)
    mine = rest.fetch_my_trades(BTC)
    assert sum(t["amount"] for t in mine) == pytest.approx(0.01)
    candles = rest.fetch_ohlcv(BTC, "1m")
    assert candles, "a trade makes a candle"
    opened, high, low, close, volume = (candles[-1][i] for i in (0, 2, 3, 4, 5))
    assert opened % 60_000 == 0 and low <= close <= high and volume > 0
    assert rest.fetch_ohlcv(ETH, "1h") == []  # no trade, no candle


def test_fetch_funding_rates_and_history(rest: Any) -> None:
    rates = rest.fetch_funding_rates()
    assert rates[BTC]["fundingRate"] == pytest.approx(0.0000125)
    history = eventually(lambda: rest.fetch_funding_rate_history(BTC))
    assert history[-1]["symbol"] == BTC
    assert history[-1]["fundingRate"] == pytest.approx(0.0000125)


# -- account -----------------------------------------------------------------------------------


def test_fetch_balance_and_positions(rest: Any) -> None:
    balance = rest.fetch_balance()
    assert balance["USDC"]["total"] > 999_000
    positions = rest.fetch_positions([BTC])
    assert [(p["symbol"], p["side"], p["contracts"]) for p in positions] == [(BTC, "long", 0.01)]


def test_limit_order_with_client_order_id_rests_edits_and_cancels(rest: Any) -> None:
    bid = rest.fetch_order_book(ETH)["bids"][-1][0]
    price = round(bid * 0.9)
    order = rest.create_order(ETH, "limit", "buy", 0.1, price, {"clientOrderId": cloid(7)})
    assert order["clientOrderId"] == cloid(7)
    open_orders = rest.fetch_open_orders(ETH)
    assert [(o["id"], o["price"], o["amount"]) for o in open_orders] == [(order["id"], price, 0.1)]
    assert open_orders[0]["clientOrderId"] == cloid(7)

    edited = rest.edit_order(order["id"], ETH, "limit", "buy", 0.2, price + 1)
    [now_open] = rest.fetch_open_orders(ETH)
    assert (now_open["id"], now_open["price"], now_open["amount"]) == (edited["id"], price + 1, 0.2)

    rest.cancel_order(now_open["id"], ETH)
    assert rest.fetch_open_orders(ETH) == []
    canceled = rest.fetch_canceled_orders(ETH)
    assert now_open["id"] in {o["id"] for o in canceled}


def test_cancel_by_client_order_id(rest: Any) -> None:
    bid = rest.fetch_order_book(ETH)["bids"][-1][0]
    rest.create_order(ETH, "limit", "buy", 0.1, round(bid * 0.9), {"clientOrderId": cloid(8)})
    rest.cancel_order(None, ETH, {"clientOrderId": cloid(8)})
    assert rest.fetch_open_orders(ETH) == []


def test_closed_orders_include_the_filled_market_order(rest: Any) -> None:
    closed = rest.fetch_closed_orders(BTC)
    assert any(o["status"] == "closed" and o["filled"] == 0.01 for o in closed)


def test_reduce_only_market_order_reduces_the_position(rest: Any) -> None:
    bid = rest.fetch_order_book(BTC)["bids"][0][0]
    order = rest.create_order(BTC, "market", "sell", 0.004, bid, {"reduceOnly": True})
    assert order["info"]["filled"]["totalSz"] == "0.004"
    [position] = rest.fetch_positions([BTC])
    assert position["contracts"] == pytest.approx(0.006)
    ask = rest.fetch_order_book(ETH)["asks"][0][0]
    # ETH has no position: a reduce-only order there cannot reduce anything.
    with pytest.raises(ccxt.ExchangeError, match=r"[Rr]educe only"):
        rest.create_order(ETH, "market", "buy", 0.1, ask, {"reduceOnly": True})


def test_set_leverage_and_margin_mode(rest: Any) -> None:
    assert rest.set_leverage(5, BTC)["status"] == "ok"
    [position] = rest.fetch_positions([BTC])
    assert position["leverage"] == 5 and position["marginMode"] == "cross"
    assert rest.set_margin_mode("isolated", SOL, {"leverage": 3})["status"] == "ok"
    ask = rest.fetch_order_book(SOL)["asks"][0][0]
    rest.create_order(SOL, "market", "buy", 1, ask)
    [sol] = rest.fetch_positions([SOL])
    assert sol["marginMode"] == "isolated" and sol["leverage"] == 3


def test_hip3_market_order(rest: Any) -> None:
    ask = rest.fetch_order_book(TSLA)["asks"][0][0]
    order = rest.create_order(TSLA, "market", "buy", 1, ask)
    assert "filled" in order["info"]
    assert [p["symbol"] for p in rest.fetch_positions([TSLA])] == [TSLA]


def test_spot_markets_balance_and_order(rest: Any) -> None:
    markets = rest.load_markets()
    assert markets["PURR/USDC"]["spot"] and markets["HYPE/USDC"]["spot"]
    assert markets["HYPE/USDC"]["id"] == "@1"
    ask = rest.fetch_order_book("HYPE/USDC")["asks"][0][0]
    order = rest.create_order("HYPE/USDC", "market", "buy", 2, ask)
    assert order["info"]["filled"]["totalSz"] == "2"
    balance = rest.fetch_balance({"type": "spot"})
    assert balance["HYPE"]["total"] == pytest.approx(2 - 2 * 0.00045)
    assert balance["USDC"]["total"] < 1_000_000
    trades = rest.fetch_my_trades("HYPE/USDC")
    assert trades and all(t["symbol"] == "HYPE/USDC" for t in trades)


# -- websockets (ccxt.pro) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def pro(venue: ConformanceVenue) -> Iterator[Callable[[Callable[[Any], Awaitable[Any]]], Any]]:
    """Run ``step(exchange)`` on one long-lived ccxt.pro client (its own asyncio loop)."""
    loop = asyncio.new_event_loop()
    exchange = ccxt.pro.hyperliquid(
        {"walletAddress": venue.address, "privateKey": venue.key, "asyncio_loop": loop}
    )
    _point_at(exchange, venue)
    loop.run_until_complete(exchange.load_markets())

    def run(step: Callable[[Any], Awaitable[Any]]) -> Any:
        return loop.run_until_complete(asyncio.wait_for(step(exchange), STEP))

    yield run
    loop.run_until_complete(exchange.close())
    loop.close()


async def _with_trade(exchange: Any, watch: Awaitable[Any], symbol: str = BTC) -> Any:
    """Await ``watch`` while a market order trades ``symbol`` (after the subscription is sent)."""

    async def trade() -> None:
        await asyncio.sleep(0.3)
        ask = (await exchange.fetch_order_book(symbol))["asks"][0][0]
        await exchange.create_order(symbol, "market", "buy", 0.01, ask)

    seen, _ = await asyncio.gather(watch, trade())
    return seen


def test_watch_order_book(pro: Any) -> None:
    book = pro(lambda ex: ex.watch_order_book(BTC))
    assert book["symbol"] == BTC and book["bids"][0][0] < book["asks"][0][0]


def test_watch_ticker_and_tickers(pro: Any) -> None:
    ticker = pro(lambda ex: ex.watch_ticker(ETH))
    assert ticker["symbol"] == ETH and ticker["bid"] < ticker["ask"]
    tickers = pro(lambda ex: ex.watch_tickers([BTC, ETH]))
    assert set(tickers) <= {BTC, ETH} and all(t["last"] > 0 for t in tickers.values())


def test_watch_trades(pro: Any) -> None:
    trades = pro(lambda ex: _with_trade(ex, ex.watch_trades(BTC)))
    assert trades and trades[-1]["symbol"] == BTC and trades[-1]["side"] == "buy"


def test_watch_orders(pro: Any) -> None:
    orders = pro(lambda ex: _with_trade(ex, ex.watch_orders(BTC)))
    assert orders and orders[-1]["symbol"] == BTC and orders[-1]["status"] == "closed"


def test_watch_my_trades(pro: Any) -> None:
    trades = pro(lambda ex: _with_trade(ex, ex.watch_my_trades(BTC)))
    assert trades and all(t["symbol"] == BTC for t in trades)


def test_watch_ohlcv(pro: Any) -> None:
    candles = pro(lambda ex: _with_trade(ex, ex.watch_ohlcv(BTC, "1m")))
    opened, high, low, close = (candles[-1][i] for i in (0, 2, 3, 4))
    assert opened % 60_000 == 0 and low <= close <= high


def test_watch_balance_and_positions(pro: Any) -> None:
    balance = pro(lambda ex: ex.watch_balance())
    assert balance["USDC"]["total"] > 999_000
    positions = pro(lambda ex: ex.watch_positions())
    assert BTC in {p["symbol"] for p in positions}


def test_create_order_over_websocket(pro: Any) -> None:
    async def order(ex: Any) -> Any:
        ask = (await ex.fetch_order_book(ETH))["asks"][0][0]
        return await ex.create_order_ws(ETH, "market", "buy", 0.01, ask)

    assert pro(order)["info"]["filled"]["totalSz"] == "0.01"
