"""Accounts: per-dex clearinghouses (balance, positions, leverage), nonces, fills history.

Margin is simple but real (hyperliquid-api.md §1.6, §6):

* each dex is an independent clearinghouse with its own USDC ``balance`` (HIP-3 dexes margin
  independently); cross positions draw on it, isolated positions carry ``iso_margin`` moved
  out of it when they open and back (pro rata) when they close;
* initial margin = notional / leverage at the mark; account value = balance + unrealized pnl
  (+ isolated margins); maintenance margin = half the initial margin at max leverage;
* realised pnl (``side * (px - entryPx) * closed size``) and fees move the balance; opening
  fills average into ``entryPx``, closing fills keep it.
"""

from __future__ import annotations

import bisect
import heapq
from collections import deque
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hip3.sim.book import Order

__all__ = ["Account", "DexAccount", "FillResult", "NonceSet", "PositionState", "direction", "usd"]

_USD = Decimal("0.000001")
_PX = Decimal("0.0000000001")
_ZERO = Decimal(0)

FILL_HISTORY = 10_000  # the venue serves only the 10000 most recent fills (api doc §1.8)
DONE_ORDER_HISTORY = 50_000  # finished orders remembered per user (orderStatus); memory stays flat


def usd(value: Decimal) -> Decimal:
    """A USD amount at the venue's 6 decimals."""
    return value.quantize(_USD)


class PositionState:
    """The engine's mutable record of one position on one dex (what ``clearinghouseState``
    reports from): signed size, entry price, isolated margin, funding since open/change."""

    __slots__ = ("entry_px", "funding_since_change", "funding_since_open", "iso_margin", "szi")

    def __init__(self) -> None:
        self.szi = _ZERO
        self.entry_px = _ZERO
        self.iso_margin = _ZERO
        # Funding paid (positive) or received (negative), as cumFunding reports it.
        self.funding_since_open = _ZERO
        self.funding_since_change = _ZERO


class FillResult:
    """What applying one fill did to a position (the fill's ``startPosition``, ``dir``...)."""

    __slots__ = ("closed_pnl", "dir", "start_position")

    def __init__(self, start_position: Decimal, direction: str, closed_pnl: Decimal) -> None:
        self.start_position = start_position
        self.dir = direction
        self.closed_pnl = closed_pnl


def direction(start: Decimal, is_buy: bool, end: Decimal) -> str:
    """The fill's ``dir`` label from the position before and after it (api doc §6)."""
    if start == 0 or (start > 0) == is_buy:
        return "Open Long" if is_buy else "Open Short"
    if end == 0 or (end > 0) == (start > 0):
        return "Close Short" if is_buy else "Close Long"
    return "Short > Long" if is_buy else "Long > Short"


class DexAccount:
    """One user's clearinghouse on one dex."""

    __slots__ = ("balance", "funding_all_time", "leverage", "order_ntl", "positions")

    def __init__(self, balance: Decimal) -> None:
        self.balance = balance
        self.funding_all_time: dict[str, Decimal] = {}
        self.positions: dict[str, PositionState] = {}
        self.leverage: dict[str, tuple[bool, int]] = {}  # coin -> (is_cross, leverage)
        # coin -> sum of sz * limitPx of open orders that can add exposure (margin reserved)
        self.order_ntl: dict[str, Decimal] = {}

    def position(self, coin: str) -> PositionState:
        position = self.positions.get(coin)
        if position is None:
            position = self.positions[coin] = PositionState()
        return position

    def szi(self, coin: str) -> Decimal:
        position = self.positions.get(coin)
        return position.szi if position is not None else _ZERO

    def leverage_of(self, coin: str, default: tuple[bool, int]) -> tuple[bool, int]:
        return self.leverage.get(coin, default)

    def apply_fill(
        self,
        coin: str,
        is_buy: bool,
        px: Decimal,
        sz: Decimal,
        fee: Decimal,
        leverage: tuple[bool, int],
    ) -> FillResult:
        position = self.position(coin)
        start = position.szi
        signed = sz if is_buy else -sz
        end = start + signed
        closed = _ZERO
        if start != 0 and (start > 0) != is_buy:
            closed = min(sz, abs(start))
        opened = sz - closed
        closed_pnl = usd((px - position.entry_px) * closed * (1 if start > 0 else -1))
        is_cross, lev = leverage
        if not is_cross and closed:
            released = position.iso_margin * closed / abs(start)
            position.iso_margin -= released
            self.balance += released
        if end == 0:
            position.entry_px = _ZERO
        elif opened:
            if closed:  # flipped: the new side opens at this price
                position.entry_px = px
            else:
                position.entry_px = (
                    (position.entry_px * abs(start) + px * sz) / abs(end)
                ).quantize(_PX)
        if not is_cross and opened:
            added = px * opened / lev
            position.iso_margin += added
            self.balance -= added
        position.szi = end
        position.funding_since_change = _ZERO
        self.balance += closed_pnl - fee
        if end == 0:
            self.balance += position.iso_margin
            del self.positions[coin]
        return FillResult(start, direction(start, is_buy, end), closed_pnl)

    def apply_funding(self, coin: str, oracle: Decimal, rate: Decimal, is_cross: bool) -> Decimal:
        """Settle one funding period: longs pay ``szi * oracle * rate`` when the rate is
        positive. Moves collateral only, never ``szi`` (api doc §6). Returns the USDC received."""
        position = self.positions[coin]
        paid = usd(position.szi * oracle * rate)
        if is_cross:
            self.balance -= paid
        else:
            position.iso_margin -= paid
        position.funding_since_open += paid
        position.funding_since_change += paid
        self.funding_all_time[coin] = self.funding_all_time.get(coin, _ZERO) + paid
        return -paid

    # -- margin ------------------------------------------------------------------

    def cross_value(
        self, marks: Mapping[str, Decimal], defaults: Mapping[str, tuple[bool, int]]
    ) -> Decimal:
        """Balance plus the unrealized pnl of cross positions."""
        value = self.balance
        for coin, position in self.positions.items():
            if self.leverage.get(coin, defaults[coin])[0]:
                value += (marks[coin] - position.entry_px) * position.szi
        return value

    def cross_margin_used(
        self, marks: Mapping[str, Decimal], defaults: Mapping[str, tuple[bool, int]]
    ) -> Decimal:
        used = _ZERO
        for coin, position in self.positions.items():
            is_cross, lev = self.leverage.get(coin, defaults[coin])
            if is_cross:
                used += abs(position.szi) * marks[coin] / lev
        return used

    def order_margin(self, defaults: Mapping[str, tuple[bool, int]]) -> Decimal:
        return sum(
            (
                ntl / self.leverage.get(coin, defaults[coin])[1]
                for coin, ntl in self.order_ntl.items()
            ),
            _ZERO,
        )

    def available(
        self, marks: Mapping[str, Decimal], defaults: Mapping[str, tuple[bool, int]]
    ) -> Decimal:
        """Collateral free for new exposure: cross value - cross margin - open orders' margin."""
        return (
            self.cross_value(marks, defaults)
            - self.cross_margin_used(marks, defaults)
            - self.order_margin(defaults)
        )

    def reserve(self, coin: str, ntl: Decimal) -> None:
        self.order_ntl[coin] = self.order_ntl.get(coin, _ZERO) + ntl
        if self.order_ntl[coin] <= 0:
            del self.order_ntl[coin]


class NonceSet:
    """The venue's per-signer nonce rule (api doc §3.5): the 100 highest nonces are kept; a new
    nonce must be unused and larger than the smallest kept one."""

    __slots__ = ("_heap", "_members")
    CAPACITY = 100

    def __init__(self) -> None:
        self._heap: list[int] = []
        self._members: set[int] = set()

    def check(self, nonce: int) -> str | None:
        """The venue's rejection text, or None when ``nonce`` is acceptable."""
        if nonce in self._members:
            return f"Invalid nonce: duplicate nonce {nonce}"
        if len(self._heap) >= self.CAPACITY and nonce <= self._heap[0]:
            return f"Invalid nonce: nonce too low {nonce} < {self._heap[0]}"
        return None

    def use(self, nonce: int) -> None:
        heapq.heappush(self._heap, nonce)
        self._members.add(nonce)
        if len(self._heap) > self.CAPACITY:
            self._members.discard(heapq.heappop(self._heap))


class Account:
    """One address: its clearinghouse per dex, orders, fills, agents and dead-man's switch."""

    __slots__ = (
        "address",
        "cloids",
        "cum_volume",
        "dexes",
        "done_orders",
        "fill_times",
        "fills",
        "fundings",
        "last_action_ms",
        "ledger",
        "n_actions",
        "open_orders",
        "orders",
        "schedule_triggers",
        "scheduled_cancel",
        "spot",
        "spot_entry",
        "spot_hold",
    )

    def __init__(self, address: str) -> None:
        self.address = address
        self.dexes: dict[str, DexAccount] = {}
        self.orders: dict[int, Order] = {}  # every order placed, by oid
        self.open_orders: dict[int, Order] = {}  # resting or waiting for their trigger
        self.cloids: dict[str, int] = {}  # cloid -> oid
        self.done_orders: deque[int] = deque()  # oids of finished orders, oldest first
        self.fills: list[dict[str, Any]] = []  # wire fills, oldest first
        self.fill_times: list[int] = []
        self.fundings: list[dict[str, Any]] = []  # userFunding entries, oldest first
        self.ledger: list[dict[str, Any]] = []  # non-funding ledger updates, oldest first
        self.scheduled_cancel: int | None = None
        self.schedule_triggers: dict[int, int] = {}  # UTC day -> triggers (max 10 a day)
        self.cum_volume = _ZERO
        self.n_actions = 0
        # exchange time of the last accepted action (past the request budget, one per 10 s)
        self.last_action_ms: int | None = None
        # Spot wallet: token -> total, and token -> the part held by resting spot orders.
        self.spot: dict[str, Decimal] = {}
        self.spot_hold: dict[str, Decimal] = {}
        self.spot_entry: dict[str, Decimal] = {}  # token -> USDC paid for what is held

    def request_cap(self, initial: int, *, cancel: bool = False) -> int:
        """The address request budget: ``initial`` plus 1 per USDC of volume; cancels get
        the larger ``min(cap + 100000, 2 cap)`` (api doc §5)."""
        cap = initial + int(self.cum_volume)
        return min(cap + 100_000, 2 * cap) if cancel else cap

    def spot_available(self, token: str) -> Decimal:
        return self.spot.get(token, _ZERO) - self.spot_hold.get(token, _ZERO)

    def move_spot(self, token: str, amount: Decimal) -> None:
        """Add ``amount`` (negative: remove) to the ``token`` balance."""
        self.spot[token] = self.spot.get(token, _ZERO) + amount

    def hold_spot(self, token: str, amount: Decimal) -> None:
        """Hold ``amount`` more (negative: release) of ``token`` for resting orders."""
        held = self.spot_hold.get(token, _ZERO) + amount
        if held > 0:
            self.spot_hold[token] = held
        else:
            self.spot_hold.pop(token, None)

    def retire(self, order: Order) -> None:
        """Note a finished order; the oldest finished ones are forgotten past the history cap."""
        self.done_orders.append(order.oid)
        while len(self.done_orders) > DONE_ORDER_HISTORY:
            old = self.orders.pop(self.done_orders.popleft(), None)
            if old is not None and old.cloid is not None and self.cloids.get(old.cloid) == old.oid:
                del self.cloids[old.cloid]

    def add_fill(self, fill: dict[str, Any]) -> None:
        self.fills.append(fill)
        self.fill_times.append(fill["time"])
        if len(self.fills) > 2 * FILL_HISTORY:
            del self.fills[:-FILL_HISTORY]
            del self.fill_times[:-FILL_HISTORY]

    def recent_fills(self, limit: int) -> list[dict[str, Any]]:
        """Newest first (as ``userFills`` answers)."""
        return self.fills[: -limit - 1 : -1] if limit else []

    def fills_between(self, start: int, end: int, limit: int) -> list[dict[str, Any]]:
        """Oldest first, ``start <= time <= end``, among the 10000 most recent, at most ``limit``."""
        first_kept = max(0, len(self.fills) - FILL_HISTORY)
        lo = max(first_kept, bisect.bisect_left(self.fill_times, start))
        hi = bisect.bisect_right(self.fill_times, end)
        return self.fills[lo : min(hi, lo + limit)]
