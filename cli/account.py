"""`hip3 positions | orders | fills | cancel-all`: look at (or flatten the orders of) an account.

Each takes either ``--config FILE`` (network, account and key from the config) or
``--network sim|testnet|mainnet|URL --address 0x...``. ``--network sim`` starts a fresh
embedded simulator for the one query (an empty account: useful to try the commands);
to inspect a simulator that is trading, run ``hip3 sim`` and pass its URL.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import click
import trio

from hip3.app import Endpoint, open_venue
from hip3.app import account as acct
from hip3.clients import InfoClient
from hip3.config import Config, load_config, signing_key_for_command
from hip3.errors import TransportError, ValidationError
from hip3.signing import PrivateKey

from ._common import (
    EXIT_CODES_HELP,
    EXIT_FAILURE,
    UsageProblem,
    debug_option,
    echo_json,
    fail,
    json_option,
    user_errors,
)
from ._table import Column, echo_table, side_style, signed_style

__all__ = ["cancel_all_cmd", "fills_cmd", "orders_cmd", "positions_cmd"]

_ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
F = TypeVar("F", bound=Callable[..., Any])


def _target_options(fn: F) -> F:
    fn = click.option(
        "--address",
        help="The account (0x...). Default: the config's account.address, or its key's address.",
    )(fn)
    fn = click.option(
        "--network",
        help="sim | testnet | mainnet | an http(s) URL of a venue (e.g. a `hip3 sim`).",
    )(fn)
    fn = click.option(
        "--config",
        "-c",
        "config_path",
        type=click.Path(dir_okay=False),
        help="Take network, account and key from this config file.",
    )(fn)
    return fn


@contextlib.asynccontextmanager
async def _open(
    config_path: str | None, network: str | None, address: str | None, *, need_key: bool = False
) -> AsyncIterator[tuple[Config, Endpoint, InfoClient, str, PrivateKey | None]]:
    """The config (given or built from the options), the venue, an InfoClient, the account."""
    config = _config(config_path, network)
    if config.network.name == "sim" and network == "sim":
        click.echo("note: a fresh embedded simulator (empty accounts)", err=True)
    if address is not None and not _ADDRESS_RE.match(address.strip()):
        # never echoed: a pasted private key must not end up in a terminal's scrollback
        raise UsageProblem(
            f"--address: not an address (0x and 40 hex digits; got {len(address.strip())} "
            "characters)"
        )
    key = signing_key_for_command(config, "cancel-all signs") if need_key else None
    account = (address or config.account.address or (key.address if key else None) or "").lower()
    if not _ADDRESS_RE.match(account):
        raise UsageProblem("give --address 0x... (or a config with account.address or a key)")
    async with open_venue(config) as (endpoint, _sim), InfoClient(endpoint.http_url) as info:
        await _reachable(endpoint.http_url)
        yield config, endpoint, info, account, key


#: How long one attempt to reach the venue may take before the command gives up (the
#: clients' own retries would otherwise keep a person waiting half a minute in silence).
REACH_TIMEOUT_SECS = 8.0


async def _reachable(url: str) -> None:
    """One request without retries, so an unreachable venue fails at once, by URL."""
    import httpx

    if sys.stderr.isatty():
        click.echo(f"asking {url} ...", err=True)
    try:
        with trio.fail_after(REACH_TIMEOUT_SECS):
            async with httpx.AsyncClient() as client:
                await client.post(f"{url}/info", json={"type": "perpDexs"})
    except (httpx.TransportError, trio.TooSlowError) as exc:
        reason = "no answer" if isinstance(exc, trio.TooSlowError) else type(exc).__name__
        detail = str(exc).strip()
        raise TransportError(
            f"cannot reach the venue at {url}: {reason}" + (f" ({detail})" if detail else "")
        ) from None


def _config(config_path: str | None, network: str | None) -> Config:
    if config_path is not None:
        if network is not None:
            raise UsageProblem("give --config or --network, not both")
        return load_config(config_path)
    if network is None:
        raise UsageProblem("give --config FILE or --network sim|testnet|mainnet|URL")
    try:
        return acct.network_config(network, source="--network", field="--network")
    except ValidationError as exc:
        raise UsageProblem(str(exc)) from None


# -- positions -------------------------------------------------------------------------------


@click.command("positions", epilog=EXIT_CODES_HELP)
@_target_options
@json_option
@debug_option
def positions_cmd(
    config_path: str | None, network: str | None, address: str | None, as_json: bool, debug: bool
) -> None:
    """Show an account's positions on every dex (clearinghouseState per dex)."""
    with user_errors(debug, as_json=as_json):
        rows = trio.run(_positions, config_path, network, address)
    account, details = rows
    if as_json:
        echo_json(
            {
                "account": account,
                "positions": {r["coin"]: r["size"] for r in details},
                "details": details,
            }
        )
        return
    if not details:
        click.echo(f"{account}: no open positions")
        return
    echo_table(
        [
            Column("coin"),
            Column("size", right=True, style=signed_style),
            Column("entry", right=True),
            Column("unrealized pnl", right=True, style=signed_style),
            Column("liq px", right=True),
        ],
        [
            [
                r["coin"],
                r["size"],
                r["entry_px"] or "-",
                r["unrealized_pnl"] or "-",
                r["liquidation_px"] or "-",
            ]
            for r in details
        ],
        title=f"{account} positions",
    )


async def _positions(
    config_path: str | None, network: str | None, address: str | None
) -> tuple[str, list[dict[str, Any]]]:
    async with _open(config_path, network, address) as (config, _, info, account, _key):
        dexes = await acct.account_dexes(info, config.markets)
        return account, [row.to_json() for row in await acct.positions(info, account, dexes)]


# -- orders ----------------------------------------------------------------------------------


@click.command("orders", epilog=EXIT_CODES_HELP)
@_target_options
@json_option
@debug_option
def orders_cmd(
    config_path: str | None, network: str | None, address: str | None, as_json: bool, debug: bool
) -> None:
    """Show an account's open orders on every dex (openOrders per dex)."""
    with user_errors(debug, as_json=as_json):
        account, orders = trio.run(_orders, config_path, network, address)
    if as_json:
        echo_json({"account": account, "orders": orders})
        return
    if not orders:
        click.echo(f"{account}: no open orders")
        return
    echo_table(
        [
            Column("coin"),
            Column("side", style=side_style),
            Column("price", right=True),
            Column("size", right=True),
            Column("oid", right=True),
            Column("cloid"),
        ],
        [
            [o["coin"], o["side"], o["limit_px"], o["sz"], str(o["oid"]), o["cloid"] or "-"]
            for o in orders
        ],
        title=f"{account} open orders",
    )


async def _orders(
    config_path: str | None, network: str | None, address: str | None
) -> tuple[str, list[dict[str, Any]]]:
    async with _open(config_path, network, address) as (config, _, info, account, _key):
        dexes = await acct.account_dexes(info, config.markets)
        return account, [row.to_json() for row in await acct.open_orders(info, account, dexes)]


# -- fills -----------------------------------------------------------------------------------


@click.command("fills", epilog=EXIT_CODES_HELP)
@_target_options
@click.option(
    "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Newest N fills."
)
@json_option
@debug_option
def fills_cmd(
    config_path: str | None,
    network: str | None,
    address: str | None,
    limit: int,
    as_json: bool,
    debug: bool,
) -> None:
    """Show an account's recent fills (userFills; oldest first)."""
    with user_errors(debug, as_json=as_json):
        account, fills = trio.run(_fills, config_path, network, address, limit)
    if as_json:
        echo_json({"account": account, "fills": fills})
        return
    if not fills:
        click.echo(f"{account}: no fills")
        return
    echo_table(
        [
            Column("time"),
            Column("coin"),
            Column("side", style=side_style),
            Column("price", right=True),
            Column("size", right=True),
            Column("closed pnl", right=True, style=signed_style),
        ],
        [
            [
                time.strftime("%H:%M:%S", time.localtime((f["time_ms"] or 0) / 1000)),
                f["coin"],
                f["side"],
                f["px"],
                f["sz"],
                f["closed_pnl"] or "-",
            ]
            for f in fills
        ],
        title=f"{account} fills",
    )


async def _fills(
    config_path: str | None, network: str | None, address: str | None, limit: int
) -> tuple[str, list[dict[str, Any]]]:
    async with _open(config_path, network, address) as (_config, _, info, account, _key):
        return account, [row.to_json() for row in await acct.fills(info, account, limit)]


# -- cancel-all ------------------------------------------------------------------------------


@click.command("cancel-all", epilog=EXIT_CODES_HELP)
@_target_options
@json_option
@debug_option
def cancel_all_cmd(
    config_path: str | None, network: str | None, address: str | None, as_json: bool, debug: bool
) -> None:
    """Cancel every open order of the account on every dex (needs the key).

    The key comes from the config's account.key_env / key_file, or HIP3_PRIVATE_KEY.
    With an agent wallet's key, --address (or account.address) names the account.
    Every order the venue refuses to cancel is listed with the venue's reason, and the
    command then exits 1: those orders are still open.
    """
    with user_errors(debug, as_json=as_json):
        account, report = trio.run(_cancel_all, config_path, network, address)
    data: dict[str, Any] = {
        "account": account,
        "cancelled": report.cancelled,
        "total": report.total,
        "refused": [r.to_json() for r in report.refused],
    }
    if not as_json:
        click.echo(f"{account}: {report.total} order(s) cancelled")
        for r in report.refused:
            click.echo(
                f"refused: {r.coin} oid {r.oid} ({r.dex or 'main'} dex): {r.reason}", err=True
            )
    if report.refused:  # those orders are still open: exit 1, the refusals in the JSON too
        fail(
            f"the venue refused {len(report.refused)} cancel(s); those orders are still open "
            "(is the key this account's, or its agent's?)",
            EXIT_FAILURE,
            as_json=as_json,
            json_fields=data,
        )
    if as_json:
        echo_json(data)


async def _cancel_all(
    config_path: str | None, network: str | None, address: str | None
) -> tuple[str, acct.CancelAllReport]:
    from hip3.app.run import load_checked_universe
    from hip3.bot import defaults
    from hip3.clients import ExchangeClient

    async with _open(config_path, network, address, need_key=True) as opened:
        config, endpoint, info, account, key = opened
        assert key is not None
        dexes = await acct.account_dexes(info, config.markets)
        universe = (
            await load_checked_universe(info, config)
            if config.markets
            else await defaults.load_universe(info, dexes)
        )
        client = ExchangeClient(
            endpoint.http_url,
            key,
            account,
            universe=universe,
            vault_address=config.account.vault,
            mainnet=endpoint.mainnet,
            info=info,
        )
        return account, await acct.cancel_all(client, info, account, dexes)
