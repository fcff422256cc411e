"""ExchangeClient: signed ``POST /exchange`` actions (hyperliquid-api.md §2), over HTTP or ws post.

Actions are built with :mod:`hip3.wire.actions` (the venue's signing key order) and signed with
:func:`hip3.signing.sign_l1_action`; the key is coerced to a :class:`~hip3.signing.PrivateKey` once,
at construction, and never appears in a repr, log or error. The key may be the account's own or an
approved agent's (API wallet): ``account_address`` is always the account traded for, and
``vault_address`` the sub-account/vault when trading on its behalf.

Results are typed, one per order in request order (:data:`hip3.domain.OrderAnswer`):
:class:`~hip3.domain.Resting`, :class:`~hip3.domain.Filled`, :class:`~hip3.domain.Rejected`,
:class:`~hip3.domain.Waiting` straight from the venue's answer (``Resting``/``Filled`` always
carry the order's cloid), or :class:`~hip3.domain.Resolved` when the answer was lost (below).

The rule this client is built around: **an action is never re-posted blindly.**

* A request that certainly never reached the venue (:class:`NotSentError`: connect refused, no ws
  connection) or that the venue refused with 429 (so it did nothing) is retried with backoff — the
  same signed body, same nonce, so even a surprise duplicate would be rejected as a duplicate
  nonce.
* A request whose outcome is unknown (read timeout, connection dropped after sending, 5xx after
  sending, ws post timeout) is *resolved*: every order carries a cloid (a
  :class:`~hip3.types.PlaceOrder` has one from the start) and the venue is asked ``orderStatus`` by cloid until it knows the order or the
  resolution window has passed (:func:`~hip3.clients.resolve.resolve_by_cloid`; with
  ``expires_after_ms``, the window covers the action's expiry, after which the venue can no longer
  execute it). The answer is a :class:`~hip3.domain.Resolved`. Only when
  the venue cannot be asked at all is :class:`~hip3.errors.UnknownOutcomeError` raised.
"""

from __future__ import annotations

import logging
import random
import warnings
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol, TypeAlias

import attrs
import trio

from hip3.clients.backoff import Backoff
from hip3.clients.info import InfoClient
from hip3.clients.nonce import NonceGenerator
from hip3.clients.outcome import NotSentError, SentNoAnswerError
from hip3.clients.ratelimit import RateLimiter
from hip3.clients.resolve import resolve_by_cloid
from hip3.clients.ws import WsClient
from hip3.domain import (
    CancelResult,
    CancelSuccess,
    Filled,
    OrderAnswer,
    OrderStatus,
    OrderUpdate,
    Rejected,
    Resolved,
    Resting,
    Waiting,
)
from hip3.errors import ExchangeError, RateLimitedError, TransportError, UnknownOutcomeError
from hip3.signing import PrivateKey, sign_approve_agent, sign_l1_action
from hip3.tracing import traced, traced_async
from hip3.types import Cloid, PlaceOrder, Side, Tif
from hip3.wire import actions
from hip3.wire import models as m
from hip3.wire.codec import structure
from hip3.wire.to_domain import cancel_results, order_results, order_status_to_update

log = logging.getLogger(__name__)

__all__ = [
    "AssetResolver",
    "CancelResult",
    "CancelSuccess",
    "ExchangeClient",
    "Filled",
    "OrderOutcome",
    "OrderRequest",
    "Rejected",
    "Resolved",
    "Resting",
    "Waiting",
]


class AssetResolver(Protocol):
    """What the client needs of :class:`hip3.universe.Universe`."""

    def asset(self, coin: str) -> int: ...


def OrderRequest(
    coin: str,
    is_buy: bool,
    sz: Decimal,
    limit_px: Decimal,
    tif: Tif | str = Tif.GTC,
    reduce_only: bool = False,
    cloid: Cloid | None = None,
) -> PlaceOrder:
    """Deprecated (removed in the next release): a :class:`~hip3.types.PlaceOrder`, which
    names the side a :class:`~hip3.types.Side` and carries a cloid from the start."""
    warnings.warn(
        "OrderRequest(coin, is_buy, sz, limit_px) is deprecated; "
        "use hip3.types.PlaceOrder(coin, side, limit_px, sz)",
        DeprecationWarning,
        stacklevel=2,
    )
    return PlaceOrder(
        coin,
        Side.from_is_buy(is_buy),
        limit_px,
        sz,
        tif=tif,
        reduce_only=reduce_only,
        cloid=cloid if cloid is not None else Cloid.random(),
    )


OrderOutcome: TypeAlias = OrderAnswer
"""Deprecated name of :data:`hip3.domain.OrderAnswer` (one order's answer)."""


class ExchangeClient:
    """Signs and sends actions for ``account_address`` (or ``vault_address``) with ``key`` (the
    account's key or an approved agent's). Without ``nonces`` the client takes its signer's
    process-wide generator (:meth:`NonceGenerator.for_signer`), so every client of one signer
    in this process sends unique, strictly increasing nonces; share ``limiter`` likewise."""

    def __init__(
        self,
        base_url: str,
        key: PrivateKey | str | bytes,
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
        rng: random.Random | None = None,
    ) -> None:
        self._key = PrivateKey.coerce(key)  # parsed once; never logged or shown
        self.limiter = limiter or (info.limiter if info is not None else RateLimiter())
        self.info = info or InfoClient(base_url, limiter=self.limiter)
        self.ws = ws
        self.account_address = account_address.lower()
        self.vault_address = vault_address.lower() if vault_address else None
        self.mainnet = mainnet
        self.universe = universe
        self.nonces = nonces or NonceGenerator.for_signer(self._key.address)
        self.backoff = backoff or Backoff(max_attempts=5)
        self.expires_after_ms = expires_after_ms
        self.resolve_window_secs = resolve_window_secs
        self.resolve_poll_secs = resolve_poll_secs
        self._rng = rng or random.Random()
        self.unknown_outcomes = 0

    def __repr__(self) -> str:
        return f"ExchangeClient(account={self.account_address}, vault={self.vault_address})"

    @property
    def user(self) -> str:
        """Whose orders these are: the vault/sub-account when trading for one."""
        return self.vault_address or self.account_address

    @property
    def signer_address(self) -> str:
        """The address of the signing key (the account itself, or its agent)."""
        return self._key.address

    # -- signing and sending ---------------------------------------------------------------------

    @traced("hip3.sign")  # hip3.tracing: OpenTelemetry spans when installed
    def build_request(self, action: Mapping[str, Any]) -> dict[str, Any]:
        """The signed /exchange body for ``action`` with a fresh nonce."""
        nonce = self.nonces.next()
        expires_after = nonce + self.expires_after_ms if self.expires_after_ms else None
        signature = sign_l1_action(
            self._key,
            action,
            nonce=nonce,
            vault_address=self.vault_address,
            expires_after=expires_after,
            mainnet=self.mainnet,
        )
        body: dict[str, Any] = {
            "action": dict(action),
            "nonce": nonce,
            "signature": signature,
            "vaultAddress": self.vault_address,
        }
        if expires_after is not None:
            body["expiresAfter"] = expires_after
        return body

    async def post_action(
        self, action: Mapping[str, Any], *, batch_length: int = 1
    ) -> m.ExchangeResponse:
        """Sign and send once; retry only when the venue certainly did nothing (not sent, 429).
        Returns the typed answer; raises ExchangeError for ``status: err`` and SentNoAnswerError
        when the outcome is unknown (callers resolve)."""
        body = self.build_request(action)
        try:
            answer = await self._send_request(body, batch_length)
        except SentNoAnswerError as exc:
            exc.expires_after_ms = body.get("expiresAfter")
            raise
        response: m.ExchangeResponse = structure(answer, m.ExchangeResponse, kind="exchange")
        if response.status != "ok" or isinstance(response.response, str):
            raise ExchangeError(str(response.response))
        return response

    @traced_async("hip3.post", answer=True)
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
            return answer

    # -- orders ----------------------------------------------------------------------------------

    def _order_wire(self, order: PlaceOrder, cloid: Cloid) -> dict[str, Any]:
        return actions.order_wire(
            self.universe.asset(order.coin),
            order.side.is_buy,
            order.limit_px,
            order.sz,
            reduce_only=order.reduce_only,
            tif=order.tif,
            cloid=cloid,
        )

    async def place_orders(
        self, orders: Sequence[PlaceOrder], *, grouping: actions.Grouping = "na"
    ) -> list[OrderAnswer]:
        """Place a batch; one typed result per order, in order."""
        if not orders:
            return []
        cloids = [o.cloid for o in orders]
        action = actions.order_action(
            [self._order_wire(o, c) for o, c in zip(orders, cloids, strict=True)], grouping
        )
        try:
            response = await self.post_action(action, batch_length=len(orders))
        except SentNoAnswerError as exc:
            self.unknown_outcomes += 1
            log.warning("order post outcome unknown (%s); resolving by cloid", exc)
            return [await self._resolve_order(c, exc.expires_after_ms) for c in cloids]
        return _per_order(order_results(response), cloids)

    async def _resolve_order(self, cloid: Cloid, expires_after_ms: int | None = None) -> Resolved:
        """Ask the venue about ``cloid`` until it knows it or the window passes. With an
        expiresAfter, the window also covers that time (plus a margin): until then a delayed
        request could still be executed, after it ``unknownOid`` is final (§2.1)."""
        window = self.resolve_window_secs
        if expires_after_ms is not None:
            # expiresAfter was derived from the nonce clock, so compare on that clock.
            window = max(window, (expires_after_ms - self.nonces.now_ms()) / 1000 + 0.5)

        async def ask(cloid: Cloid) -> OrderUpdate | None:
            try:
                answer = await self.info.order_status(self.user, cloid)
            except (TransportError, ExchangeError) as exc:
                # Includes RateLimitedError once the info retries ran out.
                raise UnknownOutcomeError(
                    f"order {cloid.hex}: sent, answer lost, and orderStatus failed ({exc})"
                ) from exc
            return order_status_to_update(answer)

        return await resolve_by_cloid(
            ask, cloid, window_secs=window, poll_secs=self.resolve_poll_secs
        )

    async def modify(self, oid_or_cloid: int | Cloid, order: PlaceOrder) -> OrderAnswer:
        """Replace a resting order; the new order goes under ``order.cloid``."""
        results = await self.batch_modify([(oid_or_cloid, order)])
        return results[0]

    async def batch_modify(
        self, modifies: Sequence[tuple[int | Cloid, PlaceOrder]]
    ) -> list[OrderAnswer]:
        cloids = [o.cloid for _, o in modifies]
        # Always batchModify (as the official SDK does, even for one order): it answers with
        # per-order statuses, where a single "modify" answers {"type": "default"}.
        action = actions.batch_modify_action(
            [(ref, self._order_wire(o, c)) for (ref, o), c in zip(modifies, cloids, strict=True)]
        )
        try:
            response = await self.post_action(action, batch_length=len(modifies))
        except SentNoAnswerError as exc:
            self.unknown_outcomes += 1
            return [await self._resolve_order(c, exc.expires_after_ms) for c in cloids]
        body = response.response
        if isinstance(body, m.ExchangeResponseBody) and not isinstance(body.data, m.StatusesData):
            # No per-order statuses in the answer: ask the venue about each cloid.
            return [await self._resolve_order(c) for c in cloids]
        return _per_order(order_results(response), cloids)

    async def cancel(self, coin: str, oid: int) -> CancelResult:
        return (await self.cancel_many([(coin, oid)]))[0]

    async def cancel_by_cloid(self, coin: str, cloid: Cloid) -> CancelResult:
        return (await self.cancel_many([(coin, cloid)]))[0]

    async def cancel_many(self, targets: Sequence[tuple[str, int | Cloid]]) -> list[CancelResult]:
        """Cancel by oid or cloid (all of one kind); per target CancelSuccess or Rejected with the
        venue's text. A lost answer is resolved through orderStatus: an order that ended
        cancelled counts as success, one still open or filled as Rejected saying so."""
        if not targets:
            return []
        if all(isinstance(ref, Cloid) for _, ref in targets):
            action = actions.cancel_by_cloid_action(
                (self.universe.asset(c), ref) for c, ref in targets if isinstance(ref, Cloid)
            )
        elif all(isinstance(ref, int) for _, ref in targets):
            action = actions.cancel_action(
                (self.universe.asset(c), ref) for c, ref in targets if isinstance(ref, int)
            )
        else:
            raise ValueError("cancel_many: targets must be all oids or all cloids")
        try:
            response = await self.post_action(action, batch_length=len(targets))
        except SentNoAnswerError:
            self.unknown_outcomes += 1
            return [await self._resolve_cancel(ref) for _, ref in targets]
        results = cancel_results(response)
        if len(results) == 1 and len(targets) > 1 and isinstance(results[0], Rejected):
            results = results * len(targets)  # one error for a whole batch (§2.2)
        if len(results) != len(targets):
            raise ExchangeError(f"expected {len(targets)} cancel statuses, got {len(results)}")
        return results

    async def _resolve_cancel(self, ref: int | Cloid) -> CancelResult:
        try:
            update = order_status_to_update(await self.info.order_status(self.user, ref))
        except (TransportError, ExchangeError) as exc:
            raise UnknownOutcomeError(f"cancel of {ref}: answer lost, orderStatus failed") from exc
        if update is None:
            return Rejected("Order was never placed, already canceled, or filled.")
        if update.order_status is OrderStatus.CANCELLED:
            return CancelSuccess()
        return Rejected(f"cancel outcome unknown; order is {update.status}")

    async def cancel_all(self, coins: Sequence[str] | None = None, *, dex: str = "") -> int:
        """Cancel every open order (of ``coins`` if given) of one dex seen by openOrders;
        returns how many cancels the venue accepted."""
        open_orders = await self.info.open_orders(self.user, dex)
        targets: list[tuple[str, int | Cloid]] = [
            (o.coin, o.oid) for o in open_orders if coins is None or o.coin in coins
        ]
        results = await self.cancel_many(targets)
        return sum(1 for r in results if isinstance(r, CancelSuccess))

    async def schedule_cancel(self, time_ms: int | None) -> None:
        """Arm (time ≥ now + 5 s) or with None disarm the dead-man's switch (§2.6)."""
        await self._post_simple(actions.schedule_cancel_action(time_ms))

    async def update_leverage(self, coin: str, leverage: int, *, is_cross: bool = True) -> None:
        await self._post_simple(
            actions.update_leverage_action(
                self.universe.asset(coin), is_cross=is_cross, leverage=leverage
            )
        )

    async def update_isolated_margin(self, coin: str, amount_usd: Decimal) -> None:
        """Add (positive) or remove (negative) isolated margin, in USD (§2.7)."""
        await self._post_simple(
            actions.update_isolated_margin_action(self.universe.asset(coin), amount_usd)
        )

    async def approve_agent(self, agent_address: str, name: str | None = None) -> None:
        """Approve ``agent_address`` as an API wallet of this account (a user-signed action: the
        client's key must be the account's own, not an agent's). The agent's key then signs
        orders for ``account_address`` through an ExchangeClient of its own."""
        nonce = self.nonces.next()
        action = actions.approve_agent_action(
            agent_address.lower(), name, nonce=nonce, mainnet=self.mainnet
        )
        signature = sign_approve_agent(self._key, action, mainnet=self.mainnet)
        # User-signed actions carry no vault and no expiresAfter (§2.1).
        body = {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None}
        try:
            answer = await self._send_request(body, 1)
        except SentNoAnswerError as exc:
            self.unknown_outcomes += 1
            raise UnknownOutcomeError(f"approveAgent: sent, answer lost ({exc})") from exc
        response: m.ExchangeResponse = structure(answer, m.ExchangeResponse, kind="exchange")
        if response.status != "ok" or isinstance(response.response, str):
            raise ExchangeError(str(response.response))

    async def _post_simple(self, action: Mapping[str, Any]) -> None:
        try:
            await self.post_action(action)
        except SentNoAnswerError as exc:
            self.unknown_outcomes += 1
            raise UnknownOutcomeError(f"{action['type']}: sent, answer lost ({exc})") from exc


def _per_order(results: Sequence[OrderAnswer], cloids: Sequence[Cloid]) -> list[OrderAnswer]:
    """One result per order, each Resting/Filled carrying the cloid it was sent with."""
    if len(results) == 1 and len(cloids) > 1 and isinstance(results[0], Rejected):
        # Deterministic pre-validation errors come back once for the whole batch (§2.2).
        results = list(results) * len(cloids)
    if len(results) != len(cloids):
        raise ExchangeError(f"expected {len(cloids)} order statuses, got {len(results)}")
    out: list[OrderAnswer] = []
    for result, cloid in zip(results, cloids, strict=True):
        if isinstance(result, Resting | Filled) and result.cloid is None:
            result = attrs.evolve(result, cloid=cloid)
        out.append(result)
    return out
