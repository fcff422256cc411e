"""FillWatch: fills lost on the way are fetched in seconds, not at the next resync.

The venue says an order filled in three ways that do not carry the trades
themselves: a ``filled`` post answer, an ``orderUpdates`` ``filled`` status, and
``orderStatus`` (asked after a refused cancel or a lost post answer). The trades
follow on ``userFills``; when one of those messages is lost the position stays wrong
until something brings it back -- a reconnect snapshot, a resync. The tracker lists
these gaps (:meth:`~hip3.tracker.TrackerHandle.unconfirmed`, each with the time it was
learned); this service looks at them every ``check_secs`` and, once a gap is older
than ``grace_secs`` (the ordinary delay of the stream), fetches ``userFillsByTime``
over a window that covers it and hands the fills to the tracker, which drops those it
already has by tid.

Bounded by design: one request per round covers every gap due (coalesced), rounds are
at least ``min_gap_secs`` apart, and each gap is retried with a doubling delay (up to
``max_retry_secs``) for ``max_attempts`` rounds -- after that it is left to the resync,
which adopts a snapshot anyway once its blockers have lasted too long and names them.
A ws reconnect (:meth:`FillWatch.request`) asks for one round over the last
``reconnect_lookback_secs`` too: the ``orderUpdates`` channel replays nothing after a
reconnect.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import attrs
import trio

from hip3.domain import Fill
from hip3.errors import Hip3Error
from hip3.tracker.state import Unconfirmed
from hip3.types import Cloid

__all__ = ["FillWatch", "FillWatchStats"]

log = logging.getLogger(__name__)

#: Fills whose exchange time is at or after ``start_ms`` (wall clock, ms).
FetchFills = Callable[[int], Awaitable[Sequence[Fill]]]
DeliverFills = Callable[[Sequence[Fill]], Awaitable[None]]
ListUnconfirmed = Callable[[], Awaitable[Sequence[Unconfirmed]]]


@attrs.define
class FillWatchStats:
    """``rounds`` of ``userFillsByTime`` fetched (``reconnect_rounds`` of them asked by a
    reconnect), ``fills_fetched`` in them, ``failures`` of the request, ``gaps_closed``
    gaps that were due and then closed, ``gaps_given_up`` left to the resync."""

    rounds: int = 0
    reconnect_rounds: int = 0
    fills_fetched: int = 0
    failures: int = 0
    gaps_closed: int = 0
    gaps_given_up: int = 0
    last_error: str | None = None


@attrs.define
class _Gap:
    attempts: int = 0
    next_try_ms: int = 0


class FillWatch:
    def __init__(
        self,
        *,
        unconfirmed: ListUnconfirmed,
        fetch: FetchFills,
        deliver: DeliverFills,
        wall_clock_ms: Callable[[], int],
        grace_secs: float = 2.0,
        check_secs: float = 0.5,
        min_gap_secs: float = 1.0,
        max_retry_secs: float = 30.0,
        max_attempts: int = 6,
        margin_secs: float = 5.0,
        reconnect_lookback_secs: float = 60.0,
        fetch_timeout_secs: float = 10.0,
    ) -> None:
        self._unconfirmed = unconfirmed
        self._fetch = fetch
        self._deliver = deliver
        self._wall_clock_ms = wall_clock_ms
        self.grace_ms = int(grace_secs * 1000)
        self.check_secs = check_secs
        self.min_gap_ms = int(min_gap_secs * 1000)
        self.max_retry_ms = int(max_retry_secs * 1000)
        self.max_attempts = max_attempts
        self.margin_ms = int(margin_secs * 1000)
        self.reconnect_lookback_ms = int(reconnect_lookback_secs * 1000)
        self.fetch_timeout_secs = fetch_timeout_secs
        self.stats = FillWatchStats()
        self._gaps: dict[tuple[Cloid | None, int | None], _Gap] = {}
        self._reconnected = False
        self._last_round_ms: int | None = None

    def request(self, reason: str) -> None:
        """Fetch the recent fills at the next round (after a ws reconnect, say)."""
        log.info("fill backfill requested: %s", reason)
        self._reconnected = True

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        deadline = trio.current_time()
        while True:
            await self.check_once()
            deadline += self.check_secs
            deadline = max(deadline, trio.current_time())
            await trio.sleep_until(deadline)

    async def check_once(self) -> bool:
        """One look at the gaps; True when a round of fills was fetched."""
        now_ms = int(trio.current_time() * 1000)
        gaps = await self._unconfirmed()
        live = {(g.cloid, g.oid) for g in gaps}
        for key in [k for k in self._gaps if k not in live]:
            del self._gaps[key]
            self.stats.gaps_closed += 1
        due: list[Unconfirmed] = []
        for gap in gaps:
            if now_ms - gap.since_ms < self.grace_ms:
                continue
            state = self._gaps.setdefault((gap.cloid, gap.oid), _Gap())
            if state.attempts >= self.max_attempts or state.next_try_ms > now_ms:
                continue
            due.append(gap)
        reconnect = self._reconnected
        if not due and not reconnect:
            return False
        if self._last_round_ms is not None and now_ms - self._last_round_ms < self.min_gap_ms:
            return False
        self._reconnected = False
        self._last_round_ms = now_ms
        # The oldest gap due decides how far back to look (in wall-clock ms: the venue's
        # fill times), with a margin for the stream's delay before the gap was noticed.
        lookback = max((now_ms - g.since_ms for g in due), default=0) + self.margin_ms
        if reconnect:
            lookback = max(lookback, self.reconnect_lookback_ms)
            self.stats.reconnect_rounds += 1
        start_ms = self._wall_clock_ms() - lookback
        self.stats.rounds += 1
        for gap in due:
            state = self._gaps[(gap.cloid, gap.oid)]
            state.attempts += 1
            state.next_try_ms = now_ms + min(self.max_retry_ms, self.grace_ms << state.attempts)
            if state.attempts == self.max_attempts:
                self.stats.gaps_given_up += 1
                log.warning(
                    "trades of %s order %s still missing after %d backfills: left to the resync",
                    gap.coin,
                    gap.cloid or gap.oid,
                    state.attempts,
                )
        try:
            with trio.fail_after(self.fetch_timeout_secs):
                fills = await self._fetch(start_ms)
        except (Hip3Error, trio.TooSlowError) as exc:
            self.stats.failures += 1
            self.stats.last_error = str(exc) or type(exc).__name__
            log.info("fill backfill failed (retried next round): %s", self.stats.last_error)
            return False
        self.stats.fills_fetched += len(fills)
        if fills:
            await self._deliver(fills)
        return True
