"""The official Python SDK (hyperliquid-python-sdk 0.24.0), unchanged, through the steps of its own
``examples/`` scripts.

Each test is one example script (named after it), taking the same steps with the same SDK calls
against a simulator on loopback; only the base URL and the key differ, and the prices and sizes
are taken from the simulator's book instead of the example's testnet constants. Written here as
our own test code: the scripts print answers, these tests assert on them. Examples that need what
a simulator cannot have (vaults, staking, EVM, validators, deploys, multi-sig) are left out.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.signing import get_timestamp_ms
from hyperliquid.utils.types import Cloid

from tests.conformance.conftest import ConformanceVenue, eventually

pytestmark = pytest.mark.conformance

DEXES = ["", "xyz"]  # the default perp dex and a HIP-3 (builder-deployed) one
BUILDER_DEX_COIN = "xyz:TSLA"
ZERO = "0x0000000000000000000000000000000000000000"
BUILDER = "0x8c967e73e7b15087c42a10d344cff4c96d877f1d"
STEP = 10.0  # seconds any one websocket message may take


@pytest.fixture(scope="module")
def address(venue: ConformanceVenue) -> str:
    return venue.address


@pytest.fixture(scope="module")
def info(venue: ConformanceVenue) -> Info:
    return Info(venue.http_url, skip_ws=True, perp_dexs=DEXES)


@pytest.fixture(scope="module")
def exchange(venue: ConformanceVenue) -> Exchange:
    return Exchange(
        Account.from_key(venue.key), venue.http_url, account_address=venue.address, perp_dexs=DEXES
    )


def statuses(answer: Any) -> list[Any]:
    assert answer["status"] == "ok", answer
    return answer["response"]["data"]["statuses"]  # type: ignore[no-any-return]


def first_status(answer: Any) -> Any:
    return statuses(answer)[0]


def rounded(info: Info, coin: str, px: float) -> float:
    """What examples/rounding.py teaches: 5 significant figures and at most 6 (perps) or 8
    (spot) minus szDecimals decimals; integers above 100k as they are."""
    asset = info.name_to_asset(coin)
    max_decimals = 8 if 10_000 <= asset < 100_000 else 6
    if px > 100_000:
        return float(round(px))
    return round(float(f"{px:.5g}"), max_decimals - info.asset_to_sz_decimals[asset])


def mid(info: Info, coin: str) -> float:
    coin = info.name_to_coin[coin]
    dex = coin.split(":")[0] if ":" in coin else ""
    return float(info.all_mids(dex)[coin])


def far_below(info: Info, coin: str) -> float:
    """A buy price that rests: half the mid."""
    return rounded(info, coin, mid(info, coin) * 0.5)


def size_for(info: Info, coin: str, px: float, usd: float = 20.0) -> float:
    """A size worth about ``usd`` at ``px`` (the venue's minimum order value is $10)."""
    decimals = info.asset_to_sz_decimals[info.name_to_asset(coin)]
    step = 10.0**-decimals
    return round(max(step, round(usd / px / step) * step + step), decimals)


def open_oids(info: Info, address: str, dex: str = "") -> set[int]:
    return {order["oid"] for order in info.open_orders(address, dex)}


def rest_an_order(info: Info, exchange: Exchange, coin: str, **kwargs: Any) -> int:
    px = far_below(info, coin)
    answer = exchange.order(
        coin, True, size_for(info, coin, px), px, {"limit": {"tif": "Gtc"}}, **kwargs
    )
    status = first_status(answer)
    assert "resting" in status, status
    return status["resting"]["oid"]  # type: ignore[no-any-return]


# -- example_utils.setup: every example starts here --------------------------------------------


def test_example_utils_setup(venue: ConformanceVenue, info: Info, address: str) -> None:
    # Info() itself reads spotMeta, perpDexs and each dex's meta to map names to assets.
    assert info.name_to_asset("ETH") == 1
    assert info.name_to_asset(BUILDER_DEX_COIN) == 110000
    assert info.name_to_asset("HYPE/USDC") == 10001
    user_state = info.user_state(address)
    spot_user_state = info.spot_user_state(address)
    assert float(user_state["marginSummary"]["accountValue"]) > 0
    assert [b["coin"] for b in spot_user_state["balances"]] == ["USDC"]


# -- orders ------------------------------------------------------------------------------------


def test_basic_order(info: Info, exchange: Exchange, address: str) -> None:
    assert info.user_state(address)["assetPositions"] == []
    oid = rest_an_order(info, exchange, "ETH")
    order_status = info.query_order_by_oid(address, oid)
    assert order_status["status"] == "order"
    assert order_status["order"]["status"] == "open"
    assert order_status["order"]["order"]["oid"] == oid
    assert first_status(exchange.cancel("ETH", oid)) == "success"
    assert info.query_order_by_oid(address, oid)["order"]["status"] == "canceled"


def test_basic_order_with_cloid(info: Info, exchange: Exchange, address: str) -> None:
    cloid = Cloid.from_str("0x00000000000000000000000000000001")
    rest_an_order(info, exchange, "ETH", cloid=cloid)
    order_status = info.query_order_by_cloid(address, cloid)
    assert order_status["status"] == "order"
    assert order_status["order"]["order"]["cloid"] == cloid.to_raw()
    assert info.query_order_by_cloid(address, Cloid.from_int(2)) == {"status": "unknownOid"}
    assert first_status(exchange.cancel_by_cloid("ETH", cloid)) == "success"
    # The ended order is still found by its cloid.
    assert info.query_order_by_cloid(address, cloid)["order"]["status"] == "canceled"
    # Run the example again: its cloid is free once the first order ended (as on the venue,
    # where the example keeps working run after run), and the cloid finds the new order.
    again = rest_an_order(info, exchange, "ETH", cloid=cloid)
    found = info.query_order_by_cloid(address, cloid)["order"]
    assert found["order"]["oid"] == again and found["status"] == "open"
    assert first_status(exchange.cancel_by_cloid("ETH", cloid)) == "success"


def test_basic_order_modify(info: Info, exchange: Exchange, address: str) -> None:
    cloid = Cloid.from_str("0x00000000000000000000000000000003")
    oid = rest_an_order(info, exchange, "ETH", cloid=cloid)
    assert info.query_order_by_oid(address, oid)["order"]["status"] == "open"
    px = rounded(info, "ETH", mid(info, "ETH") * 0.55)
    sz = size_for(info, "ETH", px)
    limit: Any = {"limit": {"tif": "Gtc"}}
    modify_result = exchange.modify_order(oid, "ETH", True, sz, px, limit, cloid=cloid)
    assert modify_result["status"] == "ok", modify_result
    px2 = rounded(info, "ETH", px * 1.01)
    # Found by its cloid; the replacement carries the cloid only when its order names one.
    modify_result = exchange.modify_order(cloid, "ETH", True, sz, px2, limit)
    new_oid = first_status(modify_result)["resting"]["oid"]
    [order] = [o for o in info.frontend_open_orders(address) if o["oid"] == new_oid]
    assert float(order["limitPx"]) == px2 and float(order["origSz"]) == sz
    assert first_status(exchange.cancel("ETH", new_oid)) == "success"


def test_basic_tpsl(info: Info, exchange: Exchange, address: str) -> None:
    coin, is_buy = "ETH", True
    price = mid(info, coin)
    px = rounded(info, coin, price * 1.02)  # crosses: opens the position the tp/sl protect
    sz = size_for(info, coin, px)
    trigger_px = rounded(info, coin, price * 0.9)
    sl_px = rounded(info, coin, price * 0.88)
    tp_px = rounded(info, coin, price * 1.1)
    assert "filled" in first_status(exchange.order(coin, is_buy, sz, px, {"limit": {"tif": "Gtc"}}))

    stop: Any = {"trigger": {"triggerPx": trigger_px, "isMarket": True, "tpsl": "sl"}}
    status = first_status(exchange.order(coin, not is_buy, sz, sl_px, stop, reduce_only=True))
    assert "resting" in status, status
    assert first_status(exchange.cancel(coin, status["resting"]["oid"])) == "success"

    take: Any = {"trigger": {"triggerPx": tp_px, "isMarket": True, "tpsl": "tp"}}
    status = first_status(exchange.order(coin, not is_buy, sz, tp_px, take, reduce_only=True))
    assert "resting" in status, status
    assert first_status(exchange.cancel(coin, status["resting"]["oid"])) == "success"

    entry = rounded(info, coin, price * 0.8)  # a parent that rests; its children wait for it
    orders: Any = [
        {"coin": coin, "is_buy": is_buy, "sz": sz, "limit_px": entry,
         "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": False},
        {"coin": coin, "is_buy": not is_buy, "sz": sz, "limit_px": tp_px,
         "order_type": {"trigger": {"isMarket": True, "triggerPx": tp_px, "tpsl": "tp"}},
         "reduce_only": True},
        {"coin": coin, "is_buy": not is_buy, "sz": sz, "limit_px": sl_px,
         "order_type": {"trigger": {"isMarket": True, "triggerPx": trigger_px, "tpsl": "sl"}},
         "reduce_only": True},
    ]  # fmt: skip
    parent, tp, sl = statuses(exchange.bulk_orders(orders, grouping="normalTpsl"))
    assert "resting" in parent and tp == sl == "waitingForFill", (parent, tp, sl)
    exchange.cancel(coin, parent["resting"]["oid"])
    exchange.market_close(coin)
    assert info.user_state(address)["assetPositions"] == []


def test_basic_market_order(info: Info, exchange: Exchange, address: str) -> None:
    coin, is_buy = "ETH", False
    sz = size_for(info, coin, mid(info, coin))
    [status] = statuses(exchange.market_open(coin, is_buy, sz, None, 0.01))
    filled = status["filled"]
    assert float(filled["totalSz"]) == sz and float(filled["avgPx"]) > 0 and filled["oid"]
    [position] = info.user_state(address)["assetPositions"]
    assert float(position["position"]["szi"]) == -sz
    [status] = statuses(exchange.market_close(coin))
    assert float(status["filled"]["totalSz"]) == sz
    assert info.user_state(address)["assetPositions"] == []


def test_basic_order_with_builder_deployed_dex(venue: ConformanceVenue, address: str) -> None:
    info = Info(venue.http_url, skip_ws=True, perp_dexs=["xyz"])
    exchange = Exchange(
        Account.from_key(venue.key), venue.http_url, account_address=address, perp_dexs=["xyz"]
    )
    assert info.user_state(address, "xyz")["assetPositions"] == []
    oid = rest_an_order(info, exchange, BUILDER_DEX_COIN)
    assert info.query_order_by_oid(address, oid)["order"]["order"]["coin"] == BUILDER_DEX_COIN
    assert oid in open_oids(info, address, "xyz")
    assert first_status(exchange.cancel(BUILDER_DEX_COIN, oid)) == "success"


def test_basic_spot_order(info: Info, exchange: Exchange, address: str) -> None:
    assert [b["coin"] for b in info.spot_user_state(address)["balances"]] == ["USDC"]
    purr = "PURR/USDC"
    oid = rest_an_order(info, exchange, purr)
    assert info.query_order_by_oid(address, oid)["order"]["order"]["coin"] == purr
    assert first_status(exchange.cancel(purr, oid)) == "success"
    # A pair without a name of its own is traded as "@<index>" and cancelled by its
    # base/quote name, as the example does.
    other_coin, other_name = "@1", "HYPE/USDC"
    oid = rest_an_order(info, exchange, other_coin)
    assert first_status(exchange.cancel(other_name, oid)) == "success"


def test_rounding(info: Info, exchange: Exchange) -> None:
    meta = info.meta()
    sz_decimals = {asset["name"]: asset["szDecimals"] for asset in meta["universe"]}
    coin = "SOL"
    px = rounded(info, coin, mid(info, coin) * 0.5 + 0.123456789)
    sz = round(12.345678 / px * 10, sz_decimals[coin])
    status = first_status(exchange.order(coin, True, sz, px, {"limit": {"tif": "Gtc"}}))
    assert "resting" in status, status
    assert first_status(exchange.cancel(coin, status["resting"]["oid"])) == "success"


def test_basic_schedule_cancel(info: Info, exchange: Exchange, address: str) -> None:
    oid = rest_an_order(info, exchange, "ETH")
    assert info.query_order_by_oid(address, oid)["order"]["status"] == "open"
    cancel_time = get_timestamp_ms() + 5_500  # the venue's earliest is 5 s ahead
    assert exchange.schedule_cancel(cancel_time) == {
        "status": "ok",
        "response": {"type": "default"},
    }
    eventually(lambda: oid not in open_oids(info, address))
    assert info.query_order_by_oid(address, oid)["order"]["status"] == "scheduledCancel"


def test_cancel_open_orders(info: Info, exchange: Exchange, address: str) -> None:
    rest_an_order(info, exchange, "ETH")
    rest_an_order(info, exchange, "BTC")
    open_orders = info.open_orders(address)
    assert len(open_orders) == 2
    for open_order in open_orders:
        assert first_status(exchange.cancel(open_order["coin"], open_order["oid"])) == "success"
    assert info.open_orders(address) == []


def test_basic_leverage_adjustment(info: Info, exchange: Exchange, address: str) -> None:
    coin = "ETH"
    assert exchange.update_leverage(21, coin) == {"status": "ok", "response": {"type": "default"}}
    assert exchange.update_leverage(21, coin, False)["status"] == "ok"
    exchange.market_open(coin, True, size_for(info, coin, mid(info, coin)))
    [position] = info.user_state(address)["assetPositions"]
    assert position["position"]["leverage"]["type"] == "isolated"
    margin = float(position["position"]["marginUsed"])
    assert exchange.update_isolated_margin(1, coin)["status"] == "ok"
    [position] = info.user_state(address)["assetPositions"]
    assert position["position"]["leverage"]["value"] == 21
    assert float(position["position"]["marginUsed"]) == pytest.approx(margin + 1, abs=0.01)
    exchange.market_close(coin)


# -- transfers ---------------------------------------------------------------------------------


def test_basic_transfer(info: Info, exchange: Exchange, address: str) -> None:
    before = float(info.user_state(address)["withdrawable"])
    assert exchange.usd_transfer(1, ZERO) == {"status": "ok", "response": {"type": "default"}}
    assert float(info.user_state(address)["withdrawable"]) == pytest.approx(before - 1)


def test_basic_spot_to_perp(info: Info, exchange: Exchange, address: str) -> None:
    def spot_usdc() -> float:
        balances = info.spot_user_state(address)["balances"]
        return float(next(b["total"] for b in balances if b["coin"] == "USDC"))

    before = spot_usdc()
    assert exchange.usd_class_transfer(1.23, False)["status"] == "ok"
    assert spot_usdc() == pytest.approx(before + 1.23)
    assert exchange.usd_class_transfer(1.23, True)["status"] == "ok"
    assert spot_usdc() == pytest.approx(before)


def test_basic_spot_transfer(info: Info, exchange: Exchange, address: str) -> None:
    purr = next(t for t in info.spot_meta()["tokens"] if t["name"] == "PURR")
    exchange.market_open("PURR/USDC", True, size_for(info, "PURR/USDC", mid(info, "PURR/USDC")))
    answer = exchange.spot_transfer(1, ZERO, f"PURR:{purr['tokenId']}")
    assert answer == {"status": "ok", "response": {"type": "default"}}
    ledger = info.user_non_funding_ledger_updates(address, 0)
    assert any(u["delta"]["type"] == "spotTransfer" for u in ledger)


def test_basic_withdraw(info: Info, exchange: Exchange, address: str) -> None:
    before = float(info.user_state(address)["withdrawable"])
    assert exchange.withdraw_from_bridge(2, address)["status"] == "ok"
    assert float(info.user_state(address)["withdrawable"]) == pytest.approx(before - 2)


def test_basic_sub_account(info: Info, exchange: Exchange, address: str) -> None:
    name = "example123"
    assert exchange.create_sub_account(name)["status"] == "ok"
    sub_account_user = next(
        s["subAccountUser"] for s in info.query_sub_accounts(address) if s["name"] == name
    )
    assert exchange.sub_account_transfer(sub_account_user, True, 1_000_000)["status"] == "ok"
    hype = next(t for t in info.spot_meta()["tokens"] if t["name"] == "HYPE")
    exchange.market_open("HYPE/USDC", True, size_for(info, "HYPE/USDC", mid(info, "HYPE/USDC")))
    answer = exchange.sub_account_spot_transfer(
        sub_account_user, True, f"HYPE:{hype['tokenId']}", 0.01
    )
    assert answer["status"] == "ok", answer
    balances = info.spot_user_state(sub_account_user)["balances"]
    assert {b["coin"]: b["total"] for b in balances}["HYPE"] == "0.01"


def test_basic_send_asset(info: Info, exchange: Exchange, address: str) -> None:
    before = float(info.user_state(address, "xyz")["withdrawable"])
    answer = exchange.send_asset(address, "", "xyz", "USDC", 1.23)
    assert answer == {"status": "ok", "response": {"type": "default"}}
    assert float(info.user_state(address, "xyz")["withdrawable"]) == pytest.approx(before + 1.23)


def test_basic_set_referrer(info: Info, exchange: Exchange, address: str) -> None:
    assert exchange.set_referrer("ASDFASDF")["status"] == "ok"
    referral_state = info.query_referral_state(address)
    assert referral_state["referredBy"]["code"] == "ASDFASDF"


# -- account abstraction ---------------------------------------------------------------------


def test_user_abstraction(exchange: Exchange, info: Info) -> None:
    user = exchange.account_address
    assert exchange.agent_set_abstraction("u")["status"] == "ok"
    assert info.query_user_abstraction_state(user) == "unifiedAccount"
    assert exchange.user_set_abstraction(user, "unifiedAccount")["status"] == "ok"
    # The example's sub-account: one of this user's (the venue refuses anyone else's).
    created = exchange.create_sub_account("abstraction")
    sub_account_user = created["response"]["data"]
    with_sub_account = Exchange(
        exchange.wallet, exchange.base_url, vault_address=sub_account_user, perp_dexs=DEXES
    )
    assert with_sub_account.agent_set_abstraction("u")["status"] == "ok"
    assert info.query_user_abstraction_state(sub_account_user) == "unifiedAccount"
    for abstraction in ["disabled", "portfolioMargin"]:
        answer = exchange.user_set_abstraction(sub_account_user, abstraction)  # type: ignore[arg-type]
        assert answer["status"] == "ok", answer
        assert info.query_user_abstraction_state(sub_account_user) == abstraction
    refused = exchange.user_set_abstraction(ZERO, "disabled")
    assert refused["status"] == "err"
    exchange.user_set_abstraction(user, "disabled")  # back to separate perp and spot money


def test_dex_abstraction(exchange: Exchange, info: Info) -> None:
    user = exchange.account_address
    assert exchange.agent_enable_dex_abstraction()["status"] == "ok"
    assert info.query_user_dex_abstraction_state(user) is True
    assert exchange.user_dex_abstraction(user, False)["status"] == "ok"
    assert info.query_user_dex_abstraction_state(user) is False
    sub_account_user = next(
        s["subAccountUser"] for s in info.query_sub_accounts(user) if s["name"] == "abstraction"
    )
    with_sub_account = Exchange(
        exchange.wallet, exchange.base_url, vault_address=sub_account_user, perp_dexs=DEXES
    )
    assert with_sub_account.agent_enable_dex_abstraction()["status"] == "ok"
    for enabled in [True, False]:
        assert exchange.user_dex_abstraction(sub_account_user, enabled)["status"] == "ok"
        assert info.query_user_dex_abstraction_state(sub_account_user) is enabled


# -- agents and builders -----------------------------------------------------------------------


def test_basic_agent(venue: ConformanceVenue, info: Info, exchange: Exchange, address: str) -> None:
    approve_result, agent_key = exchange.approve_agent()
    assert approve_result["status"] == "ok", approve_result
    agent_exchange = Exchange(
        Account.from_key(agent_key), venue.http_url, account_address=address, perp_dexs=DEXES
    )
    oid = rest_an_order(info, agent_exchange, "ETH")
    assert oid in open_oids(info, address)  # the agent trades for its master
    assert first_status(agent_exchange.cancel("ETH", oid)) == "success"

    approve_result, extra_agent_key = exchange.approve_agent("persist")
    assert approve_result["status"] == "ok", approve_result
    extra_agent_exchange = Exchange(
        Account.from_key(extra_agent_key), venue.http_url, account_address=address, perp_dexs=DEXES
    )
    oid = rest_an_order(info, extra_agent_exchange, "ETH")
    assert first_status(extra_agent_exchange.cancel("ETH", oid)) == "success"
    assert "persist" in [a["name"] for a in info.extra_agents(address)]


def test_basic_builder_fee(info: Info, exchange: Exchange, address: str) -> None:
    assert exchange.approve_builder_fee(BUILDER, "0.001%")["status"] == "ok"
    sz = size_for(info, "ETH", mid(info, "ETH"))
    answer = exchange.market_open("ETH", True, sz, None, 0.01, builder={"b": BUILDER, "f": 1})
    assert "filled" in first_status(answer)
    fill = info.user_fills(address)[0]
    assert fill["coin"] == "ETH" and float(fill["builderFee"]) > 0
    exchange.market_close("ETH")


# -- websocket (examples/basic_ws.py) ----------------------------------------------------------


@pytest.fixture
def ws_info(venue: ConformanceVenue) -> Iterator[Info]:
    info = Info(venue.http_url, skip_ws=False, perp_dexs=DEXES)
    yield info
    info.disconnect_websocket()


def test_basic_ws(ws_info: Info, info: Info, exchange: Exchange, address: str) -> None:
    subscriptions: list[Any] = [
        {"type": "allMids"},
        {"type": "l2Book", "coin": "ETH"},
        {"type": "trades", "coin": "PURR/USDC"},
        {"type": "userEvents", "user": address},
        {"type": "userFills", "user": address},
        {"type": "candle", "coin": "ETH", "interval": "1m"},
        {"type": "orderUpdates", "user": address},
        {"type": "userFundings", "user": address},
        {"type": "userNonFundingLedgerUpdates", "user": address},
        {"type": "webData2", "user": address},
        {"type": "bbo", "coin": "ETH"},
        {"type": "activeAssetCtx", "coin": "BTC"},  # perp
        {"type": "activeAssetCtx", "coin": "@1"},  # spot
        {"type": "activeAssetData", "user": address, "coin": "BTC"},  # perp only
    ]
    received: queue.Queue[tuple[int, Any]] = queue.Queue()

    def callback(index: int) -> Callable[[Any], None]:
        return lambda msg: received.put((index, msg))

    for index, subscription in enumerate(subscriptions):
        ws_info.subscribe(subscription, callback(index))
    first: dict[int, Any] = {}
    # The subscriptions go out in order on one socket; the last one answers at once, so its
    # first message means the venue has taken every subscription before it. Trading earlier
    # could make a trade no subscriber was there to see (trades have no snapshot).
    deadline = time.monotonic() + STEP
    last = len(subscriptions) - 1
    while last not in first and time.monotonic() < deadline:
        try:
            index, msg = received.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        first.setdefault(index, msg)
    # What makes the venue publish on the channels that wait for an event: trades on ETH and
    # PURR/USDC (trades, candle, fills, user events) and an order that rests (order updates).
    exchange.market_open("ETH", True, size_for(info, "ETH", mid(info, "ETH")))
    exchange.market_open("PURR/USDC", True, size_for(info, "PURR/USDC", mid(info, "PURR/USDC")))
    oid = rest_an_order(info, exchange, "ETH")

    deadline = time.monotonic() + STEP
    while len(first) < len(subscriptions) and time.monotonic() < deadline:
        try:
            index, msg = received.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        first.setdefault(index, msg)
    exchange.cancel("ETH", oid)
    exchange.market_close("ETH")
    missing = [subscriptions[i] for i in range(len(subscriptions)) if i not in first]
    assert missing == [], f"no message within {STEP} s on {missing}"
    assert first[1]["data"]["coin"] == "ETH"
    assert first[2]["data"][0]["coin"] == "PURR/USDC"
    assert first[5]["data"]["s"] == "ETH"
    assert first[12]["channel"] == "activeSpotAssetCtx"
    assert first[13]["data"]["user"] == address.lower()
