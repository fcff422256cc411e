"""How the cost of adopting a snapshot scales with the tracker's memory and open orders.

``snapshot_scaling`` is the larger of two ratios, both of the same adoption
(a main-dex snapshot whose time leaves the same 200 remembered fills after
it, so "snapshot + fills after T" does identical work):

* adopt time with 1,000,000 remembered fills / with 2,000;
* adopt time with 100,000 open orders on the dex / with 10.

Work that is O(log n) or better in those sizes keeps both near 1; the target
is <= 2.0 (it was ~36 ms at 1M remembered fills when adoption scanned the
whole dedup memory, and ~18 ms at 100k open orders when deferral checks
scanned every order). Each timing is this thread's CPU time
(``time.thread_time``) per adoption over a batch, the two sides' batches
interleaved and the best batch of each kept, so other processes on a shared
machine inflate neither side of a ratio. The states are built with the history path
(``apply_fills(..., is_snapshot=True)`` remembers without accounting) and
orders from ``orderUpdates``, so building 1M remembered fills takes seconds.

``late_fill_drift_scaling`` (reported, no target): the cost of a late fill
that falls in a coin's newest open drift window, with 10,000 open drifts on
the coin / with 10 (a scan of the drifts made it grow with their number).

Runnable standalone: ``python bench/bench_snapshot.py [--quick]``.
"""

from __future__ import annotations

import gc
import logging
import sys
import time
from collections.abc import Iterator
from decimal import Decimal

from hip3.domain import AccountSnapshot, Fill, OrderUpdate, PositionSnapshot
from hip3.tracker import TrackerState
from hip3.types import Side

_T0 = 1_700_000_000_000
_AFTER_T = 200  # remembered fills newer than the snapshot, the same in every case
_SZ = Decimal("0.01")
_PX = Decimal("100")
_COINS = ("BTC", "ETH", "SOL", "xyz:TSLA")


def _fills(n: int) -> Iterator[Fill]:
    for i in range(n):
        yield Fill(
            coin=_COINS[i % 4],
            px=_PX,
            sz=_SZ,
            side=Side.BUY if i % 3 else Side.SELL,
            time_ms=_T0 + i,
            oid=i // 2,
            tid=i,
            crossed=True,
            hash=None,
        )


def _state(remembered: int, open_orders: int) -> tuple[TrackerState, AccountSnapshot]:
    """A state remembering ``remembered`` fills and holding ``open_orders`` open orders."""
    state = TrackerState(dedup_capacity=max(remembered, 2000))
    state.apply_fills(_fills(remembered), is_snapshot=True)  # history: remembered only
    for i in range(open_orders):
        state.order_update(
            OrderUpdate(
                coin="BTC",
                oid=10_000_000_000 + i,
                side=Side.BUY,
                limit_px=_PX,
                sz=_SZ,
                orig_sz=_SZ,
                status="open",
                status_time_ms=_T0,
            )
        )
    assert state.stats().dedup_size == remembered
    # T leaves exactly _AFTER_T remembered fills after it; positions flat at T.
    snapshot = AccountSnapshot(dex="", time_ms=_T0 + remembered - _AFTER_T - 1, positions={})
    first = state.adopt_snapshot(snapshot)  # the baseline, not timed
    assert first.adopted, first
    return state, snapshot


def _timed(state: TrackerState, snapshot: AccountSnapshot, batch: int) -> float:
    """CPU seconds of this thread per adoption, over one batch."""
    adopt = state.adopt_snapshot
    start = time.thread_time()
    for _ in range(batch):
        outcome = adopt(snapshot)
    elapsed = (time.thread_time() - start) / batch
    assert outcome.adopted and outcome.drift == (), outcome
    return elapsed


def _compare(
    small: tuple[TrackerState, AccountSnapshot],
    large: tuple[TrackerState, AccountSnapshot],
    batch: int,
    rounds: int,
) -> tuple[float, float]:
    """Best per-adoption time of each, their batches interleaved so both see the same machine."""
    best_small = best_large = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            best_small = min(best_small, _timed(*small, batch))
            best_large = min(best_large, _timed(*large, batch))
    finally:
        gc.enable()
    return best_small, best_large


def _drifting(open_drifts: int) -> TrackerState:
    """A state whose BTC has ``open_drifts`` unexplained drifts (snapshots that overtook fills)."""
    state = TrackerState(dedup_capacity=1_000_000)
    state.apply_fills([], is_snapshot=True)
    state.adopt_snapshot(AccountSnapshot(dex="", time_ms=_T0, positions={}))
    tracker_log = logging.getLogger("hip3.tracker")
    level = tracker_log.level
    tracker_log.setLevel(logging.ERROR)  # one warning per drift otherwise
    try:
        for i in range(1, open_drifts + 1):
            szi = Decimal(1000 * i)
            positions = {"BTC": PositionSnapshot(coin="BTC", szi=szi)}
            snapshot = AccountSnapshot(dex="", time_ms=_T0 + 1000 * i, positions=positions)
            state.adopt_snapshot(snapshot)
    finally:
        tracker_log.setLevel(level)
    assert state.stats().drift_events == open_drifts
    return state


class _LateFills:
    """Late fills in the newest drift's window (a scan's worst case), never explaining it."""

    def __init__(self, open_drifts: int) -> None:
        self.tid = 0
        self.time_ms = _T0 + 1000 * open_drifts - 500

    def apply(self, state: TrackerState, batch: int) -> float:
        fills = []
        for _ in range(batch):
            self.tid += 1
            fills.append(
                Fill(
                    coin="BTC",
                    px=_PX,
                    sz=_SZ,
                    side=Side.BUY,
                    time_ms=self.time_ms,
                    oid=1,
                    tid=self.tid,
                    crossed=True,
                    hash=None,
                )
            )
        apply_fill = state.apply_fill
        start = time.thread_time()
        for fill in fills:
            apply_fill(fill)
        return (time.thread_time() - start) / batch


def _explain_ratio(rounds: int) -> tuple[float, float]:
    few, many = _drifting(10), _drifting(10_000)
    late_few, late_many = _LateFills(10), _LateFills(10_000)
    best_few = best_many = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            best_few = min(best_few, late_few.apply(few, 50))
            best_many = min(best_many, late_many.apply(many, 50))
    finally:
        gc.enable()
    assert many.stats().covered_by_snapshot == late_many.tid
    return best_few, best_many


def run(quick: bool) -> dict[str, float]:
    batch = 50
    rounds = 20 if quick else 60

    start = time.perf_counter()
    large = _state(1_000_000, 0)
    build_secs = time.perf_counter() - start
    small_secs, large_secs = _compare(_state(2_000, 0), large, batch, rounds)
    del large
    memory_ratio = large_secs / small_secs

    few_secs, many_secs = _compare(_state(2_000, 10), _state(2_000, 100_000), batch, rounds)
    orders_ratio = many_secs / few_secs

    late_few_secs, late_many_secs = _explain_ratio(rounds)
    drift_ratio = late_many_secs / late_few_secs

    scaling = max(memory_ratio, orders_ratio)
    print(
        f"snapshot adoption: {small_secs * 1e6:.0f} us at 2k remembered fills, "
        f"{large_secs * 1e6:.0f} us at 1M (x{memory_ratio:.2f}; built in {build_secs:.1f} s); "
        f"{few_secs * 1e6:.0f} us with 10 open orders, {many_secs * 1e6:.0f} us with 100k "
        f"(x{orders_ratio:.2f}) -> snapshot_scaling {scaling:.2f} (target <= 2.0)"
    )
    print(
        f"late fill vs open drifts: {late_few_secs * 1e6:.1f} us with 10 open on the coin,"
        f" {late_many_secs * 1e6:.1f} us with 10,000 -> late_fill_drift_scaling"
        f" {drift_ratio:.2f} (bisect: about 1)"
    )
    return {
        "snapshot_scaling": scaling,
        "snapshot_memory_ratio": memory_ratio,
        "snapshot_orders_ratio": orders_ratio,
        "late_fill_drift_scaling": drift_ratio,
    }


if __name__ == "__main__":
    run(quick="--quick" in sys.argv[1:])
