"""Structured order events: one log record per order state change, for JSON logs.

Each record goes to the ``hip3.orders`` logger at info with the event's fields in
``record.hip3_event`` (a flat dict of JSON-ready values); the CLI's JSON log format
(``[log] format = "json"``) merges them into the line, the text format shows the message.

Two sources, one logger:

* the end of every intent (``kind`` place / modify / cancel / cancel_all: resting,
  filled, cancelled, rejected), from the executor's outcomes;
* what later happens to an order the bot left resting, from the feeds
  (:class:`OrderEvents`): each fill of it (``kind: "fill"``, ``status``
  ``partiallyFilled`` or ``filled``, with the fill's ``px``/``sz``, the order's
  ``filled_sz``, ``orig_sz`` and ``remaining_sz``), and its end by the venue
  (``kind: "update"``: cancelled or rejected, e.g. the dead-man's switch firing, with
  the venue's ``venue_status``).

A fill is counted once per trade id (a duplicate or replayed delivery adds nothing). A
fill can reach the bot before the post answer saying the order rests; such fills wait
(bounded) and are told right after the resting event.
"""

from __future__ import annotations

import enum
import logging
from collections import OrderedDict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from hip3 import tracing
from hip3.domain import Fill, OrderStatus, OrderUpdate
from hip3.executor.intents import Cancel, Modify, Outcome, OutcomeStatus, PlaceOrder

__all__ = ["EVENT_ATTR", "OrderEvents", "log_outcome", "outcome_event"]

log = logging.getLogger("hip3.orders")

#: The LogRecord attribute carrying the event's fields.
EVENT_ATTR = "hip3_event"

#: (event key, intent attribute)
_INTENT_FIELDS = (("coin", "coin"), ("side", "side"), ("px", "limit_px"), ("sz", "sz"),
                  ("tif", "tif"), ("reduce_only", "reduce_only"), ("cloid", "cloid"),
                  ("oid", "oid"), ("new_cloid", "new_cloid"))  # fmt: skip


def outcome_event(outcome: Outcome) -> dict[str, Any]:
    """The fields of one ended intent: what was asked and how it ended."""
    intent = outcome.intent
    event: dict[str, Any] = {"event": "order", "kind": intent.kind,
                             "status": outcome.status.value}  # fmt: skip
    for key, name in _INTENT_FIELDS:
        value = getattr(intent, name, None)
        if value is not None:
            event[key] = _plain(value)
    if outcome.oid is not None:
        event["oid"] = outcome.oid
    if outcome.filled_sz:
        event["filled_sz"] = str(outcome.filled_sz)
    if outcome.avg_px is not None:
        event["avg_px"] = str(outcome.avg_px)
    if outcome.reason:
        event["reason"] = outcome.reason
    if outcome.gate:
        event["gate"] = outcome.gate
    return event


def log_outcome(outcome: Outcome) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    event = outcome_event(outcome)
    log.info(
        "%s %s %s", event["kind"], event.get("coin", ""), event["status"],
        extra={EVENT_ATTR: event},
    )  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, bool | int):
        return value
    if isinstance(value, enum.Enum):
        return value.value if isinstance(value.value, str | int) else str(value.value)
    return str(value)


def _text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


@attrs.define(slots=True)
class _Resting:
    coin: str
    side: str
    oid: int
    cloid: str | None
    orig_sz: Decimal
    filled_sz: Decimal = Decimal(0)
    tids: set[Any] = attrs.field(factory=set)


class OrderEvents:
    """One bot's order events: intents' ends, then fills and venue ends of resting orders.

    Call :meth:`outcome` for every intent's end, :meth:`fills` with the fills the feeds
    deliver (not subscription snapshots) and :meth:`order_update` with order updates.
    Memory is bounded: at most ``capacity`` resting orders are followed (the oldest is
    forgotten first) and fills waiting for their order's post answer are kept for at
    most ``early_capacity`` orders.
    """

    def __init__(self, *, capacity: int = 10_000, early_capacity: int = 1_000) -> None:
        self._capacity = capacity
        self._early_capacity = early_capacity
        self._resting: OrderedDict[int, _Resting] = OrderedDict()
        self._by_cloid: dict[str, int] = {}
        self._early: OrderedDict[int, list[Fill]] = OrderedDict()

    @property
    def following(self) -> int:
        """How many resting orders are followed now."""
        return len(self._resting)

    def outcome(self, outcome: Outcome) -> None:
        log_outcome(outcome)
        intent = outcome.intent
        if isinstance(intent, Cancel):
            if outcome.status is OutcomeStatus.CANCELLED:
                self._forget(intent.oid, intent.cloid.hex if intent.cloid else None)
            return
        if isinstance(intent, Modify) and outcome.status is not OutcomeStatus.REJECTED:
            self._forget(intent.oid, intent.cloid.hex if intent.cloid else None)
        if outcome.status is not OutcomeStatus.RESTING or outcome.oid is None:
            if outcome.oid is not None:
                self._early.pop(outcome.oid, None)  # its fills were told with the outcome
            return
        if not isinstance(intent, PlaceOrder | Modify):
            return
        cloid = intent.cloid if isinstance(intent, PlaceOrder) else intent.new_cloid
        order = _Resting(
            coin=intent.coin,
            side=_plain(intent.side),
            oid=outcome.oid,
            cloid=cloid.hex if cloid is not None else None,
            orig_sz=intent.sz,
        )
        self._resting[order.oid] = order
        if order.cloid is not None:
            self._by_cloid[order.cloid] = order.oid
        while len(self._resting) > self._capacity:
            _, old = self._resting.popitem(last=False)
            self._by_cloid.pop(old.cloid or "", None)
        for fill in self._early.pop(order.oid, ()):
            self._fill(order, fill)

    def fills(self, fills: Iterable[Fill]) -> None:
        for fill in fills:
            order = self._resting.get(fill.oid)
            if order is not None:
                self._fill(order, fill)
                continue
            # Maybe the fill of an order whose post answer is still on its way.
            early = self._early.setdefault(fill.oid, [])
            early.append(fill)
            self._early.move_to_end(fill.oid)
            while len(self._early) > self._early_capacity:
                self._early.popitem(last=False)

    def order_update(self, update: OrderUpdate) -> None:
        order = self._resting.get(update.oid)
        if order is None:
            return
        status = update.order_status
        if status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
            self._forget(order.oid, None)
            event = self._base(order, "update", status.value)
            event["venue_status"] = update.status
            _log(event)
        # open/filled updates add nothing: the fills themselves tell those changes.

    def _fill(self, order: _Resting, fill: Fill) -> None:
        identity = fill.tid if fill.tid is not None else (fill.hash, fill.time_ms, fill.px)
        if identity in order.tids:
            return  # a duplicate delivery of a trade already told
        order.tids.add(identity)
        order.filled_sz += fill.sz
        done = order.filled_sz >= order.orig_sz
        status = OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED
        event = self._base(order, "fill", status.value)
        event["px"] = str(fill.px)
        event["sz"] = str(fill.sz)
        event["remaining_sz"] = _text(max(order.orig_sz - order.filled_sz, Decimal(0)))
        if fill.tid is not None:
            event["tid"] = fill.tid
        event["time_ms"] = fill.time_ms
        event["crossed"] = fill.crossed
        tracing.fill_span(
            order.cloid,
            {key: event.get(key) for key in ("coin", "oid", "px", "sz", "tid", "status",
                                            "filled_sz", "remaining_sz")},
        )  # fmt: skip
        if done:
            self._forget(order.oid, None)
        _log(event)

    def _base(self, order: _Resting, kind: str, status: str) -> dict[str, Any]:
        event: dict[str, Any] = {"event": "order", "kind": kind, "status": status,
                                 "coin": order.coin, "side": order.side, "oid": order.oid}  # fmt: skip
        if order.cloid is not None:
            event["cloid"] = order.cloid
        event["filled_sz"] = _text(order.filled_sz)
        event["orig_sz"] = _text(order.orig_sz)
        return event

    def _forget(self, oid: int | None, cloid: str | None) -> None:
        if oid is None and cloid is not None:
            oid = self._by_cloid.get(cloid)
        if oid is None:
            return
        order = self._resting.pop(oid, None)
        if order is not None and order.cloid is not None:
            self._by_cloid.pop(order.cloid, None)
            tracing.forget(order.cloid)


def _log(event: dict[str, Any]) -> None:
    if log.isEnabledFor(logging.INFO):
        log.info(
            "%s %s %s", event["kind"], event.get("coin", ""), event["status"],
            extra={EVENT_ATTR: event},
        )  # fmt: skip
