"""The simulator's server over real loopback sockets: HTTP, websocket, lifecycle.

These tests drive a scripted engine (tests/sim/conftest.py) so each message the server sends
is one the test caused; the real engine behind the same server is covered in
test_server_engine.py and test_sdk_conformance.py.
"""

from __future__ import annotations

import httpx
import pytest
import trio
import trio_websocket
from wsproto.events import Message, TextMessage

from tests.sim.conftest import (
    GREETING,
    USER,
    raw_websocket,
    recv,
    recv_channel,
    scripted_server,
    send,
    subscribe,
    ws_connect,
)


async def test_info_and_exchange_over_one_keep_alive_connection() -> None:
    async with (
        scripted_server() as (server, engine),
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        meta = await http.post("/info", json={"type": "meta"})
        assert meta.status_code == 200
        assert meta.json()["universe"][0]["name"] == "BTC"
        ok = await http.post("/exchange", json={"action": {"type": "noop"}, "nonce": 1})
        assert ok.json() == {"status": "ok", "response": {"type": "default"}}
        assert engine.actions == [{"action": {"type": "noop"}, "nonce": 1}]
        assert server.truth()["server"]["http_requests"] == 2
        # Both requests on one connection: keep-alive works.
        assert meta.extensions["network_stream"] is ok.extensions["network_stream"]


async def test_concurrent_connections_are_served() -> None:
    async with scripted_server() as (server, _engine):
        results: list[int] = []

        async def one() -> None:
            async with httpx.AsyncClient(base_url=server.url) as http:
                for _ in range(5):
                    results.append((await http.post("/info", json={"type": "meta"})).status_code)

        async with trio.open_nursery() as nursery:
            for _ in range(8):
                nursery.start_soon(one)
        assert results == [200] * 40


async def test_bad_requests_get_venue_like_errors_and_the_server_keeps_serving() -> None:
    async with (
        scripted_server() as (server, engine),
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        malformed = await http.post(
            "/info", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert malformed.status_code == 400
        unknown = await http.post("/info", json={"type": "noSuchThing"})
        assert unknown.status_code == 422
        assert unknown.text.startswith("Failed to deserialize the JSON body")
        not_object = await http.post("/exchange", json=[1, 2])
        assert not_object.status_code == 422
        no_action = await http.post("/exchange", json={"nonce": 1})
        assert no_action.status_code == 422
        assert (await http.post("/nowhere", json={})).status_code == 404
        assert (await http.get("/info")).status_code == 405
        assert (await http.post("/info", json={"type": "meta"})).status_code == 200
        assert engine.actions == []


async def test_garbage_bytes_get_400_and_other_connections_live_on() -> None:
    async with scripted_server() as (server, _engine):
        stream = await trio.open_tcp_stream("127.0.0.1", server.port)
        async with stream:
            await stream.send_all(b"\x00\x01garbage\r\n\r\n")
            reply = await stream.receive_some(1024)
            assert reply.startswith(b"HTTP/1.1 400")
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.post("/info", json={"type": "meta"})).status_code == 200


async def test_websocket_upgrade_elsewhere_than_ws_is_404() -> None:
    async with scripted_server() as (server, _engine):
        with pytest.raises(trio_websocket.HandshakeError):
            async with trio_websocket.open_websocket_url(server.url.replace("http", "ws") + "/x"):
                pass


async def test_admin_truth_reports_engine_truth_and_fault_counters() -> None:
    async with (
        scripted_server() as (server, _engine),
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        truth = (await http.post("/admin", json={"type": "truth"})).json()
        assert truth["positions"] == {}
        assert truth["faults"]["ws_drop"] == 0
        assert set(truth["faults"]) >= {"http_429", "post_drop", "ws_disconnect"}
        assert (await http.post("/admin", json={"type": "what"})).status_code == 422


async def test_serve_reports_its_url_and_port_zero_picks_a_free_port() -> None:
    async with scripted_server() as (server, _engine):
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.ws_url == f"ws://127.0.0.1:{server.port}/ws"


async def test_shutdown_closes_open_connections(autojump_clock: trio.testing.MockClock) -> None:
    async with scripted_server() as (server, _engine):
        ws = await raw_websocket(server)
        await ws.stream.receive_some(1024)  # the greeting
        http = await trio.open_tcp_stream("127.0.0.1", server.port)  # idle keep-alive
    # The server is gone and no task of it is left (the nursery exited): both connections
    # were closed by it.
    assert await ws.stream.receive_some(1024) == b""
    assert await http.receive_some(1024) == b""
    await ws.stream.aclose()
    await http.aclose()


# -- websocket ---------------------------------------------------------------------------------


async def test_greeting_ping_pong() -> None:
    async with scripted_server() as (server, _engine), ws_connect(server) as ws:
        await send(ws, {"method": "ping"})
        assert await recv(ws) == {"channel": "pong"}


async def test_userfills_subscribe_acks_then_snapshot_then_live_fills() -> None:
    async with scripted_server() as (server, engine), ws_connect(server) as ws:
        old = engine.fill(1)
        await subscribe(ws, {"type": "userFills", "user": USER})
        snapshot = await recv(ws)
        assert snapshot == {
            "channel": "userFills",
            "data": {"isSnapshot": True, "user": USER, "fills": [old]},
        }
        new = engine.fill(2)
        live = await recv(ws)
        assert live == {"channel": "userFills", "data": {"user": USER, "fills": [new]}}
        assert "isSnapshot" not in live["data"]


async def test_every_resubscribe_sends_a_fresh_snapshot() -> None:
    sub = {"type": "userFills", "user": USER.upper().replace("0X", "0x")}
    async with scripted_server() as (server, engine), ws_connect(server) as ws:
        engine.fill(1)
        await subscribe(ws, sub)
        assert len((await recv(ws))["data"]["fills"]) == 1
        await send(ws, {"method": "unsubscribe", "subscription": sub})
        assert (await recv(ws))["data"]["method"] == "unsubscribe"
        engine.fill(2)  # not subscribed: not delivered live...
        await subscribe(ws, sub)
        snapshot = await recv(ws)
        assert snapshot["data"]["isSnapshot"] is True
        assert [f["tid"] for f in snapshot["data"]["fills"]] == [2, 1]  # ...but in the snapshot


async def test_order_updates_user_events_and_trades_are_routed_by_key() -> None:
    other = "0x" + "ab" * 20
    async with scripted_server() as (server, engine), ws_connect(server) as ws:
        await subscribe(ws, {"type": "orderUpdates", "user": USER})
        await subscribe(ws, {"type": "userEvents", "user": USER})
        await subscribe(ws, {"type": "trades", "coin": "BTC"})
        engine.emit("orderUpdates", other, [{"order": {"oid": 0}, "status": "open"}])
        engine.emit("orderUpdates", USER, [{"order": {"oid": 1}, "status": "open"}])
        engine.emit("userEvents", USER, {"fills": []})
        engine.emit("trades", "ETH", [{"coin": "ETH"}])
        engine.emit("trades", "BTC", [{"coin": "BTC"}])
        assert await recv(ws) == {
            "channel": "orderUpdates",
            "data": [{"order": {"oid": 1}, "status": "open"}],
        }
        assert await recv(ws) == {"channel": "user", "data": {"fills": []}}
        assert await recv(ws) == {"channel": "trades", "data": [{"coin": "BTC"}]}


async def test_market_data_is_published_every_tick(autojump_clock: trio.testing.MockClock) -> None:
    async with scripted_server(tick_ms=200) as (server, engine), ws_connect(server) as ws:
        await subscribe(ws, {"type": "l2Book", "coin": "BTC"})
        first = await recv(ws)  # the current book, at once
        assert first["channel"] == "l2Book" and first["data"]["coin"] == "BTC"
        await subscribe(ws, {"type": "allMids"})
        assert (await recv_channel(ws, "allMids"))["data"]["mids"]["BTC"]
        start = trio.current_time()
        books = [await recv_channel(ws, "l2Book") for _ in range(5)]
        assert [b["data"]["time"] for b in books] == sorted(b["data"]["time"] for b in books)
        assert trio.current_time() - start == pytest.approx(1.0, abs=0.21)
        mids = await recv_channel(ws, "allMids")
        assert mids["data"] == {"mids": {"BTC": str(100 + engine.ticks)}}  # no "dex" for main


async def test_errors_go_to_the_error_channel_and_the_connection_lives_on() -> None:
    async with scripted_server() as (server, _engine), ws_connect(server) as ws:
        await ws.send_message("{not json")
        assert (await recv(ws))["channel"] == "error"
        await send(ws, {"method": "dance"})
        assert (await recv(ws))["channel"] == "error"
        await send(ws, {"method": "subscribe", "subscription": {"type": "l2Book", "coin": "NOPE"}})
        err = await recv(ws)
        assert err["channel"] == "error" and err["data"].startswith("Invalid subscription")
        await send(
            ws, {"method": "subscribe", "subscription": {"type": "userFills", "user": "bob"}}
        )
        assert (await recv(ws))["data"].startswith("Invalid subscription")
        await send(ws, {"method": "unsubscribe", "subscription": {"type": "trades", "coin": "BTC"}})
        assert (await recv(ws))["data"].startswith("Already unsubscribed")
        await subscribe(ws, {"type": "trades", "coin": "BTC"})
        await send(ws, {"method": "subscribe", "subscription": {"type": "trades", "coin": "BTC"}})
        assert (await recv(ws))["data"].startswith("Already subscribed")
        await send(ws, {"method": "ping"})
        assert await recv(ws) == {"channel": "pong"}
        assert server.truth()["server"]["ws_errors_sent"] == 6


async def test_user_subscriptions_are_capped_at_ten_users_per_connection() -> None:
    users = ["0x" + f"{n:040x}" for n in range(11)]
    async with scripted_server() as (server, _engine), ws_connect(server) as ws:
        for user in users[:10]:
            await subscribe(ws, {"type": "userFills", "user": user})
            await recv_channel(ws, "userFills")  # its snapshot
        await subscribe(ws, {"type": "orderUpdates", "user": users[0]})  # a known user: fine
        await send(
            ws, {"method": "subscribe", "subscription": {"type": "userEvents", "user": users[10]}}
        )
        assert await recv(ws) == {
            "channel": "error",
            "data": "Cannot track more than 10 total users.",
        }
        await subscribe(ws, {"type": "trades", "coin": "BTC"})  # market data is not capped


async def test_post_info_and_action_answers_match_the_venue_shapes() -> None:
    async with scripted_server() as (server, engine), ws_connect(server) as ws:
        await send(
            ws,
            {"method": "post", "id": 7, "request": {"type": "info", "payload": {"type": "meta"}}},
        )
        answer = await recv(ws)
        assert answer == {
            "channel": "post",
            "data": {
                "id": 7,
                "response": {
                    "type": "info",
                    "payload": {"type": "meta", "data": engine.info({"type": "meta"})},
                },
            },
        }
        body = {"action": {"type": "noop"}, "nonce": 5, "signature": {}}
        await send(ws, {"method": "post", "id": 8, "request": {"type": "action", "payload": body}})
        assert await recv(ws) == {
            "channel": "post",
            "data": {
                "id": 8,
                "response": {
                    "type": "action",
                    "payload": {"status": "ok", "response": {"type": "default"}},
                },
            },
        }
        assert engine.actions == [body]
        await send(
            ws, {"method": "post", "id": 9, "request": {"type": "info", "payload": {"type": "x"}}}
        )
        error = await recv(ws)
        assert error["data"]["id"] == 9
        assert error["data"]["response"]["type"] == "error"
        await send(ws, {"method": "post", "request": {"type": "info", "payload": {"type": "meta"}}})
        assert (await recv(ws))["channel"] == "error"  # no id: nothing to answer to


async def test_idle_connection_is_closed_after_60s(autojump_clock: trio.testing.MockClock) -> None:
    async with scripted_server() as (server, _engine), ws_connect(server) as ws:
        opened = trio.current_time()
        with pytest.raises(trio_websocket.ConnectionClosed):
            await ws.get_message()
        assert trio.current_time() - opened == pytest.approx(60, abs=0.5)
        assert server.truth()["server"]["ws_idle_disconnects"] == 1


async def test_pings_keep_a_connection_open(autojump_clock: trio.testing.MockClock) -> None:
    async with scripted_server() as (server, _engine), ws_connect(server) as ws:
        for _ in range(4):
            await trio.sleep(50)  # the official SDK's ping interval
            await send(ws, {"method": "ping"})
            assert await recv(ws) == {"channel": "pong"}
        assert server.truth()["server"]["ws_idle_disconnects"] == 0


async def test_a_slow_consumer_is_cut_and_does_not_block_the_engine(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sub = {"type": "orderUpdates", "user": USER}
    async with scripted_server(ws_buffer_size=8) as (server, engine):
        slow = await raw_websocket(server)
        await slow.send({"method": "subscribe", "subscription": sub})  # then never reads
        async with ws_connect(server) as fast:
            await subscribe(fast, sub)
            big = [{"order": {"oid": 1}, "pad": "x" * 60_000}]
            sent = 0
            while not server.truth()["server"]["ws_slow_consumer_disconnects"]:
                assert sent < 2000, "the slow reader was never cut"
                engine.emit("orderUpdates", USER, big)  # never blocks, whoever is slow
                sent += 1
                assert (await recv_channel(fast, "orderUpdates"))["data"] == big
        assert server.truth()["server"]["ws_open"] == 0
        await slow.stream.aclose()


async def test_fragmented_and_binary_requests_are_understood() -> None:
    async with scripted_server() as (server, _engine):
        raw = await raw_websocket(server)
        first = raw.ws.send(Message(data='{"method":', message_finished=False))
        rest = raw.ws.send(Message(data='"ping"}', message_finished=True))
        await raw.stream.send_all(first)
        await raw.stream.send_all(rest)
        await raw.stream.send_all(raw.ws.send(Message(data=b'{"method":"ping"}')))
        texts: list[str] = []
        while len(texts) < 3:
            raw.ws.receive_data(await raw.stream.receive_some(4096))
            texts += [e.data for e in raw.ws.events() if isinstance(e, TextMessage)]
        assert texts == [GREETING, '{"channel":"pong"}', '{"channel":"pong"}']
        await raw.stream.aclose()
