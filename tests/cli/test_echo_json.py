"""The one JSON printer every command uses."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from hip3_cli._common import echo_json, logging_to_stderr


def test_decimals_print_as_plain_strings(capsys: pytest.CaptureFixture[str]) -> None:
    echo_json({"px": Decimal("1.50"), "sz": Decimal("1E+2")})
    assert orjson.loads(capsys.readouterr().out) == {"px": "1.5", "sz": "100"}


def test_other_values_print_as_their_str(capsys: pytest.CaptureFixture[str]) -> None:
    # cli/sim.py printed with default=str; the shared printer keeps that for non-decimals.
    echo_json({"path": Path("a/b")})
    assert orjson.loads(capsys.readouterr().out) == {"path": "a/b"}


def test_one_object_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    echo_json({"a": [1, 2], "b": {"c": None}})
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert orjson.loads(out) == {"a": [1, 2], "b": {"c": None}}


def test_json_logs_are_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    with logging_to_stderr("info", "json"):
        logging.getLogger("hip3.test").info("hello %s", "there")
        logging.getLogger("hip3.test").debug("hidden")
    assert root.handlers == handlers and root.level == level  # left as found
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    assert [json.loads(line)["msg"] for line in lines] == ["hello there"]
    assert json.loads(lines[0])["level"] == "info"
