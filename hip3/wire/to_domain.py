"""Wire objects -> :mod:`hip3.domain` records: the only module that knows both.

The wire classes already hold Decimals and Sides (:mod:`hip3.wire.codec` decoded
them); here cloid strings become :class:`~hip3.types.Cloid`, and what the domain
refuses although the JSON was well-formed (a fill of size zero, a snapshot
without a time, a malformed cloid) raises :class:`~hip3.errors.WireError`
naming the field.

The ``*_from_json`` helpers take the venue's JSON already parsed (as the journal
hands it over), structure it with :mod:`hip3.wire.codec` and convert it in one
step. (REST answers are decoded from their bytes by :class:`hip3.clients.InfoClient`.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from hip3.domain import (
    AccountSnapshot,
    CancelResult,
    CancelSuccess,
    Fill,
    Filled,
    OrderResult,
    OrderUpdate,
    PositionSnapshot,
    Rejected,
    Resting,
    Waiting,
)
from hip3.errors import ExchangeError, ValidationError, WireError
from hip3.types import Cloid
from hip3.wire import models as m
from hip3.wire.codec import structure

__all__ = [
    "CancelResult",
    "CancelSuccess",
    "DecodedFills",
    "Filled",
    "OrderResult",
    "Rejected",
    "Resting",
    "Waiting",
    "account_snapshot",
    "account_snapshot_from_json",
    "cancel_results",
    "decode_fills",
    "fill_to_domain",
    "fills_from_json",
    "fills_to_domain",
    "open_order_to_update",
    "order_results",
    "order_status_to_update",
    "order_update_to_domain",
    "order_updates_from_json",
]


def _dec(value: Decimal | str | None, kind: str, field: str) -> Decimal:
    try:
        result = Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise WireError(f"not a decimal number: {value!r:.40}", kind=kind, field=field) from None
    if not result.is_finite():
        raise WireError(f"not a finite number: {value!r:.40}", kind=kind, field=field)
    return result


def _cloid(value: str | m.Absent | None, kind: str) -> Cloid | None:
    if value is None or value is m.ABSENT:
        return None
    try:
        return Cloid.from_str(value)
    except ValidationError:
        raise WireError(f"invalid cloid {value!r:.40}", kind=kind, field="cloid") from None


# ---------------------------------------------------------------------------
# Fills and order updates
# ---------------------------------------------------------------------------


def fill_to_domain(fill: m.WireFill) -> Fill:
    """A venue fill as a :class:`hip3.domain.Fill` (``tid`` None on pre-2024 recordings)."""
    kind = "fill"
    sz = fill.sz
    if sz <= 0:
        raise WireError(f"fill size must be positive, got {str(sz)!r}", kind=kind, field="sz")
    cloid = fill.cloid
    return Fill(
        coin=fill.coin,
        px=fill.px,
        sz=sz,
        side=fill.side,
        time_ms=fill.time,
        oid=fill.oid,
        tid=fill.tid,
        cloid=None if cloid is None else _cloid(cloid, kind),
        start_position=fill.start_position,
        dir=fill.dir,
        closed_pnl=fill.closed_pnl,
        fee=fill.fee,
        fee_token=fill.fee_token,
        crossed=fill.crossed,
        hash=fill.hash,
        liquidation=fill.liquidation is not None,
    )


def fills_to_domain(fills: Iterable[m.WireFill]) -> list[Fill]:
    return [fill_to_domain(f) for f in fills]


def fills_from_json(fills: Any) -> list[Fill]:
    """A JSON array of venue fills (``userFills`` data's ``fills``, or an info answer).

    Strict: one bad element refuses the batch. The bot's feeds and backfills use
    :func:`decode_fills`, which keeps the good ones.
    """
    return fills_to_domain(structure(fills, list[m.WireFill], kind="fills"))


@attrs.frozen
class DecodedFills:
    """The good fills of a batch, and how many elements were refused (``first_error``
    names the first: its index and the field)."""

    fills: list[Fill]
    skipped: int = 0
    first_error: str | None = None


def decode_fills(data: Any, *, kind: str = "fills") -> DecodedFills:
    """A JSON array of venue fills, element by element: a malformed fill (a missing
    ``startPosition``, ``hash: null``, ``sz "0.0"``...) is skipped and counted, never
    the batch -- one bad element must not hide the others, nor stall a backfill window
    that would otherwise start before it forever."""
    if not isinstance(data, list):
        raise WireError(f"expected an array of fills, got {type(data).__name__}", kind=kind)
    try:
        return DecodedFills(fills_from_json(data))  # the fast path: every element good
    except WireError:
        pass
    fills: list[Fill] = []
    skipped = 0
    first_error: str | None = None
    for index, element in enumerate(data):
        try:
            fills.append(fill_to_domain(structure(element, m.WireFill, kind=kind)))
        except WireError as exc:
            skipped += 1
            if first_error is None:
                first_error = f"[{index}]: {exc}"
    return DecodedFills(fills, skipped, first_error)


def order_update_to_domain(update: m.WsOrder) -> OrderUpdate:
    """One ``orderUpdates`` element as a :class:`hip3.domain.OrderUpdate`."""
    return _order_update(update, "orderUpdates")


def _order_update(entry: m.WsOrder | m.OrderStatusOrder, kind: str) -> OrderUpdate:
    """An order with its status (``orderUpdates`` element, ``orderStatus``'s ``order``)."""
    order = entry.order
    return OrderUpdate(
        coin=order.coin,
        oid=order.oid,
        side=order.side,
        limit_px=order.limit_px,
        sz=order.sz,
        orig_sz=order.orig_sz,
        status=entry.status,
        status_time_ms=entry.status_timestamp,
        timestamp_ms=order.timestamp,
        cloid=_cloid(order.cloid, kind),
        reduce_only=bool(order.reduce_only),
    )


def order_updates_from_json(data: Any) -> list[OrderUpdate]:
    """An ``orderUpdates`` message's data (a JSON array of WsOrder)."""
    updates: m.WsOrderUpdates = structure(data, m.WsOrderUpdates, kind="orderUpdates")
    return [order_update_to_domain(u) for u in updates.orders]


def open_order_to_update(order: m.OpenOrder) -> OrderUpdate:
    """An ``openOrders`` entry as an ``"open"`` OrderUpdate (the order as it rests now)."""
    kind = "openOrders"
    sz = order.sz
    return OrderUpdate(
        coin=order.coin,
        oid=order.oid,
        side=order.side,
        limit_px=order.limit_px,
        sz=sz,
        orig_sz=sz if order.orig_sz is None else order.orig_sz,
        status="open",
        status_time_ms=order.timestamp,
        timestamp_ms=order.timestamp,
        cloid=_cloid(order.cloid, kind),
        reduce_only=bool(order.reduce_only),
    )


def order_status_to_update(response: m.OrderStatusResponse) -> OrderUpdate | None:
    """An ``orderStatus`` answer as an OrderUpdate; None for ``unknownOid``."""
    if response.order is None:
        if response.status == "order":
            raise WireError("status 'order' without 'order'", kind="orderStatus", field="order")
        return None
    return _order_update(response.order, "orderStatus")


# ---------------------------------------------------------------------------
# Account snapshots
# ---------------------------------------------------------------------------


def account_snapshot(
    dex: str, state: m.ClearinghouseState, *, collateral_token: str = "USDC"
) -> AccountSnapshot:
    """A dex's ``clearinghouseState`` as an AccountSnapshot (flat positions left out).

    The snapshot's ``time`` is what makes it usable for a resync (fills after
    it are applied on top); a state without ``time`` (2023 recordings) is
    refused with a WireError rather than given a made-up time.
    """
    kind = "clearinghouseState"
    if state.time is None:
        raise WireError(
            "no 'time': the snapshot cannot be ordered against fills", kind=kind, field="time"
        )
    positions: dict[str, PositionSnapshot] = {}
    for asset_position in state.asset_positions:
        p = asset_position.position
        if p.szi == 0:
            continue
        positions[p.coin] = PositionSnapshot(
            coin=p.coin,
            szi=p.szi,
            entry_px=p.entry_px,
            unrealized_pnl=p.unrealized_pnl,
            liquidation_px=p.liquidation_px,
            margin_used=p.margin_used,
            leverage_type=p.leverage.type,
            leverage=p.leverage.value,
            position_value=p.position_value,
        )
    return AccountSnapshot(
        dex=dex,
        collateral_token=collateral_token,
        time_ms=state.time,
        positions=positions,
        account_value=state.margin_summary.account_value,
        withdrawable=state.withdrawable,
        total_margin_used=state.margin_summary.total_margin_used,
    )


def account_snapshot_from_json(
    dex: str, data: Any, *, collateral_token: str = "USDC"
) -> AccountSnapshot:
    """The venue's ``clearinghouseState`` JSON for ``dex`` as an AccountSnapshot."""
    state: m.ClearinghouseState = structure(data, m.ClearinghouseState, kind="clearinghouseState")
    return account_snapshot(dex, state, collateral_token=collateral_token)


# ---------------------------------------------------------------------------
# Exchange responses
# ---------------------------------------------------------------------------


def _statuses(response: m.ExchangeResponse, kind: str) -> Sequence[m.StatusEntry]:
    body = response.response
    if response.status == "err" or isinstance(body, str):
        raise ExchangeError(str(body))
    data = body.data
    if not isinstance(data, m.StatusesData):
        raise WireError(
            f"response of type {body.type!r} has no statuses", kind=kind, field="response.data"
        )
    return data.statuses


def _order_result(entry: m.StatusEntry, index: int) -> OrderResult:
    kind = "order"
    if isinstance(entry, m.RestingStatus):
        return Resting(entry.resting.oid, _cloid(entry.resting.cloid, kind))
    if isinstance(entry, m.FilledStatus):
        filled = entry.filled
        where = f"response.data.statuses[{index}].filled"
        return Filled(
            _dec(filled.total_sz, kind, f"{where}.totalSz"),
            _dec(filled.avg_px, kind, f"{where}.avgPx"),
            filled.oid,
            _cloid(filled.cloid, kind),
        )
    if isinstance(entry, m.ErrorStatus):
        return Rejected(entry.error)
    if entry in ("waitingForFill", "waitingForTrigger"):
        return Waiting(entry)
    raise WireError(
        f"unexpected order status {entry!r:.40}",
        kind=kind,
        field=f"response.data.statuses[{index}]",
    )


def order_results(response: m.ExchangeResponse) -> list[OrderResult]:
    """Per-order results of an ``order`` or ``batchModify`` answer, in request order.

    A whole-request refusal (``{"status":"err"}``) raises ExchangeError with the venue's text.
    """
    return [_order_result(e, i) for i, e in enumerate(_statuses(response, "order"))]


def cancel_results(response: m.ExchangeResponse) -> list[CancelResult]:
    """Per-cancel results of a ``cancel``/``cancelByCloid`` answer, in request order."""
    results: list[CancelResult] = []
    for index, entry in enumerate(_statuses(response, "cancel")):
        if entry == "success":
            results.append(CancelSuccess())
        elif isinstance(entry, m.ErrorStatus):
            results.append(Rejected(entry.error))
        else:
            raise WireError(
                f"unexpected cancel status {entry!r:.60}",
                kind="cancel",
                field=f"response.data.statuses[{index}]",
            )
    return results
