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


EXAMPLE_CONFIG = """\
# hip3 configuration (TOML). Unknown keys are errors.
mode = "paper"                       # observe | paper | trading
network = "sim"                      # sim | testnet | mainnet, or {http_url=..., ws_url=...}
markets = ["BTC", "xyz:TSLA"]        # "dex:COIN" for HIP-3 markets
position_resync_interval_secs = 60   # 0 = off; trading mode only
dedup_capacity = 2000                # fills remembered by tid (bounded LRU)

[account]
# address = "0x..."                  # the account traded (agent wallets sign for it)
# vault = "0x..."                    # optional vault address
key_env = "HIP3_PRIVATE_KEY"         # env var holding the key; or key_file = "~/.hip3/key"
                                     # never put the key itself here; with network = "sim"
                                     # and no key, a throwaway key is generated

[strategy]
name = "market_maker"
params = {}

[risk]
max_position_default = 1.0
max_notional = 10000.0
max_open_orders = 10
price_band_bps = 500
stale_data_secs = 10
dead_man_switch_secs = 30

[journal]
path = "capture.jsonl"

[log]
level = "info"                       # debug | info | warning | error
format = "text"                      # text | json

[shutdown]
cancel_open_orders = true

[sim]                                # passed to the embedded simulator (hip3.sim.SimConfig)
"""


@config_group.command("example")
def example() -> None:
    """Print a commented full config (valid as printed)."""
    click.echo(EXAMPLE_CONFIG, nl=False)
