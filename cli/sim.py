"""`hip3 sim`: serve the simulated venue until SIGINT/SIGTERM.

A thin shell over :class:`hip3.sim.SimServer`. The venue is configured by the ``[sim]`` table
of a TOML file (the bot config's own table works) and ``--seed``. Without ``--json`` it
prints the URLs for people; with it, one JSON line when listening::

    {"event": "listening", "url": "http://127.0.0.1:3001", "ws_url": "ws://127.0.0.1:3001/ws", ...}

and one when stopped (``{"event": "stopped", "truth": {...}}``), for scripts that start it in
the background. Any client (hip3, the official SDK) points its base URL at ``url``;
``POST /admin {"type": "truth"}`` tells what really happened.

Exit codes: 0 stopped by SIGINT/SIGTERM (the normal way to stop a server), 1 cannot listen,
2 invalid config.
"""

from __future__ import annotations

import signal
import sys
import tomllib
from typing import Any

import attrs
import click
import trio

from hip3.errors import ConfigError
from hip3.sim import SimConfig, SimServer

from ._common import EXIT_FAILURE, debug_option, echo_json, fail, user_errors

DEFAULT_PORT = 3001  # the official SDK's LOCAL_API_URL is http://localhost:3001


@click.command("sim")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port for /info, /exchange and /ws (0 picks a free one).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="TOML file whose [sim] table configures markets, liquidity and faults.",
)
@click.option("--seed", type=int, help="Seed for prices and faults (overrides the config).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines meant for programs.")
@debug_option
def sim_cmd(
    host: str, port: int, config_path: str | None, seed: int | None, as_json: bool, debug: bool
) -> None:
    """Serve a simulated Hyperliquid venue (main dex and HIP-3 dexes) on one port."""
    with user_errors(debug):
        config = load_sim_config(config_path)
    if seed is not None:
        config = attrs.evolve(config, seed=seed)
    failure: OSError | None = None
    truth: dict[str, Any] = {}
    try:
        truth = trio.run(_serve, SimServer(config, host=host, port=port), as_json)
    except* OSError as group:  # from inside the server's nursery, hence the group
        failure = _first_os_error(group)
    if failure is not None:
        fail(f"cannot listen on {host}:{port}: {failure.strerror or failure}", EXIT_FAILURE)
    if as_json:
        echo_json({"event": "stopped", "truth": truth})
    else:
        click.echo(
            f"stopped: {truth['fills']} fills, {truth['orders']} open orders, "
            f"faults injected {sum(truth['faults'].values())}"
        )


def _first_os_error(group: BaseExceptionGroup[OSError]) -> OSError:
    for exc in group.exceptions:
        return exc if isinstance(exc, OSError) else _first_os_error(exc)
    raise AssertionError("empty exception group")


def load_sim_config(path: str | None) -> SimConfig:
    """The ``[sim]`` table of ``path`` (defaults when there is no file or no table): as on
    the venue, only funded accounts (``accounts``, an admin ``credit``) may act."""
    if path is None:
        return SimConfig.from_mapping({})
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=path) from None
    table = data.get("sim", {})
    return SimConfig.from_mapping(table, source=path)


async def _serve(server: SimServer, as_json: bool) -> dict[str, Any]:
    # The receiver is open before the server listens, so a signal sent as soon as the URL is
    # printed is not missed.
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            await nursery.start(server.serve)
            _announce(server, as_json)
            async for _signum in signals:
                break
            nursery.cancel_scope.cancel()
    return server.truth()


def _announce(server: SimServer, as_json: bool) -> None:
    config = server.config
    dexes = {dex.name: [market.name for market in dex.markets] for dex in config.dexes}
    if as_json:
        echo_json(
            {
                "event": "listening",
                "url": server.url,
                "ws_url": server.ws_url,
                "seed": config.seed,
                "dexes": dexes,
                "faults": config.faults.any_enabled(),
            }
        )
        return
    click.echo("hip3 sim: a simulated Hyperliquid venue")
    click.echo(f"  http   {server.url}   (POST /info, /exchange, /admin)")
    click.echo(f"  ws     {server.ws_url}")
    for name, coins in dexes.items():
        click.echo(f"  dex {name or '(main)'}: {', '.join(coins)}")
    if config.auto_accounts:
        click.echo("  accounts: any new signer is funded (auto_accounts)")
    else:
        click.echo(
            f"  accounts: {len(config.accounts)} funded at start; others must be credited "
            '(POST /admin {"type": "credit", ...})'
        )
    faults = "on" if config.faults.any_enabled() else "off"
    click.echo(f"  seed {config.seed}, faults {faults}.  Ctrl-C to stop.")
    sys.stdout.flush()
