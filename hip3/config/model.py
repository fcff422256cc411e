"""The configuration's data: frozen attrs classes, one per TOML section.

The classes hold data only. Parsing lives in :mod:`hip3.config._load`, which validates a
parsed file and structures it into them with cattrs; the keys it allows and the defaults
of keys left out are read from these classes' ``attrs`` fields, so a new key is one field
here plus its check there. Defaults the :class:`~hip3.bot.Bot` shares (resync interval,
dedup capacity, dead man's switch, strategy timer, metrics host) come from
:mod:`hip3.bot.settings`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

import attrs

from hip3.bot.settings import (
    DEFAULT_DEAD_MANS_SWITCH_SECS,
    DEFAULT_DEDUP_CAPACITY,
    DEFAULT_METRICS_HOST,
    DEFAULT_RESYNC_INTERVAL_SECS,
    DEFAULT_STRATEGY_INTERVAL_SECS,
    BotSettings,
    FeedSettings,
    MarginMode,
    MarketSetup,
    MetricsSettings,
    Mode,
    OrderSettings,
    ResyncSettings,
    RiskSettings,
)
from hip3.bot.strategies import MarketMakerParams
from hip3.executor.intents import CancelScope
from hip3.risk import MarketLimits, RiskLimits
from hip3.sim.config import SimConfig

__all__ = [
    "AccountConfig",
    "Config",
    "JournalConfig",
    "LogConfig",
    "MarketConfig",
    "MetricsConfig",
    "Mode",
    "NetworkConfig",
    "RiskConfig",
    "ShutdownConfig",
    "StrategyConfig",
]

NETWORKS = ("sim", "testnet", "mainnet")
STRATEGIES = ("market_maker",)
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("text", "json")
MARGIN_MODES = ("cross", "isolated")


@attrs.frozen
class NetworkConfig:
    """Where the venue is. ``name`` is sim, testnet, mainnet or custom (explicit URLs).

    ``mainnet`` picks the signing domain (the venue checks it); for sim and custom URLs
    it is False unless set.
    """

    name: str
    http_url: str | None = None
    ws_url: str | None = None
    mainnet: bool = False


@attrs.frozen
class AccountConfig:
    """Whose account is traded and where its key comes from (never the file itself).

    ``address`` is the account (needed when ``key`` is an agent wallet's); ``vault``
    trades on behalf of a vault. The key is read from the env var ``key_env`` or the
    file ``key_file``.
    """

    address: str | None = None
    vault: str | None = None
    key_env: str | None = None
    key_file: str | None = None


@attrs.frozen
class StrategyConfig:
    """The strategy by name and its parameters (``market_maker``: MarketMakerParams)."""

    name: str = "market_maker"
    params: MarketMakerParams = attrs.field(factory=MarketMakerParams)
    interval_secs: float = DEFAULT_STRATEGY_INTERVAL_SECS


@attrs.frozen
class MarketConfig:
    """One ``[markets."xyz:TSLA"]`` table: the market's ``leverage`` and ``margin`` mode
    (``"cross"`` or ``"isolated"``; left out: cross, or isolated where the venue allows
    only that), set on the venue when a trading bot starts. An empty table trades the
    market with the account's current settings."""

    leverage: int | None = None
    margin: MarginMode | None = None


@attrs.frozen
class RiskConfig:
    """Risk limits as written in the file; :meth:`limits` is what the gates enforce.

    ``max_position`` caps coin units per market (``{"BTC" = 0.1}``) and
    ``max_position_default`` every other market; ``max_notional`` caps each market's
    notional, in the token the market settles in (USDC, USDH...);
    ``stale_data_secs`` refuses orders priced from older market data;
    ``dead_man_switch_secs`` arms the venue's scheduleCancel (0 = off);
    ``require_dead_man_switch`` refuses to start when the venue refuses it;
    ``stale_oracle_secs`` stops quoting a market whose oracle price has not moved for that long;
    ``max_notional_per_token`` caps, per collateral token (``{USDC = 5000, USDH = 2000}``),
    the summed notional of every perp position of the account settled in it.
    """

    max_position: Mapping[str, Decimal] = attrs.field(factory=dict)
    max_position_default: Decimal | None = None
    max_notional: Decimal | None = None
    max_open_orders: int | None = None
    price_band_bps: Decimal | None = None
    stale_data_secs: float | None = None
    dead_man_switch_secs: float = DEFAULT_DEAD_MANS_SWITCH_SECS
    require_dead_man_switch: bool = False
    stale_oracle_secs: float | None = None
    max_notional_per_token: Mapping[str, Decimal] = attrs.field(factory=dict)

    def limits(self) -> RiskLimits:
        default = MarketLimits(self.max_position_default, self.max_notional)
        return RiskLimits(
            default=default,
            per_market={
                coin: MarketLimits(size, self.max_notional)
                for coin, size in self.max_position.items()
            },
            max_open_orders=self.max_open_orders,
            price_band_bps=self.price_band_bps,
            max_data_age_ms=(
                None if self.stale_data_secs is None else int(self.stale_data_secs * 1000)
            ),
            max_oracle_age_ms=(
                None if self.stale_oracle_secs is None else int(self.stale_oracle_secs * 1000)
            ),
            max_notional_per_token=dict(self.max_notional_per_token),
        )


@attrs.frozen
class JournalConfig:
    """``path``: the capture file every message in and out is appended to (None = off)."""

    path: str | None = None


@attrs.frozen
class MetricsConfig:
    """``port``: serve Prometheus ``/metrics`` and ``/healthz`` there (None = off; needs
    ``pip install 'hip3[metrics]'``); ``host``: the address to listen on."""

    port: int | None = None
    host: str = DEFAULT_METRICS_HOST


@attrs.frozen
class LogConfig:
    level: str = "info"
    format: str = "text"


@attrs.frozen
class ShutdownConfig:
    """``cancel_open_orders``: cancel open orders at shutdown (and let the strategy's
    ``on_stop`` cancel); ``cancel_scope``: whose orders shutdown and the kill switch
    cancel -- ``"own"`` (the bot's, the default: a person trading by hand on the same
    account keeps theirs) or ``"account"`` (every open order of the account)."""

    cancel_open_orders: bool = True
    cancel_scope: CancelScope = "own"


@attrs.frozen
class Config:
    """A whole validated configuration; ``source`` is the file it came from.

    ``mode`` is a :class:`~hip3.bot.Mode` (string-valued: ``config.mode == "paper"``);
    ``sim`` configures the embedded simulator of ``network = "sim"`` (validated by
    :meth:`SimConfig.from_mapping`, ignored on other networks).
    """

    mode: Mode = attrs.field(default=Mode.PAPER, converter=Mode)
    network: NetworkConfig = NetworkConfig("sim")
    account: AccountConfig = AccountConfig()
    markets: tuple[str, ...] = ()
    #: the ``[markets."coin"]`` tables (their coins are ``markets``, in file order)
    market_settings: Mapping[str, MarketConfig] = attrs.field(factory=dict)
    position_resync_interval_secs: float = DEFAULT_RESYNC_INTERVAL_SECS
    dedup_capacity: int = DEFAULT_DEDUP_CAPACITY
    strategy: StrategyConfig = StrategyConfig()
    risk: RiskConfig = RiskConfig()
    journal: JournalConfig = JournalConfig()
    log: LogConfig = LogConfig()
    shutdown: ShutdownConfig = ShutdownConfig()
    metrics: MetricsConfig = MetricsConfig()
    # unknown signers refused, as on the venue (SimConfig's default)
    sim: SimConfig = attrs.field(factory=SimConfig)
    source: str = "<dict>"

    def market_key(self, index: int) -> str:
        """The key naming ``markets[index]`` as the file wrote it: ``markets[0]`` in a list,
        ``markets."xyz:TSLA"`` as a table."""
        if not self.market_settings:
            return f"markets[{index}]"
        coin = self.markets[index]
        return f"markets.{coin}" if re.fullmatch(r"[A-Za-z0-9_-]+", coin) else f'markets."{coin}"'

    def market_setup(self) -> dict[str, MarketSetup]:
        """The leverage and margin mode to set at start, by coin (the tables that give one)."""
        return {
            coin: MarketSetup(market.leverage, market.margin)
            for coin, market in self.market_settings.items()
            if market.leverage is not None
        }

    def bot_settings(self) -> BotSettings:
        """The :class:`~hip3.bot.Bot`'s settings this config describes (what it leaves to
        the bot, such as timeouts, keeps the bot's defaults)."""
        return BotSettings(
            risk=RiskSettings(
                limits=self.risk.limits(),
                dead_mans_switch_secs=self.risk.dead_man_switch_secs or None,  # 0: off
                require_dead_mans_switch=self.risk.require_dead_man_switch,
            ),
            resync=ResyncSettings(
                interval_secs=self.position_resync_interval_secs,
                dedup_capacity=self.dedup_capacity,
            ),
            orders=OrderSettings(
                cancel_on_shutdown=self.shutdown.cancel_open_orders,
                cancel_scope=self.shutdown.cancel_scope,
                market_setup=self.market_setup(),
            ),
            feeds=FeedSettings(strategy_interval_secs=self.strategy.interval_secs),
            metrics=MetricsSettings(port=self.metrics.port, host=self.metrics.host),
        )
