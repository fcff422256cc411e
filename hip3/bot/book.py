"""A market's top of book as the bot's strategy sees it."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from hip3.errors import WireError

__all__ = ["Book", "Level", "book_from_l2"]


@attrs.frozen(slots=True)
class Level:
    px: Decimal
    sz: Decimal


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
