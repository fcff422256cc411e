"""How long the tracker's positions differed from the venue's truth.

On the simulator the truth is at hand (the engine in the same process), so a run can
measure what a live bot can only bound: every ``every_secs`` the tracker's positions
are compared with the engine's for the account, and :class:`DivergenceMeter` turns the
samples into the longest stretch they differed (``max_divergence_secs``) and the share
of the run they differed (``divergence_fraction``). A stretch starts at the first
sample that differs and ends at the first that agrees again, so its length is exact to
one sampling interval.

Some difference is inherent: a fill reaches the venue's books before it reaches the
bot over the websocket. What the measure catches is a difference that *lasts*: a fill
lost on the way, a resync stalled.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal

import attrs
import trio

__all__ = ["TIMELINE_MAX", "DivergenceMeter", "DivergenceReport", "sample_divergence"]

#: The most change points a meter keeps for :attr:`DivergenceMeter.timeline` (oldest dropped).
TIMELINE_MAX = 100_000


@attrs.frozen
class DivergenceReport:
    """``samples`` compared over ``secs``; ``max_divergence_secs`` the longest stretch
    of disagreement, ``divergence_fraction`` the time in disagreement / ``secs``;
    ``last_difference`` the coins and sizes (tracker, venue) of the latest one."""

    samples: int
    secs: float
    max_divergence_secs: float
    divergence_fraction: float
    stretches: int
    last_difference: dict[str, tuple[str, str]]

    def to_json(self) -> dict[str, object]:
        return {
            "samples": self.samples,
            "secs": round(self.secs, 3),
            "max_divergence_secs": round(self.max_divergence_secs, 3),
            "divergence_fraction": round(self.divergence_fraction, 4),
            "stretches": self.stretches,
            "last_difference": {c: list(v) for c, v in self.last_difference.items()},
        }


def _difference(
    tracker: Mapping[str, Decimal], venue: Mapping[str, Decimal]
) -> dict[str, tuple[str, str]]:
    found = {}
    for coin in set(tracker) | set(venue):
        mine, theirs = tracker.get(coin, Decimal(0)), venue.get(coin, Decimal(0))
        if mine != theirs:
            found[coin] = (str(mine), str(theirs))
    return found


class DivergenceMeter:
    """Samples in, stretches out; time in seconds on any monotonic clock."""

    def __init__(self) -> None:
        self.samples = 0
        self._first: float | None = None
        self._last: float | None = None
        self._since: float | None = None  # start of the current stretch of disagreement
        self._total = 0.0
        self._max = 0.0
        self._stretches = 0
        self._last_difference: dict[str, tuple[str, str]] = {}
        #: ``(now, coins differing)`` at the first sample and at every sample where that
        #: number changed (a plot's step line; the last sample is :attr:`last_sample`).
        self.timeline: deque[tuple[float, int]] = deque(maxlen=TIMELINE_MAX)
        #: the wall clock (ms since the epoch) at the first sample: places ``now`` in time.
        self.first_wall_ms: int | None = None

    @property
    def first_sample(self) -> float | None:
        """``now`` of the first sample (taken at :attr:`first_wall_ms`)."""
        return self._first

    @property
    def last_sample(self) -> float | None:
        """``now`` of the latest sample."""
        return self._last

    def sample(
        self, now: float, tracker: Mapping[str, Decimal], venue: Mapping[str, Decimal]
    ) -> bool:
        """Record one comparison at ``now``; True when they agree."""
        difference = _difference(tracker, venue)
        self.samples += 1
        if self._first is None:
            self._first = now
            self.first_wall_ms = int(time.time() * 1000)
        if not self.timeline or self.timeline[-1][1] != len(difference):
            self.timeline.append((now, len(difference)))
        self._last = now
        if difference:
            self._last_difference = difference
            if self._since is None:
                self._since = now
                self._stretches += 1
            self._max = max(self._max, now - self._since)
            return False
        if self._since is not None:
            self._close(now)
        return True

    def _close(self, now: float) -> None:
        assert self._since is not None
        length = now - self._since
        self._total += length
        self._max = max(self._max, length)
        self._since = None

    def report(self) -> DivergenceReport:
        secs = 0.0 if self._first is None or self._last is None else self._last - self._first
        total = self._total
        longest = self._max
        if self._since is not None and self._last is not None:
            # Still differing at the last sample: the open stretch counts up to it.
            total += self._last - self._since
            longest = max(longest, self._last - self._since)
        return DivergenceReport(
            samples=self.samples,
            secs=secs,
            max_divergence_secs=longest,
            divergence_fraction=(total / secs) if secs > 0 else 0.0,
            stretches=self._stretches,
            last_difference=dict(self._last_difference),
        )


async def sample_divergence(
    meter: DivergenceMeter,
    tracker_positions: Callable[[], Awaitable[Mapping[str, Decimal]]],
    venue_positions: Callable[[], Mapping[str, Decimal]],
    *,
    every_secs: float = 0.25,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Compare every ``every_secs`` until cancelled (on trio's clock, deadline-paced).

    The venue is read right after the tracker's answer arrives, so a fill the venue
    made between the two reads shows up as one sample of difference, never more.
    """
    task_status.started()
    deadline = trio.current_time()
    while True:
        mine = await tracker_positions()
        meter.sample(trio.current_time(), mine, venue_positions())
        deadline += every_secs
        now = trio.current_time()
        if deadline < now:
            deadline = now
        await trio.sleep_until(deadline)
