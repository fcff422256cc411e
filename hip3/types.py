"""Domain value types shared by every part of hip3.

These are the venue's vocabulary as Python values: sides, dex-aware coin
names, client order ids, and decimal prices and sizes held to the venue's
tick and lot rules. They know nothing of JSON (see :mod:`hip3.wire`).
"""

from __future__ import annotations

import enum
import secrets
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import ClassVar, NewType

import attrs

from hip3.errors import ValidationError

__all__ = [
    "MAX_DECIMALS_PERP",
    "MAX_DECIMALS_SPOT",
    "MAX_SIG_FIGS",
    "Cloid",
    "Coin",
    "Oid",
    "PlaceOrder",
    "Side",
    "Tid",
    "Tif",
    "round_price",
    "round_size",
    "to_decimal",
    "to_tif",
    "validate_price",
    "validate_size",
    "wire_decimal",
]

Oid = NewType("Oid", int)
"""The venue's order id (global across dexes)."""

Tid = NewType("Tid", int)
"""The venue's trade id: unique per user, the identity of a fill."""

MAX_SIG_FIGS = 5
MAX_DECIMALS_PERP = 6
MAX_DECIMALS_SPOT = 8


class Side(enum.Enum):
    """The side of an order or fill: ``"B"`` buys (bid), ``"A"`` sells (ask)."""

    BUY = "B"
    SELL = "A"

    @property
    def is_buy(self) -> bool:
        return self is Side.BUY

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell: a fill moves the position by ``sign * sz``."""
        return 1 if self is Side.BUY else -1

    @classmethod
    def from_is_buy(cls, is_buy: bool) -> Side:
        return cls.BUY if is_buy else cls.SELL

    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class Tif(enum.Enum):
    """Time in force, spelled as the venue spells it in an order's ``t.limit.tif``."""

    GTC = "Gtc"
    IOC = "Ioc"
    ALO = "Alo"  # add-liquidity-only: the venue rejects it if it would cross


def to_tif(value: Tif | str) -> Tif:
    """A :class:`Tif`, or its venue spelling in any case (``"Gtc"``, ``"ioc"``, ``"ALO"``).

    The attrs converter of every ``tif`` field: a plain string is turned into the enum
    at construction, so nothing downstream meets a str where a Tif belongs.
    """
    if isinstance(value, Tif):
        return value
    if isinstance(value, str):
        for tif in Tif:
            if value.strip().lower() == tif.value.lower():
                return tif
    raise ValidationError(
        f"expected one of {', '.join(t.value for t in Tif)} (any case), got {value!r}",
        field="tif",
    )


class Coin(str):
    """A perp market's name as the venue spells it: ``"BTC"`` or ``"xyz:TSLA"``.

    HIP-3 markets carry their dex as a prefix; :attr:`dex` is ``""`` for the
    main dex. A ``Coin`` is a ``str`` and compares equal to the plain name.
    """

    __slots__ = ()

    def __new__(cls, name: str) -> Coin:
        if not isinstance(name, str) or not name or name != name.strip():
            raise ValidationError(f"invalid coin name {name!r}", field="coin")
        dex, sep, base = name.partition(":")
        if sep and (not dex or not base or ":" in base):
            raise ValidationError(f"invalid coin name {name!r}: expected 'dex:COIN'", field="coin")
        return super().__new__(cls, name)

    @property
    def dex(self) -> str:
        """The HIP-3 dex name, or ``""`` for the main dex."""
        dex, sep, _ = self.partition(":")
        return dex if sep else ""

    @property
    def base(self) -> str:
        """The name without its dex prefix."""
        _, sep, base = self.partition(":")
        return base if sep else str(self)

    @property
    def is_hip3(self) -> bool:
        return ":" in self

    def __repr__(self) -> str:
        return f"Coin({str(self)!r})"


_HEX = frozenset("0123456789abcdef")


@attrs.frozen(slots=True, repr=False)
class Cloid:
    """A client order id: 16 bytes, written ``0x`` + 32 lowercase hex digits."""

    hex: str = attrs.field()

    @hex.validator
    def _check(self, _attribute: object, value: str) -> None:
        if (
            not isinstance(value, str)
            or len(value) != 34
            or not value.startswith("0x")
            or not _HEX.issuperset(value[2:])
        ):
            raise ValidationError(
                f"invalid cloid {value!r}: expected '0x' and 32 lowercase hex digits",
                field="cloid",
            )

    @classmethod
    def from_str(cls, value: str) -> Cloid:
        """Parse a cloid; upper-case hex digits are accepted and normalised."""
        if isinstance(value, str) and value[:2] in ("0x", "0X"):
            value = "0x" + value[2:].lower()
        return cls(value)

    @classmethod
    def from_int(cls, value: int) -> Cloid:
        if not 0 <= value < 1 << 128:
            raise ValidationError(f"cloid integer {value} out of range 0..2**128-1", field="cloid")
        return cls(f"{value:#034x}")

    @classmethod
    def from_bytes(cls, value: bytes) -> Cloid:
        if len(value) != 16:
            raise ValidationError(f"cloid must be 16 bytes, got {len(value)}", field="cloid")
        return cls("0x" + value.hex())

    @classmethod
    def random(cls) -> Cloid:
        """A fresh cloid from the OS's CSPRNG (collisions are negligible at 128 bits)."""
        return cls("0x" + secrets.token_hex(16))

    def to_int(self) -> int:
        return int(self.hex, 16)

    def to_bytes(self) -> bytes:
        return bytes.fromhex(self.hex[2:])

    def __str__(self) -> str:
        return self.hex

    def __repr__(self) -> str:
        return f"Cloid({self.hex!r})"


# --------------------------------------------------------------------------
# Decimal prices and sizes
# --------------------------------------------------------------------------

_FLOAT_WIRE_TOLERANCE = 1e-12


def to_decimal(value: Decimal | str | int | float, *, field: str = "value") -> Decimal:
    """Convert user input to a finite Decimal.

    Floats follow the official SDK's ``float_to_wire``: rounded to 8 decimals,
    and refused if that rounding changes the value (so ``0.1 + 0.2`` becomes
    ``0.3`` but ``0.123456789`` is an error, as it is for the SDK).
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValidationError(f"expected a number, got {value!r}", field=field)
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        rounded = f"{value:.8f}"
        if abs(float(rounded) - value) >= _FLOAT_WIRE_TOLERANCE:
            raise ValidationError(
                f"{value!r} has more precision than the venue's 8 decimals", field=field
            )
        result = Decimal(rounded)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValidationError(f"not a number: {value!r}", field=field) from None
    else:
        raise ValidationError(f"expected a number, got {type(value).__name__}", field=field)
    if not result.is_finite():
        raise ValidationError(f"not a finite number: {value!r}", field=field)
    return result


def wire_decimal(value: Decimal) -> str:
    """The venue's string form: no trailing zeros, no exponent, never ``-0``.

    Equal to the official SDK's ``float_to_wire`` for the same value; the
    venue re-serialises numbers this way before checking signatures, so any
    other spelling (``"100.0"``) signs a different hash.
    """
    text = format(value.normalize(), "f")
    if text == "-0":
        return "0"
    return text


def _tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent form (95000, not 9.5E+4)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _decimals(value: Decimal) -> int:
    """Digits after the point, ignoring trailing zeros."""
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite values only
    return max(0, -exponent)


def _sig_figs(value: Decimal) -> int:
    normalized = value.normalize()
    return len(normalized.as_tuple().digits)


def validate_size(
    size: Decimal | str | int | float, sz_decimals: int, *, field: str = "size"
) -> Decimal:
    """A positive size with at most ``sz_decimals`` decimals, or ValidationError."""
    value = to_decimal(size, field=field)
    if value <= 0:
        raise ValidationError(f"must be positive, got {wire_decimal(value)}", field=field)
    if _decimals(value) > sz_decimals:
        raise ValidationError(
            f"{wire_decimal(value)} has more than {sz_decimals} decimals (szDecimals)",
            field=field,
        )
    return value


def validate_price(
    price: Decimal | str | int | float,
    sz_decimals: int,
    *,
    spot: bool = False,
    field: str = "price",
) -> Decimal:
    """A positive price the venue accepts, or ValidationError.

    At most 5 significant figures (integers are always allowed) and at most
    ``6 - sz_decimals`` decimals for perps (``8 - sz_decimals`` for spot).
    """
    value = to_decimal(price, field=field)
    if value <= 0:
        raise ValidationError(f"must be positive, got {wire_decimal(value)}", field=field)
    max_decimals = (MAX_DECIMALS_SPOT if spot else MAX_DECIMALS_PERP) - sz_decimals
    decimals = _decimals(value)
    if decimals > max(0, max_decimals):
        raise ValidationError(
            f"{wire_decimal(value)} has {decimals} decimals; at most {max(0, max_decimals)} "
            f"allowed with szDecimals={sz_decimals}",
            field=field,
        )
    if decimals > 0 and _sig_figs(value) > MAX_SIG_FIGS:
        raise ValidationError(
            f"{wire_decimal(value)} has more than {MAX_SIG_FIGS} significant figures",
            field=field,
        )
    return value


def round_price(
    price: Decimal | str | int | float,
    sz_decimals: int,
    *,
    spot: bool = False,
    rounding: str = ROUND_HALF_EVEN,
) -> Decimal:
    """The nearest valid price: 5 significant figures, then the decimal cap.

    Integer parts longer than 5 digits are kept whole (the venue allows any
    integer price).
    """
    value = to_decimal(price, field="price")
    if value <= 0:
        raise ValidationError(f"must be positive, got {wire_decimal(value)}", field="price")
    max_decimals = max(0, (MAX_DECIMALS_SPOT if spot else MAX_DECIMALS_PERP) - sz_decimals)
    integer_digits = value.adjusted() + 1  # digits left of the point (<=0 for 0.0x)
    sig_decimals = max(0, MAX_SIG_FIGS - integer_digits)
    quantum = Decimal(1).scaleb(-min(sig_decimals, max_decimals))
    result = value.quantize(quantum, rounding=rounding)
    if result <= 0:
        raise ValidationError(
            f"{wire_decimal(value)} rounds to zero at {max_decimals} decimals", field="price"
        )
    return _tidy(result)


def round_size(
    size: Decimal | str | int | float, sz_decimals: int, *, rounding: str = ROUND_DOWN
) -> Decimal:
    """Size cut to ``sz_decimals`` decimals (rounds down by default, never up into risk)."""
    value = to_decimal(size, field="size")
    return _tidy(value.quantize(Decimal(1).scaleb(-sz_decimals), rounding=rounding))


# --------------------------------------------------------------------------
# The order request
# --------------------------------------------------------------------------


def _limit_px(value: Decimal | str | int | float) -> Decimal:
    return to_decimal(value, field="limit_px")


def _sz(value: Decimal | str | int | float) -> Decimal:
    return to_decimal(value, field="sz")


def _positive(_instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value <= 0:
        raise ValidationError(f"must be positive, got {value}", field=attribute.name)


@attrs.frozen(slots=True)
class PlaceOrder:
    """One limit order: what a strategy asks for (an executor intent), what
    :class:`~hip3.clients.ExchangeClient` signs and posts, and what the tracker is
    told before the post. ``cloid`` is generated unless given: every order carries
    one, so a lost answer can be resolved by asking the venue about it.
    """

    #: what :func:`hip3.bot.orders.intent_kind` reports for it
    kind: ClassVar[str] = "place"

    coin: str
    side: Side
    limit_px: Decimal = attrs.field(converter=_limit_px, validator=_positive)
    sz: Decimal = attrs.field(converter=_sz, validator=_positive)
    tif: Tif = attrs.field(default=Tif.GTC, converter=to_tif)
    reduce_only: bool = False
    cloid: Cloid = attrs.field(factory=Cloid.random)

    @property
    def px(self) -> Decimal:
        """Deprecated name of :attr:`limit_px` (removed in the next release)."""
        return self.limit_px
