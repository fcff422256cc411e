"""Orders and one market's limit order book (price-time priority).

The book only stores and orders resting orders; matching, margin and fills are the
engine's (:mod:`hip3.sim._matching`), because they need the accounts. Each side keeps its
prices in a sorted list (bisect) and each price level an insertion-ordered dict
``oid -> Order`` — time priority with O(1) removal of any order.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import attrs

__all__ = ["Order", "OrderBook", "Trigger"]


@attrs.frozen(slots=True)
class Trigger:
    """A stop/take-profit condition: fires when the mark crosses ``px``."""

    px: Decimal
    is_market: bool
    tpsl: str  # "tp" | "sl"

    def fires(self, is_buy: bool, mark: Decimal) -> bool:
        # A buy stop protects a short (fires on a rise); a buy take-profit fires on a fall.
        rising = (self.tpsl == "sl") == is_buy
        return mark >= self.px if rising else mark <= self.px

    def condition(self, is_buy: bool) -> str:
        """The venue's ``triggerCondition`` text, e.g. ``"Price above 10.004"``."""
        rising = (self.tpsl == "sl") == is_buy
        return f"Price {'above' if rising else 'below'} {self.px}"


@attrs.define(slots=True, eq=False)
class Order:
    """An order the venue accepted (resting, triggered-waiting, or done)."""

    oid: int
    user: str
    coin: str
    asset: int
    is_buy: bool
    limit_px: Decimal
    sz: Decimal  # remaining
    orig_sz: Decimal
    timestamp: int
    tif: str | None  # "Gtc" | "Ioc" | "Alo"; None for a trigger order
    reduce_only: bool = False
    cloid: str | None = None
    trigger: Trigger | None = None
    is_lp: bool = False
    status: str = "open"
    status_timestamp: int = 0
    # The venue refreshes orderStatus' inner order only on status changes (api doc §1.9).
    sz_at_status: Decimal = Decimal(0)
    # normalTpsl: the TP/SL orders placed once this parent fills, and the one-cancels-other
    # group (oids) a placed child belongs to.
    children: tuple[Any, ...] = ()
    siblings: list[int] | None = None

    @property
    def side(self) -> str:
        return "B" if self.is_buy else "A"


class _Side:
    __slots__ = ("is_bid", "levels", "prices")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.prices: list[Decimal] = []  # ascending
        self.levels: dict[Decimal, dict[int, Order]] = {}

    def best(self) -> Decimal | None:
        if not self.prices:
            return None
        return self.prices[-1] if self.is_bid else self.prices[0]

    def add(self, order: Order) -> None:
        level = self.levels.get(order.limit_px)
        if level is None:
            level = self.levels[order.limit_px] = {}
            bisect.insort(self.prices, order.limit_px)
        level[order.oid] = order

    def remove(self, order: Order) -> None:
        level = self.levels[order.limit_px]
        del level[order.oid]
        if not level:
            del self.levels[order.limit_px]
            index = bisect.bisect_left(self.prices, order.limit_px)
            del self.prices[index]

    def best_first(self) -> Iterator[Decimal]:
        return reversed(self.prices) if self.is_bid else iter(self.prices)


def _bucket(px: Decimal, sig_figs: int, is_buy: bool) -> Decimal:
    if len(px.normalize().as_tuple().digits) <= sig_figs:
        return px
    quantum = Decimal(1).scaleb(px.adjusted() - sig_figs + 1)
    return px.quantize(quantum, rounding=ROUND_FLOOR if is_buy else ROUND_CEILING)


class OrderBook:
    """One market's resting limit orders (trigger orders wait elsewhere)."""

    __slots__ = ("_asks", "_bids", "coin")

    def __init__(self, coin: str) -> None:
        self.coin = coin
        self._bids = _Side(is_bid=True)
        self._asks = _Side(is_bid=False)

    def _side(self, is_buy: bool) -> _Side:
        return self._bids if is_buy else self._asks

    def add(self, order: Order) -> None:
        self._side(order.is_buy).add(order)

    def remove(self, order: Order) -> None:
        self._side(order.is_buy).remove(order)

    def best_bid(self) -> Decimal | None:
        return self._bids.best()

    def best_ask(self) -> Decimal | None:
        return self._asks.best()

    def best_level(self, is_buy: bool) -> tuple[Decimal, dict[int, Order]] | None:
        """The best price on the bid (``is_buy``) or ask side and its orders, oldest first."""
        side = self._side(is_buy)
        px = side.best()
        if px is None:
            return None
        return px, side.levels[px]

    def crosses(self, is_buy: bool, limit_px: Decimal) -> bool:
        """Would a ``limit_px`` order on this side match the opposite side at once?"""
        best = self._side(not is_buy).best()
        if best is None:
            return False
        return limit_px >= best if is_buy else limit_px <= best

    def depth(
        self, is_buy: bool, max_levels: int, sig_figs: int | None = None
    ) -> list[tuple[Decimal, Decimal, int]]:
        """``(px, total size, order count)`` per level, best first.

        With ``sig_figs`` (the venue's ``nSigFigs``) prices are bucketed to that many
        significant figures, bids rounded down and asks up, as the venue aggregates.
        """
        side = self._side(is_buy)
        result: list[tuple[Decimal, Decimal, int]] = []
        for px in side.best_first():
            level = side.levels[px]
            size = sum((o.sz for o in level.values()), Decimal(0))
            key = px if sig_figs is None else _bucket(px, sig_figs, is_buy)
            if result and result[-1][0] == key:
                _, total, count = result[-1]
                result[-1] = (key, total + size, count + len(level))
                continue
            if len(result) == max_levels:
                break
            result.append((key, size, len(level)))
        return result

    def orders(self) -> Iterator[Order]:
        for side in (self._bids, self._asks):
            for level in side.levels.values():
                yield from level.values()
