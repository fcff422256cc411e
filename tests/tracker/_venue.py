"""A toy venue for tracker tests: the account's truth, and what a bot would be told.

:class:`Venue` keeps the exchange's side (orders, trades with tids, positions)
and produces wire JSON exactly as Hyperliquid spells it. :class:`Driver` turns
venue activity into *events* a bot would see, queues them, and lets a test
(or hypothesis) deliver them in a hostile order: answers before or after
their fills, fills split and reordered, duplicated, replayed on reconnect,
snapshots taken at one time and delivered later.

Events are delivered to a sink: :class:`StateSink` feeds a ``TrackerState``
the way the bot's feeds and executor do; :class:`CaptureSink` writes the
design.md capture lines the bot would have recorded, for ``hip3 replay``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

import attrs

from hip3.journal import CaptureWriter
from hip3.tracker import TrackerState
from hip3.types import Cloid, Side, wire_decimal
from hip3.wire import models as m
from hip3.wire import to_domain
from hip3.wire.codec import structure

USER = "0x0000000000000000000000000000000000000001"
PX = Decimal(100)
COINS = ("BTC", "ETH", "xyz:TSLA")
ASSETS = {"BTC": 0, "ETH": 1, "xyz:TSLA": 110000}
PERP_DEXS: list[Any] = [
    None,
    {
        "name": "xyz",
        "fullName": "xyz dex",
        "deployer": "0x0000000000000000000000000000000000000002",
        "oracleUpdater": None,
        "feeRecipient": None,
        "assetToStreamingOiCap": [],
        "assetToFundingMultiplier": [],
    },
]
METAS: dict[str, Any] = {
    "": {
        "universe": [
            {"name": "BTC", "szDecimals": 5, "maxLeverage": 50},
            {"name": "ETH", "szDecimals": 4, "maxLeverage": 25},
        ]
    },
    "xyz": {"universe": [{"name": "xyz:TSLA", "szDecimals": 3, "maxLeverage": 10}]},
}


def _dex(coin: str) -> str:
    return coin.split(":")[0] if ":" in coin else ""


@attrs.define
class VenueOrder:
    cloid: Cloid | None
    oid: int
    coin: str
    side: Side
    sz: Decimal
    tif: str
    filled: Decimal = Decimal(0)
    status: str = "open"
    timestamp_ms: int = 0

    @property
    def remaining(self) -> Decimal:
        return self.sz - self.filled


class Venue:
    """The exchange's truth for one account."""

    def __init__(self) -> None:
        self.now_ms = 1_700_000_000_000
        self._tids = itertools.count(10_000)
        self._oids = itertools.count(1)
        self.truth: dict[str, Decimal] = {}
        self.trades: list[dict[str, Any]] = []
        self.orders: dict[int, VenueOrder] = {}

    def tick(self, ms: int = 1) -> int:
        self.now_ms += ms
        return self.now_ms

    def position(self, coin: str) -> Decimal:
        return self.truth.get(coin, Decimal(0))

    def positions(self) -> dict[str, Decimal]:
        return {c: sz for c, sz in self.truth.items() if sz}

    def trade(
        self,
        coin: str,
        side: Side,
        sz: Decimal,
        *,
        oid: int,
        cloid: Cloid | None,
        crossed: bool,
        liquidation: bool = False,
        same_time: bool = False,
    ) -> dict[str, Any]:
        time_ms = self.now_ms if same_time else self.tick()
        start = self.position(coin)
        self.truth[coin] = start + side.sign * sz
        fill: dict[str, Any] = {
            "coin": coin,
            "px": wire_decimal(PX),
            "sz": wire_decimal(sz),
            "side": side.value,
            "time": time_ms,
            "startPosition": wire_decimal(start),
            "dir": "Open Long" if side is Side.BUY else "Open Short",
            "closedPnl": "0.0",
            "hash": f"0x{oid:064x}",
            "oid": oid,
            "crossed": crossed,
            "fee": "0.01",
            "tid": next(self._tids),
            "feeToken": "USDC",
        }
        if cloid is not None:
            fill["cloid"] = cloid.hex
        if liquidation:
            fill["liquidation"] = {"markPx": "100.0", "method": "market"}
            fill["dir"] = "Liquidated Cross Long"
        self.trades.append(fill)
        return fill

    def place(
        self, cloid: Cloid, coin: str, side: Side, sz: Decimal, tif: str, parts: Sequence[Decimal]
    ) -> tuple[dict[str, Any], VenueOrder, list[dict[str, Any]]]:
        """Place an order that matches ``parts`` immediately: (status entry, order, fills)."""
        oid = next(self._oids)
        order = VenueOrder(cloid, oid, coin, side, sz, tif, timestamp_ms=self.tick())
        self.orders[oid] = order
        fills = []
        for index, part in enumerate(parts):
            fills.append(
                self.trade(
                    coin, side, part, oid=oid, cloid=cloid, crossed=True, same_time=index > 0
                )
            )
            order.filled += part
        total = order.filled
        if total >= sz:
            order.status = "filled"
        elif tif == "Ioc":
            order.status = "canceled"
        if total and (order.status != "open" or tif == "Ioc"):
            status: dict[str, Any] = {
                "filled": {
                    "totalSz": wire_decimal(total),
                    "avgPx": wire_decimal(PX),
                    "oid": oid,
                    "cloid": cloid.hex,
                }
            }
        elif tif == "Ioc":
            status = {"error": "Order could not immediately match against any resting orders."}
            order.status = "rejected"
        else:
            status = {"resting": {"oid": oid, "cloid": cloid.hex}}
        return status, order, fills

    def reject(self, reason: str) -> dict[str, Any]:
        return {"error": reason}

    def fill_resting(self, order: VenueOrder, sz: Decimal) -> dict[str, Any]:
        sz = min(sz, order.remaining)
        fill = self.trade(
            order.coin, order.side, sz, oid=order.oid, cloid=order.cloid, crossed=False
        )
        order.filled += sz
        if order.remaining == 0:
            order.status = "filled"
        return fill

    def cancel(self, order: VenueOrder) -> None:
        order.status = "canceled"
        self.tick()

    def foreign_fill(self, coin: str, side: Side, sz: Decimal, liquidation: bool) -> dict[str, Any]:
        """A trade of an order placed elsewhere (or a liquidation): no cloid."""
        oid = next(self._oids)
        return self.trade(
            coin, side, sz, oid=oid, cloid=None, crossed=True, liquidation=liquidation
        )

    def open_orders(self) -> list[VenueOrder]:
        return [o for o in self.orders.values() if o.status == "open"]

    def ws_order(self, order: VenueOrder) -> dict[str, Any]:
        body: dict[str, Any] = {
            "coin": order.coin,
            "side": order.side.value,
            "limitPx": wire_decimal(PX),
            "sz": wire_decimal(order.remaining if order.status == "open" else Decimal(0)),
            "oid": order.oid,
            "timestamp": order.timestamp_ms,
            "origSz": wire_decimal(order.sz),
        }
        if order.cloid is not None:
            body["cloid"] = order.cloid.hex
        return {"order": body, "status": order.status, "statusTimestamp": self.now_ms}

    def order_status(self, order: VenueOrder) -> dict[str, Any]:
        ws = self.ws_order(order)
        inner = dict(ws["order"])
        inner.update(
            {
                "triggerCondition": "N/A",
                "isTrigger": False,
                "triggerPx": "0.0",
                "children": [],
                "isPositionTpsl": False,
                "reduceOnly": False,
                "orderType": "Limit",
                "tif": order.tif,
                "cloid": order.cloid.hex if order.cloid else None,
            }
        )
        return {
            "status": "order",
            "order": {"order": inner, "status": order.status, "statusTimestamp": self.now_ms},
        }

    def clearinghouse_state(self, dex: str) -> dict[str, Any]:
        """The dex's positions now; the clock moves on so later trades are after ``time``."""
        positions = []
        for coin, szi in sorted(self.truth.items()):
            if szi and _dex(coin) == dex:
                positions.append(
                    {
                        "type": "oneWay",
                        "position": {
                            "coin": coin,
                            "szi": wire_decimal(szi),
                            "entryPx": "100.0",
                            "positionValue": wire_decimal(abs(szi) * PX),
                            "unrealizedPnl": "0.0",
                            "returnOnEquity": "0.0",
                            "liquidationPx": None,
                            "leverage": {"type": "cross", "value": 10},
                            "marginUsed": "1.0",
                            "maxLeverage": 50,
                        },
                    }
                )
        summary = {
            "accountValue": "10000.0",
            "totalNtlPos": "0.0",
            "totalRawUsd": "10000.0",
            "totalMarginUsed": "0.0",
        }
        state = {
            "assetPositions": positions,
            "marginSummary": summary,
            "crossMarginSummary": summary,
            "crossMaintenanceMarginUsed": "0.0",
            "withdrawable": "10000.0",
            "time": self.now_ms,
        }
        self.tick()
        return state

    def recent_fills(self, n: int) -> list[dict[str, Any]]:
        """The userFills snapshot a (re)subscribe gets: the n most recent, newest first."""
        return list(reversed(self.trades[-n:])) if n else []


# -- events -------------------------------------------------------------------


@attrs.frozen
class Sent:
    cloid: Cloid
    coin: str
    side: Side
    sz: Decimal
    tif: str


@attrs.frozen
class Answer:
    cloid: Cloid
    status: dict[str, Any]


@attrs.frozen
class Lost:
    cloid: Cloid


@attrs.frozen
class Resolved:
    """The executor asked orderStatus by cloid after a lost answer."""

    cloid: Cloid
    response: dict[str, Any]


@attrs.frozen
class Fills:
    fills: tuple[dict[str, Any], ...]
    is_snapshot: bool = False


@attrs.frozen
class Updates:
    orders: tuple[dict[str, Any], ...]


@attrs.frozen
class Snapshot:
    dex: str
    state: dict[str, Any]


@attrs.frozen
class Cancelled:
    cloid: Cloid
    asset: int


Event = Sent | Answer | Lost | Resolved | Fills | Updates | Snapshot | Cancelled


class Sink(Protocol):
    def deliver(self, event: Event) -> None: ...


class StateSink:
    """Deliver events to a TrackerState as the bot's feeds and executor would."""

    def __init__(self, state: TrackerState) -> None:
        self.state = state
        self.outcomes: list[Any] = []

    def deliver(self, event: Event) -> None:
        state = self.state
        if isinstance(event, Sent):
            state.order_sent(event.cloid, event.coin, event.side, PX, event.sz, tif=event.tif)
        elif isinstance(event, Answer):
            self._answer(event.cloid, event.status)
        elif isinstance(event, Lost):
            state.order_outcome_unknown(event.cloid)
        elif isinstance(event, Resolved):
            update = to_domain.order_status_to_update(
                structure(event.response, m.OrderStatusResponse)
            )
            assert update is not None
            status = update.order_status
            # The executor's resolution rules (hip3.executor.Executor._resolve).
            if status.name in ("RESTING", "PARTIALLY_FILLED"):
                state.order_resting(event.cloid, update.oid)
            elif status.name == "FILLED":
                state.order_filled(event.cloid, update.oid, update.orig_sz - update.sz)
            else:
                state.order_update(update)
        elif isinstance(event, Fills):
            state.apply_fills(
                to_domain.fills_from_json(list(event.fills)), is_snapshot=event.is_snapshot
            )
        elif isinstance(event, Updates):
            for update in to_domain.order_updates_from_json(list(event.orders)):
                state.order_update(update)
        elif isinstance(event, Snapshot):
            self.outcomes.append(
                state.adopt_snapshot(to_domain.account_snapshot_from_json(event.dex, event.state))
            )
        elif isinstance(event, Cancelled):
            state.order_cancelled(event.cloid, None, "cancelled")

    def _answer(self, cloid: Cloid, status: dict[str, Any]) -> None:
        if "resting" in status:
            self.state.order_resting(cloid, status["resting"]["oid"])
        elif "filled" in status:
            filled = status["filled"]
            self.state.order_filled(cloid, filled["oid"], Decimal(filled["totalSz"]))
        else:
            self.state.order_rejected(cloid, status["error"])


class CaptureSink:
    """Write the capture lines a bot would have recorded for these events."""

    def __init__(self, writer: CaptureWriter) -> None:
        self.writer = writer
        self._ids = itertools.count(1)
        self._posts: dict[Cloid, int] = {}
        self._ws_order_wire: dict[Cloid, dict[str, Any]] = {}

    def start(self) -> None:
        w = self.writer
        for body, answer in (
            ({"type": "perpDexs"}, PERP_DEXS),
            ({"type": "meta", "dex": ""}, METAS[""]),
            ({"type": "meta", "dex": "xyz"}, METAS["xyz"]),
        ):
            request_id = next(self._ids)
            w.record("out", "http", body, id=request_id, path="/info")
            w.record("in", "http", answer, id=request_id)
        w.record(
            "out",
            "ws",
            {"method": "subscribe", "subscription": {"type": "userFills", "user": USER}},
        )
        w.record(
            "in",
            "ws",
            {
                "channel": "subscriptionResponse",
                "data": {
                    "method": "subscribe",
                    "subscription": {"type": "userFills", "user": USER},
                },
            },
        )

    def deliver(self, event: Event) -> None:
        w = self.writer
        if isinstance(event, Sent):
            post_id = next(self._ids)
            self._posts[event.cloid] = post_id
            wire = {
                "a": ASSETS[event.coin],
                "b": event.side.is_buy,
                "p": wire_decimal(PX),
                "s": wire_decimal(event.sz),
                "r": False,
                "t": {"limit": {"tif": event.tif}},
                "c": event.cloid.hex,
            }
            payload = {
                "action": {"type": "order", "orders": [wire], "grouping": "na"},
                "nonce": 1_700_000_000_000 + post_id,
                "signature": {"r": "0x1", "s": "0x2", "v": 27},
                "vaultAddress": None,
                "expiresAfter": None,
            }
            w.record(
                "out",
                "ws",
                {
                    "method": "post",
                    "id": post_id,
                    "request": {"type": "action", "payload": payload},
                },
            )
        elif isinstance(event, Answer):
            post_id = self._posts[event.cloid]
            response = {
                "status": "ok",
                "response": {"type": "order", "data": {"statuses": [event.status]}},
            }
            w.record(
                "in",
                "ws",
                {
                    "channel": "post",
                    "data": {"id": post_id, "response": {"type": "action", "payload": response}},
                },
            )
        elif isinstance(event, Lost):
            pass  # the answer never arrives
        elif isinstance(event, Resolved):
            request_id = next(self._ids)
            w.record(
                "out",
                "http",
                {"type": "orderStatus", "user": USER, "oid": event.cloid.hex},
                id=request_id,
                path="/info",
            )
            w.record("in", "http", event.response, id=request_id)
        elif isinstance(event, Fills):
            data: dict[str, Any] = {"user": USER, "fills": list(event.fills)}
            if event.is_snapshot:
                data = {"isSnapshot": True, **data}
            w.record("in", "ws", {"channel": "userFills", "data": data})
        elif isinstance(event, Updates):
            w.record("in", "ws", {"channel": "orderUpdates", "data": list(event.orders)})
        elif isinstance(event, Snapshot):
            request_id = next(self._ids)
            w.record(
                "out",
                "http",
                {"type": "clearinghouseState", "user": USER, "dex": event.dex},
                id=request_id,
                path="/info",
            )
            w.record("in", "http", event.state, id=request_id)
        elif isinstance(event, Cancelled):
            request_id = next(self._ids)
            action = {
                "type": "cancelByCloid",
                "cancels": [{"asset": event.asset, "cloid": event.cloid.hex}],
            }
            w.record(
                "out",
                "http",
                {
                    "action": action,
                    "nonce": 1,
                    "signature": {"r": "0x1", "s": "0x2", "v": 27},
                    "vaultAddress": None,
                },
                id=request_id,
                path="/exchange",
            )
            w.record(
                "in",
                "http",
                {"status": "ok", "response": {"type": "cancel", "data": {"statuses": ["success"]}}},
                id=request_id,
            )


# -- the driver ----------------------------------------------------------------


class Driver:
    """Venue activity queued as events; the caller chooses what is delivered when."""

    def __init__(self, sinks: Sequence[Sink], *, snapshot_size: int = 2000) -> None:
        self.venue = Venue()
        self.sinks = list(sinks)
        self.snapshot_size = snapshot_size
        self._cloids = itertools.count(1)
        self.pending_answers: list[Event] = []  # Answer | Lost+Resolved pairs
        self.pending_fills: list[dict[str, Any]] = []
        self.pending_updates: list[dict[str, Any]] = []
        self.pending_snapshots: list[Snapshot] = []
        self.delivered_batches: list[Fills] = []
        self.ours: dict[Cloid, VenueOrder] = {}
        self.delivered_tids: set[int] = set()
        self.events = 0

    def emit(self, event: Event) -> None:
        self.events += 1
        if isinstance(event, Fills):
            self.delivered_tids.update(f["tid"] for f in event.fills)
        for sink in self.sinks:
            sink.deliver(event)

    # venue activity

    def place(
        self,
        coin: str,
        side: Side,
        sz: Decimal,
        tif: str,
        parts: Sequence[Decimal],
        *,
        reject: bool = False,
        lose_answer: bool = False,
    ) -> Cloid:
        cloid = Cloid.from_int(next(self._cloids))
        self.emit(Sent(cloid, coin, side, sz, tif))
        if reject:
            status = self.venue.reject("Insufficient margin to place order. asset=0")
            order = None
        else:
            status, order, fills = self.venue.place(cloid, coin, side, sz, tif, parts)
            self.ours[cloid] = order
            self.pending_fills.extend(fills)
            self.pending_updates.append(self.venue.ws_order(order))
        if lose_answer and order is not None:
            self.pending_answers.append(Lost(cloid))
        else:
            self.pending_answers.append(Answer(cloid, status))
        return cloid

    def fill_resting(self, order: VenueOrder, sz: Decimal) -> None:
        self.pending_fills.append(self.venue.fill_resting(order, sz))
        if order.status != "open":
            self.pending_updates.append(self.venue.ws_order(order))

    def foreign_fill(self, coin: str, side: Side, sz: Decimal, liquidation: bool) -> None:
        self.pending_fills.append(self.venue.foreign_fill(coin, side, sz, liquidation))

    def cancel(self, order: VenueOrder) -> None:
        """The executor cancels a resting order by cloid and hears "success"."""
        self.venue.cancel(order)
        assert order.cloid is not None
        self.emit(Cancelled(order.cloid, ASSETS[order.coin]))
        self.pending_updates.append(self.venue.ws_order(order))

    def take_snapshot(self, dex: str) -> None:
        self.pending_snapshots.append(Snapshot(dex, self.venue.clearinghouse_state(dex)))

    # deliveries

    def deliver_answer(self, index: int) -> None:
        event = self.pending_answers.pop(index % len(self.pending_answers))
        if isinstance(event, Lost):
            self.emit(event)
            order = self.ours[event.cloid]
            self.emit(Resolved(event.cloid, self.venue.order_status(order)))
        else:
            self.emit(event)

    def deliver_fills(self, picks: Sequence[int]) -> None:
        """Deliver the chosen pending fills as one userFills message, in the chosen order."""
        batch = []
        for pick in picks:
            if not self.pending_fills:
                break
            batch.append(self.pending_fills.pop(pick % len(self.pending_fills)))
        if batch:
            event = Fills(tuple(batch))
            self.delivered_batches.append(event)
            self.emit(event)

    def recent_batch(self, back: int) -> Fills | None:
        recent = self.delivered_batches[-5:]
        return recent[back % len(recent)] if recent else None

    def duplicate(self, back: int) -> None:
        """A recent userFills message delivered again."""
        batch = self.recent_batch(back)
        if batch is not None:
            self.emit(batch)

    def reconnect(self) -> None:
        """The connection drops: undelivered fills are lost, the resubscribe snapshot follows."""
        self.pending_fills.clear()
        self.emit(Fills(tuple(self.venue.recent_fills(self.snapshot_size)), is_snapshot=True))

    def deliver_update(self, index: int) -> None:
        update = self.pending_updates.pop(index % len(self.pending_updates))
        self.emit(Updates((update,)))

    def deliver_snapshot(self, index: int) -> None:
        self.emit(self.pending_snapshots.pop(index % len(self.pending_snapshots)))

    def replay_old_fill(self, index: int) -> None:
        """Any trade the venue ever reported, delivered again (a stale replay)."""
        if self.venue.trades:
            self.emit(Fills((self.venue.trades[index % len(self.venue.trades)],)))

    def flush(self) -> None:
        """Deliver everything still queued (answers, fills, updates), in order."""
        while self.pending_answers:
            self.deliver_answer(0)
        while self.pending_fills:
            self.deliver_fills([0] * len(self.pending_fills))
        while self.pending_updates:
            self.deliver_update(0)

    def settle(self) -> None:
        """Flush, then a fresh snapshot of every dex, delivered at once."""
        self.flush()
        for dex in ("", "xyz"):
            self.emit(Snapshot(dex, self.venue.clearinghouse_state(dex)))
