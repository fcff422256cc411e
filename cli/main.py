from __future__ import annotations

import click

from hip3 import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hip3")
def main() -> None:
    """hip3: trade Hyperliquid perpetuals (HIP-3 dexes included)."""
