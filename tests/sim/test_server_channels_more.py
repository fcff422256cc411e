"""Websocket channels the conformance suites found missing or broken: activeAssetCtx of a spot
pair (it used to stop the simulator), spotState, allDexsClearinghouseState, allDexsAssetCtxs
and userHistoricalOrders. Every message is computed from the engine's info answers."""

from __future__ import annotations

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


def unstamped(state: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in state.items() if key != "time"}


async def test_active_asset_ctx_of_a_spot_pair_is_its_spot_ctx(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with simulator() as sim, ws_connect(sim) as ws:
        await subscribe(ws, {"type": "activeAssetCtx", "coin": "@1"})
        message = await recv_channel(ws, "activeSpotAssetCtx")
        assert message["data"]["coin"] == "@1"
        spot_meta, ctxs = sim.exchange.info({"type": "spotMetaAndAssetCtxs"})
        names = [pair["name"] for pair in spot_meta["universe"]]
        assert set(message["data"]["ctx"]) == set(ctxs[names.index("@1")])
        # The simulator still serves everyone.
        await subscribe(ws, {"type": "activeAssetCtx", "coin": "BTC"})
        assert (await recv_channel(ws, "activeAssetCtx"))["data"]["coin"] == "BTC"


async def test_spot_state_follows_the_spot_wallet(autojump_clock: trio.testing.MockClock) -> None:
    async with simulator() as sim, ws_connect(sim) as ws:
        sim.credit_spot(USER, "USDC", Decimal(50))
        await subscribe(ws, {"type": "spotState", "user": USER, "ignorePortfolioMargin": False})
        first = (await recv_channel(ws, "spotState"))["data"]
        assert first["user"] == USER
        assert first["spotState"] == sim.exchange.info(
            {"type": "spotClearinghouseState", "user": USER}
        )
        sim.credit_spot(USER, "USDC", Decimal(25))
        later = (await recv_channel(ws, "spotState"))["data"]["spotState"]
        assert [(b["coin"], b["total"]) for b in later["balances"]] == [("USDC", "75")]


async def test_all_dexs_clearinghouse_state_has_one_state_per_dex(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with simulator() as sim, httpx.AsyncClient(base_url=sim.url) as http:
        trader = Trader(sim)
        async with ws_connect(sim) as ws:
            await subscribe(ws, {"type": "allDexsClearinghouseState", "user": USER})
            first = (await recv_channel(ws, "allDexsClearinghouseState"))["data"]
            assert first["user"] == USER
            dexes = [dex.name for dex in sim.config.dexes]
            assert [dex for dex, _ in first["clearinghouseStates"]] == dexes
            for dex, state in first["clearinghouseStates"]:
                expected = sim.exchange.info(
                    {"type": "clearinghouseState", "user": USER, "dex": dex}
                )
                assert unstamped(state) == unstamped(expected)
            await http.post("/exchange", json=trader.ioc_buy(0, await btc_mid(http), "0.002"))
            later = (await recv_channel(ws, "allDexsClearinghouseState"))["data"]
            main = dict(later["clearinghouseStates"])[""]
            assert [p["position"]["szi"] for p in main["assetPositions"]] == ["0.002"]


async def test_all_dexs_asset_ctxs_has_every_dexs_ctxs(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with simulator() as sim, ws_connect(sim) as ws:
        await subscribe(ws, {"type": "allDexsAssetCtxs"})
        data = (await recv_channel(ws, "allDexsAssetCtxs"))["data"]
        assert [dex for dex, _ in data["ctxs"]] == [dex.name for dex in sim.config.dexes]
        for dex, ctxs in data["ctxs"]:
            meta, _ = sim.exchange.info({"type": "metaAndAssetCtxs", "dex": dex})
            assert len(ctxs) == len(meta["universe"])
            assert all(Decimal(ctx["markPx"]) > 0 for ctx in ctxs)


async def test_user_historical_orders_snapshot_then_each_status(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with simulator() as sim, httpx.AsyncClient(base_url=sim.url) as http:
        trader = Trader(sim)
        mid = await btc_mid(http)
        await http.post("/exchange", json=trader.ioc_buy(0, mid, "0.002"))
        async with ws_connect(sim) as ws:
            await subscribe(ws, {"type": "userHistoricalOrders", "user": USER})
            snapshot = (await recv_channel(ws, "userHistoricalOrders"))["data"]
            assert snapshot["isSnapshot"] is True and snapshot["user"] == USER
            assert snapshot["orderHistory"] == sim.exchange.info(
                {"type": "historicalOrders", "user": USER}
            )
            assert [entry["status"] for entry in snapshot["orderHistory"]] == ["filled"]

            cloid = "0x" + "00" * 15 + "4d"
            answer = await http.post("/exchange", json=trader.resting_buy(0, mid, "0.001", cloid))
            oid = answer.json()["response"]["data"]["statuses"][0]["resting"]["oid"]
            live = (await recv_channel(ws, "userHistoricalOrders"))["data"]
            assert "isSnapshot" not in live
            [entry] = live["orderHistory"]
            assert entry["status"] == "open" and entry["order"]["oid"] == oid
            assert entry["order"]["cloid"] == cloid and entry["order"]["orderType"] == "Limit"
            cancel = {"type": "cancel", "cancels": [{"a": 0, "o": oid}]}
            await http.post("/exchange", json=trader.body(cancel))
            [entry] = (await recv_channel(ws, "userHistoricalOrders"))["data"]["orderHistory"]
            assert (entry["status"], entry["order"]["oid"]) == ("canceled", oid)


async def test_bad_new_subscriptions_are_refused(autojump_clock: trio.testing.MockClock) -> None:
    bad: list[dict[str, Any]] = [
        {"type": "spotState", "user": "0x12"},
        {"type": "spotState", "user": USER, "ignorePortfolioMargin": "yes"},
        {"type": "allDexsClearinghouseState"},
        {"type": "userHistoricalOrders", "user": 7},
    ]
    async with simulator() as sim, ws_connect(sim) as ws:
        for subscription in bad:
            await send(ws, {"method": "subscribe", "subscription": subscription})
            message = await recv(ws)
            assert message["channel"] == "error"
            assert message["data"].startswith("Invalid subscription")
