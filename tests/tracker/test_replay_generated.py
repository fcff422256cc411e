"""Generated captures: what the bot would have recorded replays to the venue's truth.

A seeded random order flow on the venue model (tests/tracker/_venue.py) is
written as a design.md capture (start-up meta/perpDexs, ws posts and answers,
userFills, orderUpdates, orderStatus resolutions, clearinghouseState resyncs)
and fed live to a TrackerState; ``hip3 replay`` of the file must end where
the venue and the live tracker ended.
"""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest
import trio

from hip3.journal import CaptureWriter, replay, replay_async
from hip3.tracker import TrackerState
from hip3.types import Side

from ._venue import COINS, CaptureSink, Driver, Fills, StateSink

TENTH = Decimal("0.1")


def generate(path: Path, seed: int, steps: int) -> tuple[Driver, TrackerState]:
    rng = random.Random(seed)
    state = TrackerState()
    counter = iter(range(1_000_000_000))
    writer = CaptureWriter(path, now_ms=lambda: 1_700_000_000_000 + next(counter))
    capture = CaptureSink(writer)
    capture.start()
    driver = Driver([StateSink(state), capture], snapshot_size=100)
    driver.emit(Fills((), is_snapshot=True))
    for _ in range(steps):
        # Answers and orderUpdates arrive within moments on a live connection:
        # keep their backlog short, however the dice fall.
        if len(driver.pending_answers) > 6:
            driver.deliver_answer(0)
        if len(driver.pending_updates) > 6:
            driver.deliver_update(0)
        roll = rng.random()
        if roll < 0.25 and len(driver.pending_fills) < 8:
            parts = [rng.randint(1, 3) * TENTH for _ in range(rng.randint(0, 3))]
            sz = sum(parts, Decimal(0)) + rng.randint(0, 2) * TENTH or TENTH
            driver.place(
                rng.choice(COINS),
                rng.choice([Side.BUY, Side.SELL]),
                sz,
                rng.choice(["Ioc", "Gtc"]),
                parts,
                reject=rng.random() < 0.1,
                lose_answer=rng.random() < 0.1,
            )
        elif roll < 0.35 and driver.venue.open_orders() and len(driver.pending_fills) < 8:
            driver.fill_resting(rng.choice(driver.venue.open_orders()), rng.randint(1, 3) * TENTH)
        elif roll < 0.40 and len(driver.pending_fills) < 8:
            driver.foreign_fill(
                rng.choice(COINS), rng.choice([Side.BUY, Side.SELL]), TENTH, rng.random() < 0.3
            )
        elif roll < 0.43 and driver.venue.open_orders():
            driver.cancel(rng.choice(driver.venue.open_orders()))
        elif roll < 0.60 and driver.pending_answers:
            driver.deliver_answer(rng.randrange(len(driver.pending_answers)))
        elif roll < 0.80 and driver.pending_fills:
            driver.deliver_fills([rng.randrange(8) for _ in range(rng.randint(1, 4))])
        elif roll < 0.85:
            driver.duplicate(rng.randrange(5))
        elif roll < 0.90 and driver.pending_updates:
            driver.deliver_update(rng.randrange(len(driver.pending_updates)))
        elif roll < 0.93:
            driver.take_snapshot(rng.choice(["", "xyz"]))
        elif roll < 0.96 and driver.pending_snapshots:
            driver.deliver_snapshot(rng.randrange(len(driver.pending_snapshots)))
        elif roll < 0.98:
            window = {f["tid"] for f in driver.venue.recent_fills(driver.snapshot_size)}
            if all(f["tid"] in window for f in driver.pending_fills):
                driver.reconnect()
    while driver.pending_snapshots:
        driver.deliver_snapshot(0)
    driver.settle()
    writer.close()
    return driver, state


@pytest.mark.parametrize("seed", range(6))
def test_replay_of_a_generated_capture_matches_the_venue_and_the_live_tracker(
    tmp_path: Path, seed: int
) -> None:
    path = tmp_path / "capture.jsonl"
    driver, live = generate(path, seed, steps=400)
    result = replay(path)
    truth = driver.venue.positions()
    assert live.positions() == truth
    assert result.positions == truth
    assert result.malformed_lines == 0 and result.malformed_messages == 0
    assert result.unmapped_orders == 0
    assert result.stats.overfills == 0
    assert {o.cloid for o in result.open_orders} == {o.cloid for o in driver.venue.open_orders()}
    assert result.stats.snapshots_adopted >= 2
    as_json = result.to_json()
    assert as_json["positions"] == {
        c: format(sz.normalize(), "f") for c, sz in sorted(truth.items())
    }


async def test_replay_async_runs_inside_a_trio_program(tmp_path: Path) -> None:
    path = tmp_path / "capture.jsonl"
    driver, _ = generate(path, seed=42, steps=150)
    result = await replay_async(path)
    assert result.positions == driver.venue.positions()
    await trio.lowlevel.checkpoint()


@pytest.mark.slow
def test_replay_of_a_hundred_thousand_line_capture(tmp_path: Path) -> None:
    path = tmp_path / "capture.jsonl"
    driver, _ = generate(path, seed=7, steps=90_000)
    lines = sum(1 for _ in path.open("rb"))
    assert lines >= 100_000
    result = replay(path)
    assert result.positions == driver.venue.positions()
    assert result.lines == lines
