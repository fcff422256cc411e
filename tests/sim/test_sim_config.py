"""SimConfig: working defaults, strict reading of the ``[sim]`` table, errors naming the key."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hip3.errors import ConfigError
from hip3.sim.config import FaultConfig, SimConfig, SimDex, SimMarket, SimSpotPair


def test_defaults_are_a_main_dex_and_two_hip3_dexes() -> None:
    config = SimConfig()
    assert [dex.name for dex in config.dexes] == ["", "xyz", "flx"]
    assert [m.name for m in config.dexes[0].markets] == ["BTC", "ETH", "SOL"]
    assert [m.name for m in config.dexes[1].markets] == ["xyz:TSLA", "xyz:NVDA"]
    assert [m.name for m in config.dexes[2].markets] == ["flx:GOLD"]
    btc = config.dexes[0].markets[0]
    assert (btc.sz_decimals, btc.start_price) == (5, Decimal(60000))
    assert config.starting_balance == Decimal(100_000)
    assert config.tick_ms == 200 and config.lp_levels == 10 and config.max_open_orders == 1000
    assert config.seed == 1
    assert not config.faults.any_enabled()


def test_from_empty_mapping_equals_defaults() -> None:
    # a [sim] table is a venue someone connects to: its accounts are the venue's
    assert SimConfig.from_mapping({}) == SimConfig(auto_accounts=False)


def test_from_mapping_reads_every_kind_of_value() -> None:
    config = SimConfig.from_mapping(
        {
            "seed": 7,
            "starting_balance": "2500.5",
            "tick_ms": 50,
            "lp_levels": 3,
            "lp_size": 100,
            "taker_fee": 0.0005,
            "maker_fee": "0",
            "auto_accounts": False,
            "faults": {"ws_drop": 0.1, "channels": ["userFills"], "http_delay_ms": 20},
            "dexes": [
                {"name": "", "markets": [{"name": "BTC", "sz_decimals": 5, "start_price": 50000}]},
                {
                    "name": "abc",
                    "full_name": "ABC",
                    "deployer": "0x" + "AB" * 20,
                    "markets": [
                        {
                            "name": "abc:X",
                            "sz_decimals": 2,
                            "start_price": "12.5",
                            "max_leverage": 5,
                            "volatility": 0,
                            "only_isolated": True,
                        }
                    ],
                },
            ],
        },
        source="bot.toml",
    )
    assert config.seed == 7
    assert config.starting_balance == Decimal("2500.5")
    assert config.taker_fee == Decimal("0.0005") and config.maker_fee == 0
    assert config.auto_accounts is False
    assert config.faults == FaultConfig(ws_drop=0.1, channels=("userFills",), http_delay_ms=20)
    assert config.faults.any_enabled()
    assert config.dexes[1] == SimDex(
        name="abc",
        full_name="ABC",
        deployer="0x" + "ab" * 20,
        markets=(SimMarket("abc:X", 2, 5, Decimal("12.5"), 0.0, only_isolated=True),),
    )


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        ({"seeed": 1}, "sim.seeed", "unknown key (did you mean 'seed'?)"),
        ({"seed": "1"}, "sim.seed", "must be an integer"),
        ({"seed": True}, "sim.seed", "must be an integer"),
        ({"tick_ms": 0}, "sim.tick_ms", "must be in [1, 60000]"),
        ({"starting_balance": "lots"}, "sim.starting_balance", "not a number"),
        ({"starting_balance": -1}, "sim.starting_balance", "must be >= 0"),
        ({"lp_size": 0}, "sim.lp_size", "must be > 0"),
        ({"taker_fee": 0.5}, "sim.taker_fee", "must be in [0, 0.01]"),
        ({"maker_fee": 0.001, "taker_fee": 0.0001}, "sim.taker_fee", "must be >= maker_fee"),
        ({"faults": {"ws_drop": 1.5}}, "sim.faults.ws_drop", "must be in [0, 1]"),
        ({"faults": {"ws_drop": float("nan")}}, "sim.faults.ws_drop", "must be finite"),
        ({"faults": {"ws_dorp": 0.1}}, "sim.faults.ws_dorp", "unknown key"),
        ({"faults": {"channels": "userFills"}}, "sim.faults.channels", "must be a list"),
        ({"faults": {"channels": [1]}}, "sim.faults.channels[0]", "must be a string"),
        ({"faults": []}, "sim.faults", "must be a table"),
        ({"dexes": []}, "sim.dexes", "the first dex must be the main dex"),
        (
            {
                "dexes": [
                    {"name": "", "markets": [{"name": "BTC", "sz_decimals": 9, "start_price": 1}]}
                ]
            },
            "sim.dexes[0].markets[0].sz_decimals",
            "must be in [0, 5]",
        ),
        (
            {
                "dexes": [
                    {"name": "", "markets": [{"name": "x:BTC", "sz_decimals": 1, "start_price": 1}]}
                ]
            },
            "sim.dexes[0].markets[0].name",
            "main-dex markets have no dex prefix",
        ),
        (
            {
                "dexes": [
                    {"name": "", "markets": [{"name": "BTC", "sz_decimals": 1, "start_price": 1}]},
                    {
                        "name": "xyz",
                        "markets": [{"name": "abc:T", "sz_decimals": 1, "start_price": 1}],
                    },
                ]
            },
            "sim.dexes[1].markets[0].name",
            "must be 'xyz:COIN'",
        ),
        (
            {"dexes": [{"name": "", "markets": [{"name": "BTC", "sz_decimals": 1}]}]},
            "sim.dexes[0].markets[0].start_price",
            "missing",
        ),
    ],
)
def test_bad_values_name_source_and_dotted_key(
    data: dict[str, Any], key: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        SimConfig.from_mapping(data, source="bot.toml")
    assert caught.value.key == key
    assert caught.value.file == "bot.toml"
    assert str(caught.value).startswith(f"bot.toml: {key}: ")
    assert message in str(caught.value)


def test_example_error_text_from_the_contract() -> None:
    with pytest.raises(ConfigError, match=r"^bot\.toml: sim\.faults\.ws_drop: must be in \[0, 1\]"):
        SimConfig.from_mapping({"faults": {"ws_drop": 2}}, source="bot.toml")


def test_duplicate_markets_are_refused() -> None:
    market = {"name": "BTC", "sz_decimals": 1, "start_price": 1}
    with pytest.raises(ConfigError, match=r"sim\.dexes\[0\]\.markets\[1\]\.name: duplicate"):
        SimConfig.from_mapping({"dexes": [{"name": "", "markets": [market, market]}]})


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_keys = st.sampled_from(
    [
        "seed",
        "tick_ms",
        "lp_levels",
        "lp_size",
        "taker_fee",
        "faults",
        "dexes",
        "auto_accounts",
        "x",
    ]
)


@given(st.dictionaries(_keys, _values, max_size=4))
def test_any_mapping_gives_a_config_or_a_config_error(data: dict[str, Any]) -> None:
    try:
        config = SimConfig.from_mapping(data, source="fuzz.toml")
    except ConfigError as exc:
        assert str(exc).startswith("fuzz.toml: sim")
    else:
        assert isinstance(config, SimConfig)


def test_funding_rate_may_be_negative_but_bounded() -> None:
    assert SimConfig.from_mapping({"funding_rate": "-0.0001"}).funding_rate == Decimal("-0.0001")
    assert SimConfig.from_mapping({"funding_rate": -0.0002}).funding_rate == Decimal("-0.0002")
    with pytest.raises(ConfigError, match=r"sim\.funding_rate: must be in \[-0\.01, 0\.01\]"):
        SimConfig.from_mapping({"funding_rate": 0.5})


def test_spot_pairs_are_read_and_named_as_on_the_venue() -> None:
    assert SimConfig().spot_coins() == ("PURR/USDC", "@1")
    config = SimConfig.from_mapping(
        {
            "spot": [
                {"base": "PURR", "sz_decimals": 0, "start_price": "0.2"},
                {"base": "HYPE", "sz_decimals": 2, "start_price": 30, "wei_decimals": 8},
                {"base": "UBTC", "sz_decimals": 5, "start_price": "60000", "volatility": 0},
            ]
        }
    )
    assert config.spot[1] == SimSpotPair("HYPE", 2, Decimal(30), 0.0003, 8)
    assert config.spot_coins() == ("PURR/USDC", "@1", "@2")
    assert SimConfig.from_mapping({"spot": []}).spot == ()


@pytest.mark.parametrize(
    ("spot", "where"),
    [
        ([{"base": "USDC", "sz_decimals": 0, "start_price": 1}], "sim.spot[0].base"),
        ([{"base": "purr", "sz_decimals": 0, "start_price": 1}], "sim.spot[0].base"),
        ([{"base": "PURR", "start_price": 1}], "sim.spot[0].sz_decimals"),
        ([{"base": "PURR", "sz_decimals": 0, "start_price": 1, "x": 1}], "sim.spot[0]"),
        (
            [
                {"base": "PURR", "sz_decimals": 0, "start_price": 1},
                {"base": "PURR", "sz_decimals": 0, "start_price": 1},
            ],
            "sim.spot[1].base",
        ),
    ],
)
def test_bad_spot_pairs_name_the_key(spot: list[dict[str, Any]], where: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(where)):
        SimConfig.from_mapping({"spot": spot})


def test_a_dex_settles_in_its_collateral_token_listed_after_the_spot_tokens() -> None:
    config = SimConfig.from_mapping(
        {
            "dexes": [
                {"name": "", "markets": [{"name": "BTC", "sz_decimals": 5, "start_price": 1}]},
                {
                    "name": "usdh",
                    "collateral": "USDH",
                    "markets": [{"name": "usdh:X", "sz_decimals": 1, "start_price": 1}],
                },
            ]
        }
    )
    assert [dex.collateral for dex in config.dexes] == ["USDC", "USDH"]
    assert config.tokens() == ("USDC", "PURR", "HYPE", "USDH")
    with pytest.raises(ConfigError, match="main dex settles in USDC"):
        SimConfig.from_mapping(
            {
                "dexes": [
                    {
                        "name": "",
                        "collateral": "USDH",
                        "markets": [{"name": "BTC", "sz_decimals": 5, "start_price": 1}],
                    }
                ]
            }
        )
