"""hip3.wire.codec: msgspec decoding of every answer kind, strictness the old stack had only
implicitly (absent vs null, decimals only as finite strings, no coercion) made explicit, and
decoding from bytes agreeing with structuring parsed JSON."""

from __future__ import annotations

import json
import pathlib
from decimal import Decimal
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hip3.domain import OrderStatus
from hip3.errors import WireError
from hip3.types import Cloid, Side
from hip3.wire import codec
from hip3.wire import models as m
from hip3.wire.to_domain import order_status_to_update
from hip3.wire.ws import parse_ws_message

from .samples import EXCHANGE_SAMPLES, FILL_HIP3, INFO_SAMPLES, WS_SAMPLES
from .test_properties import books, fills, ws_orders

INFO_IDS = [name for name, _, _ in INFO_SAMPLES]


@pytest.mark.parametrize(("name", "text", "cls"), INFO_SAMPLES, ids=INFO_IDS)
def test_decode_from_bytes_equals_structure_of_parsed_json(name: str, text: str, cls: Any) -> None:
    from_bytes = codec.decode(text.encode(), cls, kind=name)
    from_text = codec.decode(text, cls, kind=name)
    from_json = codec.structure(orjson.loads(text), cls, kind=name)
    assert from_bytes == from_text == from_json
    assert codec.unstructure(from_bytes) == orjson.loads(text)


@pytest.mark.parametrize(("name", "text"), EXCHANGE_SAMPLES, ids=[s[0] for s in EXCHANGE_SAMPLES])
def test_exchange_answers_decode_from_bytes_like_from_json(name: str, text: str) -> None:
    from_bytes = codec.decode(text.encode(), m.ExchangeResponse, kind=name)
    assert from_bytes == codec.structure(orjson.loads(text), m.ExchangeResponse)


def _paths(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every (path, leaf) of a JSON value, paths written as WireError.field writes them."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _paths(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _paths(v, f"{path}[{i}]")]
    return [(path, value)]


def _replace(value: Any, path: list[str | int], new: Any) -> Any:
    head, *rest = path
    copy: Any = list(value) if isinstance(value, list) else dict(value)
    copy[head] = new if not rest else _replace(value[head], rest, new)
    return copy


def _steps(value: Any, path: str = "") -> list[tuple[list[str | int], str]]:
    """Like _paths, with the keys/indices to reach each leaf."""
    if isinstance(value, dict):
        return [
            ([k, *steps], shown)
            for k, v in value.items()
            for steps, shown in _steps(v, f"{path}.{k}" if path else k)
        ]
    if isinstance(value, list):
        return [
            ([i, *steps], shown)
            for i, v in enumerate(value)
            for steps, shown in _steps(v, f"{path}[{i}]")
        ]
    return [([], path)]


def _decoded_leaf(obj: Any, steps: list[str | int]) -> Any:
    """The decoded value at the JSON path ``steps`` (Decimals kept as Decimals)."""
    tree = msgspec.to_builtins(obj, builtin_types=(Decimal, m.WireDecimal))
    for step in steps:
        tree = tree[step]
    return tree


@pytest.mark.parametrize(("name", "text", "cls"), INFO_SAMPLES, ids=INFO_IDS)
def test_every_string_given_as_a_number_is_refused_with_its_path(
    name: str, text: str, cls: Any
) -> None:
    """No coercion in any answer kind: a string field (decimal or not) sent as a JSON number
    is refused, and the error names that very field."""
    raw = orjson.loads(text)
    checked = 0
    for steps, shown in _steps(raw):
        if not steps or not isinstance(_get(raw, steps), str):
            continue
        if shown.endswith("liquidation.markPx"):  # the docs type it a number: both taken
            continue
        bad = _replace(raw, steps, 1.5)
        with pytest.raises(WireError) as info:
            codec.decode(orjson.dumps(bad), cls, kind=name)
        assert info.value.kind == name
        assert info.value.field == _as_msgspec_names(shown, cls), (shown, str(info.value))
        checked += 1
    assert checked


@pytest.mark.parametrize(("name", "text", "cls"), INFO_SAMPLES, ids=INFO_IDS)
@pytest.mark.parametrize("spelling", ["NaN", "Infinity", "-inf", "sNaN", "1,5", ""])
def test_every_decimal_refuses_non_finite_or_non_numeric_text(
    name: str, text: str, cls: Any, spelling: str
) -> None:
    raw = orjson.loads(text)
    decoded = codec.decode(text, cls, kind=name)
    checked = 0
    for steps, shown in _steps(raw):
        if not steps or not isinstance(_decoded_leaf(decoded, steps), Decimal):
            continue
        bad = _replace(raw, steps, spelling)
        with pytest.raises(WireError) as info:
            codec.decode(orjson.dumps(bad), cls, kind=name)
        assert info.value.field == _as_msgspec_names(shown, cls)
        assert "finite" in str(info.value) or "decimal" in str(info.value)
        checked += 1
    if name not in ("perpDexs", "perpDexs docs", "meta docs", "orderStatus unknown"):
        assert checked, "the sample has decimals"


def _as_msgspec_names(shown: str, cls: Any) -> str:
    """msgspec locates a value of a JSON map (``allMids``) as ``[...]``, not by its key."""
    return "[...]" if cls == m.AllMids else shown


def _get(value: Any, steps: list[str | int]) -> Any:
    for step in steps:
        value = value[step]
    return value


def test_absent_and_null_stay_apart_where_the_venue_uses_both() -> None:
    fill = orjson.loads(FILL_HIP3)
    with_null = codec.structure(fill, m.WireFill)
    assert with_null.twap_id is None
    del fill["twapId"]
    absent = codec.structure(fill, m.WireFill)
    assert absent.twap_id is m.ABSENT and not absent.twap_id
    assert "twapId" not in codec.unstructure(absent)
    assert codec.unstructure(with_null)["twapId"] is None


def test_null_is_refused_where_the_venue_always_sends_a_value() -> None:
    fill = orjson.loads(FILL_HIP3)
    for key in ("coin", "px", "side", "time", "oid", "crossed", "hash"):
        with pytest.raises(WireError) as info:
            codec.structure({**fill, key: None}, m.WireFill, kind="fill")
        assert info.value.field == key and "null" in str(info.value)


def test_null_is_kept_where_the_venue_sends_null() -> None:
    # liquidationPx/entryPx have no default: null is a value, written back as null.
    position = {
        "coin": "BTC", "szi": "0.0", "entryPx": None, "positionValue": "0.0",
        "unrealizedPnl": "0.0", "returnOnEquity": "0.0", "liquidationPx": None,
        "leverage": {"type": "cross", "value": 20}, "marginUsed": "0.0",
    }  # fmt: skip
    decoded = codec.structure(position, m.Position)
    assert decoded.entry_px is None and decoded.liquidation_px is None
    assert codec.unstructure(decoded) == position
    del position["liquidationPx"]
    with pytest.raises(WireError) as info:
        codec.structure(position, m.Position)
    assert info.value.field == "liquidationPx" and "missing" in str(info.value)


def test_decimals_keep_the_venues_text_on_the_way_back() -> None:
    # str() would write 9.4E-7; the venue's plain notation (and its trailing zeros) survive.
    record = {"coin": "BTC", "fundingRate": "-0.00000094", "premium": "0.00100", "time": 1}
    decoded = codec.structure(record, m.FundingRecord)
    assert decoded.funding_rate == Decimal("-9.4E-7")
    assert codec.unstructure(decoded) == record
    assert codec.dumps(decoded) == orjson.dumps(record)


def test_sides_are_side_and_an_unknown_side_is_named() -> None:
    fill = orjson.loads(FILL_HIP3)
    assert codec.structure(fill, m.WireFill).side is Side.BUY
    with pytest.raises(WireError) as info:
        codec.structure({**fill, "side": "X"}, m.WireFill, kind="fill")
    assert info.value.field == "side" and "'X'" in str(info.value)


def test_not_json_is_a_wire_error_naming_the_kind() -> None:
    with pytest.raises(WireError) as info:
        codec.decode(b'{"coin": ', m.L2Book, kind="l2Book")
    assert info.value.kind == "l2Book" and "invalid JSON" in str(info.value)
    with pytest.raises(WireError):
        codec.decode("\ud800", m.L2Book, kind="l2Book")


def test_array_shaped_channel_data_structure_and_back() -> None:
    frames = {name: orjson.loads(text) for name, text, _ in WS_SAMPLES if text.startswith("{")}
    for channel, cls in (("orderUpdates", m.WsOrderUpdates), ("trades", m.WsTrades)):
        (data,) = [f["data"] for f in frames.values() if f.get("channel") == channel][:1]
        value = codec.structure(data, cls)
        assert value == codec.decode(orjson.dumps(data), cls, kind=channel)
        assert codec.unstructure(value) == data


def test_nested_errors_inside_post_answers_keep_their_whole_path() -> None:
    frame = {
        "channel": "post",
        "data": {"id": 3, "response": {"type": "action", "payload": {
            "status": "ok", "response": {"type": "order", "data": {"statuses": [
                {"resting": {"oid": 1}}, {"filled": {"totalSz": "1", "avgPx": 2.5, "oid": 2}},
            ]}},
        }}},
    }  # fmt: skip
    with pytest.raises(WireError) as info:
        parse_ws_message(orjson.dumps(frame))
    assert info.value.kind == "post"
    assert info.value.field == "response.payload.response.data.statuses[1].filled.avgPx"
    assert "decimal string" in str(info.value)


def test_spot_balances_and_user_role_answers_decode() -> None:
    spot = codec.decode(
        b'{"balances":[{"coin":"USDC","token":0,"hold":"1.5","total":"10.25","entryNtl":"0.0"},'
        b'{"coin":"HYPE","token":150,"total":"2"}]}',
        m.SpotClearinghouseState,
        kind="spotClearinghouseState",
    )
    assert [(b.coin, b.total, b.hold) for b in spot.balances] == [
        ("USDC", Decimal("10.25"), Decimal("1.5")),
        ("HYPE", Decimal(2), None),
    ]
    with pytest.raises(WireError) as info:
        codec.decode(b'{"balances":[{"coin":"USDC","total":10}]}', m.SpotClearinghouseState,
                     kind="spotClearinghouseState")  # fmt: skip
    assert info.value.field == "balances[0].total"
    role = codec.decode(b'{"role":"agent","data":{"user":"0xAB"}}', m.UserRole, kind="userRole")
    assert role == m.UserRole("agent", {"user": "0xAB"})


RECORDED = pathlib.Path("/work/shared/fixtures/recorded/info_test__test_historical_orders.json")


def test_order_status_entry_maps_to_an_order_update() -> None:
    entry = {
        "order": {
            "coin": "xyz:GOLD", "side": "A", "limitPx": "2412.7", "sz": "0.0", "oid": 1,
            "timestamp": 1724361546645, "triggerCondition": "N/A", "isTrigger": False,
            "triggerPx": "0.0", "children": [], "isPositionTpsl": False, "reduceOnly": True,
            "orderType": "Limit", "origSz": "0.0076", "tif": "Gtc",
            "cloid": "0x00000000000000000000000000000001",
        },
        "status": "filled",
        "statusTimestamp": 1724361546650,
    }  # fmt: skip
    response = codec.structure({"status": "order", "order": entry}, m.OrderStatusResponse)
    update = order_status_to_update(response)
    assert update is not None
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
        response = codec.structure({"status": "order", "order": entry}, m.OrderStatusResponse)
        update = order_status_to_update(response)
        assert update is not None and update.status == entry["status"]
        assert update.oid == entry["order"]["oid"]
        assert update.order_status.is_terminal or entry["status"] in ("open", "triggered")


def test_known_decimals_are_shared_bounded_and_never_hold_a_refused_text() -> None:
    level = {"px": "95000.5", "sz": "1.25", "n": 1}
    first = codec.structure(level, m.L2Level)
    second = codec.decode(orjson.dumps(level), m.L2Level, kind="l2Book")
    assert first.px is second.px  # the same immutable Decimal, made once
    for bad in ("NaN", "Infinity", "x"):
        for _ in range(2):  # refused the second time too: a refusal is never remembered
            with pytest.raises(WireError):
                codec.structure({**level, "px": bad}, m.L2Level)
        assert bad not in m._known_decimals
    long_text = "1." + "0" * 100
    assert codec.structure({**level, "px": long_text}, m.L2Level).px == 1
    assert long_text not in m._known_decimals  # only short texts are kept
    for i in range(m._KNOWN_DECIMALS_MAX + 10):
        codec.structure({**level, "sz": f"{i}.5"}, m.L2Level)
    assert 0 < len(m._known_decimals) <= m._KNOWN_DECIMALS_MAX


@given(st.lists(fills, max_size=4), books, st.lists(ws_orders, max_size=3))
def test_decoding_bytes_equals_structuring_json_and_the_memo_changes_nothing(
    raw_fills: list[dict[str, Any]], raw_book: dict[str, Any], raw_orders: list[dict[str, Any]]
) -> None:
    for raw, cls in (
        (raw_fills, list[m.WireFill]),
        (raw_book, m.L2Book),
        (raw_orders, m.WsOrderUpdates),
    ):
        warm = codec.decode(orjson.dumps(raw), cls, kind="x")
        m._known_decimals.clear()
        cold = codec.decode(orjson.dumps(raw), cls, kind="x")
        assert warm == cold == codec.structure(raw, cls)
        assert codec.unstructure(cold) == raw
