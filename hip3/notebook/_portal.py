"""A trio event loop in a background thread, and a blocking way to call into it.

Jupyter runs its own (asyncio) loop on the main thread, so hip3's trio code runs in a
thread of its own: ``trio.run`` of a task that owns one nursery, where long-lived
services (the simulator, HTTP clients, a bot) are started with ``nursery.start`` and
stay until :meth:`Portal.close`. Calls from the user's thread go through
``trio.from_thread.run`` with the loop's token. Closing cancels the nursery, waits for
everything in it to finish and joins the thread: nothing is left running.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import trio

from hip3.errors import NotRunningError, StopTimeoutError

__all__ = ["Portal"]

T = TypeVar("T")


class Portal:
    """Owns the background trio thread. Use as a context manager or call :meth:`close`."""

    def __init__(self, *, name: str = "hip3-trio") -> None:
        self._ready = threading.Event()
        self._token: trio.lowlevel.TrioToken | None = None
        self._nursery: trio.Nursery | None = None
        self._closing: trio.Event | None = None
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise NotRunningError(f"the background trio loop did not start: {self._error}")

    def _main(self) -> None:
        try:
            trio.run(self._serve)
        except Exception as exc:  # kept for the user's thread; the loop is over either way
            self._error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._closing = trio.Event()
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            self._token = trio.lowlevel.current_trio_token()
            self._ready.set()
            await self._closing.wait()
            nursery.cancel_scope.cancel()

    @property
    def closed(self) -> bool:
        return self._closed

    def _check(self) -> trio.lowlevel.TrioToken:
        if self._closed or self._token is None or not self._thread.is_alive():
            raise NotRunningError("this session is closed")
        return self._token

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``await fn(*args)`` in the loop and return its result (blocking)."""
        return trio.from_thread.run(fn, *args, trio_token=self._check())

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in the loop's thread (for trio objects that are not thread-safe)."""
        return trio.from_thread.run_sync(fn, *args, trio_token=self._check())

    def start(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """``nursery.start(fn, *args)`` in the portal's nursery: a service that outlives the call."""

        async def start() -> Any:
            assert self._nursery is not None
            return await self._nursery.start(fn, *args)

        return self.run(start)

    def close(self, timeout_secs: float = 30.0) -> None:
        """Cancel everything started here and join the thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._thread.is_alive() and self._token is not None and self._closing is not None:
            try:
                trio.from_thread.run_sync(self._closing.set, trio_token=self._token)
            except trio.RunFinishedError:
                pass
        self._thread.join(timeout_secs)
        if self._thread.is_alive():
            raise StopTimeoutError(
                f"the background trio loop did not stop within {timeout_secs:g} s"
            )
        if self._error is not None:
            raise NotRunningError(
                f"the background trio loop failed: {self._error}"
            ) from self._error

    def __enter__(self) -> Portal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
