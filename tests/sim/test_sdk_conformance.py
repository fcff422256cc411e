"""The official Python SDK (hyperliquid-python-sdk 0.24.0), unchanged, trades on the simulator.

The SDK is blocking (requests, and websocket-client in a thread), so the simulator runs in a
background thread with its own trio.run; the SDK runs in the test thread. The SDK signs for
testnet ("b" source) against any non-mainnet URL and derives its websocket URL from the base
URL ("http" -> "ws", + "/ws"), which is why one port serves everything.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.error import ClientError

from hip3.sim.config import SimConfig
from tests.sim.conftest import ThreadedSimulator

KEY = "0x" + "4f" * 32
DEXES = ["", "xyz"]


@pytest.fixture(scope="module")
def sim() -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(SimConfig(auto_accounts=True, seed=3)) as running:
        yield running


@pytest.fixture(scope="module")
def wallet() -> Any:
    return Account.from_key(KEY)


def positions(info: Info, address: str, dex: str = "") -> dict[str, str]:
    state = info.user_state(address, dex=dex)
    return {p["position"]["coin"]: p["position"]["szi"] for p in state["assetPositions"]}


def test_info_reads_meta_for_main_and_hip3_dexes(sim: ThreadedSimulator) -> None:
    before = sim.truth()["server"]
    info = Info(sim.url, skip_ws=True, perp_dexs=DEXES)
    assert [m["name"] for m in info.meta()["universe"]] == ["BTC", "ETH", "SOL"]
    assert [m["name"] for m in info.meta(dex="xyz")["universe"]][:1] == ["xyz:TSLA"]
    # The SDK's own asset-id mapping (perpDexs offsets) agrees with the venue's rule.
    assert info.name_to_asset("BTC") == 0
    assert info.name_to_asset("xyz:TSLA") == 110000
    assert float(info.all_mids()["BTC"]) > 0
    book = info.l2_snapshot("xyz:TSLA")
    assert book["coin"] == "xyz:TSLA" and book["levels"][0] and book["levels"][1]
    # requests' keep-alive session: every call above went over one connection.
    after = sim.truth()["server"]
    assert after["http_requests"] - before["http_requests"] >= 7
    assert after["tcp_connections"] - before["tcp_connections"] == 1


def test_sdk_orders_fill_on_main_and_hip3_dexes_and_show_in_user_state(
    sim: ThreadedSimulator, wallet: Any
) -> None:
    info = Info(sim.url, skip_ws=True, perp_dexs=DEXES)
    exchange = Exchange(wallet, sim.url, perp_dexs=DEXES)

    bought = exchange.market_open("BTC", True, 0.01)
    assert bought["status"] == "ok"
    filled = bought["response"]["data"]["statuses"][0]["filled"]
    assert filled["totalSz"] == "0.01"

    sold = exchange.market_open("xyz:TSLA", False, 2.0)
    assert "filled" in sold["response"]["data"]["statuses"][0]

    mid = float(info.all_mids()["ETH"])
    crossing = exchange.order("ETH", True, 0.05, round(mid * 1.01, 1), {"limit": {"tif": "Ioc"}})
    assert "filled" in crossing["response"]["data"]["statuses"][0]

    assert positions(info, wallet.address) == {"BTC": "0.01", "ETH": "0.05"}
    assert positions(info, wallet.address, dex="xyz") == {"xyz:TSLA": "-2"}
    fills = info.user_fills(wallet.address)
    assert {f["coin"] for f in fills} == {"BTC", "ETH", "xyz:TSLA"}
    assert all(isinstance(f["tid"], int) for f in fills)
    # What the SDK sees is the simulator's truth.
    truth = sim.truth()["positions"][wallet.address.lower()]
    assert truth == {"BTC": "0.01", "ETH": "0.05", "xyz:TSLA": "-2"}


def test_resting_alo_order_is_listed_then_cancelled(sim: ThreadedSimulator, wallet: Any) -> None:
    info = Info(sim.url, skip_ws=True, perp_dexs=DEXES)
    exchange = Exchange(wallet, sim.url, perp_dexs=DEXES)
    mid = float(info.all_mids()["SOL"])
    placed = exchange.order("SOL", True, 1.0, round(mid * 0.9, 2), {"limit": {"tif": "Alo"}})
    oid = placed["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert [o["oid"] for o in info.open_orders(wallet.address)] == [oid]
    assert info.query_order_by_oid(wallet.address, oid)["order"]["status"] == "open"
    cancelled = exchange.cancel("SOL", oid)
    assert cancelled["response"]["data"]["statuses"] == ["success"]
    assert info.open_orders(wallet.address) == []


def test_malformed_info_request_is_a_client_error_for_the_sdk(sim: ThreadedSimulator) -> None:
    info = Info(sim.url, skip_ws=True, perp_dexs=DEXES)
    with pytest.raises(ClientError) as raised:
        info.post("/info", {"type": "noSuchRequest"})
    assert raised.value.status_code == 422


def test_sdk_websocket_userfills_snapshot_then_live_fill(
    sim: ThreadedSimulator, wallet: Any
) -> None:
    info = Info(sim.url, skip_ws=False, perp_dexs=DEXES)
    received: queue.Queue[dict[str, Any]] = queue.Queue()
    try:
        info.subscribe({"type": "userFills", "user": wallet.address}, received.put)
        snapshot = received.get(timeout=10)
        assert snapshot["channel"] == "userFills"
        assert snapshot["data"]["isSnapshot"] is True
        assert snapshot["data"]["user"] == wallet.address.lower()
        known = {f["tid"] for f in snapshot["data"]["fills"]}
        assert known == {f["tid"] for f in info.user_fills(wallet.address)}

        Exchange(wallet, sim.url, perp_dexs=DEXES).market_open("BTC", False, 0.01)
        live = received.get(timeout=10)
        assert "isSnapshot" not in live["data"]
        # One market order may walk several levels: one fill per maker, one batch.
        assert {f["coin"] for f in live["data"]["fills"]} == {"BTC"}
        assert sum(Decimal(f["sz"]) for f in live["data"]["fills"]) == Decimal("0.01")
        assert not {f["tid"] for f in live["data"]["fills"]} & known
    finally:
        info.disconnect_websocket()


def test_sdk_spot_pairs_book_stream_and_orders(sim: ThreadedSimulator, wallet: Any) -> None:
    """The SDK maps spot names from spotMeta (PURR/USDC, HYPE/USDC -> @1), streams a spot
    book (its basic_ws example subscribes to PURR/USDC) and trades spot with its own rules."""
    sim.call(lambda: sim.server.credit_spot(wallet.address, "USDC", Decimal(1_000)))
    info = Info(sim.url, skip_ws=False, perp_dexs=DEXES)
    received: queue.Queue[dict[str, Any]] = queue.Queue()
    try:
        assert info.name_to_asset("PURR/USDC") == 10_000
        assert info.name_to_asset("HYPE/USDC") == 10_001  # the SDK's alias for "@1"
        info.subscribe({"type": "l2Book", "coin": "PURR/USDC"}, received.put)
        book = received.get(timeout=10)
        assert book["data"]["coin"] == "PURR/USDC" and book["data"]["levels"][1]
        exchange = Exchange(wallet, sim.url, perp_dexs=DEXES)
        bought = exchange.market_open("HYPE/USDC", True, 2.0)
        filled = bought["response"]["data"]["statuses"][0]["filled"]
        assert Decimal(filled["totalSz"]) == 2
        spot = info.spot_user_state(wallet.address)
        tokens = {b["coin"]: Decimal(b["total"]) for b in spot["balances"]}
        assert tokens["HYPE"] == Decimal(2) - Decimal(2) * Decimal("0.00045")
        assert tokens["USDC"] < 1_000
        fills = [f for f in info.user_fills(wallet.address) if f["coin"] == "@1"]
        assert fills and all(f["dir"] == "Buy" and f["feeToken"] == "HYPE" for f in fills)
    finally:
        info.disconnect_websocket()


def test_sdk_sub_account_transfer_referrer_and_frontend_market(
    sim: ThreadedSimulator, wallet: Any
) -> None:
    """Actions the SDK signs itself: the simulator recovers the same signer from them."""
    info = Info(sim.url, skip_ws=True, perp_dexs=DEXES)
    exchange = Exchange(wallet, sim.url, perp_dexs=DEXES)
    created = exchange.create_sub_account("conformance")
    assert created["status"] == "ok"
    sub = created["response"]["data"]
    assert info.query_sub_accounts(wallet.address)[0]["subAccountUser"] == sub

    def value(address: str) -> Decimal:
        return Decimal(info.user_state(address)["marginSummary"]["accountValue"])

    start = value(sub)
    assert exchange.sub_account_transfer(sub, True, 25_000_000)["status"] == "ok"  # $25
    assert value(sub) == start + 25
    assert exchange.sub_account_transfer(sub, False, 5_000_000)["status"] == "ok"
    assert value(sub) == start + 20
    stranger = "0x" + "ab" * 20
    refused = exchange.sub_account_transfer(stranger, True, 1_000_000)
    assert refused["status"] == "err" and "sub-account" in refused["response"]
    ledger = info.post(
        "/info", {"type": "userNonFundingLedgerUpdates", "user": sub, "startTime": 0}
    )
    assert [u["delta"]["type"] for u in ledger] == ["subAccountTransfer"] * 2

    assert exchange.set_referrer("SIMCODE")["status"] == "ok"
    assert exchange.set_referrer("SIMCODE") == {
        "status": "err",
        "response": "Referrer already set.",
    }

    mid = float(info.all_mids()["ETH"])
    market = exchange.order(
        "ETH", True, 0.01, round(mid * 1.02, 1), {"limit": {"tif": "FrontendMarket"}}
    )
    assert "filled" in market["response"]["data"]["statuses"][0]
    far = exchange.order(
        "ETH", True, 0.01, round(mid * 0.5, 1), {"limit": {"tif": "FrontendMarket"}}
    )
    assert "error" in far["response"]["data"]["statuses"][0]  # an IOC: it never rests
    assert not [o for o in info.open_orders(wallet.address) if o["coin"] == "ETH"]
