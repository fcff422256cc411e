"""The executor: intents in, venue actions out, one :class:`Outcome` per intent.

Order of operations for a placement, and why:

1. the risk gates see the intent with a fresh view (positions and open orders
   from the tracker, market data, rate budget, kill switch); a refusal ends it
   as rejected naming the gate -- nothing is sent;
2. the tracker is told ``order_sent`` *before* the post, so a fill arriving on
   userFills ahead of the post response finds an order in flight (and a resync
   snapshot taken meanwhile is deferred rather than adopted);
3. the post's per-order status is mapped to the tracker: ``resting`` -> open
   with its oid; ``filled`` -> filled plus a provisional fill (the venue's
   ``totalSz``/``avgPx``), confirmed later trade by trade; ``error`` ->
   rejected with the venue's text;
4. when no answer arrived (the post may or may not have executed) the order is
   looked up by cloid with ``orderStatus`` until the venue knows it or the
   resolution window passes -- it is never posted again, which could double
   the position.

Intents run in per-market lanes. :meth:`Executor.run` routes each intent by
coin to its market's lane (a task in the nursery ``run`` owns, fed by a bounded
channel, so a full lane holds the dispatcher back); a lane executes its intents
one at a time, in order -- a strategy's cancel followed by a placement reaches
the venue in that order -- while lanes of different markets run concurrently,
so one market's unknown outcome (a lost answer resolved by ``orderStatus`` for
up to the resolution window) does not stall the others. :meth:`execute`, called
directly, takes the same per-market turn. Outcomes of one market come in its
intents' order; those of different markets interleave as they end.

A CancelAll of every market is a barrier across lanes: ``run`` starts it only
after every intent routed before it has ended, and reads nothing new meanwhile.
:meth:`Executor.kill` engages the kill switch (so every intent still queued is
refused by the gates), waits until no intent is in flight in any lane (a
placement in flight could otherwise rest after the cancels went out), then
cancels every open order; intents arriving meanwhile wait for it.

The gates see a fresh view taken under one lock shared by all lanes, held until
the tracker has been told ``order_sent``: an order passed in one lane is open
(pending) in the view of the next, so concurrent placements cannot overshoot
``max_open_orders``, and the rate budget is reduced by the posts still in
flight in other lanes.

Every intent ends in exactly one :class:`Outcome` (a CancelAll in one per
order it cancels): whatever a venue call raises within hip3's error hierarchy
ends the intent as rejected with the error's text; nothing is dropped.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import TypeVar, assert_never

import attrs
import trio

from hip3.clients.outcome import SentNoAnswerError
from hip3.clients.resolve import resolve_by_cloid
from hip3.domain import (
    Filled,
    OrderAnswer,
    OrderState,
    OrderStatus,
    OrderUpdate,
    Rejected,
    Resolved,
    Resting,
    Waiting,
)
from hip3.errors import (
    ExchangeError,
    Hip3Error,
    SigningError,
    TransportError,
    ValidationError,
)
from hip3.executor.intents import (
    Cancel,
    CancelAll,
    CancelScope,
    Intent,
    Modify,
    Outcome,
    OutcomeStatus,
    PlaceOrder,
)
from hip3.executor.ports import CancelTarget, ExecutorTracker, OrderVenue
from hip3.risk.gates import KillSwitch, MarketData, RiskGates, RiskRejection, RiskView
from hip3.tracing import traced_intent
from hip3.types import Cloid

__all__ = ["Executor", "ExecutorStats"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")


@attrs.define
class ExecutorStats:
    intents: int = 0
    placed: int = 0
    filled: int = 0
    resting: int = 0
    rejected: int = 0
    gate_rejections: int = 0
    cancelled: int = 0
    cancel_failures: int = 0
    unknown_outcomes: int = 0
    unknown_resolved: int = 0
    #: orders the tracker held open whose end (filled, cancelled) came from orderStatus
    #: after the venue refused to cancel them
    fates_learned: int = 0


class Executor:
    """Runs intents through the gates and the venue; see the module docstring."""

    def __init__(
        self,
        *,
        venue: OrderVenue,
        tracker: ExecutorTracker,
        gates: RiskGates,
        kill_switch: KillSwitch | None = None,
        market_data: Callable[[], Mapping[str, MarketData]] = dict,
        rate_budget: Callable[[], float] = lambda: float("inf"),
        now_ms: Callable[[], int] | None = None,
        resolve_window_secs: float = 10.0,
        resolve_poll_secs: float = 0.5,
        lane_capacity: int = 16,
        cancel_scope: CancelScope = "own",
    ) -> None:
        self.venue = venue
        self.cancel_scope: CancelScope = cancel_scope
        self.tracker = tracker
        self.gates = gates
        self.kill_switch = kill_switch if kill_switch is not None else KillSwitch()
        self._market_data = market_data
        self._rate_budget = rate_budget
        self._now_ms = now_ms if now_ms is not None else _wall_ms
        self.resolve_window_secs = resolve_window_secs
        self.resolve_poll_secs = resolve_poll_secs
        self.stats = ExecutorStats()
        self.lane_capacity = lane_capacity
        self._lanes = _Lanes()
        # Gate check and order_sent are one step across lanes (see the module docstring).
        self._gate_lock = trio.Lock()
        self._posting = 0  # placements past the gates whose post has not returned
        # Cloids of orders that certainly never rested (refused by a gate, by the venue,
        # or lost), with why: a later Cancel of one ends here instead of costing a round
        # trip to the venue. Bounded; an old cloid forgotten is merely sent.
        self._never_rested: collections.OrderedDict[Cloid, str] = collections.OrderedDict()

    async def run(
        self,
        intents: trio.MemoryReceiveChannel[Intent],
        outcomes: trio.MemorySendChannel[Outcome] | None = None,
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Execute intents until the channel closes; each outcome goes to ``outcomes``.

        Intents are routed by coin to per-market lanes (see the module docstring);
        ``outcomes`` is closed once every lane has finished.
        """
        lanes: dict[str, trio.MemorySendChannel[Intent]] = {}
        routed = _Pending()

        async def publish(found: list[Outcome]) -> None:
            if outcomes is not None:
                for outcome in found:
                    await outcomes.send(outcome)

        async def lane(receive: trio.MemoryReceiveChannel[Intent]) -> None:
            async with receive:
                async for intent in receive:
                    try:
                        found = await self.execute(intent)
                    finally:
                        routed.done()
                    await publish(found)

        try:
            task_status.started()
            async with trio.open_nursery() as nursery:
                try:
                    async with intents:
                        async for intent in intents:
                            coin = intent.coin
                            if coin is None:  # a CancelAll of every market: a barrier
                                await routed.idle()
                                await publish(await self.execute(intent))
                                continue
                            send = lanes.get(coin)
                            if send is None:
                                send, receive = trio.open_memory_channel[Intent](self.lane_capacity)
                                lanes[coin] = send
                                nursery.start_soon(lane, receive, name=f"executor lane {coin}")
                            routed.add()
                            try:
                                await send.send(intent)  # waits while the lane is full
                            except BaseException:
                                routed.done()
                                raise
                finally:
                    for send in lanes.values():
                        send.close()
        finally:
            if outcomes is not None:
                await outcomes.aclose()

    async def execute(self, intent: Intent) -> list[Outcome]:
        """Carry out one intent; a CancelAll yields one outcome per order it cancels.

        Intents of one coin take turns; a CancelAll of every market waits until no
        intent is in flight in any market, and holds back those arriving meanwhile.
        """
        if intent.coin is None:
            async with self._lanes.exclusive():
                return await self._execute(intent)
        async with self._lanes.shared(intent.coin):
            return await self._execute(intent)

    @traced_intent  # hip3.tracing: an OpenTelemetry span when installed
    async def _execute(self, intent: Intent) -> list[Outcome]:
        self.stats.intents += 1
        if isinstance(intent, PlaceOrder):
            outcomes = [await self._place(intent)]
        elif isinstance(intent, Modify):
            outcomes = [await self._modify(intent)]
        elif isinstance(intent, Cancel):
            outcomes = [await self._cancel_one(intent)]
        else:
            outcomes = await self._cancel_all(intent)
        for outcome in outcomes:
            self._count(outcome)
        return outcomes

    async def kill(self, reason: str) -> list[Outcome]:
        """Engage the kill switch (no new orders pass) and cancel the open orders in
        ``cancel_scope`` (the bot's own, unless configured ``"account"``)."""
        self.kill_switch.engage(reason)
        log.warning("kill switch engaged: %s; cancelling all open orders", reason)
        # After the intents in flight in every lane, before any still queued.
        async with self._lanes.exclusive():
            return await self._execute(CancelAll(scope=self.cancel_scope))

    # -- placement -------------------------------------------------------------

    async def _view(self) -> RiskView:
        return RiskView(
            now_ms=self._now_ms(),
            positions=await self.tracker.positions(),
            open_orders=await self.tracker.open_orders(),
            market_data=self._market_data(),
            # Posts in flight in other lanes have not drawn on the budget yet.
            rate_budget=self._rate_budget() - self._posting,
            kill_reason=self.kill_switch.reason,
        )

    async def _admit(self, intent: PlaceOrder | Modify, order: PlaceOrder) -> RiskRejection | None:
        """The gates, then ``order_sent`` -- one step across lanes; None when admitted."""
        async with self._gate_lock:
            rejection = self.gates.check(intent, await self._view())
            if rejection is not None:
                return rejection
            await self.tracker.order_sent(order)
            self._posting += 1
            self.stats.placed += 1
            return None

    async def _place(self, order: PlaceOrder) -> Outcome:
        rejection = await self._admit(order, order)
        if rejection is not None:
            self.stats.gate_rejections += 1
            log.info("order %s refused by gate %s", order.cloid, rejection)
            self._note_never_rested(order.cloid, f"refused by gate {rejection.gate}")
            return Outcome.rejected(order, rejection.reason, gate=rejection.gate)
        try:
            results = await self._posted(self.venue.place_orders([order]))
        except SentNoAnswerError as exc:
            return await self._resolve(order, order, str(exc))
        except _NOT_PLACED as exc:  # invalid before sending, not sent, or refused whole
            return await self._reject(order, order, f"not placed: {exc}")
        except Hip3Error as exc:  # lost answer, or one that could not be read: ask
            return await self._resolve(order, order, str(exc))
        if len(results) != 1:
            # One status per order is the venue's contract; anything else leaves the
            # outcome unknown, so ask rather than guess.
            return await self._resolve(order, order, f"{len(results)} statuses for one order")
        return await self._apply_result(order, order, results[0])

    async def _modify(self, modify: Modify) -> Outcome:
        # The replacement is a new order for the tracker, under the new cloid; the
        # venue reports the old one cancelled on orderUpdates.
        replacement = modify.replacement()
        rejection = await self._admit(modify, replacement)
        if rejection is not None:
            self.stats.gate_rejections += 1
            self._note_never_rested(modify.new_cloid, f"refused by gate {rejection.gate}")
            return Outcome.rejected(modify, rejection.reason, gate=rejection.gate)
        try:
            result = await self._posted(self.venue.modify_order(modify))
        except SentNoAnswerError as exc:
            outcome = await self._resolve(modify, replacement, str(exc))
        except _NOT_PLACED as exc:
            return await self._reject(modify, replacement, f"not modified: {exc}")
        except Hip3Error as exc:
            outcome = await self._resolve(modify, replacement, str(exc))
        else:
            outcome = await self._apply_result(modify, replacement, result)
        if outcome.status is not OutcomeStatus.REJECTED:
            # The venue replaced the target: it is over, whether or not its own
            # orderUpdate ever arrives (that channel has no snapshot to recover it).
            await self.tracker.order_cancelled(modify.cloid, modify.oid, "modified")
        return outcome

    async def _posted(self, post: Awaitable[_T]) -> _T:
        try:
            return await post
        finally:
            self._posting -= 1

    async def _apply_result(
        self, intent: PlaceOrder | Modify, order: PlaceOrder, result: OrderAnswer
    ) -> Outcome:
        match result:
            case Resting():
                await self.tracker.order_resting(order.cloid, result.oid)
                return Outcome(intent, OutcomeStatus.RESTING, oid=result.oid)
            case Filled():
                await self.tracker.order_filled(order.cloid, result.oid, result.total_sz)
                return Outcome(
                    intent,
                    OutcomeStatus.FILLED,
                    oid=result.oid,
                    filled_sz=result.total_sz,
                    avg_px=result.avg_px,
                )
            case Rejected():
                return await self._reject(intent, order, result.error or "error without text")
            case Waiting():
                # A TP/SL leg of a grouped order; the executor only sends ungrouped orders.
                reason = f"unexpected {result.status} for an ungrouped order"
                return await self._reject(intent, order, reason)
            case Resolved():
                # The venue resolved a lost answer itself (orderStatus by cloid).
                return await self._apply_resolved(intent, order, result, "its answer was lost")
            case _:
                assert_never(result)

    async def _reject(self, intent: Intent, order: PlaceOrder, reason: str) -> Outcome:
        await self.tracker.order_rejected(order.cloid, reason)
        self._note_never_rested(order.cloid, reason)
        return Outcome.rejected(intent, reason)

    def _note_never_rested(self, cloid: Cloid, why: str) -> None:
        self._never_rested[cloid] = why
        if len(self._never_rested) > _NEVER_RESTED_MEMORY:
            self._never_rested.popitem(last=False)

    async def _resolve(self, intent: PlaceOrder | Modify, order: PlaceOrder, why: str) -> Outcome:
        """Learn a sent order's fate from ``orderStatus`` by cloid; never re-post it."""
        self.stats.unknown_outcomes += 1
        log.warning("no answer for order %s (%s); asking the venue by cloid", order.cloid, why)

        async def ask(cloid: Cloid) -> OrderUpdate | None:
            try:
                return await self.venue.order_status(cloid)
            except Hip3Error as exc:
                log.info("orderStatus for %s failed, retrying: %s", cloid, exc)
                return None

        resolved = await resolve_by_cloid(
            ask,
            order.cloid,
            window_secs=self.resolve_window_secs,
            poll_secs=self.resolve_poll_secs,
        )
        if resolved.found:
            self.stats.unknown_resolved += 1
        return await self._apply_resolved(intent, order, resolved, why)

    async def _apply_resolved(
        self, intent: PlaceOrder | Modify, order: PlaceOrder, resolved: Resolved, why: str
    ) -> Outcome:
        """What ``orderStatus`` said of an order whose answer was lost."""
        update = resolved.update
        if update is None:
            # The venue does not know the cloid after the whole window: the action
            # never executed (posts carry an expiry inside this window).
            return await self._reject(
                intent, order, f"lost: venue has no order {order.cloid} ({why})"
            )
        status = update.order_status
        if status in (OrderStatus.RESTING, OrderStatus.PARTIALLY_FILLED):
            await self.tracker.order_resting(order.cloid, update.oid)
            return Outcome(intent, OutcomeStatus.RESTING, oid=update.oid)
        if status is OrderStatus.FILLED:
            # orderStatus has no average price; the fills (userFills) carry the prices.
            filled = update.orig_sz - update.sz if update.sz < update.orig_sz else update.orig_sz
            await self.tracker.order_filled(order.cloid, update.oid, filled)
            return Outcome(intent, OutcomeStatus.FILLED, oid=update.oid, filled_sz=filled)
        await self.tracker.order_update(update)
        if status is OrderStatus.REJECTED:
            return Outcome.rejected(intent, f"venue status {update.status}")
        # Cancelled (an Ioc's rest, margin, ...) after filling what it could: the trades
        # themselves reach the tracker on userFills.
        return Outcome(
            intent,
            OutcomeStatus.CANCELLED,
            oid=update.oid,
            filled_sz=max(update.orig_sz - update.sz, Decimal(0)),
            reason=f"venue status {update.status}",
        )

    # -- cancels ---------------------------------------------------------------

    async def _cancel_one(self, cancel: Cancel) -> Outcome:
        never = self._never_rested.get(cancel.cloid) if cancel.cloid is not None else None
        if never is not None:
            # Nothing to cancel, and no reason to ask the venue (a round trip that, with
            # answers being lost, can stall this market's lane for seconds).
            return Outcome.rejected(
                cancel, f"not sent: order {cancel.cloid} never rested ({never})"
            )
        target = CancelTarget(cancel.coin, cloid=cancel.cloid, oid=cancel.oid)
        (outcome,) = await self._send_cancels([(cancel, target)])
        return outcome

    async def _cancel_all(self, cancel_all: CancelAll) -> list[Outcome]:
        orders = await self.tracker.open_orders()
        pairs: list[tuple[Intent, CancelTarget]] = []
        for order in _cancellable(orders, cancel_all.coin, cancel_all.scope):
            # Prefer the cloid: it is known even before the venue's oid comes back.
            cancel = (
                Cancel(order.coin, cloid=order.cloid)
                if order.cloid is not None
                else Cancel(order.coin, oid=order.oid)
            )
            pairs.append((cancel, CancelTarget(order.coin, cloid=cancel.cloid, oid=cancel.oid)))
        if not pairs:
            return []
        return await self._send_cancels(pairs)

    async def _send_cancels(self, pairs: Sequence[tuple[Intent, CancelTarget]]) -> list[Outcome]:
        try:
            statuses: Sequence[str | None] = await self.venue.cancel_orders(
                [target for _, target in pairs]
            )
        except Hip3Error as exc:
            # A cancel is safe to repeat, but the strategy decides whether to: it
            # sees the order still open in the next context.
            return [Outcome.rejected(intent, f"cancel not confirmed: {exc}") for intent, _ in pairs]
        if len(statuses) != len(pairs):
            return [
                Outcome.rejected(intent, f"{len(statuses)} statuses for {len(pairs)} cancels")
                for intent, _ in pairs
            ]
        outcomes = []
        cancelled: list[CancelTarget] = []
        refused: list[CancelTarget] = []
        for (intent, target), error in zip(pairs, statuses, strict=True):
            if error is None:
                outcomes.append(Outcome(intent, OutcomeStatus.CANCELLED, oid=target.oid))
                cancelled.append(target)
            else:
                outcomes.append(Outcome.rejected(intent, error))
                refused.append(target)
        if cancelled:
            await self._tell_tracker_cancelled(cancelled)
        if refused:
            await self._learn_fates(refused)
        return outcomes

    async def _learn_fates(self, targets: Sequence[CancelTarget]) -> None:
        """A refused cancel ("already canceled, or filled") of an order the tracker holds open.

        The venue's orderUpdates for it may have been lost (a dropped message, a
        reconnect: that channel has no snapshot), which would leave the order open
        in the tracker forever. Its orderStatus settles it; the quantities still come
        from userFills.
        """
        open_cloids = {o.cloid for o in await self.tracker.open_orders() if o.cloid is not None}
        for target in targets:
            if target.cloid is None or target.cloid not in open_cloids:
                continue
            try:
                update = await self.venue.order_status(target.cloid)
            except Hip3Error as exc:
                log.info("orderStatus for %s after a refused cancel failed: %s", target.cloid, exc)
                continue
            if update is not None and update.order_status.is_terminal:
                self.stats.fates_learned += 1
                await self.tracker.order_update(update)

    async def _tell_tracker_cancelled(self, targets: Sequence[CancelTarget]) -> None:
        """Close cancelled orders in the tracker at once.

        The venue's ``"success"`` is authoritative, but orderUpdates reports the
        cancel only later; meanwhile the gates would count the order as open and
        refuse its replacement. The venue's own update, when it comes, is the same
        terminal state and changes nothing.
        """
        now_ms = self._now_ms()
        for order in await self.tracker.open_orders():
            if order.oid is None:
                continue
            if not any(
                (t.cloid is not None and t.cloid == order.cloid)
                or (t.oid is not None and t.oid == order.oid)
                for t in targets
            ):
                continue
            await self.tracker.order_update(
                OrderUpdate(
                    coin=order.coin,
                    oid=order.oid,
                    side=order.side,
                    limit_px=order.limit_px,
                    sz=order.orig_sz - order.filled_sz,
                    orig_sz=order.orig_sz,
                    status="canceled",
                    status_time_ms=now_ms,
                    timestamp_ms=now_ms,
                    cloid=order.cloid,
                    reduce_only=order.reduce_only,
                )
            )

    def _count(self, outcome: Outcome) -> None:
        stats = self.stats
        if outcome.status is OutcomeStatus.FILLED:
            stats.filled += 1
        elif outcome.status is OutcomeStatus.RESTING:
            stats.resting += 1
        elif outcome.status is OutcomeStatus.CANCELLED:
            stats.cancelled += 1
        elif isinstance(outcome.intent, Cancel):
            stats.cancel_failures += 1
        else:
            stats.rejected += 1


_NEVER_RESTED_MEMORY = 10_000


class _Lanes:
    """Turns for intents: one at a time per coin, or everything at once exclusively."""

    def __init__(self) -> None:
        self._coin_locks: dict[str, trio.Lock] = {}
        self._active = 0  # intents in flight (holding their coin's turn)
        self._idle: trio.Event | None = None  # set when ``_active`` drops to zero
        self._barrier: trio.Event | None = None  # set when the exclusive turn ends
        self._exclusive_lock = trio.Lock()

    @asynccontextmanager
    async def shared(self, coin: str) -> AsyncIterator[None]:
        lock = self._coin_locks.setdefault(coin, trio.Lock())
        async with lock:
            while self._barrier is not None:
                await self._barrier.wait()
            self._active += 1
            try:
                yield
            finally:
                self._active -= 1
                if self._active == 0 and self._idle is not None:
                    self._idle.set()

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._exclusive_lock:
            barrier = trio.Event()
            self._barrier = barrier
            try:
                while self._active:
                    self._idle = trio.Event()
                    await self._idle.wait()
                yield
            finally:
                self._idle = None
                self._barrier = None
                barrier.set()


class _Pending:
    """Intents routed to lanes and not yet ended, so a barrier can wait for all of them."""

    def __init__(self) -> None:
        self._count = 0
        self._idle: trio.Event | None = None

    def add(self) -> None:
        self._count += 1

    def done(self) -> None:
        self._count -= 1
        if self._count == 0 and self._idle is not None:
            self._idle.set()

    async def idle(self) -> None:
        while self._count:
            self._idle = trio.Event()
            await self._idle.wait()


#: Errors that mean the order certainly did not reach the book: refused before sending
#: (invalid, unsignable), never sent, or the whole request refused by the venue. Any other
#: hip3 error from a post (an unknown outcome, an answer that could not be read) may hide
#: an executed order, so the order is looked up rather than called rejected.
_NOT_PLACED = (ValidationError, SigningError, ExchangeError, TransportError)


def _cancellable(
    orders: Sequence[OrderState], coin: str | None, scope: CancelScope = "own"
) -> list[OrderState]:
    return [
        o
        for o in orders
        if not o.status.is_terminal
        and (coin is None or o.coin == coin)
        and (scope == "account" or o.own)
        and (o.cloid is not None or o.oid is not None)
    ]


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000
