from __future__ import annotations

import inspect
from collections.abc import Sequence
from decimal import Decimal

import pytest
import trio
import trio.testing

from hip3.bot.bot import Bot, Mode
from hip3.bot.resync import ResyncTimer
from hip3.bot.settings import BotSettings
from hip3.domain import AccountSnapshot, PositionSnapshot
from hip3.errors import TransportError
from hip3.tracker import SnapshotOutcome


@pytest.fixture
def mock_clock() -> trio.testing.MockClock:
    return trio.testing.MockClock(autojump_threshold=0)


class Exchange:
    """Fetch and deliver callbacks recording when (in trio time) they ran."""

    def __init__(self, *, fail_at: frozenset[int] = frozenset(), fetch_secs: float = 0.0) -> None:
        self.fetch_times: list[tuple[float, str]] = []
        self.delivered: list[tuple[float, AccountSnapshot]] = []
        self.fail_at = fail_at
        self.fetch_secs = fetch_secs
        self.defer = False

    async def fetch(self, dex: str) -> AccountSnapshot:
        call = len(self.fetch_times)
        self.fetch_times.append((trio.current_time(), dex))
        await trio.sleep(self.fetch_secs)
        if call in self.fail_at:
            raise TransportError("connection reset")
        position = PositionSnapshot(f"{dex}:X" if dex else "BTC", Decimal(call))
        return AccountSnapshot(dex, call, {position.coin: position})

    async def deliver(self, snapshot: AccountSnapshot) -> bool:
        self.delivered.append((trio.current_time(), snapshot))
        return not self.defer


async def run_for(timer: ResyncTimer, secs: float) -> None:
    async with trio.open_nursery() as nursery:
        await nursery.start(timer.run)
        await trio.sleep(secs)
        nursery.cancel_scope.cancel()


async def test_ticks_every_interval_for_each_dex(mock_clock: trio.testing.MockClock) -> None:
    exchange = Exchange()
    timer = ResyncTimer(
        interval_secs=60, dexes=["", "xyz", ""], fetch=exchange.fetch, deliver=exchange.deliver
    )
    start = trio.current_time()
    await run_for(timer, 185)
    times = [round(t - start) for t, _ in exchange.fetch_times]
    assert times == [60, 60, 120, 120, 180, 180]
    assert [dex for _, dex in exchange.fetch_times] == ["", "xyz"] * 3
    assert timer.stats.ticks == 3 and timer.stats.snapshots_delivered == 6


async def test_interval_zero_is_off(mock_clock: trio.testing.MockClock) -> None:
    exchange = Exchange()
    timer = ResyncTimer(interval_secs=0, dexes=[""], fetch=exchange.fetch, deliver=exchange.deliver)
    await run_for(timer, 1000)
    assert exchange.fetch_times == [] and not timer.enabled


async def test_failed_fetch_is_counted_and_retried_next_tick(
    mock_clock: trio.testing.MockClock,
) -> None:
    exchange = Exchange(fail_at=frozenset({0}))
    timer = ResyncTimer(
        interval_secs=5, dexes=["xyz"], fetch=exchange.fetch, deliver=exchange.deliver
    )
    start = trio.current_time()
    await run_for(timer, 11)
    assert [round(t - start) for t, _ in exchange.fetch_times] == [5, 10]
    assert [s.time_ms for _, s in exchange.delivered] == [1]
    assert timer.stats.fetch_failures == 1
    assert timer.stats.last_error is not None and "connection reset" in timer.stats.last_error


async def test_hung_fetch_times_out_and_next_tick_still_runs(
    mock_clock: trio.testing.MockClock,
) -> None:
    exchange = Exchange(fetch_secs=100)
    timer = ResyncTimer(
        interval_secs=10,
        dexes=[""],
        fetch=exchange.fetch,
        deliver=exchange.deliver,
        fetch_timeout_secs=3,
    )
    start = trio.current_time()
    await run_for(timer, 25)
    assert [round(t - start) for t, _ in exchange.fetch_times] == [10, 20]
    assert timer.stats.fetch_failures == 2 and exchange.delivered == []


async def test_slow_fetch_does_not_drift_the_schedule(mock_clock: trio.testing.MockClock) -> None:
    exchange = Exchange(fetch_secs=4)
    timer = ResyncTimer(
        interval_secs=10, dexes=[""], fetch=exchange.fetch, deliver=exchange.deliver
    )
    start = trio.current_time()
    await run_for(timer, 45)
    assert [round(t - start) for t, _ in exchange.fetch_times] == [10, 20, 30, 40]


async def test_overrunning_fetch_skips_missed_ticks_instead_of_bursting(
    mock_clock: trio.testing.MockClock,
) -> None:
    exchange = Exchange(fetch_secs=25)
    timer = ResyncTimer(
        interval_secs=10,
        dexes=[""],
        fetch=exchange.fetch,
        deliver=exchange.deliver,
        fetch_timeout_secs=60,
    )
    start = trio.current_time()
    await run_for(timer, 75)
    assert [round(t - start) for t, _ in exchange.fetch_times] == [10, 40, 70]
    assert timer.stats.missed_ticks == 4


async def test_deferred_snapshots_are_counted_and_offered_again_next_tick(
    mock_clock: trio.testing.MockClock,
) -> None:
    exchange = Exchange()
    exchange.defer = True
    timer = ResyncTimer(interval_secs=1, dexes=[""], fetch=exchange.fetch, deliver=exchange.deliver)
    await run_for(timer, 2.5)
    assert timer.stats.deferrals == 2
    exchange.defer = False
    await run_for(timer, 1.5)
    assert timer.stats.deferrals == 2 and timer.stats.snapshots_delivered == 3


def test_negative_interval_refused() -> None:
    async def never(_: object) -> AccountSnapshot:
        raise AssertionError

    with pytest.raises(ValueError, match="interval_secs"):
        ResyncTimer(interval_secs=-1, dexes=[], fetch=never, deliver=never)


async def test_a_deferred_snapshot_outcome_counts_as_a_deferral(
    mock_clock: trio.testing.MockClock,
) -> None:
    """The tracker answers with a SnapshotOutcome, falsy when deferred (never ``False``)."""
    answers = [SnapshotOutcome(False, "", 0, "order 0x1 in flight"), SnapshotOutcome(True, "", 1)]

    async def deliver(snapshot: AccountSnapshot) -> SnapshotOutcome:
        return answers.pop(0)

    exchange = Exchange()
    timer = ResyncTimer(interval_secs=1, dexes=[""], fetch=exchange.fetch, deliver=deliver)
    assert await timer.resync_once() == []
    assert timer.stats.deferrals == 1 and timer.stats.snapshots_adopted == 0
    assert await timer.resync_once() == [""]
    assert timer.stats.snapshots_adopted == 1 and timer.stats.snapshots_delivered == 2


async def test_resync_until_adopted_retries_failures_and_deferrals_per_dex(
    mock_clock: trio.testing.MockClock,
) -> None:
    exchange = Exchange(fail_at=frozenset({0}))
    deferred_once = {"xyz"}

    async def deliver(snapshot: AccountSnapshot) -> SnapshotOutcome:
        adopted = snapshot.dex not in deferred_once
        deferred_once.discard(snapshot.dex)
        return SnapshotOutcome(adopted, snapshot.dex, snapshot.time_ms)

    timer = ResyncTimer(interval_secs=0, dexes=["", "xyz"], fetch=exchange.fetch, deliver=deliver)
    assert await timer.resync_until_adopted(timeout_secs=5, retry_secs=0.1)
    # "" failed then was adopted; "xyz" was deferred then adopted; nothing asked twice after.
    assert [dex for _, dex in exchange.fetch_times] == ["", "xyz", "", "xyz"]
    assert timer.stats.fetch_failures == 1 and timer.stats.deferrals == 1


async def test_resync_until_adopted_gives_up_after_its_timeout(
    mock_clock: trio.testing.MockClock,
) -> None:
    exchange = Exchange()
    exchange.defer = True
    timer = ResyncTimer(interval_secs=0, dexes=[""], fetch=exchange.fetch, deliver=exchange.deliver)
    start = trio.current_time()
    assert not await timer.resync_until_adopted(timeout_secs=2, retry_secs=0.5, max_retry_secs=0.5)
    assert trio.current_time() - start == pytest.approx(2)
    assert timer.stats.deferrals == 4


def test_bot_resync_interval_defaults_to_60s() -> None:
    params = inspect.signature(Bot).parameters
    assert BotSettings().resync.interval_secs == 60.0
    assert params["mode"].default is Mode.OBSERVE


async def test_backfill_runs_once_per_round_before_any_delivery(
    mock_clock: trio.testing.MockClock,
) -> None:
    exchange = Exchange()
    order: list[str] = []

    async def backfill(snapshots: Sequence[AccountSnapshot]) -> None:
        order.append("backfill " + ",".join(s.dex for s in snapshots))

    async def deliver(snapshot: AccountSnapshot) -> bool:
        order.append("deliver " + snapshot.dex)
        return True

    timer = ResyncTimer(
        interval_secs=1, dexes=["", "xyz"], fetch=exchange.fetch, deliver=deliver, backfill=backfill
    )
    assert await timer.resync_once() == ["", "xyz"]
    assert order == ["backfill ,xyz", "deliver ", "deliver xyz"]


async def test_a_failed_backfill_skips_the_round_and_is_retried(
    mock_clock: trio.testing.MockClock,
) -> None:
    exchange = Exchange()
    calls = [0]

    async def backfill(snapshots: Sequence[AccountSnapshot]) -> None:
        calls[0] += 1
        if calls[0] == 1:
            raise TransportError("userFillsByTime: 429")

    timer = ResyncTimer(
        interval_secs=1,
        dexes=[""],
        fetch=exchange.fetch,
        deliver=exchange.deliver,
        backfill=backfill,
    )
    assert await timer.resync_once() == [] and exchange.delivered == []
    assert timer.stats.fetch_failures == 1 and "backfill" in str(timer.stats.last_error)
    assert await timer.resync_until_adopted(timeout_secs=5)
    assert len(exchange.delivered) == 1
