"""hip3 configuration: a TOML file -> :class:`Config` (frozen attrs classes), strictly.

Unknown keys, wrong types and out-of-range values are one :class:`~hip3.errors.ConfigError`
naming the file, the dotted key and what is allowed (the CLI exits 2 on it). Validation is
hand-written for those messages; the validated document is then structured into the attrs
classes of :mod:`hip3.config.model` by cattrs (see :mod:`hip3.config._load` for why both).

The private key never lives in the file: ``account.key_env`` names an environment variable,
``account.key_file`` a file. With ``network = "sim"`` and no key, the app generates a
throwaway key at start (:func:`resolve_private_key` returns None then).
"""

from __future__ import annotations

import os
import stat
import tomllib
import warnings
from pathlib import Path

from hip3.config._load import KEY_RE, build_config
from hip3.config.model import (
    AccountConfig,
    Config,
    JournalConfig,
    LogConfig,
    MetricsConfig,
    NetworkConfig,
    RiskConfig,
    ShutdownConfig,
    StrategyConfig,
)
from hip3.errors import ConfigError

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
    "load_config",
    "load_example_config",
    "resolve_private_key",
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


def load_example_config(name: str = "sim") -> Config:
    """A config shipped in the package (``sim``, ``chaos``, ``testnet``): what
    ``hip3 trade`` runs with no ``--config``."""
    from hip3.config.examples import example_text

    source = f"<packaged example {name}.toml>"
    try:
        text = example_text(name)
    except ValueError as exc:
        raise ConfigError(str(exc), file=source) from None
    return build_config(tomllib.loads(text), source)


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


def resolve_private_key(config: Config) -> str | None:
    """The hex key from key_env or key_file; None when unset (sim then uses a throwaway).

    Errors name the env var or file, never the key.
    """
    acct = config.account
    if acct.key_env:
        v = os.environ.get(acct.key_env)
        if not v:
            raise ConfigError(
                f"env var {acct.key_env} is not set", file=config.source, key="account.key_env"
            )
        return _checked_key(v.strip(), config, "account.key_env")
    if acct.key_file:
        p = Path(acct.key_file).expanduser()
        try:
            text = p.read_text(encoding="utf-8").strip()
            mode = p.stat().st_mode
        except (OSError, UnicodeDecodeError) as e:
            reason = getattr(e, "strerror", None) or "not a text file"
            raise ConfigError(
                f"cannot read {p}: {reason}", file=config.source, key="account.key_file"
            ) from None
        if mode & 0o077:  # readable: a leak; writable: someone can swap in their own key
            warnings.warn(f"key file {p} is accessible by others (chmod 600 it)", stacklevel=2)
        return _checked_key(text, config, "account.key_file")
    if config.network.name != "sim":
        raise ConfigError(
            "no key configured: set key_env (an env var name) or key_file",
            file=config.source,
            key="account",
        )
    return None


def _checked_key(text: str, config: Config, key: str) -> str:
    if not KEY_RE.match(text):
        raise ConfigError("the key found there is not 32 bytes of hex", file=config.source, key=key)
    return text
