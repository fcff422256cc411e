"""Client-side rate limiting that matches the venue's published budgets (hyperliquid-api.md §5).

* REST: 1200 weight per minute per IP. ``/exchange`` costs ``1 + floor(n / 40)`` for a batch of n;
  ``/info`` costs 2 for the light requests, 60 for ``userRole``, 20 otherwise, plus one extra unit
  per 20 items returned for the history requests (charged after the response, when n is known).
* WebSocket: at most 2000 messages sent per minute and 100 ``post`` requests in flight.

One :class:`RateLimiter` is shared by every client of one account (and IP). Callers *wait* for
budget — the wait is an ordinary trio sleep, so it is cancellable and works under ``MockClock`` —
and are never rejected silently.
"""

from __future__ import annotations

import trio

# Refill arithmetic is floating point: after sleeping exactly the computed wait, the bucket can
# hold 19.999999999999986 of the 20 tokens asked for, and the next wait (1e-15 s) is absorbed
# by the clock's own rounding, so the loop would spin forever on a MockClock. Amounts within
# this tolerance count as available, and a wait is never shorter than _MIN_WAIT_SECS.
_TOKEN_TOLERANCE = 1e-6
_MIN_WAIT_SECS = 1e-3

REST_WEIGHT_PER_MINUTE = 1200
WS_MESSAGES_PER_MINUTE = 2000
WS_MAX_INFLIGHT_POSTS = 100

_LIGHT_INFO = frozenset(
    {
        "l2Book",
        "allMids",
        "clearinghouseState",
        "orderStatus",
        "spotClearinghouseState",
        "exchangeStatus",
    }
)
_PER_20_ITEMS_INFO = frozenset(
    {
        "recentTrades",
        "historicalOrders",
        "userFills",
        "userFillsByTime",
        "fundingHistory",
        "userFunding",
        "nonUserFundingUpdates",
        "twapHistory",
        "userTwapSliceFills",
        "userTwapSliceFillsByTime",
        "delegatorHistory",
        "delegatorRewards",
        "validatorStats",
    }
)


def info_weight(request_type: str) -> int:
    """Up-front weight of an ``/info`` request of this type."""
    if request_type in _LIGHT_INFO:
        return 2
    if request_type == "userRole":
        return 60
    return 20


def info_extra_weight(request_type: str, n_items: int) -> int:
    """Extra weight charged once the number of returned items is known."""
    if request_type in _PER_20_ITEMS_INFO:
        return n_items // 20
    if request_type == "candleSnapshot":
        return n_items // 60
    return 0


def exchange_weight(batch_length: int) -> int:
    """IP weight of an ``/exchange`` action carrying ``batch_length`` orders/cancels."""
    return 1 + max(0, batch_length) // 40


class TokenBucket:
    """``capacity`` tokens refilled continuously at ``capacity / period_secs`` per second,
    on trio's clock. Waiters are served in FIFO order so a big request is not starved by a
    stream of small ones."""

    def __init__(self, capacity: float, period_secs: float = 60.0) -> None:
        if capacity <= 0 or period_secs <= 0:
            raise ValueError("token bucket: capacity and period_secs must be > 0")
        self.capacity = float(capacity)
        self.rate_per_sec = self.capacity / period_secs
        self._tokens = self.capacity
        self._stamp: float | None = None
        self._lock = trio.Lock()  # FIFO: trio.Lock is fair
        self.waited_secs = 0.0

    def _refill(self) -> None:
        now = trio.current_time()
        if self._stamp is not None:
            self._tokens = min(
                self.capacity, self._tokens + (now - self._stamp) * self.rate_per_sec
            )
        self._stamp = now

    @property
    def available(self) -> float:
        self._refill()
        return self._tokens

    async def acquire(self, amount: float) -> None:
        """Wait until ``amount`` tokens are available, then take them. A request bigger than the
        whole bucket is clamped to the capacity (it will wait for a full bucket) rather than
        blocking forever."""
        amount = min(float(amount), self.capacity)
        async with self._lock:
            self._refill()
            while self._tokens + _TOKEN_TOLERANCE < amount:
                wait = max(_MIN_WAIT_SECS, (amount - self._tokens) / self.rate_per_sec)
                start = trio.current_time()
                await trio.sleep(wait)
                self.waited_secs += trio.current_time() - start
                self._refill()
            self._tokens -= amount

    def charge(self, amount: float) -> None:
        """Take tokens after the fact (may go negative; later acquirers then wait longer)."""
        self._refill()
        self._tokens -= amount

    def drain(self) -> None:
        """Empty the bucket, e.g. after the venue answered 429 (our view was too optimistic)."""
        self._refill()
        self._tokens = min(self._tokens, 0.0)


class RateLimiter:
    """The venue's per-IP budgets, shared by all clients of one account."""

    def __init__(
        self,
        *,
        rest_weight_per_minute: int = REST_WEIGHT_PER_MINUTE,
        ws_messages_per_minute: int = WS_MESSAGES_PER_MINUTE,
        ws_max_inflight_posts: int = WS_MAX_INFLIGHT_POSTS,
    ) -> None:
        self.rest = TokenBucket(rest_weight_per_minute, 60.0)
        self.ws_messages = TokenBucket(ws_messages_per_minute, 60.0)
        self.ws_inflight_posts = trio.Semaphore(ws_max_inflight_posts)

    async def acquire_info(self, request_type: str) -> None:
        await self.rest.acquire(info_weight(request_type))

    def charge_info_items(self, request_type: str, n_items: int) -> None:
        extra = info_extra_weight(request_type, n_items)
        if extra:
            self.rest.charge(extra)

    async def acquire_exchange(self, batch_length: int) -> None:
        await self.rest.acquire(exchange_weight(batch_length))

    async def acquire_ws_message(self) -> None:
        await self.ws_messages.acquire(1)
