"""Malformed venue input raises WireError naming the message kind and the field path."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from hip3.errors import WireError
from hip3.wire import codec
from hip3.wire import models as m
from hip3.wire.ws import parse_ws_message

from .samples import CLEARINGHOUSE_MAIN, FILL_HIP3, META_MAIN, USER


def _fill(**changes: Any) -> dict[str, Any]:
    fill: dict[str, Any] = orjson.loads(FILL_HIP3)
    for key, value in changes.items():
        if value is ...:
            del fill[key]
        else:
            fill[key] = value
    return fill


def _user_fills_frame(*fills: dict[str, Any]) -> bytes:
    return orjson.dumps({"channel": "userFills", "data": {"user": USER, "fills": list(fills)}})


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"tid": "883712001122334"}, "fills[1].tid", "integer"),
        ({"px": 25.123}, "fills[1].px", "string"),
        ({"oid": ...}, "fills[1].oid", "missing"),
        ({"crossed": 0}, "fills[1].crossed", "boolean"),
        ({"time": True}, "fills[1].time", "integer"),
        ({"cloid": 42}, "fills[1].cloid", "string"),
        ({"twapId": "7"}, "fills[1].twapId", "integer"),
        ({"liquidation": {"markPx": "1"}}, "fills[1].liquidation.method", "missing"),
    ],
)
def test_bad_fill_in_a_ws_message_names_channel_and_field(
    change: dict[str, Any], field: str, words: str
) -> None:
    frame = _user_fills_frame(_fill(), _fill(**change))
    with pytest.raises(WireError) as info:
        parse_ws_message(frame)
    assert info.value.kind == "userFills"
    assert info.value.field == field
    assert words in str(info.value)
    assert field in str(info.value)


@pytest.mark.parametrize(
    ("frame", "kind", "field"),
    [
        (
            b'{"channel":"l2Book","data":{"coin":"BTC","time":1,"levels":[[{"px":"1","sz":"1"}],[]]}}',
            "l2Book",
            "levels[0][0].n",
        ),
        (b'{"channel":"l2Book","data":{"coin":"BTC","time":1,"levels":[[]]}}', "l2Book", "levels"),
        (b'{"channel":"l2Book","data":{"coin":"BTC","levels":[[],[]]}}', "l2Book", "time"),
        (
            b'{"channel":"orderUpdates","data":[{"order":{"coin":"BTC","side":"A","limitPx":"1","sz":"1","oid":"1","timestamp":1,"origSz":"1"},"status":"open","statusTimestamp":1}]}',
            "orderUpdates",
            "[0].order.oid",
        ),
        (b'{"channel":"orderUpdates","data":{"order":{}}}', "orderUpdates", None),
        (
            b'{"channel":"trades","data":[{"coin":"BTC","side":"B","px":"1","sz":"1","hash":"0x","time":1,"tid":1,"users":["a"]}]}',
            "trades",
            "[0].users",
        ),
        (
            b'{"channel":"user","data":{"funding":{"time":1,"coin":"BTC","usdc":1,"szi":"1","fundingRate":"0"}}}',
            "user",
            "funding.usdc",
        ),
        (
            b'{"channel":"post","data":{"id":"1","response":{"type":"error","payload":"x"}}}',
            "post",
            "id",
        ),
        (
            b'{"channel":"post","data":{"id":1,"response":{"type":"action","payload":{"status":"maybe","response":"x"}}}}',
            "post",
            "response",
        ),
        (b'{"channel":"allMids","data":{"mids":{"BTC":1.5}}}', "allMids", "mids"),
        (b'{"channel":"error","data":{"text":"x"}}', "error", None),
        (
            b'{"channel":"subscriptionResponse","data":{"method":"subscribe"}}',
            "subscriptionResponse",
            "subscription",
        ),
        (b'{"channel":"userFills"}', "userFills", "data"),
    ],
)
def test_malformed_ws_message_raises_wire_error_with_kind_and_field(
    frame: bytes, kind: str, field: str | None
) -> None:
    with pytest.raises(WireError) as info:
        parse_ws_message(frame)
    assert info.value.kind == kind
    if field is not None:
        assert info.value.field is not None and info.value.field.startswith(field)


@pytest.mark.parametrize(
    "frame",
    [
        b'{"channel": "userFills", "data": {',
        b"[1, 2]",
        b'"text"',
        b"",
        b"   ",
        b'{"data": 1}',
        b"\xff\xfe",
    ],
)
def test_broken_frames_are_wire_errors_not_plain_text(frame: bytes) -> None:
    with pytest.raises(WireError):
        parse_ws_message(frame)


def test_info_response_errors_name_the_nested_path() -> None:
    state = orjson.loads(CLEARINGHOUSE_MAIN)
    state["assetPositions"][0]["position"]["leverage"]["type"] = "portfolio"
    with pytest.raises(WireError) as info:
        codec.structure(state, m.ClearinghouseState, kind="clearinghouseState")
    assert info.value.kind == "clearinghouseState"
    assert info.value.field == "assetPositions[0].position.leverage.type"

    meta = orjson.loads(META_MAIN)
    del meta["universe"][1]["szDecimals"]
    with pytest.raises(WireError) as info:
        codec.structure(meta, m.Meta)
    assert info.value.kind == "Meta"
    assert info.value.field == "universe[1].szDecimals"
    assert "missing" in str(info.value)


def test_exchange_response_with_unknown_status_entry_is_a_wire_error() -> None:
    raw = {"status": "ok", "response": {"type": "order", "data": {"statuses": [{"queued": {}}]}}}
    with pytest.raises(WireError) as info:
        codec.structure(raw, m.ExchangeResponse, kind="order")
    assert info.value.field == "response.data.statuses[0]"


def test_a_fill_that_is_not_an_object_is_named() -> None:
    frame = orjson.dumps({"channel": "userFills", "data": {"user": USER, "fills": ["x"]}})
    with pytest.raises(WireError) as info:
        parse_ws_message(frame)
    assert info.value.field == "fills[0]"
    assert "expected an object" in str(info.value)


def test_wire_error_keeps_a_sample_of_the_input() -> None:
    with pytest.raises(WireError) as info:
        codec.structure({"coin": "BTC"}, m.L2Book)
    assert info.value.sample == {"coin": "BTC"}


def test_unknown_keys_are_tolerated_everywhere() -> None:
    fill = _fill(feeTrialEscrow="0.0", somethingNew={"x": [1]})
    message = parse_ws_message(_user_fills_frame(fill))
    assert isinstance(message, m.WsUserFills)
    assert message.fills[0].tid == 883712001122334


def test_loads_rejects_invalid_json_with_wire_error() -> None:
    with pytest.raises(WireError):
        codec.loads(b"{nope")
    assert codec.loads('{"a": 1}') == {"a": 1}


def _book_frame(bids: list[Any], asks: list[Any]) -> bytes:
    data = {"coin": "BTC", "time": 1, "levels": [bids, asks]}
    return orjson.dumps({"channel": "l2Book", "data": data})


_LEVEL: dict[str, Any] = {"px": "95000.0", "sz": "1.5", "n": 3}


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        ({**_LEVEL, "n": True}, "levels[1][1].n", "expected an integer"),
        ({**_LEVEL, "n": 3.0}, "levels[1][1].n", "expected an integer"),
        ({**_LEVEL, "n": "3"}, "levels[1][1].n", "expected an integer"),
        ({**_LEVEL, "px": 95000.0}, "levels[1][1].px", "expected a decimal string, got a number"),
        ({**_LEVEL, "sz": None}, "levels[1][1].sz", "expected a decimal string, got null"),
        ({**_LEVEL, "sz": "NaN"}, "levels[1][1].sz", "not a finite number"),
        ({**_LEVEL, "px": "95k"}, "levels[1][1].px", "not a decimal number"),
        ({"px": "1", "n": 3}, "levels[1][1].sz", "required field is missing"),
        (["95000.0", "1.5", 3], "levels[1][1]", "expected an object"),
        ("95000.0", "levels[1][1]", "expected an object"),
    ],
)
def test_bad_book_level_names_its_side_index_and_field(bad: Any, field: str, words: str) -> None:
    frame = _book_frame([_LEVEL, _LEVEL], [_LEVEL, bad, _LEVEL])
    with pytest.raises(WireError) as info:
        parse_ws_message(frame)
    assert info.value.kind == "l2Book"
    assert info.value.field == field
    assert words in str(info.value)
    with pytest.raises(WireError) as direct:
        codec.structure(orjson.loads(frame)["data"], m.L2Book)
    assert direct.value.field == field


def test_a_book_side_that_is_not_an_array_is_located() -> None:
    frame = orjson.dumps({"channel": "l2Book", "data": {"coin": "BTC", "time": 1,
                                                        "levels": [[_LEVEL], {"px": "1"}]}})  # fmt: skip
    with pytest.raises(WireError) as info:
        parse_ws_message(frame)
    assert info.value.field == "levels[1]"
