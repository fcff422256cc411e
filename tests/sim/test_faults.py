"""Fault injection changes delivery exactly as configured, never the truth; every fault counted."""

from __future__ import annotations

import httpx
import pytest
import trio
import trio_websocket

from hip3.sim.config import FaultConfig
from hip3.sim.faults import FAULT_COUNTERS, FaultInjector, PostFate, WsFate
from tests.sim.conftest import (
    USER,
    recv,
    recv_channel,
    scripted_server,
    send,
    subscribe,
    ws_connect,
)

ORDERS = {"type": "orderUpdates", "user": USER}
TRADES = {"type": "trades", "coin": "BTC"}


def order_update(oid: int) -> list[dict[str, object]]:
    return [{"order": {"coin": "BTC", "oid": oid}, "status": "open"}]


def oids(msgs: list[dict[str, object]]) -> list[int]:
    return [m["data"][0]["order"]["oid"] for m in msgs]  # type: ignore[index]


async def test_dropped_messages_never_arrive_and_are_counted() -> None:
    faults = FaultConfig(ws_drop=1.0, channels=("orderUpdates",))
    async with scripted_server(faults) as (server, engine), ws_connect(server) as ws:
        await subscribe(ws, ORDERS)  # acks are never faulted
        await subscribe(ws, TRADES)
        for oid in range(5):
            engine.emit("orderUpdates", USER, order_update(oid))
        engine.emit("trades", "BTC", [{"coin": "BTC", "tid": 1}])
        assert await recv(ws) == {"channel": "trades", "data": [{"coin": "BTC", "tid": 1}]}
        assert server.faults.stats()["ws_drop"] == 5
        assert server.truth()["faults"]["ws_drop"] == 5


async def test_duplicated_messages_arrive_twice() -> None:
    async with scripted_server(FaultConfig(ws_duplicate=1.0)) as (server, engine):
        async with ws_connect(server) as ws:
            await subscribe(ws, ORDERS)
            for oid in range(3):
                engine.emit("orderUpdates", USER, order_update(oid))
            got = [await recv(ws) for _ in range(6)]
        assert oids(got) == [0, 0, 1, 1, 2, 2]
        assert server.faults.stats()["ws_duplicate"] == 3


async def test_delayed_message_arrives_late_and_is_overtaken(
    autojump_clock: trio.testing.MockClock,
) -> None:
    faults = FaultConfig(ws_delay=1.0, ws_delay_ms=300, channels=("orderUpdates",))
    async with scripted_server(faults) as (server, engine), ws_connect(server) as ws:
        await subscribe(ws, ORDERS)
        await subscribe(ws, TRADES)
        start = trio.current_time()
        engine.emit("orderUpdates", USER, order_update(1))
        engine.emit("trades", "BTC", [{"coin": "BTC", "tid": 9}])
        assert (await recv(ws))["channel"] == "trades"  # not delayed: overtakes
        assert trio.current_time() - start < 0.3
        late = await recv(ws)
        assert oids([late]) == [1]
        assert trio.current_time() - start == pytest.approx(0.3, abs=0.01)
        assert server.faults.stats()["ws_delay"] == 1


async def test_reordered_messages_swap_with_the_next_of_their_channel(
    autojump_clock: trio.testing.MockClock,
) -> None:
    faults = FaultConfig(ws_reorder=1.0, ws_delay_ms=500)
    async with scripted_server(faults) as (server, engine), ws_connect(server) as ws:
        await subscribe(ws, ORDERS)
        for oid in range(4):
            engine.emit("orderUpdates", USER, order_update(oid))
        assert oids([await recv(ws) for _ in range(4)]) == [1, 0, 3, 2]
        # A held message with nothing after it is released after ws_delay_ms, not lost.
        start = trio.current_time()
        engine.emit("orderUpdates", USER, order_update(4))
        assert oids([await recv(ws)]) == [4]
        assert trio.current_time() - start == pytest.approx(0.5, abs=0.01)
        assert server.faults.stats()["ws_reorder"] == 3


async def test_userfills_snapshot_is_never_faulted_but_live_fills_are() -> None:
    faults = FaultConfig(ws_drop=1.0)
    async with scripted_server(faults) as (server, engine), ws_connect(server) as ws:
        engine.fill(1)
        await subscribe(ws, {"type": "userFills", "user": USER})
        snapshot = await recv(ws)
        assert snapshot["data"]["isSnapshot"] is True
        engine.fill(2)  # dropped on the wire...
        await send(ws, {"method": "ping"})
        assert await recv(ws) == {"channel": "pong"}
        assert server.faults.stats()["ws_drop"] == 1
        # ...but it happened: the next subscription's snapshot has it.
        await send(
            ws, {"method": "unsubscribe", "subscription": {"type": "userFills", "user": USER}}
        )
        await recv(ws)
        await subscribe(ws, {"type": "userFills", "user": USER})
        assert [f["tid"] for f in (await recv(ws))["data"]["fills"]] == [2, 1]


async def test_disconnects_are_abrupt_and_jittered(autojump_clock: trio.testing.MockClock) -> None:
    faults = FaultConfig(disconnect_every_secs=10.0)
    async with scripted_server(faults) as (server, _engine):
        for _ in range(3):
            async with ws_connect(server) as ws:
                opened = trio.current_time()
                with pytest.raises(trio_websocket.ConnectionClosed) as closed:
                    while True:  # keep it busy so only the injected cut can end it
                        await send(ws, {"method": "ping"})
                        await recv(ws)
                        await trio.sleep(1)
                assert 7 <= trio.current_time() - opened <= 13 + 1
                assert closed.value.reason.code == 1006  # no close frame: abnormal closure
        assert server.faults.stats()["ws_disconnect"] == 3


async def test_dropped_ws_post_answer_still_executes_the_action(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with scripted_server(FaultConfig(post_drop=1.0)) as (server, engine):
        async with ws_connect(server) as ws:
            body = {"action": {"type": "noop"}, "nonce": 1}
            await send(
                ws, {"method": "post", "id": 1, "request": {"type": "action", "payload": body}}
            )
            await send(ws, {"method": "ping"})
            assert await recv(ws) == {"channel": "pong"}  # no post answer before it, ever
            with trio.move_on_after(30):
                await recv_channel(ws, "post")
                pytest.fail("a dropped post answer arrived")
        assert engine.actions == [body]
        assert server.faults.stats()["post_drop"] == 1


async def test_delayed_ws_post_answer(autojump_clock: trio.testing.MockClock) -> None:
    faults = FaultConfig(post_delay=1.0, post_delay_ms=1500)
    async with scripted_server(faults) as (server, _engine), ws_connect(server) as ws:
        start = trio.current_time()
        body = {"action": {"type": "noop"}, "nonce": 1}
        await send(ws, {"method": "post", "id": 3, "request": {"type": "action", "payload": body}})
        answer = await recv_channel(ws, "post")
        assert answer["data"]["id"] == 3
        assert trio.current_time() - start == pytest.approx(1.5, abs=0.01)
        assert server.faults.stats()["post_delay"] == 1


async def test_ws_post_info_answers_are_never_lost_or_late(
    autojump_clock: trio.testing.MockClock,
) -> None:
    faults = FaultConfig(post_drop=1.0, post_delay=1.0)
    async with scripted_server(faults) as (server, _engine), ws_connect(server) as ws:
        start = trio.current_time()
        payload = {"type": "meta"}
        await send(ws, {"method": "post", "id": 4, "request": {"type": "info", "payload": payload}})
        assert (await recv_channel(ws, "post"))["data"]["id"] == 4
        assert trio.current_time() == start
        assert server.faults.stats()["post_drop"] == server.faults.stats()["post_delay"] == 0


async def test_dropped_http_exchange_answer_closes_the_connection_after_executing() -> None:
    async with scripted_server(FaultConfig(post_drop=1.0)) as (server, engine):
        async with httpx.AsyncClient(base_url=server.url) as http:
            with pytest.raises(httpx.RemoteProtocolError):
                await http.post("/exchange", json={"action": {"type": "noop"}, "nonce": 1})
            # /info answers are not post answers: never dropped.
            assert (await http.post("/info", json={"type": "meta"})).status_code == 200
        assert engine.actions == [{"action": {"type": "noop"}, "nonce": 1}]
        assert server.truth()["faults"]["post_drop"] == 1


async def test_http_429_refuses_without_executing() -> None:
    async with scripted_server(FaultConfig(http_429=1.0)) as (server, engine):
        async with httpx.AsyncClient(base_url=server.url) as http:
            for path, body in (("/info", {"type": "meta"}), ("/exchange", {"action": {}})):
                refused = await http.post(path, json=body)
                assert refused.status_code == 429
                assert refused.text == "429 Too Many Requests"
            admin = await http.post("/admin", json={"type": "truth"})  # admin is never faulted
        assert admin.json()["faults"]["http_429"] == 2
        assert engine.actions == []


async def test_http_5xx_refuses_without_executing() -> None:
    async with scripted_server(FaultConfig(http_5xx=1.0)) as (server, engine):
        async with httpx.AsyncClient(base_url=server.url) as http:
            statuses = {
                (await http.post("/exchange", json={"action": {}})).status_code for _ in range(30)
            }
        assert statuses <= {500, 502, 503} and len(statuses) > 1
        assert engine.actions == []
        assert server.faults.stats()["http_5xx"] == 30


async def test_http_delay(autojump_clock: trio.testing.MockClock) -> None:
    faults = FaultConfig(http_delay=1.0, http_delay_ms=700)
    async with scripted_server(faults) as (server, _engine):
        async with httpx.AsyncClient(base_url=server.url) as http:
            start = trio.current_time()
            assert (await http.post("/info", json={"type": "meta"})).status_code == 200
            assert trio.current_time() - start == pytest.approx(0.7, abs=0.01)
        assert server.faults.stats()["http_delay"] == 1


def test_decisions_are_seeded_and_follow_the_rates() -> None:
    config = FaultConfig(ws_drop=0.2, ws_duplicate=0.1, post_drop=0.3, http_429=0.25)

    def run(seed: int) -> tuple[list[WsFate], list[PostFate], list[int | None]]:
        injector = FaultInjector(config, seed)
        ws = injector.ws_faults(1)
        return (
            [ws.data_fate("l2Book") for _ in range(4000)],
            [ws.post_fate() for _ in range(4000)],
            [injector.http_fault().status for _ in range(4000)],
        )

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    fates, posts, statuses = first
    assert fates.count(WsFate.DROP) == pytest.approx(800, rel=0.15)
    # duplicate is rolled only for messages not dropped: 0.8 * 0.1
    assert fates.count(WsFate.DUPLICATE) == pytest.approx(320, rel=0.2)
    assert posts.count(PostFate.DROP) == pytest.approx(1200, rel=0.15)
    assert statuses.count(429) == pytest.approx(1000, rel=0.15)


def test_channel_filter_accepts_the_user_events_alias() -> None:
    injector = FaultInjector(FaultConfig(ws_drop=1.0, channels=("userEvents",)), 1)
    ws = injector.ws_faults(1)
    assert ws.data_fate("user") is WsFate.DROP
    assert ws.data_fate("l2Book") is WsFate.DELIVER
    assert injector.stats() == {name: int(name == "ws_drop") for name in FAULT_COUNTERS}
