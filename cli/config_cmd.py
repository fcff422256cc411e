"""`hip3 config check FILE`: validate a config without running anything.

Exit codes: 0 valid, 2 invalid config or usage error.
"""

from __future__ import annotations

import sys

import click
import orjson

from hip3.config import load_config
from hip3.config.examples import NAMES, example_text
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
# hip3 configuration (TOML). Unknown keys are errors; `hip3 config check FILE` validates.
# As printed it trades on the embedded simulator: hip3 trade --config FILE --duration 20
mode = "trading"                     # observe | paper | trading
network = "sim"                      # sim | testnet | mainnet, or
                                     # {http_url = "http://...", ws_url = "ws://...", mainnet = false}
markets = ["BTC", "xyz:TSLA"]        # "dex:COIN" for HIP-3 markets
position_resync_interval_secs = 60   # 0 = off; trading mode only
dedup_capacity = 2000                # fills remembered by tid (bounded LRU)

[account]
# address = "0x..."                  # the account traded (needed with an agent wallet's key)
# vault = "0x..."                    # trade for this vault
# key_env = "HIP3_PRIVATE_KEY"       # env var holding the key; or key_file = "~/.hip3/key"
                                     # never put the key itself here; with network = "sim"
                                     # and no key, a throwaway key is generated

[strategy]
name = "market_maker"                # the example market maker (one bid, one ask per market)
interval_secs = 1.0                  # strategy timer period

[strategy.params]
half_spread_bps = 1                  # quotes this far either side of the reservation price
skew_bps = 10                        # shift against inventory at a full position
order_notional_usd = 50              # size of one quote, in USD
max_position_usd = 500               # the maker stops adding beyond this
requote_bps = 5                      # requote when the mid moves this much
quote_ttl_ms = 30000                 # requote quotes older than this
tif = "Gtc"                          # Alo (post-only) | Gtc | Ioc

[risk]                               # checked before any order leaves the process
max_position_default = 1.0           # coin units, every market not listed below
max_position = { BTC = 0.05 }        # coin units, per market
max_notional = 10000.0               # USD per market
max_open_orders = 10
price_band_bps = 500                 # refuse prices this far from mark/oracle
stale_data_secs = 10                 # refuse orders priced from older books
dead_man_switch_secs = 30            # venue cancels everything if hip3 goes silent; 0 = off

[journal]
# path = "capture.jsonl"             # every message in and out; `hip3 replay capture.jsonl`
                                     # (each run gets its own file; an older one is renamed)

[log]
level = "info"                       # debug | info | warning | error
format = "text"                      # text | json

[shutdown]
cancel_open_orders = true            # false: open orders stay (on_stop's cancels too)
cancel_scope = "own"                 # own: the bot's orders only | account: every order

[sim]                                # the embedded simulator (network = "sim"); see
seed = 1                             # hip3.sim.SimConfig: dexes, tick_ms, faults...
"""


@config_group.command("example")
@click.option(
    "--name",
    type=click.Choice(["full", *NAMES]),
    default="full",
    show_default=True,
    help="full: every key, commented; sim / chaos / testnet: the packaged examples.",
)
def example(name: str) -> None:
    """Print an example config; `full` and `sim` trade on the simulator as printed."""
    click.echo(EXAMPLE_CONFIG if name == "full" else example_text(name), nl=False)
