"""Property tests: any JSON of a modelled shape round-trips through the codec, and any
single field given the wrong JSON type is reported by name."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from hip3.errors import WireError
from hip3.wire import codec
from hip3.wire import models as m
from hip3.wire.ws import parse_ws_message, ws_message_to_json

decimal_text = st.decimals(allow_nan=False, allow_infinity=False, places=6).map(str)
ints = st.integers(min_value=0, max_value=2**63 - 1)
text = st.text(max_size=12)
cloid = st.integers(min_value=0, max_value=2**128 - 1).map(lambda n: f"{n:#034x}")

REQUIRED_FILL = {
    "coin": text,
    "px": decimal_text,
    "sz": decimal_text,
    "side": st.sampled_from(["A", "B"]),
    "time": ints,
    "startPosition": decimal_text,
    "dir": text,
    "closedPnl": decimal_text,
    "hash": text,
    "oid": ints,
    "crossed": st.booleans(),
    "fee": decimal_text,
}
OPTIONAL_FILL = {
    "tid": ints,
    "feeToken": text,
    "cloid": cloid,
    "builderFee": decimal_text,
    "liquidation": st.fixed_dictionaries(
        {"method": st.sampled_from(["market", "backstop"])},
        optional={"markPx": decimal_text, "liquidatedUser": text},
    ),
    "twapId": st.none() | ints,
}
fills = st.fixed_dictionaries(REQUIRED_FILL, optional=OPTIONAL_FILL)

levels = st.lists(
    st.fixed_dictionaries({"px": decimal_text, "sz": decimal_text, "n": ints}), max_size=5
)
books = st.fixed_dictionaries(
    {"coin": text, "time": ints, "levels": st.tuples(levels, levels).map(list)}
)
ws_orders = st.fixed_dictionaries(
    {
        "order": st.fixed_dictionaries(
            {
                "coin": text,
                "side": st.sampled_from(["A", "B"]),
                "limitPx": decimal_text,
                "sz": decimal_text,
                "oid": ints,
                "timestamp": ints,
                "origSz": decimal_text,
            },
            optional={"cloid": cloid, "reduceOnly": st.booleans()},
        ),
        "status": st.sampled_from(["open", "filled", "canceled", "marginCanceled", "rejected"]),
        "statusTimestamp": ints,
    }
)
status_entries = st.one_of(
    st.sampled_from(["waitingForFill", "waitingForTrigger", "success"]),
    st.fixed_dictionaries({"error": text}),
    st.fixed_dictionaries(
        {"resting": st.fixed_dictionaries({"oid": ints}, optional={"cloid": cloid})}
    ),
    st.fixed_dictionaries(
        {
            "filled": st.fixed_dictionaries(
                {"totalSz": decimal_text, "avgPx": decimal_text, "oid": ints},
                optional={"cloid": cloid},
            )
        }
    ),
)
exchange_responses = st.one_of(
    st.fixed_dictionaries({"status": st.just("err"), "response": text}),
    st.fixed_dictionaries(
        {
            "status": st.just("ok"),
            "response": st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["order", "cancel"]),
                    "data": st.fixed_dictionaries(
                        {"statuses": st.lists(status_entries, max_size=4)}
                    ),
                }
            ),
        }
    ),
    st.just({"status": "ok", "response": {"type": "default"}}),
)


@given(st.lists(fills, max_size=4), st.sampled_from([None, True, False]))
def test_user_fills_messages_round_trip(
    raw_fills: list[dict[str, Any]], snapshot: bool | None
) -> None:
    data: dict[str, Any] = {"user": "0xabc", "fills": raw_fills}
    if snapshot is not None:
        data = {"isSnapshot": snapshot, **data}
    frame = {"channel": "userFills", "data": data}
    message = parse_ws_message(orjson.dumps(frame))
    assert isinstance(message, m.WsUserFills)
    assert ws_message_to_json(message) == frame


@given(fills)
def test_fill_round_trip_keeps_key_order_of_the_model(raw: dict[str, Any]) -> None:
    fill = codec.structure(raw, m.WireFill)
    assert codec.unstructure(fill) == raw
    again = codec.structure(codec.unstructure(fill), m.WireFill)
    assert again == fill and hash(again) == hash(fill)


@given(books)
def test_books_round_trip(raw: dict[str, Any]) -> None:
    book = codec.structure(raw, m.L2Book)
    assert codec.unstructure(book) == raw


@given(st.lists(ws_orders, max_size=4))
def test_order_updates_round_trip(raw: list[dict[str, Any]]) -> None:
    frame = {"channel": "orderUpdates", "data": raw}
    message = parse_ws_message(orjson.dumps(frame))
    assert ws_message_to_json(message) == frame


@given(exchange_responses)
def test_exchange_responses_round_trip(raw: dict[str, Any]) -> None:
    response = codec.structure(raw, m.ExchangeResponse)
    assert codec.unstructure(response) == raw


WRONG_VALUES: dict[type, Any] = {str: 1.5, int: "7", bool: 1}
FILL_TYPES = {
    "coin": str, "px": str, "sz": str, "side": str, "time": int, "startPosition": str,
    "dir": str, "closedPnl": str, "hash": str, "oid": int, "crossed": bool, "fee": str,
    "tid": int, "feeToken": str, "cloid": str, "builderFee": str, "twapId": int,
}  # fmt: skip


@given(st.lists(fills, min_size=1, max_size=3), st.data())
def test_any_field_with_a_wrong_json_type_is_named(
    raw_fills: list[dict[str, Any]], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(raw_fills) - 1), label="index")
    key = data.draw(st.sampled_from(sorted(FILL_TYPES)), label="key")
    bad = dict(raw_fills[index])
    bad[key] = WRONG_VALUES[FILL_TYPES[key]]
    raw_fills = [*raw_fills[:index], bad, *raw_fills[index + 1 :]]
    frame = orjson.dumps({"channel": "userFills", "data": {"user": "0xabc", "fills": raw_fills}})
    try:
        parse_ws_message(frame)
    except WireError as exc:
        assert exc.kind == "userFills"
        assert exc.field == f"fills[{index}].{key}"
    else:
        raise AssertionError(f"{key}={bad[key]!r} was accepted")


@given(st.lists(fills, min_size=1, max_size=3), st.data())
def test_any_missing_required_field_is_named(
    raw_fills: list[dict[str, Any]], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(raw_fills) - 1), label="index")
    key = data.draw(st.sampled_from(sorted(REQUIRED_FILL)), label="key")
    bad = {k: v for k, v in raw_fills[index].items() if k != key}
    raw_fills = [*raw_fills[:index], bad, *raw_fills[index + 1 :]]
    try:
        codec.structure(raw_fills, list[m.WireFill], kind="userFills")
    except WireError as exc:
        assert exc.field == f"[{index}].{key}"
        assert "missing" in str(exc)
    else:
        raise AssertionError(f"missing {key} was accepted")
