"""State channels over the simulator's websocket: activeAssetCtx, bbo, candle,
clearinghouseState and openOrders send the current view on subscribe, then again only when it
changes; every view is the engine's own info answer."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import httpx
import trio
import trio.testing

from hip3.sim import SimConfig, SimServer, open_simulator
from tests.sim.conftest import recv, recv_channel, send, subscribe, ws_connect
from tests.sim.test_server_engine import USER, Trader, btc_mid


@asynccontextmanager
async def simulator() -> AsyncIterator[SimServer]:
    async with open_simulator(SimConfig(auto_accounts=True, seed=5)) as sim:
        yield sim


async def test_active_asset_ctx_is_the_meta_and_asset_ctxs_entry(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with simulator() as sim, ws_connect(sim) as ws:
        await subscribe(ws, {"type": "activeAssetCtx", "coin": "xyz:NVDA"})
        first = await recv_channel(ws, "activeAssetCtx")
        assert first["data"]["coin"] == "xyz:NVDA"
        meta, ctxs = sim.exchange.info({"type": "metaAndAssetCtxs", "dex": "xyz"})
        names = [entry["name"] for entry in meta["universe"]]
        assert set(first["data"]["ctx"]) == set(ctxs[names.index("xyz:NVDA")])
        later = [await recv_channel(ws, "activeAssetCtx") for _ in range(3)]
        # The subscriber's first view may repeat once (it was not a tick's publication);
        # after that a context is sent only when it changed.
        texts = [str(message["data"]) for message in later]
        assert all(a != b for a, b in itertools.pairwise(texts))


async def test_bbo_is_the_top_of_the_book(autojump_clock: trio.testing.MockClock) -> None:
    async with simulator() as sim, ws_connect(sim) as ws:
        await subscribe(ws, {"type": "bbo", "coin": "BTC"})
        message = await recv_channel(ws, "bbo")
        book = sim.exchange.info({"type": "l2Book", "coin": "BTC"})
        bid, ask = message["data"]["bbo"]
        assert message["data"]["coin"] == "BTC"
        assert set(bid) == {"px", "sz", "n"} and Decimal(bid["px"]) < Decimal(ask["px"])
        assert [bid, ask] == [side[0] for side in book["levels"]]  # same tick: same book


async def test_candle_streams_the_current_candle_after_trades(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with simulator() as sim, httpx.AsyncClient(base_url=sim.url) as http:
        trader = Trader(sim)
        async with ws_connect(sim) as ws:
            await subscribe(ws, {"type": "candle", "coin": "BTC", "interval": "1m"})
            answer = await http.post(
                "/exchange", json=trader.ioc_buy(0, await btc_mid(http), "0.01")
            )
            assert answer.json()["status"] == "ok"
            candle = (await recv_channel(ws, "candle"))["data"]
            assert candle["s"] == "BTC" and candle["i"] == "1m" and candle["v"] == "0.01"
            assert candle["T"] == candle["t"] + 59_999
            snapshot = sim.exchange.info(
                {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1m", "startTime": 0}}
            )
            assert snapshot[-1] == candle


async def test_clearinghouse_state_and_open_orders_follow_the_account(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with simulator() as sim, httpx.AsyncClient(base_url=sim.url) as http:
        trader = Trader(sim)
        mid = await btc_mid(http)
        async with ws_connect(sim) as ws:
            await subscribe(ws, {"type": "clearinghouseState", "user": USER})
            await subscribe(ws, {"type": "openOrders", "user": USER, "dex": ""})
            state = (await recv_channel(ws, "clearinghouseState"))["data"]
            assert state["dex"] == "" and state["user"] == USER
            assert state["clearinghouseState"]["assetPositions"] == []
            orders = (await recv_channel(ws, "openOrders"))["data"]
            assert orders == {"dex": "", "user": USER, "orders": []}

            await http.post("/exchange", json=trader.ioc_buy(0, mid, "0.002"))
            cloid = "0x" + "00" * 15 + "2b"
            await http.post("/exchange", json=trader.resting_buy(0, mid, "0.001", cloid))
            state = (await recv_channel(ws, "clearinghouseState"))["data"]["clearinghouseState"]
            assert [p["position"]["szi"] for p in state["assetPositions"]] == ["0.002"]
            orders = (await recv_channel(ws, "openOrders"))["data"]["orders"]
            assert [o["cloid"] for o in orders] == [cloid]


async def test_bad_state_subscriptions_are_refused(autojump_clock: trio.testing.MockClock) -> None:
    bad: list[dict[str, Any]] = [
        {"type": "candle", "coin": "BTC", "interval": "2m"},
        {"type": "candle", "coin": "DOGE", "interval": "1m"},
        {"type": "activeAssetCtx", "coin": "DOGE"},
        {"type": "bbo"},
        {"type": "clearinghouseState", "user": "0x12"},
        {"type": "openOrders", "user": USER, "dex": "nope"},
    ]
    async with simulator() as sim, ws_connect(sim) as ws:
        for subscription in bad:
            await send(ws, {"method": "subscribe", "subscription": subscription})
            message = await recv(ws)
            assert message["channel"] == "error"
            assert message["data"].startswith("Invalid subscription")


async def test_user_fundings_snapshot_then_each_settlement(
    autojump_clock: trio.testing.MockClock,
) -> None:
    config = SimConfig(auto_accounts=True, seed=5, funding_interval_ms=1_000)
    async with open_simulator(config) as sim, httpx.AsyncClient(base_url=sim.url) as http:
        trader = Trader(sim)
        await http.post("/exchange", json=trader.ioc_buy(0, await btc_mid(http), "0.01"))
        async with ws_connect(sim) as ws:
            await subscribe(ws, {"type": "userFundings", "user": USER})
            snapshot = (await recv_channel(ws, "userFundings"))["data"]
            assert snapshot["isSnapshot"] is True and snapshot["user"] == USER
            live = (await recv_channel(ws, "userFundings"))["data"]
            assert "isSnapshot" not in live
            [funding] = live["fundings"]
            assert funding["coin"] == "BTC" and funding["szi"] == "0.01"
            assert funding["fundingRate"] == "0.0000125"
            history = sim.exchange.info({"type": "userFunding", "user": USER, "startTime": 0})
            assert history[-1]["time"] == funding["time"]


async def test_ledger_updates_snapshot_then_deposits_and_transfers(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with simulator() as sim, ws_connect(sim) as ws:
        sim.credit(USER, Decimal(250))
        await subscribe(ws, {"type": "userNonFundingLedgerUpdates", "user": USER})
        snapshot = (await recv_channel(ws, "userNonFundingLedgerUpdates"))["data"]
        assert snapshot["isSnapshot"] is True
        [deposit] = snapshot["nonFundingLedgerUpdates"]
        assert deposit["delta"] == {"type": "deposit", "usdc": "250"}
        sim.credit(USER, Decimal("12.5"))
        live = (await recv_channel(ws, "userNonFundingLedgerUpdates"))["data"]
        assert [u["delta"]["usdc"] for u in live["nonFundingLedgerUpdates"]] == ["12.5"]
        every = sim.exchange.info(
            {"type": "userNonFundingLedgerUpdates", "user": USER, "startTime": 0}
        )
        assert [u["delta"]["usdc"] for u in every] == ["250", "12.5"]


async def test_active_asset_data_and_web_data(autojump_clock: trio.testing.MockClock) -> None:
    async with simulator() as sim, ws_connect(sim) as ws:
        sim.credit(USER, Decimal(1_000))
        await subscribe(ws, {"type": "activeAssetData", "user": USER, "coin": "ETH"})
        data = (await recv_channel(ws, "activeAssetData"))["data"]
        expected = sim.exchange.info({"type": "activeAssetData", "user": USER, "coin": "ETH"})
        assert data["user"] == USER and data["coin"] == "ETH"
        assert data["leverage"] == expected["leverage"]
        await subscribe(ws, {"type": "webData2", "user": USER})
        web2 = (await recv_channel(ws, "webData2"))["data"]
        assert web2["user"] == USER and web2["cumLedger"] == "1000"
        assert [a["name"] for a in web2["meta"]["universe"]] == ["BTC", "ETH", "SOL"]
        assert len(web2["assetCtxs"]) == 3 and web2["openOrders"] == []
        assert web2["clearinghouseState"]["assetPositions"] == []
        await subscribe(ws, {"type": "webData3", "user": USER})
        web3 = (await recv_channel(ws, "webData3"))["data"]
        assert web3["userState"]["user"] == USER and web3["userState"]["isVault"] is False
        assert len(web3["perpDexStates"]) == 3
        assert all(s["perpsAtOpenInterestCap"] == [] for s in web3["perpDexStates"])
