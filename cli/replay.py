"""`hip3 replay CAPTURE [--json]`: feed a capture through the tracker and show the result.

The capture goes through the same wire parsing and PositionTracker the bot
runs (:func:`hip3.journal.replay`). Without ``--json`` a table for people;
with it one JSON object::

    {"positions": {"BTC": "0.5"}, "open_orders": [...], "drift_events": 0,
     "duplicates_dropped": 12, "deferrals": 1, ...}

Exit codes: 0 replayed (even with malformed lines, which are counted),
1 when the file holds no capture line at all (empty, or nothing but malformed
lines), 2 when the file cannot be read. On an error ``--json`` prints
``{"error": "..."}`` on stdout and the message also goes to stderr.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

import click

from hip3.journal import ReplayResult, replay
from hip3.tracker import DEFAULT_DEDUP_CAPACITY

from ._common import EXIT_FAILURE, UsageProblem, debug_option, echo_json, fail, user_errors


@click.command("replay")
@click.argument("capture", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--dedup-capacity",
    type=click.IntRange(min=1),
    default=DEFAULT_DEDUP_CAPACITY,
    show_default=True,
    help="Trades the tracker remembers for de-duplication (as the bot's dedup_capacity).",
)
@debug_option
def replay_cmd(capture: str, as_json: bool, dedup_capacity: int, debug: bool) -> None:
    """Replay CAPTURE (a journal file) through the tracker and print positions and counts."""
    with user_errors(debug, as_json=as_json):
        try:
            with _progress_bar(capture) as progress:
                result = replay(capture, dedup_capacity=dedup_capacity, progress=progress)
        except OSError as exc:
            raise UsageProblem(f"cannot read {capture}: {exc.strerror or exc}") from exc
    if result.lines == 0:
        if result.malformed_lines:
            first = result.malformed_samples[0] if result.malformed_samples else None
            detail = f" (line {first.line_no}: {first.reason})" if first is not None else ""
            message = (
                f"{capture} holds no capture line: all {result.malformed_lines} lines are"
                f" malformed{detail}"
            )
        else:
            message = f"{capture} is empty: no capture line to replay"
        fail(message, EXIT_FAILURE, as_json=as_json)
    if as_json:
        echo_json(result.to_json())
        return
    click.echo(render_table(result))


@contextlib.contextmanager
def _progress_bar(capture: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar over the capture's bytes on stderr, when stderr is a terminal.

    Pipes and ``--json`` consumers see nothing extra: stdout carries only the result.
    """
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress(
        "replaying",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("replay", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def render_table(result: ReplayResult) -> str:
    """The human summary: positions, open orders, then counters."""
    data = result.to_json()
    lines = ["positions:"]
    if data["positions"]:
        width = max(len(coin) for coin in data["positions"])
        lines += [f"  {coin:<{width}}  {sz:>14}" for coin, sz in data["positions"].items()]
    else:
        lines.append("  (all flat)")
    lines.append(f"open orders: {len(data['open_orders'])}")
    for order in data["open_orders"]:
        lines.append(
            f"  {order['coin']:<12} {order['side']} {order['orig_sz']:>10} @ {order['limit_px']:<10}"
            f" filled {order['filled_sz']:<10} {order['status']:<16} oid={order['oid']}"
            f" cloid={order['cloid']}"
        )
    for event in data["drift"]:
        lines.append(
            f"drift {event['coin']}: local {event['local']} exchange {event['exchange']}"
            f" delta {event['delta']} at {event['time_ms']} ({event['cause'] or 'cause unknown'})"
        )
    counters = [
        "lines",
        "malformed_lines",
        "malformed_messages",
        "fills_received",
        "fills_applied",
        "duplicates_dropped",
        "covered_by_snapshot",
        "fills_without_tid",
        "provisional_fills",
        "snapshots_adopted",
        "deferrals",
        "drift_events",
        "baseline_adjustments",
        "overfills",
        "unanswered_requests",
        "unmapped_orders",
    ]
    width = max(len(name) for name in counters)
    lines += [f"{name.replace('_', ' '):<{width}}  {data[name]}" for name in counters]
    for sample in result.malformed_samples[:3]:
        lines.append(f"  malformed line {sample.line_no}: {sample.reason}")
    return "\n".join(lines)
