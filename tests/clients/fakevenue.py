"""A small scripted venue over real loopback sockets (HTTP via h11, ws via trio-websocket), for
the few faults hip3.sim cannot produce (see test_socket_faults.py): raw junk frames, fill
histories packed several to a millisecond, and an /exchange answered 5xx after it executed.
It keeps an admin truth of orders placed so tests can check "never a second order"."""

from __future__ import annotations

import functools
import itertools
from typing import Any

import attrs
import h11
import orjson
import trio
import trio_websocket


@attrs.define
class Venue:
    fills: list[dict[str, Any]] = attrs.field(factory=list)
    orders: dict[str, dict[str, Any]] = attrs.field(factory=dict)  # cloid -> order (admin truth)
    order_posts: int = 0
    conns: list[trio_websocket.WebSocketConnection] = attrs.field(factory=list)
    subs: list[tuple[trio_websocket.WebSocketConnection, dict[str, Any]]] = attrs.field(
        factory=list
    )
    oids: itertools.count[int] = attrs.field(factory=lambda: itertools.count(1000))
    port: int = 0
    exchange_500_after_processing: bool = False
    ws_port: int = 0

    # -- venue logic -----------------------------------------------------------------------------

    def exchange(self, body: dict[str, Any]) -> dict[str, Any]:
        action = body["action"]
        if action["type"] != "order":
            return {"status": "ok", "response": {"type": "default"}}
        self.order_posts += 1
        statuses = []
        for o in action["orders"]:
            oid = next(self.oids)
            self.orders[o["c"]] = {
                "oid": oid,
                "coin": "BTC",
                "sz": o["s"],
                "origSz": o["s"],
                "cloid": o["c"],
            }
            statuses.append({"resting": {"oid": oid}})
        return {"status": "ok", "response": {"type": "order", "data": {"statuses": statuses}}}

    def info(self, body: dict[str, Any]) -> Any:
        if body["type"] == "orderStatus":
            order = self.orders.get(str(body["oid"]))
            if order is None:
                return {"status": "unknownOid"}
            frontend = {
                "coin": order["coin"],
                "side": "B",
                "limitPx": "100",
                "sz": order["sz"],
                "oid": order["oid"],
                "timestamp": 1,
                "triggerCondition": "N/A",
                "isTrigger": False,
                "triggerPx": "0.0",
                "children": [],
                "isPositionTpsl": False,
                "reduceOnly": False,
                "orderType": "Limit",
                "origSz": order["origSz"],
                "tif": "Gtc",
                "cloid": order["cloid"],
            }
            return {
                "status": "order",
                "order": {"order": frontend, "status": "open", "statusTimestamp": 1},
            }
        if body["type"] == "userFills":  # the newest 2000, as the venue answers
            return sorted(self.fills, key=lambda f: f["time"])[-2000:]
        if body["type"] == "userFillsByTime":
            fills = [
                f
                for f in self.fills
                if f["time"] >= body["startTime"]
                and (body["endTime"] is None or f["time"] <= body["endTime"])
            ]
            return sorted(fills, key=lambda f: f["time"])[:2000]
        return {}

    # -- ws --------------------------------------------------------------------------------------

    async def push_fill(self, fill: dict[str, Any]) -> None:
        self.fills.append(fill)
        for conn, sub in list(self.subs):
            if sub["type"] == "userFills":
                msg = {"channel": "userFills", "data": {"user": sub["user"], "fills": [fill]}}
                await _send(conn, msg)

    async def push_raw(self, raw: str) -> None:
        for conn in list(self.conns):
            await conn.send_message(raw)

    async def push(self, msg: dict[str, Any]) -> None:
        for conn in list(self.conns):
            await _send(conn, msg)

    async def _ws_handler(self, request: trio_websocket.WebSocketRequest) -> None:
        conn = await request.accept()
        self.conns.append(conn)
        await conn.send_message("Websocket connection established.")
        try:
            while True:
                msg = orjson.loads(await conn.get_message())
                method = msg.get("method")
                if method == "ping":
                    await _send(conn, {"channel": "pong"})
                elif method == "subscribe":
                    sub = msg["subscription"]
                    self.subs.append((conn, sub))
                    await _send(conn, {"channel": "subscriptionResponse", "data": msg})
                    if sub["type"] == "userFills":
                        await _send(
                            conn,
                            {
                                "channel": "userFills",
                                "data": {
                                    "isSnapshot": True,
                                    "user": sub["user"],
                                    "fills": list(self.fills),
                                },
                            },
                        )
        except trio_websocket.ConnectionClosed:
            pass
        finally:
            self.conns.remove(conn)
            self.subs = [(c, s) for c, s in self.subs if c is not conn]

    # -- http ------------------------------------------------------------------------------------

    async def _http_handler(self, stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await stream.receive_some(65536)
                    if not data:
                        return
                    conn.receive_data(data)
                    continue
                if isinstance(event, h11.Request):
                    target = event.target.decode()
                    body = b""
                    while True:
                        ev = conn.next_event()
                        if ev is h11.NEED_DATA:
                            conn.receive_data(await stream.receive_some(65536))
                        elif isinstance(ev, h11.Data):
                            body += ev.data
                        elif isinstance(ev, h11.EndOfMessage):
                            break
                    status, payload = self._http_route(target, orjson.loads(body))
                    content = orjson.dumps(payload)
                    headers = [
                        ("content-type", "application/json"),
                        ("content-length", str(len(content))),
                    ]
                    await stream.send_all(
                        conn.send(h11.Response(status_code=status, headers=headers))
                    )
                    await stream.send_all(conn.send(h11.Data(data=content)))
                    await stream.send_all(conn.send(h11.EndOfMessage()))
                    conn.start_next_cycle()
                elif isinstance(event, h11.ConnectionClosed):
                    return
        except (trio.BrokenResourceError, trio.ClosedResourceError, h11.RemoteProtocolError):
            return

    def _http_route(self, target: str, body: dict[str, Any]) -> tuple[int, Any]:
        if target == "/info":
            return 200, self.info(body)
        answer = self.exchange(body)
        if self.exchange_500_after_processing:
            self.exchange_500_after_processing = False
            return 500, {"error": "internal"}  # executed, but the answer is an error
        return 200, answer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}/ws"

    async def serve(
        self, *, task_status: trio.TaskStatus[Venue] = trio.TASK_STATUS_IGNORED
    ) -> None:
        async with trio.open_nursery() as nursery:
            listeners = await nursery.start(
                functools.partial(trio.serve_tcp, self._http_handler, 0, host="127.0.0.1")
            )
            self.port = listeners[0].socket.getsockname()[1]
            server = await nursery.start(
                trio_websocket.serve_websocket, self._ws_handler, "127.0.0.1", 0, None
            )
            self.ws_port = server.port
            task_status.started(self)


async def _send(conn: trio_websocket.WebSocketConnection, msg: dict[str, Any]) -> None:
    await conn.send_message(orjson.dumps(msg).decode())


def fill(tid: int, time_ms: int | None = None) -> dict[str, Any]:
    return {
        "coin": "BTC",
        "px": "100",
        "sz": "1",
        "side": "B",
        "time": tid if time_ms is None else time_ms,
        "tid": tid,
        "oid": tid,
        "hash": "0x0",
        "startPosition": "0",
        "dir": "Open Long",
        "closedPnl": "0",
        "fee": "0",
        "feeToken": "USDC",
        "crossed": True,
    }
