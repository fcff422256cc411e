"""Replay a capture through the live parsing and the PositionTracker.

Every line goes through the code the bot runs: ws frames through
:func:`hip3.wire.ws.parse_ws_message`, http bodies through
:mod:`hip3.wire.converter`, records through :mod:`hip3.wire.convert`, and the
results into a :class:`~hip3.tracker.PositionTracker` by the same handle
methods the bot's feeds and executor use:

* ``userFills`` (and ``user`` events' fills) → ``fills(batch, is_snapshot=...)``;
  a ``userFills`` info answer is a history snapshot;
* ``orderUpdates`` and ``orderStatus`` answers → ``order_update``;
* an ``order`` / ``modify`` / ``batchModify`` action sent (http ``/exchange`` or
  ws ``post``) → ``order_sent`` for each order with a cloid, its asset id
  mapped to a coin by the ``perpDexs`` and ``meta`` answers captured at
  start-up (:class:`hip3.universe.Universe`); the paired answer → ``order_resting``,
  ``order_filled`` (provisional), ``order_rejected``; a ws post error or a
  request that never got an answer → ``order_outcome_unknown``;
* a successful ``cancel`` / ``cancelByCloid`` → ``order_cancelled``;
* a ``clearinghouseState`` answer → ``snapshot`` (adopted or deferred by the
  tracker's own rules).

Lines that are not JSON or not in the capture format, and messages the wire
layer refuses, are counted, never fatal.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import orjson
import trio

from hip3.domain import OrderState, OrderStatus
from hip3.errors import ExchangeError, Hip3Error, ValidationError, WireError
from hip3.journal.capture import CaptureLine, MalformedLine, read_capture
from hip3.tracker import DriftEvent, PositionTracker, TrackerHandle, TrackerStats
from hip3.tracker.state import DEFAULT_DEDUP_CAPACITY
from hip3.types import Cloid, Side
from hip3.universe import Universe
from hip3.wire import convert
from hip3.wire import models as m
from hip3.wire.converter import structure
from hip3.wire.ws import parse_ws_message

__all__ = ["ReplayResult", "replay", "replay_async"]

log = logging.getLogger(__name__)

_ORDER_ACTIONS = ("order", "modify", "batchModify")
_CANCEL_ACTIONS = ("cancel", "cancelByCloid")


@attrs.frozen
class ReplayResult:
    """What the tracker ended with after a capture, plus what replay could not use."""

    positions: dict[str, Decimal]
    open_orders: list[OrderState]
    drift_events: list[DriftEvent]
    stats: TrackerStats
    lines: int
    malformed_lines: int
    malformed_messages: int
    unanswered_requests: int
    unmapped_orders: int
    malformed_samples: tuple[MalformedLine, ...] = ()

    @property
    def duplicates_dropped(self) -> int:
        return self.stats.duplicates_dropped

    @property
    def deferrals(self) -> int:
        return self.stats.snapshots_deferred

    def to_json(self) -> dict[str, Any]:
        """The ``hip3 replay --json`` object (decimals as strings, flat positions left out)."""
        stats = self.stats
        return {
            "positions": {coin: _text(sz) for coin, sz in sorted(self.positions.items())},
            "open_orders": [_order_json(order) for order in self.open_orders],
            "drift_events": stats.drift_events,
            "drift": [_drift_json(event) for event in self.drift_events if not event.baseline],
            "duplicates_dropped": stats.duplicates_dropped,
            "covered_by_snapshot": stats.covered_by_snapshot,
            "deferrals": stats.snapshots_deferred,
            "snapshots_adopted": stats.snapshots_adopted,
            "baseline_adjustments": stats.baseline_adjustments,
            "fills_received": stats.fills_received,
            "fills_applied": stats.fills_applied,
            "fills_without_tid": stats.fills_without_tid,
            "provisional_fills": stats.provisional_fills,
            "overfills": stats.overfills,
            "lines": self.lines,
            "malformed_lines": self.malformed_lines,
            "malformed_messages": self.malformed_messages,
            "unanswered_requests": self.unanswered_requests,
            "unmapped_orders": self.unmapped_orders,
        }


def _text(value: Decimal) -> str:
    """A decimal as the venue would write it: no exponent, no needless zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _order_json(order: OrderState) -> dict[str, Any]:
    return {
        "coin": order.coin,
        "side": order.side.value,
        "limit_px": _text(order.limit_px),
        "orig_sz": _text(order.orig_sz),
        "filled_sz": _text(order.filled_sz),
        "status": order.status.value,
        "oid": order.oid,
        "cloid": order.cloid.hex if order.cloid is not None else None,
    }


def _drift_json(event: DriftEvent) -> dict[str, Any]:
    return {
        "coin": event.coin,
        "local": _text(event.local),
        "exchange": _text(event.exchange),
        "delta": _text(event.delta),
        "time_ms": event.time_ms,
        "cause": event.cause,
    }


@attrs.define
class _SentOrder:
    cloid: Cloid | None
    coin: str | None


@attrs.define
class _Request:
    """An out line waiting for its answer: what it asked and, for actions, its orders."""

    kind: str  # "info" | "action"
    body: Mapping[str, Any]
    orders: list[_SentOrder] = attrs.field(factory=list)


class _Replayer:
    def __init__(self, handle: TrackerHandle) -> None:
        self.handle = handle
        self.perp_dexs: Any = None
        self.metas: dict[str, Any] = {}
        self._universe: Universe | None = None
        self.http_requests: dict[int, _Request] = {}
        self.ws_posts: dict[int, _Request] = {}
        self.malformed_messages = 0
        self.unmapped_orders = 0

    # -- universe -------------------------------------------------------------

    def universe(self) -> Universe | None:
        if self._universe is None and self.metas:
            try:
                self._universe = Universe.from_meta(self.perp_dexs, self.metas)
            except (Hip3Error, ValueError) as exc:
                self._malformed("perpDexs/meta", exc)
        return self._universe

    def _coin(self, asset: Any) -> str | None:
        universe = self.universe()
        if universe is None or not isinstance(asset, int):
            return None
        try:
            return str(universe.coin(asset))
        except (ValidationError, KeyError):
            return None

    def _malformed(self, what: str, exc: Exception) -> None:
        self.malformed_messages += 1
        if self.malformed_messages <= 5:
            log.warning("replay: unusable %s: %s", what, exc)

    # -- lines ----------------------------------------------------------------

    async def line(self, line: CaptureLine) -> None:
        msg = line.msg
        if line.via == "ws":
            if line.dir == "in":
                await self.ws_in(msg)
            elif isinstance(msg, dict) and msg.get("method") == "post":
                request = msg.get("request")
                post_id = msg.get("id")
                if isinstance(request, dict) and isinstance(post_id, int):
                    await self.request_out(
                        self.ws_posts, post_id, request.get("type"), request.get("payload")
                    )
            return
        if line.id is None:
            self._malformed("http line without id", ValueError("missing id"))
            return
        if line.dir == "out":
            kind = "action" if line.path == "/exchange" else "info"
            await self.request_out(self.http_requests, line.id, kind, msg)
        else:
            request = self.http_requests.pop(line.id, None)
            if request is not None:
                await self.answer(request, msg, error=None)

    async def request_out(
        self, table: dict[int, _Request], request_id: int, kind: Any, body: Any
    ) -> None:
        if not isinstance(body, dict) or kind not in ("info", "action"):
            self._malformed("request", ValueError(f"unexpected request {kind!r}"))
            return
        request = _Request(kind, body)
        table[request_id] = request
        if kind == "action":
            await self.action_sent(request)

    async def action_sent(self, request: _Request) -> None:
        action = request.body.get("action")
        if not isinstance(action, dict):
            return
        kind = action.get("type")
        wires: list[Any] = []
        if kind == "order":
            wires = list(action.get("orders") or [])
        elif kind == "modify":
            wires = [action.get("order")]
        elif kind == "batchModify":
            wires = [
                entry.get("order")
                for entry in action.get("modifies") or []
                if isinstance(entry, dict)
            ]
        for wire in wires:
            request.orders.append(await self.order_sent(wire))

    async def order_sent(self, wire: Any) -> _SentOrder:
        if not isinstance(wire, dict):
            self.unmapped_orders += 1
            return _SentOrder(None, None)
        coin = self._coin(wire.get("a"))
        cloid: Cloid | None = None
        try:
            if isinstance(wire.get("c"), str):
                cloid = Cloid.from_str(wire["c"])
            px = Decimal(str(wire["p"]))
            sz = Decimal(str(wire["s"]))
            side = Side.from_is_buy(bool(wire["b"]))
        except (KeyError, ArithmeticError, ValueError, Hip3Error) as exc:
            self._malformed("order in an action", exc)
            self.unmapped_orders += 1
            return _SentOrder(None, None)
        if coin is None or cloid is None:
            # No coin (meta not captured) or no cloid: its fills still count via
            # userFills; only its provisional fill and lifecycle are lost.
            self.unmapped_orders += 1
            return _SentOrder(cloid, coin)
        order_type = wire.get("t")
        tif = None
        if isinstance(order_type, dict) and isinstance(order_type.get("limit"), dict):
            tif = order_type["limit"].get("tif")
        await self.handle.order_sent(
            cloid,
            coin,
            side,
            px,
            sz,
            reduce_only=bool(wire.get("r")),
            tif=tif if isinstance(tif, str) else None,
        )
        return _SentOrder(cloid, coin)

    async def ws_in(self, msg: Any) -> None:
        try:
            message = parse_ws_message(orjson.dumps(msg) if not isinstance(msg, str) else msg)
        except (WireError, TypeError) as exc:
            self._malformed("ws message", exc)
            return
        try:
            if isinstance(message, m.WsUserFills):
                fills = convert.fills_to_domain(message.fills)
                await self.handle.fills(fills, is_snapshot=bool(message.is_snapshot))
            elif isinstance(message, m.WsOrderUpdates):
                for update in message.orders:
                    await self.handle.order_update(convert.order_update_to_domain(update))
            elif isinstance(message, m.WsUserEvents):
                if message.fills:
                    await self.handle.fills(convert.fills_to_domain(message.fills))
            elif isinstance(message, m.WsPost):
                request = self.ws_posts.pop(message.id, None)
                if request is not None:
                    await self.ws_post_answer(request, message.response)
        except WireError as exc:
            self._malformed("ws message", exc)

    async def ws_post_answer(self, request: _Request, response: m.WsPostResponse) -> None:
        if response.type == "error":
            await self.answer(request, None, error=str(response.payload))
        elif isinstance(response.payload, m.WsPostInfoPayload):
            await self.answer(request, response.payload.data, error=None)
        elif isinstance(response.payload, m.ExchangeResponse):
            await self.action_answer(request, response.payload)

    async def answer(self, request: _Request, data: Any, *, error: str | None) -> None:
        if request.kind == "action":
            if error is not None:
                # A post the venue may or may not have executed.
                for order in request.orders:
                    if order.cloid is not None and order.coin is not None:
                        await self.handle.order_outcome_unknown(order.cloid)
                return
            try:
                response: m.ExchangeResponse = structure(data, m.ExchangeResponse, kind="exchange")
            except WireError as exc:
                self._malformed("exchange answer", exc)
                return
            await self.action_answer(request, response)
            return
        if error is not None:
            return
        try:
            await self.info_answer(request.body, data)
        except (WireError, ValidationError) as exc:
            self._malformed(f"info answer {request.body.get('type')!r}", exc)

    async def info_answer(self, body: Mapping[str, Any], data: Any) -> None:
        kind = body.get("type")
        if kind == "perpDexs":
            self.perp_dexs = data
            self._universe = None
        elif kind == "meta":
            dex = body.get("dex") or ""
            self.metas[str(dex)] = data
            self._universe = None
        elif kind == "metaAndAssetCtxs" and isinstance(data, list) and data:
            self.metas[str(body.get("dex") or "")] = data[0]
            self._universe = None
        elif kind == "clearinghouseState":
            snapshot = convert.account_snapshot_from_json(str(body.get("dex") or ""), data)
            await self.handle.snapshot(snapshot)
        elif kind == "orderStatus":
            update = convert.order_status_to_update(
                structure(data, m.OrderStatusResponse, kind="orderStatus")
            )
            if update is not None:
                await self.handle.order_update(update)
        elif kind in ("userFills", "userFillsByTime"):
            await self.handle.fills(convert.fills_from_json(data), is_snapshot=True)

    async def action_answer(self, request: _Request, response: m.ExchangeResponse) -> None:
        action = request.body.get("action")
        kind = action.get("type") if isinstance(action, dict) else None
        if kind in _CANCEL_ACTIONS:
            await self.cancel_answer(action, response)  # type: ignore[arg-type]
            return
        if kind not in _ORDER_ACTIONS:
            return
        orders = request.orders
        try:
            results: Sequence[convert.OrderResult] = convert.order_results(response)
        except ExchangeError as exc:
            for order in orders:
                if order.cloid is not None and order.coin is not None:
                    await self.handle.order_rejected(order.cloid, str(exc))
            return
        except WireError as exc:
            self._malformed("order answer", exc)
            return
        if len(results) == 1 and len(orders) > 1 and isinstance(results[0], convert.Rejected):
            # One error for a whole batch (hyperliquid-api.md §2.2).
            results = list(results) * len(orders)
        for order, result in zip(orders, results, strict=False):
            if order.cloid is None or order.coin is None:
                continue
            if isinstance(result, convert.Resting):
                await self.handle.order_resting(order.cloid, result.oid)
            elif isinstance(result, convert.Filled):
                await self.handle.order_filled(
                    order.cloid, result.oid, result.total_sz, result.avg_px
                )
            elif isinstance(result, convert.Rejected):
                await self.handle.order_rejected(order.cloid, result.error)

    async def cancel_answer(self, action: Mapping[str, Any], response: m.ExchangeResponse) -> None:
        try:
            results = convert.cancel_results(response)
        except (ExchangeError, WireError):
            return
        for target, result in zip(action.get("cancels") or [], results, strict=False):
            if not isinstance(result, convert.CancelSuccess) or not isinstance(target, dict):
                continue
            cloid = None
            if isinstance(target.get("cloid"), str):
                try:
                    cloid = Cloid.from_str(target["cloid"])
                except (ValueError, Hip3Error):
                    cloid = None
            oid = target.get("o")
            if cloid is None and not isinstance(oid, int):
                continue
            await self.handle.order_cancelled(
                cloid, oid if isinstance(oid, int) else None, "cancelled"
            )

    async def finish(self) -> int:
        """Requests never answered: their orders may have executed."""
        unanswered = 0
        for table in (self.http_requests, self.ws_posts):
            for request in table.values():
                unanswered += 1
                for order in request.orders:
                    if order.cloid is None or order.coin is None:
                        continue
                    # Resolved meanwhile (orderStatus, orderUpdates, fills)? Then known.
                    state = await self.handle.order(order.cloid)
                    if state is not None and state.status is OrderStatus.PENDING:
                        await self.handle.order_outcome_unknown(order.cloid)
            table.clear()
        return unanswered


#: how often (in capture lines) a replay reports its progress
PROGRESS_EVERY_LINES = 5000


async def replay_async(
    path: str | os.PathLike[str],
    *,
    dedup_capacity: int = DEFAULT_DEDUP_CAPACITY,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayResult:
    """Replay ``path`` through a fresh tracker (inside a running trio loop).

    ``progress(bytes_read, total_bytes)`` is called every :data:`PROGRESS_EVERY_LINES`
    lines and once at the end, for a progress bar over long captures.
    """
    reader = read_capture(path)
    # An unreadable file raises OSError here, not from inside the nursery.
    await (await trio.open_file(path, "rb")).aclose()
    total_bytes = (await trio.Path(path).stat()).st_size
    tracker = PositionTracker(dedup_capacity=dedup_capacity)
    async with trio.open_nursery() as nursery:
        handle: TrackerHandle = await nursery.start(tracker.run)
        async with handle:
            replayer = _Replayer(handle)
            lines = 0
            for line in reader:
                lines += 1
                await replayer.line(line)
                if progress is not None and lines % PROGRESS_EVERY_LINES == 0:
                    progress(reader.bytes_read, total_bytes)
            if progress is not None:
                progress(reader.bytes_read, total_bytes)
            unanswered = await replayer.finish()
            positions = await handle.positions()
            open_orders = await handle.open_orders()
            drift = await handle.drift_events()
            stats = await handle.stats()
    return ReplayResult(
        positions=positions,
        open_orders=open_orders,
        drift_events=drift,
        stats=stats,
        lines=lines,
        malformed_lines=reader.malformed,
        malformed_messages=replayer.malformed_messages,
        unanswered_requests=unanswered,
        unmapped_orders=replayer.unmapped_orders,
        malformed_samples=tuple(reader.malformed_samples),
    )


def replay(
    path: str | os.PathLike[str],
    *,
    dedup_capacity: int = DEFAULT_DEDUP_CAPACITY,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayResult:
    """Replay a capture file and return what the tracker ends with (runs its own trio loop)."""
    return trio.run(lambda: replay_async(path, dedup_capacity=dedup_capacity, progress=progress))
