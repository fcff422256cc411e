"""TOML -> validated plain dict -> attrs classes (cattrs).

Two passes, on purpose:

1. **Validation** is hand-written. It walks the parsed document once and, at the
   first problem, raises one :class:`~hip3.errors.ConfigError` naming the file,
   the dotted key and what is allowed (choices, ranges, a did-you-mean for
   misspelt keys). cattrs' own errors (``ClassValidationError`` groups with
   ``$.risk.max_open_orders``-style paths and Python type names) are correct but
   not a sentence a user can act on, and cattrs accepts ``"5"`` for an int;
   a config file should not.
2. **Structuring** is cattrs: the validated, normalised dict is structured into
   :class:`~hip3.config.model.Config` and its typed sections (strategy params as
   :class:`~hip3.bot.strategies.MarketMakerParams`, risk limits that map onto
   :class:`~hip3.risk.RiskLimits`), so the classes stay free of parsing code and
   a new field is one line in the model plus its check here.

The ``[sim]`` table is validated by ``hip3.sim.config.SimConfig.from_mapping``
(its errors already name the file and ``sim.<key>``).
"""

from __future__ import annotations

import difflib
import enum
import functools
import math
import re
import typing
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

import attrs
import cattrs

from hip3.bot.settings import DEFAULT_DEDUP_CAPACITY, Mode
from hip3.bot.strategies import MarketMakerParams
from hip3.config.model import (
    LOG_FORMATS,
    LOG_LEVELS,
    MARGIN_MODES,
    NETWORKS,
    STRATEGIES,
    AccountConfig,
    Config,
    JournalConfig,
    LogConfig,
    MarketConfig,
    MetricsConfig,
    NetworkConfig,
    RiskConfig,
    ShutdownConfig,
    StrategyConfig,
)
from hip3.errors import ConfigError
from hip3.executor.deadman import MIN_WINDOW_SECS
from hip3.sim.config import SimConfig

__all__ = ["build_config", "converter"]

KEY_RE = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
_MARKET_RE = re.compile(r"^([a-z0-9]{1,16}:)?[A-Za-z0-9@/_-]{1,32}$")


def _keys(cls: type, *leave_out: str) -> tuple[str, ...]:
    """The keys a TOML table may hold: the fields of the attrs class it becomes, in order."""
    return tuple(field.name for field in attrs.fields(cls) if field.name not in leave_out)


_TOP = _keys(Config, "source", "market_settings")  # [markets."coin"] tables fill it
_RISK_KEYS = _keys(RiskConfig)
_RISK_TABLES = ("max_position", "max_notional_per_token")
_RISK_NUMBERS = tuple(
    k for k in _RISK_KEYS if k not in (*_RISK_TABLES, "max_open_orders", "require_dead_man_switch")
)
_TOKEN_RE = re.compile(r"^[A-Za-z0-9]{1,16}$")
_MODES = tuple(mode.value for mode in Mode)

converter = cattrs.Converter(forbid_extra_keys=True)
converter.register_structure_hook(Decimal, lambda value, _type: Decimal(str(value)))


def _err(source: str, key: str, msg: str) -> ConfigError:
    return ConfigError(msg, file=source, key=key)


def _check_keys(d: Mapping[str, Any], allowed: Collection[str], prefix: str, source: str) -> None:
    for k in d:
        if k not in allowed:
            close = difflib.get_close_matches(str(k), sorted(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            allowed_s = ", ".join(sorted(allowed))
            raise _err(source, prefix + str(k), f"unknown key{hint}; allowed: {allowed_s}")


def _table(d: Mapping[str, Any], key: str, source: str, prefix: str = "") -> Mapping[str, Any]:
    v = d.get(key, {})
    if not isinstance(v, Mapping):
        raise _err(source, prefix + key, f"must be a table, got {type(v).__name__}")
    return v


def _num(v: Any, key: str, source: str, *, integer: bool, minimum: float = 0) -> Any:
    ok = isinstance(v, int) if integer else isinstance(v, int | float)
    if not ok or isinstance(v, bool):
        what = "an integer" if integer else "a number"
        raise _err(source, key, f"must be {what} >= {minimum}, got {_shown(v)}")
    if not v >= minimum or math.isinf(v):  # also rejects NaN
        raise _err(source, key, f"must be a finite number >= {minimum}, got {v}")
    return v


def _str(v: Any, key: str, source: str, choices: tuple[str, ...] | None = None) -> str:
    if not isinstance(v, str):
        raise _err(source, key, f"must be a string, got {_shown(v)}")
    if choices is not None and v not in choices:
        raise _err(source, key, f"must be one of {', '.join(choices)}; got {v!r}")
    return v


def _shown(v: Any) -> str:
    """A value for an error message: short, and never a secret-looking string."""
    if isinstance(v, str):
        return "a string"
    return type(v).__name__


def _walk(d: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in d.items():
        if isinstance(v, Mapping):
            out.extend(_walk(v, f"{prefix}{k}."))
        elif isinstance(v, list):
            out.extend((f"{prefix}{k}[{i}]", item) for i, item in enumerate(v))
        else:
            out.append((f"{prefix}{k}", v))
    return out


def _network(raw: Any, source: str) -> dict[str, Any]:
    if isinstance(raw, str):
        name = _str(raw, "network", source, NETWORKS)
        return {"name": name, "mainnet": name == "mainnet"}
    if isinstance(raw, Mapping):
        _check_keys(raw, _keys(NetworkConfig, "name"), "network.", source)
        out: dict[str, Any] = {"name": "custom"}
        for k, scheme in (("http_url", ("http://", "https://")), ("ws_url", ("ws://", "wss://"))):
            if k not in raw:
                raise _err(source, f"network.{k}", "missing (custom networks need both URLs)")
            url = _str(raw[k], f"network.{k}", source)
            if not url.startswith(scheme):
                raise _err(source, f"network.{k}", f"must start with {' or '.join(scheme)}")
            out[k] = url.rstrip("/")
        mainnet = raw.get("mainnet", False)
        if not isinstance(mainnet, bool):
            raise _err(source, "network.mainnet", "must be true or false")
        out["mainnet"] = mainnet
        return out
    raise _err(
        source, "network", "must be sim, testnet, mainnet or a table {http_url, ws_url, mainnet}"
    )


def _account(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    _check_keys(raw, _keys(AccountConfig), "account.", source)
    out: dict[str, Any] = {}
    for k in _keys(AccountConfig):
        v = raw.get(k)
        if v is None:
            continue
        v = _str(v, f"account.{k}", source)
        if KEY_RE.match(v) and k in ("key_env", "key_file"):
            raise _err(
                source,
                f"account.{k}",
                "looks like a private key; never put a key in the config, "
                "name an env var (key_env) or a file (key_file)",
            )
        if k in ("address", "vault") and not _ADDRESS_RE.match(v):
            raise _err(source, f"account.{k}", "must be a 0x address (40 hex digits)")
        out[k] = v.lower() if k in ("address", "vault") else v
    if "key_env" in out and "key_file" in out:
        raise _err(source, "account", "set one of key_env or key_file, not both")
    return out


def _markets(raw: Any, source: str) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """``markets``: a list of coins, or one table per coin with its settings
    (``[markets."xyz:TSLA"] leverage = 3``); returns the coins and their settings."""
    if isinstance(raw, Mapping):
        coins = list(raw)
        for coin in coins:
            if not _MARKET_RE.match(coin):
                raise _err(
                    source,
                    f"markets.{_quoted(coin)}",
                    'must be a coin like "BTC" or "dex:COIN" like "xyz:TSLA"',
                )
        return coins, {coin: _market(raw[coin], coin, source) for coin in coins}
    if not isinstance(raw, list):
        raise _err(
            source,
            "markets",
            'must be a list of coins like ["BTC", "xyz:TSLA"], or [markets."coin"] tables',
        )
    seen: set[str] = set()
    for i, m in enumerate(raw):
        if not isinstance(m, str) or not _MARKET_RE.match(m):
            raise _err(
                source, f"markets[{i}]", 'must be a coin like "BTC" or "dex:COIN" like "xyz:TSLA"'
            )
        if m in seen:
            raise _err(source, f"markets[{i}]", f"{m} is listed twice")
        seen.add(m)
    return list(raw), {}


#: the most leverage any venue market allows (the venue checks each market's own maximum
#: at start: ``maxLeverage`` in its meta)
_MAX_LEVERAGE = 100


def _market(raw: Any, coin: str, source: str) -> dict[str, Any]:
    prefix = f"markets.{_quoted(coin)}"
    if not isinstance(raw, Mapping):
        raise _err(source, prefix, f"must be a table (leverage, margin), got {_shown(raw)}")
    _check_keys(raw, _keys(MarketConfig), prefix + ".", source)
    out: dict[str, Any] = {}
    if "leverage" in raw:
        leverage = _num(raw["leverage"], f"{prefix}.leverage", source, integer=True, minimum=1)
        if leverage > _MAX_LEVERAGE:
            raise _err(
                source, f"{prefix}.leverage", f"must be from 1 to {_MAX_LEVERAGE}, got {leverage}"
            )
        out["leverage"] = leverage
    if "margin" in raw:
        out["margin"] = _str(raw["margin"], f"{prefix}.margin", source, MARGIN_MODES)
        if "leverage" not in out:
            raise _err(
                source,
                f"{prefix}.margin",
                "needs leverage too: the venue sets leverage and margin mode in one action",
            )
    return out


def _quoted(coin: str) -> str:
    """A coin as a TOML key: bare when it can be (``BTC``), quoted otherwise (``"xyz:TSLA"``)."""
    return coin if re.fullmatch(r"[A-Za-z0-9_-]+", coin) else f'"{coin}"'


def _strategy(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    _check_keys(raw, _keys(StrategyConfig), "strategy.", source)
    out: dict[str, Any] = {}
    if "name" in raw:
        out["name"] = _str(raw["name"], "strategy.name", source, STRATEGIES)
    if "interval_secs" in raw:
        out["interval_secs"] = float(
            _num(
                raw["interval_secs"], "strategy.interval_secs", source, integer=False, minimum=0.01
            )
        )
    params = _table(raw, "params", source, "strategy.")
    hints = _param_types()
    _check_keys(params, set(hints), "strategy.params.", source)
    checked: dict[str, Any] = {}
    for k, v in params.items():
        key, kind = f"strategy.params.{k}", hints[k]
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            values = tuple(str(member.value) for member in kind)
            checked[k] = _str(v, key, source, values)
        elif kind is int:
            checked[k] = _num(v, key, source, integer=True)
        else:
            checked[k] = _num(v, key, source, integer=False)
    out["params"] = checked
    return out


@functools.cache
def _param_types() -> dict[str, Any]:
    return typing.get_type_hints(MarketMakerParams)


def _risk(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    _check_keys(raw, _RISK_KEYS, "risk.", source)
    out: dict[str, Any] = {}
    for k in _RISK_NUMBERS:
        if k in raw:
            out[k] = _num(raw[k], f"risk.{k}", source, integer=False)
    if "max_open_orders" in raw:
        out["max_open_orders"] = _num(
            raw["max_open_orders"], "risk.max_open_orders", source, integer=True, minimum=1
        )
    dms = out.get("dead_man_switch_secs")
    if dms is not None and 0 < dms < MIN_WINDOW_SECS:
        raise _err(
            source,
            "risk.dead_man_switch_secs",
            f"must be 0 (off) or >= {MIN_WINDOW_SECS:g} (the venue's shortest window), got {dms}",
        )
    # venue's block: refuse to start when the venue refuses scheduleCancel
    if "require_dead_man_switch" in raw:
        required = raw["require_dead_man_switch"]
        if not isinstance(required, bool):
            raise _err(source, "risk.require_dead_man_switch", "must be true or false")
        if required and dms == 0:
            raise _err(
                source,
                "risk.require_dead_man_switch",
                "needs risk.dead_man_switch_secs > 0 (the switch it requires is off)",
            )
        out["require_dead_man_switch"] = required
    per_market = _table(raw, "max_position", source, "risk.")
    out["max_position"] = {
        str(coin): _num(size, f"risk.max_position.{coin}", source, integer=False)
        for coin, size in per_market.items()
    }
    per_token = _table(raw, "max_notional_per_token", source, "risk.")
    for token in per_token:
        if not _TOKEN_RE.match(str(token)):
            raise _err(
                source,
                f"risk.max_notional_per_token.{token}",
                "must be a token name like USDC or USDH (the collateral a dex settles in)",
            )
    out["max_notional_per_token"] = {
        str(token): _num(cap, f"risk.max_notional_per_token.{token}", source, integer=False)
        for token, cap in per_token.items()
    }
    return out


def _check_limit_coins(limits: Mapping[str, Any], markets: list[str], source: str) -> None:
    """A limit for a coin that is not traded would be ignored: a typo must not fail open."""
    for coin in limits:
        if coin in markets:
            continue
        same_but_case = [m for m in markets if m.lower() == coin.lower()]
        close = same_but_case or difflib.get_close_matches(coin, markets, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        traded = ", ".join(markets) or "none (markets is empty)"
        raise _err(
            source,
            f"risk.max_position.{coin}",
            f"{coin} is not in markets, so this limit would never apply{hint}; "
            f"markets traded: {traded}",
        )


def _dedup_capacity(raw: Any, source: str) -> int:
    value: int = _num(raw, "dedup_capacity", source, integer=True, minimum=1)
    if value < DEFAULT_DEDUP_CAPACITY:
        raise _err(
            source,
            "dedup_capacity",
            f"must be >= {DEFAULT_DEDUP_CAPACITY}, got {value}: the venue's userFills snapshot "
            f"holds the {DEFAULT_DEDUP_CAPACITY} most recent fills, and a smaller memory lets "
            "a resync count fills it has forgotten twice",
        )
    return value


def _check_sim_markets(config: Config) -> None:
    """On ``network = "sim"`` every market traded must be one the simulator lists."""
    if config.network.name != "sim":
        return
    known = [market.name for dex in config.sim.dexes for market in dex.markets]
    for i, market in enumerate(config.markets):
        if market not in known:
            raise _err(
                config.source,
                config.market_key(i),
                f"{market} is not a market of the simulator; it has: {', '.join(known)}",
            )


def build_config(data: Mapping[str, Any], source: str) -> Config:
    """Validate ``data`` (a parsed TOML document) and structure it into a Config.

    Only the keys present are validated and passed on: a key left out takes the default
    of its field in :mod:`hip3.config.model`.
    """
    if not isinstance(data, Mapping):
        raise _err(source, "<root>", "must be a table")
    _check_keys(data, _TOP, "", source)
    for key, value in _walk(data):
        if isinstance(value, str) and KEY_RE.match(value):
            raise _err(source, key, "looks like a private key; keys never belong in the config")
    # Checked in this order, so a file with several problems is told about the first.
    doc: dict[str, Any] = {"source": source}
    if "mode" in data:
        doc["mode"] = _str(data["mode"], "mode", source, _MODES)
    if "network" in data:
        doc["network"] = _network(data["network"], source)
    doc["account"] = _account(_table(data, "account", source), source)
    if "markets" in data:
        doc["markets"], doc["market_settings"] = _markets(data["markets"], source)
    if "position_resync_interval_secs" in data:
        key = "position_resync_interval_secs"
        doc[key] = float(_num(data[key], key, source, integer=False))
    if "dedup_capacity" in data:
        doc["dedup_capacity"] = _dedup_capacity(data["dedup_capacity"], source)
    doc["strategy"] = _strategy(_table(data, "strategy", source), source)
    doc["risk"] = _risk(_table(data, "risk", source), source)
    _check_limit_coins(doc["risk"]["max_position"], doc.get("markets", []), source)
    doc["journal"] = _journal(_table(data, "journal", source), source)
    doc["log"] = _log(_table(data, "log", source), source)
    doc["shutdown"] = _shutdown(_table(data, "shutdown", source), source)
    doc["metrics"] = _metrics(_table(data, "metrics", source), source)
    sim = SimConfig.from_mapping(_table(data, "sim", source), source=source)
    try:
        config = converter.structure(doc, Config)
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        # The checks above should make this unreachable; say where rather than crash.
        detail = "; ".join(cattrs.transform_error(exc)) if isinstance(exc, ExceptionGroup) else exc
        raise _err(source, "<root>", f"cannot be structured: {detail}") from None
    config = attrs.evolve(config, sim=sim)
    _check_sim_markets(config)
    return config


def _journal(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    _check_keys(raw, _keys(JournalConfig), "journal.", source)
    return {"path": _str(raw["path"], "journal.path", source)} if "path" in raw else {}


def _log(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    _check_keys(raw, _keys(LogConfig), "log.", source)
    out: dict[str, Any] = {}
    if "level" in raw:
        out["level"] = _str(raw["level"], "log.level", source, LOG_LEVELS)
    if "format" in raw:
        out["format"] = _str(raw["format"], "log.format", source, LOG_FORMATS)
    return out


def _shutdown(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    _check_keys(raw, _keys(ShutdownConfig), "shutdown.", source)
    out: dict[str, Any] = {}
    if "cancel_open_orders" in raw:
        if not isinstance(raw["cancel_open_orders"], bool):
            raise _err(source, "shutdown.cancel_open_orders", "must be true or false")
        out["cancel_open_orders"] = raw["cancel_open_orders"]
    if "cancel_scope" in raw:
        scope = _str(raw["cancel_scope"], "shutdown.cancel_scope", source, ("own", "account"))
        out["cancel_scope"] = scope
    return out


def _metrics(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    _check_keys(raw, _keys(MetricsConfig), "metrics.", source)
    out: dict[str, Any] = {}
    if "host" in raw:
        out["host"] = _str(raw["host"], "metrics.host", source)
    if "port" in raw:
        port = _num(raw["port"], "metrics.port", source, integer=True)
        if port > 65535:
            raise _err(source, "metrics.port", f"must be a TCP port (0-65535), got {port}")
        out["port"] = port
    return out
