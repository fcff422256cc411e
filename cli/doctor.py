"""`hip3 doctor --config FILE`: preflight checks before money moves.

Exit codes: 0 no check failed (warnings allowed), 1 a check failed, 2 invalid config.
"""

from __future__ import annotations

import click
import trio

from hip3.app.run import account_of, open_venue, signing_key
from hip3.clients import InfoClient
from hip3.clients.backoff import Backoff
from hip3.config import Config, load_config
from hip3.errors import Hip3Error
from hip3.ops.doctor import Check, run_checks
from hip3.types import Coin

from ._common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageProblem,
    debug_option,
    echo_json,
    json_option,
    user_errors,
)

_MARK = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}


@click.command("doctor")
@click.option(
    "--config", "config_path", required=True, type=click.Path(dir_okay=False),
    help="The config the bot will run with (TOML).",
)  # fmt: skip
@click.option("--builder", default=None, help="A builder address whose fee approval to check.")
@json_option
@debug_option
def doctor_cmd(config_path: str, builder: str | None, as_json: bool, debug: bool) -> None:
    """Check the venue, key, account mode, collateral, dead-man's switch and clock before trading."""
    with user_errors(debug, as_json=as_json):
        config = load_config(config_path)
        try:
            key = signing_key(config)
            account = account_of(config, key)
        except Hip3Error as exc:  # a key or an account the config names: its usage error
            raise UsageProblem(str(exc)) from exc
        signer = key.address if key is not None else None
        checks = trio.run(_checks, config, signer, account, builder)
    failed = any(c.status == "fail" for c in checks)
    if as_json:
        body = {"ok": not failed, "account": account, "checks": [c.to_json() for c in checks]}
        echo_json(body)
    else:
        for c in checks:
            click.echo(f"{_MARK[c.status]}  {c.name}: {c.detail}")
            if c.fix and c.status != "pass":
                click.echo(f"      fix: {c.fix}")
    raise click.exceptions.Exit(EXIT_FAILURE if failed else EXIT_OK)


async def _checks(
    config: Config, signer: str | None, account: str, builder: str | None
) -> list[Check]:
    dexes = list(dict.fromkeys(Coin(m).dex for m in config.markets)) or [""]
    # A preflight: report a bad venue, do not wait it out.
    backoff = Backoff(max_attempts=2)
    async with (
        open_venue(config) as (endpoint, _sim),
        InfoClient(endpoint.http_url, backoff=backoff) as info,
    ):
        return await run_checks(
            info,
            network=endpoint.name,
            mainnet=endpoint.mainnet,
            account=account,
            signer=signer,
            dexes=dexes,
            builder=builder,
        )
