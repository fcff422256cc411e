from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from hip3.domain import OrderStatus
from hip3.executor.exchange_venue import order_update_from_status
from hip3.types import Cloid, Side

RECORDED = Path("/work/shared/fixtures/recorded/info_test__test_historical_orders.json")


def test_order_status_entry_maps_to_order_update() -> None:
    entry = {
        "order": {
            "coin": "xyz:GOLD",
            "side": "A",
            "limitPx": "2412.7",
            "sz": "0.0",
            "oid": 1,
            "timestamp": 1724361546645,
            "origSz": "0.0076",
            "cloid": "0x00000000000000000000000000000001",
            "reduceOnly": True,
        },
        "status": "filled",
        "statusTimestamp": 1724361546650,
    }
    update = order_update_from_status(entry)
    assert update.coin == "xyz:GOLD" and update.side is Side.SELL and update.oid == 1
    assert update.orig_sz == Decimal("0.0076") and update.sz == 0
    assert update.cloid == Cloid.from_int(1) and update.reduce_only
    assert update.order_status is OrderStatus.FILLED
    assert update.status_time_ms == 1724361546650


@pytest.mark.skipif(not RECORDED.exists(), reason="recorded fixtures not present")
def test_every_recorded_historical_order_maps_with_its_status() -> None:
    (record,) = json.loads(RECORDED.read_text())
    entries = record["response"]
    assert entries
    for entry in entries:
        update = order_update_from_status(entry)
        assert update.status == entry["status"]
        assert update.oid == entry["order"]["oid"]
        assert update.order_status.is_terminal or entry["status"] in ("open", "triggered")
