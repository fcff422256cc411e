"""The simulator's server: one loopback port for ``POST /info``, ``POST /exchange`` and ``/ws``.

:class:`SimServer` owns no trading state: the :class:`~hip3.sim.engine.SimExchange` is the
single owner of the truth, called synchronously from the connection tasks (trio runs them one
at a time, so the engine needs no locks). The server's jobs are the wire (h11 for HTTP/1.1 with
keep-alive, wsproto for the websocket on the same port, see :mod:`hip3.sim._http`), the clock
(one task ticks the engine every ``tick_ms`` and publishes ``l2Book``/``allMids``), the fan-out
of engine events to websocket subscribers, and fault injection (:mod:`hip3.sim.faults`).

Wire behaviour follows the venue (hyperliquid-api.md §1, §2, §4):

- ``/info`` answers raw JSON; a request the engine cannot interpret (``SimBadRequest``) gets
  HTTP 422 with a plain-text reason, like the venue's body deserializer; malformed JSON gets 400.
- ``/exchange`` answers the engine's envelope (``{"status": "ok" | "err", ...}``, HTTP 200).
- ``/ws``: the plain-text greeting, ``subscriptionResponse`` acks, a ``userFills`` snapshot
  (``isSnapshot: true``) on every subscribe, live data, ``pong``, ``post`` answers and
  ``error`` messages; a connection is closed when nothing was sent to it for 60 s.
- ``POST /admin`` is the simulator's own: ``{"type": "truth"}`` returns :meth:`SimServer.truth`
  (for out-of-process tests and the CLI); ``{"type": "credit", "user", "usd", "dex"?}`` funds an account.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import orjson
import trio

from hip3.sim._history import CANDLE_INTERVALS
from hip3.sim._http import HttpRequest, HttpResponse, serve_http_connection
from hip3.sim._ws import CloseReason, OutKind, WsSession
from hip3.sim.config import SimBadRequest, SimConfig
from hip3.sim.engine import SimEvent, SimExchange
from hip3.sim.faults import FaultInjector, HttpFault, PostFate
from hip3.types import wire_decimal

__all__ = ["SimServer", "open_simulator"]

log = logging.getLogger(__name__)

WS_IDLE_TIMEOUT_SECS = 60.0  # §4.2: the venue closes a connection it sent nothing to for 60 s
WS_BUFFER_SIZE = 4096  # messages queued per connection before it counts as a slow consumer
# §5: the venue allows 1000 subscriptions and 10 distinct users in user subscriptions per IP;
# the simulator counts per connection (every test client shares 127.0.0.1).
WS_MAX_SUBSCRIPTIONS = 1000
WS_MAX_USERS = 10

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_USER_CHANNELS = (
    "userFills",
    "orderUpdates",
    "userEvents",
    "userFundings",
    "userNonFundingLedgerUpdates",
    "userHistoricalOrders",
)
# User channels whose first message is a snapshot of the history: (info request, data key).
_SNAPSHOTS = {
    "userFundings": ("userFunding", "fundings"),
    "userNonFundingLedgerUpdates": ("userNonFundingLedgerUpdates", "nonFundingLedgerUpdates"),
    "userHistoricalOrders": ("historicalOrders", "orderHistory"),
}
# Channels whose every message is a complete current view, computed from the engine's state:
# sent on subscribe and then after each tick in which the view changed (§4.3).
_STATE_CHANNELS = (
    "activeAssetCtx",
    "activeAssetData",
    "allDexsAssetCtxs",
    "allDexsClearinghouseState",
    "bbo",
    "candle",
    "clearinghouseState",
    "openOrders",
    "spotState",
    "webData2",
    "webData3",
)
_USER_STATE_CHANNELS = (
    "activeAssetData",
    "allDexsClearinghouseState",
    "clearinghouseState",
    "openOrders",
    "spotState",
    "webData2",
    "webData3",
)
# Channels keyed by user alone (no coin or dex in the subscription).
_BY_USER = (*_USER_CHANNELS, "allDexsClearinghouseState", "spotState", "webData2", "webData3")
# The ws channel name of a subscription's data, where it differs from the type (§4.4).
_DATA_CHANNEL = {"userEvents": "user"}

SubKey = tuple[Any, ...]


class SimEngine(Protocol):
    """The part of :class:`~hip3.sim.engine.SimExchange` the server uses (the contract)."""

    def info(self, request: Mapping[str, Any]) -> Any: ...
    def exchange(self, body: Mapping[str, Any]) -> dict[str, Any]: ...
    def tick(self) -> None: ...
    def add_listener(self, fn: Callable[[Any], None]) -> None: ...
    def truth(self) -> dict[str, Any]: ...


def dumps(value: Any) -> str:
    """JSON text of an engine answer (Decimals, if any, as strings like the venue)."""
    return orjson.dumps(value, default=_json_default).decode()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON-able: {type(value).__name__}")


class SimServer:
    """The simulated venue on one loopback port; run it with :meth:`serve` or
    :func:`open_simulator`.

    By default a :class:`~hip3.sim.engine.SimExchange` is built from ``config`` (its clock is
    this server's, see :meth:`_clock`). Tests may pass ``exchange``: any object with the
    :class:`SimEngine` methods, e.g. a scripted double to check delivery message by message.
    """

    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        exchange: SimExchange | None = None,
        ws_idle_timeout_secs: float = WS_IDLE_TIMEOUT_SECS,
        ws_buffer_size: int = WS_BUFFER_SIZE,
    ) -> None:
        self.config = config if config is not None else SimConfig()
        self.host = host
        self.port = port
        self.url = ""
        self.ws_url = ""
        self.faults = FaultInjector(self.config.faults, self.config.seed)
        self._t0: float | None = None
        self._epoch_ms = 0
        self._last_ms = 0
        self.exchange: SimExchange = (
            exchange if exchange is not None else SimExchange(self.config, clock=self._clock)
        )
        self.exchange.add_listener(self._on_event)
        self._ws_idle_timeout_secs = ws_idle_timeout_secs
        self._ws_buffer_size = ws_buffer_size
        self._subscribers: dict[SubKey, set[WsSession]] = {}
        self._sessions: set[WsSession] = set()
        self._session_numbers = itertools.count(1)
        self._counts: dict[str, int] = dict.fromkeys(
            (
                "tcp_connections",
                "http_requests",
                "ws_connections",
                "ws_slow_consumer_disconnects",
                "ws_idle_disconnects",
                "ws_errors_sent",
            ),
            0,
        )
        self._dexes = {dex.name for dex in self.config.dexes}
        self._coins = {market.name for market in self.config.markets()}
        self._coins.update(self.config.spot_coins())
        self._coin_dex = {
            market.name: dex.name for dex in self.config.dexes for market in dex.markets
        }
        self._last_views: dict[SubKey, str] = {}  # state channel -> the view last published

    # -- public ----------------------------------------------------------------------------------

    def truth(self) -> dict[str, Any]:
        """The engine's truth plus every fault injected and the server's own counters."""
        truth = dict(self.exchange.truth())
        truth["faults"] = self.faults.stats()
        truth["server"] = {**self._counts, "ws_open": len(self._sessions)}
        return truth

    def credit(self, address: str, usd: Decimal, dex: str = "") -> None:
        """Add ``usd`` to ``address``'s balance on ``dex`` (creating the account when needed)."""
        self.exchange.credit(address, usd, dex)

    def credit_spot(self, address: str, token: str, amount: Decimal) -> None:
        """Add ``amount`` of spot ``token`` (``USDC`` or a pair's base) to ``address``."""
        self.exchange.credit_spot(address, token, amount)

    async def serve(self, *, task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED) -> None:
        """Listen, tick and serve until cancelled; ``task_status.started(self.url)``."""
        self._epoch_ms = max(int(time.time() * 1000), self._clock())
        self._t0 = trio.current_time()
        listeners = await trio.open_tcp_listeners(self.port, host=self.host)
        try:
            sockname = listeners[0].socket.getsockname()
            self.port = int(sockname[1])
            host = f"[{self.host}]" if ":" in self.host else self.host
            self.url = f"http://{host}:{self.port}"
            self.ws_url = f"ws://{host}:{self.port}/ws"
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._tick_loop)
                await nursery.start(trio.serve_listeners, self._serve_connection, listeners)
                log.info("simulator listening on %s (ws %s)", self.url, self.ws_url)
                task_status.started(self.url)
        finally:
            self._clock()
            self._t0 = None
            for listener in listeners:
                await trio.aclose_forcefully(listener)

    # -- clock and ticks -------------------------------------------------------------------------

    def _clock(self) -> int:
        """The exchange's time in ms: wall time when serving started plus trio time since, so
        MockClock drives it in tests. Never goes back (before, between and after runs)."""
        now_ms = int(time.time() * 1000)
        if self._t0 is not None:
            try:
                now_ms = self._epoch_ms + int((trio.current_time() - self._t0) * 1000)
            except RuntimeError:  # called from outside the trio run (e.g. from another thread)
                now_ms = self._last_ms
        self._last_ms = max(self._last_ms, now_ms)
        return self._last_ms

    async def _tick_loop(self) -> None:
        period = self.config.tick_ms / 1000
        next_at = trio.current_time()
        while True:
            next_at += period
            now = trio.current_time()
            if next_at < now - period:  # fell behind (a long pause): do not burst to catch up
                next_at = now
            await trio.sleep_until(next_at)
            try:
                self.exchange.tick()
            except Exception:
                log.exception("simulator engine tick failed")
            self._publish_market_data()

    def _publish_market_data(self) -> None:
        for key, sessions in list(self._subscribers.items()):
            if not sessions:
                continue
            if key[0] in _STATE_CHANNELS:
                view = self._state_view(key)
                if view is None or self._last_views.get(key) == view[0]:
                    continue
                self._last_views[key] = view[0]
                text = view[1]
            elif key[0] in ("l2Book", "allMids"):
                market_text = self._market_data_text(key)
                if market_text is None:
                    continue
                text = market_text
            else:
                continue
            for session in list(sessions):
                session.offer(OutKind.DATA, key[0], text)

    def _state_view(self, key: SubKey) -> tuple[str, str] | None:
        """``(what changes, message)`` of a state channel, or None when there is nothing to say.

        The first part leaves out the message's timestamp, so an unchanged view is not resent.
        """
        try:
            kind = key[0]
            if kind == "activeAssetCtx":
                coin = key[1]
                dex = self._coin_dex.get(coin)
                if dex is None:  # a spot pair: its own channel name and ctx (§4.4)
                    spot_meta, spot_ctxs = self.exchange.info({"type": "spotMetaAndAssetCtxs"})
                    names = [entry["name"] for entry in spot_meta["universe"]]
                    data: Any = {"coin": coin, "ctx": spot_ctxs[names.index(coin)]}
                    text = dumps({"channel": "activeSpotAssetCtx", "data": data})
                    return text, text
                meta, ctxs = self.exchange.info({"type": "metaAndAssetCtxs", "dex": dex})
                names = [entry["name"] for entry in meta["universe"]]
                data = {"coin": coin, "ctx": ctxs[names.index(coin)]}
                text = dumps({"channel": kind, "data": data})
                return text, text
            if kind == "allDexsAssetCtxs":
                per_dex = [
                    [dex.name, self.exchange.info({"type": "metaAndAssetCtxs", "dex": dex.name})[1]]
                    for dex in self.config.dexes
                ]
                text = dumps({"channel": kind, "data": {"ctxs": per_dex}})
                return text, text
            if kind == "spotState":
                state = self.exchange.info({"type": "spotClearinghouseState", "user": key[1]})
                text = dumps({"channel": kind, "data": {"user": key[1], "spotState": state}})
                return text, text
            if kind == "allDexsClearinghouseState":
                states = [
                    [
                        dex.name,
                        self.exchange.info(
                            {"type": "clearinghouseState", "user": key[1], "dex": dex.name}
                        ),
                    ]
                    for dex in self.config.dexes
                ]
                unstamped = [
                    [dex, {k: v for k, v in state.items() if k != "time"}] for dex, state in states
                ]
                data = {"user": key[1], "clearinghouseStates": states}
                return dumps(unstamped), dumps({"channel": kind, "data": data})
            if kind == "bbo":
                book = self.exchange.info({"type": "l2Book", "coin": key[1]})
                if book is None:
                    return None
                bbo = [side[0] if side else None for side in book["levels"]]
                data = {"coin": key[1], "time": book["time"], "bbo": bbo}
                return dumps(bbo), dumps({"channel": kind, "data": data})
            if kind == "candle":
                coin, interval = key[1], key[2]
                span = CANDLE_INTERVALS[interval] or 32 * 86_400_000  # 1M: a month at most
                recent = self.exchange.info(
                    {
                        "type": "candleSnapshot",
                        "req": {
                            "coin": coin,
                            "interval": interval,
                            "startTime": self._clock() - span,
                        },
                    }
                )
                if not recent:
                    return None
                text = dumps({"channel": kind, "data": recent[-1]})
                return text, text
            if kind == "activeAssetData":
                request = {"type": "activeAssetData", "user": key[1], "coin": key[2]}
                text = dumps({"channel": kind, "data": self.exchange.info(request)})
                return text, text
            if kind in ("webData2", "webData3"):
                data = self._web_data(kind, key[1])
                changed = {k: v for k, v in data.items() if k != "serverTime"}
                if kind == "webData3":
                    changed["userState"] = {
                        k: v for k, v in data["userState"].items() if k != "serverTime"
                    }
                return dumps(changed), dumps({"channel": kind, "data": data})
            user, dex = key[1], key[2]
            if kind == "clearinghouseState":
                state = self.exchange.info({"type": "clearinghouseState", "user": user, "dex": dex})
                data = {"dex": dex, "user": user, "clearinghouseState": state}
                changed = dict(state)
                changed.pop("time", None)
                return dumps(changed), dumps({"channel": kind, "data": data})
            orders = self.exchange.info({"type": "frontendOpenOrders", "user": user, "dex": dex})
            data = {"dex": dex, "user": user, "orders": orders}
            text = dumps({"channel": kind, "data": data})
            return text, text
        except SimBadRequest:
            return None

    def _web_data(self, kind: str, user: str) -> dict[str, Any]:
        """The frontend's aggregate for ``user`` (webData2: legacy, main dex; webData3: per dex)."""
        info = self.exchange.info
        now = info({"type": "exchangeStatus"})["time"]
        role = info({"type": "userRole", "user": user})["role"]
        ledger = info({"type": "userNonFundingLedgerUpdates", "user": user, "startTime": 0})
        cum = Decimal(0)
        for entry in ledger:
            delta = entry["delta"]
            if delta["type"] == "deposit":
                cum += Decimal(delta["usdc"])
            elif delta["type"] == "withdraw":
                cum -= Decimal(delta["usdc"])
        user_state: dict[str, Any] = {
            "agentAddress": None,
            "agentValidUntil": None,
            "serverTime": now,
            "cumLedger": wire_decimal(cum),
            "isVault": role == "vault",
            "user": user,
        }
        if kind == "webData3":
            states = []
            for dex in self.config.dexes:
                at_cap = info({"type": "perpsAtOpenInterestCap", "dex": dex.name})
                states.append(
                    {
                        "totalVaultEquity": "0.0",
                        "perpsAtOpenInterestCap": at_cap,
                        "leadingVaults": [],
                    }
                )
            return {"userState": user_state, "perpDexStates": states}
        meta, ctxs = info({"type": "metaAndAssetCtxs"})
        _spot_meta, spot_ctxs = info({"type": "spotMetaAndAssetCtxs"})
        return {
            **user_state,
            "clearinghouseState": info({"type": "clearinghouseState", "user": user}),
            "leadingVaults": [],
            "totalVaultEquity": "0.0",
            "openOrders": info({"type": "frontendOpenOrders", "user": user}),
            "meta": meta,
            "assetCtxs": ctxs,
            "twapStates": [],
            "spotState": info({"type": "spotClearinghouseState", "user": user}),
            "spotAssetCtxs": spot_ctxs,
            "perpsAtOpenInterestCap": info({"type": "perpsAtOpenInterestCap", "dex": ""}),
        }

    def _market_data_text(self, key: SubKey) -> str | None:
        try:
            if key[0] == "l2Book":
                request: dict[str, Any] = {"type": "l2Book", "coin": key[1]}
                if key[2] is not None:
                    request["nSigFigs"] = key[2]
                if key[3] is not None:
                    request["mantissa"] = key[3]
                return dumps({"channel": "l2Book", "data": self.exchange.info(request)})
            mids = self.exchange.info({"type": "allMids", "dex": key[1]})
            # The venue names the dex only for a HIP-3 dex: the main dex's mids come bare.
            data = {"dex": key[1], "mids": mids} if key[1] else {"mids": mids}
            return dumps({"channel": "allMids", "data": data})
        except SimBadRequest:
            return None

    # -- engine events ---------------------------------------------------------------------------

    def _on_event(self, event: SimEvent) -> None:
        """Fan an engine event out to its subscribers; never blocks the engine."""
        channel: str = event.channel
        key = event.key.lower() if channel in _USER_CHANNELS else event.key
        if channel == "orderUpdates":
            self._order_history(key, event.data)
        sessions = self._subscribers.get((channel, key))
        if not sessions:
            return
        data_channel = _DATA_CHANNEL.get(channel, channel)
        text = dumps({"channel": data_channel, "data": event.data})
        for session in list(sessions):
            session.offer(OutKind.DATA, data_channel, text)

    def _order_history(self, user: str, updates: list[dict[str, Any]]) -> None:
        """userHistoricalOrders: each order update as an order-history entry (the order as
        ``historicalOrders`` shows it, with the update's status, time and remaining size)."""
        sessions = self._subscribers.get(("userHistoricalOrders", user))
        if not sessions:
            return
        entries = []
        for update in updates:
            found = self.exchange.info(
                {"type": "orderStatus", "user": user, "oid": update["order"]["oid"]}
            )
            if found["status"] != "order":
                continue
            order = {**found["order"]["order"], "sz": update["order"]["sz"]}
            entries.append(
                {
                    "order": order,
                    "status": update["status"],
                    "statusTimestamp": update["statusTimestamp"],
                }
            )
        text = dumps(
            {"channel": "userHistoricalOrders", "data": {"user": user, "orderHistory": entries}}
        )
        for session in list(sessions):
            session.offer(OutKind.DATA, "userHistoricalOrders", text)

    # -- connections -----------------------------------------------------------------------------

    async def _serve_connection(self, stream: trio.SocketStream) -> None:
        self._counts["tcp_connections"] += 1
        async with stream:
            await serve_http_connection(stream, self._handle_http, self._serve_websocket)

    async def _serve_websocket(self, stream: trio.abc.Stream, initial: bytes) -> None:
        number = next(self._session_numbers)
        session = WsSession(
            number,
            stream,
            initial,
            faults=self.faults.ws_faults(number),
            on_text=self._on_ws_text,
            buffer_size=self._ws_buffer_size,
            idle_timeout_secs=self._ws_idle_timeout_secs,
            post_delay_secs=self.faults.post_delay_secs,
            ws_delay_secs=self.faults.ws_delay_secs,
        )
        self._counts["ws_connections"] += 1
        self._sessions.add(session)
        try:
            await session.run()
        finally:
            self._sessions.discard(session)
            for key in session.subscriptions:
                self._unsubscribe(session, key)
            if session.close_reason is CloseReason.SLOW_CONSUMER:
                self._counts["ws_slow_consumer_disconnects"] += 1
            elif session.close_reason is CloseReason.IDLE:
                self._counts["ws_idle_disconnects"] += 1
            log.debug("ws connection %d closed: %s", number, session.close_reason)

    # -- HTTP ------------------------------------------------------------------------------------

    async def _handle_http(self, request: HttpRequest) -> HttpResponse | None:
        self._counts["http_requests"] += 1
        if request.path not in ("/info", "/exchange", "/admin"):
            return HttpResponse.text(404, "Not Found")
        if request.method != "POST":
            return HttpResponse.text(405, "Method Not Allowed")
        if request.path == "/admin":
            return self._admin(request.body)
        fault = self.faults.http_fault()
        if fault.delay_secs > 0:
            await trio.sleep(fault.delay_secs)
        if fault.status is not None:
            return _refusal(fault)
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError as exc:
            return HttpResponse.text(400, f"Failed to parse the request body as JSON: {exc}")
        if not isinstance(body, dict):
            return HttpResponse.text(
                422, "Failed to deserialize the JSON body into the target type: expected an object"
            )
        try:
            if request.path == "/info":
                return HttpResponse(200, dumps(self.exchange.info(body)).encode())
            answer = self.exchange.exchange(body)
        except SimBadRequest as exc:
            return HttpResponse.text(
                422, f"Failed to deserialize the JSON body into the target type: {exc}"
            )
        except Exception:
            log.exception("simulator engine failed on %s", request.path)
            return HttpResponse.text(500, "Internal Server Error")
        # The action has executed; only its answer may be lost or late.
        fate = self.faults.http_post_fate()
        if fate is PostFate.DROP:
            return None
        if fate is PostFate.DELAY:
            await trio.sleep(self.faults.post_delay_secs)
        return HttpResponse(200, dumps(answer).encode())

    def _admin(self, raw: bytes) -> HttpResponse:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return HttpResponse.text(400, "admin: body is not JSON")
        kind = body.get("type") if isinstance(body, dict) else None
        if kind == "truth":
            return HttpResponse(200, dumps(self.truth()).encode())
        if kind == "credit":
            user, usd, dex = body.get("user"), body.get("usd"), body.get("dex", "")
            if not isinstance(user, str) or not _ADDRESS.fullmatch(user):
                return HttpResponse.text(422, "admin credit: user must be an address")
            try:
                amount = Decimal(str(usd))
            except InvalidOperation:
                amount = Decimal("NaN")
            if not amount.is_finite() or not isinstance(dex, str):
                return HttpResponse.text(422, "admin credit: usd must be a decimal, dex a name")
            try:
                self.credit(user, amount, dex)
            except SimBadRequest as exc:
                return HttpResponse.text(422, f"admin credit: {exc}")
            return HttpResponse(200, b'{"status":"ok"}')
        if kind == "halt":
            coin, halted, delist = body.get("coin"), body.get("halted"), body.get("delist", False)
            if not isinstance(coin, str) or type(halted) is not bool or type(delist) is not bool:
                return HttpResponse.text(
                    422, "admin halt: coin must be a name, halted and delist true or false"
                )
            try:
                self.exchange.halt(coin, halted, delist=delist)
            except SimBadRequest as exc:
                return HttpResponse.text(422, f"admin halt: {exc}")
            return HttpResponse(200, b'{"status":"ok"}')
        if kind == "spotCredit":
            user, token, raw_amount = body.get("user"), body.get("token"), body.get("amount")
            if not isinstance(user, str) or not _ADDRESS.fullmatch(user):
                return HttpResponse.text(422, "admin spotCredit: user must be an address")
            try:
                amount = Decimal(str(raw_amount))
            except InvalidOperation:
                amount = Decimal("NaN")
            if not amount.is_finite() or not isinstance(token, str):
                return HttpResponse.text(
                    422, "admin spotCredit: amount must be a decimal, token a name"
                )
            try:
                self.credit_spot(user, token, amount)
            except SimBadRequest as exc:
                return HttpResponse.text(422, f"admin spotCredit: {exc}")
            return HttpResponse(200, b'{"status":"ok"}')
        return HttpResponse.text(
            422, 'admin: type must be "truth", "credit", "spotCredit" or "halt"'
        )

    # -- websocket requests ----------------------------------------------------------------------

    async def _on_ws_text(self, session: WsSession, text: str) -> None:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            msg = None
        if not isinstance(msg, dict):
            self._ws_error(session, f"Error parsing JSON into valid websocket request: {text}")
            return
        method = msg.get("method")
        if method == "ping":
            session.offer(OutKind.CONTROL, "pong", '{"channel":"pong"}')
        elif method in ("subscribe", "unsubscribe"):
            self._ws_subscription(session, str(method), msg.get("subscription"))
        elif method == "post":
            self._ws_post(session, msg)
        else:
            self._ws_error(session, f"Error parsing JSON into valid websocket request: {text}")

    def _ws_error(self, session: WsSession, text: str) -> None:
        self._counts["ws_errors_sent"] += 1
        session.offer(OutKind.CONTROL, "error", dumps({"channel": "error", "data": text}))

    def _ws_subscription(self, session: WsSession, method: str, subscription: Any) -> None:
        key = self._subscription_key(subscription)
        shown = dumps(subscription)
        if key is None:
            self._ws_error(session, f"Invalid subscription: {shown}")
            return
        ack = dumps(
            {
                "channel": "subscriptionResponse",
                "data": {"method": method, "subscription": subscription},
            }
        )
        if method == "unsubscribe":
            if key not in session.subscriptions:
                self._ws_error(session, f"Already unsubscribed: {shown}")
                return
            self._unsubscribe(session, key)
            del session.subscriptions[key]
            session.offer(OutKind.CONTROL, "subscriptionResponse", ack)
            return
        if key in session.subscriptions:
            self._ws_error(session, f"Already subscribed: {shown}")
            return
        refusal = _over_limit(session.subscriptions, key)
        if refusal is not None:
            self._ws_error(session, refusal)
            return
        session.offer(OutKind.CONTROL, "subscriptionResponse", ack)
        # The snapshot is queued and the subscription registered with no checkpoint in
        # between, so every fill is either in the snapshot or in a later live message.
        first = self._first_message(key)
        if first is not None:
            kind = OutKind.CONTROL if key[0] == "userFills" else OutKind.DATA
            session.offer(kind, key[0], first)
        session.subscriptions[key] = subscription
        self._subscribers.setdefault(key, set()).add(session)

    def _first_message(self, key: SubKey) -> str | None:
        """What a new subscription gets at once: the userFills snapshot, the current book/mids."""
        if key[0] == "userFills":
            user = key[1]
            try:
                fills = self.exchange.info({"type": "userFills", "user": user})
            except SimBadRequest:
                fills = []
            fills = list(fills)[: self.config.userfills_snapshot_size]
            return dumps(
                {"channel": "userFills", "data": {"isSnapshot": True, "user": user, "fills": fills}}
            )
        if key[0] in _SNAPSHOTS:
            request_type, field = _SNAPSHOTS[key[0]]
            try:
                history = self.exchange.info({"type": request_type, "user": key[1], "startTime": 0})
            except SimBadRequest:
                history = []
            data = {"isSnapshot": True, "user": key[1], field: history}
            return dumps({"channel": key[0], "data": data})
        if key[0] in ("l2Book", "allMids"):
            return self._market_data_text(key)
        if key[0] in _STATE_CHANNELS:
            # Not recorded as sent: the others subscribed to ``key`` may not have seen it yet.
            view = self._state_view(key)
            return None if view is None else view[1]
        return None  # orderUpdates, userEvents and trades have no snapshot (§4.3)

    def _unsubscribe(self, session: WsSession, key: SubKey) -> None:
        sessions = self._subscribers.get(key)
        if sessions is not None:
            sessions.discard(session)
            if not sessions:
                del self._subscribers[key]
                self._last_views.pop(key, None)

    def _subscription_key(self, subscription: Any) -> SubKey | None:
        """The identity of a supported, well-formed subscription; None otherwise."""
        if not isinstance(subscription, dict):
            return None
        kind = subscription.get("type")
        if kind == "allMids":
            dex = subscription.get("dex", "")
            return ("allMids", dex) if dex in self._dexes else None
        if kind in ("l2Book", "trades"):
            coin = subscription.get("coin")
            if coin not in self._coins:
                return None
            if kind == "trades":
                return ("trades", coin)
            sig_figs = subscription.get("nSigFigs")
            mantissa = subscription.get("mantissa")
            if sig_figs not in (None, 2, 3, 4, 5) or mantissa not in (None, 1, 2, 5):
                return None
            return ("l2Book", coin, sig_figs, mantissa)
        if kind in ("activeAssetCtx", "bbo"):
            coin = subscription.get("coin")
            return (kind, coin) if coin in self._coins else None
        if kind == "candle":
            coin, interval = subscription.get("coin"), subscription.get("interval")
            if coin not in self._coins or interval not in CANDLE_INTERVALS:
                return None
            return (kind, coin, interval)
        if kind == "allDexsAssetCtxs":
            return (kind,)
        if kind in _USER_CHANNELS or kind in _USER_STATE_CHANNELS:
            user = subscription.get("user")
            if not isinstance(user, str) or not _ADDRESS.fullmatch(user):
                return None
            if kind == "spotState" and subscription.get("ignorePortfolioMargin") not in (
                None,
                True,
                False,
            ):
                return None
            if kind in _BY_USER:
                return (kind, user.lower())
            if kind == "activeAssetData":
                coin = subscription.get("coin")
                return (kind, user.lower(), coin) if coin in self._coin_dex else None
            dex = subscription.get("dex", "")
            return (kind, user.lower(), dex) if dex in self._dexes else None
        return None

    def _ws_post(self, session: WsSession, msg: dict[str, Any]) -> None:
        post_id = msg.get("id")
        request = msg.get("request")
        if not isinstance(post_id, int) or isinstance(post_id, bool):
            self._ws_error(
                session, f"Error parsing JSON into valid websocket request: {dumps(msg)}"
            )
            return
        response: dict[str, Any]
        if not isinstance(request, dict) or not isinstance(request.get("payload"), dict):
            response = {
                "type": "error",
                "payload": f"422 Unprocessable Entity: bad request id={post_id}",
            }
        else:
            payload = request["payload"]
            try:
                if request.get("type") == "info":
                    data = self.exchange.info(payload)
                    info_type = payload.get("type")
                    response = {"type": "info", "payload": {"type": info_type, "data": data}}
                elif request.get("type") == "action":
                    response = {"type": "action", "payload": self.exchange.exchange(payload)}
                else:
                    response = {
                        "type": "error",
                        "payload": f"422 Unprocessable Entity: unknown request type id={post_id}",
                    }
            except SimBadRequest as exc:
                response = {"type": "error", "payload": f"422 Unprocessable Entity: {exc}"}
            except Exception:
                log.exception("simulator engine failed on a ws post")
                response = {"type": "error", "payload": "500 Internal Server Error"}
        text = dumps({"channel": "post", "data": {"id": post_id, "response": response}})
        # Only answers to actions are lost or late (as HTTP /exchange answers): that is the
        # unknown outcome clients must resolve; info answers are delivered like acks.
        is_action = isinstance(request, dict) and request.get("type") == "action"
        session.offer(OutKind.POST if is_action else OutKind.CONTROL, "post", text)


def _over_limit(current: Mapping[SubKey, Any], key: SubKey) -> str | None:
    """The venue's refusal when subscribing ``key`` would break a §5 limit, else None."""
    if len(current) >= WS_MAX_SUBSCRIPTIONS:
        return f"Cannot subscribe to more than {WS_MAX_SUBSCRIPTIONS} subscriptions."
    user_channels = _USER_CHANNELS + _USER_STATE_CHANNELS
    if key[0] in user_channels:
        users = {k[1] for k in current if k[0] in user_channels}
        if key[1] not in users and len(users) >= WS_MAX_USERS:
            return f"Cannot track more than {WS_MAX_USERS} total users."
    return None


def _refusal(fault: HttpFault) -> HttpResponse:
    if fault.status == 429:
        # The venue's 429 body is not documented (§5); plain text keeps every client's
        # error path (the official SDK parses 4xx bodies as JSON only when they are JSON).
        return HttpResponse.text(429, "429 Too Many Requests")
    return HttpResponse.text(fault.status or 500, f"{fault.status} Internal Server Error")


@asynccontextmanager
async def open_simulator(
    config: SimConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[SimServer]:
    """Run a :class:`SimServer` for the body of the ``async with``; shut down cleanly after."""
    server = SimServer(config, host=host, port=port)
    async with trio.open_nursery() as nursery:
        await nursery.start(server.serve)
        yield server
        nursery.cancel_scope.cancel()
