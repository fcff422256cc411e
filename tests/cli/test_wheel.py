"""A pip user's first run: the wheel, installed outside the checkout, trades on its own.

Builds the wheel offline (hatchling is a dev dependency, no build isolation), installs it
with ``--no-deps`` into a fresh venv that borrows this environment's dependencies through
a path file, and runs ``hip3 trade`` from an empty folder: no config file, no examples/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HIP3_"))}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_installed_wheel_trades_on_the_builtin_config(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    wheels = tmp_path / "wheels"
    built = _run(
        sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
        "--no-index", "-w", wheels, ROOT, cwd=tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("hip3-*.whl")

    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
             cwd=tmp_path).stdout.strip()
    )  # fmt: skip
    # The dependencies come from this environment; its editable hip3 does not (a path
    # line adds the folder to sys.path without running the .pth files inside it, and
    # the fresh venv's own site-packages comes first).
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = _run(
        sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
        "--no-index", wheel, cwd=tmp_path,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr

    work = tmp_path / "empty"
    work.mkdir()
    where = _run(python, "-c", "import hip3, hip3_cli; print(hip3.__file__, hip3_cli.__file__)",
                 cwd=work).stdout  # fmt: skip
    assert str(ROOT) not in where and str(env_dir) in where

    hip3 = env_dir / "bin" / "hip3"
    example = _run(hip3, "config", "example", "--name", "chaos", cwd=work)
    assert example.returncode == 0 and "[sim.faults]" in example.stdout
    traded = _run(hip3, "trade", "--duration", "10", "--json", cwd=work)
    assert traded.returncode == 0, traded.stderr
    summary = json.loads(traded.stdout.strip().splitlines()[-1])
    assert summary["fills"] > 0 and summary["positions_match"] is True
    assert list(work.iterdir()) == []

    # The preflight on the simulator, from a packaged example config.
    config = tmp_path / "sim.toml"
    shown = _run(hip3, "config", "example", "--name", "sim", cwd=work)
    assert shown.returncode == 0
    config.write_text(shown.stdout)
    doctor = _run(hip3, "doctor", "--config", config, "--json", cwd=work)
    assert doctor.returncode == 0, doctor.stderr
    report = json.loads(doctor.stdout)
    assert report["ok"] is True
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    assert statuses["network"] == statuses["signer"] == statuses["clock"] == "pass"
    # Below the venue's $1M volume the simulator refuses scheduleCancel, as the venue does.
    assert statuses["dead-man's switch"] == "warn"
