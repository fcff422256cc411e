"""The clients against hip3.sim with injected faults (hip3.sim.config.FaultConfig), over real
loopback sockets: disconnects mid-stream, duplicated / reordered / dropped ws messages, lost and
late post answers, 429 and 5xx storms, slow consumers, and heartbeat/backoff timing on trio's
MockClock.

The simulator's faults change delivery, never the truth, and count everything they inject
(``sim.truth()["faults"]``), so each test compares what the consumer saw with what happened."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import attrs
import pytest
import trio
import trio.testing

from hip3.clients import (
    Backoff,
    Filled,
    InfoClient,
    OrderOutcome,
    Resolved,
    Resting,
    SlowConsumerPolicy,
    WsEvent,
)
from hip3.domain import OrderStatus
from hip3.errors import ExchangeError, UnknownOutcomeError
from hip3.sim.config import FaultConfig
from hip3.sim.server import open_simulator
from hip3.universe import Universe

from .simkit import ACCOUNT, DEXES, FAST, Venue, next_data, running_venue, sim_config, tids


async def consume_into(sub: Any, events: list[WsEvent]) -> None:
    async for event in sub:
        events.append(event)


async def fill_tids(venue: Venue) -> set[int]:
    return {f.tid for f in await venue.info.user_fills(ACCOUNT) if f.tid is not None}


async def eventually_seen(venue: Venue, events: list[WsEvent]) -> set[int]:
    """Wait until the consumer has seen every fill the venue made; returns that set."""
    truth = await fill_tids(venue)
    with trio.fail_after(10):
        while not truth <= tids(events):
            await trio.sleep(0.02)
    return truth


# -- websocket delivery faults ----------------------------------------------------------------


async def test_disconnects_mid_stream_lose_no_fill_from_the_consumers_view() -> None:
    async with running_venue(FaultConfig(disconnect_every_secs=0.3)) as venue, venue.ws() as ws:
        sub = await ws.subscribe({"type": "userFills", "user": ACCOUNT})
        ex = venue.exchange()  # orders over HTTP, which the ws cuts do not touch
        events: list[WsEvent] = []
        async with trio.open_nursery() as nursery:
            nursery.start_soon(consume_into, sub, events)
            for i in range(16):
                [result] = await ex.place_orders([venue.taker("BTC", i % 2 == 0, "30")])
                assert isinstance(result, Filled)
                await trio.sleep(0.08)
            truth = await eventually_seen(venue, events)
            nursery.cancel_scope.cancel()
    assert tids(events) == truth and len(truth) >= 16
    assert ws.stats.reconnects >= 2 and venue.truth()["faults"]["ws_disconnect"] >= 2
    # After every reconnect notice, the first data the consumer sees is the flagged snapshot.
    notices = [i for i, e in enumerate(events) if e.kind == "reconnected"]
    # (The last cut may come after the consumer stopped, before its reconnect.)
    assert ws.stats.reconnects - 1 <= len(notices) <= ws.stats.reconnects
    for i in notices:
        following = [e for e in events[i + 1 :] if e.kind == "data"]
        assert not following or following[0].is_snapshot


async def test_duplicated_reordered_delayed_messages_dedup_by_tid_to_the_venues_fills() -> None:
    faults = FaultConfig(
        ws_duplicate=0.4, ws_reorder=0.3, ws_delay=0.2, ws_delay_ms=150, channels=("userFills",)
    )
    async with running_venue(faults) as venue, venue.ws() as ws:
        sub = await ws.subscribe({"type": "userFills", "user": ACCOUNT})
        ex = venue.exchange()
        events: list[WsEvent] = []
        async with trio.open_nursery() as nursery:
            nursery.start_soon(consume_into, sub, events)
            for i in range(14):
                await ex.place_orders([venue.taker("xyz:TSLA", i % 2 == 0, "30")])
            before_flush = await fill_tids(venue)
            # A reordered message waits for the next one on its channel: keep trading until
            # everything made before has arrived.
            with trio.fail_after(10):
                while not before_flush <= tids(events):
                    await ex.place_orders([venue.taker("xyz:TSLA", True, "30")])
                    await trio.sleep(0.05)
            nursery.cancel_scope.cancel()
        truth = await fill_tids(venue)
    delivered = [f["tid"] for e in events if e.kind == "data" for f in e.data["fills"]]
    faults = venue.truth()["faults"]
    assert faults["ws_duplicate"] > 0 and faults["ws_reorder"] > 0 and faults["ws_delay"] > 0
    assert len(delivered) > len(set(delivered))  # the duplicates reached the consumer ...
    assert before_flush <= set(delivered) <= truth  # ... and dedup by tid leaves the truth


async def test_dropped_messages_come_back_in_the_snapshot_of_a_resubscribe() -> None:
    faults = FaultConfig(ws_drop=0.5, channels=("userFills",))
    async with running_venue(faults) as venue, venue.ws() as ws:
        sub = await ws.subscribe({"type": "userFills", "user": ACCOUNT})
        first = await next_data(sub)
        assert first.is_snapshot
        ex = venue.exchange()
        for i in range(12):
            await ex.place_orders([venue.taker("BTC", i % 2 == 0, "30")])
        truth = await fill_tids(venue)
        await ws.post("info", {"type": "allMids"})  # every earlier message has been read
        live: list[WsEvent] = []
        while sub.queued:
            live.append(await sub.receive())
        assert venue.truth()["faults"]["ws_drop"] > 0
        assert tids(live) < truth  # some fills never arrived live
        await ws.unsubscribe(sub)
        again = await ws.subscribe({"type": "userFills", "user": ACCOUNT})
        snapshot = await next_data(again)
        assert snapshot.is_snapshot
        assert tids(live) | tids([snapshot]) == truth


async def test_market_data_for_a_slow_consumer_drops_the_oldest_and_counts_it() -> None:
    async with running_venue(tick_ms=50) as venue, venue.ws() as ws:
        sub = await ws.subscribe({"type": "l2Book", "coin": "BTC"}, maxsize=3)
        assert sub.policy is SlowConsumerPolicy.DROP_OLDEST
        await trio.sleep(1.0)  # ~20 books published while nobody reads
        assert sub.queued == 3
        assert ws.stats.dropped[sub.key] >= 10
        kept = [(await sub.receive()).data["time"] for _ in range(3)]
        assert kept == sorted(kept)
        fresh = (await next_data(sub)).data["time"]
        assert fresh > kept[-1]


async def test_user_fills_for_a_slow_consumer_apply_backpressure_and_lose_nothing() -> None:
    async with running_venue() as venue, venue.ws() as ws:
        sub = await ws.subscribe({"type": "userFills", "user": ACCOUNT}, maxsize=1)
        assert sub.policy is SlowConsumerPolicy.BACKPRESSURE
        events: list[WsEvent] = []

        async def slow_consumer() -> None:
            async for event in sub:
                events.append(event)
                await trio.sleep(0.05)

        ex = venue.exchange()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(slow_consumer)
            for i in range(10):
                await ex.place_orders([venue.taker("flx:GOLD", i % 2 == 0, "30")])
            truth = await eventually_seen(venue, events)
            nursery.cancel_scope.cancel()
        assert tids(events) == truth
        assert ws.stats.dropped == {}


# -- lost and late answers: resolved through orderStatus, never a second order -----------------


def _check_resolved(
    results: list[OrderOutcome], makers: int, venue: Venue
) -> tuple[int, list[Resolved]]:
    resolved = [r for r in results if isinstance(r, Resolved)]
    assert all(r.found for r in resolved)  # every lost answer belonged to an executed order
    assert all(isinstance(r, Resting | Filled | Resolved) for r in results)
    assert venue.truth()["orders"] == makers  # one order per request: nothing posted twice
    return len(resolved), resolved


async def test_lost_ws_post_answers_resolve_through_order_status_never_a_second_order() -> None:
    async with (
        running_venue(FaultConfig(post_drop=0.5)) as venue,
        venue.ws(post_timeout_secs=0.3) as ws,
    ):
        ex = venue.exchange(ws=ws)
        results: list[OrderOutcome] = []
        for i in range(6):
            results += await ex.place_orders([venue.maker("BTC" if i % 2 else "xyz:TSLA", True)])
        results += await ex.place_orders([venue.taker("BTC", True), venue.taker("xyz:NVDA", True)])
        n_resolved, resolved = _check_resolved(results, 6, venue)
        # One lost answer per post; the last post carried two orders.
        assert ex.unknown_outcomes == venue.truth()["faults"]["post_drop"] > 0
        assert n_resolved >= ex.unknown_outcomes
        assert {r.status for r in resolved} <= {OrderStatus.RESTING, OrderStatus.FILLED}
        open_cloids = [o.cloid for d in DEXES for o in await venue.info.open_orders(ACCOUNT, d)]
        assert len(open_cloids) == len(set(open_cloids)) == 6


async def test_lost_http_exchange_answers_resolve_the_same_way() -> None:
    async with running_venue(FaultConfig(post_drop=0.5)) as venue:
        ex = venue.exchange()
        results: list[OrderOutcome] = []
        for i in range(6):
            results += await ex.place_orders([venue.maker("xyz:TSLA", i % 2 == 0)])
        n_resolved, _ = _check_resolved(results, 6, venue)
        assert n_resolved == venue.truth()["faults"]["post_drop"] > 0


async def test_answers_later_than_the_post_timeout_are_resolved_and_then_ignored() -> None:
    faults = FaultConfig(post_delay=1.0, post_delay_ms=500)
    async with running_venue(faults) as venue, venue.ws(post_timeout_secs=0.15) as ws:
        ex = venue.exchange(ws=ws)
        results: list[OrderOutcome] = []
        for _ in range(3):
            results += await ex.place_orders([venue.maker("BTC", True)])
        assert all(isinstance(r, Resolved) and r.status is OrderStatus.RESTING for r in results)
        assert venue.truth()["orders"] == 3
        with trio.fail_after(5):
            while ws.stats.unknown < 3:  # the late answers arrive for ids nobody waits on
                await trio.sleep(0.05)


async def test_unknown_outcome_error_only_when_the_venue_cannot_be_asked() -> None:
    faults = FaultConfig(post_drop=1.0, http_429=1.0)
    async with open_simulator(sim_config(faults)) as sim:
        engine = sim.exchange
        universe = Universe.from_meta(
            engine.info({"type": "perpDexs"}),
            {dex: engine.info({"type": "meta", "dex": dex}) for dex in DEXES},
        )
        few = Backoff(base_secs=0.01, cap_secs=0.02, max_attempts=3)
        async with InfoClient(sim.url, backoff=few) as info:
            venue = Venue(sim, info, universe)
            async with venue.ws(post_timeout_secs=0.2) as ws:
                ex = venue.exchange(ws=ws)
                with pytest.raises(UnknownOutcomeError, match="orderStatus failed"):
                    await ex.place_orders([venue.maker("BTC", True)])
        assert sim.truth()["orders"] == 1  # it did execute; the client said it cannot know


# -- HTTP storms, on MockClock -----------------------------------------------------------------


@attrs.frozen
class RecordingBackoff(Backoff):
    """A Backoff that remembers every delay it handed out."""

    delays: list[float] = attrs.field(factory=list, eq=False)

    def delay_secs(self, attempt: int, rng: random.Random) -> float:
        delay = super().delay_secs(attempt, rng)
        low = min(self.cap_secs, self.base_secs * self.factor**attempt) * (1 - self.jitter)
        assert low <= delay <= min(self.cap_secs, self.base_secs * self.factor**attempt)
        self.delays.append(delay)
        return delay


async def test_a_429_storm_backs_off_on_mock_time_and_nothing_fails(
    autojump_clock: trio.testing.MockClock,
) -> None:
    backoff = RecordingBackoff(base_secs=0.5, cap_secs=8.0, max_attempts=30)
    async with running_venue(FaultConfig(http_429=0.6), info_backoff=backoff) as venue:
        backoff.delays.clear()  # the universe was loaded through the storm too
        start = trio.current_time()
        mids = await venue.info.all_mids("xyz")
        state = await venue.info.clearinghouse_state(ACCOUNT, "xyz")
        ex = venue.exchange(backoff=backoff)
        results = [
            r for _ in range(5) for r in await ex.place_orders([venue.maker("xyz:TSLA", True)])
        ]
        elapsed = trio.current_time() - start
    assert set(mids) == {"xyz:TSLA", "xyz:NVDA"} and state.asset_positions == []
    assert all(isinstance(r, Resting) for r in results)  # refused requests were simply re-sent
    assert venue.truth()["orders"] == 5 and venue.truth()["faults"]["http_429"] >= 5
    assert venue.info.retries > 0 and len(backoff.delays) >= 5
    # Every back-off was really waited (plus the rate limiter's own waits after each 429).
    assert elapsed >= sum(backoff.delays)


async def test_5xx_storm_info_retried_exchange_refusals_resolved_as_never_executed(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with running_venue(FaultConfig(http_5xx=0.4)) as venue:
        assert set(await venue.info.all_mids()) >= {"BTC", "ETH", "SOL"}  # + spot pairs
        ex = venue.exchange(expires_after_ms=2_000, resolve_window_secs=0.5)
        results = [r for _ in range(6) for r in await ex.place_orders([venue.maker("BTC", True)])]
        assert venue.info.retries > 0
        # A 5xx may come after the venue executed, so it is resolved, never re-posted; here the
        # simulator refused before executing, so resolution finds nothing once it expired.
        not_found = [r for r in results if isinstance(r, Resolved)]
        assert not_found and all(not r.found for r in not_found)
        rested = [r for r in results if isinstance(r, Resting)]
        assert len(rested) + len(not_found) == 6
        assert venue.truth()["orders"] == len(rested)


# -- heartbeat on MockClock ----------------------------------------------------------------------


async def test_heartbeat_keeps_an_idle_connection_past_the_venues_60s_cutoff(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with running_venue(tick_ms=1000) as venue, venue.ws() as ws:
        await trio.sleep(210)
        assert ws.stats.pings == 4  # at 50, 100, 150 and 200 s and ws.stats.reconnects == 0
        assert venue.truth()["server"]["ws_idle_disconnects"] == 0


async def test_without_a_timely_ping_the_venue_cuts_an_idle_connection_and_we_reconnect(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with running_venue(tick_ms=1000) as venue, venue.ws(ping_interval_secs=90) as ws:
        await trio.sleep(100)
        assert venue.truth()["server"]["ws_idle_disconnects"] >= 1
        assert ws.stats.reconnects >= 1
        assert await ws.post("info", {"type": "allMids"})  # and it works again


async def test_refused_subscription_raises_with_the_venue_text() -> None:
    async with running_venue() as venue, venue.ws() as ws:
        with pytest.raises(ExchangeError, match="Invalid subscription"):
            await ws.subscribe({"type": "l2Book", "coin": "NOPE"})
        assert ws.stats.errors == 1


async def test_exchange_429_is_retried_with_the_same_signed_request(
    autojump_clock: trio.testing.MockClock,
) -> None:
    seen: list[dict[str, Any]] = []

    class Recorder:
        def record(self, direction: str, via: str, msg: Any, **kwargs: Any) -> None:
            if direction == "out" and kwargs.get("path") == "/exchange":
                seen.append(msg)

    async with running_venue(FaultConfig(http_429=0.7), seed=3) as venue:
        venue.info.recorder = Recorder()
        [result] = await venue.exchange().place_orders([venue.maker("SOL", True)])
        assert isinstance(result, Resting)
    assert len(seen) > 1 and all(body == seen[0] for body in seen)  # same nonce, same signature
    assert venue.truth()["orders"] == 1
    assert Decimal(seen[0]["action"]["orders"][0]["p"]) > 0


async def test_slow_http_answers_time_out_info_retries_and_orders_resolve() -> None:
    faults = FaultConfig(http_delay=0.5, http_delay_ms=400)
    async with (
        open_simulator(sim_config(faults)) as sim,
        InfoClient(sim.url, backoff=FAST, timeout_secs=0.2, rng=random.Random(8)) as info,
    ):
        universe = await info.universe(DEXES)  # timed-out info requests are simply retried
        venue = Venue(sim, info, universe)
        assert set(await info.all_mids("flx")) == {"flx:GOLD"}
        ex = venue.exchange(resolve_window_secs=1.5)
        results = [r for _ in range(6) for r in await ex.place_orders([venue.maker("ETH", True)])]
        assert info.retries > 0 and sim.truth()["faults"]["http_delay"] > 0
        # A timed-out /exchange may still execute (here it does, 400 ms later): it is resolved
        # by cloid, and found; nothing is posted twice.
        late = [r for r in results if isinstance(r, Resolved)]
        assert late and all(r.found and r.status is OrderStatus.RESTING for r in late)
        assert sim.truth()["orders"] == 6
