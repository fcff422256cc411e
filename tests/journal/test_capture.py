"""Capture files: design.md's line format, crash tolerance, malformed lines counted."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from hip3.journal import CaptureWriter, read_capture


def _clock() -> object:
    ticks = iter(range(1000, 100000))
    return lambda: next(ticks)


def test_writer_emits_design_format_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with CaptureWriter(path, now_ms=_clock()) as writer:  # type: ignore[arg-type]
        writer.record("out", "ws", {"method": "subscribe", "subscription": {"type": "userFills"}})
        writer.record("out", "http", {"type": "meta"}, id=7, path="/info")
        writer.record("in", "http", {"universe": []}, id=7)
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert lines == [
        {
            "t": 1000,
            "dir": "out",
            "via": "ws",
            "msg": {"method": "subscribe", "subscription": {"type": "userFills"}},
        },
        {"t": 1001, "dir": "out", "via": "http", "msg": {"type": "meta"}, "id": 7, "path": "/info"},
        {"t": 1002, "dir": "in", "via": "http", "msg": {"universe": []}, "id": 7},
    ]


def test_round_trip_yields_typed_lines_in_order(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    writer = CaptureWriter(path, now_ms=_clock())  # type: ignore[arg-type]
    for i in range(50):
        writer.record("in", "ws", {"channel": "pong", "n": i})
    writer.close()
    reader = read_capture(path)
    got = list(reader)
    assert [line.msg["n"] for line in got] == list(range(50))
    assert got[0].dir == "in" and got[0].via == "ws" and got[0].line_no == 1
    assert reader.malformed == 0 and reader.lines_read == 50


def test_each_record_reaches_the_file_before_close(tmp_path: Path) -> None:
    # A crash (no close) must lose nothing already recorded.
    path = tmp_path / "c.jsonl"
    writer = CaptureWriter(path)
    writer.record("in", "ws", {"channel": "pong"})
    assert len(path.read_bytes().splitlines()) == 1
    writer.close()


def test_malformed_and_truncated_lines_are_counted_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    good = orjson.dumps({"t": 1, "dir": "in", "via": "ws", "msg": {"channel": "pong"}})
    path.write_bytes(
        good
        + b"\nnot json\n"
        + b'{"t": 1, "dir": "sideways", "via": "ws", "msg": 1}\n'
        + b'{"t": "x", "dir": "in", "via": "ws", "msg": 1}\n'
        + b"\n"
        + good
        + b'\n{"t": 2, "dir": "in", "via": "ws", "msg": {"chan'  # cut short by a crash
    )
    reader = read_capture(path)
    assert len(list(reader)) == 2
    assert reader.malformed == 4
    assert [s.line_no for s in reader.malformed_samples] == [2, 3, 4, 7]
    assert "dir" in reader.malformed_samples[1].reason


def test_closed_writer_refuses_records(tmp_path: Path) -> None:
    writer = CaptureWriter(tmp_path / "c.jsonl")
    writer.close()
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.record("in", "ws", {})
