"""The tracker's state and rules, synchronous and single-owner.

:class:`TrackerState` is what the :class:`~hip3.tracker.actor.PositionTracker`
task owns; nothing else touches an instance while the actor runs. Keeping the
rules in plain synchronous code lets tests (and ``hip3 replay``) drive them
deterministically and lets the actor stay a thin loop.

Accounting rules (design.md, "Where it comes from"):

* A trade is identified by ``(coin, tid)``; the venue's tid is unique per user.
  A fill without a tid (recordings from before the venue added it) gets a
  derived identity ``(coin, hash, oid, time, px, sz, side)`` and is counted in
  :attr:`TrackerStats.fills_without_tid`.
* Dedup memory is bounded: the ``dedup_capacity`` most recent identities by
  exchange time (like the venue's own userFills snapshot, the 2000 most
  recent), plus a time watermark per dex: the newest time ever evicted. A fill
  at or before the last adopted snapshot's time T is already in that snapshot
  and never moves a position (this covers a replay of an evicted trade, which
  is older than everything remembered). A fill after T that is not remembered
  but no newer than the newest forgotten trade is taken for a replay of the
  forgotten stretch and dropped (``beyond_memory``): counting it could count a
  trade twice, dropping it at worst defers one late trade to the next adopted
  snapshot, which names the cause.
* A post response ``filled {totalSz, oid}`` is a provisional fill of that
  order. Per order the position counts ``max(provisional, confirmed trades)``,
  never both, in whatever order the two arrive; later trades of the order
  (its resting remainder) add once they exceed the provisional amount.
  A provisional is applied only for the first answer to an order and only if
  no snapshot was adopted on its dex since the order was sent: the snapshot
  may already hold those trades, and userFills (which carry times) settle it.
* A snapshot of dex D at exchange time T is adopted only when no order on D is
  in flight and no provisional fill on D is unconfirmed; then
  ``position = snapshot szi + known fills on D with time > T``. Differences
  with the local position at T are drift events. The first adoption on a dex
  sets the baseline: its differences are reported with ``baseline=True`` and
  counted apart from drift.
* Orders move forward only: pending → resting → partially filled →
  filled / cancelled / rejected. More filled than ordered is an overfill,
  reported in stats and :attr:`TrackerState.overfills`.

Memory: the identity memory and the set of recent terminal orders are bounded by
``dedup_capacity``; open orders are bounded by the venue (≤ 5000 per user);
drift and overfill histories keep the most recent 1000 entries.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from decimal import Decimal
from typing import Any, Literal

import attrs

from hip3.domain import AccountSnapshot, Fill, OrderState, OrderStatus, OrderUpdate
from hip3.errors import ValidationError, WireError
from hip3.types import Cloid, Side, Tif, to_tif

__all__ = [
    "DEFAULT_DEDUP_CAPACITY",
    "Blocker",
    "DriftEvent",
    "MarketKind",
    "OverfillEvent",
    "SnapshotOutcome",
    "TrackerState",
    "TrackerStats",
    "Unconfirmed",
    "dex_of",
    "market_kind",
]

log = logging.getLogger(__name__)

#: The venue's userFills snapshot holds the 2000 most recent fills (hyperliquid-api.md §1.8).
DEFAULT_DEDUP_CAPACITY = 2000
_HISTORY_LEN = 1000
# Open (unexplained) drifts kept per coin: only a memory bound, far above what a
# dedup window can hold; older ones are dropped once no fill can explain them.
_OPEN_DRIFT_PER_COIN = 10_000
_ZERO = Decimal(0)

MarketKind = Literal["perp", "spot", "outcome"]


def market_kind(coin: str) -> MarketKind:
    """What a coin name denotes on the venue (hyperliquid-api.md §0.1).

    ``"PURR/USDC"`` and ``"@107"`` are spot pairs, ``"#20"`` and ``"+5"`` HIP-4
    outcome coins; everything else (``"BTC"``, ``"xyz:TSLA"``) is a perp.
    """
    first = coin[:1]
    if first == "@" or "/" in coin:
        return "spot"
    if first == "#" or first == "+":
        return "outcome"
    return "perp"


def dex_of(coin: str) -> str | None:
    """The perp dex a coin trades on (``""`` main, ``"xyz"`` for ``"xyz:TSLA"``).

    Spot and outcome coins return None: they are no perp position, so
    clearinghouseState snapshots do not cover them and resyncs leave them alone.
    """
    if market_kind(coin) != "perp":
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
    ``forced`` marks an adoption made despite blockers (see
    :meth:`TrackerState.adopt_snapshot`); its ``cause`` names them.
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
    forced: bool = False


@attrs.define(slots=True, eq=False)
class _OpenDrift:
    """A drift event not yet explained: fills with times in (after_ms, time_ms] may."""

    event: DriftEvent
    after_ms: int
    remaining: Decimal
    explained: bool = False


class _OpenDrifts:
    """One coin's open drifts in time order, found by bisect.

    Their windows ``(after_ms, time_ms]`` follow one another (adoptions on a dex
    only move forward), so the one a late fill falls in is the first whose
    ``time_ms`` is not before the fill's: O(log n) per fill, however many are
    open. Explained or unexplainable ones leave from the front (``head`` moves
    on, the list is compacted now and then); an explained one in the middle is
    only marked.
    """

    __slots__ = ("head", "items", "times")

    def __init__(self) -> None:
        self.times: list[int] = []
        self.items: list[_OpenDrift] = []
        self.head = 0

    def append(self, item: _OpenDrift) -> None:
        self.times.append(item.event.time_ms)
        self.items.append(item)
        if len(self) > _OPEN_DRIFT_PER_COIN:
            self.head += 1
        self._trim()

    def find(self, time_ms: int) -> _OpenDrift | None:
        """The unexplained drift whose window holds ``time_ms``, if any."""
        index = bisect.bisect_left(self.times, time_ms, lo=self.head)
        if index == len(self.items):
            return None
        item = self.items[index]
        if item.explained or item.after_ms >= time_ms:
            return None
        return item

    def drop_through(self, watermark_ms: int) -> None:
        """Drop from the front the explained ones and those ending at or before the watermark."""
        items = self.items
        head = self.head
        while head < len(items) and (
            items[head].explained or items[head].event.time_ms <= watermark_ms
        ):
            head += 1
        self.head = head
        self._trim()

    def _trim(self) -> None:
        if self.head > 64 and self.head * 2 > len(self.items):
            del self.items[: self.head]
            del self.times[: self.head]
            self.head = 0

    def __len__(self) -> int:
        return len(self.items) - self.head


@attrs.frozen(slots=True)
class OverfillEvent:
    """An order reported filled beyond its size."""

    coin: str
    oid: int | None
    cloid: Cloid | None
    orig_sz: Decimal
    filled_sz: Decimal


BlockerKind = Literal["in_flight", "unconfirmed_provisional", "dedup_memory"]


@attrs.frozen(slots=True)
class Blocker:
    """Why a snapshot of ``dex`` cannot be adopted yet.

    ``in_flight``: an order was posted and its answer is unknown;
    ``unconfirmed_provisional``: a ``filled`` post answer counted more than the
    order's trades have confirmed; ``dedup_memory``: the dedup memory forgot a
    fill newer than the snapshot. ``since_ms`` is the tracker clock's time when
    the order started blocking (for ``dedup_memory``, the snapshot's time).
    """

    coin: str
    dex: str
    cloid: Cloid | None
    oid: int | None
    kind: BlockerKind
    since_ms: int
    detail: str


@attrs.frozen(slots=True)
class Unconfirmed:
    """An order the venue says filled further than the trades the tracker has.

    ``expected_sz`` is the most the venue reported filled (``source``:
    ``"post"`` for a ``filled`` post answer, ``"venue"`` for an orderUpdate or
    orderStatus), ``confirmed_sz`` what its trades add up to, ``since_ms`` when
    the tracker first learned of the gap (tracker clock). Its missing trades
    were probably lost on the way: a targeted ``userFillsByTime`` finds them.
    """

    coin: str
    dex: str | None
    cloid: Cloid | None
    oid: int | None
    expected_sz: Decimal
    confirmed_sz: Decimal
    since_ms: int
    source: Literal["post", "venue"]
    own: bool


@attrs.frozen(slots=True)
class SnapshotOutcome:
    """What became of a snapshot: adopted (with its drift events) or deferred, and why.

    Truthy when adopted, so ``if await handle.snapshot(s):`` reads naturally.
    A deferred outcome lists its ``blockers`` and ``deferred_since_ms``, the
    exchange time of the first snapshot of this dex deferred without an
    adoption since (so ``time_ms - deferred_since_ms`` is how long the dex has
    been stuck, in exchange time). ``forced`` when adopted despite blockers.
    """

    adopted: bool
    dex: str
    time_ms: int
    reason: str | None = None
    drift: tuple[DriftEvent, ...] = ()
    blockers: tuple[Blocker, ...] = ()
    deferred_since_ms: int | None = None
    forced: bool = False

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
    * ``own_fills`` / ``foreign_fills``: new trades of the bot's own orders
      (announced with ``order_sent``) / of anyone else on the account.
      ``spot_fills`` / ``outcome_fills``: new trades of spot pairs and HIP-4
      outcome coins, kept out of the perp positions.
    * ``fills_without_tid``: identities derived from (hash, oid, time, px, sz, side).
    * ``provisional_fills`` applied from post answers; ``provisional_skipped``
      not applied because a snapshot was adopted since the order was sent;
      ``orphan_responses`` answers for orders the tracker does not know;
      ``stale_updates`` orderUpdates for orders already forgotten.
    * ``snapshots_adopted`` (``snapshots_forced`` of them despite blockers) /
      ``snapshots_deferred`` (orders in flight, unconfirmed provisional fills,
      dedup memory too short) / ``snapshots_stale`` (older than the adopted one).
    * ``drift_events``: unexplained disagreements at adoption, net of those
      later explained (target 0); ``drift_explained`` drift events later
      accounted for by late userFills; ``baseline_adjustments``: differences
      at a dex's first adoption (a position the bot found, not drift), net of
      those later explained.
    * ``overfills``: orders filled beyond their size.
    * ``malformed_fills`` / ``malformed_updates``: new fills and order updates a value of
      which turned out malformed when read (decoded records check their decimals then):
      skipped, nothing applied.
    * ``dedup_size`` / ``dedup_capacity`` / ``dedup_evictions``; ``open_orders``,
      ``tracked_orders`` (open plus remembered finished ones); ``unconfirmed_orders``
      (see :class:`Unconfirmed`); ``messages`` handled by the actor and ``errors``
      raised while applying them.
    """

    messages: int = 0
    fills_received: int = 0
    fills_applied: int = 0
    duplicates_dropped: int = 0
    covered_by_snapshot: int = 0
    beyond_memory: int = 0
    history_fills: int = 0
    own_fills: int = 0
    foreign_fills: int = 0
    spot_fills: int = 0
    outcome_fills: int = 0
    fills_without_tid: int = 0
    provisional_fills: int = 0
    provisional_skipped: int = 0
    orphan_responses: int = 0
    stale_updates: int = 0
    snapshots_adopted: int = 0
    snapshots_forced: int = 0
    snapshots_deferred: int = 0
    snapshots_stale: int = 0
    drift_events: int = 0
    drift_explained: int = 0
    baseline_adjustments: int = 0
    overfills: int = 0
    malformed_fills: int = 0
    malformed_updates: int = 0
    dedup_size: int = 0
    dedup_capacity: int = 0
    dedup_evictions: int = 0
    open_orders: int = 0
    tracked_orders: int = 0
    unconfirmed_orders: int = 0
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
    tif: Tif | None = None
    reduce_only: bool = False
    own: bool = False
    in_flight: bool = False
    answered: bool = False
    # The dex's adoption epoch when the order was sent: a provisional answer is
    # applied only if no snapshot was adopted on the dex since.
    epoch: int = 0
    # Accounting since the last adoption on the dex (what the position holds for
    # it), valid only while acct_epoch is the dex's current epoch: adoption resets
    # every order of the dex by moving the epoch on, in O(1).
    acct_epoch: int = 0
    acct_prov: Decimal = _ZERO
    acct_conf: Decimal = _ZERO
    # Reporting, never reset: what the order has filled as far as we know.
    rep_prov: Decimal = _ZERO
    rep_conf: Decimal = _ZERO
    venue_filled: Decimal = _ZERO
    # For an order first heard of from the venue: what it had filled before,
    # beyond the trades credited to it, counts as confirmed history.
    conf_extra: Decimal = _ZERO
    reason: str | None = None
    overfilled: bool = False
    # Index bookkeeping (see TrackerState._refresh).
    blocking: bool = False
    block_since_ms: int = 0
    expecting: bool = False
    expect_since_ms: int = 0
    held: bool = False

    @property
    def filled_sz(self) -> Decimal:
        return max(self.rep_prov, self.rep_conf, self.venue_filled)

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
            own=self.own,
        )


# A remembered trade: (dex, coin, signed size, exchange time ms).
_Seen = tuple[str | None, str, Decimal, int]
# An entry of a dex's time-ordered index: (time ms, arrival sequence, identity).
_Timed = tuple[int, int, Hashable]


def _wall_clock_ms() -> int:
    return int(time.time() * 1000)


class _DexTimeline:
    """One dex's remembered trades in exchange-time order.

    Evictions always take the globally oldest trade, which is also the oldest
    of its dex, so they pop from the front (``head`` moves on; the list is
    compacted now and then). Fills mostly arrive in time order, so inserts are
    appends; a late one is a bisect insert.
    """

    __slots__ = ("entries", "head")

    def __init__(self) -> None:
        self.entries: list[_Timed] = []
        self.head = 0

    def add(self, entry: _Timed) -> None:
        entries = self.entries
        if not entries or entries[-1] <= entry:
            entries.append(entry)
        else:
            bisect.insort(entries, entry, lo=self.head)

    def pop_oldest(self) -> None:
        self.head += 1
        if self.head > 1024 and self.head * 2 > len(self.entries):
            del self.entries[: self.head]
            self.head = 0

    def after(self, t_ms: int) -> list[_Timed]:
        entries = self.entries
        start = bisect.bisect_right(entries, (t_ms, float("inf")), lo=self.head)
        return entries[start:]


class TrackerState:
    """Positions and orders, with the exactly-once rules in the module docstring.

    ``clock_ms`` timestamps what the tracker learns (when an order started
    blocking snapshots, when the venue first said an order filled beyond its
    trades); the actor gives it trio's clock so MockClock tests drive it.
    """

    def __init__(
        self,
        *,
        dedup_capacity: int = DEFAULT_DEDUP_CAPACITY,
        initial_snapshot_is_history: bool = True,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        if dedup_capacity < 1:
            raise ValueError(f"dedup_capacity must be >= 1, got {dedup_capacity}")
        self.dedup_capacity = dedup_capacity
        self._clock_ms = clock_ms or _wall_clock_ms
        # The first userFills snapshot, before any order is sent or any
        # snapshot adopted, is the account's history: already in the
        # positions a baseline snapshot will report.
        self._history_pending = initial_snapshot_is_history
        self._positions: dict[str, Decimal] = {}
        self._non_perp: dict[str, Decimal] = {}
        # Dedup memory: the newest `dedup_capacity` trades by exchange time.
        # Evicting by time rather than by arrival matters: the venue's userFills
        # snapshot lists fills newest first, so arrival order would keep the
        # oldest of them and forget the newest, which the next snapshot repeats.
        self._seen: dict[Hashable, _Seen] = {}
        self._by_time: list[_Timed] = []
        self._timelines: dict[str | None, _DexTimeline] = {}
        self._sequence = itertools.count()
        self._evicted_max_ms: dict[str | None, int] = {}
        self._adopted_ms: dict[str, int] = {}
        self._deferred_since: dict[str, int] = {}
        self._epoch: dict[str | None, int] = {}
        self._dex_cache: dict[str, str | None] = {}
        self._by_cloid: dict[Cloid, _Order] = {}
        self._by_oid: dict[int, _Order] = {}
        self._open: dict[int, _Order] = {}  # id(order) -> order, non-terminal
        # Finished orders, oldest first, forgotten beyond capacity; finished orders
        # that still block a snapshot are held apart until they stop blocking
        # (forgetting one would let its confirming trades count a second time).
        self._terminal: OrderedDict[int, _Order] = OrderedDict()
        self._held: dict[int, _Order] = {}
        self._terminal_capacity = max(100, dedup_capacity)
        # Per dex, the orders blocking a snapshot (in flight or unconfirmed provisional).
        self._blocking: dict[str | None, dict[int, _Order]] = {}
        # Orders the venue said filled beyond their trades (see Unconfirmed).
        self._expecting: dict[int, _Order] = {}
        # oids of finished orders already dropped: a late update for one of them
        # must not bring it back as an open order.
        self._forgotten: OrderedDict[int, None] = OrderedDict()
        # Trade sizes by oid for orders not (yet) known: credited to the order when
        # its first orderUpdate arrives after its trades.
        self._unclaimed: OrderedDict[int, Decimal] = OrderedDict()
        # The same by cloid: a trade that arrives before its order is announced (a
        # capture replayed in an order where the fill precedes the post) is credited to
        # the order when order_sent comes, so its post answer cannot count it again.
        self._unclaimed_cloids: OrderedDict[Cloid, Decimal] = OrderedDict()
        self._liquidated_coins: set[str] = set()
        self._beyond_memory_coins: set[str] = set()
        self.drift: deque[DriftEvent] = deque(maxlen=_HISTORY_LEN)
        self._open_drift: dict[str, _OpenDrifts] = {}
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
                try:
                    new = self._remember(fill)
                except WireError as exc:
                    self._malformed_fill(exc)
                    continue
                if new is not None:
                    self._credit_unclaimed(new)
            return
        for fill in fills:
            self.apply_fill(fill)

    def _identity(self, fill: Fill) -> Hashable:
        if fill.tid is not None:
            return (fill.coin, fill.tid)
        self._stats.fills_without_tid += 1
        return (fill.coin, fill.hash, fill.oid, fill.time_ms, fill.px, fill.sz, fill.side)

    def _malformed_fill(self, exc: WireError) -> None:
        self._stats.malformed_fills += 1
        log.warning("a new fill has a malformed value, skipped (%d so far): %s",
                    self._stats.malformed_fills, exc)  # fmt: skip

    def _remember(self, fill: Fill) -> Fill | None:
        """Add the fill's identity to the dedup memory and return the fill with its values
        made (:meth:`Fill.materialized`); None if it was already there. A fill with a
        malformed value raises WireError and is not remembered."""
        key = self._identity(fill)
        seen = self._seen
        if key in seen:
            return None
        fill = fill.materialized()
        time_ms = fill.time_ms
        dex = self._dex(fill.coin)
        seen[key] = (dex, fill.coin, fill.sz if fill.side is Side.BUY else -fill.sz, time_ms)
        entry = (time_ms, next(self._sequence), key)
        heapq.heappush(self._by_time, entry)
        timeline = self._timelines.get(dex)
        if timeline is None:
            timeline = self._timelines[dex] = _DexTimeline()
        timeline.add(entry)
        if len(seen) > self.dedup_capacity:
            old_ms, _, old_key = heapq.heappop(self._by_time)
            old_dex = seen.pop(old_key)[0]
            self._timelines[old_dex].pop_oldest()
            self._stats.dedup_evictions += 1
            if old_ms > self._evicted_max_ms.get(old_dex, -1):
                self._evicted_max_ms[old_dex] = old_ms
        return fill

    def _credit_unclaimed(self, fill: Fill) -> None:
        unclaimed = self._unclaimed
        oid = fill.oid
        unclaimed[oid] = unclaimed.pop(oid, _ZERO) + fill.sz
        if len(unclaimed) > self._terminal_capacity:
            unclaimed.popitem(last=False)
        cloid = fill.cloid
        if cloid is not None:
            by_cloid = self._unclaimed_cloids
            by_cloid[cloid] = by_cloid.pop(cloid, _ZERO) + fill.sz
            if len(by_cloid) > self._terminal_capacity:
                by_cloid.popitem(last=False)

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
        try:
            new = self._remember(fill)
        except WireError as exc:
            self._malformed_fill(exc)
            return
        if new is None:
            stats.duplicates_dropped += 1
            return
        fill = new
        sz = fill.sz
        order = self._find(fill.cloid, fill.oid)
        if order is not None and order.oid is None:
            self._bind_oid(order, fill.oid)
        if order is not None and order.own:
            stats.own_fills += 1
        else:
            stats.foreign_fills += 1
            if order is None:
                self._credit_unclaimed(fill)
        if dex is None:
            # A spot or outcome trade: no perp position, no snapshot covers it.
            if market_kind(coin) == "spot":
                stats.spot_fills += 1
            else:
                stats.outcome_fills += 1
            if order is not None:
                order.rep_conf += sz
                self._after_fill(order)
                self._refresh(order)
            signed = sz if fill.side is Side.BUY else -sz
            self._non_perp[coin] = self._non_perp.get(coin, _ZERO) + signed
            stats.fills_applied += 1
            return
        adopted_ms = self._adopted_ms.get(dex)
        if adopted_ms is not None and fill.time_ms <= adopted_ms:
            # Already in the adopted snapshot (a late delivery, or a replay of
            # a trade no longer remembered: which one is unknowable unless it is
            # newer than everything forgotten).
            stats.covered_by_snapshot += 1
            if fill.time_ms > watermark:
                # A late delivery, not a replay: it confirms its order's fill and
                # may explain a drift.
                if order is not None:
                    order.rep_conf += sz
                    self._after_fill(order)
                    self._refresh(order)
                if self._open_drift:
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
        if fill.liquidation:
            self._liquidated_coins.add(coin)
        if order is not None:
            order.rep_conf += sz
            self._after_fill(order)
            self._sync_acct(order)
            prov = order.acct_prov
            before = prov if prov > order.acct_conf else order.acct_conf
            order.acct_conf += sz
            after = prov if prov > order.acct_conf else order.acct_conf
            self._refresh(order)
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

    # -- order indexes -------------------------------------------------------

    def _sync_acct(self, order: _Order) -> None:
        """Zero the order's accounting if a snapshot was adopted on its dex since."""
        epoch = self._epoch.get(order.dex, 0)
        if order.acct_epoch != epoch:
            order.acct_epoch = epoch
            order.acct_prov = _ZERO
            order.acct_conf = _ZERO

    def _refresh(self, order: _Order) -> None:
        """Keep the per-dex blocking index, the unconfirmed index and the held set right.

        Called after anything that changes an order's ``in_flight`` or its
        fill amounts; O(1).
        """
        self._sync_acct(order)
        blocking = order.in_flight or order.acct_prov > order.acct_conf
        key = id(order)
        if blocking != order.blocking:
            order.blocking = blocking
            if blocking:
                order.block_since_ms = self._clock_ms()
                self._blocking.setdefault(order.dex, {})[key] = order
            else:
                by_dex = self._blocking.get(order.dex)
                if by_dex is not None:
                    by_dex.pop(key, None)
        expected = order.rep_prov if order.rep_prov > order.venue_filled else order.venue_filled
        expecting = expected > order.rep_conf + order.conf_extra
        if expecting != order.expecting:
            order.expecting = expecting
            if expecting:
                order.expect_since_ms = self._clock_ms()
                self._expecting[key] = order
            else:
                self._expecting.pop(key, None)
        if order.status.is_terminal:
            if blocking and not order.held:
                self._terminal.pop(key, None)
                self._held[key] = order
                order.held = True
            elif not blocking and order.held:
                del self._held[key]
                order.held = False
                self._terminal[key] = order
                self._prune_terminal()

    # -- orders ------------------------------------------------------------

    def _set_status(self, order: _Order, status: OrderStatus) -> None:
        """Move forward only; terminal orders leave the open set."""
        if status.rank <= order.status.rank:
            return
        order.status = status
        if status.is_terminal:
            key = id(order)
            self._open.pop(key, None)
            if order.blocking:
                self._held[key] = order
                order.held = True
            else:
                self._terminal[key] = order
                self._prune_terminal()

    def _prune_terminal(self) -> None:
        terminal = self._terminal
        while len(terminal) > self._terminal_capacity:
            key, order = terminal.popitem(last=False)
            self._forget(key, order)

    def _forget(self, key: int, order: _Order) -> None:
        self._expecting.pop(key, None)
        if order.cloid is not None and self._by_cloid.get(order.cloid) is order:
            del self._by_cloid[order.cloid]
        if order.oid is not None and self._by_oid.get(order.oid) is order:
            del self._by_oid[order.oid]
            self._forgotten[order.oid] = None
            if len(self._forgotten) > self._terminal_capacity:
                self._forgotten.popitem(last=False)

    def _new_order(self, order: _Order) -> None:
        order.acct_epoch = self._epoch.get(order.dex, 0)
        if order.cloid is not None:
            self._by_cloid[order.cloid] = order
        if order.oid is not None:
            self._by_oid[order.oid] = order
        if order.status.is_terminal:
            self._terminal[id(order)] = order
            self._refresh(order)
            self._prune_terminal()
        else:
            self._open[id(order)] = order
            self._refresh(order)

    def _find(self, cloid: Cloid | None, oid: int | None) -> _Order | None:
        order = self._by_cloid.get(cloid) if cloid is not None else None
        if order is not None and oid is not None and order.oid not in (None, oid):
            # The cloid was used again once its order ended (the venue allows it: the
            # SDK's examples place cloid 0x...01 on every run): this is another order.
            order = None
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
        tif: Tif | str | None = None,
    ) -> None:
        """An order of the bot's is about to be posted: pending and in flight until answered.

        ``tif`` may be the venue's spelling (a journal's); one the tracker does not know
        (``FrontendMarket``) or None (a trigger order) counts as not resting."""
        if cloid in self._by_cloid:
            return  # the same order announced twice (a replayed capture line)
        self._history_pending = False
        dex = self._dex(coin)
        order = _Order(
            coin=coin,
            dex=dex,
            side=side,
            limit_px=limit_px,
            orig_sz=sz,
            status=OrderStatus.PENDING,
            cloid=cloid,
            tif=_known_tif(tif),
            reduce_only=reduce_only,
            own=True,
            in_flight=True,
            epoch=self._epoch.get(dex, 0),
        )
        early = self._unclaimed_cloids.pop(cloid, None)
        if early is not None:
            # Its trades were applied already (the position holds them): the order's
            # post answer must not add them a second time.
            order.rep_conf = early
            order.acct_conf = early
            order.acct_epoch = self._epoch.get(dex, 0)
        self._new_order(order)

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
        self._refresh(order)

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
            self._sync_acct(order)
            before = max(order.acct_prov, order.acct_conf)
            order.acct_prov = max(order.acct_prov, total_sz)
            after = max(order.acct_prov, order.acct_conf)
            delta = after - before
            if delta:
                signed = delta if order.side is Side.BUY else -delta
                if order.dex is None:
                    self._non_perp[order.coin] = self._non_perp.get(order.coin, _ZERO) + signed
                else:
                    positions = self._positions
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
        elif order.tif is Tif.GTC or order.tif is Tif.ALO:
            # The remainder rests on the book (hyperliquid-api.md §2.3).
            self._set_status(order, OrderStatus.PARTIALLY_FILLED)
        else:
            # An Ioc's unmatched remainder is cancelled with no separate status.
            order.reason = order.reason or "remainder not resting"
            self._set_status(order, OrderStatus.CANCELLED)
        self._refresh(order)

    def order_rejected(self, cloid: Cloid, reason: str) -> None:
        order = self._answered(cloid, None)
        if order is None:
            return
        order.answered = True
        order.reason = reason
        self._set_status(order, OrderStatus.REJECTED)
        self._refresh(order)

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
        self._refresh(order)

    def order_outcome_unknown(self, cloid: Cloid) -> None:
        """The post's answer was lost: the order stays in flight until resolved."""
        order = self._by_cloid.get(cloid)
        if order is None:
            self._stats.orphan_responses += 1
            return
        order.in_flight = True
        self._refresh(order)

    def order_update(self, update: OrderUpdate) -> None:
        """orderUpdates / orderStatus: lifecycle from the venue (quantities come from fills)."""
        try:
            update = update.materialized()
        except WireError as exc:
            self._stats.malformed_updates += 1
            log.warning("an order update has a malformed value, skipped: %s", exc)
            return
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
            # Someone else's order (no order_sent): what it filled before the
            # tracker heard of it is history, already in the positions.
            order.venue_filled = max(_ZERO, update.orig_sz - update.sz)
            order.rep_conf = self._unclaimed.pop(update.oid, _ZERO)
            order.conf_extra = max(_ZERO, order.venue_filled - order.rep_conf)
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
        self._refresh(order)

    # -- snapshots -----------------------------------------------------------

    def adopt_snapshot(
        self, snapshot: AccountSnapshot, *, force_cause: str | None = None
    ) -> SnapshotOutcome:
        """Adopt a resync snapshot if nothing about its dex is ambiguous; else defer.

        With ``force_cause`` (the caller tried to resolve the blockers and could
        not), the snapshot is adopted despite them, unless it is stale: the
        blocking orders are settled (no longer in flight, their provisional
        fills replaced by the snapshot) and every drift event of the adoption
        names them and the cause.
        """
        dex = snapshot.dex
        t_ms = snapshot.time_ms
        last = self._adopted_ms.get(dex)
        if last is not None and t_ms < last:
            self._stats.snapshots_stale += 1
            reason = f"stale: older than the snapshot adopted at {last}"
            log.info("snapshot of dex %r at %d refused: %s", dex, t_ms, reason)
            return SnapshotOutcome(False, dex, t_ms, reason)
        blockers = self.blockers(dex, t_ms)
        forced = False
        if blockers:
            if force_cause is None:
                since = self._deferred_since.setdefault(dex, t_ms)
                self._stats.snapshots_deferred += 1
                reason = blockers[0].detail
                log.info("snapshot of dex %r at %d deferred: %s", dex, t_ms, reason)
                return SnapshotOutcome(False, dex, t_ms, reason, (), tuple(blockers), since)
            forced = True
        return self._adopt(snapshot, blockers, force_cause if forced else None)

    def blockers(self, dex: str, t_ms: int | None = None) -> list[Blocker]:
        """What keeps a snapshot of ``dex`` (at exchange time ``t_ms``) from adoption."""
        found: list[Blocker] = []
        for order in self._blocking.get(dex, {}).values():
            name = order.cloid or order.oid
            if order.in_flight:
                found.append(
                    Blocker(
                        order.coin,
                        dex,
                        order.cloid,
                        order.oid,
                        "in_flight",
                        order.block_since_ms,
                        f"order {name} in flight",
                    )
                )
            else:
                found.append(
                    Blocker(
                        order.coin,
                        dex,
                        order.cloid,
                        order.oid,
                        "unconfirmed_provisional",
                        order.block_since_ms,
                        f"provisional fill of order {order.oid} unconfirmed",
                    )
                )
        if t_ms is not None and self._evicted_max_ms.get(dex, -1) > t_ms:
            # A fill after T was forgotten: snapshot + remembered fills would miss it.
            found.append(
                Blocker(
                    "",
                    dex,
                    None,
                    None,
                    "dedup_memory",
                    t_ms,
                    "dedup memory shorter than the snapshot's age",
                )
            )
        return found

    def _adopt(
        self, snapshot: AccountSnapshot, blockers: Sequence[Blocker], force_cause: str | None
    ) -> SnapshotOutcome:
        dex = snapshot.dex
        t_ms = snapshot.time_ms
        after_t: dict[str, Decimal] = {}
        timeline = self._timelines.get(dex)
        if timeline is not None:
            seen = self._seen
            for _, _, key in timeline.after(t_ms):
                _, coin, signed, _ = seen[key]
                after_t[coin] = after_t.get(coin, _ZERO) + signed
        positions = self._positions
        local_coins = [c for c in positions if self._dex(c) == dex]
        baseline = dex not in self._adopted_ms
        forced_text = None
        if force_cause is not None:
            names = ", ".join(
                b.detail if b.kind == "dedup_memory" else f"{b.coin} order {b.cloid or b.oid}"
                for b in blockers
            )
            forced_text = f"adopted despite blockers ({names}): {force_cause}"
        events: list[DriftEvent] = []
        for coin in sorted(set(local_coins) | set(snapshot.positions)):
            after = after_t.get(coin, _ZERO)
            local_at_t = positions.get(coin, _ZERO) - after
            exchange = snapshot.szi(coin)
            if local_at_t != exchange:
                if baseline:
                    cause: str | None = "baseline"
                    if forced_text is not None:
                        cause = f"baseline, {forced_text}"
                elif forced_text is not None:
                    cause = forced_text
                else:
                    cause = self._drift_cause(coin)
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
                        forced=forced_text is not None,
                    )
                )
        for coin in local_coins:
            del positions[coin]
        for coin in set(snapshot.positions) | set(after_t):
            value = snapshot.szi(coin) + after_t.get(coin, _ZERO)
            if value:
                positions[coin] = value
        # Accounting restarts on this dex: the snapshot holds every order's past.
        # Moving the epoch on zeroes every order's accounting lazily; an order sent
        # before now keeps its older epoch, so a provisional answer arriving later
        # is not applied on top of this snapshot.
        self._epoch[dex] = self._epoch.get(dex, 0) + 1
        blocking = self._blocking.pop(dex, None)
        if blocking:
            # Only a forced adoption gets here with blockers: settle them.
            for order in blocking.values():
                order.in_flight = False
                order.blocking = False  # already out of the index
                self._refresh(order)
        previous_ms = self._adopted_ms.get(dex, -1)
        self._adopted_ms[dex] = t_ms
        self._deferred_since.pop(dex, None)
        self._history_pending = False
        self._liquidated_coins = {c for c in self._liquidated_coins if self._dex(c) != dex}
        self._beyond_memory_coins = {c for c in self._beyond_memory_coins if self._dex(c) != dex}
        stats = self._stats
        stats.snapshots_adopted += 1
        if forced_text is not None:
            stats.snapshots_forced += 1
            log.warning("snapshot of dex %r at %d %s", dex, t_ms, forced_text)
        self._drop_unexplainable_drifts(dex)
        for event in events:
            self.drift.append(event)
            pending = self._open_drift.get(event.coin)
            if pending is None:
                pending = self._open_drift[event.coin] = _OpenDrifts()
            pending.append(_OpenDrift(event, previous_ms, event.delta))
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
        return SnapshotOutcome(
            True, dex, t_ms, None, tuple(events), tuple(blockers), None, forced_text is not None
        )

    def _drop_unexplainable_drifts(self, dex: str) -> None:
        """Open drifts whose window ends before everything the dedup memory still
        distinguishes can never be explained (a late fill is only recognised as
        late when newer than the newest forgotten trade): drop them."""
        watermark = self._evicted_max_ms.get(dex, -1)
        if watermark < 0:
            return
        for coin in [c for c in self._open_drift if self._dex(c) == dex]:
            pending = self._open_drift[coin]
            pending.drop_through(watermark)
            if not pending:
                del self._open_drift[coin]

    def _explain(self, coin: str, fill: Fill) -> None:
        """A fill the snapshot already held arrived late: does it explain a drift?"""
        pending = self._open_drift.get(coin)
        if not pending:
            return
        open_drift = pending.find(fill.time_ms)
        if open_drift is None:
            return
        open_drift.remaining -= fill.sz if fill.side is Side.BUY else -fill.sz
        if open_drift.remaining:
            return
        open_drift.explained = True
        pending.drop_through(-1)  # explained ones at the front leave
        if not pending:
            del self._open_drift[coin]
        self._mark_explained(open_drift.event)

    def _mark_explained(self, event: DriftEvent) -> None:
        explained = attrs.evolve(event, explained=True, cause="userFills delivered late")
        drift = self.drift
        for index in range(len(drift) - 1, -1, -1):  # bounded: the last 1000 events
            if drift[index] is event:
                drift[index] = explained
                break
        stats = self._stats
        if event.baseline:
            # The history fills behind a baseline difference arrived: no drift either way.
            stats.baseline_adjustments -= 1
            log.info("baseline difference on %s explained by late fills", event.coin)
            return
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
        """Every non-flat perp position, signed."""
        return {coin: sz for coin, sz in self._positions.items() if sz}

    def non_perp_fills(self) -> dict[str, Decimal]:
        """Spot pairs and outcome coins: the signed net size of their trades seen.

        Not a balance (the account's spot balances come from
        ``spotClearinghouseState``); kept apart so they never read as perp positions.
        """
        return {coin: sz for coin, sz in self._non_perp.items() if sz}

    def open_orders(self) -> list[OrderState]:
        return [order.view() for order in self._open.values()]

    def own_open_orders(self) -> list[OrderState]:
        """Open orders the bot sent."""
        return [order.view() for order in self._open.values() if order.own]

    def foreign_open_orders(self) -> list[OrderState]:
        """Open orders of anyone else on the account (a person trading by hand)."""
        return [order.view() for order in self._open.values() if not order.own]

    def orders(self) -> list[OrderState]:
        """Open orders and the recently finished ones the tracker still remembers."""
        return [
            order.view()
            for order in (*self._open.values(), *self._held.values(), *self._terminal.values())
        ]

    def order(self, cloid: Cloid | None = None, oid: int | None = None) -> OrderState | None:
        found = self._find(cloid, oid)
        return found.view() if found is not None else None

    def unconfirmed(self) -> list[Unconfirmed]:
        """Orders the venue said filled beyond the trades received, oldest first."""
        found = []
        for order in self._expecting.values():
            post = order.rep_prov >= order.venue_filled
            found.append(
                Unconfirmed(
                    coin=order.coin,
                    dex=order.dex,
                    cloid=order.cloid,
                    oid=order.oid,
                    expected_sz=order.rep_prov if post else order.venue_filled,
                    confirmed_sz=order.rep_conf + order.conf_extra,
                    since_ms=order.expect_since_ms,
                    source="post" if post else "venue",
                    own=order.own,
                )
            )
        found.sort(key=lambda u: u.since_ms)
        return found

    def oldest_unconfirmed_age_ms(self, now_ms: int | None = None) -> int | None:
        """How long the oldest gap between what the venue said filled and the trades
        received has lasted (tracker clock), or None when there is none."""
        if not self._expecting:
            return None
        oldest = min(order.expect_since_ms for order in self._expecting.values())
        now = self._clock_ms() if now_ms is None else now_ms
        return max(0, now - oldest)

    def stats(self) -> TrackerStats:
        stats = attrs.evolve(self._stats)
        stats.dedup_size = len(self._seen)
        stats.open_orders = len(self._open)
        stats.tracked_orders = len(self._open) + len(self._held) + len(self._terminal)
        stats.unconfirmed_orders = len(self._expecting)
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
        return (self._seen, self._by_time, self._evicted_max_ms, self._timelines)


def _known_tif(tif: Tif | str | None) -> Tif | None:
    if tif is None or isinstance(tif, Tif):
        return tif
    try:
        return to_tif(tif)
    except ValidationError:
        return None
