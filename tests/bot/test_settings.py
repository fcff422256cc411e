"""Bot settings: grouped by concern, built by the config, flat for notebooks and tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest

from hip3.bot import Bot
from hip3.bot.settings import (
    _FLAT,
    BotSettings,
    BotTuning,
    MetricsSettings,
    OrderSettings,
    ResyncSettings,
    RiskSettings,
)
from hip3.bot.strategies import MarketMaker
from hip3.config import Config, config_from_dict
from hip3.errors import ValidationError

BASE: dict[str, Any] = {
    "base_url": "http://127.0.0.1:9",
    "ws_url": "ws://127.0.0.1:9/ws",
    "account": "0x" + "ab" * 20,
    "markets": ["BTC"],
    "strategy": MarketMaker(),
}


def test_every_flat_keyword_names_one_field_and_every_field_has_one() -> None:
    settings = BotSettings()
    fields = {
        (group.name, field.name)
        for group in attrs.fields(BotSettings)
        for field in attrs.fields(type(getattr(settings, group.name)))
    }
    assert set(_FLAT) == set(BotTuning.__annotations__)
    assert sorted(_FLAT.values()) == sorted(fields)


def test_unknown_flat_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="dedup_capcity"):
        BotSettings.of(dedup_capcity=10)  # type: ignore[call-arg]


def test_create_is_the_constructor_with_flat_settings() -> None:
    bot = Bot.create(**BASE, dedup_capacity=5000, metrics_port=0, cancel_scope="account")
    assert bot.settings == BotSettings(
        resync=ResyncSettings(dedup_capacity=5000),
        metrics=MetricsSettings(port=0),
        orders=OrderSettings(cancel_scope="account"),
    )
    assert Bot(**BASE).settings == BotSettings()
    assert Bot.create(**BASE, risk_limits=None).settings == BotSettings()


def test_a_bad_cancel_scope_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match=r"^cancel_scope: ") as refused:
        OrderSettings(cancel_scope="everyone")  # type: ignore[arg-type]
    assert refused.value.field == "cancel_scope"


def test_a_config_without_keys_builds_the_bots_default_settings() -> None:
    assert Config().bot_settings() == BotSettings()
    assert config_from_dict({}).bot_settings() == BotSettings()


def test_the_config_builds_the_settings_it_describes() -> None:
    config = config_from_dict(
        {
            "markets": ["BTC"],
            "position_resync_interval_secs": 5,
            "dedup_capacity": 4000,
            "strategy": {"interval_secs": 0.5},
            "risk": {"dead_man_switch_secs": 0, "max_notional": 1000},
            "shutdown": {"cancel_open_orders": False, "cancel_scope": "account"},
            "metrics": {"port": 9464, "host": "0.0.0.0"},
        }
    )
    settings = config.bot_settings()
    assert settings.resync == ResyncSettings(interval_secs=5, dedup_capacity=4000)
    assert settings.feeds.strategy_interval_secs == 0.5
    assert settings.risk == RiskSettings(limits=config.risk.limits(), dead_mans_switch_secs=None)
    assert settings.risk.limits.default.max_notional_usd == Decimal(1000)
    assert settings.orders == OrderSettings(cancel_on_shutdown=False, cancel_scope="account")
    assert settings.metrics == MetricsSettings(port=9464, host="0.0.0.0")


def test_run_parts_takes_no_nursery() -> None:
    import inspect

    assert "nursery" not in inspect.signature(Bot._run_parts).parameters
