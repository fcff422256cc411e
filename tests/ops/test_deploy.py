"""deploy/: the Dockerfile and systemd unit, checked statically (no container engine here),
and the clean SIGTERM stop they rely on, on the embedded simulator."""

from __future__ import annotations

import configparser
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.conftest import FAST_SIM

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"

_DOCKER_INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
    "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}  # fmt: skip


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        word, _, rest = line.partition(" ")
        out.append((word, rest.strip()))
    assert not pending, "a continuation runs off the end of the Dockerfile"
    return out


def test_the_dockerfile_parses_runs_as_non_root_and_runs_hip3() -> None:
    instructions = _dockerfile()
    for word, _ in instructions:
        assert word in _DOCKER_INSTRUCTIONS, word
    assert instructions[0][0] == "FROM" and "slim" in instructions[0][1]
    args = {w: a for w, a in instructions}  # the last of each kind is the one that counts
    assert args["USER"] not in ("root", "0", "")
    users = [i for i, (w, _) in enumerate(instructions) if w == "USER"]
    assert not any(w == "RUN" for w, _ in instructions[users[-1] :])  # nothing as root after
    assert json.loads(args["ENTRYPOINT"]) == ["hip3"]
    assert json.loads(args["CMD"]) == ["trade", "--config", "/etc/hip3/bot.toml"]
    assert any(w == "RUN" and "pip install '.[metrics]'" in a for w, a in instructions)
    # What the image copies exists, and no key file is baked in.
    for word, rest in instructions:
        if word == "COPY":
            for source in shlex.split(rest)[:-1]:
                assert (DEPLOY.parent / source).exists(), source
    assert "PRIVATE_KEY=" not in (DEPLOY / "Dockerfile").read_text()


def test_the_systemd_unit_runs_hip3_trade_and_gets_the_key_as_a_credential() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "hip3.service").read_text())
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    service = unit["Service"]
    assert shlex.split(service["ExecStart"])[1:] == ["trade", "--config", "/etc/hip3/bot.toml"]
    assert service["LoadCredential"].startswith("key:")
    assert service["KillSignal"] == "SIGTERM" and service["SuccessExitStatus"] == "130"
    assert service["DynamicUser"] == "yes" or service.get("User") not in (None, "root")


def test_sigterm_stops_hip3_trade_cleanly_with_json_logs(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(FAST_SIM.replace('level = "warning"', 'level = "info"\nformat = "json"'))
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "hip3"), "trade", "--config", str(config), "--json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 60
        assert proc.stderr is not None
        while time.monotonic() < deadline:  # until a quote rests: the bot is trading
            line = proc.stderr.readline()
            seen.append(line)
            if '"status":"resting"' in line or not line:
                break
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=90)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["interrupted"] is True
    assert summary["positions"] == summary["exchange_positions"]
    logs = [json.loads(line) for line in seen + err.splitlines() if line.startswith("{")]
    assert logs, "no JSON log line"
    assert all({"t", "level", "logger", "msg"} <= set(entry) for entry in logs)
    assert any("stopping" in entry["msg"] for entry in logs)
    # One structured event per ended intent: what was asked and how it ended.
    orders = [entry for entry in logs if entry.get("event") == "order"]
    assert orders, "no order event"
    assert {e["status"] for e in orders} >= {"resting"}
    for e in orders:
        assert e["logger"] == "hip3.orders"
        # intents' ends, then fills of resting orders and their ends by the venue
        assert e["kind"] in ("place", "modify", "cancel", "cancel_all", "fill", "update")
        assert e["status"] in ("resting", "filled", "partiallyFilled", "cancelled", "rejected")
        if e["kind"] in ("fill", "update"):
            assert {"coin", "side", "oid", "filled_sz", "orig_sz"} <= set(e)
        if e["status"] == "rejected":
            assert e["reason"]
    places = [e for e in orders if e["kind"] == "place"]
    assert places and all({"coin", "side", "px", "sz", "cloid"} <= set(e) for e in places)
    assert "Traceback" not in err


def test_an_order_event_carries_the_intent_and_the_rejection_reason() -> None:
    from decimal import Decimal

    from hip3.executor import Outcome, PlaceOrder
    from hip3.ops.events import outcome_event
    from hip3.types import Side

    intent = PlaceOrder("BTC", Side.BUY, Decimal("60000"), Decimal("0.01"))
    event = outcome_event(Outcome.rejected(intent, "price band", gate="price_band"))
    assert event == {
        "event": "order", "kind": "place", "status": "rejected", "coin": "BTC",
        "side": Side.BUY.value, "px": "60000", "sz": "0.01", "tif": "Gtc",
        "reduce_only": False, "cloid": str(intent.cloid), "reason": "price band",
        "gate": "price_band",
    }  # fmt: skip
