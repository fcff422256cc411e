"""What `hip3 trade` refuses before connecting, `hip3 config check` refuses too (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hip3.config import (
    check_runnable,
    config_from_dict,
    example_names,
    example_text,
    load_config,
)
from hip3.errors import ConfigError

REPO_EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("secs", [0.5, 3, 4.99])
def test_dead_man_switch_below_the_venue_minimum_is_a_config_error(secs: float) -> None:
    with pytest.raises(ConfigError, match=r"risk\.dead_man_switch_secs: must be 0 \(off\) or >= 5"):
        config_from_dict({"markets": ["BTC"], "risk": {"dead_man_switch_secs": secs}})


@pytest.mark.parametrize("secs", [0, 5, 30])
def test_dead_man_switch_off_or_in_range_is_accepted(secs: float) -> None:
    c = config_from_dict({"markets": ["BTC"], "risk": {"dead_man_switch_secs": secs}})
    assert c.risk.dead_man_switch_secs == secs


def test_limit_for_a_coin_not_traded_is_an_error_with_did_you_mean() -> None:
    with pytest.raises(ConfigError) as e:
        config_from_dict({"markets": ["BTC"], "risk": {"max_position": {"btc": 0.05}}})
    text = str(e.value)
    assert "risk.max_position.btc" in text and "did you mean 'BTC'?" in text
    assert "markets traded: BTC" in text


def test_limit_for_a_misspelt_hip3_coin_suggests_the_market() -> None:
    with pytest.raises(ConfigError, match=r"did you mean 'xyz:TSLA'"):
        config_from_dict(
            {"markets": ["BTC", "xyz:TSLA"], "risk": {"max_position": {"xyz:TLSA": 1}}}
        )


def test_limits_for_traded_coins_are_kept() -> None:
    c = config_from_dict({"markets": ["BTC"], "risk": {"max_position": {"BTC": 0.05}}})
    assert str(c.risk.limits().for_market("BTC").max_position_sz) == "0.05"


@pytest.mark.parametrize("capacity", [1, 100, 1999])
def test_dedup_capacity_below_the_snapshot_size_names_key_and_reason(capacity: int) -> None:
    with pytest.raises(ConfigError) as e:
        config_from_dict({"markets": ["BTC"], "dedup_capacity": capacity})
    text = str(e.value)
    assert "dedup_capacity: must be >= 2000" in text and "snapshot" in text


def test_dedup_capacity_at_or_above_the_snapshot_size_is_accepted() -> None:
    assert config_from_dict({"dedup_capacity": 2000}).dedup_capacity == 2000
    assert config_from_dict({"dedup_capacity": 5000}).dedup_capacity == 5000


def test_check_runnable_refuses_an_empty_config() -> None:
    with pytest.raises(ConfigError, match=r"markets: list at least one market"):
        check_runnable(config_from_dict({}))


def test_check_runnable_refuses_an_unset_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HIP3_TEST_UNSET_KEY", raising=False)
    c = config_from_dict({"markets": ["BTC"], "account": {"key_env": "HIP3_TEST_UNSET_KEY"}})
    with pytest.raises(ConfigError, match=r"account\.key_env: env var HIP3_TEST_UNSET_KEY"):
        check_runnable(c)
    check_runnable(c, need_key=False)  # a caller that brings its own key


def test_check_runnable_accepts_observing_an_address_without_key() -> None:
    c = config_from_dict(
        {"mode": "observe", "network": "testnet", "markets": ["BTC"],
         "account": {"address": "0x" + "12" * 20}}
    )  # fmt: skip
    check_runnable(c)


def test_packaged_examples_are_the_repo_examples() -> None:
    names = example_names()
    assert {"full", "sim", "chaos", "testnet"} <= set(names)
    assert sorted(p.stem for p in REPO_EXAMPLES.glob("*.toml")) == sorted(names)
    for name in names:
        assert (REPO_EXAMPLES / f"{name}.toml").read_text("utf-8") == example_text(name), name


@pytest.mark.parametrize("name", ["full", "sim", "chaos", "testnet"])
def test_every_example_passes_the_run_checks(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIP3_PRIVATE_KEY", "0x" + "11" * 32)
    p = tmp_path / f"{name}.toml"
    p.write_text(example_text(name), encoding="utf-8")
    config = load_config(p)
    check_runnable(config)
    if name != "testnet":
        assert config.network.name == "sim" and config.journal.path is None
        monkeypatch.delenv("HIP3_PRIVATE_KEY")
        check_runnable(config)  # the simulator generates a throwaway key


def test_unknown_example_name_lists_the_real_ones() -> None:
    with pytest.raises(ConfigError, match=r"no example named 'nope'; there are: chaos, full"):
        example_text("nope")
