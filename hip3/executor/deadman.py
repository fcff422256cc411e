"""The venue's dead-man's switch (``scheduleCancel``), kept armed while the bot runs.

``scheduleCancel {time}`` makes the venue cancel all the account's open orders
at ``time`` unless re-armed first (the time must be at least 5 s ahead; the
venue allows 10 triggers a day). If the bot dies or loses its connection, its
quotes are gone within ``window_secs``; while it is healthy it pushes the time
forward every ``rearm_secs``. With ``disarm_on_exit`` it disarms (``time``
omitted) whenever it stops; the bot passes False and disarms itself only after
a clean shutdown cancelled its orders, so a crash or a cancellation leaves the
switch armed -- the venue then cancels whatever the bot could not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import trio

from hip3.errors import Hip3Error
from hip3.executor.ports import OrderVenue

__all__ = ["MIN_WINDOW_SECS", "disarm_dead_mans_switch", "run_dead_mans_switch"]

log = logging.getLogger(__name__)

#: the venue refuses a scheduleCancel time less than 5 seconds ahead
MIN_WINDOW_SECS = 5.0


async def run_dead_mans_switch(
    venue: OrderVenue,
    *,
    window_secs: float = 60.0,
    rearm_secs: float = 15.0,
    now_ms: Callable[[], int] | None = None,
    disarm_on_exit: bool = True,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Arm at once, re-arm every ``rearm_secs``; when cancelled, disarm if ``disarm_on_exit``."""
    if window_secs < MIN_WINDOW_SECS:
        raise ValueError(f"window_secs must be >= {MIN_WINDOW_SECS}, got {window_secs}")
    if not 0 < rearm_secs < window_secs:
        raise ValueError(f"rearm_secs must be in (0, window_secs), got {rearm_secs}")
    clock_ms = now_ms if now_ms is not None else (lambda: time.time_ns() // 1_000_000)
    started = False
    try:
        deadline = trio.current_time()
        while True:
            try:
                await venue.schedule_cancel(clock_ms() + int(window_secs * 1000))
            except Hip3Error as exc:
                # The previous arming still holds until its time; try again next round.
                log.warning("could not re-arm scheduleCancel: %s", exc)
            if not started:
                started = True
                task_status.started()
            deadline += rearm_secs
            await trio.sleep_until(deadline)
    finally:
        if disarm_on_exit:
            await disarm_dead_mans_switch(venue)


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
