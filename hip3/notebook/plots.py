"""The plots people expect from a trading run (matplotlib: ``pip install 'hip3[plot]'``).

Each function takes rows in whatever shape the notebook has them (the session's
records, a pandas or polars frame, a DuckDB relation over the store, dicts) and
returns a :class:`matplotlib.figure.Figure`, made without pyplot: nothing global is
touched, Jupyter shows the figure when it is a cell's value, ``fig.savefig(...)``
writes it. matplotlib is imported when a plot is made, never by ``import hip3.notebook``.

Values are summed exactly (Decimal) and turned into floats only to be drawn.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from hip3.notebook.research import rows_of
from hip3.store.location import MissingExtraError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from hip3.app.divergence import DivergenceMeter

__all__ = ["plot_divergence", "plot_fills_on_book", "plot_position_pnl"]

_BUY = "#1a9850"
_SELL = "#d73027"


def _figure(rows: int) -> tuple[Figure, list[Any]]:
    # Axes are Any: matplotlib's stubs refuse datetime x values, which it plots fine.
    try:
        figure_module = importlib.import_module("matplotlib.figure")
    except ModuleNotFoundError as exc:
        raise MissingExtraError("plots need matplotlib: pip install 'hip3[plot]'") from exc
    dates = importlib.import_module("matplotlib.dates")
    fig: Figure = figure_module.Figure(figsize=(10, 2.6 * rows + 0.6), layout="constrained")
    axes: list[Axes] = [fig.add_subplot(rows, 1, 1)]
    for index in range(2, rows + 1):
        axes.append(fig.add_subplot(rows, 1, index, sharex=axes[0]))
    for ax in axes:
        locator = dates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    return fig, axes


def _utc(time_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(time_ms / 1000, tz=dt.UTC)


def _dec(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _time_ms(row: dict[str, Any]) -> int:
    if row.get("time_ms") is not None:
        return int(row["time_ms"])
    value = row.get("time")
    if isinstance(value, dt.datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, int):
        return value
    raise ValueError(f"a row has neither time_ms nor time: {sorted(row)}")


def _signed_sz(row: dict[str, Any]) -> Decimal:
    if row.get("signed_sz") is not None:
        return _dec(row["signed_sz"])
    sz = _dec(row.get("sz"))
    side = row.get("side")
    if side in ("buy", "B"):
        return sz
    if side in ("sell", "A"):
        return -sz
    raise ValueError(f"a fill's side must be buy/B or sell/A; got {side!r}")


def _fills(fills: Any) -> list[dict[str, Any]]:
    rows = rows_of(fills)
    rows.sort(key=lambda r: (_time_ms(r), r.get("tid") or 0))
    return rows


def plot_position_pnl(fills: Any, *, coins: Iterable[str] | None = None) -> Figure:
    """Position over time, one panel per coin, and below them the realised PnL net of
    fees summed over the fills: step lines that move at each fill.

    A fill's ``start_position`` (the store's fills have it) starts its coin's line
    where the account stood; without it lines start at 0.
    """
    wanted = set(coins) if coins is not None else None
    rows = [r for r in _fills(fills) if wanted is None or r["coin"] in wanted]
    by_coin: dict[str, tuple[list[dt.datetime], list[float]]] = {}
    position: dict[str, Decimal] = {}
    pnl_x: list[dt.datetime] = []
    pnl_y: list[float] = []
    pnl = Decimal(0)
    for row in rows:
        coin = str(row["coin"])
        at = _utc(_time_ms(row))
        if coin not in position:
            position[coin] = _dec(row.get("start_position"))
            by_coin[coin] = ([at], [float(position[coin])])
        position[coin] += _signed_sz(row)
        xs, ys = by_coin[coin]
        xs.append(at)
        ys.append(float(position[coin]))
        if not pnl_x:
            pnl_x.append(at)
            pnl_y.append(0.0)
        pnl += _dec(row.get("closed_pnl")) - _dec(row.get("fee"))
        pnl_x.append(at)
        pnl_y.append(float(pnl))
    # One panel per coin: sizes of different coins are not on one scale.
    fig, axes = _figure(max(len(by_coin), 1) + 1)
    for ax, (coin, (xs, ys)) in zip(axes, sorted(by_coin.items()), strict=False):
        ax.plot(xs, ys, drawstyle="steps-post", label=coin)
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.set_ylabel(f"{coin} position")
        ax.legend(loc="best")
    axes[0].set_title("Position per coin" if by_coin else "Position per coin (no fills)")
    pnl_ax = axes[-1]
    pnl_ax.plot(pnl_x, pnl_y, drawstyle="steps-post", label="realised PnL - fees")
    pnl_ax.axhline(0, color="grey", linewidth=0.5)
    pnl_ax.set_ylabel("PnL")
    pnl_ax.set_title("Realised PnL net of fees")
    pnl_ax.legend(loc="best")
    return fig


def _book_tops(book: Any, coin: str) -> list[tuple[int, Decimal | None, Decimal | None]]:
    """(time_ms, best bid, best ask) per book snapshot of ``coin``, oldest first."""
    items = list(book) if isinstance(book, list | tuple) else None
    if items and all(hasattr(b, "bids") and hasattr(b, "asks") for b in items):
        return sorted(
            (int(b.time_ms), b.bids[0].px if b.bids else None, b.asks[0].px if b.asks else None)
            for b in items
            if b.coin == coin
        )
    tops: dict[int, list[Decimal | None]] = {}
    for row in rows_of(book):
        if row.get("coin") != coin or int(row.get("level", 0)) != 0:
            continue
        top = tops.setdefault(_time_ms(row), [None, None])
        top[0 if row["side"] in ("bid", "B") else 1] = _dec(row["px"])
    return [(t, bid, ask) for t, (bid, ask) in sorted(tops.items())]


def plot_fills_on_book(fills: Any, book: Any, *, coin: str) -> Figure:
    """``coin``'s fills (buys ▲, sells ▼) over its best bid, best ask and mid.

    ``book`` is the store's ``books`` rows (``s.store(table="books")``; import the
    journal with a small ``book_every_ms`` to sample often) or a list of
    :class:`~hip3.notebook.Book` snapshots.
    """
    fig, (ax,) = _figure(1)
    tops = _book_tops(book, coin)
    bids = [(_utc(t), float(bid)) for t, bid, _ in tops if bid is not None]
    asks = [(_utc(t), float(ask)) for t, _, ask in tops if ask is not None]
    for label, points, color in (("best bid", bids, _BUY), ("best ask", asks, _SELL)):
        ax.plot([p[0] for p in points], [p[1] for p in points], label=label,
                drawstyle="steps-post", color=color, alpha=0.6)  # fmt: skip
    mids = [(_utc(t), float((b + a) / 2)) for t, b, a in tops if b is not None and a is not None]
    ax.plot([m[0] for m in mids], [m[1] for m in mids], "--", label="mid",
            drawstyle="steps-post", color="grey", linewidth=0.8)  # fmt: skip
    rows = [r for r in _fills(fills) if r["coin"] == coin]
    for label, buy, marker, color in (("buy fills", True, "^", _BUY), ("sell fills", False, "v", _SELL)):  # fmt: skip
        picked = [r for r in rows if (_signed_sz(r) > 0) == buy]
        ax.plot([_utc(_time_ms(r)) for r in picked], [float(_dec(r["px"])) for r in picked],
                linestyle="none", marker=marker, color=color, label=label, markersize=7)  # fmt: skip
    ax.set_title(f"{coin}: fills on the book")
    ax.set_ylabel("price")
    ax.legend(loc="best")
    return fig


def _drift_row(event: Any) -> dict[str, Any]:
    if attrs.has(type(event)):
        return attrs.asdict(event, recurse=False)
    return dict(event)


def plot_divergence(
    drift_events: Iterable[Any] = (), divergence: DivergenceMeter | None = None
) -> Figure:
    """Drift and divergence on one timeline.

    Top: the tracker's drift events (``DriftEvent`` objects from a replay or a bot
    summary, or their JSON dicts), one marker per event at its time, the delta
    (exchange - local) per coin; baseline adoptions are left out. Bottom: how many
    coins the tracker's positions differed from the simulator's in at each moment, from
    a :class:`~hip3.app.divergence.DivergenceMeter` (``bot.divergence()``).
    """
    fig, (drift_ax, div_ax) = _figure(2)
    by_coin: dict[str, tuple[list[dt.datetime], list[float]]] = {}
    for event in drift_events:
        row = _drift_row(event)
        if row.get("baseline"):
            continue
        xs, ys = by_coin.setdefault(str(row["coin"]), ([], []))
        xs.append(_utc(int(row["time_ms"])))
        ys.append(float(_dec(row["delta"])))
    for coin, (xs, ys) in sorted(by_coin.items()):
        drift_ax.plot(xs, ys, linestyle="none", marker="o", label=coin)
    drift_ax.axhline(0, color="grey", linewidth=0.5)
    drift_ax.set_title(f"Drift events ({sum(len(v[0]) for v in by_coin.values())})")
    drift_ax.set_ylabel("exchange - local")
    if by_coin:
        drift_ax.legend(loc="best")
    xs_div: list[dt.datetime] = []
    ys_div: list[int] = []
    origin = divergence.first_sample if divergence is not None else None
    if divergence is not None and divergence.first_wall_ms is not None and origin is not None:
        wall = divergence.first_wall_ms

        def at(now: float) -> dt.datetime:
            return _utc(wall + round((now - origin) * 1000))

        for now, differing in divergence.timeline:
            xs_div.append(at(now))
            ys_div.append(differing)
        last = divergence.last_sample
        if divergence.timeline and last is not None and last > divergence.timeline[-1][0]:
            xs_div.append(at(last))
            ys_div.append(divergence.timeline[-1][1])
    div_ax.plot(xs_div, ys_div, drawstyle="steps-post", label="coins differing")
    div_ax.set_ylabel("coins differing")
    div_ax.set_title("Tracker vs venue (divergence)")
    div_ax.set_ylim(bottom=-0.1)
    return fig
