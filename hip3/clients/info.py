"""InfoClient: the venue's read-only ``POST /info`` requests over one ``httpx.AsyncClient``.

Every request of hyperliquid-api.md §1 that hip3 models returns a typed object of
:mod:`hip3.wire.models`, decoded by msgspec straight from the answer's bytes in one pass (amounts
already ``Decimal``, every JSON type checked, errors naming the field path: :mod:`hip3.wire.codec`);
:mod:`hip3.wire.to_domain` turns them into domain records (see :meth:`InfoClient.account_snapshot`).
:meth:`InfoClient.post_info` (alias :meth:`InfoClient.raw`) is the untyped escape hatch: any
request body, the venue's JSON back.

HIP-3: ``meta``, ``metaAndAssetCtxs``, ``allMids``, ``clearinghouseState``, ``openOrders`` and
``frontendOpenOrders`` take ``dex`` (``""`` = the main dex, §1.1); fills and ``orderStatus`` cover
every dex. :meth:`InfoClient.universe` builds the asset-id map from ``perpDexs`` + ``meta`` per dex.

Retries: info requests are idempotent, so 429, 5xx, timeouts and connection errors are retried with
jittered exponential backoff (:class:`~hip3.clients.backoff.Backoff`); on 429 the shared REST
bucket is drained as well, because the venue told us our view of the budget was too optimistic.
Exchange requests are never retried here (see :mod:`hip3.clients.exchange`).
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, TypeVar

import attrs
import httpx
import msgspec
import orjson
import trio

from hip3.clients._http import LeanTransport
from hip3.clients.backoff import Backoff
from hip3.clients.journal import MessageRecorder
from hip3.clients.outcome import NotSentError, SentNoAnswerError
from hip3.clients.ratelimit import RateLimiter
from hip3.domain import AccountMode, AccountSnapshot, Fill, OrderUpdate
from hip3.errors import ExchangeError, RateLimitedError, TransportError, WireError
from hip3.types import Cloid
from hip3.universe import Universe
from hip3.wire import models as m
from hip3.wire import to_domain
from hip3.wire.codec import Decode, decode, decoder, sample_of, wire_error

log = logging.getLogger(__name__)

FILLS_PAGE_LIMIT = 2000  # userFillsByTime returns at most 2000 fills per response (§1.8)
_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_http_ids = itertools.count(1)


def next_http_id() -> int:
    """Process-wide ids pairing http request and response lines in a capture."""
    return next(_http_ids)


def _fill_key(fill: m.WireFill) -> tuple[Any, ...]:
    # 2023 recordings have no tid: then the hash plus the order and amounts identify a fill.
    if fill.tid is not None:
        return (fill.coin, fill.tid)
    return (fill.coin, fill.hash, fill.oid, fill.time, fill.px, fill.sz)


def merge_fills(pages: Iterable[Iterable[m.WireFill]]) -> list[m.WireFill]:
    """Merge fill pages: de-duplicate by ``(coin, tid)`` (fills sharing a timestamp straddle pages,
    §1.8) and sort oldest first by ``(time, tid)``, whatever order the venue returned."""
    seen: dict[tuple[Any, ...], m.WireFill] = {}
    for page in pages:
        for fill in page:
            seen.setdefault(_fill_key(fill), fill)
    return sorted(seen.values(), key=lambda f: (f.time, f.tid or 0))


T = TypeVar("T")

_decode_fills: Final[Decode[list[m.WireFill]]] = decoder(list[m.WireFill])
_decode_fill: Final[Decode[m.WireFill]] = decoder(m.WireFill)


def _json_body(content: bytes, path: str) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise WireError("response is not JSON", kind=path, sample=content[:200]) from exc


class InfoClient:
    """Typed access to ``/info``. Use as ``async with InfoClient(url) as info:`` or pass your own
    ``httpx.AsyncClient`` (then you close it). Share ``limiter`` with the other clients of the
    same account/IP."""

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
        # Our own client gets the lean HTTP/1.1 transport (hip3.clients._http); a client passed
        # in keeps whatever transport its owner chose.
        self.http = http or httpx.AsyncClient(timeout=timeout_secs, transport=LeanTransport())
        self.limiter = limiter or RateLimiter()
        self.backoff = backoff or Backoff()
        self.recorder = recorder
        self._rng = rng or random.Random()
        self.retries = 0
        #: fill elements refused and skipped (their batch kept): see :meth:`fills_since`
        self.malformed_fills = 0

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
        429, ExchangeError on other 4xx/5xx, NotSentError when no connection could be made and
        SentNoAnswerError when the request may have arrived but no answer did."""
        return _json_body(await self.post_bytes(path, body), path)

    async def post_bytes(self, path: str, body: Mapping[str, Any]) -> bytes:
        """:meth:`post_json`, the answer's body left as the bytes the venue sent (a recorder,
        if any, still gets it as JSON)."""
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
        content = resp.content
        if self.recorder is not None:
            self.recorder.record("in", "http", _json_body(content, path), id=req_id)
        return content

    async def post_info(self, body: Mapping[str, Any]) -> Any:
        """One ``/info`` request, untyped: the venue's JSON answer. Rate limited, and retried
        with jittered backoff on 429/5xx/timeouts/connection errors."""
        data = _json_body(await self._post_info_bytes(body), "/info")
        self._charge_items(body, data)
        return data

    async def _post_info_bytes(self, body: Mapping[str, Any]) -> bytes:
        """:meth:`post_info`'s request and retries; the answer as the venue's bytes."""
        request_type = str(body["type"])
        attempt = 0
        while True:
            await self.limiter.acquire_info(request_type)
            try:
                return await self.post_bytes("/info", body)
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
            delay = self.backoff.delay_secs(attempt, self._rng)
            log.info("info %s: retry %d in %.2fs", request_type, attempt + 1, delay)
            self.retries += 1
            attempt += 1
            await trio.sleep(delay)

    def _charge_items(self, body: Mapping[str, Any], answer: Any) -> None:
        """The venue weighs some answers by their number of items (a JSON array's length)."""
        if isinstance(answer, list | tuple):
            self.limiter.charge_info_items(str(body["type"]), len(answer))

    raw = post_info

    async def _typed(self, body: Mapping[str, Any], cls: Any) -> Any:
        """The answer decoded as ``cls`` from its bytes (:func:`hip3.wire.codec.decode`)."""
        answer = decode(await self._post_info_bytes(body), cls, kind=str(body["type"]))
        self._charge_items(body, answer)
        return answer

    # -- requests (hyperliquid-api.md §1) --------------------------------------------------------

    @staticmethod
    def _with_dex(body: dict[str, Any], dex: str) -> dict[str, Any]:
        # The first perp dex is "" and the venue treats an absent dex the same way (§1.1).
        if dex:
            body["dex"] = dex
        return body

    async def meta(self, dex: str = "") -> m.Meta:
        meta: m.Meta = await self._typed(self._with_dex({"type": "meta"}, dex), m.Meta)
        return meta

    async def perp_dexs(self) -> m.PerpDexs:
        """Index 0 is None (the main dex); a dex's position is its perp_dex_index (§0.2)."""
        dexs: m.PerpDexs = await self._typed({"type": "perpDexs"}, m.PerpDexs)
        return dexs

    async def spot_meta(self) -> m.SpotMeta:
        """``spotMeta``: spot tokens (index -> name) and pairs."""
        answer: m.SpotMeta = await self._typed({"type": "spotMeta"}, m.SpotMeta)
        return answer

    async def meta_and_asset_ctxs(self, dex: str = "") -> m.MetaAndAssetCtxs:
        body = self._with_dex({"type": "metaAndAssetCtxs"}, dex)
        result: m.MetaAndAssetCtxs = await self._typed(body, m.MetaAndAssetCtxs)
        return result

    async def all_mids(self, dex: str = "") -> m.AllMids:
        mids: m.AllMids = await self._typed(self._with_dex({"type": "allMids"}, dex), m.AllMids)
        return mids

    async def l2_book(
        self, coin: str, *, n_sig_figs: int | None = None, mantissa: int | None = None
    ) -> m.L2Book:
        """Up to 20 levels per side; HIP-3 coins by their prefixed name (``"xyz:TSLA"``)."""
        body: dict[str, Any] = {"type": "l2Book", "coin": coin}
        if n_sig_figs is not None:
            body["nSigFigs"] = n_sig_figs
        if mantissa is not None:
            body["mantissa"] = mantissa
        book: m.L2Book = await self._typed(body, m.L2Book)
        return book

    async def clearinghouse_state(self, user: str, dex: str = "") -> m.ClearinghouseState:
        """The account's perp state on one dex (call once per dex, §1.6)."""
        body = self._with_dex({"type": "clearinghouseState", "user": user}, dex)
        state: m.ClearinghouseState = await self._typed(body, m.ClearinghouseState)
        return state

    async def account_snapshot(
        self,
        user: str,
        dex: str = "",
        *,
        mode: AccountMode = AccountMode.DEFAULT,
        collateral_token: str = "USDC",
    ) -> AccountSnapshot:
        """:meth:`clearinghouse_state` as a domain :class:`~hip3.domain.AccountSnapshot`
        (Decimal sizes, flat positions left out), its money in ``collateral_token``.

        In unified and portfolio mode (``mode.collateral_in_spot``) the dex's money fields
        are not the account's: ``account_value`` is the spot wallet's total of the collateral
        token, ``total_margin_used`` its hold and ``withdrawable`` the difference."""
        snapshot = to_domain.account_snapshot(
            dex, await self.clearinghouse_state(user, dex), collateral_token=collateral_token
        )
        if not mode.collateral_in_spot:
            return attrs.evolve(snapshot, mode=mode)
        total, hold = (await self.spot_holdings(user)).get(
            collateral_token, (Decimal(0), Decimal(0))
        )
        return attrs.evolve(
            snapshot,
            mode=mode,
            account_value=total,
            total_margin_used=hold,
            withdrawable=max(total - hold, Decimal(0)),
        )

    async def open_orders(self, user: str, dex: str = "") -> list[m.OpenOrder]:
        body = self._with_dex({"type": "openOrders", "user": user}, dex)
        orders: list[m.OpenOrder] = await self._typed(body, list[m.OpenOrder])
        return orders

    async def frontend_open_orders(self, user: str, dex: str = "") -> list[m.FrontendOrder]:
        body = self._with_dex({"type": "frontendOpenOrders", "user": user}, dex)
        orders: list[m.FrontendOrder] = await self._typed(body, list[m.FrontendOrder])
        return orders

    async def user_fills(self, user: str, *, aggregate_by_time: bool = False) -> list[m.WireFill]:
        """The (at most 2000) most recent fills of every dex, oldest first, de-duplicated."""
        body = {"type": "userFills", "user": user, "aggregateByTime": aggregate_by_time}
        fills: list[m.WireFill] = await self._typed(body, list[m.WireFill])
        return merge_fills([fills])

    async def user_fills_by_time(
        self,
        user: str,
        start_time_ms: int,
        end_time_ms: int | None = None,
        *,
        aggregate_by_time: bool = False,
        max_pages: int = 10,
    ) -> list[m.WireFill]:
        """All fills in ``[start_time_ms, end_time_ms]``, oldest first, de-duplicated.

        The venue returns at most 2000 per response and its ordering is unconfirmed (§1.8), so a
        full page continues from the page's *max* time (inclusive) when that moves the window
        forward, else shrinks ``endTime`` to the page's *min* time; fills sharing the boundary
        millisecond arrive twice and are de-duplicated by ``(coin, tid)``. ``max_pages`` bounds
        the loop (the venue keeps only the 10000 most recent fills anyway)."""
        pages: list[list[m.WireFill]] = []
        start, end = start_time_ms, end_time_ms
        for _ in range(max_pages):
            body: dict[str, Any] = {
                "type": "userFillsByTime",
                "user": user,
                "startTime": start,
                "endTime": end,
                "aggregateByTime": aggregate_by_time,
            }
            page, size = await self._fill_page(body)
            pages.append(page)
            if size < FILLS_PAGE_LIMIT:
                break
            times = [f.time for f in page]
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

    async def _fill_page(self, body: Mapping[str, Any]) -> tuple[list[m.WireFill], int]:
        """One page of fills, element by element: a malformed fill is counted in
        :attr:`malformed_fills` and skipped, never the page (whose window would then never
        move on). Returns the good fills and the page's size as sent."""
        raw = await self._post_info_bytes(body)
        kind = str(body["type"])
        try:
            fills: list[m.WireFill] = _decode_fills(raw)
        except msgspec.ValidationError:
            pass  # some element is bad: split the array, keep the good ones
        except msgspec.DecodeError as exc:
            raise wire_error(exc, kind, sample=sample_of(raw)) from None
        else:
            self._charge_items(body, fills)
            return fills, len(fills)
        elements: list[msgspec.Raw] = decode(
            raw, list[msgspec.Raw], kind=kind
        )  # not a JSON array -> WireError
        self._charge_items(body, elements)
        good: list[m.WireFill] = []
        for index, element in enumerate(elements):
            try:
                good.append(_decode_fill(element))
            except msgspec.ValidationError as exc:
                error = wire_error(exc, kind, sample=sample_of(element), under="")
                self._malformed_fill(f"{kind}[{index}]: {error}")
        return good, len(elements)

    def _malformed_fill(self, what: str) -> None:
        self.malformed_fills += 1
        if self.malformed_fills == 1 or self.malformed_fills % 1000 == 0:
            log.warning("malformed fill skipped (%d so far): %s", self.malformed_fills, what)

    async def fills_since(self, user: str, start_time_ms: int) -> list[Fill]:
        """:meth:`user_fills_by_time` from ``start_time_ms`` as domain fills; an element
        the domain refuses (a non-positive size, a bad decimal) is counted and skipped."""
        fills: list[Fill] = []
        for wire in await self.user_fills_by_time(user, start_time_ms):
            try:
                fills.append(to_domain.fill_to_domain(wire))
            except WireError as exc:
                self._malformed_fill(str(exc))
        return fills

    async def order_status(
        self, user: str, oid_or_cloid: int | Cloid | str
    ) -> m.OrderStatusResponse:
        """``status == "order"`` with the order, or ``"unknownOid"`` (``order`` None)."""
        ref = oid_or_cloid.hex if isinstance(oid_or_cloid, Cloid) else oid_or_cloid
        body = {"type": "orderStatus", "user": user, "oid": ref}
        answer: m.OrderStatusResponse = await self._typed(body, m.OrderStatusResponse)
        return answer

    async def order_update(self, user: str, oid_or_cloid: int | Cloid | str) -> OrderUpdate | None:
        """:meth:`order_status` as a domain :class:`~hip3.domain.OrderUpdate`; None when the
        venue does not know the order."""
        return to_domain.order_status_to_update(await self.order_status(user, oid_or_cloid))

    async def spot_balances(self, user: str) -> dict[str, Decimal]:
        """``spotClearinghouseState``: the account's spot token balances (``total``, holds
        included), non-zero only."""
        holdings = await self.spot_holdings(user)
        return {coin: total for coin, (total, _hold) in holdings.items() if total}

    async def spot_holdings(self, user: str) -> dict[str, tuple[Decimal, Decimal]]:
        """``spotClearinghouseState`` as ``{token: (total, hold)}``, every listed token
        (``hold`` is the part tied up by orders, or margin in unified/portfolio mode)."""
        body = {"type": "spotClearinghouseState", "user": user}
        answer: m.SpotClearinghouseState = await self._typed(body, m.SpotClearinghouseState)
        return {
            entry.coin: (entry.total, Decimal(0) if entry.hold is None else entry.hold)
            for entry in answer.balances
        }

    async def user_abstraction(self, user: str) -> AccountMode:
        """``userAbstraction``: where the venue keeps ``user``'s money (:class:`AccountMode`);
        an answer naming no known mode -> WireError."""
        body = {"type": "userAbstraction", "user": user}
        answer: str = await self._typed(body, str)
        try:
            return AccountMode.from_venue(answer)
        except ValueError as exc:
            raise WireError(str(exc), kind="userAbstraction") from None

    async def user_role(self, user: str) -> tuple[str, str | None]:
        """What ``user`` is to the venue: ``("agent", master)``, ``("user", None)``,
        ``("vault", None)``, ``("subAccount", master)`` or ``("missing", None)``."""
        answer: m.UserRole = await self._typed({"type": "userRole", "user": user}, m.UserRole)
        related = None
        if answer.data is not None:
            found = answer.data.get("user", answer.data.get("master"))
            related = found.lower() if isinstance(found, str) else None
        return answer.role, related

    async def user_rate_limit(self, user: str) -> m.UserRateLimit:
        limit: m.UserRateLimit = await self._typed(
            {"type": "userRateLimit", "user": user}, m.UserRateLimit
        )
        return limit

    async def universe(self, dexes: Sequence[str] = ("",)) -> Universe:
        """The markets of ``dexes`` (``""`` = main) with their asset ids, from ``perpDexs`` and
        one ``meta`` per dex (§0.2, §7); a dex settling in another token than USDC has it
        named from ``spotMeta``."""
        perp_dexs = await self.perp_dexs()
        metas = {dex: await self.meta(dex) for dex in dexes}
        tokens: dict[int, str] | None = None
        if any(meta.collateral_token not in (None, 0) for meta in metas.values()):
            spot_meta = await self.spot_meta()
            tokens = {token.index: token.name for token in spot_meta.tokens}
        return Universe.from_meta(perp_dexs, metas, tokens=tokens)
