"""A pip user's first hour (issue 13): runnable defaults, examples shipped in the package,
typos in risk limits caught."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from hip3.config import Config, load_config
from hip3.config.examples import NAMES, example_text
from hip3.errors import ConfigError
from hip3_cli.config_cmd import config_group
from hip3_cli.trade import trade_cmd

ROOT = Path(__file__).resolve().parents[2]


def test_trade_without_a_config_runs_the_packaged_simulator_example() -> None:
    result = CliRunner().invoke(trade_cmd, ["--duration", "4", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["network"] == "sim" and summary["mode"] == "trading"
    assert summary["fills"] > 0 and summary["positions_match"] is True


@pytest.mark.parametrize("name", NAMES)
def test_packaged_examples_are_the_repositorys_and_valid(name: str) -> None:
    text = example_text(name)
    assert (ROOT / "examples" / f"{name}.toml").read_text(encoding="utf-8") == text
    Config.from_dict(tomllib.loads(text))
    result = CliRunner().invoke(config_group, ["example", "--name", name])
    assert result.exit_code == 0 and result.output == text


def test_the_full_example_trades_on_the_simulator_as_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    printed = CliRunner().invoke(config_group, ["example"]).output
    path = tmp_path / "bot.toml"
    path.write_text(printed)
    config = load_config(path)
    assert config.network.name == "sim" and config.mode == "trading"
    assert config.account.key_env is None  # a throwaway key on the simulator
    assert config.journal.path is None  # nothing written into the current folder
    result = CliRunner().invoke(trade_cmd, ["--config", str(path), "--duration", "3", "--json"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bot.toml"]  # nothing else written
    assert json.loads(result.stdout.strip().splitlines()[-1])["positions_match"] is True


def test_a_limit_for_a_coin_not_traded_is_an_error_with_a_suggestion() -> None:
    with pytest.raises(ConfigError) as error:
        Config.from_dict({"markets": ["BTC", "xyz:TSLA"], "risk": {"max_position": {"btc": 1}}})
    text = str(error.value)
    assert "risk.max_position.btc" in text and "did you mean 'BTC'" in text
