"""The trading bot: strategy protocol, example strategies, resync timer."""

from __future__ import annotations

from hip3.bot.book import Book, Level
from hip3.bot.resync import ResyncStats, ResyncTimer
from hip3.bot.strategy import MarketRules, Strategy, StrategyContext

__all__ = [
    "Book",
    "Level",
    "MarketRules",
    "ResyncStats",
    "ResyncTimer",
    "Strategy",
    "StrategyContext",
]
