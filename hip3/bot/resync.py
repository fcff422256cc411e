"""The resync timer: hand the exchange's positions to the tracker on a schedule.

Every ``interval_secs`` it fetches ``clearinghouseState`` for each dex the bot
trades (the venue keeps one per dex; HIP-3 dexes are separate accounts of
margin) and delivers the resulting :class:`~hip3.domain.AccountSnapshot`.
Whether the snapshot is adopted is the tracker's decision -- it defers one
taken while orders are in flight -- and the delivery callback reports it.

Ticks follow fixed deadlines (start + k * interval), not "sleep after work",
so a slow fetch does not make the schedule drift; ticks missed while a fetch
overran are skipped, never fired in a burst. A failed or timed-out fetch is
logged and counted and the dex is tried again at the next tick. An interval
of 0 turns the timer off.

With a ``backfill`` callback, each round fetches every dex's snapshot first,
then calls it once with them (the bot hands the tracker the account's fills
since the last adoption, so a fill lost on the ws cannot show up as drift),
then delivers; a failed backfill skips the round like a failed fetch.

No silent stall: a dex whose snapshots the tracker has deferred for longer than
``stall_after_secs`` of exchange time (three intervals by default) gets its
blockers resolved with the ``resolve`` callback (the bot asks ``orderStatus`` by
oid and cloid and fetches ``userFillsByTime`` for the orders' window), the same
snapshot is offered again, and if it is still deferred it is adopted with a
``force_cause``: the position is the venue's again and every disagreement is a
drift event naming the blocking orders.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import attrs
import trio

from hip3.domain import AccountSnapshot

__all__ = ["ResyncStats", "ResyncTimer"]

log = logging.getLogger(__name__)

FetchSnapshot = Callable[[str], Awaitable[AccountSnapshot]]
#: Called once per round with the round's snapshots, before any is delivered (the bot
#: fetches the fills since the last adoption there); raising skips the round.
Backfill = Callable[[Sequence[AccountSnapshot]], Awaitable[None]]
#: Returns something falsy when the tracker deferred the snapshot (the tracker's
#: ``SnapshotOutcome`` is truthy only when adopted), truthy when it took it. With a
#: ``force_cause`` the tracker adopts it despite its blockers (never a stale one).
DeliverSnapshot = Callable[..., Awaitable[object]]
#: Tries to clear what blocks a dex's snapshot (orderStatus, userFillsByTime).
ResolveBlockers = Callable[[Sequence[Any]], Awaitable[None]]


@attrs.define
class ResyncStats:
    ticks: int = 0
    snapshots_delivered: int = 0
    snapshots_adopted: int = 0
    deferrals: int = 0
    fetch_failures: int = 0
    missed_ticks: int = 0
    stalls_resolved: int = 0
    snapshots_forced: int = 0
    last_error: str | None = None


class ResyncTimer:
    def __init__(
        self,
        *,
        interval_secs: float,
        dexes: Sequence[str],
        fetch: FetchSnapshot,
        deliver: DeliverSnapshot,
        fetch_timeout_secs: float = 10.0,
        backfill: Backfill | None = None,
        resolve: ResolveBlockers | None = None,
        stall_after_secs: float | None = None,
    ) -> None:
        if interval_secs < 0:
            raise ValueError(f"interval_secs must be >= 0, got {interval_secs}")
        self.interval_secs = interval_secs
        self.dexes = list(dict.fromkeys(dexes))  # each dex once, in order
        self._fetch = fetch
        self._deliver = deliver
        self._backfill = backfill
        self._resolve = resolve
        # A dex deferred for longer than this (exchange time) is resolved actively, then
        # adopted anyway with drift naming its blockers: no silent stall. Default: three
        # intervals.
        if stall_after_secs is None and interval_secs > 0:
            stall_after_secs = 3 * interval_secs
        self.stall_after_ms = None if stall_after_secs is None else int(stall_after_secs * 1000)
        self.fetch_timeout_secs = fetch_timeout_secs
        self.stats = ResyncStats()
        #: trio time of the latest adopted snapshot (None: none yet): how long the tracker's
        #: positions have gone without being checked against the venue's truth
        self.last_adopted_at: float | None = None

    def add_dex(self, dex: str) -> None:
        """Resync ``dex`` too from the next round on."""
        if dex not in self.dexes:
            self.dexes.append(dex)

    @property
    def enabled(self) -> bool:
        return self.interval_secs > 0

    async def resync_once(self, dexes: Sequence[str] | None = None) -> list[str]:
        """Fetch and deliver one snapshot per dex; returns the dexes whose snapshot was adopted.

        A dex missing from the answer either failed to fetch (logged, counted) or was
        deferred by the tracker (counted); either way the next tick tries it again.
        """
        adopted: list[str] = []
        snapshots: list[AccountSnapshot] = []
        for dex in list(self.dexes) if dexes is None else dexes:
            snapshot = await self._fetch_logged(dex)
            if snapshot is not None:
                snapshots.append(snapshot)
        if snapshots and self._backfill is not None and not await self._backfill_logged(snapshots):
            return adopted
        for snapshot in snapshots:
            dex = snapshot.dex
            result = await self._deliver(snapshot)
            self.stats.snapshots_delivered += 1
            if not result and self._stalled(snapshot, result):
                result = await self._unstall(snapshot, result)
            if not result:
                # The tracker's SnapshotOutcome is falsy when deferred (never `is False`).
                self.stats.deferrals += 1
                reason = getattr(result, "reason", None) or "orders in flight"
                log.info("resync of dex %r deferred by the tracker: %s", dex or "main", reason)
                continue
            self.stats.snapshots_adopted += 1
            self.last_adopted_at = trio.current_time()
            adopted.append(dex)
        return adopted

    async def resync_until_adopted(
        self, *, timeout_secs: float, retry_secs: float = 0.1, max_retry_secs: float = 1.0
    ) -> bool:
        """Offer snapshots until every dex's was adopted once, or ``timeout_secs`` pass.

        Used for the start-up baseline and the final resync: a failed fetch or a
        deferral (orders still in flight) is retried after ``retry_secs``, doubling
        up to ``max_retry_secs`` (each round costs rate-limit weight). Returns
        whether every dex was adopted.
        """
        pending = list(self.dexes)
        delay = retry_secs
        with trio.move_on_after(timeout_secs):
            while True:
                adopted = await self.resync_once(pending)
                pending = [dex for dex in pending if dex not in adopted]
                if not pending:
                    return True
                await trio.sleep(delay)
                delay = min(delay * 2, max_retry_secs)
        log.warning("no snapshot adopted for dex(es) %s within %gs", pending, timeout_secs)
        return False

    def _stalled(self, snapshot: AccountSnapshot, result: object) -> bool:
        since = getattr(result, "deferred_since_ms", None)
        if self.stall_after_ms is None or since is None:
            return False
        if str(getattr(result, "reason", "")).startswith("stale"):
            return False
        return bool(snapshot.time_ms - since >= self.stall_after_ms)

    async def _unstall(self, snapshot: AccountSnapshot, result: object) -> object:
        """Resolve the blockers of a dex deferred too long; adopt anyway if they stay."""
        dex = snapshot.dex or "main"
        blockers = tuple(getattr(result, "blockers", ()))
        since = getattr(result, "deferred_since_ms", None)
        stuck_secs = (snapshot.time_ms - since) / 1000 if since is not None else 0.0
        log.warning(
            "resync of dex %s deferred for %.0fs (%s): resolving",
            dex,
            stuck_secs,
            getattr(result, "reason", None),
        )
        if self._resolve is not None and blockers:
            try:
                with trio.move_on_after(self.fetch_timeout_secs):
                    await self._resolve(blockers)
            except Exception as exc:  # logged and counted; the forced adoption follows
                self.stats.fetch_failures += 1
                self.stats.last_error = f"resolving blockers: {exc}"
                log.warning("resolving the blockers of dex %s failed: %s", dex, exc)
            result = await self._deliver(snapshot)
            if result:
                self.stats.stalls_resolved += 1
                return result
        cause = (
            f"deferred {stuck_secs:.0f}s; orderStatus and userFillsByTime did not clear it"
            if self._resolve is not None
            else f"deferred {stuck_secs:.0f}s"
        )
        result = await self._deliver(snapshot, force_cause=cause)
        if result:
            self.stats.snapshots_forced += 1
        return result

    async def _backfill_logged(self, snapshots: Sequence[AccountSnapshot]) -> bool:
        assert self._backfill is not None
        try:
            with trio.move_on_after(self.fetch_timeout_secs) as scope:
                await self._backfill(snapshots)
        except Exception as exc:  # as for a fetch: logged, counted, retried next round
            self.stats.fetch_failures += 1
            self.stats.last_error = f"backfill: {exc}"
            log.warning("resync backfill failed, retrying next tick: %s", exc)
            return False
        if scope.cancelled_caught:
            self.stats.fetch_failures += 1
            self.stats.last_error = f"backfill: timed out after {self.fetch_timeout_secs:g}s"
            log.warning("resync backfill timed out, retrying next tick")
            return False
        return True

    async def _fetch_logged(self, dex: str) -> AccountSnapshot | None:
        label = dex or "main"
        try:
            with trio.move_on_after(self.fetch_timeout_secs) as scope:
                return await self._fetch(dex)
        except Exception as exc:  # network, 429, malformed reply: all retried next tick
            self.stats.fetch_failures += 1
            self.stats.last_error = f"{label}: {exc}"
            log.warning("resync fetch for dex %s failed, retrying next tick: %s", label, exc)
            return None
        assert scope.cancelled_caught
        self.stats.fetch_failures += 1
        self.stats.last_error = f"{label}: timed out after {self.fetch_timeout_secs:g}s"
        log.warning("resync fetch for dex %s timed out, retrying next tick", label)
        return None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Tick until cancelled; returns at once when the interval is 0 (off)."""
        task_status.started()
        if not self.enabled:
            return
        interval = self.interval_secs
        deadline = trio.current_time() + interval
        while True:
            await trio.sleep_until(deadline)
            self.stats.ticks += 1
            await self.resync_once()
            deadline += interval
            now = trio.current_time()
            if deadline <= now:
                missed = math.floor((now - deadline) / interval) + 1
                self.stats.missed_ticks += missed
                deadline += missed * interval
