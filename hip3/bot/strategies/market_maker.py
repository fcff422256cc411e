"""An example market maker: one bid and one ask per market around the mid.

Quotes sit ``half_spread_bps`` either side of a *reservation price*: the mid
shifted against the inventory (long -> both quotes lower, so the ask fills
more readily and the bid less), by up to ``skew_bps`` at a full position.
Sizes are ``order_notional_usd`` worth, cut so the position cannot pass
``max_position_usd`` even if the quote fills; prices are rounded to what the
venue accepts (5 significant figures, ``6 - szDecimals`` decimals on perps),
bids down and asks up so rounding never tightens the spread. A quote is
replaced when the mid moves ``requote_bps`` from where it was priced, when the
inventory changes, or when it is older than ``quote_ttl_ms``.

Quotes are add-liquidity-only by default: the venue rejects an ALO order
that would cross instead of taking, which is what a maker wants.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import attrs

from hip3.bot.book import Book
from hip3.bot.strategy import MarketRules, StrategyContext
from hip3.domain import Fill
from hip3.errors import ValidationError
from hip3.executor.intents import Cancel, Intent, PlaceOrder
from hip3.types import Cloid, Side, Tif, round_price, round_size, to_tif

__all__ = ["MarketMaker", "MarketMakerParams"]

_BPS = Decimal(10_000)


@attrs.frozen(slots=True)
class MarketMakerParams:
    half_spread_bps: Decimal = attrs.field(default=Decimal(10), converter=Decimal)
    skew_bps: Decimal = attrs.field(default=Decimal(10), converter=Decimal)
    order_notional_usd: Decimal = attrs.field(default=Decimal(50), converter=Decimal)
    max_position_usd: Decimal = attrs.field(default=Decimal(500), converter=Decimal)
    requote_bps: Decimal = attrs.field(default=Decimal(5), converter=Decimal)
    quote_ttl_ms: int = 30_000
    #: the venue refuses orders worth less than 10 USD
    min_notional_usd: Decimal = attrs.field(default=Decimal(10), converter=Decimal)
    #: how long a just-sent quote may be missing from the open orders before it is
    #: presumed gone (the tracker learns of it only once the executor sends it)
    forget_after_ms: int = 5_000
    #: ``Tif`` or its spelling in any case (``"Gtc"``, ``"ioc"``)
    tif: Tif = attrs.field(default=Tif.ALO, converter=to_tif)


@attrs.frozen(slots=True)
class _Quote:
    cloid: Cloid
    px: Decimal
    sz: Decimal
    placed_ms: int
    ref_mid: Decimal | None  # None forces a requote (inventory changed)


class MarketMaker:
    """Implements :class:`hip3.bot.strategy.Strategy`."""

    name = "market_maker"

    def __init__(self, params: MarketMakerParams | None = None) -> None:
        self.params = params if params is not None else MarketMakerParams()
        self._quotes: dict[tuple[str, Side], _Quote] = {}

    # -- callbacks -----------------------------------------------------------

    def on_start(self, ctx: StrategyContext) -> Sequence[Intent]:
        intents: list[Intent] = []
        for book in ctx.books.values():
            intents.extend(self._book_quotes(book, ctx))
        return intents

    def on_book(self, book: Book, ctx: StrategyContext) -> Sequence[Intent]:
        return self._book_quotes(book, ctx)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> Sequence[Intent]:
        # Inventory moved: both quotes of this market are priced for the old one.
        intents: list[Intent] = []
        for key, quote in list(self._quotes.items()):
            if key[0] != fill.coin:
                continue
            if quote.cloid == fill.cloid:
                del self._quotes[key]
                if fill.sz < quote.sz:
                    # Partly filled: cancel the rest, the requote below is sized afresh.
                    # (A fully filled quote is gone; cancelling it would only be refused.)
                    intents.append(Cancel(fill.coin, cloid=quote.cloid))
            else:
                self._quotes[key] = attrs.evolve(quote, ref_mid=None)
        intents.extend(self._requote(fill.coin, ctx))
        return intents

    def on_timer(self, ctx: StrategyContext) -> Sequence[Intent]:
        intents: list[Intent] = []
        for (coin, _side), quote in list(self._quotes.items()):
            if ctx.now_ms - quote.placed_ms > self.params.quote_ttl_ms:
                intents.append(Cancel(coin, cloid=quote.cloid))
                del self._quotes[(coin, _side)]
        return intents

    def on_stop(self, ctx: StrategyContext) -> Sequence[Intent]:
        intents: list[Intent] = [
            Cancel(coin, cloid=q.cloid) for (coin, _), q in self._quotes.items()
        ]
        self._quotes.clear()
        return intents

    # -- pricing -------------------------------------------------------------

    def quote_prices(
        self, mid: Decimal, position: Decimal, market: MarketRules
    ) -> tuple[Decimal | None, Decimal | None]:
        """Bid and ask for ``mid`` and inventory ``position``, valid on the venue.

        A side is None when no valid price exists near it (a tick coarser than the price).
        """
        p = self.params
        inventory = position * mid / p.max_position_usd if p.max_position_usd > 0 else Decimal(0)
        inventory = max(Decimal(-1), min(Decimal(1), inventory))
        reservation = mid * (1 - inventory * p.skew_bps / _BPS)
        bid = _round(reservation * (1 - p.half_spread_bps / _BPS), market, ROUND_FLOOR)
        ask = _round(reservation * (1 + p.half_spread_bps / _BPS), market, ROUND_CEILING)
        return bid, ask

    def quote_size(
        self, side: Side, px: Decimal, position: Decimal, market: MarketRules
    ) -> Decimal:
        """Size for one quote: the configured notional, cut to the room left under the cap."""
        p = self.params
        size = round_size(p.order_notional_usd / px, market.sz_decimals)
        room = p.max_position_usd / px - side.sign * position
        size = min(size, round_size(max(room, Decimal(0)), market.sz_decimals))
        if size <= 0 or size * px < p.min_notional_usd:
            return Decimal(0)
        return size

    # -- quoting -------------------------------------------------------------

    def _requote(self, coin: str, ctx: StrategyContext) -> list[Intent]:
        book = ctx.books.get(coin)
        return self._book_quotes(book, ctx) if book is not None else []

    def _book_quotes(self, book: Book, ctx: StrategyContext) -> list[Intent]:
        market = ctx.markets.get(book.coin)
        mid = book.mid
        if market is None or mid is None or mid <= 0:
            return []
        p = self.params
        self._forget_vanished(book.coin, ctx)
        position = ctx.position(book.coin)
        bid, ask = self.quote_prices(mid, position, market)
        intents: list[Intent] = []
        for side, px in ((Side.BUY, bid), (Side.SELL, ask)):
            key = (book.coin, side)
            quote = self._quotes.get(key)
            if quote is not None:
                fresh = (
                    quote.ref_mid is not None
                    and abs(mid - quote.ref_mid) / quote.ref_mid * _BPS < p.requote_bps
                    and ctx.now_ms - quote.placed_ms <= p.quote_ttl_ms
                )
                if fresh:
                    continue
                intents.append(Cancel(book.coin, cloid=quote.cloid))
                del self._quotes[key]
            if px is None:
                continue  # the tick is too coarse for this price: no valid quote
            # A quote through the opposite touch would take (an ALO one is rejected):
            # join our own side's touch instead, which is a valid venue price.
            px = _behind_touch(side, px, book)
            if px is None:
                continue
            size = self.quote_size(side, px, position, market)
            if size <= 0:
                continue
            order = PlaceOrder(book.coin, side, px, size, tif=p.tif)
            self._quotes[key] = _Quote(order.cloid, px, size, ctx.now_ms, mid)
            intents.append(order)
        return intents

    def _forget_vanished(self, coin: str, ctx: StrategyContext) -> None:
        live = {o.cloid for o in ctx.open_orders if o.coin == coin and not o.status.is_terminal}
        for key, quote in list(self._quotes.items()):
            if key[0] != coin or quote.cloid in live:
                continue
            if ctx.now_ms - quote.placed_ms > self.params.forget_after_ms:
                del self._quotes[key]  # filled, cancelled or rejected: quote afresh


def _round(px: Decimal, market: MarketRules, rounding: str) -> Decimal | None:
    try:
        return round_price(px, market.sz_decimals, spot=market.is_spot, rounding=rounding)
    except ValidationError:
        return None


def _behind_touch(side: Side, px: Decimal, book: Book) -> Decimal | None:
    """``px``, or our own side's best price when ``px`` would cross the opposite touch."""
    if side is Side.BUY and book.best_ask is not None and px >= book.best_ask:
        return book.best_bid
    if side is Side.SELL and book.best_bid is not None and px <= book.best_bid:
        return book.best_ask
    return px
