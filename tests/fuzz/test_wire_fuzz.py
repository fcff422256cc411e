"""Fuzz every wire parser: whatever arrives, the only exception is the typed WireError (or, for
domain conversion, another Hip3Error), and whatever parses is a proper typed object.

* ``parse_ws_message`` on random bytes, random JSON, and every ws sample of the api document
  mutated (fields dropped, type-confused, unknown keys, wrapped, emptied), truncated or with
  bytes spliced in; plus oversized frames (many fills, huge strings, deep nesting).
* ``structure`` on every info and exchange response sample, mutated the same way; what
  structures is then converted to domain records (fills, order updates, account snapshots,
  order/cancel results, order status), which must only raise Hip3Error.
* the bot's ws-data converters (``hip3.bot.defaults.converters()`` and ``book_from_l2``), which
  receive the raw ``data`` of a ws message: only Hip3Error, which the feeds count as malformed.

Default runs are modest (CI); ``pytest -m slow tests/fuzz`` runs the same properties long.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wire.samples import EXCHANGE_SAMPLES, INFO_SAMPLES, WS_SAMPLES

from hip3.errors import Hip3Error, WireError
from hip3.wire import loads, structure, to_domain
from hip3.wire import models as m
from hip3.wire.ws import CHANNEL_CLASSES, parse_ws_message, ws_message_to_bytes

from .jsonfuzz import Draw, json_values, mutate, mutated_frame

QUICK = 150
LONG = 4000

WS_MESSAGE_CLASSES = (
    *CHANNEL_CLASSES.values(),
    m.WsPlainText,
    m.WsPong,
    m.WsUnknown,
)


def check_ws_frame(frame: str | bytes) -> None:
    try:
        message = parse_ws_message(frame)
    except WireError as exc:
        assert str(exc)  # a readable message, never empty
        return
    assert isinstance(message, WS_MESSAGE_CLASSES), type(message)
    ws_message_to_bytes(message)  # anything parsed can be written back (captures)


@st.composite
def ws_frames(draw: Draw) -> str | bytes:
    _name, text, _cls = draw(st.sampled_from(WS_SAMPLES))
    return mutated_frame(text, draw)


@st.composite
def ws_frames_any_json(draw: Draw) -> str:
    channel = draw(st.sampled_from([*CHANNEL_CLASSES, "pong", "nope", ""]) | st.text(max_size=5))
    frame: Any = {"channel": channel, "data": draw(json_values)}
    if draw(st.booleans()):
        frame = draw(json_values)
    return json.dumps(frame)


def _info_value(draw: Draw) -> tuple[str, Any, Any]:
    name, text, cls = draw(st.sampled_from(INFO_SAMPLES))
    return name, mutate(orjson.loads(text), draw), cls


@st.composite
def info_values(draw: Draw) -> tuple[str, Any, Any]:
    return _info_value(draw)


@st.composite
def exchange_values(draw: Draw) -> Any:
    _name, text = draw(st.sampled_from(EXCHANGE_SAMPLES))
    return mutate(orjson.loads(text), draw)


def _domain(cls: Any, parsed: Any) -> None:
    """Convert what structured to domain records as hip3 does; only Hip3Error may come out."""
    try:
        if cls == list[m.WireFill]:
            to_domain.fills_to_domain(parsed)
        elif cls is m.ClearinghouseState:
            to_domain.account_snapshot("", parsed)
        elif cls is m.OrderStatusResponse:
            to_domain.order_status_to_update(parsed)
    except Hip3Error:
        pass


def check_info(case: tuple[str, Any, Any]) -> None:
    name, value, cls = case
    try:
        parsed = structure(value, cls, kind=name)
    except WireError as exc:
        assert exc.kind == name
        return
    _domain(cls, parsed)


def check_exchange(value: Any) -> None:
    try:
        response = structure(value, m.ExchangeResponse, kind="exchange")
    except WireError as exc:
        assert exc.kind == "exchange"
        return
    for results in (to_domain.order_results, to_domain.cancel_results):
        try:
            results(response)
        except Hip3Error:
            pass


@st.composite
def ws_data(draw: Draw) -> tuple[str, Any]:
    """(channel, the ``data`` a ws message of that channel carried), mutated."""
    name, text, _cls = draw(
        st.sampled_from(
            [s for s in WS_SAMPLES if s[0].split()[0] in ("userFills", "orderUpdates", "l2Book")]
        )
    )
    message = orjson.loads(text)
    data = draw(st.sampled_from([message["data"], None])) or draw(json_values)
    return name.split()[0], mutate(data, draw) if draw(st.booleans()) else data


def check_bot_converters(case: tuple[str, Any]) -> None:
    from hip3.bot import defaults
    from hip3.bot.book import book_from_l2

    channel, data = case
    converters = defaults.converters()
    convert_data: Callable[[Any], Any] = {
        "userFills": converters.fills,
        "orderUpdates": converters.order_updates,
        "l2Book": book_from_l2,
    }[channel]
    try:
        convert_data(data)
    except Hip3Error as exc:
        # The bot's feeds count it as malformed and go on; the error must say what was wrong.
        assert str(exc), repr(exc)


def check_loads(raw: bytes) -> None:
    try:
        loads(raw)
    except WireError:
        pass


PROPERTIES: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], None]]] = {
    "ws_bytes": (st.binary(max_size=300), check_ws_frame),
    "ws_text": (st.text(max_size=200), check_ws_frame),
    "ws_any_json": (ws_frames_any_json(), check_ws_frame),
    "ws_mutated_samples": (ws_frames(), check_ws_frame),
    "info_mutated_samples": (info_values(), check_info),
    "exchange_mutated_samples": (exchange_values(), check_exchange),
    "bot_ws_data_converters": (ws_data(), check_bot_converters),
    "loads_bytes": (st.binary(max_size=100), check_loads),
}


def _property_test(name: str, examples: int) -> Callable[[], None]:
    strategy, check = PROPERTIES[name]

    @settings(max_examples=examples, deadline=None)
    @given(strategy)
    def test(value: Any) -> None:
        check(value)

    test.__name__ = f"fuzz_{name}"
    return test


# bot_ws_data_converters found a bug (fixed by the clients engineer): hip3/bot/defaults.py
# fills() did ``data.get`` on the raw ws data, so a userFills message whose data was not an
# object raised AttributeError and ended the bot's userFills feed.
_NAMES = sorted(PROPERTIES)


@pytest.mark.parametrize("name", _NAMES)
def test_fuzz(name: str) -> None:
    _property_test(name, QUICK)()


@pytest.mark.slow
@pytest.mark.parametrize("name", _NAMES)
def test_fuzz_long(name: str) -> None:
    _property_test(name, LONG)()


# ---------------------------------------------------------------------------
# Oversized and pathological frames (deterministic)
# ---------------------------------------------------------------------------

_FILL = orjson.loads(dict((n, t) for n, t, _ in WS_SAMPLES)["user fills"])["data"]["fills"][0]


def test_a_snapshot_of_twenty_thousand_fills_parses() -> None:
    frame = orjson.dumps(
        {
            "channel": "userFills",
            "data": {"user": "0xab", "isSnapshot": True, "fills": [_FILL] * 20_000},
        }
    )
    message = parse_ws_message(frame)
    assert isinstance(message, m.WsUserFills) and len(message.fills) == 20_000


def test_a_bad_fill_deep_in_a_big_snapshot_is_named() -> None:
    fills = [dict(_FILL) for _ in range(5_000)]
    fills[4_321]["tid"] = "not a number"
    frame = orjson.dumps({"channel": "userFills", "data": {"user": "0xab", "fills": fills}})
    with pytest.raises(WireError) as caught:
        parse_ws_message(frame)
    assert caught.value.field == "fills[4321].tid"


@pytest.mark.parametrize(
    "frame",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than any parser recursion limit
        '{"channel":"userFills","data":' + "[" * 5_000 + "]" * 5_000 + "}",
        '{"channel":"post","data":{"id":1,"response":{"type":"info","payload":{"type":"x",'
        '"data":' + "[" * 5_000 + "]" * 5_000 + "}}}}",  # deep inside a field kept as JSON
        '{"channel":"l2Book","data":{"coin":"BTC","time":1,"levels":[[],[]],"x":"'
        + "A" * 5_000_000
        + '"}}',
        '{"channel":"' + "c" * 1_000_000 + '","data":1}',
        b"\xff\xfe" * 100_000,
        "\ud800",  # a lone surrogate (not encodable as UTF-8)
        "",
        " ",
        '{"channel":"trades","data":[' + ",".join(["{}"] * 50_000) + "]}",
    ],
    ids=["deep", "deep-data", "deep-post-data", "huge-string", "huge-channel", "binary", "surrogate", "empty",
         "space", "50k-empty-objects"],
)  # fmt: skip
def test_pathological_frames_give_a_message_or_wire_error(frame: str | bytes) -> None:
    check_ws_frame(frame)


def test_wire_error_keeps_samples_but_its_text_stays_short() -> None:
    frame = '{"channel":"l2Book","data":{"coin":"' + "x" * 1_000_000 + '","time":"t","levels":[]}}'
    with pytest.raises(WireError) as caught:
        parse_ws_message(frame)
    assert len(str(caught.value)) < 1_000  # logged once per kind: must not flood the log


def test_every_parsed_sample_is_frozen() -> None:
    for _name, text, cls in WS_SAMPLES:
        message = parse_ws_message(text)
        assert type(message) is cls
        fields = msgspec.structs.fields(cls)
        if fields:
            with pytest.raises(AttributeError):
                setattr(message, fields[0].name, None)
