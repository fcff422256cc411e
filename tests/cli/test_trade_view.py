"""The live view and summary renderings, the Ctrl-C path and the --help text."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from rich.console import Console

from hip3.app import FillRecord, LiveState, OrderCounts, TradeSummary
from hip3.config import config_from_dict
from hip3.domain import OrderState, OrderStatus
from hip3.types import Side
from hip3_cli.trade import render_line, render_live, render_summary, trade_cmd

D = Decimal


def _state() -> LiveState:
    return LiveState(
        elapsed_secs=12.5,
        mode="trading",
        account="0x" + "ab" * 20,
        positions={"BTC": D("0.003"), "xyz:TSLA": D("-1.2")},
        open_orders=[OrderState("BTC", Side.BUY, D("59990"), D("0.003"), OrderStatus.RESTING, 7)],
        recent_fills=[
            FillRecord(
                "BTC",
                "buy",
                D("60000"),
                D("0.003"),
                1_700_000_000_000,
                1,
                7,
                D(0),
                D("0.05"),
                False,
            )
        ],
        fills=1,
        realized_pnl={"USDC": D("0.5")},
        fees={"USDC": D("0.05")},
        orders=OrderCounts(placed=4, filled=1, resting=3, rejected=0, cancelled=2),
        drift_events=0,
        snapshots_adopted=3,
        snapshots_deferred=1,
        duplicates_dropped=2,
    )


def test_plain_line_has_positions_and_counters() -> None:
    line = render_line(_state())
    assert "fills=1" in line and "BTC=0.003" in line and "xyz:TSLA=-1.2" in line
    assert "drift=0" in line and "deferred=1" in line and "dups=2" in line


def test_terminal_view_renders_tables() -> None:
    config = config_from_dict({"markets": ["BTC", "xyz:TSLA", "ETH"]})  # ETH: flat
    console = Console(record=True, width=120)
    console.print(render_live(_state(), config))
    text = console.export_text()
    for part in ("positions", "open orders (1)", "recent fills (1 this run)", "59990", "-1.2"):
        assert part in text
    assert "drift events 0" in text


def test_summary_flags_a_mismatch() -> None:
    summary = TradeSummary(
        mode="trading", network="sim", account="0x" + "ab" * 20, markets=("BTC",),
        duration_secs=3.0, interrupted=False, fills=2,
        positions={"BTC": D("0.002")}, exchange_positions={"BTC": D("0.001")},
        drift=[], drift_explained=0, orders=OrderCounts(), resync={
            "snapshots_adopted": 1, "deferrals": 0, "fetch_failures": 0},
        dedup={"duplicates_dropped": 0, "capacity": 10}, realized_pnl={}, fees={},
        unrealized_pnl=None,
    )  # fmt: skip
    assert not summary.positions_match
    assert "MISMATCH" in render_summary(summary)
    assert summary.disagreement() == (
        "the tracker disagrees with the exchange: BTC tracker 0.002 exchange 0.001"
    )
    agreeing = attrs.evolve(summary, exchange_positions={"BTC": D("0.002")})
    assert agreeing.disagreement() is None
    assert attrs.evolve(agreeing, exchange_positions=None).disagreement() is None  # paper


def test_help_teaches_the_command() -> None:
    result = CliRunner().invoke(trade_cmd, ["--help"])
    assert result.exit_code == 0
    for part in ("--config", "--duration", "--json", "built-in simulator", "Exit codes", "130"):
        assert part in result.output


def test_ctrl_c_stops_cleanly_and_exits_130(fast_sim_config: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "hip3"),
            "trade",
            "--config",
            str(fast_sim_config),
            "--json",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        assert proc.stderr is not None
        while time.monotonic() < deadline:  # the first live line says the bot is trading
            line = proc.stderr.readline()
            if line.startswith("["):
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["interrupted"] is True
    assert summary["positions"] == summary["exchange_positions"]
    assert "Traceback" not in err


def test_a_terminal_gets_the_rich_view(fast_sim_config: Path, tmp_path: Path) -> None:
    import pty

    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "hip3"), "trade", "--config", str(fast_sim_config),
         "--duration", "2"],
        cwd=tmp_path, stdout=terminal, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    os.close(terminal)
    chunks: list[bytes] = []
    try:
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the terminal's other side closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        os.close(controller)
    screen = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, err
    for part in ("open orders", "recent fills", "positions (tracker | exchange)", "xyz:TSLA"):
        assert part in screen


def test_views_show_the_whole_account_and_what_is_missing() -> None:
    state = attrs.evolve(
        _state(),
        positions={"BTC": D("0.003"), "flx:GOLD": D("0.1")},  # a person's, not a market
        own_fills=5,
        foreign_fills=2,
        foreign_open_orders=1,
        unconfirmed_age_secs=2.5,
        max_divergence_secs=3.0,
    )
    line = render_line(state)
    assert "own=5 foreign=2 foreign orders=1" in line
    assert "fill missing for 2.5s" in line and "max divergence 3.0s" in line
    console = Console(record=True, width=120)
    console.print(render_live(state, config_from_dict({"markets": ["BTC"]})))
    assert "flx:GOLD" in console.export_text()
    summary = TradeSummary(
        mode="trading", network="sim", account="0x" + "ab" * 20, markets=("BTC",),
        duration_secs=3.0, interrupted=False, fills=2,
        positions={"BTC": D("0.002")}, exchange_positions={"BTC": D("0.002")},
        drift=[], drift_explained=0, orders=OrderCounts(), resync={
            "snapshots_adopted": 1, "deferrals": 0, "fetch_failures": 0},
        dedup={"duplicates_dropped": 0, "capacity": 10}, realized_pnl={}, fees={},
        unrealized_pnl=None,
        whole_account={"dexes": ["", "flx"], "own_fills": 5, "foreign_fills": 2,
                       "foreign_open_orders": 1, "spot_and_outcome_fills": {"@107": "3"}},
        unconfirmed={"oldest_age_secs": None, "snapshots_forced": 1},
    )  # fmt: skip
    text = render_summary(summary)
    assert "dexes main, flx" in text and "foreign open orders 1 (left alone)" in text
    assert "@107 3" in text and "snapshots adopted despite blockers 1" in text


def test_ctrl_c_while_a_subcommand_loads_exits_130_not_aborted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from hip3_cli import main as main_module

    def interrupted_import(name: str) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(main_module._LazyGroup, "_load", staticmethod(interrupted_import))
    result = CliRunner().invoke(main_module.main, ["trade", "--duration", "1"])
    assert result.exit_code == 130
    assert "Aborted!" not in result.output and "interrupted" in result.stderr


def test_abort_message_says_what_is_left_and_how_to_cancel_it() -> None:
    from hip3.config import config_from_dict
    from hip3_cli.trade import _abort_message

    live = config_from_dict(
        {"mode": "trading", "network": "testnet", "markets": ["BTC"],
         "risk": {"dead_man_switch_secs": 30}},
        source="bot.toml",
    )  # fmt: skip
    text = _abort_message(live)
    assert "open orders may be left" in text and "hip3 cancel-all --config bot.toml" in text
    assert "within 30 s" in text
    sim = config_from_dict({"markets": ["BTC"]})
    assert "nothing is left" in _abort_message(sim)


def test_second_ctrl_c_aborts_with_130_and_says_so(fast_sim_config: Path, tmp_path: Path) -> None:
    # Every action's answer comes 4 s late, so the clean stop the first Ctrl-C starts (it
    # cancels the open orders) is still running when the second one arrives, however
    # slowly this test reads the output: no race with a fast shutdown.
    with fast_sim_config.open("a") as config:
        config.write("\n[sim.faults]\npost_delay = 1.0\npost_delay_ms = 4000\n")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "hip3"), "trade", "--config", str(fast_sim_config),
         "--json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    seen: list[str] = []
    try:
        assert proc.stderr is not None
        for wanted in ("[", "stopping:"):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                line = proc.stderr.readline()
                seen.append(line)
                if line.startswith(wanted):
                    break
            proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    err = "".join(seen) + err
    assert proc.returncode == 130, err
    assert "interrupted: aborted without cancelling" in err
    assert "Traceback" not in err and "Aborted!" not in err


def test_live_view_fits_an_80x24_terminal_with_its_counters() -> None:
    base = _state()
    many = attrs.evolve(
        base,
        open_orders=base.open_orders * 12,
        recent_fills=list(base.recent_fills) * 8,
    )
    config = config_from_dict({"markets": ["BTC", "xyz:TSLA"]})
    console = Console(record=True, width=80, height=24)
    console.print(render_live(many, config, console.size.height))
    text = console.export_text()
    assert len(text.splitlines()) <= 23  # one line for the cursor
    assert "drift events 0" in text and "orders placed" in text and "pnl realized" in text
    assert "not shown" in text
