"""What a :class:`~hip3.bot.Bot` is told: its mode and the defaults it shares with the config.

Every default lives here once; :mod:`hip3.config.model` and :class:`~hip3.bot.Bot` both
read it, so a TOML file that leaves a key out and a notebook that leaves an argument out
get the same bot.
"""

from __future__ import annotations

import enum

from hip3.tracker.state import DEFAULT_DEDUP_CAPACITY

__all__ = [
    "DEFAULT_DEAD_MANS_SWITCH_SECS",
    "DEFAULT_DEDUP_CAPACITY",
    "DEFAULT_METRICS_HOST",
    "DEFAULT_RESYNC_INTERVAL_SECS",
    "DEFAULT_STRATEGY_INTERVAL_SECS",
    "Mode",
]

#: how often the positions are checked against the venue's ``clearinghouseState``
DEFAULT_RESYNC_INTERVAL_SECS = 60.0
#: the venue's scheduleCancel window: open orders are cancelled this long after the
#: bot last re-armed it (a crash, a lost connection)
DEFAULT_DEAD_MANS_SWITCH_SECS = 60.0
#: how often the strategy's ``on_timer`` runs
DEFAULT_STRATEGY_INTERVAL_SECS = 1.0
#: where ``/metrics`` and ``/healthz`` listen when a port is given
DEFAULT_METRICS_HOST = "127.0.0.1"


class Mode(enum.StrEnum):
    """What the bot does with the strategy's intents (see :mod:`hip3.bot.bot`).

    String-valued: ``Mode.PAPER == "paper"``, and TOML and JSON spell it that way.
    """

    OBSERVE = "observe"
    PAPER = "paper"
    TRADING = "trading"
