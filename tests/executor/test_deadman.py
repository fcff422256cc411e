"""The dead-man's switch tells the truth: refused means UNPROTECTED, and a watchdog steps in.

A scripted venue refuses or accepts ``scheduleCancel``; time is trio's MockClock.
"""

from __future__ import annotations

import logging

import pytest
import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.errors import ExchangeError
from hip3.executor.deadman import (
    DeadMansSwitch,
    DeadMansSwitchRefused,
    Protection,
)

GATE = (
    "Cannot set scheduled cancel time until enough volume traded. "
    "Required: $1000000. Traded: $0.00."
)


class Venue:
    """scheduleCancel answers: refused with ``refusal`` while it is set, else accepted."""

    def __init__(self, refusal: str | None = GATE) -> None:
        self.refusal = refusal
        self.calls: list[int | None] = []

    async def schedule_cancel(self, time_ms: int | None) -> None:
        self.calls.append(time_ms)
        if self.refusal is not None and time_ms is not None:
            raise ExchangeError(self.refusal)


def clock_ms() -> int:
    return int(trio.current_time() * 1000)


class Feeds:
    """The bot's market data time and its cancels of its own orders."""

    def __init__(self) -> None:
        self.last_ms: int | None = None
        self.cancels = 0

    def liveness(self) -> int | None:
        return self.last_ms

    async def cancel_own(self) -> None:
        self.cancels += 1

    async def flow(self) -> None:
        while True:
            self.last_ms = clock_ms()
            await trio.sleep(0.5)


def switch(venue: Venue, feeds: Feeds | None = None, **kwargs: object) -> DeadMansSwitch:
    return DeadMansSwitch(
        venue,  # type: ignore[arg-type]
        window_secs=10,
        now_ms=clock_ms,
        liveness=feeds.liveness if feeds is not None else None,
        cancel_own=feeds.cancel_own if feeds is not None else None,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_a_refused_switch_is_unprotected_with_the_venues_reason_said_once(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    venue = Venue()
    dms = switch(venue)
    assert dms.status.protection is Protection.ARMING
    with caplog.at_level(logging.WARNING, logger="hip3.executor.deadman"):
        async with trio.open_nursery() as nursery:
            await nursery.start(dms.run)
            assert dms.status.protection is Protection.UNPROTECTED
            assert dms.status.reason == GATE and not dms.status.protected
            await trio.sleep(30)  # re-armed (and refused) every 2.5 s
            nursery.cancel_scope.cancel()
    assert dms.status.refusals == len([c for c in venue.calls if c is not None]) > 5
    assert dms.status.describe() == f"UNPROTECTED: {GATE}"
    said = [r for r in caplog.records if "UNPROTECTED" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.ERROR
    assert dms.status.to_json() == {
        "protection": "UNPROTECTED",
        "reason": GATE,
        "refusals": dms.status.refusals,
        "watchdog_cancels": 0,
    }


async def test_an_accepted_arming_is_protected_again(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue = Venue()
    dms = switch(venue, disarm_on_exit=False)
    async with trio.open_nursery() as nursery:
        await nursery.start(dms.run)
        assert dms.status.protection is Protection.UNPROTECTED
        venue.refusal = None  # the account crossed $1M
        await trio.sleep(3)
        assert dms.status.protection is Protection.PROTECTED and dms.status.reason is None
        assert dms.status.describe() == "protected"
        nursery.cancel_scope.cancel()
    assert None not in venue.calls  # disarm_on_exit=False


async def test_require_refuses_to_start_before_anything_else_runs(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue = Venue()
    started = False
    with pytest.raises(BaseExceptionGroup) as info:
        async with trio.open_nursery() as nursery:
            await nursery.start(switch(venue, require=True).run)
            started = True
    assert not started
    leaf: BaseException = info.value
    while isinstance(leaf, BaseExceptionGroup):
        [leaf] = leaf.exceptions
    assert isinstance(leaf, DeadMansSwitchRefused)
    assert str(leaf).startswith("the venue refused the dead-man's switch")
    assert GATE in str(leaf) and "require_dead_man_switch" in str(leaf)
    assert venue.calls == [venue.calls[0], None]  # one arming refused, then the disarm


async def test_require_is_satisfied_by_an_accepted_switch(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue = Venue(refusal=None)
    dms = switch(venue, require=True)
    async with trio.open_nursery() as nursery:
        await nursery.start(dms.run)
        assert dms.status.protected
        nursery.cancel_scope.cancel()
    assert venue.calls[-1] is None  # disarmed on exit


async def test_the_watchdog_cancels_own_orders_once_per_feed_stall(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue, feeds = Venue(), Feeds()
    dms = switch(venue, feeds)
    async with trio.open_nursery() as nursery:
        await nursery.start(dms.run)
        await trio.sleep(60)  # the feeds never started: stalled since the start
        assert feeds.cancels == 1 and dms.status.watchdog_cancels == 1
        nursery.start_soon(feeds.flow)  # the feeds come back...
        await trio.sleep(30)
        assert feeds.cancels == 1
        nursery.cancel_scope.cancel()


async def test_the_watchdog_fires_again_after_recovery_then_a_new_stall(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue, feeds = Venue(), Feeds()
    dms = switch(venue, feeds)
    async with trio.open_nursery() as nursery:
        await nursery.start(dms.run)
        with trio.move_on_after(20):
            await feeds.flow()  # healthy for 20 s
        assert feeds.cancels == 0
        await trio.sleep(11)  # the feeds stalled past the 10 s window
        assert feeds.cancels == 1
        with trio.move_on_after(5):
            await feeds.flow()
        await trio.sleep(11)
        assert feeds.cancels == 2
        assert "watchdog cancelled 2x" in dms.status.describe()
        nursery.cancel_scope.cancel()


async def test_the_watchdog_cancels_when_the_event_loop_stalls(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue, feeds = Venue(), Feeds()
    dms = switch(venue, feeds)
    async with trio.open_nursery() as nursery:
        await nursery.start(dms.run)
        nursery.start_soon(feeds.flow)
        await trio.sleep(5)
        assert feeds.cancels == 0
        # Time passes with no task running (a blocking call): every timer is late at once.
        autojump_clock.jump(15)
        await trio.sleep(0.1)
        assert feeds.cancels == 1
        nursery.cancel_scope.cancel()


async def test_the_watchdog_is_idle_while_the_venue_protects(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue, feeds = Venue(refusal=None), Feeds()
    dms = switch(venue, feeds)
    async with trio.open_nursery() as nursery:
        await nursery.start(dms.run)
        await trio.sleep(60)  # no market data at all, but the venue's switch holds
        assert feeds.cancels == 0 and dms.status.protected
        nursery.cancel_scope.cancel()


def test_windows_are_checked() -> None:
    with pytest.raises(ValueError, match="window_secs"):
        DeadMansSwitch(Venue(), window_secs=4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rearm_secs"):
        DeadMansSwitch(Venue(), window_secs=10, rearm_secs=10)  # type: ignore[arg-type]


@settings(derandomize=True, max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.5, 8.0),  # the feeds flow this long...
            st.one_of(st.floats(0.0, 8.5), st.floats(12.0, 40.0)),  # ...then stall this long
        ),
        max_size=8,
    )
)
def test_the_watchdog_cancels_once_per_stall_longer_than_the_window(
    pattern: list[tuple[float, float]],
) -> None:
    """Any pattern of flowing and stalled feeds (window 10 s, checked every second): one
    cancel per stall longer than the window plus a check, none for the shorter ones."""

    async def scenario() -> int:
        venue, feeds = Venue(), Feeds()
        dms = switch(venue, feeds)
        async with trio.open_nursery() as nursery:
            feeds.last_ms = clock_ms()
            await nursery.start(dms.run)
            for flow_secs, stall_secs in pattern:
                with trio.move_on_after(flow_secs):
                    await feeds.flow()
                await trio.sleep(stall_secs)
            nursery.cancel_scope.cancel()
        return feeds.cancels

    expected = sum(1 for _flow, stall in pattern if stall >= 12.0)
    clock = trio.testing.MockClock(autojump_threshold=0)
    assert trio.run(scenario, clock=clock) == expected


async def test_the_same_refusal_with_a_growing_traded_amount_is_said_once(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    # The venue's text carries the account's traded volume, which grows with every fill:
    # still the same refusal, so one log line; a different refusal is said again.
    venue = Venue()
    dms = switch(venue)
    with caplog.at_level(logging.WARNING, logger="hip3.executor.deadman"):
        async with trio.open_nursery() as nursery:
            await nursery.start(dms.run)
            for traded in ("1848.43", "3796.96", "10250.10"):
                venue.refusal = GATE.replace("$0.00", f"${traded}")
                await trio.sleep(5)
            assert dms.status.reason is not None and "$10250.10" in dms.status.reason
            venue.refusal = "Too many scheduled cancel triggers today."
            await trio.sleep(5)
            nursery.cancel_scope.cancel()
    said = [r.getMessage() for r in caplog.records if "UNPROTECTED" in r.getMessage()]
    assert len(said) == 2 and "Traded: $0.00" in said[0] and "triggers" in said[1]
