"""hip3 configuration: a TOML file -> :class:`Config` (frozen attrs classes), strictly.

Unknown keys, wrong types and out-of-range values are one :class:`~hip3.errors.ConfigError`
naming the file, the dotted key and what is allowed (the CLI exits 2 on it). Validation is
hand-written for those messages; the validated document is then structured into the attrs
classes of :mod:`hip3.config.model` by cattrs (see :mod:`hip3.config._load` for why both).

The private key never lives in the file: ``account.key_env`` names an environment variable,
``account.key_file`` a file. With ``network = "sim"`` and no key, the app generates a
throwaway key at start (:func:`resolve_private_key` returns None then). Where keys come
from, and the fallback one-shot commands share, is :mod:`hip3.config.keys`.
"""

from __future__ import annotations

import os
import stat
import tomllib
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hip3.config._load import build_config
from hip3.config.keys import KEY_ENV_FALLBACK, resolve_private_key, signing_key_for_command
from hip3.config.model import (
    AccountConfig,
    Config,
    JournalConfig,
    LogConfig,
    MetricsConfig,
    Mode,
    NetworkConfig,
    RiskConfig,
    ShutdownConfig,
    StrategyConfig,
)
from hip3.errors import ConfigError

__all__ = [
    "KEY_ENV_FALLBACK",
    "AccountConfig",
    "Config",
    "JournalConfig",
    "LogConfig",
    "MetricsConfig",
    "Mode",
    "NetworkConfig",
    "RiskConfig",
    "ShutdownConfig",
    "StrategyConfig",
    "check_runnable",
    "config_from_dict",
    "example_names",
    "example_text",
    "load_config",
    "resolve_private_key",
    "signing_key_for_command",
]


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a TOML config file (raises ConfigError naming file and key)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read: {e.strerror or e}", file=str(p)) from None
    except UnicodeDecodeError:
        raise ConfigError("cannot read: not UTF-8 text", file=str(p)) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"invalid TOML: {e}", file=str(p)) from None
    config = build_config(data, str(p))
    _warn_if_others_can_change(p)
    return config


def config_from_dict(data: Mapping[str, Any], *, source: str = "<dict>") -> Config:
    """Validate and structure a parsed TOML document, as :func:`load_config` does a file.

    ``source`` names where it came from in errors (raises ConfigError naming it and the key).
    """
    return build_config(data, source)


def check_runnable(config: Config, *, need_key: bool = True) -> None:
    """Everything a run checks before it connects: what a valid file can still lack.

    ``hip3 config check`` and :func:`hip3.app.run_from_config` both call this, so a config
    that passes the check fails at run time only for reasons that need the venue (a market
    it does not list, a key it does not know). ``need_key=False`` when the caller brings
    its own key. Raises :class:`ConfigError` naming the key.
    """
    if not config.markets:
        raise ConfigError("list at least one market to trade", file=config.source, key="markets")
    if not need_key:
        return
    acct = config.account
    if config.mode is not Mode.TRADING and acct.address and not (acct.key_env or acct.key_file):
        return  # observing an account needs no key
    resolve_private_key(config)


def example_names() -> tuple[str, ...]:
    """The example configs shipped inside the package (``hip3 config example --name``)."""
    from importlib import resources

    folder = resources.files("hip3.config") / "examples"
    return tuple(
        sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))
    )


def example_text(name: str) -> str:
    """The text of the packaged example config ``name`` (see :func:`example_names`)."""
    from importlib import resources

    names = example_names()
    if name not in names:
        raise ConfigError(f"no example named {name!r}; there are: {', '.join(names)}")
    return (resources.files("hip3.config") / "examples" / f"{name}.toml").read_text("utf-8")


def _warn_if_others_can_change(path: Path) -> None:
    """A config others can write can redirect the bot: its network, limits and key file.

    Reading it is harmless (it never holds the key: a key in the file is refused), so only
    group/other write permission on the file is warned about.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if os.name == "posix" and mode & (stat.S_IWGRP | stat.S_IWOTH):
        warnings.warn(
            f"config file {path} can be changed by others (chmod go-w it): it decides the "
            "network, the risk limits and where the key is read from",
            stacklevel=3,
        )
