"""hip3.notebook.plots: each plot returns a Figure whose lines hold exactly the data given.

Figures are rendered with the Agg backend (no display) and their lines' x/y compared
with what the inputs say; pixels are not looked at.
"""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from typing import Any

import pytest

from hip3.app.divergence import DivergenceMeter
from hip3.notebook.records import Book, BookLevel
from hip3.store import MissingExtraError
from hip3.tracker import DriftEvent

pytest.importorskip("matplotlib")
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hip3.notebook import plots

T0 = 1_764_748_800_000  # 2025-12-03 08:00:00 UTC


def _at(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def _render(fig: Figure) -> Figure:
    assert isinstance(fig, Figure)
    FigureCanvasAgg(fig).draw()
    return fig


def _lines(fig: Figure) -> dict[str, tuple[list[Any], list[float]]]:
    out = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            label = str(line.get_label())
            if not label.startswith("_"):
                out[label] = (list(line.get_xdata()), [float(y) for y in line.get_ydata()])
    return out


def _row(coin: str, side: str, px: str, sz: str, t: int, tid: int, **kw: str) -> dict[str, Any]:
    return {"coin": coin, "side": side, "px": Decimal(px), "sz": Decimal(sz), "time_ms": t,
            "tid": tid, "closed_pnl": Decimal(kw.get("pnl", "0")),
            "fee": Decimal(kw.get("fee", "0")), **{k: Decimal(v) for k, v in kw.items()
                                                   if k == "start_position"}}  # fmt: skip


FILLS = [
    _row("BTC", "buy", "100", "0.1", T0 + 1000, 1, fee="0.01"),
    _row("xyz:TSLA", "sell", "250", "2", T0 + 1500, 2, fee="0.05"),
    _row("BTC", "sell", "101", "0.3", T0 + 2000, 3, pnl="0.1", fee="0.01"),
    _row("BTC", "buy", "99", "0.1", T0 + 500, 0, fee="0.01"),  # out of order: sorted by time
]


def test_position_and_pnl_step_through_each_fill() -> None:
    fig = _render(plots.plot_position_pnl(FILLS))
    lines = _lines(fig)
    assert lines["BTC"] == (
        [_at(T0 + 500), _at(T0 + 500), _at(T0 + 1000), _at(T0 + 2000)],
        [0.0, 0.1, 0.2, -0.1],
    )
    assert lines["xyz:TSLA"] == ([_at(T0 + 1500), _at(T0 + 1500)], [0.0, -2.0])
    xs, ys = lines["realised PnL - fees"]
    assert xs[0] == _at(T0 + 500) and xs[-1] == _at(T0 + 2000)
    assert ys == pytest.approx([0.0, -0.01, -0.02, -0.07, 0.02])
    assert len(fig.axes) == 3  # one panel per coin, then PnL
    only_btc = _lines(_render(plots.plot_position_pnl(FILLS, coins=["BTC"])))
    assert "xyz:TSLA" not in only_btc and only_btc["BTC"] == lines["BTC"]


def test_position_starts_where_the_account_stood_and_takes_frames() -> None:
    pd = pytest.importorskip("pandas")
    rows = [
        {**_row("BTC", "B", "100", "0.5", T0, 1), "start_position": Decimal("1.5")},
        {**_row("BTC", "A", "100", "2", T0 + 10, 2)},
    ]
    lines = _lines(_render(plots.plot_position_pnl(pd.DataFrame(rows))))
    assert lines["BTC"][1] == [1.5, 2.0, 0.0]
    empty = _render(plots.plot_position_pnl([]))
    assert _lines(empty)["realised PnL - fees"] == ([], [])


def test_fills_on_the_book_from_store_rows_and_from_book_snapshots() -> None:
    books = []
    for t, bid, ask in ((T0, "99", "101"), (T0 + 1000, "100", "102"), (T0 + 2000, "98", "100")):
        books += [
            {"coin": "BTC", "time_ms": t, "side": "bid", "level": 0, "px": Decimal(bid)},
            {"coin": "BTC", "time_ms": t, "side": "bid", "level": 1, "px": Decimal(bid) - 1},
            {"coin": "BTC", "time_ms": t, "side": "ask", "level": 0, "px": Decimal(ask)},
            {"coin": "ETH", "time_ms": t, "side": "ask", "level": 0, "px": Decimal(7)},
        ]
    fig = _render(plots.plot_fills_on_book(FILLS, books, coin="BTC"))
    lines = _lines(fig)
    times = [_at(T0), _at(T0 + 1000), _at(T0 + 2000)]
    assert lines["best bid"] == (times, [99.0, 100.0, 98.0])
    assert lines["best ask"] == (times, [101.0, 102.0, 100.0])
    assert lines["mid"] == (times, [100.0, 101.0, 99.0])
    assert lines["buy fills"] == ([_at(T0 + 500), _at(T0 + 1000)], [99.0, 100.0])
    assert lines["sell fills"] == ([_at(T0 + 2000)], [101.0])

    snapshots = [
        Book("BTC", T0 + 1000, (BookLevel("bid", 0, Decimal(100), Decimal(1), 1),),
             (BookLevel("ask", 0, Decimal(102), Decimal(1), 1),)),
        Book("BTC", T0, (BookLevel("bid", 0, Decimal(99), Decimal(1), 1),), ()),
    ]  # fmt: skip
    from_books = _lines(_render(plots.plot_fills_on_book(FILLS, snapshots, coin="BTC")))
    assert from_books["best bid"] == (times[:2], [99.0, 100.0])
    assert from_books["best ask"] == ([_at(T0 + 1000)], [102.0])
    assert from_books["mid"] == ([_at(T0 + 1000)], [101.0])


def test_divergence_and_drift_on_one_timeline() -> None:
    meter = DivergenceMeter()
    agree: dict[str, Decimal] = {"BTC": Decimal(1)}
    differ = {"BTC": Decimal(2)}
    two = {"BTC": Decimal(2), "ETH": Decimal(1)}
    for now, venue in ((10.0, agree), (10.5, differ), (11.0, two), (11.5, agree), (12.0, agree)):
        meter.sample(now, agree, venue)
    assert list(meter.timeline) == [(10.0, 0), (10.5, 1), (11.0, 2), (11.5, 0)]
    assert meter.first_sample == 10.0 and meter.last_sample == 12.0
    assert meter.first_wall_ms is not None
    meter.first_wall_ms = T0  # pin the wall clock to check the mapping
    events = [
        DriftEvent("BTC", "", Decimal(1), Decimal(1), Decimal(0), T0, baseline=True),
        DriftEvent("BTC", "", Decimal(1), Decimal("1.5"), Decimal("0.5"), T0 + 700),
        {"coin": "ETH", "local": "0", "exchange": "-1", "delta": "-1", "time_ms": T0 + 900},
    ]
    fig = _render(plots.plot_divergence(events, meter))
    lines = _lines(fig)
    assert lines["BTC"] == ([_at(T0 + 700)], [0.5])  # the baseline adoption is left out
    assert lines["ETH"] == ([_at(T0 + 900)], [-1.0])
    assert lines["coins differing"] == (
        [_at(T0), _at(T0 + 500), _at(T0 + 1000), _at(T0 + 1500), _at(T0 + 2000)],
        [0, 1, 2, 0, 0],
    )
    assert fig.axes[0].get_title() == "Drift events (2)"
    nothing = _lines(_render(plots.plot_divergence()))
    assert nothing["coins differing"] == ([], [])


def test_plots_without_matplotlib_say_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'hip3\[plot\]'"):
        plots.plot_position_pnl(FILLS)


def test_fills_on_the_book_straight_from_a_journal(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from hip3.journal import CaptureWriter
    from hip3.notebook.research import journal_books

    def l2(coin: str, t: int, bid: str, ask: str) -> dict[str, Any]:
        return {"channel": "l2Book", "data": {"coin": coin, "time": t, "levels": [
            [{"px": bid, "sz": "1", "n": 1}], [{"px": ask, "sz": "2", "n": 1}]]}}  # fmt: skip

    capture = tmp_path / "capture.jsonl"
    with CaptureWriter(capture) as journal:
        journal.record("in", "ws", l2("BTC", T0, "99", "101"))
        journal.record("in", "ws", {"channel": "trades", "data": []})
        journal.record("in", "ws", l2("ETH", T0 + 100, "9", "11"))
        journal.record("in", "ws", {"channel": "l2Book", "data": {"coin": "BTC"}})  # malformed
        journal.record("in", "ws", l2("BTC", T0 + 400, "99.5", "101"))
        journal.record("in", "ws", l2("BTC", T0 + 1000, "100", "102"))
    books = journal_books(capture, coin="BTC")
    assert "1 malformed l2Book message(s) skipped" in caplog.text
    assert [(b.time_ms, b.best_bid, b.best_ask) for b in books] == [
        (T0, Decimal(99), Decimal(101)),
        (T0 + 400, Decimal("99.5"), Decimal(101)),
        (T0 + 1000, Decimal(100), Decimal(102)),
    ]
    assert [b.coin for b in journal_books(capture)] == ["BTC", "ETH", "BTC", "BTC"]
    sampled = journal_books(capture, coin="BTC", every_ms=500)
    assert [b.time_ms for b in sampled] == [T0, T0 + 1000]
    lines = _lines(_render(plots.plot_fills_on_book(FILLS, books, coin="BTC")))
    assert lines["best bid"][1] == [99.0, 99.5, 100.0]
    assert lines["mid"][1] == [100.0, 100.25, 101.0]
