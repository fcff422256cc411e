"""`hip3 --help` lists every command without importing any (issue 12: it took 0.67 s,
10x `hip3 --version`, because listing loaded every subcommand)."""

from __future__ import annotations

import subprocess
import sys

import click

from hip3_cli import main as cli_main


def test_help_lists_every_command_without_importing_one() -> None:
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from hip3_cli.main import main, _COMMANDS\n"
        "result = CliRunner().invoke(main, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "for name in _COMMANDS: assert name in result.output, name\n"
        "loaded = sorted({m for m, *_ in _COMMANDS.values()} & "
        "{k.split('.')[-1] for k in sys.modules if k.startswith('hip3_cli.')})\n"
        "print(loaded)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_listed_help_is_each_commands_own() -> None:
    # The table is shown without importing the commands: it must say what they say.
    for name, (module, attribute, short) in cli_main._COMMANDS.items():
        command = getattr(__import__(f"hip3_cli.{module}", fromlist=[attribute]), attribute)
        assert isinstance(command, click.Command)
        own = command.get_short_help_str(limit=200)
        assert own.rstrip(".") == short.rstrip("."), (name, own, short)
