"""Replay is robust to the order of a capture's lines, and `hip3 replay` refuses a file
with nothing to replay (issue 10; written by the journal engineer against the same
contract, merged here)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from hip3.journal import CaptureWriter, replay
from hip3_cli.replay import replay_cmd
from tests.journal.test_replay import CLOID, USER, _fill, _order_post, _post_answer

# -- replay robust to line order -------------------------------------------------------------

META = {"universe": [{"name": "BTC", "szDecimals": 5, "maxLeverage": 50}]}


def _order_lines() -> list[tuple[str, Any]]:
    """The lines of one Gtc buy of 2 BTC, filled in two trades, whose post answer says filled."""
    return [
        ("post", _order_post(7, CLOID, 0, "2", "Gtc")),
        ("answer", _post_answer(7, {"filled": {"totalSz": "2", "avgPx": "100", "oid": 50}})),
        ("fill1", {"channel": "userFills", "data": {"user": USER, "fills": [
            _fill(2, "1.5", oid=50, cloid=CLOID, time_ms=100)]}}),
        ("fill2", {"channel": "userFills", "data": {"user": USER, "fills": [
            _fill(3, "0.5", oid=50, cloid=CLOID, time_ms=101)]}}),
        ("update", {"channel": "orderUpdates", "data": [{"order": {
            "coin": "BTC", "side": "B", "limitPx": "100", "sz": "0", "oid": 50,
            "timestamp": 101, "origSz": "2", "cloid": CLOID}, "status": "filled",
            "statusTimestamp": 101}]}),
    ]  # fmt: skip


def _write(path: Path, order: list[str]) -> None:
    by_name = dict(_order_lines())
    with CaptureWriter(path, now_ms=lambda: 1) as w:
        w.record("out", "http", {"type": "meta", "dex": ""}, id=1, path="/info")
        w.record("in", "http", META, id=1)
        for name in order:
            w.record("out" if name == "post" else "in", "ws", by_name[name])


def _legal(order: tuple[str, ...]) -> bool:
    """The venue answers a post only after it has it; trades of one order keep their order."""
    return order.index("post") < order.index("answer") and order.index("fill1") < order.index(
        "fill2"
    )


ORDERS = [o for o in itertools.permutations([n for n, _ in _order_lines()]) if _legal(o)]


@seed(20261203)
@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.sampled_from(ORDERS))
def test_replay_counts_each_trade_once_whatever_the_line_order(order: tuple[str, ...]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "capture.jsonl"
        _write(path, list(order))
        result = replay(path)
    assert result.positions == {"BTC": 2}, order
    assert result.open_orders == [], order
    assert result.stats.fills_applied == 2, order
    assert result.unmapped_orders == 0 and result.malformed_messages == 0


def test_fill_before_its_post_line_is_not_counted_twice(tmp_path: Path) -> None:
    path = tmp_path / "capture.jsonl"
    _write(path, ["fill1", "fill2", "post", "answer", "update"])
    result = replay(path)
    assert result.positions == {"BTC": 2}


# -- hip3 replay on files with nothing to replay ---------------------------------------------


def test_cli_empty_file_exits_non_zero_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n\n")
    result = CliRunner().invoke(replay_cmd, [str(path)])
    assert result.exit_code == 1
    assert "empty" in result.output


def test_cli_all_garbage_file_exits_non_zero_and_json_names_the_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.jsonl"
    path.write_bytes(b'not json\n{"t": 1}\n')
    result = CliRunner().invoke(replay_cmd, [str(path), "--json"])
    assert result.exit_code == 1
    out_line = [line for line in result.stdout.splitlines() if line.startswith("{")][-1]
    error = orjson.loads(out_line)["error"]
    assert "2 lines are malformed" in error and "line 1" in error
