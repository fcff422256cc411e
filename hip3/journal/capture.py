"""Capture files: every message the bot sends or receives, one JSON line each.

The format is design.md's contract::

    {"t": <local ms>, "dir": "out"|"in", "via": "ws"|"http", "msg": <exact JSON>}

http lines also carry ``"id"`` (pairs a response with its request) and, on
``out``, ``"path"`` (``/info`` or ``/exchange``).

:class:`CaptureWriter` writes each line with a single unbuffered ``write`` so a
crash loses at most the line being written. It records wire JSON only: order
actions and their signatures are public once sent, and private keys never
pass through it (signing happens before anything reaches the recorder).

:func:`read_capture` yields typed :class:`CaptureLine` records; a line that is
not valid JSON or does not have the shape above is counted (with its line
number and reason) and skipped, never fatal, so a capture cut short by a crash
still replays.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Literal

import attrs
import orjson

__all__ = ["CaptureLine", "CaptureReader", "CaptureWriter", "MalformedLine", "read_capture"]

Direction = Literal["in", "out"]
Via = Literal["ws", "http"]

_DIRECTIONS = ("in", "out")
_VIAS = ("ws", "http")
_MAX_SAMPLES = 20


def _set_aside(path: Path) -> Path | None:
    """Rename a non-empty ``path`` out of the way (named by its mtime); the new name."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    if info.st_size == 0:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(info.st_mtime))
    target = path.with_name(f"{path.stem}.{stamp}{path.suffix}")
    counter = 1
    while target.exists():
        target = path.with_name(f"{path.stem}.{stamp}-{counter}{path.suffix}")
        counter += 1
    path.rename(target)
    return target


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


@attrs.frozen(slots=True)
class CaptureLine:
    """One recorded message; ``line_no`` is 1-based within the file."""

    t: int
    dir: Direction
    via: Via
    msg: Any
    id: int | None = None
    path: str | None = None
    line_no: int = 0


@attrs.frozen(slots=True)
class MalformedLine:
    """Why a line of a capture was skipped."""

    line_no: int
    reason: str
    sample: str


class CaptureWriter:
    """Append messages to a capture file (JSON Lines, design.md format).

    ``record`` matches the ``MessageRecorder`` hook of :mod:`hip3.clients`.
    Usable as a context manager; ``close`` is idempotent. ``now_ms`` can be
    injected for deterministic captures in tests.

    ``new_file=True`` (what ``hip3 trade`` uses) gives every run a file of its own: a
    non-empty file already at ``path`` is renamed first to
    ``<stem>.<its last-modified time><suffix>`` (``capture.20261203-061500.jsonl``), kept
    in :attr:`previous`, so two runs never mix in one capture.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        now_ms: Callable[[], int] = _wall_ms,
        new_file: bool = False,
    ) -> None:
        self.path = Path(path)
        self.previous: Path | None = None
        if new_file:
            self.previous = _set_aside(self.path)
        self._now_ms = now_ms
        # buffering=0: each record is one write(2) of a whole line, so what the
        # OS has is always whole lines except possibly the last.
        self._file: BinaryIO | None = open(self.path, "ab", buffering=0)  # noqa: SIM115
        self.lines_written = 0

    def record(
        self,
        direction: Direction,
        via: Via,
        msg: Any,
        *,
        id: int | None = None,  # the capture format names it "id"
        path: str | None = None,
    ) -> None:
        """Write one message; ``msg`` is the JSON value as sent or received."""
        if self._file is None:
            raise ValueError("capture is closed")
        if direction not in _DIRECTIONS:
            raise ValueError(f"direction must be 'in' or 'out', got {direction!r}")
        if via not in _VIAS:
            raise ValueError(f"via must be 'ws' or 'http', got {via!r}")
        line: dict[str, Any] = {"t": self._now_ms(), "dir": direction, "via": via, "msg": msg}
        if id is not None:
            line["id"] = id
        if path is not None:
            line["path"] = path
        self._file.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
        self.lines_written += 1

    @property
    def closed(self) -> bool:
        return self._file is None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CaptureWriter({str(self.path)!r}, lines_written={self.lines_written})"


def _parse_line(raw: bytes, line_no: int) -> CaptureLine | str:
    """The typed line, or the reason it is malformed."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return f"not JSON: {exc}"
    if not isinstance(obj, dict):
        return "not a JSON object"
    t = obj.get("t")
    if not isinstance(t, int) or isinstance(t, bool):
        return "field 't' missing or not an integer"
    direction = obj.get("dir")
    if direction not in _DIRECTIONS:
        return "field 'dir' must be 'in' or 'out'"
    via = obj.get("via")
    if via not in _VIAS:
        return "field 'via' must be 'ws' or 'http'"
    if "msg" not in obj:
        return "field 'msg' missing"
    id_ = obj.get("id")
    if id_ is not None and (not isinstance(id_, int) or isinstance(id_, bool)):
        return "field 'id' not an integer"
    path = obj.get("path")
    if path is not None and not isinstance(path, str):
        return "field 'path' not a string"
    return CaptureLine(
        t=t, dir=direction, via=via, msg=obj["msg"], id=id_, path=path, line_no=line_no
    )


class CaptureReader:
    """Iterate a capture's lines; malformed lines are counted in :attr:`malformed`.

    The first few malformed lines are kept in :attr:`malformed_samples` (line
    number, reason, start of the line) for the report. Blank lines are skipped
    silently. Iterating again re-reads the file from the start.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        keep_channels: frozenset[str] | None = None,
        progress: Callable[[int], None] | None = None,
        progress_every_lines: int = 5000,
    ) -> None:
        self.path = Path(path)
        #: ``progress(bytes_read)`` every ``progress_every_lines`` lines (skipped ones too)
        self._progress = progress
        self._progress_every = progress_every_lines
        #: with ``keep_channels``, ws lines of any other channel are skipped unparsed
        #: (counted in :attr:`skipped`): a cheap look at the raw bytes, not a JSON parse
        self.keep_channels = keep_channels
        self.skipped = 0
        self.malformed = 0
        self.malformed_samples: list[MalformedLine] = []
        self.lines_read = 0
        self.bytes_read = 0  # of the file, blank and malformed lines included (for progress)

    def __iter__(self) -> Iterator[CaptureLine]:
        self.malformed = 0
        self.malformed_samples = []
        self.lines_read = 0
        self.bytes_read = 0
        self.skipped = 0
        keep = self.keep_channels
        progress, every = self._progress, self._progress_every
        with open(self.path, "rb") as file:
            for line_no, raw in enumerate(file, start=1):
                self.bytes_read += len(raw)
                if progress is not None and line_no % every == 0:
                    progress(self.bytes_read)
                stripped = raw.strip()
                if not stripped:
                    continue
                if keep is not None:
                    channel = _ws_channel(stripped)
                    if channel is not None and channel not in keep:
                        self.skipped += 1
                        continue
                parsed = _parse_line(stripped, line_no)
                if isinstance(parsed, str):
                    self.malformed += 1
                    if len(self.malformed_samples) < _MAX_SAMPLES:
                        sample = stripped[:200].decode("utf-8", errors="replace")
                        self.malformed_samples.append(MalformedLine(line_no, parsed, sample))
                    continue
                self.lines_read += 1
                yield parsed


_CHANNEL_MARK = b'"msg":{"channel":"'


def _ws_channel(raw: bytes) -> str | None:
    """The ws channel of a journal line as :class:`CaptureWriter` writes it (``msg`` a
    venue frame whose first key is ``channel``), read off the bytes; None when the line
    does not have that shape (it is then parsed like any other)."""
    start = raw.find(_CHANNEL_MARK, 0, 96)
    if start < 0:
        return None
    start += len(_CHANNEL_MARK)
    end = raw.find(b'"', start, start + 64)
    if end < 0:
        return None
    return raw[start:end].decode("ascii", errors="replace")


def read_capture(
    path: str | os.PathLike[str],
    *,
    keep_channels: frozenset[str] | None = None,
    progress: Callable[[int], None] | None = None,
    progress_every_lines: int = 5000,
) -> CaptureReader:
    """A :class:`CaptureReader` over ``path`` (iterate it for :class:`CaptureLine` records)."""
    return CaptureReader(
        path,
        keep_channels=keep_channels,
        progress=progress,
        progress_every_lines=progress_every_lines,
    )
