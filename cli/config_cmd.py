"""`hip3 config check FILE`: validate a config without running anything.

Exit codes: 0 valid, 2 invalid config or usage error.
"""

from __future__ import annotations

import sys

import click
import orjson

from hip3.config import load_config
from hip3.errors import ConfigError


@click.group("config")
def config_group() -> None:
    """Validate hip3 configuration files."""


@config_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def check(file: str, as_json: bool) -> None:
    """Validate FILE. Exit 0 if valid, 2 if not (one-line error naming the key)."""
    try:
        cfg = load_config(file)
    except ConfigError as e:
        if as_json:
            click.echo(orjson.dumps({"ok": False, "error": str(e)}).decode())
        else:
            click.echo(f"error: {e}", err=True)
        sys.exit(2)
    summary = {"ok": True, "mode": cfg.mode, "network": cfg.network.name,
               "markets": list(cfg.markets)}  # fmt: skip
    click.echo(
        orjson.dumps(summary).decode()
        if as_json
        else f"{file}: ok ({cfg.mode}, "
        f"{cfg.network.name}, markets: {', '.join(cfg.markets) or 'none'})"
    )
