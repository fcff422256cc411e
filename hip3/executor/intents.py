"""Order intents (what a strategy asks for) and their outcomes (how each ended).

An intent is a value: a strategy returns intents, the executor consumes them.
Every intent ends as exactly one :class:`Outcome` whose status is filled,
resting, cancelled or rejected (with a reason) -- nothing is dropped silently,
so a journal or a test can always say what became of an order.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import ClassVar, Literal

import attrs

from hip3.errors import ValidationError

# A Modify's price and size follow the order request's own rules.
from hip3.types import Cloid, PlaceOrder, Side, Tif, _limit_px, _positive, _sz, to_tif

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


def _one_target(instance: Cancel | Modify) -> None:
    if (instance.cloid is None) == (instance.oid is None):
        raise ValidationError("give exactly one of cloid or oid", field="cloid")


@attrs.frozen(slots=True)
class Cancel:
    """Cancel one order, by cloid or by oid (exactly one)."""

    kind: ClassVar[str] = "cancel"

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

    kind: ClassVar[str] = "cancel"

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

    kind: ClassVar[str] = "modify"

    coin: str
    side: Side
    limit_px: Decimal = attrs.field(converter=_limit_px, validator=_positive)
    sz: Decimal = attrs.field(converter=_sz, validator=_positive)
    cloid: Cloid | None = None
    oid: int | None = None
    tif: Tif = attrs.field(default=Tif.GTC, converter=to_tif)
    reduce_only: bool = False
    new_cloid: Cloid = attrs.field(factory=Cloid.random)

    def __attrs_post_init__(self) -> None:
        _one_target(self)

    @property
    def px(self) -> Decimal:
        """Deprecated name of :attr:`limit_px` (removed in the next release)."""
        return self.limit_px

    def replacement(self) -> PlaceOrder:
        """The order that replaces the target: a new order, under ``new_cloid``."""
        return PlaceOrder(
            self.coin,
            self.side,
            self.limit_px,
            self.sz,
            tif=self.tif,
            reduce_only=self.reduce_only,
            cloid=self.new_cloid,
        )


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
