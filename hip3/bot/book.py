"""A market's book as the bot's strategy sees it.

A book decoded from an ``l2Book`` frame (:func:`book_from_frame`) is built by msgspec
in the pass that parses the frame. Its levels keep the venue's decimal strings and
make each :class:`~decimal.Decimal` when read: a strategy reads the top of the book,
and the other 38 levels of a 20-a-side frame would cost more Decimals than parsing
the whole frame. The best bid and ask are checked while the frame is decoded (a
malformed one is a :class:`~hip3.errors.WireError` then); a deeper malformed level
raises WireError when it is read.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

import attrs
import msgspec

from hip3.errors import WireError

__all__ = ["Book", "FrameLevel", "Level", "book_from_frame", "book_from_l2"]


@attrs.frozen(slots=True, eq=False)
class Level(metaclass=abc.ABCMeta):
    """One price level: its price and the size resting there."""

    px: Decimal
    sz: Decimal

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return (self.px, self.sz) == (other.px, other.sz)

    def __hash__(self) -> int:
        return hash((self.px, self.sz))


class FrameLevel(msgspec.Struct, frozen=True, gc=False):
    """A :class:`Level` as msgspec decodes it (registered as a virtual subclass of
    Level); ``n`` is the venue's count of orders at the level."""

    px_text: str = msgspec.field(name="px")
    sz_text: str = msgspec.field(name="sz")
    n: int

    @property
    def px(self) -> Decimal:
        return _decimal_of(self.px_text, "px")

    @property
    def sz(self) -> Decimal:
        return _decimal_of(self.sz_text, "sz")

    __eq__ = Level.__eq__
    __hash__ = Level.__hash__

    def __repr__(self) -> str:
        return f"Level(px={self.px!r}, sz={self.sz!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Level, (self.px, self.sz))


Level.register(FrameLevel)


def _decimal_of(text: str, field: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise WireError(f"not a decimal number: {text!r:.40}", kind="l2Book", field=field) from None
    if not value.is_finite():
        raise WireError(f"not a finite number: {text!r:.40}", kind="l2Book", field=field)
    return value


@attrs.frozen(slots=True)
class Book:
    """An l2Book snapshot: bids best (highest) first, asks best (lowest) first."""

    coin: str
    time_ms: int
    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()

    @property
    def best_bid(self) -> Decimal | None:
        return self.bids[0].px if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return self.asks[0].px if self.asks else None

    @property
    def mid(self) -> Decimal | None:
        """Mid of best bid and ask; None unless both sides have a level."""
        if not self.bids or not self.asks:
            return None
        return (self.bids[0].px + self.asks[0].px) / 2


def book_from_l2(data: Mapping[str, Any]) -> Book:
    """An ``l2Book`` payload (``{"coin", "time", "levels": [bids, asks]}``) as a :class:`Book`.

    Raises WireError naming the field when the payload is not that shape.
    """
    try:
        coin = str(data["coin"])
        time_ms = int(data["time"])
        bids_raw, asks_raw = data["levels"]
        bids = tuple(Level(Decimal(str(lv["px"])), Decimal(str(lv["sz"]))) for lv in bids_raw)
        asks = tuple(Level(Decimal(str(lv["px"])), Decimal(str(lv["sz"]))) for lv in asks_raw)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise WireError(
            f"malformed l2Book payload: {exc!r}", kind="l2Book", field="levels", sample=data
        ) from exc
    return Book(coin, time_ms, bids, asks)


class _L2Data(msgspec.Struct, gc=False):
    coin: str
    time: int
    levels: tuple[list[FrameLevel], list[FrameLevel]]


class _L2Frame(msgspec.Struct, gc=False):
    channel: str
    data: _L2Data


_l2_decoder = msgspec.json.Decoder(_L2Frame)


def book_from_frame(raw: str | bytes) -> Book:
    """An ``l2Book`` ws frame, exactly as received, as a :class:`Book` in one msgspec decode.

    Decimals must be decimal strings (a JSON number is refused); the best level of each
    side is checked here, the others when read. A malformed frame raises WireError
    naming the field.
    """
    try:
        frame = _l2_decoder.decode(raw)
    except msgspec.MsgspecError as exc:
        raise WireError(
            f"malformed l2Book frame: {exc}", kind="l2Book", field="levels", sample=raw[:200]
        ) from None
    if frame.channel != "l2Book":
        raise WireError(f"not an l2Book frame: {frame.channel!r:.40}", kind="l2Book")
    data = frame.data
    bids, asks = data.levels
    for side in (bids, asks):
        if side:
            best = side[0]
            try:
                ok = Decimal(best.px_text).is_finite() and Decimal(best.sz_text).is_finite()
            except ArithmeticError:
                ok = False
            if not ok:  # read again, one by one: the error names the field
                _decimal_of(best.px_text, "levels.px")
                _decimal_of(best.sz_text, "levels.sz")
    # FrameLevel is registered as a Level (an ABC), which mypy cannot see.
    return Book(data.coin, data.time, cast("tuple[Level, ...]", tuple(bids)),
                cast("tuple[Level, ...]", tuple(asks)))  # fmt: skip
