"""Open drifts are found by their time window, in any order the late fills arrive."""

from __future__ import annotations

from hip3.tracker import TrackerState
from hip3.types import Side

from ._build import fill, snapshot


def test_late_fills_explain_their_own_windows_in_any_order() -> None:
    state = TrackerState()
    state.apply_fills([], is_snapshot=True)
    state.adopt_snapshot(snapshot("", 0))
    n = 300
    for i in range(1, n + 1):
        # Every snapshot overtakes one buy of 1 made just before it.
        state.adopt_snapshot(snapshot("", i * 1_000, BTC=str(i)))
    assert state.stats().drift_events == n
    # Deliver the late fills middle first, then newest, then oldest.
    order = list(range(n // 2, n + 1)) + list(range(1, n // 2))
    for tid, i in enumerate(order):
        state.apply_fill(fill(tid, "1", oid=tid, time_ms=i * 1_000 - 1))
    stats = state.stats()
    assert stats.drift_events == 0 and stats.drift_explained == n
    assert state.position("BTC") == n


def test_a_late_fill_outside_every_open_window_explains_nothing() -> None:
    state = TrackerState()
    state.apply_fills([], is_snapshot=True)
    state.adopt_snapshot(snapshot("", 0))
    state.adopt_snapshot(snapshot("", 1_000, BTC="1"))  # window (0, 1000]
    state.adopt_snapshot(snapshot("", 2_000, BTC="1"))  # no drift
    state.adopt_snapshot(snapshot("", 3_000, BTC="3"))  # window (2000, 3000]
    state.apply_fill(fill(1, "2", time_ms=1_500))  # between the two windows
    assert state.stats().drift_events == 2
    state.apply_fill(fill(2, "1", Side.BUY, time_ms=500))
    state.apply_fill(fill(3, "2", Side.BUY, time_ms=2_500))
    stats = state.stats()
    assert stats.drift_events == 0 and stats.drift_explained == 2
