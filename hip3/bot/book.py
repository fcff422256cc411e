"""A market's top of book as the bot's strategy sees it."""

from __future__ import annotations

from decimal import Decimal

import attrs

__all__ = ["Book", "Level"]


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
