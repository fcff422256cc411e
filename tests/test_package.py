"""The installed package: top-level names, the console script, the CLI's import name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import hip3
from hip3_cli.main import main


def test_top_level_names_resolve_to_their_modules() -> None:
    from hip3.tracker import PositionTracker
    from hip3.types import Side

    assert hip3.PositionTracker is PositionTracker
    assert hip3.Side is Side
    for name in hip3.__all__:
        assert getattr(hip3, name) is not None, name


def test_unknown_top_level_name_is_an_attribute_error() -> None:
    try:
        hip3.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("hip3.NoSuchThing resolved")


def test_import_hip3_does_not_load_the_network_stack() -> None:
    code = "import sys, hip3; print('hip3.clients' in sys.modules, 'trio' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "False"]


def test_cli_installs_under_a_hip3_owned_name(tmp_path: Path) -> None:
    # Run outside the checkout: the source tree's ./cli must not leak in as a module.
    code = (
        "import importlib.util as u; "
        "print(u.find_spec('hip3_cli') is not None, u.find_spec('cli') is None)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout.split()
    assert out == ["True", "True"]


def test_version_and_help() -> None:
    runner = CliRunner()
    version = runner.invoke(main, ["--version"])
    assert version.exit_code == 0
    assert hip3.__version__ in version.output
    help_ = runner.invoke(main, ["--help"])
    assert help_.exit_code == 0
    for command in ("config", "replay"):
        assert command in help_.output
    assert "Exit codes" in help_.output


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output
