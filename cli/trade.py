"""`hip3 trade --config FILE [--duration S] [--json]`: run a bot from a config file.

A thin shell over :func:`hip3.app.run_from_config`. While it runs, people get a live
view: rich tables when stdout is a terminal, one plain log line every few seconds
otherwise (and on stderr with ``--json``, so stdout carries exactly one JSON object,
printed last). Ctrl-C stops cleanly (open orders cancelled, final resync, summary,
exit 130); a second Ctrl-C aborts at once (the venue's dead man's switch then cancels
the orders).
"""

from __future__ import annotations

import signal
import sys
import time
from decimal import Decimal
from typing import Any

import click
import trio

from hip3.app import (
    LiveState,
    RunningBot,
    TradeSummary,
    decimal_text,
    run_from_config,
    token_amounts_text,
)
from hip3.config import Config, check_runnable, config_from_dict, example_text, load_config
from hip3.types import Side

from ._common import (
    EXIT_CODES_HELP,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Interrupted,
    debug_option,
    echo_json,
    fail,
    logging_to_stderr,
    user_errors,
)

__all__ = ["render_live", "render_summary", "trade_cmd"]


@click.command(
    "trade",
    epilog="Example: hip3 trade --duration 20 --json   (the built-in simulator config)\n\n"
    + EXIT_CODES_HELP,
)
@click.option(
    "--config",
    "-c",
    "config_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="TOML config file (default: the built-in simulator example, "
    "`hip3 config example --name sim`).",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Stop cleanly after this many seconds (default: run until Ctrl-C).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON summary object, last, on stdout (the live view goes to stderr).",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds between plain live-view lines (the terminal view refreshes every second).",
)
@click.option(
    "--live-mainnet",
    is_flag=True,
    help="Required to send real orders on mainnet (mode = trading, network = mainnet).",
)
@debug_option
def trade_cmd(
    config_path: str | None,
    duration: float | None,
    as_json: bool,
    interval: float,
    live_mainnet: bool,
    debug: bool,
) -> None:
    """Run the bot described by a config file until Ctrl-C or --duration.

    Without --config it runs the built-in simulator example: the market maker on BTC and
    xyz:TSLA, with fills within seconds.

    With network = "sim" the simulator runs inside this process on a free loopback
    port and a throwaway key is generated: nothing leaves the machine. On exit the
    tracker's positions are printed beside the exchange's (clearinghouseState) and
    the drift events found by resyncs (the target is zero). A run that ends with the
    two disagreeing, or with unexplained drift, exits 1 after its summary.
    """
    with user_errors(debug, as_json=as_json):
        config = load_config(config_path) if config_path is not None else builtin_config("sim")
        if config.network.name == "mainnet" and config.mode == "trading" and not live_mainnet:
            fail(
                f"{config.source}: mode = trading on mainnet sends real orders; "
                "add --live-mainnet if you mean it",
                EXIT_USAGE,
                as_json=as_json,
            )
        check_runnable(config)  # what `hip3 config check` checks, before connecting
        tty = sys.stdout.isatty() and not as_json
        view = _TerminalView() if tty else _PlainView(interval, to_stderr=as_json)
        with logging_to_stderr(config.log.level, config.log.format, debug=debug):
            summary, rejections = view.run(config, duration)
        if as_json:
            echo_json({**summary.to_json(), "rejections": rejections})
        else:
            click.echo(render_summary(summary, rejections))
        if summary.interrupted:  # the summary said so already: exit 130 without a line
            raise click.exceptions.Exit(EXIT_INTERRUPTED)
        problem = summary.disagreement()
        if problem is not None:
            fail(problem, EXIT_FAILURE)


def builtin_config(name: str) -> Config:
    """One of the example configs shipped in the package, loaded as ``hip3 trade`` would."""
    import tomllib

    return config_from_dict(tomllib.loads(example_text(name)), source=f"<built-in {name} example>")


Rejections = dict[str, dict[str, int]]


async def _trade(
    config: Config, duration: float | None, on_update: Any
) -> tuple[TradeSummary, Rejections]:
    """Run with Ctrl-C/SIGTERM mapped to a clean stop; a second one aborts.

    Returns the summary and why intents were rejected (kind -> reason -> count; a risk
    gate's refusal is ``"gate <name>"``)."""
    result: list[TradeSummary] = []
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:

            async def run(task_status: trio.TaskStatus[RunningBot]) -> None:
                result.append(
                    await run_from_config(
                        config, duration=duration, on_update=on_update, task_status=task_status
                    )
                )
                nursery.cancel_scope.cancel()

            running: list[RunningBot] = []

            async def watch_signals() -> None:
                async for _ in signals:
                    if running and not running[0].stop_requested.is_set():
                        click.echo("stopping: cancelling orders (Ctrl-C again aborts)", err=True)
                        running[0].stop(interrupted=True)
                    else:
                        raise Interrupted(_abort_message(config))

            nursery.start_soon(watch_signals)
            running.append(await nursery.start(run))
    rejections = running[0].bot.ledger.rejections
    return result[0], {kind: dict(reasons) for kind, reasons in rejections.items()}


def _abort_message(config: Config) -> str:
    """What a second Ctrl-C leaves behind, and how to clean it up."""
    if config.network.name == "sim":
        return "aborted without cancelling (the embedded simulator ends with hip3: nothing is left)"
    where = "" if config.source.startswith("<") else f" --config {config.source}"
    dms = config.risk.dead_man_switch_secs
    switch = f"; the venue's dead man's switch cancels them within {dms:g} s" if dms else ""
    return (
        "aborted without cancelling: open orders may be left on the venue"
        f"{switch}; run `hip3 cancel-all{where}` to cancel them now"
    )


class _PlainView:
    """One log line every ``interval`` seconds."""

    def __init__(self, interval: float, *, to_stderr: bool) -> None:
        self.interval = interval
        self.to_stderr = to_stderr
        self._last = -1e9

    def update(self, state: LiveState) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        click.echo(render_line(state), err=self.to_stderr)

    def run(self, config: Config, duration: float | None) -> tuple[TradeSummary, Rejections]:
        return trio.run(_trade, config, duration, self.update)


class _TerminalView:
    """rich tables, refreshed every second."""

    def run(self, config: Config, duration: float | None) -> tuple[TradeSummary, Rejections]:
        from rich.console import Console
        from rich.live import Live

        console = Console()
        with Live(console=console, refresh_per_second=4, transient=False) as live:

            def update(state: LiveState) -> None:
                live.update(render_live(state, config, console.size.height))

            return trio.run(_trade, config, duration, update)


def render_line(state: LiveState) -> str:
    positions = " ".join(f"{c}={decimal_text(sz)}" for c, sz in sorted(state.positions.items()))
    o = state.orders
    return (
        f"[{state.elapsed_secs:6.1f}s] fills={state.fills} "
        f"orders placed={o.placed} filled={o.filled} resting={o.resting} "
        f"cancelled={o.cancelled} rejected={o.rejected} open={len(state.open_orders)} | "
        f"pos {positions or 'flat'} | pnl realized={token_amounts_text(state.realized_pnl)} "
        f"fees={token_amounts_text(state.fees)} | resync adopted={state.snapshots_adopted} "
        f"deferred={state.snapshots_deferred} drift={state.drift_events} "
        f"dups={state.duplicates_dropped} | fills own={state.own_fills} "
        f"foreign={state.foreign_fills} foreign orders={state.foreign_open_orders}"
        + _missing(state)
        + _protection(state)
        + (" (stopping)" if state.stopping else "")
    )


def _protection(state: LiveState) -> str:
    """The dead-man's switch, when it does not hold (an UNPROTECTED bot says so)."""
    dms = state.dead_mans_switch
    return "" if dms is None or dms == "protected" else f" | dead-man's switch {dms}"


def _missing(state: LiveState) -> str:
    """The age of the oldest fill the venue reported and the bot has not received, and
    (on the simulator) the longest the tracker has differed from the truth."""
    text = ""
    if state.unconfirmed_age_secs is not None:
        text += f" | fill missing for {state.unconfirmed_age_secs:.1f}s"
    if state.max_divergence_secs is not None:
        text += f" | max divergence {state.max_divergence_secs:.1f}s"
    return text


#: Lines a rich table takes besides its rows: title, top border, header, rule, bottom border.
_TABLE_FRAME = 5


def render_live(state: LiveState, config: Config, height: int | None = None) -> Any:
    """The terminal view: header and counters first (they must never be cropped), then
    positions, open orders and recent fills, the last two cut to fit ``height`` lines
    (the terminal's; None: no limit). Counters a LiveState does not carry are left out."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    header = Text(
        f"hip3 {state.mode} on {config.network.name}  account {state.account}  "
        f"{state.elapsed_secs:.0f}s" + ("  (stopping...)" if state.stopping else ""),
        style="bold",
    )
    counters = Text("\n".join(_counter_lines(state)))
    positions = Table(title="positions", title_justify="left", expand=False)
    positions.add_column("coin")
    positions.add_column("size", justify="right")
    # The bot's markets, then whatever else the account holds (a person's positions).
    for coin in [*config.markets, *sorted(set(state.positions) - set(config.markets))]:
        positions.add_row(coin, decimal_text(state.positions.get(coin, Decimal(0))))
    order_rows, fill_rows = 12, 8
    if height is not None:
        used = 1 + len(counters.plain.splitlines()) + len(config.markets) + _TABLE_FRAME
        spare = max(0, height - used - 2 * _TABLE_FRAME - 1)  # -1: rich's cursor line
        order_rows = min(order_rows, len(state.open_orders), (spare + 1) // 2)
        fill_rows = min(fill_rows, spare - order_rows)
    shown = state.open_orders[:order_rows]
    more = len(state.open_orders) - len(shown)
    orders = Table(
        title=f"open orders ({len(state.open_orders)})" + (f", {more} not shown" if more else ""),
        title_justify="left",
    )
    for name in ("coin", "side", "price", "size", "filled", "status"):
        orders.add_column(name, justify="right" if name in ("price", "size", "filled") else "left")
    for order in shown:
        orders.add_row(
            order.coin,
            "buy" if order.side is Side.BUY else "sell",
            decimal_text(order.limit_px),
            decimal_text(order.orig_sz),
            decimal_text(order.filled_sz),
            order.status.value,
        )
    fills = Table(title=f"recent fills ({state.fills} this run)", title_justify="left")
    for name in ("time", "coin", "side", "price", "size", "closed pnl"):
        fills.add_column(
            name, justify="right" if name in ("price", "size", "closed pnl") else "left"
        )
    for fill in list(state.recent_fills)[-fill_rows:] if fill_rows > 0 else []:
        fills.add_row(
            time.strftime("%H:%M:%S", time.localtime(fill.time_ms / 1000)),
            fill.coin,
            fill.side,
            decimal_text(fill.px),
            decimal_text(fill.sz),
            f"{decimal_text(fill.closed_pnl)} {fill.pnl_token}",
        )
    return Group(header, counters, positions, orders, fills)


def _json_amounts(amounts: dict[str, str] | None) -> str:
    """A summary's ``{token: amount}`` side by side, never added; ``?`` when unknown."""
    if amounts is None:
        return "?"
    return ", ".join(f"{amount} {token}" for token, amount in amounts.items()) or "0"


def _counter_lines(state: LiveState) -> list[str]:
    o = state.orders
    lines = [
        f"orders placed {o.placed}  filled {o.filled}  resting {o.resting}  "
        f"cancelled {o.cancelled}  rejected {o.rejected}",
        f"pnl realized {token_amounts_text(state.realized_pnl)}  "
        f"fees {token_amounts_text(state.fees)}",
        f"resync adopted {state.snapshots_adopted}  deferred {state.snapshots_deferred}  "
        f"drift events {state.drift_events}  duplicates dropped {state.duplicates_dropped}",
        f"fills own {state.own_fills}  foreign {state.foreign_fills}  "
        f"foreign open orders {state.foreign_open_orders}" + _missing(state),
    ]
    if state.dead_mans_switch is not None:
        lines.append(f"dead-man's switch {state.dead_mans_switch}")
    return lines


def render_summary(summary: TradeSummary, rejections: Rejections | None = None) -> str:
    """The human summary printed at the end of a run; ``rejections`` (kind -> reason ->
    count) explains the rejected intents, each risk gate by name."""
    data = summary.to_json()
    lines = [
        f"{data['mode']} on {data['network']}, account {data['account']}, "
        f"{data['duration_secs']:.1f}s" + (" (interrupted)" if data["interrupted"] else ""),
        f"fills: {data['fills']}",
        "positions (tracker | exchange):",
    ]
    exchange = data["exchange_positions"]
    coins = sorted(set(data["positions"]) | set(exchange or {}) | set(data["markets"]))
    for coin in coins:
        local = data["positions"].get(coin, "0")
        remote = "?" if exchange is None else exchange.get(coin, "0")
        mark = "" if exchange is None or local == remote else "  MISMATCH"
        lines.append(f"  {coin:<12} {local:>14} | {remote:<14}{mark}")
    o = data["orders"]
    lines.append(
        f"orders: placed {o['placed']}, filled {o['filled']}, resting {o['resting']}, "
        f"cancelled {o['cancelled']}, rejected {o['rejected']} "
        f"(venue {o['venue_rejections']}, gates {o['gate_rejections']})"
    )
    intents = data.get("intents") or {}
    if intents:
        lines.append(
            "intents: "
            + "; ".join(
                f"{kind} " + ", ".join(f"{status} {n}" for status, n in counts.items() if n)
                for kind, counts in intents.items()
                if any(counts.values())
            )
        )
    venue_rejects = data.get("venue_rejects") or {}
    if venue_rejects:
        counts = ", ".join(f"{reason} {n}" for reason, n in venue_rejects.items())
        lines.append(f"  venue rejects by reason: {counts}")
    for kind, reasons in (rejections or {}).items():
        ranked = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        if ranked:
            lines.append(f"  {kind} rejected: " + "; ".join(f"{why} {n}" for why, n in ranked))
    pnl = data["pnl"]
    lines.append(
        f"pnl: realized {_json_amounts(pnl['realized'])}, fees {_json_amounts(pnl['fees'])}, "
        f"unrealized {_json_amounts(pnl['unrealized'])}"
    )
    r, d = data["resync"], data["dedup"]
    lines.append(
        f"resync: {r['snapshots_adopted']} adopted, {r['deferrals']} deferred, "
        f"{r['fetch_failures']} failed; drift events: {data['drift_events']}"
        + (
            f" ({data['drift_explained']} more explained by late fills)"
            if data["drift_explained"]
            else ""
        )
    )
    lines.append(f"dedup: {d['duplicates_dropped']} duplicates dropped (capacity {d['capacity']})")
    dms = data.get("dead_mans_switch")
    if dms is not None:
        line = f"dead-man's switch: {dms['protection']}"
        if dms["protection"] == "UNPROTECTED":
            line += f" ({dms['reason']}; {dms['refusals']} armings refused"
            line += f", watchdog cancelled {dms['watchdog_cancels']}x)"
        lines.append(line)
    for event in data["drift"]:
        lines.append(
            f"  drift {event['coin']}: local {event['local']} exchange {event['exchange']} "
            f"({event['cause'] or 'cause unknown'})"
        )
    account = data.get("whole_account") or {}
    if account:
        lines.append(
            f"account: dexes {', '.join(d or 'main' for d in account['dexes'])}; fills own "
            f"{account['own_fills']}, foreign {account['foreign_fills']}; foreign open orders "
            f"{account['foreign_open_orders']} (left alone)"
        )
        if account.get("spot_balances"):
            lines.append(
                "spot balances (not perp positions): "
                + ", ".join(f"{c} {sz}" for c, sz in account["spot_balances"].items())
            )
        if account["spot_and_outcome_fills"]:
            lines.append(
                "spot and outcome fills (not perp positions): "
                + ", ".join(f"{c} {sz}" for c, sz in account["spot_and_outcome_fills"].items())
            )
    missing = data.get("unconfirmed") or {}
    if missing.get("oldest_age_secs") is not None or missing.get("snapshots_forced"):
        lines.append(
            f"unconfirmed: oldest missing fill {missing.get('oldest_age_secs')}s, "
            f"snapshots adopted despite blockers {missing.get('snapshots_forced', 0)}"
        )
    if data.get("max_divergence_secs") is not None:
        lines.append(
            f"divergence from the simulator's truth: longest {data['max_divergence_secs']}s, "
            f"{data['divergence_fraction'] * 100:.1f}% of the run"
        )
    for error in data["errors"]:
        lines.append(f"warning: {error}")
    return "\n".join(lines)
