"""Plain objects a notebook shows, and ``.records()`` ready for ``pandas.DataFrame``.

Every object is a frozen attrs class with Decimal prices and sizes (exact, as hip3
computes with them). ``records()`` turns a list of them into a list of dicts; by
default Decimals become floats (what a DataFrame wants for plotting and arithmetic),
``records(exact=True)`` keeps them as Decimals.

``Position``, ``OpenOrder`` and ``Fill`` are the account rows of :mod:`hip3.app.account`
(``AccountPosition``...) under the names the notebook has always used: ``hip3 positions``
and ``Session.positions()`` read the account through that one module.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Generic, TypeVar

import attrs

from hip3.app.account import AccountFill as Fill
from hip3.app.account import AccountOrder as OpenOrder
from hip3.app.account import AccountPosition as Position

__all__ = [
    "Book",
    "BookLevel",
    "Fill",
    "OpenOrder",
    "OrderResult",
    "Position",
    "Records",
    "ReplayRow",
    "to_record",
]

T = TypeVar("T")


def to_record(obj: Any, *, exact: bool = False) -> dict[str, Any]:
    """One attrs object as a flat dict (Decimals as floats unless ``exact``)."""
    out: dict[str, Any] = {}
    for field in attrs.fields(type(obj)):
        value = getattr(obj, field.name)
        if isinstance(value, Decimal) and not exact:
            value = float(value)
        out[field.name] = value
    return out


class Records(list[T], Generic[T]):
    """A list of plain objects with :meth:`records` for ``pandas.DataFrame(...)``."""

    def __init__(self, items: Iterable[T] = ()) -> None:
        super().__init__(items)

    def records(self, *, exact: bool = False) -> list[dict[str, Any]]:
        return [to_record(item, exact=exact) for item in self]


@attrs.frozen
class BookLevel:
    side: str  # "bid" | "ask"
    level: int  # 0 = best
    px: Decimal
    sz: Decimal
    n: int


@attrs.frozen
class Book:
    """An order book: ``bids`` best first, ``asks`` best first."""

    coin: str
    time_ms: int
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]

    @property
    def best_bid(self) -> Decimal | None:
        return self.bids[0].px if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return self.asks[0].px if self.asks else None

    @property
    def mid(self) -> Decimal | None:
        if self.best_bid is None or self.best_ask is None:
            return None
        return (self.best_bid + self.best_ask) / 2

    def records(self, *, exact: bool = False) -> list[dict[str, Any]]:
        """One row per level, bids then asks."""
        return [to_record(level, exact=exact) for level in (*self.bids, *self.asks)]


@attrs.frozen
class OrderResult:
    """How a :meth:`Session.place` ended: ``status`` is resting, filled, rejected or unknown."""

    status: str
    coin: str
    cloid: str
    oid: int | None = None
    filled_sz: Decimal = Decimal(0)
    avg_px: Decimal | None = None
    error: str | None = None


@attrs.frozen
class ReplayRow:
    """One line of a capture file, summarised."""

    line: int
    t_ms: int
    dir: str
    via: str
    kind: str  # ws channel, ws method, info type or action type
    id: int | None
    coins: str
    n_fills: int
    is_snapshot: bool
