"""ExchangeClient: signed ``POST /exchange`` actions (hyperliquid-api.md §2), over HTTP or ws post.

The rule this client is built around: **an action is never re-posted blindly.**

* A request that certainly never reached the venue (:class:`NotSentError`: connect refused, no ws
  connection) or that the venue refused with 429 (so it did nothing) is retried with backoff — the
  same signed body, same nonce, so even a surprise duplicate would be rejected as a duplicate
  nonce.
* A request whose outcome is unknown (read timeout, connection dropped after sending, 5xx after
  sending, ws post timeout) is *resolved*: every order carries a cloid (one is generated when the
  caller gave none) and the venue is asked ``orderStatus`` by cloid until it knows the order or the
  resolution window has passed. Results learned that way are flagged ``resolved=True``. Only when
  the venue cannot be asked at all is :class:`~hip3.errors.UnknownOutcomeError` raised.

Deviations from the agreed interfaces, documented: hip3.wire.actions and hip3.universe had not
landed when this was written, so the order/cancel wire dicts are built here in the venue's
canonical key order (§2.3-2.7) and the universe is any object with ``asset(coin) -> int``.
Signing goes through ``hip3.signing.sign_l1_action`` (looked up at first use), or any callable with
the same signature passed as ``signer=``.
"""

from __future__ import annotations

import importlib
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal, Protocol

import attrs
import trio

from hip3.clients.backoff import Backoff
from hip3.clients.info import InfoClient
from hip3.clients.nonce import NonceGenerator
from hip3.clients.outcome import NotSentError, SentNoAnswerError
from hip3.clients.ratelimit import RateLimiter
from hip3.clients.ws import WsClient
from hip3.errors import ExchangeError, RateLimitedError, TransportError, UnknownOutcomeError
from hip3.types import Cloid, wire_decimal

log = logging.getLogger(__name__)

Tif = Literal["Gtc", "Ioc", "Alo"]


class AssetResolver(Protocol):
    """What the client needs of hip3.universe.Universe."""

    def asset(self, coin: str) -> int: ...


@attrs.frozen
class OrderRequest:
    """A limit order. ``cloid`` is generated when None (needed to resolve unknown outcomes)."""

    coin: str
    is_buy: bool
    sz: Decimal
    limit_px: Decimal
    tif: Tif = "Gtc"
    reduce_only: bool = False
    cloid: Cloid | None = None


@attrs.frozen
class OrderResult:
    """One order's outcome. ``kind``: ``resting`` / ``filled`` (at placement) / ``error`` (venue
    text in ``error``) / ``canceled`` (only from resolution: the order existed and ended without
    a fill, e.g. an Ioc) / ``not_found`` (resolution: the venue never saw it within the window).
    ``resolved`` is True when the post's answer was lost and this was learned via orderStatus."""

    kind: Literal["resting", "filled", "error", "canceled", "not_found"]
    cloid: Cloid
    oid: int | None = None
    total_sz: Decimal = Decimal(0)
    avg_px: Decimal | None = None
    error: str | None = None
    resolved: bool = False


def order_wire(asset: int, req: OrderRequest, cloid: Cloid) -> dict[str, Any]:
    # Key order a, b, p, s, r, t, c is what the venue hashes (§2.3); numbers as float_to_wire.
    return {
        "a": asset,
        "b": req.is_buy,
        "p": wire_decimal(req.limit_px),
        "s": wire_decimal(req.sz),
        "r": req.reduce_only,
        "t": {"limit": {"tif": req.tif}},
        "c": cloid.hex,
    }


class ExchangeClient:
    """Signs and sends actions for ``account_address`` (or ``vault_address``) with ``key`` (the
    account's key or an approved agent's). Share ``limiter``/``nonces`` with other clients of the
    same signer so nonces stay strictly increasing across all of them."""

    def __init__(
        self,
        base_url: str,
        key: Any,
        account_address: str,
        *,
        universe: AssetResolver,
        vault_address: str | None = None,
        mainnet: bool = True,
        info: InfoClient | None = None,
        ws: WsClient | None = None,
        limiter: RateLimiter | None = None,
        nonces: NonceGenerator | None = None,
        backoff: Backoff | None = None,
        expires_after_ms: int | None = None,
        resolve_window_secs: float = 3.0,
        resolve_poll_secs: float = 0.25,
        signer: Callable[..., Mapping[str, Any]] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.limiter = limiter or (info.limiter if info is not None else RateLimiter())
        self.info = info or InfoClient(base_url, limiter=self.limiter)
        self.ws = ws
        self._key = key  # never logged or shown
        self.account_address = account_address.lower()
        self.vault_address = vault_address.lower() if vault_address else None
        self.mainnet = mainnet
        self.universe = universe
        self.nonces = nonces or NonceGenerator()
        self.backoff = backoff or Backoff(max_attempts=5)
        self.expires_after_ms = expires_after_ms
        self.resolve_window_secs = resolve_window_secs
        self.resolve_poll_secs = resolve_poll_secs
        self._signer = signer
        self._rng = rng or random.Random()
        self.unknown_outcomes = 0

    def __repr__(self) -> str:
        return f"ExchangeClient(account={self.account_address}, vault={self.vault_address})"

    @property
    def user(self) -> str:
        """Whose orders these are: the vault/sub-account when trading for one."""
        return self.vault_address or self.account_address

    # -- signing and sending ---------------------------------------------------------------------

    def _sign(self, action: Mapping[str, Any], nonce: int, expires_after: int | None) -> Any:
        signer = self._signer
        if signer is None:
            signer = importlib.import_module("hip3.signing").sign_l1_action
            self._signer = signer
        return signer(
            self._key,
            action,
            nonce=nonce,
            vault_address=self.vault_address,
            expires_after=expires_after,
            mainnet=self.mainnet,
        )

    def build_request(self, action: Mapping[str, Any]) -> dict[str, Any]:
        """The signed /exchange body for ``action`` with a fresh nonce."""
        nonce = self.nonces.next()
        expires_after = nonce + self.expires_after_ms if self.expires_after_ms else None
        return {
            "action": dict(action),
            "nonce": nonce,
            "signature": dict(self._sign(action, nonce, expires_after)),
            "vaultAddress": self.vault_address,
            "expiresAfter": expires_after,
        }

    async def post_action(self, action: Mapping[str, Any], *, batch_length: int = 1) -> Any:
        """Sign and send once; retry only when the venue certainly did nothing (not sent, 429).
        Returns the response's ``response`` member; raises ExchangeError for ``status: err`` and
        SentNoAnswerError when the outcome is unknown (callers resolve)."""
        body = self.build_request(action)
        try:
            return await self._send_request(body, batch_length)
        except SentNoAnswerError as exc:
            exc.expires_after_ms = body["expiresAfter"]
            raise

    async def _send_request(self, body: dict[str, Any], batch_length: int) -> Any:
        attempt = 0
        while True:
            await self.limiter.acquire_exchange(batch_length)
            try:
                if self.ws is not None:
                    answer = await self.ws.post("action", body)
                else:
                    answer = await self.info.post_json("/exchange", body)
            except (NotSentError, RateLimitedError) as exc:
                if isinstance(exc, RateLimitedError):
                    self.limiter.rest.drain()
                if attempt + 1 >= self.backoff.max_attempts:
                    raise
                delay = self.backoff.delay_secs(attempt, self._rng)
                attempt += 1
                log.info(
                    "exchange: %s, retrying the same signed request in %.2fs",
                    type(exc).__name__,
                    delay,
                )
                await trio.sleep(delay)
                continue
            except ExchangeError as exc:
                if exc.status is not None and exc.status >= 500:
                    raise SentNoAnswerError(f"/exchange answered HTTP {exc.status}") from exc
                raise
            if not isinstance(answer, dict) or "status" not in answer:
                raise SentNoAnswerError(f"/exchange: unexpected answer {answer!r:.200}")
            if answer["status"] != "ok":
                raise ExchangeError(str(answer.get("response")))
            return answer.get("response")

    # -- orders ----------------------------------------------------------------------------------

    async def place_orders(
        self, orders: Sequence[OrderRequest], *, grouping: str = "na"
    ) -> list[OrderResult]:
        """Place a batch; one result per order, in order."""
        if not orders:
            return []
        cloids = [o.cloid or Cloid.random() for o in orders]
        wires = [
            order_wire(self.universe.asset(o.coin), o, c)
            for o, c in zip(orders, cloids, strict=True)
        ]
        action = {"type": "order", "orders": wires, "grouping": grouping}
        try:
            response = await self.post_action(action, batch_length=len(orders))
        except SentNoAnswerError as exc:
            self.unknown_outcomes += 1
            log.warning("order post outcome unknown (%s); resolving by cloid", exc)
            return [await self._resolve_order(c, exc.expires_after_ms) for c in cloids]
        statuses = _statuses(response)
        if len(statuses) == 1 and len(orders) > 1 and "error" in statuses[0]:
            # Deterministic pre-validation errors come back once for the whole batch (§2.2).
            statuses = statuses * len(orders)
        if len(statuses) != len(orders):
            raise ExchangeError(f"expected {len(orders)} statuses, got {len(statuses)}")
        return [_order_result(s, c) for s, c in zip(statuses, cloids, strict=True)]

    async def _resolve_order(
        self, cloid: Cloid, expires_after_ms: int | None = None
    ) -> OrderResult:
        """Ask the venue about ``cloid`` until it knows it or the window passes. With an
        expiresAfter, the window also covers that time (plus a margin): until then a delayed
        request could still be executed, after it ``unknownOid`` is final (§2.1)."""
        window = self.resolve_window_secs
        if expires_after_ms is not None:
            window = max(window, (expires_after_ms - time.time() * 1000) / 1000 + 0.5)
        deadline = trio.current_time() + window
        while True:
            try:
                answer = await self.info.order_status(self.user, cloid)
            except (TransportError, ExchangeError) as exc:
                # Includes RateLimitedError once the info retries ran out.
                raise UnknownOutcomeError(
                    f"order {cloid.hex}: sent, answer lost, and orderStatus failed ({exc})"
                ) from exc
            if answer.get("status") == "order":
                return _result_from_status(answer["order"], cloid)
            if trio.current_time() >= deadline:
                return OrderResult("not_found", cloid, resolved=True)
            await trio.sleep(self.resolve_poll_secs)

    async def modify(self, oid_or_cloid: int | Cloid, order: OrderRequest) -> OrderResult:
        """Replace a resting order; the new order keeps ``order.cloid`` if given."""
        results = await self.batch_modify([(oid_or_cloid, order)])
        return results[0]

    async def batch_modify(
        self, modifies: Sequence[tuple[int | Cloid, OrderRequest]]
    ) -> list[OrderResult]:
        cloids = [o.cloid or Cloid.random() for _, o in modifies]
        entries = [
            {"oid": _ref(ref), "order": order_wire(self.universe.asset(o.coin), o, c)}
            for (ref, o), c in zip(modifies, cloids, strict=True)
        ]
        # Always batchModify (as the official SDK does, even for one order): it answers with
        # per-order statuses, where a single "modify" may answer {"type": "default"}.
        action: dict[str, Any] = {"type": "batchModify", "modifies": entries}
        try:
            response = await self.post_action(action, batch_length=len(entries))
        except SentNoAnswerError as exc:
            self.unknown_outcomes += 1
            return [await self._resolve_order(c, exc.expires_after_ms) for c in cloids]
        statuses = _statuses(response)
        if len(statuses) != len(cloids):
            # No per-order statuses in the answer: ask the venue about each cloid.
            return [await self._resolve_order(c) for c in cloids]
        return [_order_result(s, c) for s, c in zip(statuses, cloids, strict=True)]

    async def cancel(self, coin: str, oid: int) -> str | None:
        return (await self.cancel_many([(coin, oid)]))[0]

    async def cancel_by_cloid(self, coin: str, cloid: Cloid) -> str | None:
        return (await self.cancel_many([(coin, cloid)]))[0]

    async def cancel_many(self, targets: Sequence[tuple[str, int | Cloid]]) -> list[str | None]:
        """Cancel by oid or cloid; per target None for success, else the venue's error text.
        Cancelling is idempotent at the venue, so an unknown outcome is resolved by asking
        orderStatus and reporting the order's final state."""
        if not targets:
            return []
        by_cloid = all(isinstance(ref, Cloid) for _, ref in targets)
        by_oid = all(isinstance(ref, int) for _, ref in targets)
        if not (by_cloid or by_oid):
            raise ValueError("cancel_many: targets must be all oids or all cloids")
        if by_oid:
            action: dict[str, Any] = {
                "type": "cancel",
                "cancels": [{"a": self.universe.asset(c), "o": ref} for c, ref in targets],
            }
        else:
            action = {
                "type": "cancelByCloid",
                "cancels": [
                    {"asset": self.universe.asset(c), "cloid": _ref(ref)} for c, ref in targets
                ],
            }
        try:
            response = await self.post_action(action, batch_length=len(targets))
        except SentNoAnswerError:
            self.unknown_outcomes += 1
            out: list[str | None] = []
            for _, ref in targets:
                answer = await self.info.order_status(self.user, ref)
                status = answer.get("order", {}).get("status") if isinstance(answer, dict) else None
                out.append(None if status and status != "open" else f"unresolved: {status}")
            return out
        return [
            None if s == "success" else str(s.get("error", s)) if isinstance(s, dict) else str(s)
            for s in _statuses(response)
        ]

    async def cancel_all(self, coins: Sequence[str] | None = None, *, dex: str = "") -> int:
        """Cancel every open order (of ``coins`` if given) seen by openOrders; returns how many
        cancels the venue accepted."""
        open_orders = await self.info.open_orders(self.user, dex)
        targets: list[tuple[str, int | Cloid]] = [
            (o["coin"], int(o["oid"])) for o in open_orders if coins is None or o["coin"] in coins
        ]
        results = await self.cancel_many(targets)
        return sum(1 for r in results if r is None)

    async def schedule_cancel(self, time_ms: int | None) -> None:
        """Arm (time ≥ now + 5 s) or with None disarm the dead-man's switch (§2.6)."""
        action: dict[str, Any] = {"type": "scheduleCancel"}
        if time_ms is not None:
            action["time"] = time_ms
        await self._post_simple(action)

    async def update_leverage(self, coin: str, leverage: int, *, is_cross: bool = True) -> None:
        await self._post_simple(
            {
                "type": "updateLeverage",
                "asset": self.universe.asset(coin),
                "isCross": is_cross,
                "leverage": leverage,
            }
        )

    async def update_isolated_margin(self, coin: str, amount_usd: Decimal) -> None:
        # ntli is the USD amount in micro-units (6 decimals); positive adds margin (§2.7).
        ntli = int((amount_usd * 1_000_000).to_integral_value())
        await self._post_simple(
            {
                "type": "updateIsolatedMargin",
                "asset": self.universe.asset(coin),
                "isBuy": True,
                "ntli": ntli,
            }
        )

    async def _post_simple(self, action: Mapping[str, Any]) -> None:
        try:
            await self.post_action(action)
        except SentNoAnswerError as exc:
            self.unknown_outcomes += 1
            raise UnknownOutcomeError(f"{action['type']}: sent, answer lost ({exc})") from exc


def _ref(ref: int | Cloid) -> int | str:
    return ref.hex if isinstance(ref, Cloid) else ref


def _statuses(response: Any) -> list[Any]:
    data = response.get("data") if isinstance(response, dict) else None
    statuses = data.get("statuses") if isinstance(data, dict) else None
    return list(statuses) if isinstance(statuses, list) else []


def _order_result(status: Any, cloid: Cloid) -> OrderResult:
    if isinstance(status, dict):
        if "resting" in status:
            return OrderResult("resting", cloid, oid=int(status["resting"]["oid"]))
        if "filled" in status:
            f = status["filled"]
            return OrderResult(
                "filled",
                cloid,
                oid=int(f["oid"]),
                total_sz=Decimal(f["totalSz"]),
                avg_px=Decimal(f["avgPx"]),
            )
        if "error" in status:
            return OrderResult("error", cloid, error=str(status["error"]))
    return OrderResult("error", cloid, error=f"unexpected status {status!r:.200}")


def _result_from_status(entry: Mapping[str, Any], cloid: Cloid) -> OrderResult:
    """Map an orderStatus ``order`` entry (§1.9) to a result."""
    order = entry.get("order", {})
    status = str(entry.get("status"))
    oid = int(order["oid"]) if "oid" in order else None
    orig = Decimal(str(order.get("origSz", "0")))
    remaining = Decimal(str(order.get("sz", "0")))
    if status in ("open", "triggered"):
        return OrderResult("resting", cloid, oid=oid, total_sz=orig - remaining, resolved=True)
    if status == "filled":
        return OrderResult("filled", cloid, oid=oid, total_sz=orig, resolved=True)
    if status.endswith("Rejected") or status == "rejected":
        return OrderResult("error", cloid, oid=oid, error=status, resolved=True)
    return OrderResult("canceled", cloid, oid=oid, total_sz=orig - remaining, resolved=True)
