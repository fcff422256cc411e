"""The PositionTracker actor and its handle.

One trio task owns a :class:`~hip3.tracker.state.TrackerState` and reads one
bounded memory channel; callers hold a :class:`TrackerHandle`. Messages are
applied in channel order, so a query sent after a fill sees that fill. After
each ``receive`` the task drains what is already buffered with
``receive_nowait``, so a burst costs one wake-up, not one per message.

Start it in a nursery::

    tracker = PositionTracker(dedup_capacity=2000)
    handle = await nursery.start(tracker.run)

Handle API (all methods async; each is one channel send, plus a wait for the
reply on queries):

Feeds
    ``fill(fill)``, ``fills(fills, *, is_snapshot=False)`` (one message for a
    ws ``userFills`` batch), ``order_update(update)`` (orderUpdates /
    orderStatus).
Executor
    ``order_sent(order)`` with the :class:`~hip3.types.PlaceOrder` about to be
    posted, or ``order_sent(cloid, coin, side, limit_px, sz, reduce_only=False,
    tif=None)``.
    Then one answer: ``order_resting(cloid, oid)``,
    ``order_filled(cloid, oid, total_sz)`` (the post response's
    ``filled``, applied at once as a provisional fill), ``order_rejected(cloid,
    reason)``, ``order_cancelled(cloid=None, oid=None, reason=None)``; or
    ``order_outcome_unknown(cloid)`` (still in flight until one of those, or an
    ``order_update``, resolves it).
Resync
    ``snapshot(account_snapshot) -> SnapshotOutcome`` (truthy when adopted;
    ``.adopted``, ``.reason`` when deferred, ``.drift`` events).
Queries
    ``position(coin) -> Decimal``, ``positions() -> dict[str, Decimal]``
    (non-flat only), ``open_orders()``, ``orders()``, ``order(cloid=, oid=)``
    (``OrderState`` values), ``stats() -> TrackerStats``, ``drift_events()``,
    ``overfill_events()``.
Closing
    ``await handle.aclose()`` (or ``async with handle:``) closes the channel;
    the run ends once every clone of the handle is closed, or when cancelled.
    Queries pending when the tracker stops raise
    :class:`~hip3.errors.Hip3Error`, as does any call on a stopped tracker.

An exception raised while applying one message is logged and counted
(``stats().errors``); the tracker keeps running, and a query that failed
re-raises in its caller.

Checkpoints: a feed or executor method (``fill``, ``fills``,
``order_update``, ``order_sent``, the answers) hands its message over with
``send_nowait`` and returns without a checkpoint while the channel has room;
only when it is full does it ``await send()`` (backpressure kept, and that
is a checkpoint). A caller that never awaits anything else could therefore
run up to ``channel_size`` sends without yielding, but no further: the next
send blocks until the tracker drains. So no caller can starve the loop for
more than one channel's worth of messages, and in hip3 every caller (the
websocket feeds, the executor) awaits the network between batches anyway.
Queries and ``snapshot`` always wait for their reply, which checkpoints.
Such a fast-path call is not a cancellation point: a caller inside a
cancelled scope sees ``Cancelled`` at its next checkpoint instead, and the
message it sent is applied (as if it had been sent just before the cancel).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, assert_never

import attrs
import trio

from hip3.domain import AccountSnapshot, Fill, OrderState, OrderUpdate
from hip3.errors import TrackerStopped
from hip3.tracker.state import (
    DEFAULT_DEDUP_CAPACITY,
    DriftEvent,
    OverfillEvent,
    SnapshotOutcome,
    TrackerState,
    TrackerStats,
    Unconfirmed,
)
from hip3.types import Cloid, PlaceOrder, Side, Tif

__all__ = [
    "DEFAULT_CHANNEL_SIZE",
    "FillBatch",
    "OrderAnswer",
    "OrderEnded",
    "OrderFilledAtPost",
    "OrderInFlight",
    "OrderRefused",
    "OrderRested",
    "OrderToSend",
    "PositionTracker",
    "Query",
    "SnapshotMessage",
    "TrackerHandle",
    "TrackerStopped",
]

log = logging.getLogger(__name__)

DEFAULT_CHANNEL_SIZE = 1024


OrderToSend = PlaceOrder
"""Deprecated name of :class:`hip3.types.PlaceOrder`, what ``order_sent`` takes."""


# -- messages ---------------------------------------------------------------
# A bare Fill, OrderUpdate and PlaceOrder (``order_sent``) are messages themselves
# (the hot path allocates nothing extra); everything else is one of these.


@attrs.frozen(slots=True)
class FillBatch:
    fills: Sequence[Fill]
    is_snapshot: bool = False


# The executor's messages after ``order_sent``: what became of the post, one
# class per answer (``OrderAnswer`` is their union, matched exhaustively).


@attrs.frozen(slots=True)
class OrderRested:
    """The post answered ``resting``: the order is open with ``oid``."""

    cloid: Cloid
    oid: int


@attrs.frozen(slots=True)
class OrderFilledAtPost:
    """The post answered ``filled``: a provisional fill of ``total_sz``."""

    cloid: Cloid
    oid: int
    total_sz: Decimal


@attrs.frozen(slots=True)
class OrderRefused:
    """The venue (or the executor, before sending) refused the order."""

    cloid: Cloid
    reason: str


@attrs.frozen(slots=True)
class OrderEnded:
    """The order ended without the venue's orderUpdate (e.g. replaced by a modify)."""

    cloid: Cloid | None
    oid: int | None
    reason: str | None = None


@attrs.frozen(slots=True)
class OrderInFlight:
    """The post's answer was lost: in flight until resolved."""

    cloid: Cloid


OrderAnswer = OrderRested | OrderFilledAtPost | OrderRefused | OrderEnded | OrderInFlight
_ANSWERS = (OrderRested, OrderFilledAtPost, OrderRefused, OrderEnded, OrderInFlight)


@attrs.define(slots=True, eq=False)
class _Reply:
    event: trio.Event = attrs.field(factory=trio.Event)
    value: Any = None
    error: BaseException | None = None

    async def wait(self) -> Any:
        await self.event.wait()
        if self.error is not None:
            raise self.error
        return self.value


@attrs.frozen(slots=True)
class SnapshotMessage:
    snapshot: AccountSnapshot
    reply: _Reply
    force_cause: str | None = None


@attrs.frozen(slots=True)
class Query:
    """Ask the state something; answered in channel order."""

    ask: Callable[[TrackerState], Any]
    reply: _Reply


# -- the actor ----------------------------------------------------------------


def _trio_clock_ms() -> int:
    """The tracker's clock: trio's, so MockClock drives it in tests."""
    return int(trio.current_time() * 1000)


class PositionTracker:
    """The tracker service: ``handle = await nursery.start(tracker.run)``.

    ``state`` is readable for post-mortems and tests once ``run`` has ended;
    while it runs, only the tracker task may touch it.
    """

    def __init__(
        self,
        *,
        dedup_capacity: int = DEFAULT_DEDUP_CAPACITY,
        channel_size: int = DEFAULT_CHANNEL_SIZE,
        initial_snapshot_is_history: bool = True,
    ) -> None:
        if channel_size < 1:
            raise ValueError(f"channel_size must be >= 1, got {channel_size}")
        self.channel_size = channel_size
        self.state = TrackerState(
            dedup_capacity=dedup_capacity,
            initial_snapshot_is_history=initial_snapshot_is_history,
            clock_ms=_trio_clock_ms,
        )

    async def run(
        self, *, task_status: trio.TaskStatus[TrackerHandle] = trio.TASK_STATUS_IGNORED
    ) -> None:
        send, receive = trio.open_memory_channel[Any](self.channel_size)
        async with receive:
            task_status.started(TrackerHandle(send))
            try:
                await self._serve(receive)
            finally:
                self._fail_pending(receive)

    async def _serve(self, receive: trio.MemoryReceiveChannel[Any]) -> None:
        apply = self._apply
        while True:
            try:
                message = await receive.receive()
            except trio.EndOfChannel:
                return
            apply(message)
            # Drain the burst without going back to the scheduler per message.
            while True:
                try:
                    message = receive.receive_nowait()
                except trio.WouldBlock:
                    break
                except trio.EndOfChannel:
                    return
                apply(message)

    def _apply(self, message: Any) -> None:
        state = self.state
        state.count_message()
        kind = type(message)
        try:
            if kind is Fill:
                state.apply_fill(message)
            elif kind is FillBatch:
                state.apply_fills(message.fills, is_snapshot=message.is_snapshot)
            elif kind is OrderUpdate:
                state.order_update(message)
            elif kind is Query:
                try:
                    message.reply.value = message.ask(state)
                except Exception as exc:
                    message.reply.error = exc
                    raise
                finally:
                    message.reply.event.set()
            elif kind is PlaceOrder:
                state.order_sent(
                    message.cloid,
                    message.coin,
                    message.side,
                    message.limit_px,
                    message.sz,
                    reduce_only=message.reduce_only,
                    tif=message.tif,
                )
            elif kind in _ANSWERS:
                self._apply_answer(message)
            elif kind is SnapshotMessage:
                try:
                    message.reply.value = state.adopt_snapshot(
                        message.snapshot, force_cause=message.force_cause
                    )
                except Exception as exc:
                    message.reply.error = exc
                    raise
                finally:
                    message.reply.event.set()
            elif isinstance(message, Fill):  # a decoded fill (hip3.wire.frames.FrameFill)
                state.apply_fill(message)
            elif isinstance(message, OrderUpdate):  # a decoded order update
                state.order_update(message)
            else:
                raise TypeError(f"tracker got an unknown message {kind.__name__}")
        except Exception:
            state.count_error()
            log.exception("tracker failed to apply %s", kind.__name__)

    def _apply_answer(self, answer: OrderAnswer) -> None:
        state = self.state
        match answer:
            case OrderRested():
                state.order_resting(answer.cloid, answer.oid)
            case OrderFilledAtPost():
                state.order_filled(answer.cloid, answer.oid, answer.total_sz)
            case OrderRefused():
                state.order_rejected(answer.cloid, answer.reason)
            case OrderEnded():
                state.order_cancelled(answer.cloid, answer.oid, answer.reason)
            case OrderInFlight():
                state.order_outcome_unknown(answer.cloid)
            case _:
                assert_never(answer)

    @staticmethod
    def _fail_pending(receive: trio.MemoryReceiveChannel[Any]) -> None:
        """Wake callers whose queries will never be answered."""
        while True:
            try:
                message = receive.receive_nowait()
            except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
                return
            reply = getattr(message, "reply", None)
            if isinstance(reply, _Reply) and not reply.event.is_set():
                reply.error = TrackerStopped("the tracker stopped before answering")
                reply.event.set()


# -- the handle ---------------------------------------------------------------


class TrackerHandle:
    """Async methods that message the tracker task; see the module docstring."""

    def __init__(self, send: trio.MemorySendChannel[Any]) -> None:
        self._send_channel = send

    async def _send(self, message: object) -> None:
        # Fast path: while the channel has room, hand the message over without a
        # trip through the scheduler (a checkpoint per fill was most of the
        # actor's cost). The caller still checkpoints whenever the channel is
        # full (backpressure), and the feeds that call this await the network
        # between batches, so no task can starve the loop through it.
        try:
            self._send_channel.send_nowait(message)
            return
        except trio.WouldBlock:
            pass
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            raise TrackerStopped("the tracker is not running") from None
        try:
            await self._send_channel.send(message)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            raise TrackerStopped("the tracker is not running") from None

    async def _ask(self, ask: Callable[[TrackerState], Any]) -> Any:
        reply = _Reply()
        await self._send(Query(ask, reply))
        return await reply.wait()

    def clone(self) -> TrackerHandle:
        """Another handle on the same tracker; the run ends when all are closed."""
        return TrackerHandle(self._send_channel.clone())

    async def aclose(self) -> None:
        await self._send_channel.aclose()

    async def __aenter__(self) -> TrackerHandle:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # feeds

    async def fill(self, fill: Fill) -> None:
        await self._send(fill)

    async def fills(self, fills: Sequence[Fill], *, is_snapshot: bool = False) -> None:
        await self._send(FillBatch(tuple(fills), is_snapshot))

    async def order_update(self, update: OrderUpdate) -> None:
        await self._send(update)

    # executor

    async def order_sent(
        self,
        order: PlaceOrder | Cloid,
        coin: str | None = None,
        side: Side | None = None,
        limit_px: Decimal | None = None,
        sz: Decimal | None = None,
        reduce_only: bool = False,
        tif: Tif | str | None = None,
    ) -> None:
        """Before posting: the order is pending and in flight until answered.

        Given a cloid and the order's fields instead of a PlaceOrder, a ``tif`` of None
        treats a partly filled order's remainder as not resting (as for an Ioc)."""
        if isinstance(order, Cloid):
            if coin is None or side is None or limit_px is None or sz is None:
                raise ValueError("order_sent(cloid, ...) needs coin, side, limit_px and sz")
            order = PlaceOrder(
                coin,
                side,
                limit_px,
                sz,
                tif=Tif.IOC if tif is None else tif,
                reduce_only=reduce_only,
                cloid=order,
            )
        await self._send(order)

    async def order_resting(self, cloid: Cloid, oid: int) -> None:
        await self._send(OrderRested(cloid, oid))

    async def order_filled(self, cloid: Cloid, oid: int, total_sz: Decimal) -> None:
        """Post response ``filled``: applied at once as a provisional fill of ``oid``
        (its price is the fills' business: they arrive on userFills)."""
        await self._send(OrderFilledAtPost(cloid, oid, total_sz))

    async def order_rejected(self, cloid: Cloid, reason: str) -> None:
        await self._send(OrderRefused(cloid, reason))

    async def order_cancelled(
        self, cloid: Cloid | None = None, oid: int | None = None, reason: str | None = None
    ) -> None:
        if cloid is None and oid is None:
            raise ValueError("order_cancelled needs a cloid or an oid")
        await self._send(OrderEnded(cloid, oid, reason))

    async def order_outcome_unknown(self, cloid: Cloid) -> None:
        await self._send(OrderInFlight(cloid))

    # resync

    async def snapshot(
        self, snapshot: AccountSnapshot, *, force_cause: str | None = None
    ) -> SnapshotOutcome:
        """Offer a resync snapshot; ``force_cause`` adopts it despite blockers
        (see :meth:`TrackerState.adopt_snapshot`)."""
        reply = _Reply()
        await self._send(SnapshotMessage(snapshot, reply, force_cause))
        outcome: SnapshotOutcome = await reply.wait()
        return outcome

    # queries

    async def position(self, coin: str) -> Decimal:
        result: Decimal = await self._ask(lambda s: s.position(coin))
        return result

    async def positions(self) -> dict[str, Decimal]:
        result: dict[str, Decimal] = await self._ask(TrackerState.positions)
        return result

    async def open_orders(self) -> list[OrderState]:
        result: list[OrderState] = await self._ask(TrackerState.open_orders)
        return result

    async def own_open_orders(self) -> list[OrderState]:
        result: list[OrderState] = await self._ask(TrackerState.own_open_orders)
        return result

    async def foreign_open_orders(self) -> list[OrderState]:
        result: list[OrderState] = await self._ask(TrackerState.foreign_open_orders)
        return result

    async def non_perp_fills(self) -> dict[str, Decimal]:
        result: dict[str, Decimal] = await self._ask(TrackerState.non_perp_fills)
        return result

    async def unconfirmed(self) -> list[Unconfirmed]:
        result: list[Unconfirmed] = await self._ask(TrackerState.unconfirmed)
        return result

    async def oldest_unconfirmed_age_ms(self) -> int | None:
        result: int | None = await self._ask(lambda s: s.oldest_unconfirmed_age_ms())
        return result

    async def orders(self) -> list[OrderState]:
        result: list[OrderState] = await self._ask(TrackerState.orders)
        return result

    async def order(self, cloid: Cloid | None = None, oid: int | None = None) -> OrderState | None:
        result: OrderState | None = await self._ask(lambda s: s.order(cloid, oid))
        return result

    async def stats(self) -> TrackerStats:
        result: TrackerStats = await self._ask(TrackerState.stats)
        return result

    async def drift_events(self) -> list[DriftEvent]:
        result: list[DriftEvent] = await self._ask(TrackerState.drift_events)
        return result

    async def overfill_events(self) -> list[OverfillEvent]:
        result: list[OverfillEvent] = await self._ask(TrackerState.overfill_events)
        return result
