"""Fuzz the ws client's message dispatcher: hostile frames never raise out of it, never cost the
connection, and every one is either delivered to a subscriber, counted in ``WsStats``
(malformed / unknown / errors) or one of the few frames that need no count (pong, the greeting,
a well-formed subscription ack nobody waits for).

Two ways in: ``WsClient._dispatch`` called directly (many examples, no socket), and a real
loopback websocket server that acks the client's subscriptions and then sends a fuzzed stream
through the whole client (reader task, routing, queues) — ending with a sentinel message that
must arrive on the same connection.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import orjson
import pytest
import trio
import trio_websocket
from hypothesis import given, settings
from hypothesis import strategies as st
from wire.samples import WS_SAMPLES

from hip3.clients import Backoff, WsClient, open_ws_client
from hip3.clients.ws import SlowConsumerPolicy, Subscription

from .jsonfuzz import Draw, json_values, mutated_frame

USER = "0x14791697260e4c9a71f18484c9f997b308e59325"
GREETING = "Websocket connection established."
SUBSCRIPTIONS = ({"type": "userFills", "user": USER}, {"type": "l2Book", "coin": "BTC"})


def needs_no_count(frame: str | bytes) -> bool:
    """The frames the client may take silently (everything else must move a counter by one or
    reach a subscriber)."""
    if frame == GREETING:
        return True
    try:
        msg = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(msg, dict) or not isinstance(msg.get("channel"), str):
        return False
    if msg["channel"] == "pong":
        return True
    data = msg.get("data")
    return (
        msg["channel"] == "subscriptionResponse"
        and isinstance(data, dict)
        and isinstance(data.get("subscription"), dict)
    )


@st.composite
def frames(draw: Draw) -> str | bytes:
    kind = draw(st.sampled_from(("sample", "sample", "json", "text", "bytes", "error_id")))
    if kind == "error_id":  # venue error texts end with "id=<post id>": anything may follow
        tail = draw(st.text(max_size=6) | st.integers().map(str) | st.just("\u00b2"))
        return json.dumps({"channel": "error", "data": f"Order failed id={tail}"})
    if kind == "sample":
        _name, text, _cls = draw(st.sampled_from(WS_SAMPLES))
        return mutated_frame(text, draw)
    if kind == "json":
        channel = draw(st.sampled_from(["userFills", "l2Book", "post", "error", "pong", "x"]))
        return json.dumps({"channel": channel, "data": draw(json_values)})
    if kind == "text":
        return str(draw(st.text(max_size=50)).encode("utf-8", "replace").decode())
    return bytes(draw(st.binary(max_size=50)))


def counted(client: WsClient) -> int:
    return client.stats.malformed + client.stats.unknown + client.stats.errors


# ---------------------------------------------------------------------------
# The dispatcher alone
# ---------------------------------------------------------------------------


def _dispatch_one(frame: str | bytes) -> None:
    client = WsClient("ws://127.0.0.1:9/ws")
    before = counted(client)
    trio.run(client._dispatch, frame)  # must not raise
    delta = counted(client) - before
    assert delta == (0 if needs_no_count(frame) else 1), (frame, client.stats)


@settings(max_examples=300, deadline=None)
@given(frames())
def test_dispatch_never_raises_and_counts_every_bad_frame(frame: str | bytes) -> None:
    _dispatch_one(frame)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None)
@given(frames())
def test_dispatch_never_raises_long(frame: str | bytes) -> None:
    _dispatch_one(frame)


@pytest.mark.parametrize(
    "frame",
    [
        GREETING,
        '{"channel":"pong"}',
        "not json",
        b"\x00\xff",
        "[]",
        "null",
        '{"channel":7,"data":{}}',
        '{"channel":["userFills"],"data":{}}',
        '{"channel":"userFills"}',
        '{"channel":"userFills","data":null}',
        '{"channel":"post","data":{"id":"1"}}',
        '{"channel":"post","data":{"id":12345,"response":{}}}',
        '{"channel":"subscriptionResponse","data":"x"}',
        '{"channel":"error","data":null}',
        '{"channel":"error","data":"Order error id=99"}',
        '{"channel":"error","data":{"nested":[1,2]}}',
        '{"channel":"l2Book","data":' + "[" * 900 + "]" * 900 + "}",
        '{"channel":"l2Book","data":' + "[" * 5000 + "]" * 5000 + "}",
        '{"channel":"allMids","data":{"mids":{}}}',
        '{"channel":"userFills","data":{"user":"' + "x" * 1_000_000 + '","fills":[]}}',
    ],
)
def test_dispatch_hand_picked_frames(frame: str | bytes) -> None:
    _dispatch_one(frame)


def test_error_message_with_a_non_decimal_digit_id_is_counted() -> None:
    # Found by this fuzz (fixed by the clients engineer): "\u00b2".isdigit() is True but
    # int("\u00b2") raised ValueError out of _dispatch, which ended run() (no connection error):
    # one venue error text killed the client.
    _dispatch_one('{"channel":"error","data":"Order failed id=\u00b2"}')


# ---------------------------------------------------------------------------
# The whole client over a real loopback socket
# ---------------------------------------------------------------------------

_SENTINEL_FILL = {"coin": "SENTINEL", "tid": 424242}


def _sentinel() -> str:
    data = {"user": USER, "fills": [_SENTINEL_FILL]}
    return orjson.dumps({"channel": "userFills", "data": data}).decode()


def _is_sentinel(data: Any) -> bool:
    fills = data.get("fills") if isinstance(data, dict) else None
    return isinstance(fills, list) and bool(fills) and fills[0] == _SENTINEL_FILL


def _handler(stream: list[str | bytes]) -> Any:
    async def handler(request: trio_websocket.WebSocketRequest) -> None:
        ws = await request.accept()
        await ws.send_message(GREETING)
        acked = 0
        try:
            while True:
                msg = orjson.loads(await ws.get_message())
                if msg.get("method") == "subscribe":
                    ack = {"method": "subscribe", "subscription": msg["subscription"]}
                    await ws.send_message(
                        orjson.dumps({"channel": "subscriptionResponse", "data": ack}).decode()
                    )
                    acked += 1
                    if acked == len(SUBSCRIPTIONS):
                        for frame in stream:
                            await ws.send_message(frame)
                        await ws.send_message(_sentinel())
                elif msg.get("method") == "ping":
                    await ws.send_message('{"channel":"pong"}')
        except trio_websocket.ConnectionClosed:
            return

    return handler


async def _run_stream(stream: list[str | bytes]) -> None:
    async with trio.open_nursery() as nursery:
        server: trio_websocket.WebSocketServer = await nursery.start(
            functools.partial(
                trio_websocket.serve_websocket, _handler(stream), "127.0.0.1", 0, None
            )
        )
        backoff = Backoff(base_secs=0.01, cap_secs=0.05, max_attempts=3)
        url = f"ws://127.0.0.1:{server.port}/ws"
        async with open_ws_client(url, backoff=backoff) as client:
            subs = [await client.subscribe(s, maxsize=100_000) for s in SUBSCRIPTIONS]
            delivered = 0
            with trio.fail_after(30):
                while True:
                    event = await subs[0].receive()
                    if event.kind == "data" and _is_sentinel(event.data):
                        break
                    delivered += 1
            delivered += subs[1].queued  # the book's events, all queued by now
            stats = client.stats
            assert stats.reconnects == 0, stats  # the same connection carried it all
            assert not stats.dropped, stats
            silent = sum(needs_no_count(f) for f in stream)
            assert delivered + counted(client) + silent == len(stream), (delivered, stats, silent)
            client.stop()
        nursery.cancel_scope.cancel()


@settings(max_examples=8, deadline=None)
@given(st.lists(frames(), min_size=20, max_size=60))
def test_fuzzed_stream_through_a_real_socket_keeps_the_connection(
    stream: list[str | bytes],
) -> None:
    trio.run(_run_stream, stream)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.lists(frames(), min_size=50, max_size=300))
def test_fuzzed_stream_through_a_real_socket_long(stream: list[str | bytes]) -> None:
    trio.run(_run_stream, stream)


class _KeepAll:
    """A journal hook that records nothing: it only makes the client take the full parse."""

    def record(self, *args: Any, **kwargs: Any) -> None:
        pass


def _delivered(frame: str | bytes, *, full_parse: bool) -> tuple[list[Any], Any]:
    client = WsClient("ws://127.0.0.1:9/ws", recorder=_KeepAll() if full_parse else None)
    subs = [
        Subscription(client, s, SlowConsumerPolicy.DROP_OLDEST, 100)
        for s in (
            {"type": "userFills", "user": "0xab"},
            {"type": "l2Book", "coin": "BTC"},
            {"type": "trades", "coin": "BTC"},
        )
    ]
    client._subs.extend(subs)
    trio.run(client._dispatch, frame)
    events = [
        (i, e.kind, e.channel, e.data, e.is_snapshot)
        for i, s in enumerate(subs)
        for e in s._queue._items
    ]
    return events, (client.stats.malformed, client.stats.unknown, client.stats.errors)  # fmt: skip


_routable = st.builds(
    lambda channel, data: json.dumps({"channel": channel, "data": data}),
    st.sampled_from(["userFills", "l2Book", "trades", "x"]),
    json_values
    | st.fixed_dictionaries(
        {"user": st.sampled_from(["0xab", "0xcd", 1])},
        optional={"isSnapshot": st.sampled_from([True, False, 1, None]), "fills": json_values},
    )
    | st.lists(st.fixed_dictionaries({"coin": st.sampled_from(["BTC", "ETH", None])}), max_size=3),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(frames() | _routable)
def test_routing_without_a_full_parse_delivers_what_the_full_parse_does(
    frame: str | bytes,
) -> None:
    """The fast router (no journal) and the full parse (journal) deliver the same events to
    the same subscriptions and count the same frames."""
    assert _delivered(frame, full_parse=False) == _delivered(frame, full_parse=True)
