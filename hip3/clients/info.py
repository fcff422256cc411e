"""InfoClient: the venue's read-only ``POST /info`` requests over one ``httpx.AsyncClient``.

Deviation from the agreed interface, documented: hip3.wire (typed models) had not landed when this
was written, so the methods return the venue's JSON (dicts/lists, strings kept as strings) as
parsed by orjson. The shapes are those of hyperliquid-api.md §1.

Retries: info requests are idempotent, so 429, 5xx, timeouts and connection errors are retried with
jittered exponential backoff (:class:`~hip3.clients.backoff.Backoff`); on 429 the shared REST
bucket is drained as well, because the venue told us our view of the budget was too optimistic.
Exchange requests are never retried here (see :mod:`hip3.clients.exchange`).
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
import orjson
import trio

from hip3.clients.backoff import Backoff
from hip3.clients.journal import MessageRecorder
from hip3.clients.outcome import NotSentError, SentNoAnswerError
from hip3.clients.ratelimit import RateLimiter
from hip3.errors import ExchangeError, RateLimitedError, TransportError, WireError
from hip3.types import Cloid

log = logging.getLogger(__name__)

FILLS_PAGE_LIMIT = 2000  # userFillsByTime returns at most 2000 fills per response (§1.8)
_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_http_ids = itertools.count(1)


def next_http_id() -> int:
    """Process-wide ids pairing http request and response lines in a capture."""
    return next(_http_ids)


def merge_fills(pages: Iterable[Iterable[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """Merge fill pages: de-duplicate by ``(coin, tid)`` (fills sharing a timestamp straddle pages,
    §1.8) and sort oldest first by ``(time, tid)``, whatever order the venue returned."""
    seen: dict[tuple[str, Any], dict[str, Any]] = {}
    for page in pages:
        for fill in page:
            key = (str(fill.get("coin")), fill.get("tid", fill.get("hash")))
            seen.setdefault(key, dict(fill))
    return sorted(seen.values(), key=lambda f: (int(f.get("time", 0)), int(f.get("tid") or 0)))


class InfoClient:
    """Typed-ish access to ``/info``. Use as ``async with InfoClient(url) as info:`` or pass your own
    ``httpx.AsyncClient`` (then you close it)."""

    def __init__(
        self,
        base_url: str,
        *,
        http: httpx.AsyncClient | None = None,
        limiter: RateLimiter | None = None,
        backoff: Backoff | None = None,
        recorder: MessageRecorder | None = None,
        timeout_secs: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._own_http = http is None
        self.http = http or httpx.AsyncClient(timeout=timeout_secs)
        self.limiter = limiter or RateLimiter()
        self.backoff = backoff or Backoff()
        self.recorder = recorder
        self._rng = rng or random.Random()
        self.retries = 0

    async def __aenter__(self) -> InfoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_http:
            await self.http.aclose()

    # -- transport -------------------------------------------------------------------------------

    async def post_json(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST one JSON body once (no retry); records both directions. Raises RateLimitedError on
        429, ExchangeError on other 4xx/5xx, TransportError when the connection fails."""
        req_id = next_http_id()
        if self.recorder is not None:
            self.recorder.record("out", "http", dict(body), id=req_id, path=path)
        try:
            resp = await self.http.post(
                self.base_url + path,
                content=orjson.dumps(body),
                headers={"Content-Type": "application/json"},
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Never got a connection: the venue cannot have seen this request.
            raise NotSentError(f"{path}: could not connect ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            # Read timeout, reset, server closed mid-response: it may have been processed.
            raise SentNoAnswerError(f"{path}: no answer ({type(exc).__name__})") from exc
        if resp.status_code == 429:
            raise RateLimitedError(resp.text[:200], status=429)
        if resp.status_code >= 400:
            raise ExchangeError(resp.text[:500], status=resp.status_code)
        try:
            data = orjson.loads(resp.content)
        except orjson.JSONDecodeError as exc:
            raise WireError("response is not JSON", kind=path, sample=resp.text[:200]) from exc
        if self.recorder is not None:
            self.recorder.record("in", "http", data, id=req_id)
        return data

    async def request(self, body: Mapping[str, Any], *, n_items_of: str | None = None) -> Any:
        """One ``/info`` request with rate limiting and retries on 429/5xx/timeouts/connection."""
        request_type = str(body["type"])
        attempt = 0
        while True:
            await self.limiter.acquire_info(request_type)
            try:
                data = await self.post_json("/info", body)
            except RateLimitedError:
                self.limiter.rest.drain()
                if attempt + 1 >= self.backoff.max_attempts:
                    raise
            except ExchangeError as exc:
                if exc.status not in _RETRYABLE_STATUS or attempt + 1 >= self.backoff.max_attempts:
                    raise
            except TransportError:
                if attempt + 1 >= self.backoff.max_attempts:
                    raise
            else:
                if isinstance(data, list):
                    self.limiter.charge_info_items(request_type, len(data))
                return data
            delay = self.backoff.delay_secs(attempt, self._rng)
            log.info("info %s: retry %d in %.2fs", request_type, attempt + 1, delay)
            self.retries += 1
            attempt += 1
            await trio.sleep(delay)

    # -- requests (hyperliquid-api.md §1) --------------------------------------------------------

    @staticmethod
    def _with_dex(body: dict[str, Any], dex: str) -> dict[str, Any]:
        # The first perp dex is "" and the venue treats an absent dex the same way (§1.1).
        if dex:
            body["dex"] = dex
        return body

    async def meta(self, dex: str = "") -> dict[str, Any]:
        data: dict[str, Any] = await self.request(self._with_dex({"type": "meta"}, dex))
        return data

    async def perp_dexs(self) -> list[dict[str, Any] | None]:
        data: list[dict[str, Any] | None] = await self.request({"type": "perpDexs"})
        return data

    async def meta_and_asset_ctxs(self, dex: str = "") -> list[Any]:
        data: list[Any] = await self.request(self._with_dex({"type": "metaAndAssetCtxs"}, dex))
        return data

    async def all_mids(self, dex: str = "") -> dict[str, str]:
        data: dict[str, str] = await self.request(self._with_dex({"type": "allMids"}, dex))
        return data

    async def l2_book(self, coin: str) -> dict[str, Any]:
        data: dict[str, Any] = await self.request({"type": "l2Book", "coin": coin})
        return data

    async def clearinghouse_state(self, user: str, dex: str = "") -> dict[str, Any]:
        body = self._with_dex({"type": "clearinghouseState", "user": user}, dex)
        data: dict[str, Any] = await self.request(body)
        return data

    async def open_orders(self, user: str, dex: str = "") -> list[dict[str, Any]]:
        body = self._with_dex({"type": "openOrders", "user": user}, dex)
        data: list[dict[str, Any]] = await self.request(body)
        return data

    async def frontend_open_orders(self, user: str, dex: str = "") -> list[dict[str, Any]]:
        body = self._with_dex({"type": "frontendOpenOrders", "user": user}, dex)
        data: list[dict[str, Any]] = await self.request(body)
        return data

    async def user_fills(
        self, user: str, *, aggregate_by_time: bool = False
    ) -> list[dict[str, Any]]:
        body = {"type": "userFills", "user": user, "aggregateByTime": aggregate_by_time}
        data: list[dict[str, Any]] = await self.request(body)
        return merge_fills([data])

    async def user_fills_by_time(
        self,
        user: str,
        start_time_ms: int,
        end_time_ms: int | None = None,
        *,
        aggregate_by_time: bool = False,
        max_pages: int = 10,
    ) -> list[dict[str, Any]]:
        """All fills in ``[start_time_ms, end_time_ms]``, oldest first, de-duplicated.

        The venue returns at most 2000 per response and its ordering is unconfirmed (§1.8), so a
        full page continues from the page's *max* time (inclusive) when that moves the window
        forward, else shrinks ``endTime`` to the page's *min* time; fills sharing the boundary
        millisecond arrive twice and are de-duplicated by ``(coin, tid)``. ``max_pages`` bounds
        the loop (the venue keeps only the 10000 most recent fills anyway)."""
        pages: list[list[dict[str, Any]]] = []
        start, end = start_time_ms, end_time_ms
        for _ in range(max_pages):
            body: dict[str, Any] = {
                "type": "userFillsByTime",
                "user": user,
                "startTime": start,
                "endTime": end,
                "aggregateByTime": aggregate_by_time,
            }
            page: list[dict[str, Any]] = await self.request(body)
            pages.append(page)
            if len(page) < FILLS_PAGE_LIMIT:
                break
            times = [int(f["time"]) for f in page]
            oldest_first = times[0] <= times[-1]
            if oldest_first and max(times) > start:
                start = max(times)
            elif not oldest_first and (end is None or min(times) < end):
                end = min(times)
            else:
                # A whole page inside one millisecond: the window cannot move; stop rather than
                # loop forever (more than 2000 fills in one ms is not something the venue emits).
                break
        return merge_fills(pages)

    async def order_status(self, user: str, oid_or_cloid: int | Cloid | str) -> dict[str, Any]:
        """``{"status": "order", "order": {...}}`` or ``{"status": "unknownOid"}``."""
        ref = oid_or_cloid.hex if isinstance(oid_or_cloid, Cloid) else oid_or_cloid
        data: dict[str, Any] = await self.request({"type": "orderStatus", "user": user, "oid": ref})
        return data

    async def user_rate_limit(self, user: str) -> dict[str, Any]:
        data: dict[str, Any] = await self.request({"type": "userRateLimit", "user": user})
        return data
