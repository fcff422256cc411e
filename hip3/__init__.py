"""hip3: Hyperliquid perpetuals, HIP-3 dexes included, with positions you can trust.

The names most programs need are importable from here; each is loaded on first use,
so ``import hip3`` stays cheap (the CLI's ``--version`` and a notebook's first cell
do not pay for the simulator or the websocket stack)::

    from hip3 import InfoClient, ExchangeClient, PositionTracker, Side

Everything else lives in its subpackage: :mod:`hip3.clients`, :mod:`hip3.tracker`,
:mod:`hip3.bot`, :mod:`hip3.sim`, :mod:`hip3.signing`, :mod:`hip3.wire`,
:mod:`hip3.journal`, :mod:`hip3.risk`, :mod:`hip3.config`, :mod:`hip3.notebook`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hip3._version import __version__

if TYPE_CHECKING:
    from hip3.bot import Bot, BotSummary, Mode, run_bot
    from hip3.clients import MAINNET, TESTNET, ExchangeClient, InfoClient, WsClient
    from hip3.config import Config, config_from_dict, load_config
    from hip3.domain import AccountSnapshot, Fill, OrderStatus, OrderUpdate, PositionSnapshot
    from hip3.errors import (
        ConfigError,
        ExchangeError,
        Hip3Error,
        NotRunningError,
        NotSentError,
        RateLimitedError,
        SentNoAnswerError,
        SigningError,
        StopTimeoutError,
        TrackerStopped,
        TransportError,
        UnknownOutcomeError,
        ValidationError,
        WireError,
    )
    from hip3.signing import PrivateKey
    from hip3.tracker import PositionTracker, TrackerHandle
    from hip3.types import Cloid, Coin, Side
    from hip3.universe import Market, Universe

_LAZY: dict[str, str] = {
    # domain values
    "Side": "hip3.types",
    "Coin": "hip3.types",
    "Cloid": "hip3.types",
    "Fill": "hip3.domain",
    "OrderUpdate": "hip3.domain",
    "OrderStatus": "hip3.domain",
    "AccountSnapshot": "hip3.domain",
    "PositionSnapshot": "hip3.domain",
    "Universe": "hip3.universe",
    "Market": "hip3.universe",
    # errors: every exception users catch (the tree is drawn in hip3.errors)
    "Hip3Error": "hip3.errors",
    "ConfigError": "hip3.errors",
    "ValidationError": "hip3.errors",
    "SigningError": "hip3.errors",
    "WireError": "hip3.errors",
    "ExchangeError": "hip3.errors",
    "RateLimitedError": "hip3.errors",
    "TransportError": "hip3.errors",
    "NotSentError": "hip3.errors",
    "SentNoAnswerError": "hip3.errors",
    "UnknownOutcomeError": "hip3.errors",
    "DeadMansSwitchRefused": "hip3.errors",
    "NotRunningError": "hip3.errors",
    "TrackerStopped": "hip3.errors",
    "StopTimeoutError": "hip3.errors",
    # the parts
    "PrivateKey": "hip3.signing",
    "InfoClient": "hip3.clients",
    "ExchangeClient": "hip3.clients",
    "WsClient": "hip3.clients",
    "MAINNET": "hip3.clients",
    "TESTNET": "hip3.clients",
    "PositionTracker": "hip3.tracker",
    "TrackerHandle": "hip3.tracker",
    "Bot": "hip3.bot",
    "BotSummary": "hip3.bot",
    "Mode": "hip3.bot",
    "run_bot": "hip3.bot",
    "Config": "hip3.config",
    "load_config": "hip3.config",
    "config_from_dict": "hip3.config",
}

__all__ = [
    "MAINNET",
    "TESTNET",
    "AccountSnapshot",
    "Bot",
    "BotSummary",
    "Cloid",
    "Coin",
    "Config",
    "ConfigError",
    "DeadMansSwitchRefused",
    "ExchangeClient",
    "ExchangeError",
    "Fill",
    "Hip3Error",
    "InfoClient",
    "Market",
    "Mode",
    "NotRunningError",
    "NotSentError",
    "OrderStatus",
    "OrderUpdate",
    "PositionSnapshot",
    "PositionTracker",
    "PrivateKey",
    "RateLimitedError",
    "SentNoAnswerError",
    "Side",
    "SigningError",
    "StopTimeoutError",
    "TrackerHandle",
    "TrackerStopped",
    "TransportError",
    "Universe",
    "UnknownOutcomeError",
    "ValidationError",
    "WireError",
    "WsClient",
    "__version__",
    "config_from_dict",
    "load_config",
    "run_bot",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hip3' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
