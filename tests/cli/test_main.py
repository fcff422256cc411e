"""`hip3 --help` lists every subcommand without importing any (issue 12)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from hip3_cli.main import _COMMANDS, main

_PROBE = """
import contextlib, io, json, sys
from hip3_cli.main import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
    main(["--help"])
loaded = sorted(m for m in sys.modules if m.startswith(("hip3_cli.", "hip3.app", "hip3.sim", "rich", "trio")))
print(json.dumps({"help": out.getvalue(), "loaded": loaded}))
"""


def test_help_lists_every_command_with_its_help_and_imports_none() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    data = json.loads(done.stdout.strip().splitlines()[-1])
    for name, (_module, _attribute, short) in _COMMANDS.items():
        assert name in data["help"] and short in data["help"]
    assert [m for m in data["loaded"] if m != "hip3_cli.main"] == []


@pytest.mark.parametrize("name", sorted(_COMMANDS))
def test_every_command_still_has_its_own_help(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert name in result.output.splitlines()[0] and "--help" in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["trde"])
    assert result.exit_code == 2 and "No such command 'trde'" in result.output
