"""The trading bot: Bot, the strategy protocol, example strategies, resync timer, paper venue."""

from __future__ import annotations

from hip3.bot.book import Book, Level, book_from_l2
from hip3.bot.bot import Bot, BotSummary, Mode, run_bot
from hip3.bot.orders import OrderLedger, OrderTally
from hip3.bot.paper import PaperVenue
from hip3.bot.resync import ResyncStats, ResyncTimer
from hip3.bot.runner import StrategyRunner
from hip3.bot.settings import (
    BotSettings,
    FeedSettings,
    MetricsSettings,
    OrderSettings,
    ResyncSettings,
    RiskSettings,
)
from hip3.bot.strategy import MarketRules, Strategy, StrategyContext

__all__ = [
    "Book",
    "Bot",
    "BotSettings",
    "BotSummary",
    "FeedSettings",
    "Level",
    "MarketRules",
    "MetricsSettings",
    "Mode",
    "OrderLedger",
    "OrderSettings",
    "OrderTally",
    "PaperVenue",
    "ResyncSettings",
    "ResyncStats",
    "ResyncTimer",
    "RiskSettings",
    "Strategy",
    "StrategyContext",
    "StrategyRunner",
    "book_from_l2",
    "run_bot",
]
