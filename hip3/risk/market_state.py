"""HIP-3 market states the gates respect: open-interest caps, halts and delistings, oracles.

:class:`MarketStates` holds what is known about each traded market; the gates
(:class:`~hip3.risk.gates.RiskGates` with ``states``) read it, and three sources write it:

* :class:`MarketStateWatch` (a task in the bot's nursery): ``perpsAtOpenInterestCap`` and the
  universe's ``isDelisted`` per dex at start and every ``poll_secs``, and each market's
  ``activeAssetCtx`` stream (oracle price, open interest) in between -- with the caps of
  ``perpDexLimits`` a market whose open interest reaches its cap is capped at once;
* the venue's refusals (:meth:`MarketStates.note_rejection`): "Order would increase open interest
  while open interest is capped" caps the market until the next poll; a refusal saying trading
  is halted gates it for ``halt_recheck_secs`` (the venue publishes no halt flag, so after that
  one order probes again);
* the oracle: a market whose oracle price has not moved for ``risk.stale_oracle_secs`` (the
  deployer pushes one every ~3 s) is stale.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import attrs
import trio

from hip3.errors import Hip3Error

__all__ = ["MarketStateWatch", "MarketStates", "MarketStatus", "watch_markets"]

log = logging.getLogger(__name__)

#: the venue's refusal of a position increase at the cap
OI_CAP_REJECT = "Order would increase open interest while open interest is capped"
_OI_CAP_TEXTS = ("open interest is capped", "at open interest cap")
_HALT_TEXTS = ("halted", "delisted")


@attrs.frozen(slots=True)
class MarketStatus:
    """One market's state. ``oracle_ms`` is when its oracle price last moved (local ms)."""

    coin: str
    halted: bool = False
    delisted: bool = False
    at_oi_cap: bool = False
    oracle_px: Decimal | None = None
    oracle_ms: int | None = None
    #: why the market is halted or capped (the venue's text), for the gate's message
    reason: str | None = None


class MarketStates:
    """What the venue says about each market, kept current by its sources (see the module)."""

    def __init__(self, *, now_ms: Callable[[], int], halt_recheck_secs: float = 30.0) -> None:
        self._now_ms = now_ms
        self.halt_recheck_ms = int(halt_recheck_secs * 1000)
        self._status: dict[str, MarketStatus] = {}
        self._halted_until: dict[str, int] = {}
        self._caps: dict[str, Decimal] = {}  # coin -> USD open-interest cap
        self._capped_by_venue: set[str] = set()  # from perpsAtOpenInterestCap or a refusal

    def get(self, coin: str) -> MarketStatus | None:
        status = self._status.get(coin)
        if (
            status is not None
            and status.halted
            and not status.delisted
            and self._now_ms() >= self._halted_until.get(coin, 0)
        ):
            status = attrs.evolve(status, halted=False, reason=None)
            self._status[coin] = status
        return status

    def _update(self, coin: str, **changes: Any) -> MarketStatus:
        status = attrs.evolve(self._status.get(coin) or MarketStatus(coin), **changes)
        self._status[coin] = status
        return status

    # -- sources -------------------------------------------------------------------------------

    def set_delisted(self, coin: str, delisted: bool) -> None:
        if delisted:
            self._update(coin, halted=True, delisted=True, reason="delisted")
            log.warning("%s is delisted: not quoting it", coin)

    def set_caps(self, caps: Mapping[str, Decimal]) -> None:
        self._caps.update(caps)

    def set_capped(self, coins: Sequence[str], among: Sequence[str]) -> None:
        """``coins`` are at their cap now (``perpsAtOpenInterestCap``); the rest of ``among``
        are not, as far as the venue says."""
        for coin in among:
            capped = coin in coins
            was = self._status.get(coin)
            if capped:
                self._capped_by_venue.add(coin)
                if was is None or not was.at_oi_cap:
                    log.warning("%s is at its open-interest cap: no position increase", coin)
                self._update(coin, at_oi_cap=True, reason="at open-interest cap")
            else:
                self._capped_by_venue.discard(coin)
                if was is not None and was.at_oi_cap:
                    self._update(coin, at_oi_cap=False, reason=None)

    def note_ctx(self, coin: str, ctx: Mapping[str, Any]) -> None:
        """An ``activeAssetCtx``: the oracle price (its time when it moved) and open interest."""
        oracle = _decimal(ctx.get("oraclePx"))
        status = self._status.get(coin) or MarketStatus(coin)
        changes: dict[str, Any] = {}
        if oracle is not None and oracle != status.oracle_px:
            changes.update(oracle_px=oracle, oracle_ms=self._now_ms())
        cap = self._caps.get(coin)
        open_interest = _decimal(ctx.get("openInterest"))
        if cap is not None and open_interest is not None and oracle is not None:
            capped = open_interest * oracle >= cap or coin in self._capped_by_venue
            if capped != status.at_oi_cap:
                changes.update(at_oi_cap=capped, reason="at open-interest cap" if capped else None)
        if changes:
            self._update(coin, **changes)

    def note_rejection(self, coin: str, text: str) -> None:
        """A refusal by the venue: an open-interest cap or a halted market gates the coin."""
        lowered = text.lower()
        if any(part in lowered for part in _OI_CAP_TEXTS):
            self._capped_by_venue.add(coin)
            self._update(coin, at_oi_cap=True, reason=text)
        elif any(part in lowered for part in _HALT_TEXTS):
            self._halted_until[coin] = self._now_ms() + self.halt_recheck_ms
            self._update(coin, halted=True, reason=text)
            log.warning("%s: the venue says %r: not quoting it for a while", coin, text)


def _decimal(value: Any) -> Decimal | None:
    if not isinstance(value, str):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class _Info(Protocol):
    async def post_info(self, body: Mapping[str, Any]) -> Any: ...


class _Ws(Protocol):
    async def subscribe(self, subscription: Mapping[str, Any]) -> Any: ...


class MarketStateWatch:
    """Keeps :class:`MarketStates` current for ``coins`` (perps; ``dex:COIN`` for HIP-3)."""

    def __init__(
        self,
        states: MarketStates,
        *,
        info: _Info,
        ws: _Ws | None,
        coins: Sequence[str],
        delisted: Callable[[str], bool] = lambda coin: False,
        poll_secs: float = 60.0,
        startup_timeout_secs: float = 10.0,
    ) -> None:
        self.states = states
        self.startup_timeout_secs = startup_timeout_secs
        self.info = info
        self.ws = ws
        self.coins = list(coins)
        self.delisted = delisted
        self.poll_secs = poll_secs
        self.dexes: dict[str, list[str]] = {}
        for coin in self.coins:
            dex = coin.partition(":")[0] if ":" in coin else ""
            self.dexes.setdefault(dex, []).append(coin)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Read the states, then ``started``; a venue slow to answer delays the start by
        ``startup_timeout_secs`` at most (the streams and polls then fill them in)."""
        for coin in self.coins:
            self.states.set_delisted(coin, self.delisted(coin))
        with trio.move_on_after(self.startup_timeout_secs) as waited:
            await self._caps()
            await self._poll()
        if waited.cancelled_caught:
            log.warning("market states: no answer within %gs; starting", self.startup_timeout_secs)
        async with trio.open_nursery() as nursery:
            if self.ws is not None:
                for coin in self.coins:
                    try:
                        sub = await self.ws.subscribe({"type": "activeAssetCtx", "coin": coin})
                    except Hip3Error as exc:
                        log.warning("activeAssetCtx %s: %s (no oracle staleness for it)", coin, exc)
                        continue
                    nursery.start_soon(self._ctxs, coin, sub)
            task_status.started()
            while True:
                await trio.sleep(self.poll_secs)
                await self._poll()

    async def _caps(self) -> None:
        """Each HIP-3 dex's per-market open-interest caps (``perpDexLimits``), once."""
        for dex in self.dexes:
            if not dex:
                continue
            try:
                limits = await self.info.post_info({"type": "perpDexLimits", "dex": dex})
            except Hip3Error as exc:
                log.warning("perpDexLimits %s: %s (OI caps known only from the venue)", dex, exc)
                continue
            caps: dict[str, Decimal] = {}
            for entry in (limits or {}).get("coinToOiCap") or []:
                if isinstance(entry, list) and len(entry) == 2:
                    cap = _decimal(entry[1])
                    if cap is not None and isinstance(entry[0], str):
                        caps[entry[0]] = cap
            self.states.set_caps(caps)

    async def _poll(self) -> None:
        for dex, coins in self.dexes.items():
            try:
                capped = await self.info.post_info({"type": "perpsAtOpenInterestCap", "dex": dex})
            except Hip3Error as exc:
                log.info("perpsAtOpenInterestCap %r: %s", dex, exc)
                continue
            if isinstance(capped, list):
                self.states.set_capped([c for c in capped if isinstance(c, str)], coins)

    async def _ctxs(self, coin: str, sub: Any) -> None:
        async for event in sub:
            if event.kind != "data":
                continue
            data = event.data
            ctx = data.get("ctx") if isinstance(data, Mapping) else getattr(data, "ctx", None)
            if isinstance(ctx, Mapping):
                self.states.note_ctx(coin, ctx)


def watch_markets(
    states: MarketStates,
    *,
    info: _Info,
    ws: _Ws | None,
    universe: Any,
    coins: Sequence[str],
    poll_secs: float = 60.0,
) -> MarketStateWatch:
    """The watch of ``coins``' perp markets (spot pairs have no such states)."""

    def rules(coin: str) -> Any:
        return universe.market(coin)

    return MarketStateWatch(
        states,
        info=info,
        ws=ws,
        coins=[coin for coin in coins if not getattr(rules(coin), "is_spot", False)],
        delisted=lambda coin: bool(getattr(rules(coin), "is_delisted", False)),
        poll_secs=poll_secs,
    )
