"""Journal: capture files of every message in and out, and replay through the tracker."""

from __future__ import annotations

from hip3.journal.capture import (
    CaptureLine,
    CaptureReader,
    CaptureWriter,
    MalformedLine,
    read_capture,
)
from hip3.journal.replay import ReplayResult, replay, replay_async

__all__ = [
    "CaptureLine",
    "CaptureReader",
    "CaptureWriter",
    "MalformedLine",
    "ReplayResult",
    "read_capture",
    "replay",
    "replay_async",
]
