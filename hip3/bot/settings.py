"""What a :class:`~hip3.bot.Bot` is told: its mode, its settings and their defaults.

The bot's tuning is grouped in frozen classes, one per concern, gathered in
:class:`BotSettings`: :class:`RiskSettings` (limits, dead man's switch),
:class:`ResyncSettings` (checking positions against the venue), :class:`OrderSettings`
(sending, cancelling, remembering outcomes), :class:`FeedSettings` (the strategy's
timer) and :class:`MetricsSettings`. A config builds them
(:meth:`hip3.config.Config.bot_settings`); a notebook passes the few it changes, or the
flat keywords of :meth:`hip3.bot.Bot.create` (:class:`BotTuning`).

Every default lives here once; :mod:`hip3.config.model` and :class:`~hip3.bot.Bot` both
read it, so a TOML file that leaves a key out and a notebook that leaves an argument out
get the same bot.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Literal, TypedDict, Unpack

import attrs

from hip3.errors import ValidationError
from hip3.executor.intents import CancelScope
from hip3.risk import RiskLimits
from hip3.tracker.state import DEFAULT_DEDUP_CAPACITY
from hip3.universe import Market

__all__ = [
    "DEFAULT_DEAD_MANS_SWITCH_SECS",
    "DEFAULT_DEDUP_CAPACITY",
    "DEFAULT_METRICS_HOST",
    "DEFAULT_RESYNC_INTERVAL_SECS",
    "DEFAULT_STRATEGY_INTERVAL_SECS",
    "BotSettings",
    "BotTuning",
    "FeedSettings",
    "MarginMode",
    "MarketSetup",
    "MetricsSettings",
    "Mode",
    "OrderSettings",
    "ResyncSettings",
    "RiskSettings",
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


@attrs.frozen
class RiskSettings:
    """``limits``: what the risk gates enforce before anything is sent.
    ``dead_mans_switch_secs``: the venue's scheduleCancel window the bot keeps armed in
    trading mode (None: off); ``require_dead_mans_switch``: refuse to start when the
    venue refuses it (below $1M traded), rather than run UNPROTECTED with the watchdog."""

    limits: RiskLimits = attrs.field(factory=RiskLimits)
    dead_mans_switch_secs: float | None = DEFAULT_DEAD_MANS_SWITCH_SECS
    require_dead_mans_switch: bool = False


@attrs.frozen
class ResyncSettings:
    """Checking the tracker against the venue's ``clearinghouseState``.

    ``interval_secs`` between periodic resyncs (trading mode; 0: none);
    ``backfill``: fetch the fills since the last adopted snapshot over REST before each
    one is offered; ``fill_watch``: look for fills the venue reported that never came;
    ``startup_timeout_secs`` bounds the wait for the baseline snapshot (no baseline, no
    start), ``final_timeout_secs`` the closing resync; ``dedup_capacity``: how many fill
    identities the tracker remembers (the venue's userFills snapshot holds 2000).
    """

    interval_secs: float = DEFAULT_RESYNC_INTERVAL_SECS
    backfill: bool = True
    fill_watch: bool = True
    startup_timeout_secs: float = 30.0
    final_timeout_secs: float = 10.0
    dedup_capacity: int = DEFAULT_DEDUP_CAPACITY


def _check_scope(_: object, __: object, value: str) -> None:
    if value not in ("own", "account"):
        raise ValidationError(f"must be 'own' or 'account', got {value!r}", field="cancel_scope")


#: ``"cross"``: the position draws on the dex's shared margin; ``"isolated"``: on its own
MarginMode = Literal["cross", "isolated"]
#: the venue's ``marginMode`` values of a market that takes no cross margin
ISOLATED_ONLY_MODES = ("noCross", "strictIsolated")


@attrs.frozen
class MarketSetup:
    """One market's leverage and margin mode, set on the venue when a trading bot starts
    (the ``updateLeverage`` action). ``margin`` None: cross, or isolated on a market that
    allows only isolated margin."""

    leverage: int
    margin: MarginMode | None = None

    def __attrs_post_init__(self) -> None:
        if isinstance(self.leverage, bool) or not isinstance(self.leverage, int):
            raise ValidationError(f"must be an integer; got {self.leverage!r}", field="leverage")
        if self.leverage < 1:
            raise ValidationError(f"must be at least 1; got {self.leverage}", field="leverage")
        if self.margin not in (None, "cross", "isolated"):
            raise ValidationError(f"must be cross or isolated; got {self.margin!r}", field="margin")

    def is_cross(self, market: Market) -> bool:
        """Whether the venue is asked for cross margin on ``market``."""
        if self.margin is None:
            return not isolated_only(market)
        return self.margin == "cross"

    def problem(self, market: Market) -> tuple[str, str] | None:
        """``(field, why)`` when the venue's rules for ``market`` refuse this setup."""
        if self.leverage > market.max_leverage:
            return "leverage", (
                f"{self.leverage}x is above {market.coin}'s maximum of "
                f"{market.max_leverage}x on this venue"
            )
        if self.margin == "cross" and isolated_only(market):
            return "margin", (
                f"{market.coin} allows only isolated margin on this venue "
                f"(marginMode {market.margin_mode or 'onlyIsolated'})"
            )
        return None


def isolated_only(market: Market) -> bool:
    """Whether the venue takes no cross margin on ``market`` (``onlyIsolated``, or a
    ``marginMode`` of ``noCross`` / ``strictIsolated``)."""
    return market.only_isolated or market.margin_mode in ISOLATED_ONLY_MODES


@attrs.frozen
class OrderSettings:
    """Sending and cancelling.

    ``expires_after_ms``: each signed action's expiry (None: none); a lost answer is
    resolved once it has passed. ``ws_post_timeout_secs`` bounds the wait for a ws post
    answer. ``cancel_on_shutdown``: a clean stop cancels the open orders of
    ``cancel_scope`` (``"own"``: the bot's; ``"account"``: every one of the account),
    which the kill switch cancels too. ``outcome_history``: how many recent outcomes
    :attr:`hip3.bot.Bot.outcomes` keeps. ``market_setup``: leverage and margin mode per
    coin, set on the venue at start (trading mode; a refusal stops the start).
    """

    expires_after_ms: int | None = 10_000
    ws_post_timeout_secs: float = 10.0
    cancel_on_shutdown: bool = True
    cancel_scope: CancelScope = attrs.field(default="own", validator=_check_scope)
    outcome_history: int = 10_000
    market_setup: Mapping[str, MarketSetup] = attrs.field(factory=dict)


@attrs.frozen
class FeedSettings:
    """``strategy_interval_secs``: how often the strategy's ``on_timer`` runs."""

    strategy_interval_secs: float = DEFAULT_STRATEGY_INTERVAL_SECS


@attrs.frozen
class MetricsSettings:
    """``port``: serve Prometheus ``/metrics`` and ``/healthz`` there (None: off; 0: any
    free port), on ``host``; needs ``pip install 'hip3[metrics]'``."""

    port: int | None = None
    host: str = DEFAULT_METRICS_HOST


@attrs.frozen
class BotSettings:
    """Everything that tunes a bot, by concern; every part defaults to hip3's defaults."""

    risk: RiskSettings = RiskSettings()
    resync: ResyncSettings = ResyncSettings()
    orders: OrderSettings = OrderSettings()
    feeds: FeedSettings = FeedSettings()
    metrics: MetricsSettings = MetricsSettings()

    @classmethod
    def of(cls, **tuning: Unpack[BotTuning]) -> BotSettings:
        """The settings from flat keywords (:class:`BotTuning`); the others keep their
        defaults: ``BotSettings.of(dedup_capacity=5000, metrics_port=9464)``."""
        groups: dict[str, dict[str, Any]] = {group: {} for group in _GROUPS}
        for name, value in tuning.items():
            if name not in _FLAT:
                raise TypeError(f"BotSettings.of() got an unexpected keyword argument {name!r}")
            group, field = _FLAT[name]
            if not (name == "risk_limits" and value is None):
                groups[group][field] = value
        return cls(**{group: _GROUPS[group](**fields) for group, fields in groups.items()})


class BotTuning(TypedDict, total=False):
    """The settings as the flat keywords of :meth:`BotSettings.of` and
    :meth:`hip3.bot.Bot.create` (each names its field in :class:`BotSettings`)."""

    risk_limits: RiskLimits | None  # risk.limits (None: no limits)
    dead_mans_switch_secs: float | None  # risk.dead_mans_switch_secs
    require_dead_mans_switch: bool  # risk.require_dead_mans_switch
    position_resync_interval_secs: float  # resync.interval_secs
    resync_backfill: bool  # resync.backfill
    fill_watch: bool  # resync.fill_watch
    startup_timeout_secs: float  # resync.startup_timeout_secs
    final_resync_timeout_secs: float  # resync.final_timeout_secs
    dedup_capacity: int  # resync.dedup_capacity
    expires_after_ms: int | None  # orders.expires_after_ms
    ws_post_timeout_secs: float  # orders.ws_post_timeout_secs
    cancel_on_shutdown: bool  # orders.cancel_on_shutdown
    cancel_scope: CancelScope  # orders.cancel_scope
    outcome_history: int  # orders.outcome_history
    market_setup: Mapping[str, MarketSetup]  # orders.market_setup
    strategy_interval_secs: float  # feeds.strategy_interval_secs
    metrics_port: int | None  # metrics.port
    metrics_host: str  # metrics.host


_GROUPS: dict[str, type] = {
    "risk": RiskSettings,
    "resync": ResyncSettings,
    "orders": OrderSettings,
    "feeds": FeedSettings,
    "metrics": MetricsSettings,
}
_FLAT: dict[str, tuple[str, str]] = {
    "risk_limits": ("risk", "limits"),
    "dead_mans_switch_secs": ("risk", "dead_mans_switch_secs"),
    "require_dead_mans_switch": ("risk", "require_dead_mans_switch"),
    "position_resync_interval_secs": ("resync", "interval_secs"),
    "resync_backfill": ("resync", "backfill"),
    "fill_watch": ("resync", "fill_watch"),
    "startup_timeout_secs": ("resync", "startup_timeout_secs"),
    "final_resync_timeout_secs": ("resync", "final_timeout_secs"),
    "dedup_capacity": ("resync", "dedup_capacity"),
    "expires_after_ms": ("orders", "expires_after_ms"),
    "ws_post_timeout_secs": ("orders", "ws_post_timeout_secs"),
    "cancel_on_shutdown": ("orders", "cancel_on_shutdown"),
    "cancel_scope": ("orders", "cancel_scope"),
    "outcome_history": ("orders", "outcome_history"),
    "market_setup": ("orders", "market_setup"),
    "strategy_interval_secs": ("feeds", "strategy_interval_secs"),
    "metrics_port": ("metrics", "port"),
    "metrics_host": ("metrics", "host"),
}
