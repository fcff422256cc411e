"""FillMonitor counts each of the account's trades once, from pushes and REST backfills."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hip3.app.monitor import FillMonitor


def _fill(tid: int, pnl: str = "0", fee: str = "0.01") -> dict[str, Any]:
    return {
        "coin": "BTC",
        "px": "60000",
        "sz": "0.001",
        "side": "B",
        "time": 1_700_000_000_000 + tid,
        "startPosition": "0",
        "dir": "Open Long",
        "closedPnl": pnl,
        "hash": f"0x{tid:064x}",
        "oid": 100 + tid,
        "crossed": True,
        "fee": fee,
        "tid": tid,
        "feeToken": "USDC",
    }


def _push(fills: list[dict[str, Any]], *, snapshot: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"user": "0xabc", "fills": fills}
    if snapshot:
        data["isSnapshot"] = True
    return {"channel": "userFills", "data": data}


def test_a_fill_lost_on_the_websocket_is_counted_from_the_backfill_once() -> None:
    monitor = FillMonitor()
    monitor.record("in", "ws", _push([_fill(1)], snapshot=True))  # history: only marked
    monitor.record("in", "ws", _push([_fill(2, pnl="1.5")]))
    monitor.record("out", "http", {"type": "userFillsByTime", "user": "0xabc"}, id=7, path="/info")
    monitor.record("out", "http", {"type": "clearinghouseState", "user": "0xabc"}, id=8)
    monitor.record("in", "http", {"marginSummary": {}}, id=8)
    # the backfill repeats trade 2 (seen) and brings trade 3, whose push was lost
    monitor.record("in", "http", [_fill(2, pnl="1.5"), _fill(3, pnl="-0.5")], id=7)
    monitor.record("in", "ws", _push([_fill(3, pnl="-0.5")]))  # the late push: a duplicate

    assert monitor.fills == 2
    assert monitor.duplicates == 2
    assert monitor.realized_pnl == {"USDC": Decimal("1.0")}
    assert monitor.fees == {"USDC": Decimal("0.02")}
    assert [f.tid for f in monitor.recent] == [2, 3]


def test_answers_to_other_requests_are_not_taken_for_fills() -> None:
    monitor = FillMonitor()
    monitor.record("out", "http", {"type": "userFills", "user": "0xabc"}, id=1, path="/info")
    monitor.record("in", "http", [_fill(5)], id=1)  # not a backfill the bot asked for
    monitor.record("in", "http", [_fill(6)], id=99)  # an id never sent
    assert monitor.fills == 0


def test_the_journal_downstream_still_gets_every_message() -> None:
    seen: list[tuple[str, str, Any, int | None]] = []

    class Downstream:
        def record(
            self, direction: Any, via: Any, msg: Any, *, id: Any = None, path: Any = None
        ) -> None:
            seen.append((direction, via, msg, id))

    monitor = FillMonitor(downstream=Downstream())
    monitor.record("out", "http", {"type": "userFillsByTime"}, id=3, path="/info")
    monitor.record("in", "http", [_fill(1)], id=3)
    monitor.record("in", "ws", _push([_fill(2)]))
    assert [(d, v, i) for d, v, _, i in seen] == [
        ("out", "http", 3),
        ("in", "http", 3),
        ("in", "ws", None),
    ]


def test_backfills_that_never_got_an_answer_are_not_remembered_forever() -> None:
    monitor = FillMonitor()
    for request_id in range(1, 1001):  # every one failed: no answer line ever comes
        monitor.record("out", "http", {"type": "userFillsByTime"}, id=request_id, path="/info")
    assert len(monitor._backfills) <= 64
    monitor.record("out", "http", {"type": "userFillsByTime"}, id=5000, path="/info")
    monitor.record("in", "http", [_fill(9)], id=5000)  # the newest is still recognised
    assert monitor.fills == 1


def test_the_monitor_keeps_pnl_per_collateral_and_fees_per_fee_token() -> None:
    def push(tid: int, coin: str, pnl: str, fee: str, fee_token: str) -> dict[str, object]:
        fill = {"coin": coin, "px": "1", "sz": "1", "side": "B", "time": tid, "tid": tid,
                "oid": tid, "closedPnl": pnl, "fee": fee, "feeToken": fee_token}  # fmt: skip
        return {"channel": "userFills", "data": {"user": "0x", "fills": [fill]}}

    monitor = FillMonitor(collateral_of={"BTC": "USDC", "xyz:TSLA": "USDH"}.get)
    monitor.record("in", "ws", push(1, "BTC", "2", "0.1", "USDC"))
    monitor.record("in", "ws", push(2, "xyz:TSLA", "3", "0.2", "USDH"))
    monitor.record("in", "ws", push(3, "flx:GOLD", "-1", "0.3", "USDE"))  # unknown: its feeToken
    monitor.record("in", "ws", push(4, "@1", "0", "0.5", "HYPE"))  # spot: fee in what it got
    assert monitor.realized_pnl == {"USDC": 2, "USDH": 3, "USDE": -1}
    assert monitor.fees == {"USDC": Decimal("0.1"), "USDH": Decimal("0.2"),
                            "USDE": Decimal("0.3"), "HYPE": Decimal("0.5")}  # fmt: skip
    assert [f.pnl_token for f in monitor.recent] == ["USDC", "USDH", "USDE", "USDC"]
