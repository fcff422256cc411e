"""Where a command's signing key comes from (hip3.config.keys): the config's key_env or
key_file first, then HIP3_PRIVATE_KEY; every error names where it looked, never the key."""

from __future__ import annotations

import pytest

from hip3.config import KEY_ENV_FALLBACK, config_from_dict, signing_key_for_command
from hip3.errors import ConfigError
from hip3.signing import PrivateKey

CONFIGURED = "0x" + "21" * 32
FALLBACK = "0x" + "42" * 32


def test_the_configured_key_wins_over_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_KEY", CONFIGURED)
    monkeypatch.setenv(KEY_ENV_FALLBACK, FALLBACK)
    config = config_from_dict({"network": "testnet", "account": {"key_env": "BOT_KEY"}})
    key = signing_key_for_command(config, "cancel-all signs")
    assert key.address == PrivateKey.from_hex(CONFIGURED).address


def test_without_a_configured_key_the_fallback_variable_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY_ENV_FALLBACK, f"  {FALLBACK}\n")
    config = config_from_dict({"network": "sim"})
    key = signing_key_for_command(config, "cancel-all signs")
    assert key.address == PrivateKey.from_hex(FALLBACK).address


def test_no_key_anywhere_says_where_to_put_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV_FALLBACK, raising=False)
    config = config_from_dict({"network": "testnet", "account": {"address": "0x" + "1" * 40}})
    with pytest.raises(ConfigError) as info:
        signing_key_for_command(config, "cancel-all signs")
    message = str(info.value)
    assert message.startswith("<dict>: account: cancel-all signs")
    assert "key_env" in message and KEY_ENV_FALLBACK in message


@pytest.mark.parametrize("bad", ["0xnot-a-key", "12" * 31, "0x" + "zz" * 32])
def test_a_bad_fallback_names_the_variable_and_never_echoes_it(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv(KEY_ENV_FALLBACK, bad)
    with pytest.raises(ConfigError) as info:
        signing_key_for_command(config_from_dict({"network": "sim"}), "cancel-all signs")
    assert KEY_ENV_FALLBACK in str(info.value) and bad not in str(info.value)


def test_a_configured_but_unset_variable_is_an_error_not_a_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BOT_KEY", raising=False)
    monkeypatch.setenv(KEY_ENV_FALLBACK, FALLBACK)
    config = config_from_dict({"network": "testnet", "account": {"key_env": "BOT_KEY"}})
    with pytest.raises(ConfigError, match=r"account\.key_env: env var BOT_KEY is not set"):
        signing_key_for_command(config, "cancel-all signs")
