"""`hip3 trade` end to end against the embedded simulator, and its one-line errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from hip3.app import LiveState, run_from_config
from hip3.config import load_config
from hip3.journal.replay import replay_async
from hip3.types import Side
from hip3_cli.trade import trade_cmd

KEY = "0x" + "5a" * 32


def _last_json(stdout: str) -> dict[str, object]:
    return json.loads(stdout.strip().splitlines()[-1])


def test_trade_json_summary_has_tracker_equal_to_exchange(
    fast_sim_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fast_sim_config.open("a") as f:
        f.write('\n[account]\nkey_env = "HIP3_TEST_TRADE_KEY"\n')
    monkeypatch.setenv("HIP3_TEST_TRADE_KEY", KEY)
    result = CliRunner().invoke(
        trade_cmd, ["--config", str(fast_sim_config), "--duration", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = _last_json(result.stdout)
    assert summary["network"] == "sim" and summary["mode"] == "trading"
    assert isinstance(summary["fills"], int)
    assert summary["exchange_positions"] is not None
    assert summary["positions"] == summary["exchange_positions"]
    assert summary["positions_match"] is True
    assert summary["drift_events"] == 0
    assert set(summary["orders"]) >= {"placed", "filled", "rejected", "cancelled"}  # type: ignore[arg-type]
    assert summary["orders"]["placed"] > 0  # type: ignore[index]
    assert {"duplicates_dropped", "capacity"} <= set(summary["dedup"])  # type: ignore[arg-type]
    assert summary["resync"]["snapshots_adopted"] > 0  # type: ignore[index]
    # Measured against the simulator's truth, and the account beyond the bot's markets.
    assert isinstance(summary["max_divergence_secs"], float)
    assert 0 <= summary["divergence_fraction"] <= 1  # type: ignore[operator]
    assert summary["whole_account"]["dexes"] == ["", "xyz"]  # type: ignore[index]
    assert summary["whole_account"]["foreign_fills"] == 0  # type: ignore[index]
    assert "oldest_age_secs" in summary["unconfirmed"]  # type: ignore[operator]
    # the key signs, and is never shown
    assert KEY[2:] not in result.output and KEY[2:].upper() not in result.output
    assert "Traceback" not in result.output


async def test_run_from_config_reports_live_state_and_a_summary(fast_sim_config: Path) -> None:
    updates: list[LiveState] = []
    summary = await run_from_config(
        load_config(fast_sim_config),
        duration=2.5,
        on_update=updates.append,
        update_interval_secs=0.5,
    )
    assert len(updates) >= 3
    assert all(u.mode == "trading" for u in updates)
    assert summary.positions_match and summary.drift_events == 0
    assert summary.to_json()["markets"] == ["BTC", "xyz:TSLA"]
    assert summary.sim is not None and summary.sim["url"].startswith("http://127.0.0.1:")


def test_unknown_key_exits_2_with_one_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text('network = "sim"\nmarkets = ["BTC"]\n[strategy.params]\nhalf_sprad_bps = 2\n')
    result = CliRunner().invoke(trade_cmd, ["--config", str(p)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert f"{p}: strategy.params.half_sprad_bps: unknown key" in result.stderr
    assert "half_spread_bps" in result.stderr and "Traceback" not in result.output


def test_market_missing_from_the_simulator_exits_2(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text('network = "sim"\nmarkets = ["BTC", "xyz:NOPE"]\n')
    result = CliRunner().invoke(trade_cmd, ["--config", str(p)])
    assert result.exit_code == 2
    assert "markets[1]: xyz:NOPE is not a market of the simulator" in result.stderr


def test_missing_key_env_exits_2_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HIP3_NOT_SET_KEY", raising=False)
    p = tmp_path / "c.toml"
    p.write_text(
        'mode = "trading"\nnetwork = "testnet"\nmarkets = ["BTC"]\n'
        '[account]\nkey_env = "HIP3_NOT_SET_KEY"\n'
    )
    result = CliRunner().invoke(trade_cmd, ["--config", str(p)])
    assert result.exit_code == 2
    assert "account.key_env: env var HIP3_NOT_SET_KEY is not set" in result.stderr


def test_mainnet_trading_needs_the_explicit_flag(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('mode = "trading"\nnetwork = "mainnet"\nmarkets = ["BTC"]\n')
    result = CliRunner().invoke(trade_cmd, ["--config", str(p)])
    assert result.exit_code == 2
    assert "--live-mainnet" in result.stderr


def test_unreadable_config_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(trade_cmd, ["--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr and "Traceback" not in result.output


def test_a_venue_that_does_not_answer_exits_1(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = tmp_path / "c.toml"
    p.write_text(
        'mode = "observe"\nmarkets = ["BTC"]\n'
        f'network = {{ http_url = "http://127.0.0.1:{port}", ws_url = "ws://127.0.0.1:{port}/ws" }}\n'
        '[account]\naddress = "0x' + "11" * 20 + '"\n'
    )
    result = CliRunner().invoke(trade_cmd, ["--config", str(p), "--duration", "1"])
    assert result.exit_code == 1, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: cannot reach the venue at http://127.0.0.1:{port}")
    assert "Traceback" not in result.output


async def test_each_run_journals_to_a_file_of_its_own_that_replays_to_its_positions(
    fast_sim_config: Path, tmp_path: Path
) -> None:
    journal = tmp_path / "capture.jsonl"
    with fast_sim_config.open("a") as f:
        f.write(f'\n[journal]\npath = "{journal}"\n')
    config = load_config(fast_sim_config)
    first = await run_from_config(config, duration=1.5)
    second = await run_from_config(config, duration=1.5)
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("capture.") and p != journal]
    assert len(kept) == 1  # the first run's journal, set aside, not appended to
    for path, summary in ((kept[0], first), (journal, second)):
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        # It starts with the universe the run used: asset ids map back to coins.
        types = [line["msg"].get("type") for line in lines[:12] if line["dir"] == "out"]
        assert "perpDexs" in types and "meta" in types
        result = await replay_async(path)
        assert result.unmapped_orders == 0
        assert result.positions == summary.positions


async def test_trade_on_an_account_a_person_also_trades_ends_on_the_venues_truth(
    fast_sim_config: Path,
) -> None:
    # `hip3 trade`'s library path with a person on the same account: a position on a dex
    # the bot does not trade (held before and changed during the run) and a resting order.
    import time
    from decimal import Decimal

    import trio

    from hip3.clients import ExchangeClient, InfoClient, NonceGenerator, PlaceOrder
    from hip3.signing import PrivateKey
    from hip3.sim import SimConfig, open_simulator

    key = PrivateKey.coerce(KEY)
    async with open_simulator(SimConfig(auto_accounts=True, seed=9)) as sim:

        async def person(coin: str, is_buy: bool, px: str, sz: str, tif: str) -> object:
            async with InfoClient(sim.url) as info:
                client = ExchangeClient(
                    sim.url,
                    key,
                    key.address,
                    universe=await info.universe(["", "flx"]),
                    info=info,
                    mainnet=False,
                    nonces=NonceGenerator(lambda: int(time.time() * 1000) + 3_600_000),
                )
                [result] = await client.place_orders(
                    [
                        PlaceOrder(
                            coin,
                            Side.BUY if is_buy else Side.SELL,
                            Decimal(px),
                            Decimal(sz),
                            tif=tif,
                        )
                    ]
                )
                return result

        await person("flx:GOLD", True, "2600", "0.1", "Ioc")  # before the bot starts
        resting = await person("flx:GOLD", False, "2900", "0.05", "Alo")
        config = load_config(fast_sim_config)

        async with trio.open_nursery() as nursery:
            result: list[object] = []

            async def trade() -> None:
                result.append(await run_from_config(config, duration=3, sim=sim, key=key))

            nursery.start_soon(trade)
            await trio.sleep(1.5)
            await person("flx:GOLD", False, "2200", "0.04", "Ioc")  # during the run
        [summary] = result
        async with InfoClient(sim.url) as info:
            still_open = {o.oid for o in await info.open_orders(key.address, "flx")}
    assert summary.disagreement() is None  # type: ignore[attr-defined]
    assert summary.positions["flx:GOLD"] == Decimal("0.06")  # type: ignore[attr-defined]
    assert summary.positions == summary.exchange_positions  # type: ignore[attr-defined]
    assert resting.oid in still_open  # type: ignore[attr-defined]


def test_trade_without_config_runs_the_builtin_sim_example_with_fills(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HIP3_PRIVATE_KEY", raising=False)
    result = CliRunner().invoke(trade_cmd, ["--duration", "8", "--json"])
    assert result.exit_code == 0, result.output
    summary = _last_json(result.stdout)
    assert summary["network"] == "sim" and summary["markets"] == ["BTC", "xyz:TSLA"]
    assert summary["fills"] > 0  # type: ignore[operator]
    assert summary["positions_match"] is True
    assert list(tmp_path.iterdir()) == []  # no capture file dropped in the current folder
    assert isinstance(summary["rejections"], dict)  # why intents were rejected, by kind


@pytest.mark.slow
@pytest.mark.chaos
def test_chaos_example_is_not_starved_by_its_own_rate_limit_gate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With resyncs every 5 s and 15% 429s, the rate_limit gate refused 83 orders
    against 25 placed; the example is tuned so the gate stays the exception."""
    from hip3.config import example_text

    p = tmp_path / "chaos.toml"
    p.write_text(example_text("chaos"))
    result = CliRunner().invoke(trade_cmd, ["--config", str(p), "--duration", "30", "--json"])
    assert result.exit_code == 0, result.output
    summary = _last_json(result.stdout)
    refused = summary["rejections"].get("place", {}).get("gate rate_limit", 0)  # type: ignore[union-attr]
    assert summary["orders"]["placed"] > 4 * refused  # type: ignore[index, operator]
    assert summary["fills"] > 0  # type: ignore[operator]


def test_trade_json_prints_an_error_object_on_a_config_error(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text("markets = []\n")
    result = CliRunner().invoke(trade_cmd, ["--config", str(p), "--json"])
    assert result.exit_code == 2
    data = _last_json(result.stdout)
    assert data["exit_code"] == 2 and "markets" in data["error"]  # type: ignore[operator]
