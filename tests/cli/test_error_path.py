"""Commands report failures through one path (hip3_cli._common.user_errors): one line on
stderr, the documented exit code, an ``{"error", "exit_code"}`` object for ``--json``, and
the traceback under ``--debug``."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from hip3_cli.main import main as cli

MISSING = "/nonexistent/hip3-test.toml"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["doctor", "--config", MISSING, "--json"], 2),
        (["replay", "/nonexistent/capture.jsonl", "--json"], 2),
    ],
)
def test_a_json_command_prints_one_error_object(args: list[str], code: int) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == code
    body = orjson.loads(result.stdout.strip().splitlines()[-1])
    assert body["exit_code"] == code and "nonexistent" in body["error"]


def test_config_check_debug_raises_the_error_itself(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('mode = "sideways"\n')
    quiet = CliRunner().invoke(cli, ["config", "check", str(bad)])
    assert quiet.exit_code == 2 and "mode" in quiet.output
    loud = CliRunner().invoke(cli, ["config", "check", str(bad), "--debug"])
    assert type(loud.exception).__name__ == "ConfigError"


def test_debug_shows_the_traceback_instead(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("[risk]\nmax_notional = -1\n")
    quiet = CliRunner().invoke(cli, ["doctor", "--config", str(empty)])
    assert quiet.exit_code == 2 and quiet.exception is not None  # SystemExit(2)
    loud = CliRunner().invoke(cli, ["doctor", "--config", str(empty), "--debug"])
    assert loud.exit_code != 0 and type(loud.exception).__name__ == "ConfigError"


@pytest.mark.parametrize(
    "command",
    [["trade"], ["positions"], ["orders"], ["fills"], ["cancel-all"], ["sim"], ["doctor"],
     ["replay"], ["config", "check"], ["store", "query"]],
)  # fmt: skip
def test_the_commands_take_debug(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0 and "--debug" in result.output
