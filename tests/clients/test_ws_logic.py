"""WsClient pieces that need no socket: heartbeat timing on MockClock, ack matching, policies,
and the journal hook over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
import trio.testing

from hip3.clients import Backoff, InfoClient, SlowConsumerPolicy, WsClient, open_ws_client
from hip3.clients.outcome import SentNoAnswerError
from hip3.clients.ws import _DeadConnection, ack_matches, default_policy

from .fakevenue import Venue

FAST = Backoff(base_secs=0.01, cap_secs=0.05, max_attempts=20)


@pytest.fixture
async def venue(nursery: trio.Nursery) -> AsyncIterator[Venue]:
    v: Venue = await nursery.start(Venue().serve)
    yield v


async def test_heartbeat_pings_every_50_seconds(autojump_clock: trio.testing.MockClock) -> None:
    client = WsClient("ws://unused")
    pings: list[float] = []

    async def send_ping() -> None:
        pings.append(trio.current_time())
        client._last_rx = trio.current_time() + 0.1  # the pong arrives

    start = trio.current_time()
    with trio.move_on_after(175):
        await client._heartbeat(send_ping)
    assert [round(p - start) for p in pings] == [50, 100, 150]
    assert client.stats.pings == 3


async def test_heartbeat_declares_the_connection_dead_without_any_answer(
    autojump_clock: trio.testing.MockClock,
) -> None:
    client = WsClient("ws://unused", pong_timeout_secs=10)

    async def send_ping() -> None:
        return None

    start = trio.current_time()
    with pytest.raises(_DeadConnection):
        await client._heartbeat(send_ping)
    assert trio.current_time() - start == pytest.approx(60)


def test_acks_match_by_subset_of_the_echoed_subscription() -> None:
    asked = {"type": "l2Book", "coin": "BTC"}
    assert ack_matches(asked, {"type": "l2Book", "coin": "BTC", "nSigFigs": None})
    assert ack_matches({"type": "userFills", "user": "0xAB"}, {"type": "userFills", "user": "0xab"})
    assert not ack_matches(asked, {"type": "l2Book", "coin": "ETH"})
    assert not ack_matches(asked, {"type": "trades", "coin": "BTC"})


def test_default_policy_is_backpressure_for_user_streams_and_drop_for_market_data() -> None:
    assert default_policy({"type": "userFills"}) is SlowConsumerPolicy.BACKPRESSURE
    assert default_policy({"type": "orderUpdates"}) is SlowConsumerPolicy.BACKPRESSURE
    assert default_policy({"type": "l2Book"}) is SlowConsumerPolicy.DROP_OLDEST
    assert default_policy({"type": "allMids"}) is SlowConsumerPolicy.DROP_OLDEST


class Recorder:
    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def record(
        self, direction: str, via: str, msg: Any, *, id: int | None = None, path: str | None = None
    ) -> None:
        self.lines.append({"dir": direction, "via": via, "msg": msg, "id": id, "path": path})


async def test_journal_hook_sees_http_pairs_and_whole_ws_messages(venue: Venue) -> None:
    rec = Recorder()
    async with InfoClient(venue.url, recorder=rec) as info:
        await info.all_mids()
    out, inn = rec.lines
    assert out["dir"] == "out" and out["path"] == "/info" and out["msg"] == {"type": "allMids"}
    assert inn["dir"] == "in" and inn["id"] == out["id"] and inn["path"] is None
    rec.lines.clear()
    async with open_ws_client(venue.ws_url, recorder=rec, backoff=FAST) as ws:
        await ws.post("info", {"type": "allMids"})
    ws_lines = [
        (line["dir"], line["msg"].get("method") or line["msg"].get("channel")) for line in rec.lines
    ]
    assert ("out", "post") in ws_lines and ("in", "post") in ws_lines
    assert all(line["via"] == "ws" for line in rec.lines)


async def test_ws_post_without_answer_times_out_as_unknown_outcome(venue: Venue) -> None:
    async with open_ws_client(venue.ws_url, backoff=FAST, post_timeout_secs=0.3) as ws:
        venue.drop_next_ws_post_answer = True
        with pytest.raises(SentNoAnswerError):
            await ws.post("info", {"type": "allMids"})
        # The connection comes back and the next post works.
        with trio.fail_after(5):
            assert await ws.post("info", {"type": "allMids"}) == {"BTC": "100.0"}


async def test_refused_subscription_raises_with_the_venue_text(venue: Venue) -> None:
    from hip3.errors import ExchangeError

    async with open_ws_client(venue.ws_url, backoff=FAST) as ws:
        with pytest.raises(ExchangeError, match="Invalid subscription"):
            await ws.subscribe({"type": "bogus", "coin": "BTC"})
        assert ws.stats.errors == 1
        assert ws._subs == []


async def test_unsubscribe_ends_iteration_and_stops_resubscribing(venue: Venue) -> None:
    async with open_ws_client(venue.ws_url, backoff=FAST) as ws:
        sub = await ws.subscribe({"type": "userFills", "user": "0x" + "cd" * 20})
        await ws.unsubscribe(sub)
        events = [ev async for ev in sub]
        assert all(ev.is_snapshot for ev in events)
        assert venue.subs == []
        await venue.drop_ws_connections()
        with trio.fail_after(5):
            while ws.stats.reconnects == 0 or not ws._connected.is_set():
                await trio.sleep(0.01)
        assert await ws.post("info", {"type": "allMids"}) == {"BTC": "100.0"}
        assert venue.subs == []
