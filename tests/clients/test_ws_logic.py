"""WsClient pieces that need no socket: heartbeat timing on MockClock, ack matching and the
default slow-consumer policies. Everything over a socket runs against hip3.sim
(test_on_sim.py, test_on_sim_faults.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio
import trio.testing

from hip3.clients import Backoff, SlowConsumerPolicy, WsClient
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
