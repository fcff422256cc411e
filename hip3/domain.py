"""Domain records: what the rest of hip3 (tracker, executor, bot) works with.

Wire classes (:mod:`hip3.wire`) mirror the venue's JSON field for field and
keep its decimal strings; these records hold Decimals and enums and are what
the tracker's messages carry. :mod:`hip3.wire.to_domain` is the only place that
turns one into the other.
"""

from __future__ import annotations

import abc
import enum
from decimal import Decimal
from typing import Any, Final

import attrs

from hip3.types import Cloid, Side

__all__ = [
    "FILL_FIELDS",
    "LIMITED_MODE_ACTIONS_PER_DAY",
    "ORDER_UPDATE_FIELDS",
    "TERMINAL_ORDER_STATUSES",
    "AccountMode",
    "AccountSnapshot",
    "Fill",
    "OrderState",
    "OrderStatus",
    "OrderUpdate",
    "PositionSnapshot",
    "order_status_from_venue",
]


#: Actions a day the venue allows an account in unified or portfolio-margin mode.
LIMITED_MODE_ACTIONS_PER_DAY = 50_000


class AccountMode(enum.Enum):
    """How the venue keeps the account's money (``userAbstraction``).

    In ``UNIFIED`` and ``PORTFOLIO`` mode collateral and holds live in the spot
    wallet (``spotClearinghouseState``); the money fields of each dex's
    ``clearinghouseState`` are then not the account's and must not be read.
    """

    DISABLED = "disabled"
    DEFAULT = "default"
    UNIFIED = "unifiedAccount"
    PORTFOLIO = "portfolioMargin"
    DEX_ABSTRACTION = "dexAbstraction"

    @classmethod
    def from_venue(cls, value: object) -> AccountMode:
        """The mode named by the venue's answer; anything else -> ValueError naming it."""
        for mode in cls:
            if mode.value == value:
                return mode
        known = ", ".join(mode.value for mode in cls)
        raise ValueError(f"userAbstraction: unknown mode {value!r} (known: {known})")

    @property
    def collateral_in_spot(self) -> bool:
        """Balances and holds are read from ``spotClearinghouseState``."""
        return self in (AccountMode.UNIFIED, AccountMode.PORTFOLIO)

    @property
    def actions_per_day(self) -> int | None:
        """The venue's daily action cap for this mode (None: no such cap)."""
        return LIMITED_MODE_ACTIONS_PER_DAY if self.collateral_in_spot else None


class OrderStatus(enum.Enum):
    """An order's life, as hip3 tracks it. Transitions only move forward.

    ``PENDING`` (sent, no answer yet) → ``RESTING`` → ``PARTIALLY_FILLED`` →
    one of the terminal states ``FILLED``, ``CANCELLED``, ``REJECTED``.
    """

    PENDING = "pending"
    RESTING = "resting"
    PARTIALLY_FILLED = "partiallyFilled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_ORDER_STATUSES

    @property
    def rank(self) -> int:
        """Progress order; a transition to a lower rank is stale and ignored."""
        return _RANK[self]


TERMINAL_ORDER_STATUSES = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED}
)
_RANK = {
    OrderStatus.PENDING: 0,
    OrderStatus.RESTING: 1,
    OrderStatus.PARTIALLY_FILLED: 2,
    OrderStatus.FILLED: 3,
    OrderStatus.CANCELLED: 3,
    OrderStatus.REJECTED: 3,
}


@attrs.frozen(slots=True, eq=False)
class Fill(metaclass=abc.ABCMeta):
    """One trade of the user's: the unit of position accounting.

    ``sz`` is always positive; the position moves by ``side.sign * sz``.
    ``tid`` identifies the trade (unique per user). Recordings from before the
    venue added ``tid`` have ``tid=None``; the tracker then falls back to a
    derived identity (hash, oid, time, px, sz) and says so in its stats.

    A fill decoded from a ws frame (:class:`hip3.wire.frames.FrameFill`, registered
    as a Fill) is made by msgspec in the pass that parses the frame. It keeps the
    venue's decimal strings and makes each :class:`~decimal.Decimal` when it is
    read, checking it then (a malformed one raises
    :class:`~hip3.errors.WireError` naming the field). :meth:`materialized` makes
    them all at once; the tracker calls it only for fills it has not seen, so a
    reconnect's snapshot of duplicates builds no Decimal at all. Both kinds compare,
    hash and print by value: a decoded fill equals the same fill built here.
    """

    coin: str
    px: Decimal
    sz: Decimal
    side: Side
    time_ms: int
    oid: int
    tid: int | None
    cloid: Cloid | None = None
    start_position: Decimal | None = None
    dir: str = ""
    closed_pnl: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    fee_token: str | None = None
    crossed: bool = False
    hash: str | None = None
    liquidation: bool = False

    @property
    def signed_sz(self) -> Decimal:
        return self.sz if self.side is Side.BUY else -self.sz

    def materialized(self) -> Fill:
        """This fill with every value made and checked: itself, for a Fill built from values."""
        return self

    def values(self) -> tuple[Any, ...]:
        """The fields' values, in the constructor's order."""
        return tuple([getattr(self, name) for name in FILL_FIELDS])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fill):
            return NotImplemented
        return self.values() == other.values()

    def __hash__(self) -> int:
        return hash(self.values())


#: The fields of a :class:`Fill`, in its constructor's order.
FILL_FIELDS: Final = tuple(a.name for a in attrs.fields(Fill))


@attrs.frozen(slots=True, eq=False)
class OrderUpdate(metaclass=abc.ABCMeta):
    """A change in an order's life from the venue (``orderUpdates``, ``orderStatus``).

    ``status`` is the venue's raw status string (``"open"``, ``"filled"``,
    ``"canceled"``, ``"marginCanceled"``, ``"rejected"``...); ``sz`` is the
    remaining size and ``orig_sz`` the original. Like :class:`Fill`, one decoded
    from a ws frame keeps the venue's decimal strings until they are read.
    """

    coin: str
    oid: int
    side: Side
    limit_px: Decimal
    sz: Decimal
    orig_sz: Decimal
    status: str
    status_time_ms: int
    timestamp_ms: int = 0
    cloid: Cloid | None = None
    reduce_only: bool = False

    @property
    def order_status(self) -> OrderStatus:
        """The venue's status string mapped onto hip3's state machine."""
        return order_status_from_venue(self.status, remaining=self.sz, original=self.orig_sz)

    def materialized(self) -> OrderUpdate:
        """This update with every value made and checked: itself, when built from values."""
        return self

    def values(self) -> tuple[Any, ...]:
        """The fields' values, in the constructor's order."""
        return tuple([getattr(self, name) for name in ORDER_UPDATE_FIELDS])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OrderUpdate):
            return NotImplemented
        return self.values() == other.values()

    def __hash__(self) -> int:
        return hash(self.values())


#: The fields of an :class:`OrderUpdate`, in its constructor's order.
ORDER_UPDATE_FIELDS: Final = tuple(a.name for a in attrs.fields(OrderUpdate))


def order_status_from_venue(status: str, *, remaining: Decimal, original: Decimal) -> OrderStatus:
    """Map one of the venue's ~30 status strings onto :class:`OrderStatus`."""
    if status in ("open", "triggered"):
        if remaining < original and remaining > 0:
            return OrderStatus.PARTIALLY_FILLED
        return OrderStatus.RESTING
    if status == "filled":
        return OrderStatus.FILLED
    if status.endswith("Rejected") or status == "rejected":
        return OrderStatus.REJECTED
    # canceled, marginCanceled, scheduledCancel, selfTradeCanceled, ... all end the order.
    return OrderStatus.CANCELLED


@attrs.frozen(slots=True)
class PositionSnapshot:
    """One position as the exchange reports it in ``clearinghouseState``."""

    coin: str
    szi: Decimal
    entry_px: Decimal | None = None
    unrealized_pnl: Decimal | None = None
    liquidation_px: Decimal | None = None
    margin_used: Decimal | None = None
    leverage_type: str | None = None
    leverage: int | None = None
    #: ``positionValue``: the size at the mark price, in the dex's collateral token
    position_value: Decimal | None = None

    @property
    def mark_px(self) -> Decimal | None:
        """The mark price the snapshot valued the position at (None when unknown)."""
        if self.position_value is None or self.szi == 0:
            return None
        return abs(self.position_value / self.szi)


@attrs.frozen(slots=True)
class AccountSnapshot:
    """A dex's ``clearinghouseState``: positions as of exchange time ``time_ms``.

    Every fill at or before ``time_ms`` is reflected, none after. Coins absent
    from ``positions`` are flat on that dex. Money fields (``account_value``,
    ``withdrawable``, ``total_margin_used``, unrealized PnL) are amounts of
    ``collateral_token``, the token the dex settles in; in unified and
    portfolio mode (``mode``) they come from the spot wallet's balance of it.
    """

    dex: str
    time_ms: int
    positions: dict[str, PositionSnapshot]
    account_value: Decimal | None = None
    withdrawable: Decimal | None = None
    total_margin_used: Decimal | None = None
    collateral_token: str = "USDC"
    mode: AccountMode = AccountMode.DEFAULT

    def szi(self, coin: str) -> Decimal:
        position = self.positions.get(coin)
        return position.szi if position is not None else Decimal(0)


@attrs.frozen(slots=True)
class OrderState:
    """The tracker's view of one order, as its handle reports it."""

    coin: str
    side: Side
    limit_px: Decimal
    orig_sz: Decimal
    status: OrderStatus
    oid: int | None = None
    cloid: Cloid | None = None
    filled_sz: Decimal = Decimal(0)
    reason: str | None = None
    reduce_only: bool = False
    #: Sent by this bot (announced to the tracker before posting); False for
    #: orders of anyone else on the account (a person trading by hand).
    own: bool = False


# ---------------------------------------------------------------------------
# An order's answer: what the venue said to one order (or cancel) of a post,
# and what ``orderStatus`` by cloid said when that answer was lost. One model,
# from the wire (hip3.wire.convert builds them) to the executor, which matches
# on the union (mypy checks the match is exhaustive).
# ---------------------------------------------------------------------------

__all__ += [
    "CancelResult",
    "CancelSuccess",
    "Filled",
    "OrderAnswer",
    "OrderResult",
    "Rejected",
    "Resolved",
    "Resting",
    "Waiting",
]


@attrs.frozen(slots=True)
class Resting:
    """The order rests on the book."""

    oid: int
    cloid: Cloid | None = None


@attrs.frozen(slots=True)
class Filled:
    """The order filled ``total_sz`` at ``avg_px`` when placed (an IOC may fill partly)."""

    total_sz: Decimal
    avg_px: Decimal
    oid: int
    cloid: Cloid | None = None


@attrs.frozen(slots=True)
class Rejected:
    """The venue refused this order (or cancel); ``error`` is its text."""

    error: str


@attrs.frozen(slots=True)
class Waiting:
    """A TP/SL leg of a grouped order: ``waitingForFill`` or ``waitingForTrigger``."""

    status: str


@attrs.frozen(slots=True)
class CancelSuccess:
    """The cancel was applied."""


@attrs.frozen(slots=True)
class Resolved:
    """The post's answer was lost; this is what ``orderStatus`` by cloid said afterwards.

    ``update`` is the venue's view of the order, or None when it never saw it within the
    resolution window (and, with expiresAfter, after the action expired: then it never will).
    """

    cloid: Cloid
    update: OrderUpdate | None

    @property
    def found(self) -> bool:
        return self.update is not None

    @property
    def status(self) -> OrderStatus | None:
        return self.update.order_status if self.update is not None else None

    @property
    def oid(self) -> int | None:
        return self.update.oid if self.update is not None else None

    @property
    def filled_sz(self) -> Decimal:
        """Executed size as far as orderStatus tells (``origSz - sz``; 0 when not found)."""
        if self.update is None:
            return Decimal(0)
        return self.update.orig_sz - self.update.sz


OrderResult = Resting | Filled | Rejected | Waiting
"""One order's status in the venue's answer to a post."""

OrderAnswer = Resting | Filled | Rejected | Waiting | Resolved
"""One order's answer: the venue's status, or :class:`Resolved` when that was lost."""

CancelResult = CancelSuccess | Rejected
"""One cancel's status in the venue's answer."""
