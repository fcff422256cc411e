"""A long replay reports its progress over the capture's bytes."""

from __future__ import annotations

from pathlib import Path

import orjson

from hip3.journal import replay
from hip3.journal.replay import PROGRESS_EVERY_LINES


def test_progress_is_reported_in_steps_and_ends_at_the_file_size(tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    lines = 2 * PROGRESS_EVERY_LINES + 17
    with capture.open("wb") as out:
        for i in range(lines):
            out.write(orjson.dumps({"t": i, "dir": "in", "via": "ws", "msg": {"channel": "pong"}}))
            out.write(b"\n")
        out.write(b"not json\n")  # malformed lines count towards the bytes read too
    calls: list[tuple[int, int]] = []
    result = replay(capture, progress=lambda done, total: calls.append((done, total)))
    size = capture.stat().st_size
    assert result.lines == lines and result.malformed_lines == 1
    assert len(calls) == 3  # after 5000 and 10000 lines, then at the end
    assert all(total == size for _, total in calls)
    done = [d for d, _ in calls]
    assert done == sorted(done) and 0 < done[0] < size and done[-1] == size


def test_without_a_callback_nothing_changes(tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    capture.write_bytes(
        orjson.dumps({"t": 1, "dir": "in", "via": "ws", "msg": {"channel": "pong"}}) + b"\n"
    )
    assert replay(capture).lines == 1
