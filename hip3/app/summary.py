"""What a run reports: :class:`LiveState` while it runs, :class:`TradeSummary` at the end."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from hip3.app.divergence import DivergenceReport
from hip3.app.monitor import FillRecord
from hip3.bot import BotSummary, OrderTally
from hip3.domain import OrderState
from hip3.types import Side

__all__ = ["LiveState", "OrderCounts", "TradeSummary", "decimal_text", "token_amounts_text"]


def decimal_text(value: Decimal) -> str:
    """A decimal as the venue writes it: no exponent, no trailing zeros, never ``-0``."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def token_amounts_text(amounts: Mapping[str, Decimal] | None) -> str:
    """Amounts of several tokens side by side, never added: ``"1.5 USDC, -0.2 USDH"``;
    ``"0"`` when there are none, ``"?"`` when unknown (None)."""
    if amounts is None:
        return "?"
    parts = [f"{decimal_text(amount)} {token}" for token, amount in sorted(amounts.items())]
    return ", ".join(parts) if parts else "0"


def _amounts_json(amounts: Mapping[str, Decimal] | None) -> dict[str, str] | None:
    """``{token: amount}`` as JSON (one entry per token, none added together)."""
    if amounts is None:
        return None
    return {token: decimal_text(amount) for token, amount in sorted(amounts.items())}


def _positions_json(positions: Mapping[str, Decimal] | None) -> dict[str, str] | None:
    if positions is None:
        return None
    return {coin: decimal_text(sz) for coin, sz in sorted(positions.items()) if sz != 0}


@attrs.frozen
class OrderCounts:
    """The run's orders, each counted once by its latest known state (not intents).

    ``placed`` orders were sent; each is then one of ``filled`` (including quotes that
    rested first and were filled by the stream), ``cancelled``, ``venue_rejections``,
    ``resting`` (still open) or ``untracked`` (ended, end forgotten). ``rejected`` is
    ``venue_rejections + gate_rejections`` (gate-refused orders were never sent);
    ``partially_filled`` counts cancelled or resting orders that filled in part;
    ``unknown_outcomes`` orders whose post answer was lost (resolved by cloid). How the
    intents themselves ended (a Cancel refused because its order had filled, ...) is
    :attr:`TradeSummary.intents`, not here. The live view and the final summary both
    come from :class:`~hip3.bot.OrderTally`, so they count the same way.
    """

    placed: int = 0
    filled: int = 0
    partially_filled: int = 0
    resting: int = 0
    cancelled: int = 0
    rejected: int = 0
    venue_rejections: int = 0
    gate_rejections: int = 0
    untracked: int = 0
    unknown_outcomes: int = 0

    @classmethod
    def from_tally(cls, tally: OrderTally, *, unknown_outcomes: int = 0) -> OrderCounts:
        return cls(
            placed=tally.placed,
            filled=tally.filled,
            partially_filled=tally.partially_filled,
            resting=tally.resting,
            cancelled=tally.cancelled,
            rejected=tally.rejected,
            venue_rejections=tally.venue_rejections,
            gate_rejections=tally.gate_rejections,
            untracked=tally.untracked,
            unknown_outcomes=unknown_outcomes,
        )

    @classmethod
    def final(cls, summary: BotSummary) -> OrderCounts:
        return cls.from_tally(summary.orders, unknown_outcomes=summary.unknown_outcomes)

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
    #: per token ({"USDC": ..., "USDH": ...}): amounts of different tokens are never added
    realized_pnl: dict[str, Decimal]
    fees: dict[str, Decimal]
    orders: OrderCounts
    drift_events: int
    snapshots_adopted: int
    snapshots_deferred: int
    duplicates_dropped: int
    stopping: bool = False
    #: new trades of the bot's own orders / of anyone else's on the account
    own_fills: int = 0
    foreign_fills: int = 0
    #: open orders on the account that the bot did not send (a person's)
    foreign_open_orders: int = 0
    #: how long the oldest fill the venue reported has been missing (None: none is)
    unconfirmed_age_secs: float | None = None
    #: the longest the tracker has differed from the simulator's truth (sim only)
    max_divergence_secs: float | None = None
    #: the venue's dead-man's switch: "protected", "arming", "UNPROTECTED: <the venue's
    #: reason>" (see hip3.executor.deadman); None when the bot keeps none
    dead_mans_switch: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "elapsed_secs": round(self.elapsed_secs, 3),
            "mode": self.mode,
            "account": self.account,
            "positions": _positions_json(self.positions),
            "open_orders": [_order_json(o) for o in self.open_orders],
            "recent_fills": [f.to_json() for f in self.recent_fills],
            "fills": self.fills,
            "realized_pnl": _amounts_json(self.realized_pnl),
            "fees": _amounts_json(self.fees),
            "orders": self.orders.to_json(),
            "drift_events": self.drift_events,
            "snapshots_adopted": self.snapshots_adopted,
            "snapshots_deferred": self.snapshots_deferred,
            "duplicates_dropped": self.duplicates_dropped,
            "own_fills": self.own_fills,
            "foreign_fills": self.foreign_fills,
            "foreign_open_orders": self.foreign_open_orders,
            "unconfirmed_age_secs": self.unconfirmed_age_secs,
            "max_divergence_secs": self.max_divergence_secs,
            "dead_mans_switch": self.dead_mans_switch,
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
    #: per token ({"USDC": ..., "USDH": ...}): amounts of different tokens are never added
    realized_pnl: dict[str, Decimal]
    fees: dict[str, Decimal]
    unrealized_pnl: dict[str, Decimal] | None
    sim: dict[str, Any] | None = None
    errors: list[str] = attrs.field(factory=list)
    #: how each intent ended, by kind and outcome status ({"place": {"filled": n, ...}})
    intents: dict[str, dict[str, int]] = attrs.field(factory=dict)
    #: fills the feeds delivered, duplicates and snapshot replays included
    fill_deliveries: int = 0
    #: the account beyond the bot's markets: dexes followed, own vs foreign fills,
    #: a person's open orders left alone, spot and outcome trades kept apart
    whole_account: dict[str, Any] = attrs.field(factory=dict)
    #: fills the venue reported but the stream had not delivered: the oldest gap at the
    #: end, snapshots adopted despite blockers, the FillWatch's counters
    unconfirmed: dict[str, Any] = attrs.field(factory=dict)
    #: how long the tracker differed from the venue's truth (embedded simulator only)
    divergence: DivergenceReport | None = None
    #: the venue's dead-man's switch at the end (protection, reason, refusals, watchdog
    #: cancels); None when the bot kept none
    dead_mans_switch: dict[str, Any] | None = None
    #: the venue's refusals by typed reason (``hip3.risk.rejects.VenueReject`` values)
    venue_rejects: dict[str, int] = attrs.field(factory=dict)
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

    def disagreement(self) -> str | None:
        """Why the run broke hip3's promise (tracker == exchange, no unexplained drift),
        as one sentence naming the coins; None when it kept it (or, in paper mode, when
        there was no exchange to compare with)."""
        if self.exchange_positions is not None and not self.positions_match:
            ours = _positions_json(self.positions) or {}
            theirs = _positions_json(self.exchange_positions) or {}
            differing = [
                f"{coin} tracker {ours.get(coin, '0')} exchange {theirs.get(coin, '0')}"
                for coin in sorted(set(ours) | set(theirs))
                if ours.get(coin) != theirs.get(coin)
            ]
            return "the tracker disagrees with the exchange: " + "; ".join(differing)
        if self.drift_events:
            return f"{self.drift_events} unexplained drift event(s) during the run"
        return None

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
            "intents": {kind: dict(counts) for kind, counts in self.intents.items()},
            "fill_deliveries": self.fill_deliveries,
            "resync": self.resync,
            "dedup": self.dedup,
            "pnl": {
                "realized": _amounts_json(self.realized_pnl),
                "fees": _amounts_json(self.fees),
                "unrealized": _amounts_json(self.unrealized_pnl),
            },
            "whole_account": self.whole_account,
            "unconfirmed": self.unconfirmed,
            "max_divergence_secs": (
                None if self.divergence is None else round(self.divergence.max_divergence_secs, 3)
            ),
            "divergence_fraction": (
                None if self.divergence is None else round(self.divergence.divergence_fraction, 4)
            ),
            "divergence": None if self.divergence is None else self.divergence.to_json(),
            "sim": self.sim,
            "errors": list(self.errors),
            "dead_mans_switch": self.dead_mans_switch,
            "venue_rejects": dict(self.venue_rejects),
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
