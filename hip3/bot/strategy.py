"""The strategy protocol: callbacks that see the market and return intents.

A strategy never talks to the exchange. The bot calls it from one task, so
callbacks need no locking, and hands it a :class:`StrategyContext` -- a
read-only picture of positions, open orders and books at that moment. What it
returns goes through the risk gates and the executor; it learns the outcome
from later contexts (open orders) and from :meth:`Strategy.on_fill`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol, runtime_checkable

import attrs

from hip3.bot.book import Book
from hip3.domain import Fill, OrderState
from hip3.executor.intents import Intent

__all__ = ["MarketRules", "Strategy", "StrategyContext"]


@runtime_checkable
class MarketRules(Protocol):
    """What a strategy needs of a market to price and size valid orders.

    ``hip3.universe.Market`` satisfies it.
    """

    @property
    def coin(self) -> str: ...

    @property
    def sz_decimals(self) -> int: ...

    @property
    def is_spot(self) -> bool: ...


@attrs.frozen(slots=True)
class StrategyContext:
    """What the strategy may look at; ``open_orders`` includes orders still in flight."""

    now_ms: int
    markets: Mapping[str, MarketRules]
    positions: Mapping[str, Decimal] = attrs.field(factory=dict)
    open_orders: Sequence[OrderState] = ()
    books: Mapping[str, Book] = attrs.field(factory=dict)

    def position(self, coin: str) -> Decimal:
        return self.positions.get(coin, Decimal(0))


@runtime_checkable
class Strategy(Protocol):
    """Callbacks returning the intents to act on (an empty sequence for none)."""

    def on_start(self, ctx: StrategyContext) -> Sequence[Intent]: ...

    def on_book(self, book: Book, ctx: StrategyContext) -> Sequence[Intent]: ...

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> Sequence[Intent]: ...

    def on_timer(self, ctx: StrategyContext) -> Sequence[Intent]: ...

    def on_stop(self, ctx: StrategyContext) -> Sequence[Intent]: ...
