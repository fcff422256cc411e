"""The examples run as users run them: scripts as processes, the notebook's code cells in order,
the example configs through `hip3 trade`."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hip3.config import load_config
from hip3_cli.trade import trade_cmd

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run_script(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_quickstart_async_script(tmp_path: Path) -> None:
    proc = _run_script("quickstart_async.py", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "drift events:       0" in proc.stdout
    tracker = next(line for line in proc.stdout.splitlines() if line.startswith("tracker"))
    exchange = next(line for line in proc.stdout.splitlines() if line.startswith("exchange"))
    assert tracker.split(":", 1)[1].strip() == exchange.split(":", 1)[1].strip()


def test_notebook_style_script(tmp_path: Path) -> None:
    proc = _run_script("notebook_style.py", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "IOC buy: filled" in proc.stdout
    assert "drift events: 0" in proc.stdout
    assert "replayed" in proc.stdout


def test_notebook_is_nbformat_4_and_its_code_cells_run_in_order() -> None:
    nb = json.loads((EXAMPLES / "notebook.ipynb").read_text())
    assert nb["nbformat"] == 4 and nb["nbformat_minor"] >= 4
    assert nb["metadata"]["kernelspec"]["language"] == "python"
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code_cells) >= 6
    for cell in nb["cells"]:
        assert cell["cell_type"] in ("code", "markdown")
        assert isinstance(cell["source"], list) and "metadata" in cell
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and "execution_count" in cell
    namespace: dict[str, Any] = {"__name__": "__notebook__"}
    try:
        for index, cell in enumerate(code_cells):
            code = "".join(cell["source"])
            exec(compile(code, f"notebook.ipynb[code cell {index}]", "exec"), namespace)
    finally:
        session = namespace.get("s")
        if session is not None:
            session.close()
    assert namespace["summary"].positions_match
    assert not [t for t in threading.enumerate() if t.name.startswith("hip3")]


def test_example_configs_are_valid() -> None:
    sim = load_config(EXAMPLES / "sim.toml")
    chaos = load_config(EXAMPLES / "chaos.toml")
    for cfg in (sim, chaos):
        assert cfg.network.name == "sim" and cfg.mode == "trading"
        assert cfg.markets == ("BTC", "xyz:TSLA")  # main dex and a HIP-3 dex
    assert not sim.sim.faults.any_enabled()
    faults = chaos.sim.faults
    assert faults.ws_drop > 0 and faults.ws_duplicate > 0 and faults.ws_reorder > 0
    assert faults.post_drop > 0 and faults.http_429 > 0
    assert 5 <= faults.disconnect_every_secs <= 15


def _trade(config: str, seconds: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        trade_cmd, ["--config", str(EXAMPLES / config), "--duration", seconds, "--json"]
    )
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def test_sim_example_short_run_ends_with_tracker_equal_to_exchange() -> None:
    summary = _trade("sim.toml", "4")
    assert summary["positions"] == summary["exchange_positions"]
    assert summary["drift_events"] == 0


@pytest.mark.slow
def test_sim_example_as_documented() -> None:
    summary = _trade("sim.toml", "20")
    assert summary["fills"] > 0
    assert summary["positions"] == summary["exchange_positions"]
    assert summary["drift_events"] == 0


@pytest.mark.slow
@pytest.mark.chaos
def test_chaos_example_as_documented() -> None:
    summary = _trade("chaos.toml", "30")
    assert summary["fills"] > 0
    assert summary["positions"] == summary["exchange_positions"]
    assert summary["drift_events"] == 0
    assert sum(summary["sim"]["faults"].values()) > 0
