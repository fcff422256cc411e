"""Strategies shipped with hip3, by name (the config's ``strategy.name``)."""

from __future__ import annotations

from hip3.bot.strategies.market_maker import MarketMaker, MarketMakerParams

__all__ = ["MarketMaker", "MarketMakerParams"]
