"""A market's public history: its trades (for ``recentTrades`` and candles) and funding rates.

Candles are not stored: ``candleSnapshot`` folds the recorded trades into the requested
interval on demand, so every interval agrees with every other and with ``recentTrades``. An
interval without a trade has no candle (the venue's candles are built from trades too).
"""

from __future__ import annotations

import calendar
import time
from collections import deque
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from hip3.sim.config import SimBadRequest
from hip3.types import wire_decimal

__all__ = ["CANDLE_INTERVALS", "MarketHistory", "Trade", "candle_start", "candles"]

_MINUTE = 60_000
CANDLE_INTERVALS: dict[str, int] = {
    "1m": _MINUTE,
    "3m": 3 * _MINUTE,
    "5m": 5 * _MINUTE,
    "15m": 15 * _MINUTE,
    "30m": 30 * _MINUTE,
    "1h": 60 * _MINUTE,
    "2h": 120 * _MINUTE,
    "4h": 240 * _MINUTE,
    "8h": 480 * _MINUTE,
    "12h": 720 * _MINUTE,
    "1d": 1_440 * _MINUTE,
    "3d": 3 * 1_440 * _MINUTE,
    "1w": 7 * 1_440 * _MINUTE,
    "1M": 0,  # calendar months: see candle_start
}
MAX_CANDLES = 5_000  # "Only the most recent 5000 candles" (api doc §1.11)
_TRADES_KEPT = 50_000
_FUNDINGS_KEPT = 10_000
_WEEK_OFFSET = 4 * 1_440 * _MINUTE  # the epoch was a Thursday; weeks start on Monday


@attrs.frozen(slots=True)
class Trade:
    """One public trade, in the ws ``trades`` shape (:meth:`wire`)."""

    coin: str
    side: str
    px: Decimal
    sz: Decimal
    hash: str
    time: int
    tid: int
    users: tuple[str, str]

    def wire(self) -> dict[str, Any]:
        return {
            "coin": self.coin,
            "side": self.side,
            "px": wire_decimal(self.px),
            "sz": wire_decimal(self.sz),
            "hash": self.hash,
            "time": self.time,
            "tid": self.tid,
            "users": list(self.users),
        }


class MarketHistory:
    """The bounded public record of one market (oldest first)."""

    __slots__ = ("fundings", "trades")

    def __init__(self) -> None:
        self.trades: deque[Trade] = deque(maxlen=_TRADES_KEPT)
        self.fundings: deque[dict[str, Any]] = deque(maxlen=_FUNDINGS_KEPT)

    def recent_trades(self, limit: int) -> list[dict[str, Any]]:
        """The last ``limit`` trades, newest first (as ``recentTrades`` answers)."""
        count = min(limit, len(self.trades))
        return [self.trades[-1 - i].wire() for i in range(count)]

    def fundings_between(self, start: int, end: int, limit: int) -> list[dict[str, Any]]:
        return [f for f in self.fundings if start <= f["time"] <= end][:limit]


def candle_start(time_ms: int, interval: str) -> tuple[int, int]:
    """The ``[open, close]`` ms bounds (close inclusive) of the ``interval`` candle holding ``time_ms``."""
    length = CANDLE_INTERVALS[interval]
    if interval == "1M":
        year, month = _year_month(time_ms)
        opened = calendar.timegm((year, month, 1, 0, 0, 0)) * 1000
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        return opened, calendar.timegm((next_year, next_month, 1, 0, 0, 0)) * 1000 - 1
    if interval == "1w":
        opened = (time_ms - _WEEK_OFFSET) // length * length + _WEEK_OFFSET
    else:
        opened = time_ms // length * length
    return opened, opened + length - 1


def _year_month(time_ms: int) -> tuple[int, int]:
    moment = time.gmtime(time_ms // 1000)
    return moment.tm_year, moment.tm_mon


def candles(
    coin: str, interval: str, trades: Iterable[Trade], start: int, end: int
) -> list[dict[str, Any]]:
    """The candles of ``coin`` overlapping ``[start, end]``, oldest first, at most the last 5000."""
    if interval not in CANDLE_INTERVALS:
        raise SimBadRequest(
            f"interval: expected one of {' '.join(CANDLE_INTERVALS)}, got {interval!r}"
        )
    built: dict[int, dict[str, Any]] = {}
    order: list[int] = []
    for trade in trades:
        opened, closed = candle_start(trade.time, interval)
        if closed < start or opened > end:
            continue
        candle = built.get(opened)
        if candle is None:
            candle = {
                "t": opened,
                "T": closed,
                "o": trade.px,
                "h": trade.px,
                "l": trade.px,
                "v": Decimal(0),
                "n": 0,
            }
            built[opened] = candle
            order.append(opened)
        candle["c"] = trade.px
        candle["h"] = max(candle["h"], trade.px)
        candle["l"] = min(candle["l"], trade.px)
        candle["v"] += trade.sz
        candle["n"] += 1
    order.sort()
    return [
        {
            "t": built[t]["t"],
            "T": built[t]["T"],
            "s": coin,
            "i": interval,
            "o": wire_decimal(built[t]["o"]),
            "c": wire_decimal(built[t]["c"]),
            "h": wire_decimal(built[t]["h"]),
            "l": wire_decimal(built[t]["l"]),
            "v": wire_decimal(built[t]["v"]),
            "n": built[t]["n"],
        }
        for t in order[-MAX_CANDLES:]
    ]
