from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hip3_cli.config_cmd import config_group


def test_config_check_valid_file_exits_zero_with_json(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('network = "sim"\nmarkets = ["BTC"]\n')
    r = CliRunner().invoke(config_group, ["check", str(p), "--json"])
    assert r.exit_code == 0
    assert json.loads(r.output.strip().splitlines()[-1])["markets"] == ["BTC"]


def test_config_check_bad_key_exits_two_without_traceback(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text("dedup_capacty = 5\n")
    r = CliRunner().invoke(config_group, ["check", str(p)])
    assert r.exit_code == 2
    assert "dedup_capacty" in r.output and "Traceback" not in r.output


def test_config_example_prints_a_valid_config(tmp_path: Path) -> None:
    r = CliRunner().invoke(config_group, ["example"])
    assert r.exit_code == 0
    p = tmp_path / "ex.toml"
    p.write_text(r.output)
    assert CliRunner().invoke(config_group, ["check", str(p)]).exit_code == 0


import pytest  # noqa: E402

from hip3.config import example_text  # noqa: E402

_RUNTIME_FAILURES = {
    "dead_man_switch_too_short": (
        'markets = ["BTC"]\n[risk]\ndead_man_switch_secs = 3\n',
        "risk.dead_man_switch_secs",
    ),
    "empty_file": ("", "markets"),
    "no_markets": ("markets = []\n", "markets"),
    "unset_key_env": (
        'markets = ["BTC"]\n[account]\nkey_env = "HIP3_TEST_SURELY_UNSET"\n',
        "HIP3_TEST_SURELY_UNSET",
    ),
    "limit_typo": ('markets = ["BTC"]\n[risk]\nmax_position = { btc = 0.05 }\n', "did you mean"),
    "dedup_too_small": ('markets = ["BTC"]\ndedup_capacity = 100\n', "dedup_capacity"),
}


@pytest.mark.parametrize("case", sorted(_RUNTIME_FAILURES))
def test_config_check_refuses_what_trade_refuses(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hip3_cli.trade import trade_cmd

    monkeypatch.delenv("HIP3_TEST_SURELY_UNSET", raising=False)
    text, named = _RUNTIME_FAILURES[case]
    p = tmp_path / "c.toml"
    p.write_text(text)
    checked = CliRunner().invoke(config_group, ["check", str(p), "--json"])
    assert checked.exit_code == 2, checked.output
    answer = json.loads(checked.stdout.strip().splitlines()[-1])
    assert answer["ok"] is False and named in answer["error"] and answer["exit_code"] == 2
    traded = CliRunner().invoke(trade_cmd, ["--config", str(p), "--duration", "1"])
    assert traded.exit_code == 2, traded.output
    assert named in traded.output and "unexpected" not in traded.output


@pytest.mark.parametrize("name", ["full", "sim", "chaos", "testnet"])
def test_config_example_by_name_prints_the_packaged_file(name: str) -> None:
    r = CliRunner().invoke(config_group, ["example", "--name", name])
    assert r.exit_code == 0
    assert r.output == example_text(name)


def test_config_example_unknown_name_exits_2_listing_names() -> None:
    r = CliRunner().invoke(config_group, ["example", "--name", "mainnet"])
    assert r.exit_code == 2 and "chaos, full, sim, testnet" in r.output


def test_config_example_default_runs_without_a_key_or_a_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HIP3_PRIVATE_KEY", raising=False)
    r = CliRunner().invoke(config_group, ["example"])
    p = tmp_path / "ex.toml"
    p.write_text(r.output)
    from hip3.config import check_runnable, load_config

    config = load_config(p)
    check_runnable(config)  # it printed `key_env` set to an unset variable on main
    assert config.journal.path is None  # and wrote capture.jsonl into the current folder


def test_a_key_file_others_can_read_gives_one_clean_warning_line(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("0x" + "2a" * 32 + "\n")
    key.chmod(0o644)
    p = tmp_path / "c.toml"
    p.write_text(f'markets = ["BTC"]\n[account]\nkey_file = "{key}"\n')
    p.chmod(0o600)
    r = CliRunner().invoke(config_group, ["check", str(p)])
    assert r.exit_code == 0, r.output
    assert r.stderr.strip() == f"warning: key file {key} is accessible by others (chmod 600 it)"
    assert "2a" * 32 not in r.output
