"""Wire objects become domain records with Decimals, Sides and Cloids."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest

from hip3.domain import OrderStatus
from hip3.errors import ExchangeError, WireError
from hip3.types import Cloid, Side
from hip3.wire import codec
from hip3.wire import models as m
from hip3.wire.to_domain import (
    CancelSuccess,
    Filled,
    Rejected,
    Resting,
    Waiting,
    account_snapshot,
    account_snapshot_from_json,
    cancel_results,
    fill_to_domain,
    fills_from_json,
    order_results,
    order_status_to_update,
    order_updates_from_json,
)

from .samples import (
    CLEARINGHOUSE_HIP3,
    CLEARINGHOUSE_MAIN,
    EXCHANGE_SAMPLES,
    FILL_DOCS,
    FILL_HIP3,
    FILL_LIQUIDATION,
    ORDER_STATUS,
    ORDER_STATUS_DOCS,
)

EXCHANGE = dict(EXCHANGE_SAMPLES)


def test_fill_to_domain_converts_every_field() -> None:
    fill = fill_to_domain(codec.structure(orjson.loads(FILL_HIP3), m.WireFill))
    assert fill.coin == "test:ABC"
    assert fill.px == Decimal("25.123") and fill.sz == Decimal("0.5")
    assert fill.side is Side.BUY and fill.signed_sz == Decimal("0.5")
    assert fill.time_ms == 1700000300000 and fill.oid == 123456789
    assert fill.tid == 883712001122334
    assert fill.cloid == Cloid.from_int(42)
    assert fill.start_position == Decimal("-15.0")
    assert fill.closed_pnl == Decimal("0.0385") and fill.fee == Decimal("0.001884")
    assert fill.fee_token == "USDC" and not fill.crossed and not fill.liquidation
    assert fill.dir == "Close Short"


def test_liquidation_and_builder_fee_fills() -> None:
    fills = fills_from_json(orjson.loads(f"[{FILL_LIQUIDATION},{FILL_DOCS}]"))
    assert fills[0].liquidation and fills[0].side is Side.SELL and fills[0].cloid is None
    assert fills[0].signed_sz == Decimal("-0.5")
    assert fills[1].fee == Decimal("0.01")


def test_fill_with_impossible_values_is_a_wire_error() -> None:
    raw = orjson.loads(FILL_HIP3)
    with pytest.raises(WireError) as info:
        fill_to_domain(codec.structure(dict(raw, side="X"), m.WireFill))
    assert info.value.field == "side"
    with pytest.raises(WireError) as info:
        fill_to_domain(codec.structure(dict(raw, px="n/a"), m.WireFill))
    assert info.value.field == "px"
    with pytest.raises(WireError) as info:
        fill_to_domain(codec.structure(dict(raw, sz="0.0"), m.WireFill))
    assert info.value.field == "sz"
    with pytest.raises(WireError) as info:
        fill_to_domain(codec.structure(dict(raw, cloid="0x1"), m.WireFill))
    assert info.value.field == "cloid"


def test_order_updates_map_to_domain_status() -> None:
    data = orjson.loads(
        '[{"order":{"coin":"test:ABC","side":"B","limitPx":"25.123","sz":"1.0","oid":1,'
        '"timestamp":5,"origSz":"1.5","cloid":"0x0000000000000000000000000000002a"},'
        '"status":"open","statusTimestamp":6},'
        '{"order":{"coin":"BTC","side":"A","limitPx":"96000.0","sz":"0.001","oid":601,'
        '"timestamp":1,"origSz":"0.001","reduceOnly":true},"status":"marginCanceled","statusTimestamp":2}]'
    )
    first, second = order_updates_from_json(data)
    assert first.order_status is OrderStatus.PARTIALLY_FILLED
    assert first.cloid == Cloid.from_int(42) and first.limit_px == Decimal("25.123")
    assert first.status_time_ms == 6 and first.timestamp_ms == 5 and not first.reduce_only
    assert second.order_status is OrderStatus.CANCELLED and second.reduce_only
    assert second.side is Side.SELL and second.cloid is None


def test_order_status_answers_become_updates_or_none() -> None:
    update = order_status_to_update(
        codec.structure(orjson.loads(ORDER_STATUS), m.OrderStatusResponse)
    )
    assert update is not None and update.order_status is OrderStatus.RESTING
    assert update.cloid == Cloid.from_int(42)
    done = order_status_to_update(
        codec.structure(orjson.loads(ORDER_STATUS_DOCS), m.OrderStatusResponse)
    )
    assert done is not None and done.order_status is OrderStatus.FILLED and done.cloid is None
    unknown = codec.structure({"status": "unknownOid"}, m.OrderStatusResponse)
    assert order_status_to_update(unknown) is None


def test_account_snapshot_keeps_positions_and_exchange_time() -> None:
    main = account_snapshot_from_json("", orjson.loads(CLEARINGHOUSE_MAIN))
    assert main.dex == "" and main.time_ms == 1700000001000
    assert main.szi("BTC") == Decimal("0.004") and main.szi("ETH") == 0
    btc = main.positions["BTC"]
    assert (
        btc.entry_px == Decimal("94995.0") and btc.leverage == 10 and btc.leverage_type == "cross"
    )
    assert main.account_value == Decimal("1000.01") and main.withdrawable == Decimal("962.011")
    hip3 = account_snapshot(
        "test", codec.structure(orjson.loads(CLEARINGHOUSE_HIP3), m.ClearinghouseState)
    )
    assert hip3.szi("test:ABC") == Decimal("-15.0")
    assert hip3.positions["test:ABC"].leverage_type == "isolated"


def test_flat_positions_are_left_out_of_snapshots() -> None:
    raw = orjson.loads(CLEARINGHOUSE_MAIN)
    raw["assetPositions"][0]["position"]["szi"] = "0.0"
    assert account_snapshot_from_json("", raw).positions == {}


def test_order_results_cover_every_status_shape() -> None:
    response = codec.structure(orjson.loads(EXCHANGE["order statuses docs"]), m.ExchangeResponse)
    assert order_results(response) == [
        Resting(77738308, Cloid.from_int(1)),
        Filled(Decimal("0.02"), Decimal("1891.4"), 77747314, Cloid.from_int(2)),
        Rejected("Order must have minimum value of $10."),
        Waiting("waitingForFill"),
        Waiting("waitingForTrigger"),
    ]
    no_cloid = codec.structure(orjson.loads(EXCHANGE["filled without cloid"]), m.ExchangeResponse)
    assert order_results(no_cloid) == [Filled(Decimal("0.001"), Decimal("95001.0"), 556)]


def test_whole_request_refusal_raises_exchange_error_with_venue_text() -> None:
    response = codec.structure(orjson.loads(EXCHANGE["duplicate nonce"]), m.ExchangeResponse)
    with pytest.raises(ExchangeError) as info:
        order_results(response)
    assert info.value.text == "Invalid nonce: duplicate nonce 1700000000000"


def test_cancel_results() -> None:
    response = codec.structure(orjson.loads(EXCHANGE["cancel error"]), m.ExchangeResponse)
    assert cancel_results(response) == [
        CancelSuccess(),
        Rejected("Order was never placed, already canceled, or filled."),
    ]
    default = codec.structure(orjson.loads(EXCHANGE["default"]), m.ExchangeResponse)
    with pytest.raises(WireError):
        cancel_results(default)
