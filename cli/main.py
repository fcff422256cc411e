"""The ``hip3`` command: a click group whose subcommands live in their own modules.

Subcommands are imported when they are first used, so ``hip3 --help`` and
``hip3 --version`` stay fast and one subcommand's heavy imports (the simulator,
rich) cost nothing to the others.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import click

from hip3 import __version__

# name -> (module inside hip3_cli, attribute, one-line help shown by `hip3 --help`)
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "trade": ("trade", "trade_cmd", "Run a bot from a config file (the simulator by default)."),
    "sim": ("sim", "sim_cmd", "Serve the local Hyperliquid-compatible simulator."),
    "positions": ("account", "positions_cmd", "Show an account's positions."),
    "orders": ("account", "orders_cmd", "Show an account's open orders."),
    "fills": ("account", "fills_cmd", "Show an account's recent fills."),
    "cancel-all": ("account", "cancel_all_cmd", "Cancel every open order of an account."),
    "replay": ("replay", "replay_cmd", "Replay a capture file through the position tracker."),
    "config": ("config_cmd", "config_group", "Check a config file or print an example one."),
    "doctor": ("doctor", "doctor_cmd", "Check the venue, key and account before trading."),
    "store": ("store", "store_group", "A Parquet store of fills and trades, queried with DuckDB."),
}


class _LazyGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        # Ctrl-C while a subcommand is still being imported (the first second of
        # `hip3 trade`) is an interrupt like any other: exit 130, not click's "Aborted!".
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            from ._common import report_interrupt

            report_interrupt(exc)

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Listed from the table, not imported: `hip3 --help` costs what `--version` does.
        # A module missing from this install (find_spec finds no file) is left out.
        return sorted(name for name in _COMMANDS if _installed(_COMMANDS[name][0]))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        entry = _COMMANDS.get(name)
        if entry is None:
            return None
        module_name, attribute, _ = entry
        try:
            module: Any = importlib.import_module(f"{__package__}.{module_name}")
        except ModuleNotFoundError as exc:
            # Only a subcommand module that is not part of this install is skipped;
            # a missing dependency inside it is a real error and propagates.
            if exc.name != f"{__package__}.{module_name}":
                raise
            return None
        command = getattr(module, attribute, None)
        return command if isinstance(command, click.Command) else None


def _installed(module_name: str) -> bool:
    return importlib.util.find_spec(f"{__package__}.{module_name}") is not None


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=(
        "Exit codes: 0 success, 1 runtime failure (exchange or network), "
        "2 bad usage or invalid config, 130 interrupted (Ctrl-C)."
    ),
)
@click.version_option(__version__, prog_name="hip3")
def main() -> None:
    """hip3: trade Hyperliquid perpetuals, HIP-3 dexes included, with positions you can trust.

    Start with the embedded simulator, no account needed:

        hip3 trade --duration 20

    `hip3 config example --name sim` prints that config, to copy and edit.

    Every command takes --help; most take --json for output meant for programs.
    """
