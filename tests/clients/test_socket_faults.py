"""WsClient, InfoClient and ExchangeClient over real loopback sockets with injected faults.

Uses tests/clients/fakevenue.py (a scripted venue) until hip3.sim lands."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import trio

from hip3.clients import (
    Backoff,
    InfoClient,
    SlowConsumerPolicy,
    WsClient,
    WsEvent,
    open_ws_client,
)
from hip3.clients.exchange import ExchangeClient, OrderRequest, Resolved, Resting
from hip3.domain import OrderStatus
from hip3.signing import PrivateKey
from hip3.types import Cloid

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


async def test_ws_reconnect_resubscribes_and_snapshot_covers_missed_fills(venue: Venue) -> None:
    async with open_ws_client(venue.ws_url, backoff=FAST, rng=random.Random(1)) as ws:
        sub = await ws.subscribe({"type": "userFills", "user": USER})
        assert sub.policy is SlowConsumerPolicy.BACKPRESSURE
        first = await next_data(sub)
        assert first.is_snapshot and first.data["fills"] == []
        await venue.push_fill(fill(1))
        seen = {f["tid"] for f in (await next_data(sub)).data["fills"]}
        await venue.drop_ws_connections()
        venue.fills.append(fill(2))  # happens while we are disconnected
        with trio.fail_after(5):
            notice = await sub.receive()
        assert notice.kind == "reconnected"
        snap = await next_data(sub)
        assert snap.is_snapshot
        seen |= {f["tid"] for f in snap.data["fills"]}
        await venue.push_fill(fill(3))
        seen |= {f["tid"] for f in (await next_data(sub)).data["fills"]}
        assert seen == {1, 2, 3}
        assert ws.stats.reconnects == 1


async def test_ws_malformed_and_unknown_messages_are_counted_and_skipped(venue: Venue) -> None:
    async with open_ws_client(venue.ws_url, backoff=FAST) as ws:
        sub = await ws.subscribe({"type": "userFills", "user": USER})
        await next_data(sub)
        await venue.push_raw("{not json")
        await venue.push_raw('{"no": "channel"}')
        await venue.push({"channel": "mystery", "data": {}})
        await venue.push_fill(fill(7))
        ev = await next_data(sub)
        assert ev.data["fills"][0]["tid"] == 7
        assert ws.stats.malformed == 2
        assert ws.stats.unknown == 1
        assert ws.stats.reconnects == 0


async def test_ws_duplicate_messages_reach_the_consumer_and_dedup_by_tid_works(
    venue: Venue,
) -> None:
    async with open_ws_client(venue.ws_url, backoff=FAST) as ws:
        sub = await ws.subscribe({"type": "userFills", "user": USER})
        await next_data(sub)
        dup = {"channel": "userFills", "data": {"user": USER, "fills": [fill(5)]}}
        await venue.push(dup)
        await venue.push(dup)
        tids = [f["tid"] for _ in range(2) for f in (await next_data(sub)).data["fills"]]
        assert tids == [5, 5]
        assert len(set(tids)) == 1


async def test_ws_market_data_drops_oldest_for_a_slow_consumer_and_counts(venue: Venue) -> None:
    async with open_ws_client(venue.ws_url, backoff=FAST) as ws:
        sub = await ws.subscribe({"type": "allMids"}, maxsize=2)
        assert sub.policy is SlowConsumerPolicy.DROP_OLDEST
        for i in range(5):
            await venue.push({"channel": "allMids", "data": {"mids": {"BTC": str(i)}}})
        # A ping round trip proves the reader has handled everything sent before it.
        assert await ws.post("info", {"type": "allMids"}) == {"BTC": "100.0"}
        got = [(await next_data(sub)).data["mids"]["BTC"] for _ in range(2)]
        assert got == ["3", "4"]
        assert sum(ws.stats.dropped.values()) == 3


async def test_ws_backpressure_subscription_never_drops(venue: Venue) -> None:
    async with open_ws_client(venue.ws_url, backoff=FAST) as ws:
        sub = await ws.subscribe({"type": "userFills", "user": USER}, maxsize=1)
        await next_data(sub)
        for tid in range(10, 15):
            await venue.push_fill(fill(tid))
        got = [(await next_data(sub)).data["fills"][0]["tid"] for _ in range(5)]
        assert got == [10, 11, 12, 13, 14]
        assert ws.stats.dropped == {}


async def test_ws_post_answer_lost_is_resolved_by_cloid_without_a_second_order(
    venue: Venue,
) -> None:
    async with (
        open_ws_client(venue.ws_url, backoff=FAST) as ws,
        InfoClient(venue.url, backoff=FAST) as info,
    ):
        ex = ExchangeClient(
            venue.url,
            KEY,
            USER,
            universe=Universe(),
            info=info,
            ws=ws,
            resolve_poll_secs=0.01,
        )
        venue.drop_next_ws_post_answer = True
        cloid = Cloid.from_int(42)
        [result] = await ex.place_orders(
            [OrderRequest("BTC", True, Decimal("1"), Decimal("100"), cloid=cloid)]
        )
        assert isinstance(result, Resolved) and result.status is OrderStatus.RESTING
        assert result.oid == venue.orders[cloid.hex]["oid"]
        assert venue.order_posts == 1
        assert ex.unknown_outcomes == 1


async def test_http_exchange_answer_lost_is_resolved_never_reposted(venue: Venue) -> None:
    async with InfoClient(venue.url, backoff=FAST) as info:
        ex = ExchangeClient(
            venue.url,
            KEY,
            USER,
            universe=Universe(),
            info=info,
            resolve_poll_secs=0.01,
        )
        venue.drop_next_exchange_answer = True
        results = await ex.place_orders(
            [OrderRequest("BTC", True, Decimal("1"), Decimal("100")) for _ in range(2)]
        )
        assert all(isinstance(r, Resolved) for r in results)
        assert [r.status for r in results if isinstance(r, Resolved)] == [OrderStatus.RESTING] * 2
        assert venue.order_posts == 1 and len(venue.orders) == 2


async def test_info_429_storm_backs_off_and_succeeds(venue: Venue) -> None:
    async with InfoClient(venue.url, backoff=FAST, rng=random.Random(3)) as info:
        venue.http_429_remaining = 6
        assert await info.all_mids() == {"BTC": "100.0"}
        assert info.retries == 6


async def test_exchange_429_is_retried_with_the_same_signed_request(venue: Venue) -> None:
    async with InfoClient(venue.url, backoff=FAST) as info:
        ex = ExchangeClient(venue.url, KEY, USER, universe=Universe(), info=info, backoff=FAST)
        venue.http_429_remaining = 3
        [r] = await ex.place_orders([OrderRequest("BTC", False, Decimal("2"), Decimal("101"))])
        assert isinstance(r, Resting) and r.oid is not None
        assert venue.order_posts == 1


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


async def test_concurrent_senders_get_unique_increasing_nonces_and_expires_after(
    venue: Venue,
) -> None:
    async with InfoClient(venue.url, backoff=FAST) as info:
        ex = ExchangeClient(
            venue.url,
            KEY,
            USER,
            universe=Universe(),
            info=info,
            expires_after_ms=5000,
        )

        async def place() -> None:
            await ex.place_orders([OrderRequest("BTC", True, Decimal("1"), Decimal("100"))])

        async with trio.open_nursery() as nursery:
            for _ in range(20):
                nursery.start_soon(place)
    nonces = [b["nonce"] for b in venue.bodies]
    assert len(set(nonces)) == 20
    # Each request is signed at send time; arrival order may differ but values never repeat,
    # and each carries expiresAfter = nonce + window.
    assert all(b["expiresAfter"] == b["nonce"] + 5000 for b in venue.bodies)


async def test_top_level_err_raises_exchange_error_with_venue_text(venue: Venue) -> None:
    from hip3.errors import ExchangeError

    async with InfoClient(venue.url, backoff=FAST) as info:
        ex = ExchangeClient(venue.url, KEY, USER, universe=Universe(), info=info)
        venue.next_exchange_err = "Invalid nonce: duplicate nonce 1"
        with pytest.raises(ExchangeError, match="duplicate nonce"):
            await ex.place_orders([OrderRequest("BTC", True, Decimal("1"), Decimal("100"))])


async def test_cancel_all_cancels_every_open_order_once(venue: Venue) -> None:
    async with InfoClient(venue.url, backoff=FAST) as info:
        ex = ExchangeClient(venue.url, KEY, USER, universe=Universe(), info=info)
        await ex.place_orders(
            [OrderRequest("BTC", True, Decimal("1"), Decimal(100 + i)) for i in range(3)]
        )
        assert await ex.cancel_all() == 3
        assert await ex.cancel_all() == 0
        assert len(venue.canceled) == 3


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_ws_disconnects_mid_stream_lose_no_fill_after_dedup(venue: Venue, seed: int) -> None:
    rng = random.Random(seed)
    drops = sorted(rng.sample(range(1, 40), 3))
    async with open_ws_client(venue.ws_url, backoff=FAST, rng=rng) as ws:
        sub = await ws.subscribe({"type": "userFills", "user": USER})
        seen: set[tuple[str, int]] = set()
        delivered = 0

        async def consume() -> None:
            nonlocal delivered
            async for ev in sub:
                if ev.kind == "data":
                    for f in ev.data["fills"]:
                        delivered += 1
                        seen.add((f["coin"], f["tid"]))
                if len(seen) == 40:
                    return

        with trio.fail_after(10):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(consume)
                for tid in range(1, 41):
                    if tid in drops:
                        await venue.drop_ws_connections()
                    if venue.conns:
                        await venue.push_fill(fill(tid))
                    else:
                        venue.fills.append(fill(tid))  # venue state moves on while we are away
                    await trio.lowlevel.checkpoint()
        assert seen == {("BTC", t) for t in range(1, 41)}
        assert ws.stats.reconnects >= 1
        assert delivered >= 40  # snapshots repeat fills; the consumer's dedup absorbs them


async def test_unknown_outcome_error_only_when_the_venue_cannot_be_asked(venue: Venue) -> None:
    from hip3.errors import UnknownOutcomeError

    few = Backoff(base_secs=0.01, cap_secs=0.02, max_attempts=3)
    async with InfoClient(venue.url, backoff=few) as info:
        ex = ExchangeClient(venue.url, KEY, USER, universe=Universe(), info=info)
        venue.drop_next_exchange_answer = True
        venue.storm_after_drop = 100  # every orderStatus is refused with 429
        with pytest.raises(UnknownOutcomeError, match="orderStatus failed"):
            await ex.place_orders([OrderRequest("BTC", True, Decimal("1"), Decimal("100"))])
        assert venue.order_posts == 1


async def test_info_5xx_is_retried_until_success(venue: Venue) -> None:
    async with InfoClient(venue.url, backoff=FAST) as info:
        venue.info_500_remaining = 3
        assert await info.all_mids() == {"BTC": "100.0"}
        assert info.retries == 3


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
        [r] = await ex.place_orders([OrderRequest("BTC", True, Decimal("1"), Decimal("100"))])
        assert isinstance(r, Resolved) and r.status is OrderStatus.RESTING
        assert venue.order_posts == 1


async def test_request_lost_before_the_venue_resolves_as_not_found_after_its_expiry(
    venue: Venue,
) -> None:
    async with InfoClient(venue.url, backoff=FAST) as info:
        ex = ExchangeClient(
            venue.url,
            KEY,
            USER,
            universe=Universe(),
            info=info,
            expires_after_ms=200,
            resolve_window_secs=0.01,
            resolve_poll_secs=0.05,
        )
        venue.swallow_next_exchange = True
        before = venue.info_requests
        [r] = await ex.place_orders([OrderRequest("BTC", True, Decimal("1"), Decimal("100"))])
        assert isinstance(r, Resolved) and not r.found
        assert venue.order_posts == 0
        # It kept asking past the tiny resolve window because the request could still execute
        # until its expiresAfter.
        assert venue.info_requests - before > 2
