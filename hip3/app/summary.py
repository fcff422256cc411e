"""What a run reports: :class:`LiveState` while it runs, :class:`TradeSummary` at the end."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from hip3.app.monitor import FillRecord
from hip3.bot import BotSummary
from hip3.domain import OrderState
from hip3.executor import OutcomeStatus
from hip3.types import Side

__all__ = ["LiveState", "OrderCounts", "TradeSummary", "decimal_text"]


def decimal_text(value: Decimal) -> str:
    """A decimal as the venue writes it: no exponent, no trailing zeros, never ``-0``."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _positions_json(positions: Mapping[str, Decimal] | None) -> dict[str, str] | None:
    if positions is None:
        return None
    return {coin: decimal_text(sz) for coin, sz in sorted(positions.items()) if sz != 0}


@attrs.frozen
class OrderCounts:
    """How the intents of a run ended, plus what the executor saw."""

    placed: int = 0
    filled: int = 0
    resting: int = 0
    rejected: int = 0
    cancelled: int = 0
    gate_rejections: int = 0
    unknown_outcomes: int = 0

    @classmethod
    def live(cls, counts: Mapping[OutcomeStatus, int]) -> OrderCounts:
        """From outcome counts by status while the bot runs (placed = rested or filled)."""
        filled = counts.get(OutcomeStatus.FILLED, 0)
        resting = counts.get(OutcomeStatus.RESTING, 0)
        return cls(
            placed=filled + resting,
            filled=filled,
            resting=resting,
            rejected=counts.get(OutcomeStatus.REJECTED, 0),
            cancelled=counts.get(OutcomeStatus.CANCELLED, 0),
        )

    @classmethod
    def final(cls, summary: BotSummary) -> OrderCounts:
        return cls(
            placed=summary.orders_placed,
            filled=summary.orders_filled,
            resting=summary.orders_resting,
            rejected=summary.orders_rejected,
            cancelled=summary.orders_cancelled,
            gate_rejections=summary.gate_rejections,
            unknown_outcomes=summary.unknown_outcomes,
        )

    def to_json(self) -> dict[str, int]:
        return attrs.asdict(self)


@attrs.frozen
class LiveState:
    """A running bot at one instant, for a live view or a notebook's ``bot.state()``."""

    elapsed_secs: float
    mode: str
    account: str
    positions: dict[str, Decimal]
    open_orders: list[OrderState]
    recent_fills: list[FillRecord]
    fills: int
    realized_pnl: Decimal
    fees: Decimal
    orders: OrderCounts
    drift_events: int
    snapshots_adopted: int
    snapshots_deferred: int
    duplicates_dropped: int
    stopping: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "elapsed_secs": round(self.elapsed_secs, 3),
            "mode": self.mode,
            "account": self.account,
            "positions": _positions_json(self.positions),
            "open_orders": [_order_json(o) for o in self.open_orders],
            "recent_fills": [f.to_json() for f in self.recent_fills],
            "fills": self.fills,
            "realized_pnl": decimal_text(self.realized_pnl),
            "fees": decimal_text(self.fees),
            "orders": self.orders.to_json(),
            "drift_events": self.drift_events,
            "snapshots_adopted": self.snapshots_adopted,
            "snapshots_deferred": self.snapshots_deferred,
            "duplicates_dropped": self.duplicates_dropped,
        }


def _order_json(order: OrderState) -> dict[str, Any]:
    return {
        "coin": order.coin,
        "side": "buy" if order.side is Side.BUY else "sell",
        "limit_px": decimal_text(order.limit_px),
        "orig_sz": decimal_text(order.orig_sz),
        "filled_sz": decimal_text(order.filled_sz),
        "status": order.status.value,
        "oid": order.oid,
        "cloid": order.cloid.hex if order.cloid is not None else None,
    }


@attrs.frozen
class TradeSummary:
    """The end of a run: the tracker's positions beside the exchange's, and every counter.

    ``positions`` are the tracker's, ``exchange_positions`` what ``clearinghouseState``
    said at shutdown (None in paper mode, or when it could not be fetched);
    ``drift_events`` counts unexplained disagreements found by resyncs (the target is 0;
    a dex's first snapshot setting the baseline is not one); ``drift_explained`` counts
    disagreements that fills delivered late (after the snapshot, from inside the window
    it covered) accounted for in full -- the snapshot merely overtook userFills.
    """

    mode: str
    network: str
    account: str
    markets: tuple[str, ...]
    duration_secs: float
    interrupted: bool
    fills: int
    positions: dict[str, Decimal]
    exchange_positions: dict[str, Decimal] | None
    drift: list[Any]
    drift_explained: int
    orders: OrderCounts
    resync: dict[str, Any]
    dedup: dict[str, Any]
    realized_pnl: Decimal
    fees: Decimal
    unrealized_pnl: Decimal | None
    sim: dict[str, Any] | None = None
    errors: list[str] = attrs.field(factory=list)
    bot: BotSummary | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def drift_events(self) -> int:
        return len(self.drift)

    @property
    def positions_match(self) -> bool:
        """True when the exchange was asked and agrees with the tracker on every coin."""
        if self.exchange_positions is None:
            return False
        return _positions_json(self.positions) == _positions_json(self.exchange_positions)

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "network": self.network,
            "account": self.account,
            "markets": list(self.markets),
            "duration_secs": round(self.duration_secs, 3),
            "interrupted": self.interrupted,
            "fills": self.fills,
            "positions": _positions_json(self.positions),
            "exchange_positions": _positions_json(self.exchange_positions),
            # null when the exchange was not asked (paper mode) or did not answer
            "positions_match": None if self.exchange_positions is None else self.positions_match,
            "drift_events": self.drift_events,
            "drift": [_drift_json(event) for event in self.drift],
            "drift_explained": self.drift_explained,
            "orders": self.orders.to_json(),
            "resync": self.resync,
            "dedup": self.dedup,
            "pnl": {
                "realized": decimal_text(self.realized_pnl),
                "fees": decimal_text(self.fees),
                "unrealized": (
                    None if self.unrealized_pnl is None else decimal_text(self.unrealized_pnl)
                ),
            },
            "sim": self.sim,
            "errors": list(self.errors),
        }


def _drift_json(event: Any) -> dict[str, Any]:
    def text(name: str) -> str | None:
        value = getattr(event, name, None)
        return decimal_text(value) if isinstance(value, Decimal) else None

    return {
        "coin": getattr(event, "coin", None),
        "local": text("local"),
        "exchange": text("exchange"),
        "delta": text("delta"),
        "time_ms": getattr(event, "time_ms", None),
        "cause": getattr(event, "cause", None),
    }
