"""The seed design's position accounting, modelled only to show where it fails.

design.md "Where it comes from": a post response ``filled`` moves the position
at once; a fill is skipped when its cloid was already seen, in a set cleared
when it passes 1000 entries; a resync overwrites positions whenever it runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from hip3.domain import AccountSnapshot, Fill
from hip3.types import Cloid, Side


class SeedTracker:
    def __init__(self, clear_at: int = 1000) -> None:
        self.clear_at = clear_at
        self.positions: dict[str, Decimal] = {}
        self.seen_cloids: set[Cloid] = set()
        self.sides: dict[Cloid, tuple[str, Side]] = {}

    def _mark(self, cloid: Cloid) -> None:
        if len(self.seen_cloids) >= self.clear_at:
            self.seen_cloids.clear()
        self.seen_cloids.add(cloid)

    def order_sent(self, cloid: Cloid, coin: str, side: Side) -> None:
        self.sides[cloid] = (coin, side)

    def order_filled(self, cloid: Cloid, total_sz: Decimal) -> None:
        if cloid in self.seen_cloids:
            return
        self._mark(cloid)
        coin, side = self.sides[cloid]
        self.positions[coin] = self.positions.get(coin, Decimal(0)) + side.sign * total_sz

    def fills(self, fills: Iterable[Fill]) -> None:
        for fill in fills:
            if fill.cloid is not None:
                if fill.cloid in self.seen_cloids:
                    continue
                self._mark(fill.cloid)
            self.positions[fill.coin] = self.positions.get(fill.coin, Decimal(0)) + fill.signed_sz

    def snapshot(self, snapshot: AccountSnapshot) -> None:
        for coin in [
            c for c in self.positions if (c.partition(":")[0] if ":" in c else "") == snapshot.dex
        ]:
            del self.positions[coin]
        for coin, position in snapshot.positions.items():
            self.positions[coin] = position.szi

    def position(self, coin: str) -> Decimal:
        return self.positions.get(coin, Decimal(0))
