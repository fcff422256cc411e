"""``[markets."coin"]`` tables: the markets traded, each with its leverage and margin mode,
validated before anything connects (every error names the key)."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from typing import Any

import pytest

from hip3.bot.settings import MarketSetup
from hip3.config import config_from_dict
from hip3.errors import ConfigError

TABLES = """
[markets."xyz:TSLA"]
leverage = 3
margin = "isolated"

[markets.BTC]
leverage = 10

[markets."flx:GOLD"]
"""


def _load(text: str) -> Any:
    return config_from_dict(tomllib.loads(text), source="bot.toml")


def test_tables_name_the_markets_in_file_order_and_carry_their_setup() -> None:
    config = _load(TABLES)
    assert config.markets == ("xyz:TSLA", "BTC", "flx:GOLD")
    assert config.bot_settings().orders.market_setup == {
        "xyz:TSLA": MarketSetup(3, "isolated"),
        "BTC": MarketSetup(10, None),  # no margin given: cross, or isolated where required
    }  # an empty table trades flx:GOLD with the account's current settings


def test_the_list_form_still_works_and_sets_nothing_up() -> None:
    config = _load('markets = ["BTC", "xyz:TSLA"]')
    assert config.markets == ("BTC", "xyz:TSLA")
    assert config.bot_settings().orders.market_setup == {}
    assert config.market_key(1) == "markets[1]"
    assert _load(TABLES).market_key(0) == 'markets."xyz:TSLA"'
    assert _load(TABLES).market_key(1) == "markets.BTC"


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ('[markets."xyz:TSLA"]\nleverage = 0', 'markets."xyz:TSLA".leverage', ">= 1"),
        ('[markets."xyz:TSLA"]\nleverage = "3"', 'markets."xyz:TSLA".leverage', "integer"),
        ('[markets."xyz:TSLA"]\nleverage = 2.5', 'markets."xyz:TSLA".leverage', "integer"),
        ("[markets.BTC]\nleverage = 500", "markets.BTC.leverage", "from 1 to 100"),
        ('[markets.BTC]\nleverage = 3\nmargin = "both"', "markets.BTC.margin",
         "cross, isolated"),
        ('[markets.BTC]\nmargin = "isolated"', "markets.BTC.margin", "needs leverage too"),
        ("[markets.BTC]\nlevrage = 3", "markets.BTC.levrage", "did you mean 'leverage'"),
        ("[markets]\nBTC = 3", "markets.BTC", "must be a table"),
        ('[markets."xyz TSLA"]\nleverage = 3', 'markets."xyz TSLA"', "must be a coin"),
        ("markets = 5", "markets", "or [markets.\"coin\"] tables"),
    ],
)  # fmt: skip
def test_every_mistake_names_its_key(text: str, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _load(text)
    assert raised.value.key == key
    assert message in str(raised.value)


def test_a_risk_limit_for_a_market_of_a_table_is_a_traded_market() -> None:
    config = _load(TABLES + '\n[risk.max_position]\n"xyz:TSLA" = 5\n')
    assert config.risk.max_position == {"xyz:TSLA": 5}
    with pytest.raises(ConfigError, match="not in markets"):
        _load(TABLES + '\n[risk.max_position]\n"xyz:NVDA" = 5\n')


def test_a_market_the_simulator_lacks_is_named_by_its_table() -> None:
    with pytest.raises(ConfigError) as raised:
        _load('network = "sim"\n[markets."xyz:NOPE"]\nleverage = 2\n')
    assert raised.value.key == 'markets."xyz:NOPE"'


def test_notional_caps_per_token_are_read_as_decimals_and_names_are_checked() -> None:
    config = _load('markets = ["BTC"]\n[risk.max_notional_per_token]\nUSDC = 5000\nUSDH = 2000.5\n')
    assert config.risk.limits().max_notional_per_token == {"USDC": 5000, "USDH": Decimal("2000.5")}
    with pytest.raises(ConfigError) as raised:
        _load('markets = ["BTC"]\n[risk.max_notional_per_token]\n"US DC" = 5\n')
    assert raised.value.key == "risk.max_notional_per_token.US DC"
    with pytest.raises(ConfigError, match=r"risk\.max_notional_per_token\.USDC: must be"):
        _load('markets = ["BTC"]\n[risk.max_notional_per_token]\nUSDC = -1\n')
