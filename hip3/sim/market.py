"""One simulated market: identity, oracle price walk, book, waiting triggers, LP quote grid.

Prices follow the venue's rules (hyperliquid-api.md §3.4): at most 5 significant figures
(integers always allowed) and at most ``6 - szDecimals`` decimals. The oracle is a seeded
geometric random walk; the mark is the oracle (the simulator has no separate mark).
"""

from __future__ import annotations

import math
import random
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal

from hip3.errors import ValidationError
from hip3.sim.book import Order, OrderBook
from hip3.sim.config import SimMarket
from hip3.types import (
    MAX_DECIMALS_PERP,
    MAX_DECIMALS_SPOT,
    MAX_SIG_FIGS,
    round_price,
    validate_price,
)
from hip3.universe import GROWTH_MODE_FACTOR, fee_multiplier

__all__ = ["MarketState", "price_tick", "valid_price"]

_BPS = Decimal("0.0001")


def price_tick(px: Decimal, sz_decimals: int, *, spot: bool = False) -> Decimal:
    """The smallest price step at ``px``: 5 significant figures, capped by the decimals rule."""
    integer_digits = px.adjusted() + 1
    cap = (MAX_DECIMALS_SPOT if spot else MAX_DECIMALS_PERP) - sz_decimals
    decimals = min(max(0, MAX_SIG_FIGS - integer_digits), cap)
    return Decimal(1).scaleb(-max(0, decimals))


def valid_price(px: Decimal, sz_decimals: int, *, spot: bool = False) -> bool:
    try:
        validate_price(px, sz_decimals, spot=spot)
    except ValidationError:
        return False
    return True


class MarketState:
    """Everything the engine keeps per market."""

    __slots__ = (
        "_raw_oracle",
        "asset",
        "book",
        "coin",
        "day_base_vlm",
        "day_ntl_vlm",
        "delisted",
        "dex",
        "fee_multiplier",
        "halted",
        "last_trade_px",
        "lot",
        "lp_mark",
        "lp_orders",
        "oracle",
        "prev_day_px",
        "spec",
        "spot",
        "sz_decimals",
        "triggers",
        "volume_weight",
    )

    def __init__(
        self,
        spec: SimMarket,
        dex: str,
        asset: int,
        *,
        spot: bool = False,
        deployer_fee_scale: Decimal | None = None,
    ) -> None:
        self.spec = spec
        # the venue's multiplier on the account's fee rates (HIP-3: 1+s or 2s, growth x0.1)
        # and the share of a trade's notional that counts as the account's volume
        self.fee_multiplier = fee_multiplier(deployer_fee_scale, spec.growth_mode)
        self.volume_weight = GROWTH_MODE_FACTOR if spec.growth_mode else Decimal(1)
        self.spot = spot  # a spot pair (asset 10000 + index): tokens move, no position
        self.halted = False  # trading halted (admin): no orders, no quotes
        self.delisted = False  # halted for good; meta shows isDelisted
        self.coin = spec.name
        self.dex = dex
        self.asset = asset
        self.sz_decimals = spec.sz_decimals
        self.lot = Decimal(1).scaleb(-spec.sz_decimals)
        self.book = OrderBook(spec.name)
        self.oracle = round_price(spec.start_price, spec.sz_decimals, spot=spot)
        self._raw_oracle = float(spec.start_price)
        self.prev_day_px = self.oracle
        self.last_trade_px: Decimal | None = None
        self.day_ntl_vlm = Decimal(0)
        self.day_base_vlm = Decimal(0)
        self.triggers: dict[int, Order] = {}  # oid -> trigger order waiting for the mark
        self.lp_orders: list[Order] = []
        self.lp_mark: Decimal | None = None  # the mark the LP last quoted around

    @property
    def mark(self) -> Decimal:
        return self.oracle

    def mid(self) -> Decimal:
        """Book mid; the last trade (then the oracle) when a side is empty (api doc §1.5)."""
        bid, ask = self.book.best_bid(), self.book.best_ask()
        if bid is not None and ask is not None:
            return (bid + ask) / 2
        return self.last_trade_px if self.last_trade_px is not None else self.oracle

    def walk(self, rng: random.Random, elapsed_ms: int) -> None:
        """Move the oracle by a log-normal step for ``elapsed_ms`` of simulated time."""
        if elapsed_ms <= 0 or self.spec.volatility == 0:
            return
        sigma = self.spec.volatility * math.sqrt(elapsed_ms / 1000)
        self._raw_oracle *= math.exp(sigma * rng.gauss(0.0, 1.0))
        self.oracle = round_price(repr(self._raw_oracle), self.sz_decimals, spot=self.spot)

    def set_oracle(self, px: Decimal) -> None:
        self.oracle = round_price(px, self.sz_decimals, spot=self.spot)
        self._raw_oracle = float(self.oracle)

    def floor_price(self, px: Decimal) -> Decimal:
        return round_price(px, self.sz_decimals, spot=self.spot, rounding=ROUND_FLOOR)

    def ceil_price(self, px: Decimal) -> Decimal:
        return round_price(px, self.sz_decimals, spot=self.spot, rounding=ROUND_CEILING)

    def lp_grid(
        self, levels: int, notional: Decimal, spread_bps: Decimal
    ) -> list[tuple[bool, Decimal, Decimal]]:
        """The LP's quotes ``(is_buy, px, sz)`` around the mark, nearest first on each side.

        Level ``k`` sits ``(k + 1) * spread_bps`` from the mark (at least one tick further than
        the previous level) and quotes ``(k + 1) * notional`` USD, at least one lot.
        """
        mark = self.oracle
        spacing = mark * spread_bps * _BPS
        quotes: list[tuple[bool, Decimal, Decimal]] = []
        for is_buy in (True, False):
            previous: Decimal | None = None
            for k in range(levels):
                offset = spacing * (k + 1)
                if is_buy:
                    target = mark - offset
                    if previous is not None:
                        target = min(
                            target,
                            previous - price_tick(previous, self.sz_decimals, spot=self.spot),
                        )
                    if target <= 0:
                        break
                    px = self.floor_price(target)
                else:
                    target = mark + offset
                    if previous is not None:
                        target = max(
                            target,
                            previous + price_tick(previous, self.sz_decimals, spot=self.spot),
                        )
                    px = self.ceil_price(target)
                if previous is not None and px == previous:  # rounding undid the step
                    break
                previous = px
                sz = (notional * (k + 1) / px).quantize(self.lot, rounding=ROUND_DOWN)
                quotes.append((is_buy, px, max(sz, self.lot)))
        return quotes
