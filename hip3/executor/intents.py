"""Order intents (what a strategy asks for) and their outcomes (how each ended).

An intent is a value: a strategy returns intents, the executor consumes them.
Every intent ends as exactly one :class:`Outcome` whose status is filled,
resting, cancelled or rejected (with a reason) -- nothing is dropped silently,
so a journal or a test can always say what became of an order.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Literal

import attrs

from hip3.errors import ValidationError
from hip3.types import Cloid, Side, Tif, to_decimal, to_tif

__all__ = [
    "Cancel",
    "CancelAll",
    "CancelScope",
    "Intent",
    "Modify",
    "Outcome",
    "OutcomeStatus",
    "PlaceOrder",
    "Tif",
    "to_tif",
]


def _price(value: Decimal | str | int | float) -> Decimal:
    return to_decimal(value, field="px")


def _size(value: Decimal | str | int | float) -> Decimal:
    return to_decimal(value, field="sz")


def _positive(_instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value <= 0:
        raise ValidationError(f"must be positive, got {value}", field=attribute.name)


@attrs.frozen(slots=True)
class PlaceOrder:
    """Place one limit order; ``cloid`` is generated unless given."""

    coin: str
    side: Side
    px: Decimal = attrs.field(converter=_price, validator=_positive)
    sz: Decimal = attrs.field(converter=_size, validator=_positive)
    tif: Tif = attrs.field(default=Tif.GTC, converter=to_tif)
    reduce_only: bool = False
    cloid: Cloid = attrs.field(factory=Cloid.random)


def _one_target(instance: Cancel | Modify) -> None:
    if (instance.cloid is None) == (instance.oid is None):
        raise ValidationError("give exactly one of cloid or oid", field="cloid")


@attrs.frozen(slots=True)
class Cancel:
    """Cancel one order, by cloid or by oid (exactly one)."""

    coin: str
    cloid: Cloid | None = None
    oid: int | None = None

    def __attrs_post_init__(self) -> None:
        _one_target(self)


#: Whose orders a CancelAll cancels: the bot's own (the orders it sent), or every
#: open order of the account (a person's resting orders and stop-losses included).
CancelScope = Literal["own", "account"]


@attrs.frozen(slots=True)
class CancelAll:
    """Cancel every open order of ``coin``, or of every market when ``coin`` is None.

    ``scope="own"`` (the default) touches only the bot's own orders; an account is
    often shared with a person trading by hand, whose orders are not the bot's to
    cancel. ``scope="account"`` cancels every open order the tracker knows.
    """

    coin: str | None = None
    scope: CancelScope = attrs.field(
        default="own", validator=attrs.validators.in_(("own", "account"))
    )


@attrs.frozen(slots=True)
class Modify:
    """Replace an open order's price/size in place (the venue's ``modify``).

    The order keeps its target identity; ``new_cloid`` names the replacement
    (the venue gives a modified order a new oid).
    """

    coin: str
    side: Side
    px: Decimal = attrs.field(converter=_price, validator=_positive)
    sz: Decimal = attrs.field(converter=_size, validator=_positive)
    cloid: Cloid | None = None
    oid: int | None = None
    tif: Tif = attrs.field(default=Tif.GTC, converter=to_tif)
    reduce_only: bool = False
    new_cloid: Cloid = attrs.field(factory=Cloid.random)

    def __attrs_post_init__(self) -> None:
        _one_target(self)


Intent = PlaceOrder | Cancel | CancelAll | Modify


class OutcomeStatus(enum.Enum):
    """How an intent ended; every intent ends in exactly one of these."""

    FILLED = "filled"
    RESTING = "resting"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


@attrs.frozen(slots=True)
class Outcome:
    """The end of one intent.

    ``reason`` is set for rejections (the gate's or the venue's text); ``gate``
    names the risk gate when a gate rejected it before anything was sent.
    """

    intent: Intent
    status: OutcomeStatus
    reason: str | None = None
    gate: str | None = None
    oid: int | None = None
    filled_sz: Decimal = Decimal(0)
    avg_px: Decimal | None = None

    @classmethod
    def rejected(cls, intent: Intent, reason: str, *, gate: str | None = None) -> Outcome:
        return cls(intent, OutcomeStatus.REJECTED, reason=reason, gate=gate)
