"""hip3.app's own parts: the fill monitor behind the live view, the quiescing strategy."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from hip3.app import FillMonitor, token_amounts_text
from hip3.app.run import QuiescingStrategy
from hip3.bot import Book, StrategyContext
from hip3.domain import Fill
from hip3.executor import Cancel, Intent, PlaceOrder
from hip3.types import Side


def _fill(tid: int, sz: str = "0.1", pnl: str = "1.5", fee: str = "0.01") -> dict[str, object]:
    return {
        "coin": "BTC", "px": "60000", "sz": sz, "side": "B", "time": 1000 + tid,
        "startPosition": "0", "dir": "Open Long", "closedPnl": pnl, "hash": "0x0",
        "oid": 7, "crossed": False, "fee": fee, "tid": tid, "feeToken": "USDC",
    }  # fmt: skip


class Downstream:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str, object]] = []

    def record(self, direction, via, msg, *, id=None, path=None):  # type: ignore[no-untyped-def]
        self.lines.append((direction, via, msg))


def test_monitor_counts_each_trade_once_and_passes_everything_on() -> None:
    journal = Downstream()
    monitor = FillMonitor(downstream=journal, recent=2)
    snapshot = {
        "channel": "userFills",
        "data": {"isSnapshot": True, "user": "0x", "fills": [_fill(1)]},
    }
    live = {"channel": "userFills", "data": {"user": "0x", "fills": [_fill(2), _fill(3)]}}
    for msg in (snapshot, live, live, snapshot):  # a duplicate push, a resubscribe snapshot
        monitor.record("in", "ws", msg)
    monitor.record("out", "http", {"type": "meta"}, id=1, path="/info")
    assert monitor.fills == 2  # history in the snapshot is not this run's
    assert monitor.duplicates == 3
    assert monitor.realized_pnl == {"USDC": Decimal(3)}
    assert monitor.fees == {"USDC": Decimal("0.02")}
    assert [f.tid for f in monitor.recent] == [2, 3]
    assert len(journal.lines) == 5


class Quoter:
    def __init__(self) -> None:
        self.order = PlaceOrder("BTC", Side.BUY, Decimal(1), Decimal(1))

    def on_start(self, ctx: StrategyContext) -> Sequence[Intent]:
        return [self.order]

    def on_book(self, book: Book, ctx: StrategyContext) -> Sequence[Intent]:
        return [self.order]

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> Sequence[Intent]:
        return [self.order]

    def on_timer(self, ctx: StrategyContext) -> Sequence[Intent]:
        return [self.order]

    def on_stop(self, ctx: StrategyContext) -> Sequence[Intent]:
        return [Cancel("BTC", cloid=self.order.cloid)]


def test_quiesced_strategy_asks_for_nothing_new_but_still_cleans_up() -> None:
    ctx = StrategyContext(now_ms=0, markets={})
    book = Book("BTC", 0)
    strategy = QuiescingStrategy(Quoter())
    assert len(strategy.on_book(book, ctx)) == 1 and len(strategy.on_timer(ctx)) == 1
    strategy.quiesce()
    assert strategy.on_book(book, ctx) == () and strategy.on_timer(ctx) == ()
    assert isinstance(strategy.on_stop(ctx)[0], Cancel)


def test_token_amounts_are_shown_side_by_side_never_added() -> None:
    assert token_amounts_text({"USDH": Decimal("-0.25"), "USDC": Decimal("1.50")}) == (
        "1.5 USDC, -0.25 USDH"
    )
    assert token_amounts_text({}) == "0"
    assert token_amounts_text(None) == "?"
