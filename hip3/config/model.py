"""The configuration's data: frozen attrs classes, one per TOML section.

These classes know nothing of TOML or of error reporting; :mod:`hip3.config._load`
validates a parsed file and structures it into them with cattrs.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from hip3.bot.strategies import MarketMakerParams
from hip3.risk import MarketLimits, RiskLimits

__all__ = [
    "AccountConfig",
    "Config",
    "JournalConfig",
    "LogConfig",
    "MetricsConfig",
    "NetworkConfig",
    "RiskConfig",
    "ShutdownConfig",
    "StrategyConfig",
]

MODES = ("observe", "paper", "trading")
NETWORKS = ("sim", "testnet", "mainnet")
STRATEGIES = ("market_maker",)
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("text", "json")


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
    interval_secs: float = 1.0


@attrs.frozen
class RiskConfig:
    """Risk limits as written in the file; :meth:`limits` is what the gates enforce.

    ``max_position`` caps coin units per market (``{"BTC" = 0.1}``) and
    ``max_position_default`` every other market; ``max_notional`` caps USD per market;
    ``stale_data_secs`` refuses orders priced from older market data;
    ``dead_man_switch_secs`` arms the venue's scheduleCancel (0 = off);
    ``require_dead_man_switch`` refuses to start when the venue refuses it;
    ``stale_oracle_secs`` stops quoting a market whose oracle price has not moved for that long.
    """

    max_position: Mapping[str, Decimal] = attrs.field(factory=dict)
    max_position_default: Decimal | None = None
    max_notional: Decimal | None = None
    max_open_orders: int | None = None
    price_band_bps: Decimal | None = None
    stale_data_secs: float | None = None
    dead_man_switch_secs: float = 60.0
    require_dead_man_switch: bool = False
    stale_oracle_secs: float | None = None

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
    host: str = "127.0.0.1"


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
    cancel_scope: str = "own"


@attrs.frozen
class Config:
    """A whole validated configuration; ``source`` is the file it came from.

    ``sim`` is a :class:`hip3.sim.config.SimConfig` (validated by its own
    ``from_mapping``) or, when the simulator package is not installed, the raw table.
    """

    mode: str = "paper"
    network: NetworkConfig = NetworkConfig("sim")
    account: AccountConfig = AccountConfig()
    markets: tuple[str, ...] = ()
    position_resync_interval_secs: float = 60.0
    dedup_capacity: int = 2000
    strategy: StrategyConfig = StrategyConfig()
    risk: RiskConfig = RiskConfig()
    journal: JournalConfig = JournalConfig()
    log: LogConfig = LogConfig()
    shutdown: ShutdownConfig = ShutdownConfig()
    metrics: MetricsConfig = MetricsConfig()
    sim: Any = None
    source: str = "<dict>"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> Config:
        """Validate and structure a parsed TOML document (raises ConfigError)."""
        from hip3.config._load import build_config

        return build_config(data, source)

    # Flat aliases kept for callers written against the first version.
    @property
    def journal_path(self) -> str | None:
        return self.journal.path

    @property
    def log_level(self) -> str:
        return self.log.level

    @property
    def log_format(self) -> str:
        return self.log.format

    @property
    def cancel_open_orders_on_shutdown(self) -> bool:
        return self.shutdown.cancel_open_orders
