"""Where a config's private key comes from, and the one fallback commands share.

The key never lives in the config file: ``account.key_env`` names an environment
variable, ``account.key_file`` a file. :func:`resolve_private_key` reads that; with
``network = "sim"`` and neither set it returns None (the app then signs with a throwaway
key). :func:`signing_key_for_command` is what a one-shot command that must sign (such as
``hip3 cancel-all``) uses: the configured key, else the :data:`KEY_ENV_FALLBACK`
variable. Every error names the variable, file or config key, never the key itself.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from hip3.config._load import KEY_RE
from hip3.config.model import Config
from hip3.errors import ConfigError, SigningError
from hip3.signing import PrivateKey

__all__ = ["KEY_ENV_FALLBACK", "resolve_private_key", "signing_key_for_command"]

#: The environment variable one-shot commands read when the config names no key.
KEY_ENV_FALLBACK = "HIP3_PRIVATE_KEY"


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


def signing_key_for_command(config: Config, purpose: str) -> PrivateKey:
    """The key a command that must sign uses: the config's ``key_env``/``key_file``, else
    the :data:`KEY_ENV_FALLBACK` environment variable.

    ``purpose`` starts the error when there is none (``"cancel-all signs"``). Raises
    :class:`ConfigError` (the CLI's exit 2) naming where it looked.
    """
    acct = config.account
    if acct.key_env or acct.key_file:
        text = resolve_private_key(config)
        assert text is not None  # a configured source either yields a key or raises
        return PrivateKey.from_hex(text)
    env = os.environ.get(KEY_ENV_FALLBACK)
    if not env:
        raise ConfigError(
            f"{purpose}: give a config with account.key_env or key_file, or set {KEY_ENV_FALLBACK}",
            file=config.source,
            key="account",
        )
    try:
        return PrivateKey.from_hex(env.strip())
    except SigningError:
        raise ConfigError(
            "not a private key (64 hex digits, optionally prefixed by 0x)",
            key=f"env var {KEY_ENV_FALLBACK}",
        ) from None


def _checked_key(text: str, config: Config, key: str) -> str:
    if not KEY_RE.match(text):
        raise ConfigError("the key found there is not 32 bytes of hex", file=config.source, key=key)
    return text
