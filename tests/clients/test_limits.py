"""Rate limiter, backoff and nonce generator: pure logic on trio's MockClock."""

from __future__ import annotations

import random

import pytest
import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.clients.backoff import Backoff
from hip3.clients.exchange import ExchangeClient
from hip3.clients.info import merge_fills
from hip3.clients.nonce import NonceGenerator
from hip3.clients.ratelimit import (
    RateLimiter,
    TokenBucket,
    exchange_weight,
    info_extra_weight,
    info_weight,
)
from hip3.signing import PrivateKey, recover_l1_signer
from hip3.wire.codec import structure
from hip3.wire.models import WireFill


def test_exchange_weight_follows_one_plus_floor_n_over_40() -> None:
    assert [exchange_weight(n) for n in (0, 1, 39, 40, 79, 80)] == [1, 1, 1, 2, 2, 3]


def test_info_weights_match_the_published_table() -> None:
    assert info_weight("l2Book") == 2
    assert info_weight("orderStatus") == 2
    assert info_weight("userRole") == 60
    assert info_weight("meta") == 20
    assert info_extra_weight("userFillsByTime", 2000) == 100
    assert info_extra_weight("meta", 2000) == 0


async def test_bucket_makes_callers_wait_for_refill_on_mock_clock(
    autojump_clock: trio.testing.MockClock,
) -> None:
    bucket = TokenBucket(1200, 60.0)  # 20 weight per second
    start = trio.current_time()
    await bucket.acquire(1200)
    assert trio.current_time() == start
    await bucket.acquire(20)
    assert trio.current_time() - start == pytest.approx(1.0)


async def test_a_refill_short_by_a_rounding_error_does_not_spin_on_mock_clock(
    autojump_clock: trio.testing.MockClock,
) -> None:
    # At t=455.80838911234247 a drained bucket refilled for exactly the computed wait holds
    # 59.999999999999964 of 60 tokens; the next wait (2e-15 s) vanishes in the clock's
    # rounding. Before the fix this loop never yielded to the clock again.
    autojump_clock.jump(455.80838911234247 - trio.current_time())
    bucket = TokenBucket(1200, 60.0)
    bucket.drain()
    bucket.charge(0.4)
    for amount in (60, 2, 20, 60):
        await bucket.acquire(amount)
    assert bucket.available < 1


async def test_waiting_for_budget_is_cancellable(autojump_clock: trio.testing.MockClock) -> None:
    bucket = TokenBucket(10, 60.0)
    await bucket.acquire(10)
    with trio.move_on_after(1.0) as scope:
        await bucket.acquire(10)
    assert scope.cancelled_caught
    # The cancelled waiter took nothing: after a full period the budget is whole again.
    await trio.sleep(60.0)
    assert bucket.available == pytest.approx(10)


async def test_drain_after_429_delays_the_next_request(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = RateLimiter()
    limiter.rest.drain()
    start = trio.current_time()
    await limiter.acquire_info("l2Book")
    assert trio.current_time() - start == pytest.approx(2 / 20)


async def test_concurrent_waiters_are_served_in_order_within_budget(
    autojump_clock: trio.testing.MockClock,
) -> None:
    bucket = TokenBucket(60, 60.0)  # 1 per second
    await bucket.acquire(60)
    done: list[tuple[int, float]] = []

    async def take(i: int) -> None:
        await bucket.acquire(1)
        done.append((i, trio.current_time()))

    async with trio.open_nursery() as nursery:
        for i in range(5):
            nursery.start_soon(take, i)
            await trio.testing.wait_all_tasks_blocked()
    assert [i for i, _ in done] == [0, 1, 2, 3, 4]
    assert [round(t) for _, t in done] == [1, 2, 3, 4, 5]


def test_backoff_grows_exponentially_is_capped_and_jittered_downwards() -> None:
    policy = Backoff(base_secs=1.0, factor=2.0, cap_secs=10.0, jitter=0.5)
    rng = random.Random(7)
    for attempt, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 8.0), (4, 10.0), (9, 10.0)]:
        d = policy.delay_secs(attempt, rng)
        assert ceiling * 0.5 <= d <= ceiling


def test_backoff_rejects_nonsense_parameters() -> None:
    with pytest.raises(ValueError, match="jitter"):
        Backoff(jitter=2.0)


def test_nonces_strictly_increase_when_the_clock_stalls_or_goes_back() -> None:
    clock = iter([1000, 1000, 1000, 999, 1005, 1005])
    gen = NonceGenerator(now_ms=lambda: next(clock))
    assert [gen.next() for _ in range(6)] == [1000, 1001, 1002, 1003, 1005, 1006]


async def test_nonces_are_unique_across_concurrent_senders() -> None:
    gen = NonceGenerator(now_ms=lambda: 42)
    seen: list[int] = []

    async def sender() -> None:
        for _ in range(50):
            seen.append(gen.next())
            await trio.lowlevel.checkpoint()

    async with trio.open_nursery() as nursery:
        for _ in range(8):
            nursery.start_soon(sender)
    assert len(set(seen)) == 400
    assert seen == sorted(seen)


_fill = st.builds(
    lambda coin, tid, time_ms: structure(fill_json(coin, tid, time_ms), WireFill),
    st.sampled_from(["BTC", "xyz:GOLD"]),
    st.integers(1, 60),
    st.integers(0, 20),
)


def fill_json(coin: str, tid: int, time_ms: int) -> dict[str, object]:
    return {
        "coin": coin,
        "px": "100",
        "sz": "1",
        "side": "B",
        "time": time_ms,
        "startPosition": "0",
        "dir": "Open Long",
        "closedPnl": "0",
        "hash": "0x0",
        "oid": tid,
        "crossed": True,
        "fee": "0",
        "tid": tid,
        "feeToken": "USDC",
    }


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(_fill, max_size=20), max_size=5))
def test_merge_fills_dedups_by_coin_and_tid_and_sorts_oldest_first(
    pages: list[list[WireFill]],
) -> None:
    merged = merge_fills(pages)
    keys = [(f.coin, f.tid) for f in merged]
    assert len(keys) == len(set(keys))
    assert set(keys) == {(f.coin, f.tid) for page in pages for f in page}
    assert [(f.time, f.tid) for f in merged] == sorted((f.time, f.tid or 0) for f in merged)


class _OneCoin:
    def asset(self, coin: str) -> int:
        return {"BTC": 0, "xyz:TSLA": 110001}[coin]


@pytest.mark.parametrize("vault", [None, "0x" + "cd" * 20])
@pytest.mark.parametrize("expires_after_ms", [None, 30_000])
def test_agent_signed_request_recovers_to_the_agent_and_carries_vault_and_expiry(
    vault: str | None, expires_after_ms: int | None
) -> None:
    agent = PrivateKey.from_hex("0x" + "42" * 32)
    client = ExchangeClient(
        "http://127.0.0.1:9",
        "0x" + "42" * 32,  # coerced to a PrivateKey once
        "0x" + "ab" * 20,
        universe=_OneCoin(),
        vault_address=vault,
        mainnet=False,
        expires_after_ms=expires_after_ms,
        nonces=NonceGenerator(lambda: 1_700_000_000_000),
    )
    action = {"type": "scheduleCancel"}
    body = client.build_request(action)
    assert body["nonce"] == 1_700_000_000_000 and body["vaultAddress"] == vault
    assert body.get("expiresAfter") == (
        None if expires_after_ms is None else 1_700_000_000_000 + expires_after_ms
    )
    signer = recover_l1_signer(
        action,
        nonce=body["nonce"],
        signature=body["signature"],
        vault_address=vault,
        expires_after=body.get("expiresAfter"),
        mainnet=False,
    )
    assert signer == agent.address == client.signer_address
    assert "42" * 8 not in repr(client) + repr(body)  # the key never shows
