"""Shared helpers for the simulator's server tests.

``ScriptedEngine`` implements the engine contract with answers the test controls and events
the test emits, so the server's delivery (and its faults) can be checked message by message;
tests of the real matching engine go through :func:`hip3.sim.open_simulator`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import attrs
import orjson
import trio
import trio_websocket
import wsproto
from wsproto.events import AcceptConnection, Message, Request

from hip3.sim.config import FaultConfig, SimBadRequest, SimConfig
from hip3.sim.server import SimServer, open_simulator

USER = "0x14791697260e4c9a71f18484c9f997b308e59325"
GREETING = "Websocket connection established."


@attrs.frozen
class Event:
    channel: str
    key: str
    data: Any


class ScriptedEngine:
    """The engine contract with scripted answers; records what the server asked of it."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[Any], None]] = []
        self.fills: dict[str, list[dict[str, Any]]] = {}
        self.actions: list[Mapping[str, Any]] = []
        self.info_requests: list[Mapping[str, Any]] = []
        self.ticks = 0

    def info(self, request: Mapping[str, Any]) -> Any:
        self.info_requests.append(request)
        kind = request.get("type")
        if kind == "l2Book":
            return {"coin": request["coin"], "time": self.ticks, "levels": [[], []]}
        if kind == "allMids":
            return {"BTC": str(100 + self.ticks)}
        if kind == "userFills":
            return list(self.fills.get(str(request["user"]).lower(), []))
        if kind == "meta":
            return {"universe": [{"name": "BTC", "szDecimals": 5, "maxLeverage": 40}]}
        raise SimBadRequest(f"unknown variant {kind!r}")

    def exchange(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if "action" not in body:
            raise SimBadRequest("missing field `action`")
        self.actions.append(body)
        return {"status": "ok", "response": {"type": "default"}}

    def tick(self) -> None:
        self.ticks += 1

    def add_listener(self, fn: Callable[[Any], None]) -> None:
        self.listeners.append(fn)

    def truth(self) -> dict[str, Any]:
        return {"positions": {}, "fills": 0, "orders": 0, "time": 0, "actions": len(self.actions)}

    def emit(self, channel: str, key: str, data: Any) -> None:
        for fn in self.listeners:
            fn(Event(channel, key, data))

    def fill(self, tid: int, user: str = USER) -> dict[str, Any]:
        """Record a fill for ``user`` and emit it live, as the engine does on a trade."""
        fill = {"coin": "BTC", "px": "100.0", "sz": "1.0", "side": "B", "time": tid, "tid": tid}
        self.fills.setdefault(user, []).insert(0, fill)  # newest first, like the venue
        self.emit("userFills", user, {"user": user, "fills": [fill]})
        return fill


@asynccontextmanager
async def scripted_server(
    faults: FaultConfig | None = None, **kwargs: Any
) -> AsyncIterator[tuple[SimServer, ScriptedEngine]]:
    engine = ScriptedEngine()
    config = SimConfig(
        auto_accounts=True, faults=faults or FaultConfig(), tick_ms=kwargs.pop("tick_ms", 200)
    )
    server = SimServer(config, exchange=engine, **kwargs)
    async with trio.open_nursery() as nursery:
        await nursery.start(server.serve)
        yield server, engine
        nursery.cancel_scope.cancel()


@asynccontextmanager
async def ws_connect(server: SimServer) -> AsyncIterator[trio_websocket.WebSocketConnection]:
    async with trio_websocket.open_websocket_url(server.ws_url) as ws:
        assert await ws.get_message() == GREETING
        yield ws


async def send(ws: trio_websocket.WebSocketConnection, msg: Any) -> None:
    await ws.send_message(orjson.dumps(msg).decode())


async def recv(ws: trio_websocket.WebSocketConnection) -> Any:
    return orjson.loads(await ws.get_message())


async def recv_channel(ws: trio_websocket.WebSocketConnection, channel: str) -> Any:
    """The next message on ``channel``, skipping others (e.g. periodic market data)."""
    while True:
        msg = await recv(ws)
        if msg["channel"] == channel:
            return msg


async def subscribe(ws: trio_websocket.WebSocketConnection, subscription: dict[str, Any]) -> Any:
    """Subscribe and wait for the ack (skipping data of earlier subscriptions)."""
    await send(ws, {"method": "subscribe", "subscription": subscription})
    ack = await recv(ws)
    while ack["channel"] not in ("subscriptionResponse", "error"):
        ack = await recv(ws)
    assert ack == {
        "channel": "subscriptionResponse",
        "data": {"method": "subscribe", "subscription": subscription},
    }
    return ack


class ThreadedSimulator:
    """A simulator in a background thread with its own ``trio.run``, for blocking clients
    (the official SDK). ``call`` runs a function on the simulator's trio thread."""

    def __init__(self, config: SimConfig) -> None:
        self._config = config
        self._ready: queue.Queue[tuple[SimServer, trio.lowlevel.TrioToken, trio.Event]] = (
            queue.Queue()
        )
        self._thread = threading.Thread(target=self._run, name="hip3-sim", daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            async with open_simulator(self._config) as sim:
                stop = trio.Event()
                self._ready.put((sim, trio.lowlevel.current_trio_token(), stop))
                await stop.wait()

        trio.run(main)

    def __enter__(self) -> ThreadedSimulator:
        self._thread.start()
        self.server, self._token, self._stop = self._ready.get(timeout=30)
        self.url = self.server.url
        return self

    def call(self, fn: Callable[[], Any]) -> Any:
        return trio.from_thread.run_sync(fn, trio_token=self._token)

    def truth(self) -> dict[str, Any]:
        return self.call(self.server.truth)  # type: ignore[no-any-return]

    def __exit__(self, *exc: object) -> None:
        self.call(self._stop.set)
        self._thread.join(timeout=30)
        assert not self._thread.is_alive()


@attrs.define
class RawWebsocket:
    """A client websocket over a bare stream: it reads only when the test says so."""

    stream: trio.SocketStream
    ws: wsproto.WSConnection

    async def send(self, msg: Any) -> None:
        await self.stream.send_all(self.ws.send(Message(data=orjson.dumps(msg).decode())))


async def raw_websocket(server: SimServer) -> RawWebsocket:
    stream = await trio.open_tcp_stream("127.0.0.1", server.port)
    ws = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    await stream.send_all(ws.send(Request(host="127.0.0.1", target="/ws")))
    head = b""
    while b"\r\n\r\n" not in head:
        head += await stream.receive_some(1)  # byte by byte: leave the frames unread
    ws.receive_data(head)
    assert any(isinstance(event, AcceptConnection) for event in ws.events())
    return RawWebsocket(stream, ws)
