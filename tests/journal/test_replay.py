"""hip3.journal.replay and `hip3 replay` on small hand-written captures."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from hip3.domain import OrderStatus
from hip3.journal import CaptureWriter, replay
from hip3_cli.replay import replay_cmd

USER = "0x0000000000000000000000000000000000000001"
CLOID = "0x0000000000000000000000000000000a"
CLOID2 = "0x0000000000000000000000000000000b"


def _fill(tid: int, sz: str, *, oid: int, cloid: str | None, time_ms: int, coin: str = "BTC",
          side: str = "B") -> dict[str, Any]:  # fmt: skip
    fill: dict[str, Any] = {
        "coin": coin, "px": "100.0", "sz": sz, "side": side, "time": time_ms,
        "startPosition": "0.0", "dir": "Open Long", "closedPnl": "0.0",
        "hash": "0x" + "ab" * 32, "oid": oid, "crossed": True, "fee": "0.01",
        "tid": tid, "feeToken": "USDC",
    }  # fmt: skip
    if cloid is not None:
        fill["cloid"] = cloid
    return fill


def _order_post(post_id: int, cloid: str, asset: int, sz: str, tif: str) -> dict[str, Any]:
    order = {"a": asset, "b": True, "p": "100", "s": sz, "r": False,
             "t": {"limit": {"tif": tif}}, "c": cloid}  # fmt: skip
    payload = {"action": {"type": "order", "orders": [order], "grouping": "na"}, "nonce": 1,
               "signature": {"r": "0x1", "s": "0x2", "v": 27}, "vaultAddress": None}  # fmt: skip
    return {"method": "post", "id": post_id, "request": {"type": "action", "payload": payload}}


def _post_answer(post_id: int, status: dict[str, Any]) -> dict[str, Any]:
    payload = {"status": "ok", "response": {"type": "order", "data": {"statuses": [status]}}}
    return {"channel": "post", "data": {"id": post_id, "response": {"type": "action",
                                                                  "payload": payload}}}  # fmt: skip


def _write_capture(path: Path) -> None:
    with CaptureWriter(path, now_ms=lambda: 1) as w:
        w.record("out", "http", {"type": "meta", "dex": ""}, id=1, path="/info")
        w.record("in", "http", {"universe": [{"name": "BTC", "szDecimals": 5, "maxLeverage": 50},
                                             {"name": "ETH", "szDecimals": 4, "maxLeverage": 25}]},
                 id=1)  # fmt: skip
        w.record("in", "ws", {"channel": "userFills",
                              "data": {"isSnapshot": True, "user": USER, "fills": [
                                  _fill(1, "5", oid=1, cloid=None, time_ms=10)]}})  # fmt: skip
        # An Ioc for 2 BTC filled in two trades; the trades beat the post answer.
        w.record("out", "ws", _order_post(7, CLOID, 0, "2", "Ioc"))
        w.record("in", "ws", {"channel": "userFills", "data": {"user": USER, "fills": [
            _fill(2, "1", oid=50, cloid=CLOID, time_ms=100),
            _fill(3, "1", oid=50, cloid=CLOID, time_ms=100)]}})  # fmt: skip
        w.record("in", "ws", _post_answer(7, {"filled": {"totalSz": "2.0", "avgPx": "100.0",
                                                         "oid": 50, "cloid": CLOID}}))  # fmt: skip
        # The same trades again (a reconnect's snapshot).
        w.record("in", "ws", {"channel": "userFills", "data": {"isSnapshot": True, "user": USER,
                 "fills": [_fill(3, "1", oid=50, cloid=CLOID, time_ms=100),
                           _fill(2, "1", oid=50, cloid=CLOID, time_ms=100)]}})  # fmt: skip
        # A resting ETH order.
        w.record("out", "ws", _order_post(8, CLOID2, 1, "3", "Gtc"))
        w.record("in", "ws", _post_answer(8, {"resting": {"oid": 51, "cloid": CLOID2}}))
        w.record("in", "ws", "Websocket connection established.")
        w.record("in", "ws", {"channel": "userFills", "data": {"user": USER, "fills": "oops"}})
    with path.open("ab") as f:
        f.write(b"{not json\n")


def test_replay_counts_each_trade_once_and_keeps_the_resting_order(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    _write_capture(path)
    result = replay(path)
    # The start-up snapshot is history (in the account already); only our Ioc counts.
    assert result.positions == {"BTC": Decimal(2)}
    assert result.duplicates_dropped == 2
    assert [(o.coin, o.status, o.oid) for o in result.open_orders] == [
        ("ETH", OrderStatus.RESTING, 51)
    ]
    assert result.malformed_lines == 1
    assert result.malformed_messages == 1
    assert result.stats.provisional_fills == 1


def test_cli_json_prints_one_object(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    _write_capture(path)
    run = CliRunner().invoke(replay_cmd, [str(path), "--json"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    assert data["positions"] == {"BTC": "2"}
    assert data["duplicates_dropped"] == 2 and data["drift_events"] == 0
    assert (
        data["open_orders"][0]["cloid"] == CLOID2 and data["open_orders"][0]["status"] == "resting"
    )


def test_cli_table_names_positions_and_counters(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    _write_capture(path)
    run = CliRunner().invoke(replay_cmd, [str(path)])
    assert run.exit_code == 0, run.output
    assert "BTC" in run.output and "duplicates dropped" in run.output
    assert "malformed line 12" in run.output


def test_cli_missing_file_exits_two(tmp_path: Path) -> None:
    run = CliRunner().invoke(replay_cmd, [str(tmp_path / "nope.jsonl"), "--json"])
    assert run.exit_code == 2
    assert "cannot read" in run.output


def test_snapshot_in_a_capture_is_adopted_by_the_tracker_rules(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    state = {"assetPositions": [{"type": "oneWay", "position": {
        "coin": "BTC", "szi": "1.5", "entryPx": "100.0", "positionValue": "150.0",
        "unrealizedPnl": "0.0", "returnOnEquity": "0.0", "liquidationPx": None,
        "leverage": {"type": "cross", "value": 10}, "marginUsed": "15.0"}}],
        "marginSummary": {"accountValue": "1", "totalNtlPos": "0", "totalRawUsd": "1",
                          "totalMarginUsed": "0"},
        "crossMarginSummary": {"accountValue": "1", "totalNtlPos": "0", "totalRawUsd": "1",
                               "totalMarginUsed": "0"},
        "withdrawable": "1", "time": 500}  # fmt: skip
    with CaptureWriter(path) as w:
        w.record("out", "http", {"type": "clearinghouseState", "user": USER, "dex": ""},
                 id=3, path="/info")  # fmt: skip
        w.record("in", "http", state, id=3)
        w.record("in", "ws", {"channel": "userFills", "data": {"user": USER, "fills": [
            _fill(9, "0.5", oid=2, cloid=None, time_ms=400),  # already in the snapshot
            _fill(10, "0.25", oid=2, cloid=None, time_ms=600)]}})  # fmt: skip
    result = replay(path)
    assert result.positions == {"BTC": Decimal("1.75")}
    assert result.stats.snapshots_adopted == 1 and result.stats.covered_by_snapshot == 1
