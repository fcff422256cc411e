"""The venue's dead-man's switch (``scheduleCancel``), kept armed while the bot runs.

``scheduleCancel {time}`` makes the venue cancel all the account's open orders
at ``time`` unless re-armed first (the time must be at least 5 s ahead; the
venue allows 10 triggers a day). If the bot dies or loses its connection, its
quotes are gone within ``window_secs``; while it is healthy it pushes the time
forward every ``rearm_secs``. With ``disarm_on_exit`` it disarms (``time``
omitted) whenever it stops; the bot passes False and disarms itself only after
a clean shutdown cancelled its orders, so a crash or a cancellation leaves the
switch armed -- the venue then cancels whatever the bot could not.

The venue refuses the switch to accounts that traded less than $1M ("Cannot set
scheduled cancel time until enough volume traded..."). :class:`DeadMansSwitch`
says so instead of hiding it: its :attr:`~DeadMansSwitch.status` is
:attr:`Protection.UNPROTECTED` with the venue's reason, for the live view, the
summary and the metrics. With ``require`` a refusal of the first arming ends the
start with :class:`DeadMansSwitchRefused` (before any order is sent, as the bot
starts it before its strategy). While unprotected a client-side watchdog is the
fallback: when the bot's feeds (``liveness``) or its event loop stall for longer
than the window, it cancels the bot's own orders (``cancel_own``) once per stall.
"""

from __future__ import annotations

import enum
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable

import attrs
import trio

from hip3.errors import DeadMansSwitchRefused, Hip3Error
from hip3.executor.ports import OrderVenue

__all__ = [
    "MIN_WINDOW_SECS",
    "DeadMansSwitch",
    "DeadMansSwitchRefused",
    "DeadMansSwitchStatus",
    "Protection",
    "disarm_dead_mans_switch",
    "run_dead_mans_switch",
]

log = logging.getLogger(__name__)

#: the venue refuses a scheduleCancel time less than 5 seconds ahead
MIN_WINDOW_SECS = 5.0


class Protection(enum.Enum):
    """Whether the venue will cancel the bot's orders if the bot goes silent."""

    #: no switch is kept by this bot (not trading, or ``dead_man_switch_secs = 0``)
    OFF = "off"
    #: the first arming has not been answered yet
    ARMING = "arming"
    #: the venue accepted the latest arming
    PROTECTED = "protected"
    #: the venue refused (``reason``): nothing cancels the orders if the bot dies
    UNPROTECTED = "UNPROTECTED"


@attrs.define
class DeadMansSwitchStatus:
    """What the switch knows now (a live object: read it, never write it)."""

    protection: Protection = Protection.ARMING
    #: the venue's (or the transport's) latest refusal, while unprotected
    reason: str | None = None
    #: armings refused since the start
    refusals: int = 0
    #: times the client-side watchdog cancelled the bot's orders
    watchdog_cancels: int = 0

    @property
    def protected(self) -> bool:
        return self.protection is Protection.PROTECTED

    def describe(self) -> str:
        """One line for a live view or a summary."""
        if self.protection is Protection.UNPROTECTED:
            line = f"UNPROTECTED: {self.reason}"
            if self.watchdog_cancels:
                line += f" (watchdog cancelled {self.watchdog_cancels}x)"
            return line
        return str(self.protection.value)

    def to_json(self) -> dict[str, object]:
        return {
            "protection": self.protection.value,
            "reason": self.reason,
            "refusals": self.refusals,
            "watchdog_cancels": self.watchdog_cancels,
        }


class DeadMansSwitch:
    """Keeps the venue's scheduleCancel armed and reports whether it holds.

    ``liveness`` returns the local ms of the bot's latest sign of life (the bot: now while
    its socket is connected, else its newest market data; None: none yet);
    ``cancel_own`` cancels the bot's own orders. Both feed the watchdog, which runs only
    while the venue's switch does not hold; without them there is no watchdog.
    """

    def __init__(
        self,
        venue: OrderVenue,
        *,
        window_secs: float = 60.0,
        rearm_secs: float | None = None,
        now_ms: Callable[[], int] | None = None,
        disarm_on_exit: bool = True,
        require: bool = False,
        liveness: Callable[[], int | None] | None = None,
        cancel_own: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        rearm = window_secs / 4 if rearm_secs is None else rearm_secs
        if not (math.isfinite(window_secs) and window_secs >= MIN_WINDOW_SECS):
            raise ValueError(f"window_secs must be >= {MIN_WINDOW_SECS}, got {window_secs}")
        if not 0 < rearm < window_secs:
            raise ValueError(f"rearm_secs must be in (0, window_secs), got {rearm}")
        self.venue = venue
        self.window_secs = window_secs
        self.rearm_secs = rearm
        self.disarm_on_exit = disarm_on_exit
        self.require = require
        self._now_ms = now_ms if now_ms is not None else (lambda: time.time_ns() // 1_000_000)
        self._liveness = liveness
        self._cancel_own = cancel_own
        self.status = DeadMansSwitchStatus()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Arm at once, then every ``rearm_secs``; started once the first arming is answered.

        Raises :class:`DeadMansSwitchRefused` (before ``started``) when ``require`` is set and
        the first arming is refused."""
        try:
            await self._arm()
            if self.require and not self.status.protected:
                raise DeadMansSwitchRefused(
                    f"the venue refused the dead-man's switch ({self.status.reason}) and "
                    "risk.require_dead_man_switch is set: not starting"
                )
            async with trio.open_nursery() as nursery:
                if self._liveness is not None and self._cancel_own is not None:
                    nursery.start_soon(self._watchdog)
                task_status.started()
                deadline = trio.current_time()
                while True:
                    deadline += self.rearm_secs
                    await trio.sleep_until(deadline)
                    await self._arm()
        finally:
            if self.disarm_on_exit:
                await disarm_dead_mans_switch(self.venue)

    async def _arm(self) -> None:
        try:
            await self.venue.schedule_cancel(self._now_ms() + int(self.window_secs * 1000))
        except Hip3Error as exc:
            status = self.status
            status.refusals += 1
            same_refusal = _gist(status.reason) == _gist(str(exc))
            if (
                status.protection is not Protection.UNPROTECTED or not same_refusal
            ):  # said once per change, not every round: the view and metrics carry it
                log.error(
                    "dead-man's switch UNPROTECTED: the venue refused scheduleCancel: %s%s",
                    exc,
                    "" if self._cancel_own is None else " (client-side watchdog on)",
                )
            status.protection = Protection.UNPROTECTED
            status.reason = str(exc)
            return
        if self.status.protection is Protection.UNPROTECTED:
            log.warning("dead-man's switch armed again: the venue accepted scheduleCancel")
        self.status.protection = Protection.PROTECTED
        self.status.reason = None

    async def _watchdog(self) -> None:
        """While unprotected: cancel the bot's orders once per stall of its feeds or loop."""
        assert self._liveness is not None and self._cancel_own is not None
        window_ms = int(self.window_secs * 1000)
        period = min(1.0, self.window_secs / 4)
        expected = trio.current_time() + period
        started_ms = self._now_ms()
        fired = False
        while True:
            await trio.sleep_until(expected)
            lag = trio.current_time() - expected  # the loop itself stalled this long
            expected = max(expected + period, trio.current_time())
            if self.status.protected:
                fired = False
                continue
            now = self._now_ms()
            last = self._liveness()
            feed_age_ms = now - (last if last is not None else started_ms)
            stalled = lag * 1000 > window_ms or feed_age_ms > window_ms
            if not stalled:
                fired = False
                continue
            if fired:
                continue
            fired = True
            self.status.watchdog_cancels += 1
            what = (
                f"event loop late by {lag:.1f}s"
                if lag * 1000 > window_ms
                else f"no sign of the feeds for {feed_age_ms / 1000:.1f}s"
            )
            log.error(
                "watchdog: %s with no dead-man's switch at the venue: cancelling own orders", what
            )
            try:
                await self._cancel_own()
            except Hip3Error as exc:
                log.error("watchdog: cancelling own orders failed: %s", exc)
                fired = False  # try again on the next round


def _gist(reason: str | None) -> str | None:
    """A refusal without its numbers: "Traded: $1848.43" grows with every fill, and the same
    refusal with a new amount is no news worth another log line."""
    return None if reason is None else _NUMBERS.sub("#", reason)


_NUMBERS = re.compile(r"\d[\d,.]*")


async def run_dead_mans_switch(
    venue: OrderVenue,
    *,
    window_secs: float = 60.0,
    rearm_secs: float = 15.0,
    now_ms: Callable[[], int] | None = None,
    disarm_on_exit: bool = True,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Arm at once, re-arm every ``rearm_secs``; when cancelled, disarm if ``disarm_on_exit``.

    A refusal is logged and reported nowhere else: :class:`DeadMansSwitch` reports it."""
    switch = DeadMansSwitch(
        venue,
        window_secs=window_secs,
        rearm_secs=rearm_secs,
        now_ms=now_ms,
        disarm_on_exit=disarm_on_exit,
    )
    await switch.run(task_status=task_status)


async def disarm_dead_mans_switch(venue: OrderVenue, *, timeout_secs: float = 5.0) -> bool:
    """Disarm the venue's scheduleCancel (shielded, bounded); returns whether it worked."""
    with trio.CancelScope(shield=True), trio.move_on_after(timeout_secs):
        try:
            await venue.schedule_cancel(None)
        except Hip3Error as exc:
            log.warning("could not disarm scheduleCancel (it will fire): %s", exc)
            return False
        return True
    log.warning("disarming scheduleCancel timed out (it will fire)")
    return False
