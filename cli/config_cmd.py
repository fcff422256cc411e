"""`hip3 config check FILE` and `hip3 config example`: validate or print a config.

``check`` does what ``hip3 trade`` does before it connects (load the file, then
:func:`hip3.config.check_runnable`: markets listed, the key readable), so a config that
passes fails at run time only for what needs the venue. Exit codes: 0 valid, 2 invalid
config or usage error.
"""

from __future__ import annotations

import click

from hip3.config import check_runnable, example_text, load_config
from hip3.errors import ConfigError

from ._common import EXIT_USAGE, clean_warnings, debug_option, echo_json, fail


@click.group("config")
def config_group() -> None:
    """Check a config file or print an example."""


@config_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@debug_option
def check(file: str, as_json: bool, debug: bool) -> None:
    """Validate FILE as `hip3 trade` does before it connects (keys, ranges, markets, the
    key source). Exit 0 if valid, 2 if not (one-line error naming the key)."""
    try:
        with clean_warnings():
            cfg = load_config(file)
            check_runnable(cfg)
    except ConfigError as e:
        if debug:
            raise
        fail(str(e), EXIT_USAGE, as_json=as_json, json_fields={"ok": False})
    summary = {"ok": True, "mode": cfg.mode, "network": cfg.network.name,
               "markets": list(cfg.markets)}  # fmt: skip
    if as_json:
        echo_json(summary)
    else:
        click.echo(
            f"{file}: ok ({cfg.mode}, "
            f"{cfg.network.name}, markets: {', '.join(cfg.markets) or 'none'})"
        )


@config_group.command("example")
@click.option(
    "--name",
    default="full",
    show_default=True,
    help="full (every key, commented), sim, chaos (sim with faults) or testnet.",
)
def example(name: str) -> None:
    """Print an example config; each runs as printed (testnet needs HIP3_PRIVATE_KEY).

    Save one and edit it: hip3 config example --name sim > sim.toml
    """
    try:
        text = example_text(name)
    except ConfigError as e:
        raise click.BadParameter(str(e), param_hint="--name") from None
    click.echo(text, nl=False)
