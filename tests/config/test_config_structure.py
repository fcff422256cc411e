"""The validated config is structured into typed sections (cattrs) that the app hands on."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from hip3.bot.strategies import MarketMakerParams
from hip3.config import config_from_dict, load_config, resolve_private_key
from hip3.errors import ConfigError
from hip3.executor.intents import Tif
from hip3.risk import MarketLimits

D = Decimal


def test_strategy_params_become_market_maker_params() -> None:
    c = config_from_dict(
        {"strategy": {"name": "market_maker", "params": {"half_spread_bps": 3, "tif": "Gtc"}}}
    )
    assert isinstance(c.strategy.params, MarketMakerParams)
    assert c.strategy.params.half_spread_bps == D(3)
    assert c.strategy.params.tif is Tif.GTC
    assert c.strategy.params.order_notional_usd == MarketMakerParams().order_notional_usd


def test_risk_section_maps_onto_risk_limits() -> None:
    c = config_from_dict(
        {
            "markets": ["BTC"],
            "risk": {
                "max_position": {"BTC": 0.1},
                "max_position_default": 2,
                "max_notional": 1000.5,
                "max_open_orders": 4,
                "price_band_bps": 300,
                "stale_data_secs": 2.5,
            },
        }
    )
    limits = c.risk.limits()
    assert limits.per_market["BTC"] == MarketLimits(D("0.1"), D("1000.5"))
    assert limits.for_market("ETH") == MarketLimits(D(2), D("1000.5"))
    assert limits.max_open_orders == 4
    assert limits.price_band_bps == D(300)
    assert limits.max_data_age_ms == 2500


def test_unknown_strategy_param_names_the_key_and_suggests() -> None:
    with pytest.raises(ConfigError) as e:
        config_from_dict({"strategy": {"params": {"half_spread": 3}}}, source="bot.toml")
    text = str(e.value)
    assert text.startswith("bot.toml: strategy.params.half_spread: unknown key")
    assert "half_spread_bps" in text
    assert e.value.file == "bot.toml" and e.value.key == "strategy.params.half_spread"


def test_error_names_file_and_key_once() -> None:
    with pytest.raises(ConfigError) as e:
        config_from_dict({"risk": {"max_open_orders": 0}}, source="bot.toml")
    assert str(e.value).count("bot.toml") == 1
    assert str(e.value).count("risk.max_open_orders") == 1


@pytest.mark.parametrize(
    ("doc", "key", "allowed"),
    [
        ({"mode": "live"}, "mode", "observe, paper, trading"),
        ({"network": "devnet"}, "network", "sim, testnet, mainnet"),
        ({"strategy": {"params": {"tif": "FOK"}}}, "strategy.params.tif", "Gtc, Ioc, Alo"),
        ({"strategy": {"name": "grid"}}, "strategy.name", "market_maker"),
        ({"markets": ["BTC", "BTC"]}, "markets[1]", "twice"),
        ({"markets": ["not a coin"]}, "markets[0]", "dex:COIN"),
        ({"account": {"address": "0x12"}}, "account.address", "40 hex digits"),
        (
            {"network": {"http_url": "ftp://127.0.0.1:3001", "ws_url": "ws://127.0.0.1:3001/ws"}},
            "network.http_url",
            "http",
        ),
        ({"dedup_capacity": "5"}, "dedup_capacity", "integer"),
    ],
)
def test_bad_values_say_what_is_allowed(doc: dict[str, object], key: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as e:
        config_from_dict(doc, source="f.toml")
    assert e.value.key == key
    assert allowed in str(e.value)


def test_custom_network_urls_and_signing_domain() -> None:
    c = config_from_dict({"network": {"http_url": "http://127.0.0.1:9/", "ws_url": "ws://h/ws"}})
    assert (c.network.name, c.network.http_url, c.network.mainnet) == (
        "custom",
        "http://127.0.0.1:9",
        False,
    )
    assert config_from_dict({"network": "mainnet"}).network.mainnet is True


def test_unreadable_and_invalid_toml_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    p = tmp_path / "bad.toml"
    p.write_text("mode = \n")
    with pytest.raises(ConfigError, match="invalid TOML") as e:
        load_config(p)
    assert "\n" not in str(e.value)


def test_key_from_env_and_file_never_in_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "0x" + "11" * 32
    c = config_from_dict({"network": "testnet", "account": {"key_env": "HIP3_TEST_KEY"}})
    monkeypatch.delenv("HIP3_TEST_KEY", raising=False)
    with pytest.raises(ConfigError, match="HIP3_TEST_KEY is not set"):
        resolve_private_key(c)
    monkeypatch.setenv("HIP3_TEST_KEY", key)
    assert resolve_private_key(c) == key
    monkeypatch.setenv("HIP3_TEST_KEY", "0x1234")
    with pytest.raises(ConfigError, match="not 32 bytes") as e:
        resolve_private_key(c)
    assert "0x1234" not in str(e.value)
    kf = tmp_path / "key"
    kf.write_text(key + "\n")
    kf.chmod(0o600)
    c2 = config_from_dict({"network": "testnet", "account": {"key_file": str(kf)}})
    assert resolve_private_key(c2) == key


def test_sim_needs_no_key_but_real_networks_do() -> None:
    assert resolve_private_key(config_from_dict({"network": "sim"})) is None
    with pytest.raises(ConfigError, match="no key configured"):
        resolve_private_key(config_from_dict({"network": "testnet"}))


def test_sim_section_is_validated_by_the_simulator_naming_file_and_key() -> None:
    with pytest.raises(ConfigError) as e:
        config_from_dict({"sim": {"faults": {"ws_drop": 2}}}, source="bot.toml")
    assert str(e.value).startswith("bot.toml: sim.faults.ws_drop:")
    c = config_from_dict({"sim": {"seed": 9, "faults": {"ws_drop": 0.1}}})
    assert c.sim.seed == 9 and c.sim.faults.ws_drop == 0.1


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6)
_sim_keys = st.sampled_from(
    ["seed", "tick_ms", "faults", "ws_drop", "dexes", "markets", "name", "lp_size", "x"]
)
_sim_values = st.recursive(
    _leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(_sim_keys, c, max_size=3)
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_sim_keys, _sim_values, max_size=4))
def test_any_sim_table_gives_config_or_config_error(sim: dict[str, object]) -> None:
    try:
        config_from_dict({"sim": sim})
    except ConfigError as e:
        assert str(e).startswith("<dict>: ")
