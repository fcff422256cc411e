"""The real engine behind the server: signed orders over HTTP and ws post, streams, and
faults that change delivery but never what happened."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import httpx
import trio
import trio.testing

from hip3.signing import PrivateKey, sign_l1_action
from hip3.sim import FaultConfig, SimConfig, SimServer, open_simulator
from hip3.wire.actions import order_action, order_wire
from tests.sim.conftest import recv, recv_channel, send, subscribe, ws_connect

KEY = PrivateKey.from_hex("0x" + "5a" * 32)
USER = KEY.address.lower()


@asynccontextmanager
async def simulator(faults: FaultConfig | None = None) -> AsyncIterator[SimServer]:
    async with open_simulator(
        SimConfig(auto_accounts=True, seed=5, faults=faults or FaultConfig())
    ) as sim:
        yield sim


class Trader:
    """Signs order actions the way any client must (testnet source, fresh nonces)."""

    def __init__(self, sim: SimServer) -> None:
        self.sim = sim
        self.nonce = 0

    def body(self, action: dict[str, Any]) -> dict[str, Any]:
        self.nonce = max(self.nonce + 1, self.sim._clock())
        signature = sign_l1_action(KEY, action, nonce=self.nonce, mainnet=False)
        return {"action": action, "nonce": self.nonce, "signature": signature, "vaultAddress": None}

    def ioc_buy(self, coin_asset: int, mid: Decimal, size: str) -> dict[str, Any]:
        px = int(mid * Decimal("1.05"))
        return self.body(order_action([order_wire(coin_asset, True, px, size, tif="Ioc")]))

    def resting_buy(self, coin_asset: int, mid: Decimal, size: str, cloid: str) -> dict[str, Any]:
        px = int(mid * Decimal("0.9"))
        return self.body(order_action([order_wire(coin_asset, True, px, size, cloid=cloid)]))


async def btc_mid(http: httpx.AsyncClient) -> Decimal:
    return Decimal((await http.post("/info", json={"type": "allMids"})).json()["BTC"])


async def test_signed_order_over_http_fills_and_streams_to_subscribers() -> None:
    async with simulator() as sim, httpx.AsyncClient(base_url=sim.url) as http:
        trader = Trader(sim)
        async with ws_connect(sim) as ws:
            await subscribe(ws, {"type": "userFills", "user": USER})
            snapshot = await recv(ws)
            assert snapshot["data"] == {"isSnapshot": True, "user": USER, "fills": []}
            await subscribe(ws, {"type": "orderUpdates", "user": USER})
            await subscribe(ws, {"type": "userEvents", "user": USER})

            answer = (
                await http.post("/exchange", json=trader.ioc_buy(0, await btc_mid(http), "0.002"))
            ).json()
            assert answer["status"] == "ok"
            filled = answer["response"]["data"]["statuses"][0]["filled"]

            live = await recv_channel(ws, "userFills")
            assert "isSnapshot" not in live["data"]
            assert {f["oid"] for f in live["data"]["fills"]} == {filled["oid"]}
            assert sum(Decimal(f["sz"]) for f in live["data"]["fills"]) == Decimal("0.002")
            events = await recv_channel(ws, "user")
            assert events["data"]["fills"] == live["data"]["fills"]

            cloid = "0x" + "00" * 15 + "2a"
            rest = (
                await http.post(
                    "/exchange", json=trader.resting_buy(0, await btc_mid(http), "0.001", cloid)
                )
            ).json()
            oid = rest["response"]["data"]["statuses"][0]["resting"]["oid"]
            update = await recv_channel(ws, "orderUpdates")
            if update["data"][0]["order"]["oid"] == filled["oid"]:  # the IOC's own lifecycle
                assert update["data"][0]["status"] == "filled"
                update = await recv_channel(ws, "orderUpdates")
            assert update["data"][0]["order"]["oid"] == oid
            assert update["data"][0]["order"]["cloid"] == cloid
            assert update["data"][0]["status"] == "open"

        state = (await http.post("/info", json={"type": "clearinghouseState", "user": USER})).json()
        assert [p["position"]["szi"] for p in state["assetPositions"]] == ["0.002"]
        assert sim.truth()["positions"][USER] == {"BTC": "0.002"}


async def test_ws_post_action_and_info() -> None:
    async with simulator() as sim, ws_connect(sim) as ws:
        trader = Trader(sim)
        await send(
            ws,
            {
                "method": "post",
                "id": 1,
                "request": {"type": "info", "payload": {"type": "allMids"}},
            },
        )
        mids = await recv_channel(ws, "post")
        assert mids["data"]["id"] == 1
        assert mids["data"]["response"]["payload"]["type"] == "allMids"
        mid = Decimal(mids["data"]["response"]["payload"]["data"]["BTC"])
        await send(
            ws,
            {
                "method": "post",
                "id": 2,
                "request": {"type": "action", "payload": trader.ioc_buy(0, mid, "0.001")},
            },
        )
        answer = await recv_channel(ws, "post")
        assert answer["data"]["id"] == 2
        payload = answer["data"]["response"]["payload"]
        assert answer["data"]["response"]["type"] == "action"
        assert payload["status"] == "ok" and "filled" in payload["response"]["data"]["statuses"][0]


async def test_books_and_mids_move_with_ticks(autojump_clock: trio.testing.MockClock) -> None:
    async with simulator() as sim, ws_connect(sim) as ws:
        await subscribe(ws, {"type": "l2Book", "coin": "xyz:TSLA"})
        await subscribe(ws, {"type": "allMids", "dex": "xyz"})
        books = [await recv_channel(ws, "l2Book") for _ in range(10)]
        assert all(b["data"]["coin"] == "xyz:TSLA" for b in books)
        assert all(b["data"]["levels"][0] and b["data"]["levels"][1] for b in books)
        assert len({b["data"]["time"] for b in books}) == 10
        mids = await recv_channel(ws, "allMids")
        assert mids["data"]["dex"] == "xyz" and set(mids["data"]["mids"]) >= {"xyz:TSLA"}


async def test_lost_answers_and_hostile_delivery_never_change_what_happened(
    autojump_clock: trio.testing.MockClock,
) -> None:
    faults = FaultConfig(
        ws_drop=0.3, ws_duplicate=0.2, ws_reorder=0.2, ws_delay=0.2, post_drop=0.4, post_delay=0.2
    )
    orders = 30
    async with simulator(faults) as sim, ws_connect(sim) as ws:
        trader = Trader(sim)
        async with httpx.AsyncClient(base_url=sim.url) as http:
            mid = await btc_mid(http)
        await subscribe(ws, {"type": "userFills", "user": USER})
        await recv(ws)  # the (never faulted) snapshot
        for post_id in range(orders):
            body = trader.ioc_buy(0, mid, "0.001")
            await send(
                ws,
                {"method": "post", "id": post_id, "request": {"type": "action", "payload": body}},
            )
        answered: set[int] = set()
        streamed: list[dict[str, Any]] = []
        with trio.move_on_after(10):
            while True:
                msg = await recv(ws)
                if msg["channel"] == "post":
                    answered.add(msg["data"]["id"])
                elif msg["channel"] == "userFills":
                    streamed.extend(msg["data"]["fills"])
        stats = sim.faults.stats()
        assert orders - len(answered) == stats["post_drop"] > 0
        assert (
            stats["ws_drop"] + stats["ws_duplicate"] + stats["ws_reorder"] + stats["ws_delay"] > 0
        )
        # Every action executed, answered or not: the truth has all 30 buys...
        truth = sim.truth()["positions"][USER]
        assert Decimal(truth["BTC"]) == Decimal("0.001") * orders
        # ...and a fresh subscription's snapshot recovers every fill the stream lost.
        sub = {"type": "userFills", "user": USER}
        await send(ws, {"method": "unsubscribe", "subscription": sub})
        await recv_channel(ws, "subscriptionResponse")
        await subscribe(ws, sub)
        snapshot = await recv_channel(ws, "userFills")
        while not snapshot["data"].get("isSnapshot"):
            snapshot = await recv_channel(ws, "userFills")
        fills = snapshot["data"]["fills"]
        assert sum(Decimal(f["sz"]) for f in fills) == Decimal("0.001") * orders
        assert {f["tid"] for f in streamed} <= {f["tid"] for f in fills}


async def test_exchange_time_follows_trio_time_and_never_goes_back(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sim = SimServer(
        SimConfig(auto_accounts=True, tick_ms=60_000)
    )  # an hour of ticks at 200 ms would be slow
    created = sim.truth()["time"]
    async with trio.open_nursery() as nursery:
        await nursery.start(sim.serve)
        started = sim.truth()["time"]
        assert started >= created
        await trio.sleep(3600)
        assert sim.truth()["time"] - started == 3_600_000
        nursery.cancel_scope.cancel()
    stopped = sim.truth()["time"]
    assert stopped >= started + 3_600_000  # MockClock ran ahead of the wall clock...
    async with trio.open_nursery() as nursery:
        await nursery.start(sim.serve)
        assert sim.truth()["time"] >= stopped  # ...and a second run does not go back
        nursery.cancel_scope.cancel()
