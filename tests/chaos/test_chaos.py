"""Chaos: seeded runs of the trading bot against hip3.sim with fault injection.

Every fault type alone and all together: ws messages dropped, duplicated,
reordered and delayed, disconnects (also during bursts of fills), post answers
lost for orders that filled, HTTP 429/5xx and slow answers -- with the resync
timer ticking every second through all of it. Each run must end with the
promises of :func:`e2e.harness.check_accounting`: positions equal to the
exchange's truth, every intent ended, open orders identical on both sides,
zero unexplained drift, no task leaked. Each run also checks its faults
actually fired, so a quiet run cannot pass for a hostile one.

The quick set runs by default (a few seconds under MockClock); the long set
(more seeds, hostile rates, longer runs) is marked ``slow``::

    pytest -m chaos          # quick and long sets
"""

from __future__ import annotations

from typing import Any

import pytest
import trio.testing
from e2e.harness import Run, check_accounting, fills_seen, run_bot_on_sim

from hip3.executor import OutcomeStatus
from hip3.sim import FaultConfig, SimConfig

pytestmark = pytest.mark.chaos

_COUNTER = {
    "ws_drop": "ws_drop",
    "ws_duplicate": "ws_duplicate",
    "ws_reorder": "ws_reorder",
    "ws_delay": "ws_delay",
    "disconnect_every_secs": "ws_disconnect",
    "post_drop": "post_drop",
    "post_delay": "post_delay",
    "http_429": "http_429",
    "http_5xx": "http_5xx",
    "http_delay": "http_delay",
}


def faults(rate: float, *names: str) -> FaultConfig:
    """Each named fault at probability ``rate``; disconnects every ``0.1 / rate`` s (>= 0.5)."""
    values: dict[str, Any] = {}
    for name in names:
        values[name] = max(0.5, 0.1 / rate) if name == "disconnect_every_secs" else rate
    return FaultConfig(**values)


ALONE = sorted(_COUNTER)
ALL = tuple(ALONE)


async def chaos_run(
    config: FaultConfig,
    *,
    seed: int,
    secs: float,
    min_fills: int = 4,
    min_kinds_fired: int | None = None,
    **params: Any,
) -> Run:
    """One seeded run, checked; every enabled fault must have fired (or ``min_kinds_fired``
    of them, for short runs with many kinds enabled at low rates)."""
    run = await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=seed, faults=config),
        secs=secs,
        until=lambda bot: fills_seen(bot) >= min_fills,
        until_timeout_secs=120,
        ws_post_timeout_secs=2.0,
        final_resync_timeout_secs=60,  # 429 storms drain the client's rate budget
        **params,
    )
    check_accounting(run)
    fired = run.truth["faults"]
    enabled = [counter for name, counter in _COUNTER.items() if getattr(config, name)]
    kinds = [counter for counter in enabled if fired[counter] > 0]
    wanted = len(enabled) if min_kinds_fired is None else min_kinds_fired
    assert len(kinds) >= wanted, f"faults enabled {enabled}, injected {fired}"
    s = run.summary
    assert s.resync.ticks >= 1 and s.resync.snapshots_adopted >= 1  # resync ran throughout
    return run


# -- quick set (default run) ------------------------------------------------------------------


async def test_all_faults_together(autojump_clock: trio.testing.MockClock) -> None:
    run = await chaos_run(faults(0.1, *ALL), seed=2, secs=3, min_kinds_fired=7)
    assert run.summary.tracker_stats.duplicates_dropped > 0


async def test_disconnects_during_bursts_of_fills(autojump_clock: trio.testing.MockClock) -> None:
    run = await chaos_run(
        FaultConfig(disconnect_every_secs=0.6), seed=3, secs=2, min_fills=12, noise_every_secs=0.04
    )
    assert run.truth["faults"]["ws_disconnect"] >= 2
    # The reconnect snapshots repeated fills the bot had already counted.
    assert run.summary.tracker_stats.duplicates_dropped > 0


async def test_lost_post_answers_of_orders_that_filled(
    autojump_clock: trio.testing.MockClock,
) -> None:
    run = await chaos_run(FaultConfig(post_drop=0.3), seed=4, secs=2, noise=False)
    s = run.summary
    assert s.post_answers_lost > 0
    # orderStatus (no average price) told the executor these IOCs had filled.
    resolved_fills = [
        o for o in run.bot.outcomes if o.status is OutcomeStatus.FILLED and o.avg_px is None
    ]
    assert resolved_fills, "no lost answer belonged to a filled order"


async def test_without_the_backfill_lost_userfills_surface_as_drift(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """What the resync backfill and the FillWatch are for: the same faults with both off.

    A dropped userFills message is a fill the bot never sees until a snapshot
    shows it -- an unexplained drift at adoption -- or, for an IOC whose
    confirming trade was dropped, a provisional fill never confirmed, which
    defers every snapshot. With the backfill on (every other run here) neither
    happens.
    """
    config = FaultConfig(ws_drop=0.3, channels=("userFills",))
    run = await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=5, faults=config),
        secs=3,
        until=lambda bot: fills_seen(bot) >= 4,
        ws_post_timeout_secs=2.0,
        resync_backfill=False,
        fill_watch=False,
        final_resync_timeout_secs=3,
    )
    s = run.summary
    assert run.truth["faults"]["ws_drop"] > 0
    drift = [e for e in s.drift_events if not e.baseline and not e.explained]
    assert drift or not s.final_resync, s


# -- long set (pytest -m chaos) -----------------------------------------------------------------

RATES = {"rare": 0.02, "moderate": 0.1, "hostile": 0.25}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12, 13])
@pytest.mark.parametrize("rate", sorted(RATES))
@pytest.mark.parametrize("fault", ALONE)
async def test_long_each_fault_alone(
    fault: str, rate: str, seed: int, autojump_clock: trio.testing.MockClock
) -> None:
    # A rare fault may not fire at all in a short run (most traffic is ws, not HTTP);
    # the run must still keep every promise.
    await chaos_run(
        faults(RATES[rate], fault),
        seed=seed,
        secs=12,
        min_fills=10,
        min_kinds_fired=0 if rate == "rare" else None,
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [21, 22, 23, 24, 25])
@pytest.mark.parametrize("rate", sorted(RATES))
async def test_long_all_faults_together(
    rate: str, seed: int, autojump_clock: trio.testing.MockClock
) -> None:
    await chaos_run(
        faults(RATES[rate], *ALL),
        seed=seed,
        secs=20,
        min_fills=10,
        min_kinds_fired=7 if rate == "rare" else 10,
        noise_every_secs=0.1,
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [31, 32, 33])
async def test_long_lost_userfills_healed_by_the_backfill(
    seed: int, autojump_clock: trio.testing.MockClock
) -> None:
    config = FaultConfig(ws_drop=0.3, channels=("userFills",))
    run = await chaos_run(config, seed=seed, secs=10)
    assert run.summary.drift_events == []


#: The fault rates of examples/chaos.toml (5% drops where the issue asked for them).
CHAOS_TOML = FaultConfig(
    ws_drop=0.05,
    ws_duplicate=0.05,
    ws_reorder=0.05,
    ws_delay=0.05,
    ws_delay_ms=300,
    disconnect_every_secs=10,
    post_drop=0.02,
    http_429=0.15,
    http_5xx=0.05,
)


#: Only lost and late messages: no reconnect brings a userFills snapshot to heal them.
DROPS_ONLY = FaultConfig(ws_drop=0.1, ws_delay=0.05, ws_delay_ms=300)


@pytest.mark.parametrize(
    ("faults_on", "seed"),
    [(CHAOS_TOML, 31), (CHAOS_TOML, 32), (CHAOS_TOML, 33), (DROPS_ONLY, 34), (DROPS_ONLY, 35)],
    ids=["chaos.toml-31", "chaos.toml-32", "chaos.toml-33", "drops-34", "drops-35"],
)
async def test_a_lost_fill_is_found_in_seconds_not_at_the_next_resync(
    autojump_clock: trio.testing.MockClock, faults_on: FaultConfig, seed: int
) -> None:
    # With the faults on and a resync only every 60 s, the longest stretch in which the
    # tracker differs from the venue's truth (sampled every 0.1 s) stays within 10 s:
    # lost fills are looked for as soon as the venue says an order filled and its trades
    # are late, not at the next resync or reconnect.
    run = await chaos_run(
        faults_on,
        seed=seed,
        secs=65,
        min_kinds_fired=2,
        position_resync_interval_secs=60.0,
    )
    report = run.divergence
    assert report.samples > 600
    assert report.max_divergence_secs <= 10.0, report
