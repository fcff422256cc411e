"""Pre-trade risk gates: pure checks of one intent against a read-only view.

The gates never mutate anything and never do I/O: the executor builds a
:class:`RiskView` from the tracker (positions, open orders), the book feeds
(market data), the rate limiter (budget) and the kill switch, then asks
:meth:`RiskGates.check`. A rejection names the gate and says why.

Cancels always pass: reducing exposure must stay possible when everything
else is refused (kill switch engaged, data stale, budget spent).

The gates read intents structurally (:class:`PricedIntent`) rather than
importing ``hip3.executor``, which depends on them: anything with a price and
a size is an order to check, anything else (Cancel, CancelAll) passes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Protocol

import attrs

from hip3.domain import OrderState
from hip3.risk.market_state import MarketStates
from hip3.types import Side, wire_decimal

__all__ = [
    "GATES",
    "KillSwitch",
    "MarketData",
    "MarketLimits",
    "PricedIntent",
    "RiskGates",
    "RiskLimits",
    "RiskRejection",
    "RiskView",
]

_BPS = Decimal(10_000)

#: Gate names, in the order they are checked.
GATES = (
    "kill_switch",
    "rate_limit",
    "market_halted",
    "stale_oracle",
    "stale_data",
    "price_band",
    "max_open_orders",
    "oi_cap",
    "max_position",
    "max_notional",
    "max_notional_per_token",
)


class PricedIntent(Protocol):
    """An order intent as the gates see it (``PlaceOrder``, ``Modify``)."""

    @property
    def coin(self) -> str: ...

    @property
    def side(self) -> Side: ...

    @property
    def limit_px(self) -> Decimal: ...

    @property
    def sz(self) -> Decimal: ...

    @property
    def reduce_only(self) -> bool: ...


@attrs.frozen(slots=True)
class RiskRejection:
    """Why an intent was refused: ``gate`` is one of :data:`GATES`."""

    gate: str
    reason: str

    def __str__(self) -> str:
        return f"{self.gate}: {self.reason}"


@attrs.frozen(slots=True)
class MarketData:
    """The latest prices known for one market and when they were seen (local ms)."""

    coin: str
    time_ms: int
    mid: Decimal | None = None
    mark: Decimal | None = None
    oracle: Decimal | None = None

    @property
    def reference_px(self) -> Decimal | None:
        """The price bands are measured against: mark, else oracle, else mid."""
        for value in (self.mark, self.oracle, self.mid):
            if value is not None and value > 0:
                return value
        return None


@attrs.frozen(slots=True)
class MarketLimits:
    """Per-market caps; None means no cap. Position is in coin units, notional in the
    market's collateral token (USDC on the main dex, USDH... on some HIP-3 dexes)."""

    max_position_sz: Decimal | None = None
    max_notional_usd: Decimal | None = None


@attrs.frozen(slots=True)
class RiskLimits:
    """All limits the gates enforce.

    ``per_market`` overrides ``default`` for the coins it names.
    ``max_data_age_ms`` bounds how old the market data may be when an order is
    priced from it; ``min_rate_budget`` is the rate-limit weight that must stay
    available (the venue answers 429 below zero, and cancels need budget too).
    """

    default: MarketLimits = MarketLimits()
    per_market: Mapping[str, MarketLimits] = attrs.field(factory=dict)
    max_open_orders: int | None = None
    price_band_bps: Decimal | None = None
    max_data_age_ms: int | None = None
    min_rate_budget: float = 0.0
    #: an oracle price unchanged for longer gates the market (a deployer's oracle stopped)
    max_oracle_age_ms: int | None = None
    #: caps on the summed |notional| of every perp position settled in one token
    #: (``{"USDC": 5000, "USDH": 2000}``): amounts of different tokens are never added
    max_notional_per_token: Mapping[str, Decimal] = attrs.field(factory=dict)

    def for_market(self, coin: str) -> MarketLimits:
        return self.per_market.get(coin, self.default)


@attrs.frozen(slots=True)
class RiskView:
    """Everything the gates look at, captured at one instant."""

    now_ms: int
    positions: Mapping[str, Decimal] = attrs.field(factory=dict)
    open_orders: Sequence[OrderState] = ()
    market_data: Mapping[str, MarketData] = attrs.field(factory=dict)
    rate_budget: float = float("inf")
    kill_reason: str | None = None


class KillSwitch:
    """Once engaged, no new order passes the gates; the bot cancels everything.

    It stays engaged until :meth:`reset` (an operator's decision, not the bot's).
    """

    def __init__(self) -> None:
        self._reason: str | None = None

    @property
    def engaged(self) -> bool:
        return self._reason is not None

    @property
    def reason(self) -> str | None:
        return self._reason

    def engage(self, reason: str) -> None:
        if self._reason is None:  # the first reason is the one worth keeping
            self._reason = reason

    def reset(self) -> None:
        self._reason = None


@attrs.frozen(slots=True)
class RiskGates:
    """The checks run before an order leaves the process.

    With ``states`` (HIP-3 market states, :mod:`hip3.risk.market_state`) a halted or delisted
    market takes no order, one at its open-interest cap no position increase, and one whose
    oracle is older than ``limits.max_oracle_age_ms`` no order that is not reduce-only.
    """

    limits: RiskLimits
    states: MarketStates | None = None
    #: the token a perp coin settles in (None: not a perp, or unknown); needed by
    #: ``limits.max_notional_per_token``
    collateral_of: Callable[[str], str | None] | None = None

    def check(self, intent: object, view: RiskView) -> RiskRejection | None:
        """None when ``intent`` may be sent, else the first gate that refuses it."""
        if not (hasattr(intent, "limit_px") and hasattr(intent, "sz") and hasattr(intent, "side")):
            return None  # a cancel: always allowed
        return self._check_order(intent, view)  # type: ignore[arg-type]

    def _check_order(self, intent: PricedIntent, view: RiskView) -> RiskRejection | None:
        limits = self.limits
        coin = intent.coin
        if view.kill_reason is not None:
            return RiskRejection("kill_switch", f"kill switch engaged: {view.kill_reason}")
        # One order costs weight 1 (exchange_weight of a single-order batch).
        if view.rate_budget < limits.min_rate_budget + 1:
            return RiskRejection(
                "rate_limit",
                f"rate-limit budget {view.rate_budget:g} would fall below the reserve "
                f"{limits.min_rate_budget:g}",
            )
        status = self.states.get(coin) if self.states is not None else None
        if status is not None and (status.halted or status.delisted):
            why = "delisted" if status.delisted else f"halted ({status.reason})"
            return RiskRejection("market_halted", f"{coin} is {why}")
        if (
            status is not None
            and limits.max_oracle_age_ms is not None
            and not intent.reduce_only
            and status.oracle_ms is not None
            and view.now_ms - status.oracle_ms > limits.max_oracle_age_ms
        ):
            return RiskRejection(
                "stale_oracle",
                f"{coin} oracle unchanged for {view.now_ms - status.oracle_ms} ms "
                f"(max {limits.max_oracle_age_ms} ms)",
            )
        data = view.market_data.get(coin)
        if limits.max_data_age_ms is not None:
            if data is None:
                return RiskRejection("stale_data", f"no market data for {coin}")
            age_ms = view.now_ms - data.time_ms
            if age_ms > limits.max_data_age_ms:
                return RiskRejection(
                    "stale_data",
                    f"market data for {coin} is {age_ms} ms old (max {limits.max_data_age_ms} ms)",
                )
        if limits.price_band_bps is not None:
            reference = data.reference_px if data is not None else None
            if reference is None:
                return RiskRejection("price_band", f"no mark/oracle/mid price for {coin}")
            distance_bps = abs(intent.limit_px - reference) / reference * _BPS
            if distance_bps > limits.price_band_bps:
                return RiskRejection(
                    "price_band",
                    f"px {wire_decimal(intent.limit_px)} is {distance_bps:.1f} bps from "
                    f"{wire_decimal(reference)} (band {wire_decimal(limits.price_band_bps)} bps)",
                )
        replaced = _replaced_order(intent, view.open_orders)
        open_orders = [o for o in view.open_orders if not o.status.is_terminal]
        if (
            limits.max_open_orders is not None
            and replaced is None
            and not _is_modify(intent)
            and len(open_orders) + 1 > limits.max_open_orders
        ):
            return RiskRejection(
                "max_open_orders",
                f"{len(open_orders)} orders open, one more exceeds {limits.max_open_orders}",
            )
        if intent.reduce_only:
            return None  # cannot grow the position; the venue clamps it to the position
        market = limits.for_market(coin)
        # Worst case: every open order on this side fills, then this one too.
        same_side = sum(
            (
                o.orig_sz - o.filled_sz
                for o in open_orders
                if o.coin == coin and o.side is intent.side and o is not replaced
            ),
            Decimal(0),
        )
        position = view.positions.get(coin, Decimal(0))
        projected = position + intent.side.sign * (same_side + intent.sz)
        growing = abs(projected) > abs(position)
        if (
            status is not None
            and status.at_oi_cap
            and abs(position + intent.side.sign * intent.sz) > abs(position)
        ):
            return RiskRejection(
                "oi_cap", f"{coin} is at its open-interest cap: no position increase"
            )
        if (
            market.max_position_sz is not None
            and growing
            and abs(projected) > market.max_position_sz
        ):
            return RiskRejection(
                "max_position",
                f"{coin} position {wire_decimal(position)} would reach {wire_decimal(projected)} "
                f"(max {wire_decimal(market.max_position_sz)})",
            )
        token = self.collateral_of(coin) if self.collateral_of is not None else None
        if market.max_notional_usd is not None and growing:
            notional = abs(projected) * intent.limit_px
            if notional > market.max_notional_usd:
                return RiskRejection(
                    "max_notional",
                    f"{coin} notional would reach {notional:.2f} {token or 'USD'} "
                    f"(max {wire_decimal(market.max_notional_usd)})",
                )
        cap = limits.max_notional_per_token.get(token) if token is not None else None
        if cap is not None and growing:
            return self._token_notional(coin, token, cap, abs(projected) * intent.limit_px, view)
        return None

    def _token_notional(
        self, coin: str, token: str | None, cap: Decimal, own: Decimal, view: RiskView
    ) -> RiskRejection | None:
        """Every other perp position settled in ``token`` (the whole account's, as the
        tracker knows it) at its latest price, plus ``own``: refused above ``cap``. A
        position with no known price cannot be bounded, so it refuses too, naming it."""
        assert self.collateral_of is not None
        total = own
        for other, size in view.positions.items():
            if other == coin or size == 0 or self.collateral_of(other) != token:
                continue
            data = view.market_data.get(other)
            px = data.reference_px if data is not None else None
            if px is None:
                return RiskRejection(
                    "max_notional_per_token",
                    f"no price for the {other} position: the {token} notional cannot be bounded",
                )
            total += abs(size) * px
        if total > cap:
            return RiskRejection(
                "max_notional_per_token",
                f"{token} notional of the account would reach {total:.2f} {token} "
                f"(max {wire_decimal(cap)})",
            )
        return None


def _is_modify(intent: PricedIntent) -> bool:
    return hasattr(intent, "new_cloid")  # Modify names its replacement; PlaceOrder does not


def _replaced_order(intent: PricedIntent, orders: Sequence[OrderState]) -> OrderState | None:
    """The open order a Modify replaces (its size must not count twice)."""
    if not _is_modify(intent):
        return None
    cloid = getattr(intent, "cloid", None)
    oid = getattr(intent, "oid", None)
    for order in orders:
        if (cloid is not None and order.cloid == cloid) or (oid is not None and order.oid == oid):
            return order
    return None
