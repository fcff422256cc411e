"""WsClient pieces that need no socket: heartbeat timing on MockClock, ack matching and the
default slow-consumer policies, and the connect backoff schedule (against a closed port).
Everything over a socket to a venue runs against hip3.sim
(test_on_sim.py, test_on_sim_faults.py)."""

from __future__ import annotations

import random
import socket

import pytest
import trio
import trio.testing

from hip3.clients import Backoff, SlowConsumerPolicy, WsClient
from hip3.clients.ws import _DeadConnection, ack_matches, default_policy
from hip3.errors import TransportError


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


async def test_connection_attempts_follow_the_jittered_backoff_on_mock_clock(
    autojump_clock: trio.testing.MockClock,
) -> None:
    delays: list[float] = []

    class Recording(Backoff):
        def delay_secs(self, attempt: int, rng: random.Random) -> float:
            delay = super().delay_secs(attempt, rng)
            delays.append(delay)
            return delay

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backoff = Recording(base_secs=1.0, cap_secs=8.0, jitter=0.5, max_attempts=6)
    client = WsClient(f"ws://127.0.0.1:{port}/ws", backoff=backoff, rng=random.Random(4))
    start = trio.current_time()
    with pytest.raises(TransportError, match="cannot connect"):
        await client.run()
    # Five waits between six attempts, each within [1 - jitter, 1] of min(cap, base * 2**n).
    assert len(delays) == 5
    for attempt, delay in enumerate(delays):
        ceiling = min(8.0, 2.0**attempt)
        assert ceiling / 2 <= delay <= ceiling
    assert trio.current_time() - start == pytest.approx(sum(delays))
