"""hip3 configuration: TOML -> frozen attrs classes, strict (unknown keys, wrong types are errors).

Deviation from the brief: validation is hand-written (no cattrs) so that every error names the
file, the dotted key path and what is allowed. The private key never lives in the file.
In ``network = "sim"`` with no key configured, a throwaway key is generated.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from hip3.errors import ConfigError

__all__ = ["AccountConfig", "Config", "NetworkConfig", "load_config", "resolve_private_key"]

_KEY_RE = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")


@attrs.frozen
class NetworkConfig:
    name: str  # sim | testnet | mainnet | custom
    http_url: str | None = None
    ws_url: str | None = None


@attrs.frozen
class AccountConfig:
    address: str | None = None
    vault: str | None = None
    key_env: str | None = None
    key_file: str | None = None


@attrs.frozen
class Config:
    mode: str
    network: NetworkConfig
    account: AccountConfig
    markets: tuple[str, ...]
    position_resync_interval_secs: float = 60.0
    dedup_capacity: int = 2000
    strategy: Mapping[str, Any] = attrs.field(factory=dict)
    risk: Mapping[str, Any] = attrs.field(factory=dict)
    journal_path: str | None = None
    log_level: str = "info"
    log_format: str = "text"
    sim: Mapping[str, Any] = attrs.field(factory=dict)
    cancel_open_orders_on_shutdown: bool = True
    source: str = "<dict>"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> Config:
        return _build(data, source)


_TOP = {
    "mode", "network", "account", "markets", "position_resync_interval_secs", "dedup_capacity",
    "strategy", "risk", "journal", "log", "sim", "shutdown",
}  # fmt: skip


def _err(source: str, key: str, msg: str) -> ConfigError:
    return ConfigError(f"{source}: {key}: {msg}", file=source, key=key)


def _check_keys(d: Mapping[str, Any], allowed: set[str], prefix: str, source: str) -> None:
    for k in d:
        if k not in allowed:
            close = difflib.get_close_matches(str(k), sorted(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            allowed_s = ", ".join(sorted(allowed))
            raise _err(source, prefix + str(k), f"unknown key{hint}; allowed: {allowed_s}")


def _table(d: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    v = d.get(key, {})
    if not isinstance(v, Mapping):
        raise _err(source, key, f"must be a table, got {type(v).__name__}")
    return v


def _num(v: Any, key: str, source: str, *, integer: bool, minimum: float = 0) -> Any:
    ok = isinstance(v, int) if integer else isinstance(v, int | float)
    if not ok or isinstance(v, bool):
        raise _err(source, key, f"must be {'an integer' if integer else 'a number'} >= {minimum}")
    if not v >= minimum or v == float("inf"):  # also rejects NaN
        raise _err(source, key, f"must be a finite number >= {minimum}, got {v}")
    return v


def _str(v: Any, key: str, source: str, choices: tuple[str, ...] | None = None) -> str:
    if not isinstance(v, str):
        raise _err(source, key, f"must be a string, got {type(v).__name__}")
    if choices is not None and v not in choices:
        raise _err(source, key, f"must be one of {', '.join(choices)}; got {v!r}")
    return v


def _build(data: Mapping[str, Any], source: str) -> Config:
    if not isinstance(data, Mapping):
        raise _err(source, "<root>", "must be a table")
    _check_keys(data, _TOP, "", source)
    mode = _str(data.get("mode", "paper"), "mode", source, ("observe", "paper", "trading"))
    net_raw = data.get("network", "sim")
    if isinstance(net_raw, str):
        network = NetworkConfig(_str(net_raw, "network", source, ("sim", "testnet", "mainnet")))
    elif isinstance(net_raw, Mapping):
        _check_keys(net_raw, {"http_url", "ws_url"}, "network.", source)
        urls = [_str(net_raw.get(k), f"network.{k}", source) for k in ("http_url", "ws_url")]
        network = NetworkConfig("custom", urls[0], urls[1])
    else:
        raise _err(source, "network", "must be sim, testnet, mainnet or {http_url, ws_url}")
    acct = _table(data, "account", source)
    _check_keys(acct, {"address", "vault", "key_env", "key_file"}, "account.", source)
    fields: dict[str, str | None] = {}
    for k in ("address", "vault", "key_env", "key_file"):
        v = acct.get(k)
        if v is not None:
            v = _str(v, f"account.{k}", source)
            if _KEY_RE.match(v) and k != "address" and k != "vault":
                raise _err(
                    source,
                    f"account.{k}",
                    "looks like a private key; never put a key "
                    "in the config, name an env var (key_env) or a file (key_file)",
                )
        fields[k] = v
    for k, v in _walk(data):
        if (
            isinstance(v, str)
            and _KEY_RE.match(v)
            and k not in ("account.address", "account.vault")
        ):
            raise _err(source, k, "looks like a private key; keys never belong in the config")
    account = AccountConfig(**fields)
    markets_raw = data.get("markets", [])
    if not isinstance(markets_raw, list) or not all(isinstance(m, str) for m in markets_raw):
        raise _err(source, "markets", 'must be a list of coins like ["BTC", "xyz:TSLA"]')
    resync = _num(
        data.get("position_resync_interval_secs", 60),
        "position_resync_interval_secs",
        source,
        integer=False,
    )
    dedup = _num(
        data.get("dedup_capacity", 2000), "dedup_capacity", source, integer=True, minimum=1
    )
    strat = _table(data, "strategy", source)
    _check_keys(strat, {"name", "params"}, "strategy.", source)
    risk = _table(data, "risk", source)
    _check_keys(
        risk,
        {
            "max_position",
            "max_position_default",
            "max_notional",
            "max_open_orders",
            "price_band_bps",
            "stale_data_secs",
            "kill_switch",
            "dead_man_switch_secs",
        },
        "risk.",
        source,
    )
    for k in (
        "max_notional",
        "price_band_bps",
        "stale_data_secs",
        "dead_man_switch_secs",
        "max_position_default",
    ):
        if k in risk:
            _num(risk[k], f"risk.{k}", source, integer=False)
    if "max_open_orders" in risk:
        _num(risk["max_open_orders"], "risk.max_open_orders", source, integer=True, minimum=1)
    journal = _table(data, "journal", source)
    _check_keys(journal, {"path"}, "journal.", source)
    log = _table(data, "log", source)
    _check_keys(log, {"level", "format"}, "log.", source)
    level = _str(
        log.get("level", "info"), "log.level", source, ("debug", "info", "warning", "error")
    )
    fmt = _str(log.get("format", "text"), "log.format", source, ("text", "json"))
    shutdown = _table(data, "shutdown", source)
    _check_keys(shutdown, {"cancel_open_orders"}, "shutdown.", source)
    cancel = shutdown.get("cancel_open_orders", True)
    if not isinstance(cancel, bool):
        raise _err(source, "shutdown.cancel_open_orders", "must be true or false")
    jp = journal.get("path")
    return Config(
        mode=mode, network=network, account=account, markets=tuple(markets_raw),
        position_resync_interval_secs=float(resync), dedup_capacity=dedup,
        strategy=dict(strat), risk=dict(risk),
        journal_path=None if jp is None else _str(jp, "journal.path", source),
        log_level=level, log_format=fmt, sim=dict(_table(data, "sim", source)),
        cancel_open_orders_on_shutdown=cancel, source=source,
    )  # fmt: skip


def _walk(d: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in d.items():
        if isinstance(v, Mapping):
            out.extend(_walk(v, f"{prefix}{k}."))
        else:
            out.append((f"{prefix}{k}", v))
    return out


def load_config(path: str | os.PathLike[str]) -> Config:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{p}: cannot read: {e.strerror}", file=str(p)) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: invalid TOML: {e}", file=str(p)) from None
    return _build(data, str(p))


def resolve_private_key(config: Config) -> str | None:
    """The hex key from key_env or key_file; None when unset (sim may then use a throwaway)."""
    acct = config.account
    if acct.key_env:
        v = os.environ.get(acct.key_env)
        if not v:
            raise _err(config.source, "account.key_env", f"env var {acct.key_env} is not set")
        return v.strip()
    if acct.key_file:
        p = Path(acct.key_file).expanduser()
        try:
            text = p.read_text(encoding="utf-8").strip()
            if p.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH):
                import warnings

                warnings.warn(f"key file {p} is readable by others", stacklevel=2)
        except OSError as e:
            raise _err(config.source, "account.key_file", f"cannot read: {e.strerror}") from None
        return text
    if config.network.name != "sim":
        raise _err(config.source, "account", "set key_env or key_file (no key configured)")
    return None
