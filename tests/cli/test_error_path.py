"""Commands report failures through one path (hip3_cli._common.user_errors): one line on
stderr, the documented exit code, an ``{"error", "exit_code"}`` object for ``--json``, and
the traceback under ``--debug``."""

from __future__ import annotations

from pathlib import Path

import click
import orjson
import pytest
from click.testing import CliRunner

from hip3.errors import ConfigError, TransportError
from hip3_cli._common import CommandError, Interrupted, UsageProblem, user_errors
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


def _failing(exc: BaseException) -> click.Command:
    @click.command()
    @click.option("--json", "as_json", is_flag=True)
    def command(as_json: bool) -> None:
        with user_errors(False, as_json=as_json):
            raise exc

    return command


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (ConfigError("must be a number", file="bot.toml", key="risk.max_notional"), 2,
         "error: bot.toml: risk.max_notional: must be a number"),
        (UsageProblem("give --config or --network, not both"), 2,
         "error: give --config or --network, not both"),
        (TransportError("cannot reach the venue"), 1, "error: cannot reach the venue"),
        (OSError("disk full"), 1, "error: disk full"),
        (ValueError("boom"), 1,
         "error: unexpected ValueError: boom (run with --debug for the traceback)"),
        (KeyboardInterrupt(), 130, "interrupted"),
        (Interrupted("2 orders may still be open"), 130,
         "interrupted: 2 orders may still be open"),
        # inside exception groups (a nursery's), the user's mistake is what gets reported
        (ExceptionGroup("tasks", [TransportError("late"), ConfigError("bad", key="mode")]), 2,
         "error: mode: bad"),
    ],
)  # fmt: skip
def test_every_failure_maps_to_one_line_and_its_exit_code(
    exc: BaseException, code: int, line: str
) -> None:
    result = CliRunner().invoke(_failing(exc), [])
    assert result.exit_code == code
    assert result.stderr.strip().splitlines() == [line]
    assert result.stdout == ""
    as_json = CliRunner().invoke(_failing(exc), ["--json"])
    assert as_json.exit_code == code
    body = orjson.loads(as_json.stdout)
    expected = line.removeprefix("error: ")
    assert body == {"error": expected, "exit_code": code}


def test_the_error_is_a_click_exception_so_click_exits_with_its_code() -> None:
    error = CommandError("venue refused", 1, as_json=True, json_fields={"ok": False})
    assert isinstance(error, click.ClickException) and error.exit_code == 1
    result = CliRunner().invoke(_failing(error), ["--json"])
    # raised as it is: the command's own as_json and extra fields are kept
    assert result.exit_code == 1
    assert orjson.loads(result.stdout) == {"ok": False, "error": "venue refused", "exit_code": 1}


def test_config_check_json_keeps_its_ok_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('mode = "sideways"\n')
    result = CliRunner().invoke(cli, ["config", "check", str(bad), "--json"])
    body = orjson.loads(result.stdout)
    assert result.exit_code == 2 and body["ok"] is False and body["exit_code"] == 2
    assert "mode" in body["error"]
