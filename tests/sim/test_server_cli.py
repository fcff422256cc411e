"""`hip3 sim`: serves until SIGINT/SIGTERM, prints its URLs, reads the [sim] table of a TOML file."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner

from hip3_cli.sim import load_sim_config, sim_cmd

LAUNCH = "from hip3_cli.sim import sim_cmd; sim_cmd()"


def start(*args: str) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "--port", "0", "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, proc.stderr.read() if proc.stderr else b""
    return proc, orjson.loads(line)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serves_until_signalled_and_reports_the_truth(stop: signal.Signals, tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('mode = "paper"\n\n[sim]\ntick_ms = 100\n[sim.faults]\nhttp_delay = 0.0\n')
    proc, ready = start("--config", str(config), "--seed", "9")
    try:
        assert ready["event"] == "listening"
        assert ready["seed"] == 9
        assert ready["url"].startswith("http://127.0.0.1:")
        assert ready["ws_url"] == ready["url"].replace("http", "ws") + "/ws"
        assert ready["dexes"][""] == ["BTC", "ETH", "SOL"]
        with httpx.Client(base_url=ready["url"]) as http:
            assert "BTC" in http.post("/info", json={"type": "allMids"}).json()
            truth = http.post("/admin", json={"type": "truth"}).json()
            assert truth["faults"]["http_429"] == 0
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    stopped = orjson.loads(out.splitlines()[-1])
    assert stopped["event"] == "stopped"
    assert stopped["truth"]["server"]["http_requests"] == 2


def test_human_output_lists_urls_and_dexes() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(7)]
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=20)
    finally:
        proc.kill()
    text = "".join(lines)
    assert "http   http://127.0.0.1:" in text and "/ws" in text
    assert "dex xyz: xyz:TSLA, xyz:NVDA" in text
    assert "stopped: 0 fills" in rest
    assert proc.returncode == 0


def test_invalid_config_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[sim.faults]\nws_drop = 1.5\n")
    result = CliRunner().invoke(sim_cmd, ["--config", str(config), "--port", "0"])
    assert result.exit_code == 2
    assert f"{config}: sim.faults.ws_drop" in result.output


def test_unreadable_or_broken_toml_exits_2(tmp_path: Path) -> None:
    missing = CliRunner().invoke(sim_cmd, ["--config", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2 and "cannot read" in missing.output
    broken = tmp_path / "broken.toml"
    broken.write_text("[sim\n")
    result = CliRunner().invoke(sim_cmd, ["--config", str(broken)])
    assert result.exit_code == 2 and "not valid TOML" in result.output


def test_port_in_use_exits_1() -> None:
    proc, ready = start()
    try:
        port = ready["url"].rsplit(":", 1)[1]
        result = CliRunner().invoke(sim_cmd, ["--port", port])
        assert result.exit_code == 1
        assert "cannot listen" in result.output
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def test_a_config_without_sim_table_gives_the_default_venue(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('mode = "paper"\n')
    assert load_sim_config(str(config)) == load_sim_config(None)
