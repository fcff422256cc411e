"""A refused dead-man's switch shows UNPROTECTED; required, it stops the start.

Runs ``hip3 trade``'s path (``run_from_config``) on the simulator, which refuses
``scheduleCancel`` below $1M traded as the venue does.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio
from click.testing import CliRunner

from hip3.app import LiveState, RunningBot, run_from_config
from hip3.config import load_config
from hip3.executor.deadman import DeadMansSwitchRefused
from hip3.ops.metrics import BotCollector
from hip3.signing import PrivateKey
from hip3.sim import open_simulator
from hip3_cli.trade import render_line, render_summary, trade_cmd

KEY = PrivateKey.coerce("0x" + "5a" * 32)
GATE = "Cannot set scheduled cancel time until enough volume traded. Required: $1000000."


def _gauge(running: RunningBot, name: str) -> float:
    for family in BotCollector(running.bot).collect():
        if family.name == name:
            [sample] = family.samples
            return float(sample.value)
    raise AssertionError(f"no {name}")


async def _run(config_path: Path) -> tuple[list[LiveState], Any, float]:
    updates: list[LiveState] = []
    ended: dict[str, Any] = {}

    async def run(task_status: trio.TaskStatus[RunningBot]) -> None:
        ended["summary"] = await run_from_config(
            load_config(config_path),
            duration=2.5,
            on_update=updates.append,
            update_interval_secs=0.5,
            task_status=task_status,
        )

    async with trio.open_nursery() as nursery:
        running: RunningBot = await nursery.start(run)
        gauge = _gauge(running, "hip3_dead_mans_switch_protected")
    return updates, ended["summary"], gauge


async def test_a_refused_dead_mans_switch_shows_unprotected_everywhere(
    fast_sim_config: Path,
) -> None:
    updates, summary, gauge = await _run(fast_sim_config)
    live = updates[-1].dead_mans_switch
    assert live is not None and live.startswith(f"UNPROTECTED: {GATE} Traded: $")
    assert "dead-man's switch UNPROTECTED: Cannot set scheduled" in render_line(updates[-1])
    assert updates[-1].to_json()["dead_mans_switch"] == live
    end = summary.to_json()["dead_mans_switch"]
    assert end["protection"] == "UNPROTECTED" and end["reason"].startswith(GATE)
    assert end["refusals"] >= 1
    assert "dead-man's switch: UNPROTECTED (Cannot set scheduled" in render_summary(summary)
    assert gauge == 0
    assert summary.positions_match  # the bot traded all the same


async def test_an_account_past_the_gate_is_protected(fast_sim_config: Path) -> None:
    text = fast_sim_config.read_text().replace(
        "[sim]\n", "[sim]\nschedule_cancel_min_volume = 0\n", 1
    )
    fast_sim_config.write_text(text)
    updates, summary, gauge = await _run(fast_sim_config)
    assert updates[-1].dead_mans_switch == "protected"
    assert "dead-man's switch" not in render_line(updates[-1])
    assert summary.to_json()["dead_mans_switch"]["protection"] == "protected"
    assert gauge == 1


def _require(path: Path) -> Path:
    text = path.read_text()
    path.write_text(text + "\n[risk]\nrequire_dead_man_switch = true\n")
    return path


async def test_required_and_refused_it_refuses_to_start_and_sends_no_order(
    fast_sim_config: Path,
) -> None:
    config = load_config(_require(fast_sim_config))
    assert config.risk.require_dead_man_switch is True
    assert config.sim is not None
    sim_config = attrs.evolve(config.sim, accounts=(KEY.address,))
    async with open_simulator(sim_config) as sim:
        with pytest.raises(BaseExceptionGroup) as info:
            await run_from_config(config, duration=3, sim=sim, key=KEY)
        leaves = _leaves(info.value)
        assert any(isinstance(leaf, DeadMansSwitchRefused) for leaf in leaves), leaves
        truth = sim.truth()
        assert truth["orders"] == 0 and truth["fills"] == 0
        assert sim.exchange.positions_of(KEY.address) == {}
        balances = sim.exchange.info({"type": "clearinghouseState", "user": KEY.address})
        assert Decimal(balances["marginSummary"]["accountValue"]) == Decimal(100_000)


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def test_hip3_trade_exits_non_zero_with_one_clear_line(fast_sim_config: Path) -> None:
    result = CliRunner().invoke(
        trade_cmd, ["--config", str(_require(fast_sim_config)), "--duration", "3"]
    )
    assert result.exit_code == 1, result.output
    assert "error: the venue refused the dead-man's switch (Cannot set scheduled" in result.output
    assert "not starting" in result.output and "Traceback" not in result.output
