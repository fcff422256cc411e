"""Replay of captures built from real recorded venue payloads (/work/shared/fixtures)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hip3.journal import CaptureWriter, replay

RECORDED = Path("/work/shared/fixtures/recorded")
USER_FILLS = RECORDED / "info_test__test_get_user_fills.json"

pytestmark = pytest.mark.skipif(not USER_FILLS.exists(), reason="recorded fixtures not present")


def _recorded_fills() -> list[dict[str, Any]]:
    fills: list[dict[str, Any]] = json.loads(USER_FILLS.read_text())[0]["response"]
    return fills


def test_real_fills_without_tid_replayed_on_reconnect_count_once(tmp_path: Path) -> None:
    fills = _recorded_fills()  # 2023 recording: no tid, newest first
    user = "0xb7b6f3cea3f66bf525f5d8f965f6dbf6d9b017b2"
    path = tmp_path / "c.jsonl"
    with CaptureWriter(path) as w:
        w.record("in", "ws", {"channel": "userFills", "data": {"isSnapshot": True, "user": user,
                                                              "fills": []}})  # fmt: skip
        w.record("in", "ws", {"channel": "userFills", "data": {"user": user, "fills": fills}})
        w.record("in", "ws", {"channel": "userFills", "data": {"isSnapshot": True, "user": user,
                                                              "fills": fills}})  # fmt: skip
    expected: dict[str, Decimal] = {}
    for f in fills:
        signed = Decimal(f["sz"]) if f["side"] == "B" else -Decimal(f["sz"])
        expected[f["coin"]] = expected.get(f["coin"], Decimal(0)) + signed
    result = replay(path)
    assert result.positions == {c: sz for c, sz in expected.items() if sz}
    assert result.malformed_messages == 0
    assert result.stats.fills_without_tid == 2 * len(fills)
    assert result.duplicates_dropped == len(fills)
