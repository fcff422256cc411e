"""A small scripted venue over real loopback sockets (HTTP via h11, ws via trio-websocket), with
fault switches. Stand-in until hip3.sim lands; it keeps an admin truth of orders placed so tests
can check "never a second order"."""

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
    http_429_remaining: int = 0
    drop_next_exchange_answer: bool = False  # process, then close without answering
    drop_next_ws_post_answer: bool = False
    info_requests: int = 0
    conns: list[trio_websocket.WebSocketConnection] = attrs.field(factory=list)
    subs: list[tuple[trio_websocket.WebSocketConnection, dict[str, Any]]] = attrs.field(
        factory=list
    )
    oids: itertools.count[int] = attrs.field(factory=lambda: itertools.count(1000))
    port: int = 0
    bodies: list[dict[str, Any]] = attrs.field(factory=list)
    canceled: set[str] = attrs.field(factory=set)
    next_exchange_err: str | None = None
    storm_after_drop: int = 0
    info_500_remaining: int = 0
    swallow_next_exchange: bool = False
    exchange_500_after_processing: bool = False
    ws_port: int = 0

    # -- venue logic -----------------------------------------------------------------------------

    def exchange(self, body: dict[str, Any]) -> dict[str, Any]:
        self.bodies.append(body)
        if self.next_exchange_err is not None:
            text, self.next_exchange_err = self.next_exchange_err, None
            return {"status": "err", "response": text}
        action = body["action"]
        if action["type"] == "cancel":
            statuses: list[Any] = []
            for c in action["cancels"]:
                hit = [
                    k
                    for k, o in self.orders.items()
                    if o["oid"] == c["o"] and k not in self.canceled
                ]
                self.canceled.update(hit)
                statuses.append(
                    "success"
                    if hit
                    else {"error": "Order was never placed, already canceled, or filled."}
                )
            return {"status": "ok", "response": {"type": "cancel", "data": {"statuses": statuses}}}
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
        self.info_requests += 1
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
        if body["type"] == "openOrders":
            return [
                {
                    "coin": o["coin"],
                    "oid": o["oid"],
                    "side": "B",
                    "limitPx": "1",
                    "sz": o["sz"],
                    "timestamp": 1,
                    "origSz": o["origSz"],
                }
                for k, o in self.orders.items()
                if k not in self.canceled
            ]
        if body["type"] == "allMids":
            return {"BTC": "100.0"}
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

    async def drop_ws_connections(self) -> None:
        for conn in list(self.conns):
            await conn.aclose()

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
                elif method == "subscribe" and msg["subscription"]["type"] == "bogus":
                    text = "Invalid subscription " + orjson.dumps(msg["subscription"]).decode()
                    await _send(conn, {"channel": "error", "data": text})
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
                elif method == "unsubscribe":
                    self.subs = [
                        (c, s) for c, s in self.subs if not (c is conn and s == msg["subscription"])
                    ]
                    await _send(conn, {"channel": "subscriptionResponse", "data": msg})
                elif method == "post":
                    req = msg["request"]
                    if req["type"] == "action":
                        answer: Any = {"type": "action", "payload": self.exchange(req["payload"])}
                    else:
                        answer = {
                            "type": "info",
                            "payload": {
                                "type": req["payload"]["type"],
                                "data": self.info(req["payload"]),
                            },
                        }
                    if self.drop_next_ws_post_answer:
                        self.drop_next_ws_post_answer = False
                        await conn.aclose()
                        return
                    await _send(
                        conn, {"channel": "post", "data": {"id": msg["id"], "response": answer}}
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
                    if status is None:
                        await stream.aclose()  # processed, answer lost
                        return
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

    def _http_route(self, target: str, body: dict[str, Any]) -> tuple[int | None, Any]:
        if self.http_429_remaining > 0:
            self.http_429_remaining -= 1
            return 429, {"error": "rate limited"}
        if target == "/exchange" and self.swallow_next_exchange:
            self.swallow_next_exchange = False
            return None, None  # lost before the venue processed it
        if target == "/info":
            if self.info_500_remaining > 0:
                self.info_500_remaining -= 1
                return 502, {"error": "bad gateway"}
            return 200, self.info(body)
        answer = self.exchange(body)
        if self.exchange_500_after_processing:
            self.exchange_500_after_processing = False
            return 500, {"error": "internal"}
        if self.drop_next_exchange_answer:
            self.drop_next_exchange_answer = False
            self.http_429_remaining = self.storm_after_drop
            return None, None
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
