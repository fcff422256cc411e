"""hip3 as its users meet it: a config file in, a running bot and its summary out.

:func:`run_from_config` is what ``hip3 trade`` and the notebook facade run: it starts
the embedded simulator when the config says ``network = "sim"``, resolves the key,
builds the :class:`~hip3.bot.Bot` from the config's sections and returns a
:class:`TradeSummary` whose ``positions`` (the tracker's) sit beside
``exchange_positions`` (the venue's ``clearinghouseState`` at shutdown).
:mod:`hip3.app.account` reads an account whole (positions, open orders, fills on every
dex; cancel-all) for ``hip3 positions | orders | fills | cancel-all`` and the notebook.
"""

from __future__ import annotations

from hip3.app.account import (
    AccountFill,
    AccountOrder,
    AccountPosition,
    CancelAllReport,
    CancelRefusal,
)
from hip3.app.monitor import FillMonitor, FillRecord
from hip3.app.run import (
    Endpoint,
    RunningBot,
    build_bot,
    endpoint_for,
    open_venue,
    run_from_config,
    signing_key,
)
from hip3.app.summary import (
    LiveState,
    OrderCounts,
    TradeSummary,
    decimal_text,
    token_amounts_text,
)

__all__ = [
    "AccountFill",
    "AccountOrder",
    "AccountPosition",
    "CancelAllReport",
    "CancelRefusal",
    "Endpoint",
    "FillMonitor",
    "FillRecord",
    "LiveState",
    "OrderCounts",
    "RunningBot",
    "TradeSummary",
    "build_bot",
    "decimal_text",
    "endpoint_for",
    "open_venue",
    "run_from_config",
    "signing_key",
    "token_amounts_text",
]
