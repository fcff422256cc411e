"""Every example payload of hyperliquid-api.md parses into typed objects and writes back as the
same JSON (absent optional keys stay absent, nulls stay null)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
import pytest

from hip3.wire import codec
from hip3.wire import models as m
from hip3.wire.ws import parse_ws_message, ws_message_to_bytes, ws_message_to_json

from .samples import EXCHANGE_SAMPLES, INFO_SAMPLES, WS_SAMPLES


def _same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values, and with the same key order at every level."""
    return bool(orjson.dumps(a) == orjson.dumps(b))


@pytest.mark.parametrize(("name", "text", "cls"), INFO_SAMPLES, ids=[s[0] for s in INFO_SAMPLES])
def test_info_response_round_trips_to_identical_json(name: str, text: str, cls: Any) -> None:
    raw = orjson.loads(text)
    obj = codec.structure(raw, cls)
    assert codec.unstructure(obj) == raw
    assert orjson.loads(codec.dumps(obj)) == raw


@pytest.mark.parametrize(("name", "text"), EXCHANGE_SAMPLES, ids=[s[0] for s in EXCHANGE_SAMPLES])
def test_exchange_response_round_trips_to_identical_json(name: str, text: str) -> None:
    raw = orjson.loads(text)
    obj = codec.structure(raw, m.ExchangeResponse)
    assert isinstance(obj, m.ExchangeResponse)
    assert _same_json(codec.unstructure(obj), raw)


@pytest.mark.parametrize(("name", "text", "cls"), WS_SAMPLES, ids=[s[0] for s in WS_SAMPLES])
def test_ws_message_parses_to_its_channel_class_and_round_trips(
    name: str, text: str, cls: type
) -> None:
    message = parse_ws_message(text.encode())
    assert type(message) is cls
    assert ws_message_to_json(message) == orjson.loads(text)
    # bytes and str frames give the same object
    assert parse_ws_message(text) == message
    assert parse_ws_message(ws_message_to_bytes(message)) == message


def test_fill_key_order_survives_a_round_trip_for_the_documented_field_order() -> None:
    raw = orjson.loads(
        '{"coin":"BTC","px":"1.0","sz":"2.0","side":"B","time":1,"startPosition":"0.0",'
        '"dir":"Open Long","closedPnl":"0.0","hash":"0x00","oid":5,"crossed":true,"fee":"0.1",'
        '"tid":9,"feeToken":"USDC","cloid":"0x0000000000000000000000000000002a","twapId":null}'
    )
    fill = codec.structure(raw, m.WireFill)
    assert _same_json(codec.unstructure(fill), raw)


def test_absent_optional_keys_stay_absent_and_nulls_stay_null() -> None:
    old_fill = {
        "coin": "SUI",
        "px": "1.3189",
        "sz": "142.7",
        "side": "A",
        "time": 1683245884863,
        "startPosition": "4623.5",
        "dir": "Close Long",
        "closedPnl": "-0.25686",
        "hash": "0x3d",
        "oid": 189324432,
        "crossed": True,
        "fee": "0.0",
    }
    fill = codec.structure(old_fill, m.WireFill)
    assert fill.tid is None and fill.twap_id is m.ABSENT and not fill.twap_id
    assert codec.unstructure(fill) == old_fill
    with_null = dict(old_fill, twapId=None)
    assert codec.unstructure(codec.structure(with_null, m.WireFill)) == with_null


def test_plain_text_greeting_is_a_distinct_value_not_an_error() -> None:
    message = parse_ws_message(b"Websocket connection established.")
    assert message == m.WsPlainText("Websocket connection established.")
    assert ws_message_to_bytes(message) == b"Websocket connection established."


def test_ws_post_action_payload_is_a_typed_exchange_response() -> None:
    message = parse_ws_message(dict(WS_SAMPLES_BY_NAME)["post action resting"])
    assert isinstance(message, m.WsPost)
    assert message.id == 256
    payload = message.response.payload
    assert isinstance(payload, m.ExchangeResponse)
    assert isinstance(payload.response, m.ExchangeResponseBody)
    assert isinstance(payload.response.data, m.StatusesData)
    assert payload.response.data.statuses == [m.RestingStatus(m.RestingInfo(88383))]


def test_ws_post_info_payload_keeps_the_info_body_for_structuring_by_type() -> None:
    message = parse_ws_message(dict(WS_SAMPLES_BY_NAME)["post info"])
    assert isinstance(message, m.WsPost)
    payload = message.response.payload
    assert isinstance(payload, m.WsPostInfoPayload)
    assert payload.type == "openOrders"
    orders = codec.structure(payload.data, list[m.OpenOrder])
    assert orders[0].cloid == "0x0000000000000000000000000000002a"


def test_user_events_carry_exactly_the_key_sent() -> None:
    funding = parse_ws_message(dict(WS_SAMPLES_BY_NAME)["user funding"])
    assert isinstance(funding, m.WsUserEvents)
    assert funding.fills is None and funding.funding is not None
    assert funding.funding.n_samples is None
    cancel = parse_ws_message(dict(WS_SAMPLES_BY_NAME)["user nonUserCancel"])
    assert isinstance(cancel, m.WsUserEvents)
    assert cancel.non_user_cancel == [m.WsNonUserCancel("BTC", 601)]


def test_decoded_objects_are_ordinary_frozen_instances() -> None:
    message = parse_ws_message(dict(WS_SAMPLES_BY_NAME)["l2Book"])
    assert isinstance(message, m.L2Book)
    level = message.levels[0][0]
    assert type(level) is m.L2Level
    assert level == m.L2Level(Decimal("94995.0"), Decimal("1.2"), 4)
    assert hash(level) == hash(m.L2Level(Decimal("94995.0"), Decimal("1.2"), 4))
    with pytest.raises(AttributeError):
        level.px = Decimal(1)  # type: ignore[misc]


WS_SAMPLES_BY_NAME = [(name, text) for name, text, _ in WS_SAMPLES]


def test_book_level_is_typed_immutable_and_unpacks_with_the_venues_json() -> None:
    level = m.L2Level(Decimal("94995.0"), Decimal("1.2"), 4)
    assert (level.px, level.sz, level.n) == (Decimal("94995.0"), Decimal("1.2"), 4)
    px, sz, n = level
    assert (px, sz, n) == tuple(level)
    with pytest.raises(AttributeError):
        level.n = 5  # type: ignore[misc]
    as_json = {"px": "94995.0", "sz": "1.2", "n": 4}
    assert codec.unstructure(level) == as_json
    assert list(codec.unstructure(level)) == ["px", "sz", "n"]  # the venue's key order
    structured: Any = codec.structure(as_json, m.L2Level)
    assert structured == level and type(structured) is m.L2Level
    assert codec.structure([as_json], list[m.L2Level]) == [level]
