"""Faults the simulator cannot produce, against tests/clients/fakevenue.py (a scripted venue
over real loopback sockets). Every other fault test runs against hip3.sim
(test_on_sim_faults.py). What stays here, and why:

* malformed and unknown ws messages (non-JSON frames, objects without a channel, unknown
  channels): the simulator only ever sends well-formed venue messages;
* ``userFillsByTime`` paging where a page boundary splits a millisecond (2500 fills, three per
  ms): the simulator would need thousands of real trades and cannot pack them into one ms;
* an ``/exchange`` answered 5xx *after* the action executed: the simulator's 5xx refuses the
  request before the engine sees it (its faults never change the truth), so only a scripted
  venue can show that such an order is resolved as executed and not posted again;
* a ws client with no venue at all (nothing to simulate).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import trio

from hip3.clients import (
    Backoff,
    InfoClient,
    WsClient,
    WsEvent,
    open_ws_client,
)
from hip3.clients.exchange import ExchangeClient, PlaceOrder, Resolved
from hip3.domain import OrderStatus
from hip3.signing import PrivateKey
from hip3.types import Side

from .fakevenue import Venue, fill

USER = "0x" + "ab" * 20
FAST = Backoff(base_secs=0.01, cap_secs=0.05, jitter=0.5, max_attempts=20)


@pytest.fixture
async def venue(nursery: trio.Nursery) -> AsyncIterator[Venue]:
    v: Venue = await nursery.start(Venue().serve)
    yield v


class Universe:
    def asset(self, coin: str) -> int:
        return {"BTC": 0}[coin]


KEY = PrivateKey.from_hex("0x" + "11" * 32)  # a throwaway test key (the fake venue does not check)


async def next_data(sub: Any) -> WsEvent:
    with trio.fail_after(5):
        while True:
            ev: WsEvent = await sub.receive()
            if ev.kind == "data":
                return ev


async def test_ws_malformed_and_unknown_messages_are_counted_logged_once_and_skipped(
    venue: Venue, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_ws_client(venue.ws_url, backoff=FAST) as ws:
        sub = await ws.subscribe({"type": "userFills", "user": USER})
        await next_data(sub)
        with caplog.at_level(logging.WARNING, logger="hip3.clients.ws"):
            for _ in range(3):
                await venue.push_raw("{not json")
            await venue.push_raw('{"no": "channel"}')
            await venue.push({"channel": "mystery", "data": {}})
            await venue.push({"channel": "mystery", "data": {}})
            await venue.push_fill(fill(7))
            ev = await next_data(sub)
        assert ev.data["fills"][0]["tid"] == 7  # the stream goes on after the junk
        assert ws.stats.malformed == 4 and ws.stats.unknown == 2
        assert ws.stats.reconnects == 0
        skipped = [r.getMessage() for r in caplog.records if "skipping" in r.getMessage()]
        assert len(skipped) == 2  # one line per kind, not per message
        assert any("malformed" in m for m in skipped) and any("mystery" in m for m in skipped)


async def test_user_fills_by_time_pages_through_full_pages_and_dedups(venue: Venue) -> None:
    # 2500 fills, 3 per millisecond, so page boundaries split a millisecond.
    venue.fills = [fill(tid, time_ms=tid // 3) for tid in range(1, 2501)]
    async with InfoClient(venue.url, backoff=FAST) as info:
        fills = await info.user_fills_by_time(USER, 0)
    assert [f.tid for f in fills] == list(range(1, 2501))


async def test_ws_client_reports_transport_error_when_venue_absent() -> None:
    client = WsClient(
        "ws://127.0.0.1:9/ws", backoff=Backoff(base_secs=0.01, cap_secs=0.02, max_attempts=2)
    )
    from hip3.errors import TransportError

    with pytest.raises(TransportError, match="cannot connect"):
        await client.run()


async def test_exchange_5xx_after_send_is_resolved_not_reposted(venue: Venue) -> None:
    async with InfoClient(venue.url, backoff=FAST) as info:
        ex = ExchangeClient(
            venue.url,
            KEY,
            USER,
            universe=Universe(),
            info=info,
            resolve_poll_secs=0.01,
        )
        venue.exchange_500_after_processing = True
        [r] = await ex.place_orders([PlaceOrder("BTC", Side.BUY, Decimal("100"), Decimal("1"))])
        assert isinstance(r, Resolved) and r.status is OrderStatus.RESTING
        assert venue.order_posts == 1


async def test_a_malformed_fill_in_a_page_is_skipped_and_the_window_moves_on(
    venue: Venue,
) -> None:
    # 2100 fills over loopback, one of them refused by the wire model (hash null) and one
    # by the domain (size 0): the page keeps its other 1999, paging continues past it.
    venue.fills = [fill(tid, time_ms=tid) for tid in range(1, 2101)]
    venue.fills[10]["hash"] = None
    venue.fills[20]["sz"] = "0.0"
    async with InfoClient(venue.url, backoff=FAST) as info:
        fills = await info.fills_since(USER, 0)
        assert info.malformed_fills == 2
    tids = [f.tid for f in fills]
    assert len(tids) == 2098 and 11 not in tids and 21 not in tids and tids[-1] == 2100


async def test_decimals_the_venue_sends_as_numbers_or_nan_are_skipped_and_named(
    venue: Venue, caplog: pytest.LogCaptureFixture
) -> None:
    # Decoded from the page's bytes: a price as a JSON number, a NaN size and an infinite fee
    # are each refused with the fill's index and field, counted, and the rest of the page kept.
    venue.fills = [fill(tid, time_ms=tid) for tid in range(1, 11)]
    venue.fills[2]["px"] = 25.5
    venue.fills[4]["sz"] = "NaN"
    venue.fills[6]["fee"] = "-Infinity"
    caplog.set_level(logging.WARNING, logger="hip3.clients.info")
    async with InfoClient(venue.url, backoff=FAST) as info:
        fills = await info.fills_since(USER, 0)
        assert info.malformed_fills == 3
    assert [f.tid for f in fills] == [1, 2, 4, 6, 8, 9, 10]
    assert all(isinstance(f.px, Decimal) for f in fills)
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "userFillsByTime[2]" in warned and "'px'" in warned and "decimal string" in warned


def test_lazy_data_of_a_routed_frame_always_parses() -> None:
    """Frames routed without a full parse (the fast path) hand consumers ``data`` parsed by
    the same grammar; what the fast scan cannot take goes to the full path instead."""
    from hip3.clients.ws import _LAZY, WsEvent, _route

    for frame in (
        '{"channel":"l2Book","data":{"coin":"BTC","x":1e400}}',
        '{"channel":"l2Book","data":{"coin":"BTC","x":123456789012345678901234567890}}',
        '{"channel":"userFills","data":{"user":"0xab","isSnapshot":true,"fills":[]}}',
    ):
        routed = _route(frame)
        assert routed is not None
        channel, keys, is_snapshot = routed
        event = WsEvent("data", channel, _LAZY, is_snapshot, frame)
        assert event.data["coin" if channel == "l2Book" else "user"] in ("BTC", "0xab")
        assert keys and is_snapshot is (channel == "userFills")
    for frame in ('{"channel":"l2Book","data":{"coin":"\ud800"}}', '{"channel":"pong"}', "[1"):
        assert _route(frame) is None
    # Invalid UTF-8 in a byte frame, inside data routing skips: the full path decides.
    assert _route(b'{"channel":"l2Book","data":{"coin":"BTC","x":["\xff"]}}') is None
