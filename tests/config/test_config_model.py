"""The config model: one source of keys and defaults, the mode as an enum."""

from __future__ import annotations

import json

import attrs
import pytest

from hip3.bot import Mode
from hip3.config import (
    AccountConfig,
    Config,
    JournalConfig,
    LogConfig,
    MetricsConfig,
    RiskConfig,
    ShutdownConfig,
    StrategyConfig,
    config_from_dict,
)
from hip3.errors import ConfigError
from hip3.sim import SimConfig


@pytest.mark.parametrize("mode", ["observe", "paper", "trading"])
def test_mode_is_the_bots_enum_spelled_as_in_the_file(mode: str) -> None:
    config = config_from_dict({"mode": mode})
    assert config.mode is Mode(mode)
    assert config.mode == mode and f"{config.mode}" == mode
    assert json.dumps({"mode": config.mode}) == json.dumps({"mode": mode})


def test_a_document_without_keys_is_the_models_defaults() -> None:
    config = config_from_dict({})
    assert config == Config()
    assert isinstance(config.sim, SimConfig) and config.mode is Mode.PAPER


@pytest.mark.parametrize(
    ("section", "cls"),
    [
        ("account", AccountConfig),
        ("strategy", StrategyConfig),
        ("risk", RiskConfig),
        ("journal", JournalConfig),
        ("log", LogConfig),
        ("shutdown", ShutdownConfig),
        ("metrics", MetricsConfig),
    ],
)
def test_the_keys_allowed_in_a_table_are_its_classes_fields(section: str, cls: type) -> None:
    with pytest.raises(ConfigError, match=rf"{section}\.bogus") as refused:
        config_from_dict({section: {"bogus": 1}})
    allowed = str(refused.value).rpartition("allowed: ")[2]
    assert allowed.split(", ") == sorted(field.name for field in attrs.fields(cls))


def test_top_level_keys_are_the_config_fields() -> None:
    with pytest.raises(ConfigError) as refused:
        config_from_dict({"bogus": 1})
    allowed = str(refused.value).rpartition("allowed: ")[2].split(", ")
    # market_settings is filled by the [markets."coin"] tables, not a key of its own
    fields = attrs.fields(Config)
    assert allowed == sorted(f.name for f in fields if f.name not in ("source", "market_settings"))


def test_no_flat_aliases() -> None:
    for alias in ("journal_path", "log_level", "log_format", "cancel_open_orders_on_shutdown"):
        assert not hasattr(Config(), alias)
    assert not hasattr(Config, "from_dict")


def test_a_hand_built_config_takes_the_mode_as_text_too() -> None:
    assert Config(mode="trading").mode is Mode.TRADING
    with pytest.raises(ValueError, match="'live'"):
        Config(mode="live")
