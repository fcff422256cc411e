"""The one JSON printer every command uses."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from hip3_cli._common import echo_json


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
