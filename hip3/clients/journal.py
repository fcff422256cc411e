"""The journal hook: anything with CaptureWriter's ``record`` signature can observe traffic."""

from __future__ import annotations

from typing import Any, Literal, Protocol


class MessageRecorder(Protocol):
    """Matches ``hip3.journal.capture.CaptureWriter.record`` (design.md capture format):
    ws lines carry the whole message; http lines carry ``id`` pairing request and response
    and, on ``out``, the ``path``."""

    def record(
        self,
        direction: Literal["in", "out"],
        via: Literal["ws", "http"],
        msg: Any,
        *,
        id: int | None = None,
        path: str | None = None,
    ) -> None: ...
