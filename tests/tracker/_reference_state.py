"""The tracker's state before it was indexed, kept as a slow reference for tests.

This is ``hip3/tracker/state.py`` as it was before the indexes of issue 12
(commit 3fac0d2: no per-dex time-ordered dedup memory, no per-dex blocking
sets, no held terminal orders, no epoch-stamped accounting): every snapshot
scans the whole dedup memory and every order, pruning rotates through held
orders. Its position rules are the ones the indexed state must reproduce for
perp coins (the indexed state also keeps spot/outcome fills apart and fixes
the drift bookkeeping, neither of which moves a perp position). Used only by
tests/tracker/test_indexed_vs_reference.py.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections import OrderedDict, deque
from collections.abc import Hashable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs

from hip3.domain import AccountSnapshot, Fill, OrderState, OrderStatus, OrderUpdate
from hip3.types import Cloid, Side

__all__ = [
    "DEFAULT_DEDUP_CAPACITY",
    "DriftEvent",
    "OverfillEvent",
    "ReferenceState",
    "SnapshotOutcome",
    "TrackerStats",
    "dex_of",
]

log = logging.getLogger(__name__)

#: The venue's userFills snapshot holds the 2000 most recent fills (hyperliquid-api.md §1.8).
DEFAULT_DEDUP_CAPACITY = 2000
_HISTORY_LEN = 1000
_ZERO = Decimal(0)


def dex_of(coin: str) -> str | None:
    """The perp dex a coin trades on (``""`` main, ``"xyz"`` for ``"xyz:TSLA"``).

    Spot coins (``"PURR/USDC"``, ``"@107"``) return None: clearinghouseState
    snapshots do not cover them, so resyncs leave them alone.
    """
    if coin.startswith("@") or "/" in coin:
        return None
    head, sep, _ = coin.partition(":")
    return head if sep else ""


@attrs.frozen(slots=True)
class DriftEvent:
    """A resync found the exchange's position different from the tracker's.

    ``local`` is what the tracker held at the snapshot's time T (its position
    minus the fills it knows after T), ``exchange`` the snapshot's ``szi``,
    ``delta = exchange - local``. ``explained`` turns true when fills
    delivered after the snapshot, with times inside the window it covered,
    account for the whole delta (the snapshot merely overtook userFills).
    """

    coin: str
    dex: str
    local: Decimal
    exchange: Decimal
    delta: Decimal
    time_ms: int
    cause: str | None = None
    baseline: bool = False
    explained: bool = False


@attrs.define(slots=True, eq=False)
class _OpenDrift:
    """A drift event not yet explained: fills with times in (after_ms, time_ms] may."""

    event: DriftEvent
    after_ms: int
    remaining: Decimal


@attrs.frozen(slots=True)
class OverfillEvent:
    """An order reported filled beyond its size."""

    coin: str
    oid: int | None
    cloid: Cloid | None
    orig_sz: Decimal
    filled_sz: Decimal


@attrs.frozen(slots=True)
class SnapshotOutcome:
    """What became of a snapshot: adopted (with its drift events) or deferred, and why.

    Truthy when adopted, so ``if await handle.snapshot(s):`` reads naturally.
    """

    adopted: bool
    dex: str
    time_ms: int
    reason: str | None = None
    drift: tuple[DriftEvent, ...] = ()

    def __bool__(self) -> bool:
        return self.adopted


@attrs.define(slots=True)
class TrackerStats:
    """Counters; :meth:`TrackerState.stats` hands out copies.

    * ``fills_received``: every fill handed in; ``fills_applied`` of them
      moved (or confirmed) a position; ``duplicates_dropped`` had a known
      identity; ``covered_by_snapshot`` were new but at or before the adopted
      snapshot's time (already in it); ``beyond_memory`` were new to the dedup
      memory but no newer than a trade it had already forgotten (taken for
      replays and dropped: size ``dedup_capacity`` above the fills that can
      arrive between two adopted snapshots, the venue's 2000 at least);
      ``history_fills`` came in the first subscribe snapshot before any baseline.
    * ``fills_without_tid``: identities derived from (hash, oid, time, px, sz, side).
    * ``provisional_fills`` applied from post answers; ``provisional_skipped``
      not applied because a snapshot was adopted since the order was sent;
      ``orphan_responses`` answers for orders the tracker does not know;
      ``stale_updates`` orderUpdates for orders already forgotten.
    * ``snapshots_adopted`` / ``snapshots_deferred`` (orders in flight,
      unconfirmed provisional fills, dedup memory too short) /
      ``snapshots_stale`` (older than the adopted one).
    * ``drift_events``: unexplained disagreements at adoption (target 0);
      ``drift_explained`` later accounted for by late userFills;
      ``baseline_adjustments``: differences at a dex's first adoption.
    * ``overfills``: orders filled beyond their size.
    * ``dedup_size`` / ``dedup_capacity`` / ``dedup_evictions``; ``open_orders``,
      ``tracked_orders`` (open plus remembered finished ones); ``messages``
      handled by the actor and ``errors`` raised while applying them.
    """

    messages: int = 0
    fills_received: int = 0
    fills_applied: int = 0
    duplicates_dropped: int = 0
    covered_by_snapshot: int = 0
    beyond_memory: int = 0
    history_fills: int = 0
    fills_without_tid: int = 0
    provisional_fills: int = 0
    provisional_skipped: int = 0
    orphan_responses: int = 0
    stale_updates: int = 0
    snapshots_adopted: int = 0
    snapshots_deferred: int = 0
    snapshots_stale: int = 0
    drift_events: int = 0
    drift_explained: int = 0
    baseline_adjustments: int = 0
    overfills: int = 0
    dedup_size: int = 0
    dedup_capacity: int = 0
    dedup_evictions: int = 0
    open_orders: int = 0
    tracked_orders: int = 0
    errors: int = 0


@attrs.define(slots=True, eq=False)
class _Order:
    coin: str
    dex: str | None
    side: Side
    limit_px: Decimal
    orig_sz: Decimal
    status: OrderStatus
    cloid: Cloid | None = None
    oid: int | None = None
    tif: str | None = None
    reduce_only: bool = False
    in_flight: bool = False
    answered: bool = False
    epoch: int = 0
    # Accounting since the last adoption on the dex (what the position holds for it).
    acct_prov: Decimal = _ZERO
    acct_conf: Decimal = _ZERO
    # Reporting, never reset: what the order has filled as far as we know.
    rep_prov: Decimal = _ZERO
    rep_conf: Decimal = _ZERO
    venue_filled: Decimal = _ZERO
    reason: str | None = None
    overfilled: bool = False

    @property
    def filled_sz(self) -> Decimal:
        return max(self.rep_prov, self.rep_conf, self.venue_filled)

    @property
    def unconfirmed(self) -> bool:
        return self.acct_prov > self.acct_conf

    def view(self) -> OrderState:
        return OrderState(
            coin=self.coin,
            side=self.side,
            limit_px=self.limit_px,
            orig_sz=self.orig_sz,
            status=self.status,
            oid=self.oid,
            cloid=self.cloid,
            filled_sz=self.filled_sz,
            reason=self.reason,
            reduce_only=self.reduce_only,
        )


# A remembered trade: (dex, coin, signed size, exchange time ms).
_Seen = tuple[str | None, str, Decimal, int]


class ReferenceState:
    """Positions and orders, with the exactly-once rules in the module docstring."""

    def __init__(
        self,
        *,
        dedup_capacity: int = DEFAULT_DEDUP_CAPACITY,
        initial_snapshot_is_history: bool = True,
    ) -> None:
        if dedup_capacity < 1:
            raise ValueError(f"dedup_capacity must be >= 1, got {dedup_capacity}")
        self.dedup_capacity = dedup_capacity
        # The first userFills snapshot, before any order is sent or any
        # snapshot adopted, is the account's history: already in the
        # positions a baseline snapshot will report.
        self._history_pending = initial_snapshot_is_history
        self._positions: dict[str, Decimal] = {}
        # Dedup memory: the newest `dedup_capacity` trades by exchange time.
        # Evicting by time rather than by arrival matters: the venue's userFills
        # snapshot lists fills newest first, so arrival order would keep the
        # oldest of them and forget the newest, which the next snapshot repeats.
        self._seen: dict[Hashable, _Seen] = {}
        self._by_time: list[tuple[int, int, Hashable]] = []
        self._sequence = itertools.count()
        self._evicted_max_ms: dict[str | None, int] = {}
        self._adopted_ms: dict[str, int] = {}
        self._epoch: dict[str | None, int] = {}
        self._dex_cache: dict[str, str | None] = {}
        self._by_cloid: dict[Cloid, _Order] = {}
        self._by_oid: dict[int, _Order] = {}
        self._open: dict[int, _Order] = {}  # id(order) -> order, non-terminal
        self._terminal: OrderedDict[int, _Order] = OrderedDict()
        self._terminal_capacity = max(100, dedup_capacity)
        # oids of finished orders already dropped: a late update for one of them
        # must not bring it back as an open order.
        self._forgotten: OrderedDict[int, None] = OrderedDict()
        self._liquidated_coins: set[str] = set()
        self._beyond_memory_coins: set[str] = set()
        self.drift: deque[DriftEvent] = deque(maxlen=_HISTORY_LEN)
        self._open_drift: dict[str, list[_OpenDrift]] = {}
        self.overfills: deque[OverfillEvent] = deque(maxlen=_HISTORY_LEN)
        self._stats = TrackerStats(dedup_capacity=dedup_capacity)

    # -- fills -------------------------------------------------------------

    def _dex(self, coin: str) -> str | None:
        try:
            return self._dex_cache[coin]
        except KeyError:
            dex = self._dex_cache[coin] = dex_of(coin)
            return dex

    def apply_fills(self, fills: Iterable[Fill], *, is_snapshot: bool = False) -> None:
        """A batch as one ws ``userFills`` message delivers it."""
        if is_snapshot and self._history_pending:
            self._history_pending = False
            for fill in fills:
                self._stats.fills_received += 1
                self._stats.history_fills += 1
                self._remember(fill)
            return
        for fill in fills:
            self.apply_fill(fill)

    def _identity(self, fill: Fill) -> Hashable:
        if fill.tid is not None:
            return (fill.coin, fill.tid)
        self._stats.fills_without_tid += 1
        return (fill.coin, fill.hash, fill.oid, fill.time_ms, fill.px, fill.sz, fill.side)

    def _remember(self, fill: Fill) -> bool:
        """Add the fill's identity to the dedup memory; False if it was already there."""
        key = self._identity(fill)
        seen = self._seen
        if key in seen:
            return False
        time_ms = fill.time_ms
        dex = self._dex(fill.coin)
        seen[key] = (dex, fill.coin, fill.sz if fill.side is Side.BUY else -fill.sz, time_ms)
        heapq.heappush(self._by_time, (time_ms, next(self._sequence), key))
        if len(seen) > self.dedup_capacity:
            old_ms, _, old_key = heapq.heappop(self._by_time)
            old_dex = seen.pop(old_key)[0]
            self._stats.dedup_evictions += 1
            if old_ms > self._evicted_max_ms.get(old_dex, -1):
                self._evicted_max_ms[old_dex] = old_ms
        return True

    def apply_fill(self, fill: Fill) -> None:
        """Account one trade exactly once."""
        stats = self._stats
        stats.fills_received += 1
        self._history_pending = False
        coin = fill.coin
        dex = self._dex(coin)
        # The newest trade time this dex's dedup memory has forgotten, before this
        # fill can push anything out.
        watermark = self._evicted_max_ms.get(dex, -1)
        if not self._remember(fill):
            stats.duplicates_dropped += 1
            return
        sz = fill.sz
        order = self._by_cloid.get(fill.cloid) if fill.cloid is not None else None
        if order is None:
            order = self._by_oid.get(fill.oid)
        if order is not None and order.oid is None:
            self._bind_oid(order, fill.oid)
        if dex is not None:
            adopted_ms = self._adopted_ms.get(dex)
            if adopted_ms is not None and fill.time_ms <= adopted_ms:
                # Already in the adopted snapshot (a late delivery, or a replay of
                # a trade no longer remembered: which one is unknowable, so
                # the order's filled size is left to orderUpdates).
                stats.covered_by_snapshot += 1
                if self._open_drift and fill.time_ms > self._evicted_max_ms.get(dex, -1):
                    # Newer than anything forgotten: a late delivery, not a replay.
                    self._explain(coin, fill)
                return
        if fill.time_ms <= watermark:
            # Not remembered, yet no newer than a trade already forgotten: most likely a
            # replay of that forgotten stretch (a reconnect snapshot or a backfill longer
            # than the dedup memory). Counting it could count it twice; dropping it
            # loses, at worst, one late trade until the next snapshot (whose adoption
            # waits until the memory covers its time, and names the cause).
            stats.beyond_memory += 1
            self._beyond_memory_coins.add(coin)
            return
        if order is not None:
            order.rep_conf += sz
            self._after_fill(order)
        if fill.liquidation:
            self._liquidated_coins.add(coin)
        if order is not None:
            prov = order.acct_prov
            before = prov if prov > order.acct_conf else order.acct_conf
            order.acct_conf += sz
            after = prov if prov > order.acct_conf else order.acct_conf
            sz = after - before
            if not sz:
                stats.fills_applied += 1
                return
        signed = sz if fill.side is Side.BUY else -sz
        positions = self._positions
        positions[coin] = positions.get(coin, _ZERO) + signed
        stats.fills_applied += 1

    def _after_fill(self, order: _Order) -> None:
        filled = order.filled_sz
        if filled > order.orig_sz:
            self._report_overfill(order)
        if order.status.is_terminal:
            return
        if filled >= order.orig_sz:
            self._set_status(order, OrderStatus.FILLED)
        elif filled > 0 and order.status.rank < OrderStatus.PARTIALLY_FILLED.rank:
            self._set_status(order, OrderStatus.PARTIALLY_FILLED)

    def _report_overfill(self, order: _Order) -> None:
        if order.overfilled:
            return
        order.overfilled = True
        self._stats.overfills += 1
        event = OverfillEvent(order.coin, order.oid, order.cloid, order.orig_sz, order.filled_sz)
        self.overfills.append(event)
        log.warning("overfill: %s", event)

    # -- orders ------------------------------------------------------------

    def _set_status(self, order: _Order, status: OrderStatus) -> None:
        """Move forward only; terminal orders leave the open set."""
        if status.rank <= order.status.rank:
            return
        order.status = status
        if status.is_terminal:
            self._open.pop(id(order), None)
            self._terminal[id(order)] = order
            self._prune_terminal()

    def _prune_terminal(self) -> None:
        # An unconfirmed provisional keeps its order: forgetting it would let the
        # confirming trades count a second time.
        rotations = 0
        while len(self._terminal) > self._terminal_capacity and rotations < len(self._terminal):
            key, order = self._terminal.popitem(last=False)
            if order.unconfirmed or order.in_flight:
                self._terminal[key] = order
                rotations += 1
                continue
            if order.cloid is not None and self._by_cloid.get(order.cloid) is order:
                del self._by_cloid[order.cloid]
            if order.oid is not None and self._by_oid.get(order.oid) is order:
                del self._by_oid[order.oid]
                self._forgotten[order.oid] = None
                if len(self._forgotten) > self._terminal_capacity:
                    self._forgotten.popitem(last=False)

    def _new_order(self, order: _Order) -> None:
        if order.cloid is not None:
            self._by_cloid[order.cloid] = order
        if order.oid is not None:
            self._by_oid[order.oid] = order
        if order.status.is_terminal:
            self._terminal[id(order)] = order
            self._prune_terminal()
        else:
            self._open[id(order)] = order

    def _find(self, cloid: Cloid | None, oid: int | None) -> _Order | None:
        order = self._by_cloid.get(cloid) if cloid is not None else None
        if order is None and oid is not None:
            order = self._by_oid.get(oid)
        return order

    def _bind_oid(self, order: _Order, oid: int) -> None:
        if order.oid is None:
            order.oid = oid
        self._by_oid[oid] = order

    def order_sent(
        self,
        cloid: Cloid,
        coin: str,
        side: Side,
        limit_px: Decimal,
        sz: Decimal,
        *,
        reduce_only: bool = False,
        tif: str | None = None,
    ) -> None:
        """An order is about to be posted: pending and in flight until answered."""
        if cloid in self._by_cloid:
            return  # the same order announced twice (a replayed capture line)
        self._history_pending = False
        dex = self._dex(coin)
        self._new_order(
            _Order(
                coin=coin,
                dex=dex,
                side=side,
                limit_px=limit_px,
                orig_sz=sz,
                status=OrderStatus.PENDING,
                cloid=cloid,
                tif=tif,
                reduce_only=reduce_only,
                in_flight=True,
                epoch=self._epoch.get(dex, 0),
            )
        )

    def _answered(self, cloid: Cloid, oid: int | None) -> _Order | None:
        order = self._find(cloid, oid)
        if order is None:
            self._stats.orphan_responses += 1
            log.info("answer for unknown order cloid=%s oid=%s ignored", cloid, oid)
            return None
        if oid is not None:
            self._bind_oid(order, oid)
        order.in_flight = False
        return order

    def order_resting(self, cloid: Cloid, oid: int) -> None:
        order = self._answered(cloid, oid)
        if order is None:
            return
        order.answered = True
        self._set_status(order, OrderStatus.RESTING)

    def order_filled(self, cloid: Cloid, oid: int, total_sz: Decimal) -> None:
        """Post response ``filled``: a provisional fill of ``oid`` for ``total_sz``."""
        order = self._answered(cloid, oid)
        if order is None:
            return
        first_answer = not order.answered
        order.answered = True
        if total_sz > order.rep_prov:
            order.rep_prov = total_sz
        if first_answer and order.epoch == self._epoch.get(order.dex, 0):
            before = max(order.acct_prov, order.acct_conf)
            order.acct_prov = max(order.acct_prov, total_sz)
            after = max(order.acct_prov, order.acct_conf)
            delta = after - before
            if delta:
                positions = self._positions
                signed = delta if order.side is Side.BUY else -delta
                positions[order.coin] = positions.get(order.coin, _ZERO) + signed
            self._stats.provisional_fills += 1
        else:
            # A snapshot adopted since the order was sent may already hold these
            # trades; userFills (with times) will account them.
            self._stats.provisional_skipped += 1
        filled = order.filled_sz
        if filled > order.orig_sz:
            self._report_overfill(order)
        if filled >= order.orig_sz:
            self._set_status(order, OrderStatus.FILLED)
        elif order.tif in ("Gtc", "Alo"):
            # The remainder rests on the book (hyperliquid-api.md §2.3).
            self._set_status(order, OrderStatus.PARTIALLY_FILLED)
        else:
            # An Ioc's unmatched remainder is cancelled with no separate status.
            order.reason = order.reason or "remainder not resting"
            self._set_status(order, OrderStatus.CANCELLED)

    def order_rejected(self, cloid: Cloid, reason: str) -> None:
        order = self._answered(cloid, None)
        if order is None:
            return
        order.answered = True
        order.reason = reason
        self._set_status(order, OrderStatus.REJECTED)

    def order_cancelled(
        self, cloid: Cloid | None = None, oid: int | None = None, reason: str | None = None
    ) -> None:
        order = self._find(cloid, oid)
        if order is None:
            self._stats.orphan_responses += 1
            return
        order.in_flight = False
        if reason:
            order.reason = reason
        self._set_status(order, OrderStatus.CANCELLED)

    def order_outcome_unknown(self, cloid: Cloid) -> None:
        """The post's answer was lost: the order stays in flight until resolved."""
        order = self._by_cloid.get(cloid)
        if order is None:
            self._stats.orphan_responses += 1
            return
        order.in_flight = True

    def order_update(self, update: OrderUpdate) -> None:
        """orderUpdates / orderStatus: lifecycle from the venue (quantities come from fills)."""
        order = self._find(update.cloid, update.oid)
        status = update.order_status
        if order is None and update.oid in self._forgotten:
            self._stats.stale_updates += 1
            return
        if order is None:
            dex = self._dex(update.coin)
            order = _Order(
                coin=update.coin,
                dex=dex,
                side=update.side,
                limit_px=update.limit_px,
                orig_sz=update.orig_sz,
                status=status,
                cloid=update.cloid,
                oid=update.oid,
                reduce_only=update.reduce_only,
                answered=True,
                epoch=self._epoch.get(dex, 0),
            )
            order.venue_filled = max(_ZERO, update.orig_sz - update.sz)
            self._new_order(order)
            return
        self._bind_oid(order, update.oid)
        # The venue knows the order: whatever the post's answer says, it is no
        # longer in flight. A provisional arriving after a snapshot adoption is
        # skipped (see order_filled), so this cannot double count.
        order.in_flight = False
        if status is not OrderStatus.REJECTED and status is not OrderStatus.CANCELLED:
            venue_filled = update.orig_sz - update.sz
            if venue_filled > order.venue_filled:
                order.venue_filled = venue_filled
        if status.is_terminal and status is not OrderStatus.FILLED and not order.reason:
            order.reason = f"venue status {update.status}"
        self._set_status(order, status)
        if order.filled_sz > order.orig_sz:
            self._report_overfill(order)

    # -- snapshots -----------------------------------------------------------

    def adopt_snapshot(self, snapshot: AccountSnapshot) -> SnapshotOutcome:
        """Adopt a resync snapshot if nothing about its dex is ambiguous; else defer."""
        dex = snapshot.dex
        t_ms = snapshot.time_ms
        reason = self._defer_reason(dex, t_ms)
        if reason is not None:
            if reason.startswith("stale"):
                self._stats.snapshots_stale += 1
            else:
                self._stats.snapshots_deferred += 1
            log.info("snapshot of dex %r at %d deferred: %s", dex, t_ms, reason)
            return SnapshotOutcome(False, dex, t_ms, reason)

        after_t: dict[str, Decimal] = {}
        for seen_dex, coin, signed, time_ms in self._seen.values():
            if seen_dex == dex and time_ms > t_ms:
                after_t[coin] = after_t.get(coin, _ZERO) + signed
        positions = self._positions
        local_coins = [c for c in positions if self._dex(c) == dex]
        baseline = dex not in self._adopted_ms
        events: list[DriftEvent] = []
        for coin in sorted(set(local_coins) | set(snapshot.positions)):
            after = after_t.get(coin, _ZERO)
            local_at_t = positions.get(coin, _ZERO) - after
            exchange = snapshot.szi(coin)
            if local_at_t != exchange:
                cause = "baseline" if baseline else self._drift_cause(coin)
                events.append(
                    DriftEvent(
                        coin=coin,
                        dex=dex,
                        local=local_at_t,
                        exchange=exchange,
                        delta=exchange - local_at_t,
                        time_ms=t_ms,
                        cause=cause,
                        baseline=baseline,
                    )
                )
        for coin in local_coins:
            del positions[coin]
        for coin in set(snapshot.positions) | set(after_t):
            value = snapshot.szi(coin) + after_t.get(coin, _ZERO)
            if value:
                positions[coin] = value
        # Accounting restarts on this dex: the snapshot holds every order's past.
        # An order sent before now keeps its older epoch, so a provisional
        # answer arriving later is not applied on top of this snapshot.
        self._epoch[dex] = self._epoch.get(dex, 0) + 1
        for order in (*self._open.values(), *self._terminal.values()):
            if order.dex == dex:
                order.acct_prov = _ZERO
                order.acct_conf = _ZERO
        previous_ms = self._adopted_ms.get(dex, -1)
        self._adopted_ms[dex] = t_ms
        self._history_pending = False
        self._liquidated_coins = {c for c in self._liquidated_coins if self._dex(c) != dex}
        self._beyond_memory_coins = {c for c in self._beyond_memory_coins if self._dex(c) != dex}
        stats = self._stats
        stats.snapshots_adopted += 1
        for event in events:
            self.drift.append(event)
            pending = self._open_drift.setdefault(event.coin, [])
            pending.append(_OpenDrift(event, previous_ms, event.delta))
            del pending[:-8]
            if event.baseline:
                stats.baseline_adjustments += 1
                log.info(
                    "baseline for %s: local %s, exchange %s",
                    event.coin,
                    event.local,
                    event.exchange,
                )
            else:
                stats.drift_events += 1
                log.warning(
                    "drift on %s: local %s, exchange %s, delta %s (cause: %s)",
                    event.coin,
                    event.local,
                    event.exchange,
                    event.delta,
                    event.cause or "unknown",
                )
        return SnapshotOutcome(True, dex, t_ms, None, tuple(events))

    def _defer_reason(self, dex: str, t_ms: int) -> str | None:
        last = self._adopted_ms.get(dex)
        if last is not None and t_ms < last:
            return f"stale: older than the snapshot adopted at {last}"
        for order in self._open.values():
            if order.dex == dex and order.in_flight:
                return f"order {order.cloid or order.oid} in flight"
            if order.dex == dex and order.unconfirmed:
                return f"provisional fill of order {order.oid} unconfirmed"
        for order in self._terminal.values():
            if order.dex == dex and (order.in_flight or order.unconfirmed):
                return f"provisional fill of order {order.oid} unconfirmed"
        if self._evicted_max_ms.get(dex, -1) > t_ms:
            # A fill after T was forgotten: snapshot + remembered fills would miss it.
            return "dedup memory shorter than the snapshot's age"
        return None

    def _explain(self, coin: str, fill: Fill) -> None:
        """A fill the snapshot already held arrived late: does it explain a drift?"""
        pending = self._open_drift.get(coin)
        if not pending:
            return
        for index, open_drift in enumerate(pending):
            event = open_drift.event
            if open_drift.after_ms < fill.time_ms <= event.time_ms:
                open_drift.remaining -= fill.sz if fill.side is Side.BUY else -fill.sz
                if open_drift.remaining:
                    return
                del pending[index]
                if not pending:
                    del self._open_drift[coin]
                self._mark_explained(event)
                return

    def _mark_explained(self, event: DriftEvent) -> None:
        explained = attrs.evolve(event, explained=True, cause="userFills delivered late")
        for index, held in enumerate(self.drift):
            if held is event:
                self.drift[index] = explained
                break
        stats = self._stats
        if event.baseline:
            stats.baseline_adjustments -= 1
        else:
            stats.drift_events -= 1
        stats.drift_explained += 1
        log.info("drift on %s explained by late fills", event.coin)

    def _drift_cause(self, coin: str) -> str | None:
        if coin in self._liquidated_coins:
            return "liquidation"
        if coin in self._beyond_memory_coins:
            return "fills older than the dedup memory dropped (dedup_capacity too small)"
        if self._stats.fills_without_tid:
            return "fills without tid"
        return None

    # -- queries -------------------------------------------------------------

    def position(self, coin: str) -> Decimal:
        return self._positions.get(coin, _ZERO)

    def positions(self) -> dict[str, Decimal]:
        """Every non-flat position, signed."""
        return {coin: sz for coin, sz in self._positions.items() if sz}

    def open_orders(self) -> list[OrderState]:
        return [order.view() for order in self._open.values()]

    def orders(self) -> list[OrderState]:
        """Open orders and the recently finished ones the tracker still remembers."""
        return [order.view() for order in (*self._open.values(), *self._terminal.values())]

    def order(self, cloid: Cloid | None = None, oid: int | None = None) -> OrderState | None:
        found = self._find(cloid, oid)
        return found.view() if found is not None else None

    def stats(self) -> TrackerStats:
        stats = attrs.evolve(self._stats)
        stats.dedup_size = len(self._seen)
        stats.open_orders = len(self._open)
        stats.tracked_orders = len(self._open) + len(self._terminal)
        return stats

    def drift_events(self) -> list[DriftEvent]:
        return list(self.drift)

    def overfill_events(self) -> list[OverfillEvent]:
        return list(self.overfills)

    def count_message(self) -> None:
        self._stats.messages += 1

    def count_error(self) -> None:
        self._stats.errors += 1

    def remembers(self, coin: str, tid: int) -> bool:
        """Is trade ``(coin, tid)`` still in the dedup memory?"""
        return (coin, tid) in self._seen

    def adopted_time_ms(self, dex: str) -> int | None:
        return self._adopted_ms.get(dex)

    def dedup_state(self) -> Sequence[Any]:
        """The dedup memory itself (for memory measurements)."""
        return (self._seen, self._by_time, self._evicted_max_ms)
