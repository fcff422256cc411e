"""Replay a capture through the live parsing and the PositionTracker.

Every line goes through the code the bot runs: ws frames and http bodies
(already JSON in the capture) through :func:`hip3.wire.codec.structure`, records through :mod:`hip3.wire.to_domain`, and the
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
import trio

from hip3.domain import Fill, OrderState, OrderStatus
from hip3.errors import ExchangeError, Hip3Error, ValidationError, WireError
from hip3.journal.capture import CaptureLine, MalformedLine, read_capture
from hip3.tracker import DriftEvent, TrackerState, TrackerStats
from hip3.tracker.state import DEFAULT_DEDUP_CAPACITY
from hip3.types import Cloid, Side
from hip3.universe import Universe
from hip3.wire import models as m
from hip3.wire import to_domain
from hip3.wire.codec import structure

__all__ = ["REPLAYED_CHANNELS", "ReplayResult", "replay", "replay_async", "replay_sync"]

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
    def __init__(self, state: TrackerState) -> None:
        self.state = state
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

    def line(self, line: CaptureLine) -> None:
        msg = line.msg
        if line.via == "ws":
            if line.dir == "in":
                self.ws_in(msg)
            elif isinstance(msg, dict) and msg.get("method") == "post":
                request = msg.get("request")
                post_id = msg.get("id")
                if isinstance(request, dict) and isinstance(post_id, int):
                    self.request_out(
                        self.ws_posts, post_id, request.get("type"), request.get("payload")
                    )
            return
        if line.id is None:
            self._malformed("http line without id", ValueError("missing id"))
            return
        if line.dir == "out":
            kind = "action" if line.path == "/exchange" else "info"
            self.request_out(self.http_requests, line.id, kind, msg)
        else:
            request = self.http_requests.pop(line.id, None)
            if request is not None:
                self.answer(request, msg, error=None)

    def request_out(
        self, table: dict[int, _Request], request_id: int, kind: Any, body: Any
    ) -> None:
        if not isinstance(body, dict) or kind not in ("info", "action"):
            self._malformed("request", ValueError(f"unexpected request {kind!r}"))
            return
        request = _Request(kind, body)
        table[request_id] = request
        if kind == "action":
            self.action_sent(request)

    def action_sent(self, request: _Request) -> None:
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
            request.orders.append(self.order_sent(wire))

    def order_sent(self, wire: Any) -> _SentOrder:
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
        self.state.order_sent(
            cloid,
            coin,
            side,
            px,
            sz,
            reduce_only=bool(wire.get("r")),
            tif=tif if isinstance(tif, str) else None,
        )
        return _SentOrder(cloid, coin)

    def ws_in(self, msg: Any) -> None:
        """A ws frame as journaled (already JSON): routed by channel, no second parse.

        Only the channels the tracker uses are decoded; market data and acks were
        skipped before their line was even parsed (see :data:`REPLAYED_CHANNELS`).
        """
        if not isinstance(msg, dict):
            return  # plain text ("Websocket connection established.")
        channel = msg.get("channel")
        data = msg.get("data")
        try:
            if channel == "userFills":
                if not isinstance(data, dict):
                    raise WireError("expected an object", kind="userFills", field="data")
                fills = self._fills(data.get("fills"), "userFills")
                self.state.apply_fills(fills, is_snapshot=bool(data.get("isSnapshot")))
            elif channel == "orderUpdates":
                for update in to_domain.order_updates_from_json(data):
                    self.state.order_update(update)
            elif channel == "user":
                if isinstance(data, dict) and data.get("fills"):
                    self.state.apply_fills(self._fills(data["fills"], "user"))
            elif channel == "post":
                post: m.WsPost = structure(data, m.WsPost, kind="post")
                request = self.ws_posts.pop(post.id, None)
                if request is not None:
                    self.ws_post_answer(request, post.response)
        except WireError as exc:
            self._malformed("ws message", exc)

    def _fills(self, data: Any, kind: str) -> list[Fill]:
        """A batch's good fills; each refused element is counted, not the batch."""
        decoded = to_domain.decode_fills(data, kind=kind)
        if decoded.skipped:
            self.malformed_messages += decoded.skipped
            if self.malformed_messages <= 5:
                log.warning("replay: %d fill(s) skipped: %s", decoded.skipped, decoded.first_error)
        return decoded.fills

    def ws_post_answer(self, request: _Request, response: m.WsPostResponse) -> None:
        if response.type == "error":
            self.answer(request, None, error=str(response.payload))
        elif isinstance(response.payload, m.WsPostInfoPayload):
            self.answer(request, response.payload.data, error=None)
        elif isinstance(response.payload, m.ExchangeResponse):
            self.action_answer(request, response.payload)

    def answer(self, request: _Request, data: Any, *, error: str | None) -> None:
        if request.kind == "action":
            if error is not None:
                # A post the venue may or may not have executed.
                for order in request.orders:
                    if order.cloid is not None and order.coin is not None:
                        self.state.order_outcome_unknown(order.cloid)
                return
            try:
                response: m.ExchangeResponse = structure(data, m.ExchangeResponse, kind="exchange")
            except WireError as exc:
                self._malformed("exchange answer", exc)
                return
            self.action_answer(request, response)
            return
        if error is not None:
            return
        try:
            self.info_answer(request.body, data)
        except (WireError, ValidationError) as exc:
            self._malformed(f"info answer {request.body.get('type')!r}", exc)

    def info_answer(self, body: Mapping[str, Any], data: Any) -> None:
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
            snapshot = to_domain.account_snapshot_from_json(str(body.get("dex") or ""), data)
            self.state.adopt_snapshot(snapshot)
        elif kind == "orderStatus":
            update = to_domain.order_status_to_update(
                structure(data, m.OrderStatusResponse, kind="orderStatus")
            )
            if update is not None:
                self.state.order_update(update)
        elif kind in ("userFills", "userFillsByTime"):
            self.state.apply_fills(self._fills(data, str(kind)), is_snapshot=True)

    def action_answer(self, request: _Request, response: m.ExchangeResponse) -> None:
        action = request.body.get("action")
        kind = action.get("type") if isinstance(action, dict) else None
        if kind in _CANCEL_ACTIONS:
            self.cancel_answer(action, response)  # type: ignore[arg-type]
            return
        if kind not in _ORDER_ACTIONS:
            return
        orders = request.orders
        try:
            results: Sequence[to_domain.OrderResult] = to_domain.order_results(response)
        except ExchangeError as exc:
            for order in orders:
                if order.cloid is not None and order.coin is not None:
                    self.state.order_rejected(order.cloid, str(exc))
            return
        except WireError as exc:
            self._malformed("order answer", exc)
            return
        if len(results) == 1 and len(orders) > 1 and isinstance(results[0], to_domain.Rejected):
            # One error for a whole batch (hyperliquid-api.md §2.2).
            results = list(results) * len(orders)
        for order, result in zip(orders, results, strict=False):
            if order.cloid is None or order.coin is None:
                continue
            if isinstance(result, to_domain.Resting):
                self.state.order_resting(order.cloid, result.oid)
            elif isinstance(result, to_domain.Filled):
                self.state.order_filled(order.cloid, result.oid, result.total_sz)
            elif isinstance(result, to_domain.Rejected):
                self.state.order_rejected(order.cloid, result.error)

    def cancel_answer(self, action: Mapping[str, Any], response: m.ExchangeResponse) -> None:
        try:
            results = to_domain.cancel_results(response)
        except (ExchangeError, WireError):
            return
        for target, result in zip(action.get("cancels") or [], results, strict=False):
            if not isinstance(result, to_domain.CancelSuccess) or not isinstance(target, dict):
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
            self.state.order_cancelled(cloid, oid if isinstance(oid, int) else None, "cancelled")

    def finish(self) -> int:
        """Requests never answered: their orders may have executed."""
        unanswered = 0
        for table in (self.http_requests, self.ws_posts):
            for request in table.values():
                unanswered += 1
                for order in request.orders:
                    if order.cloid is None or order.coin is None:
                        continue
                    # Resolved meanwhile (orderStatus, orderUpdates, fills)? Then known.
                    state = self.state.order(cloid=order.cloid)
                    if state is not None and state.status is OrderStatus.PENDING:
                        self.state.order_outcome_unknown(order.cloid)
            table.clear()
        return unanswered


#: how often (in capture lines) a replay reports its progress
PROGRESS_EVERY_LINES = 5000


#: The ws channels replay uses; a line of any other channel (l2Book, trades, acks...:
#: most of a journal's bytes) is skipped before it is parsed.
REPLAYED_CHANNELS = frozenset({"userFills", "orderUpdates", "user", "post"})


def replay_sync(
    path: str | os.PathLike[str],
    *,
    dedup_capacity: int = DEFAULT_DEDUP_CAPACITY,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayResult:
    """Replay ``path`` through a fresh :class:`~hip3.tracker.TrackerState`, synchronously.

    The tracker's rules are the actor's (the actor is a thin loop around this state), so
    replay drives the state directly: no channel, no task switch per message.
    ``progress(bytes_read, total_bytes)`` is called every :data:`PROGRESS_EVERY_LINES`
    lines and once at the end.
    """
    total_bytes = os.stat(path).st_size  # an unreadable file raises OSError here
    reader = read_capture(
        path,
        keep_channels=REPLAYED_CHANNELS,
        progress=None if progress is None else (lambda done: progress(done, total_bytes)),
        progress_every_lines=PROGRESS_EVERY_LINES,
    )
    state = TrackerState(dedup_capacity=dedup_capacity)
    replayer = _Replayer(state)
    lines = 0
    line_handler = replayer.line
    for line in reader:
        lines += 1
        line_handler(line)
    if progress is not None:
        progress(reader.bytes_read, total_bytes)
    unanswered = replayer.finish()
    return ReplayResult(
        positions=state.positions(),
        open_orders=state.open_orders(),
        drift_events=state.drift_events(),
        stats=state.stats(),
        lines=lines + reader.skipped,
        malformed_lines=reader.malformed,
        malformed_messages=replayer.malformed_messages,
        unanswered_requests=unanswered,
        unmapped_orders=replayer.unmapped_orders,
        malformed_samples=tuple(reader.malformed_samples),
    )


async def replay_async(
    path: str | os.PathLike[str],
    *,
    dedup_capacity: int = DEFAULT_DEDUP_CAPACITY,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayResult:
    """:func:`replay_sync` in a worker thread, so a long capture never blocks the trio
    loop it is awaited in (``progress`` is then called from that thread)."""
    return await trio.to_thread.run_sync(
        lambda: replay_sync(path, dedup_capacity=dedup_capacity, progress=progress)
    )


def replay(
    path: str | os.PathLike[str],
    *,
    dedup_capacity: int = DEFAULT_DEDUP_CAPACITY,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayResult:
    """Replay a capture file and return what the tracker ends with."""
    return replay_sync(path, dedup_capacity=dedup_capacity, progress=progress)
