"""`hip3 store import|fetch|query`: a Parquet store of fills, orders and trades for research.

Needs the ``research`` extra (pyarrow, duckdb): without it every subcommand exits 2
with ``pip install 'hip3[research]'``. pyarrow and duckdb are imported only when a
subcommand runs, never by ``hip3 --help`` or ``import hip3``.

The store directory is ``--store DIR``, else ``$HIP3_STORE``, else the user's data
directory (``~/.local/share/hip3/store`` on Linux) -- never the current directory.
"""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click
import trio

from ._common import (
    EXIT_CODES_HELP,
    EXIT_USAGE,
    UsageProblem,
    debug_option,
    echo_json,
    fail,
    json_option,
    user_errors,
)

if TYPE_CHECKING:
    from hip3.store.dataset import ImportResult, Store

__all__ = ["store_group"]


def _store_option(fn: Any) -> Any:
    return click.option(
        "--store",
        "store_dir",
        type=click.Path(file_okay=False),
        help="The store directory. Default: $HIP3_STORE, else the user's data directory.",
    )(fn)


def _open_store(store_dir: str | None, *, as_json: bool) -> Store:
    from hip3.store.location import MissingExtraError, resolve_store_dir

    try:
        from hip3.store.dataset import Store

        return Store(resolve_store_dir(store_dir))
    except MissingExtraError as exc:
        fail(str(exc), EXIT_USAGE, as_json=as_json)


@click.group("store", epilog=EXIT_CODES_HELP)
def store_group() -> None:
    """A Parquet store of fills, order updates and trades, queried with DuckDB.

    Needs `pip install 'hip3[research]'`.
    """


def _report(result: ImportResult, what: str, *, as_json: bool, store: Store) -> None:
    if as_json:
        echo_json({"store": str(store.root), "source": what, **result.to_json()})
        return
    added = ", ".join(f"{n} {table}" for table, n in result.added.items())
    seen = sum(result.seen.values())
    click.echo(f"{what}: added {added} ({seen} seen, {result.malformed} malformed) to {store.root}")


@store_group.command("import", epilog=EXIT_CODES_HELP)
@click.argument("journals", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_store_option
@click.option("--account", help="The account of the journal's fills (default: as subscribed).")
@click.option(
    "--book-every",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Keep one l2Book snapshot per coin per this many seconds (0: none).",
)
@json_option
@debug_option
def import_cmd(
    journals: tuple[str, ...],
    store_dir: str | None,
    account: str | None,
    book_every: float,
    as_json: bool,
    debug: bool,
) -> None:
    """Import JOURNALS (capture files of `hip3 trade`); importing twice adds nothing."""
    store = _open_store(store_dir, as_json=as_json)
    with user_errors(debug, as_json=as_json):
        for journal in journals:
            try:
                result = store.import_journal(
                    journal,
                    account=account,
                    book_every_ms=int(book_every * 1000),
                    progress=_progress(journal),
                )
                if sys.stderr.isatty():
                    click.echo("", err=True)  # end the progress line
            except OSError as exc:
                raise UsageProblem(f"cannot read {journal}: {exc.strerror or exc}") from None
            _report(result, journal, as_json=as_json, store=store)


def _progress(journal: str) -> Any:
    """Bytes read so far on stderr, when it is a terminal (pipes see only the result)."""
    if not sys.stderr.isatty():
        return None

    def show(done: int) -> None:
        click.echo(f"\r{journal}: {done / 1e6:.1f} MB", err=True, nl=False)

    return show


def _since_ms(text: str) -> int:
    """``--since``: epoch milliseconds, or an ISO date/time (UTC unless it says otherwise)."""
    if text.isdigit():
        return int(text)
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageProblem(f"--since: not a date, time or epoch milliseconds: {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp() * 1000)


@store_group.command("fetch", epilog=EXIT_CODES_HELP)
@click.option("--account", required=True, help="The account (0x...) whose fills to fetch.")
@click.option(
    "--since",
    help="From this time (ISO date/time, UTC, or epoch ms). Default: the newest stored fill.",
)
@click.option(
    "--network", default="mainnet", show_default=True, help="sim | testnet | mainnet | URL."
)
@_store_option
@json_option
@debug_option
def fetch_cmd(
    account: str,
    since: str | None,
    network: str,
    store_dir: str | None,
    as_json: bool,
    debug: bool,
) -> None:
    """Fetch an account's fills from the venue (userFillsByTime, paged) into the store."""
    store = _open_store(store_dir, as_json=as_json)
    with user_errors(debug, as_json=as_json):
        resume = store.latest_fill_ms(account) or 0
        since_ms = _since_ms(since) if since is not None else resume
        result = trio.run(_fetch, store, account, since_ms, network)
    _report(result, f"{network} userFillsByTime", as_json=as_json, store=store)


async def _fetch(store: Store, account: str, since_ms: int, network: str) -> ImportResult:
    from hip3.store.dataset import fetch_fills

    from .account import _open

    async with _open(None, network, account) as (_config, _endpoint, info, address, _key):
        return await fetch_fills(store, info, address, since_ms=since_ms)


@store_group.command("query", epilog=EXIT_CODES_HELP)
@click.argument("sql")
@_store_option
@json_option
@debug_option
def query_cmd(sql: str, store_dir: str | None, as_json: bool, debug: bool) -> None:
    """Run SQL over the store's tables: fills, orders, trades, books (DuckDB)."""
    store = _open_store(store_dir, as_json=as_json)
    with user_errors(debug, as_json=as_json):
        duckdb = sys.modules["duckdb"]
        try:
            names, rows = store.query(sql)
        except duckdb.Error as exc:
            raise UsageProblem(f"query: {exc}") from None
    if as_json:
        echo_json([dict(zip(names, (_json(v) for v in row), strict=True)) for row in rows])
        return
    from ._table import Column, echo_table

    echo_table([Column(name) for name in names], [[_text(v) for v in row] for row in rows])


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _text(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    return str(value)
