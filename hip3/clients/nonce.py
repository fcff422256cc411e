"""Nonces for signed actions.

The venue keeps, per signer, the 100 highest nonces seen and rejects a nonce that is a duplicate
or smaller than the smallest of them, and nonces must be within (now - 2 days, now + 1 day)
(hyperliquid-api.md §3.5). Using the millisecond clock, bumped by one whenever two senders ask
within the same millisecond, gives values that are unique and strictly increasing across every
task sharing one generator while staying close to wall-clock time.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class NonceGenerator:
    """Strictly increasing ms-time nonces. Share one instance per signer; it is not async so
    concurrent trio tasks cannot interleave inside :meth:`next`."""

    def __init__(self, now_ms: Callable[[], int] | None = None) -> None:
        self._now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self._last = 0

    def now_ms(self) -> int:
        """The generator's wall clock in ms (the system clock unless one was injected)."""
        return self._now_ms()

    def next(self) -> int:
        candidate = self._now_ms()
        self._last = candidate if candidate > self._last else self._last + 1
        return self._last

    @property
    def last(self) -> int:
        return self._last

    @classmethod
    def for_signer(cls, address: str) -> NonceGenerator:
        """The process-wide generator of ``address`` (created on first use).

        Every client that signs with one key and is given no generator of its own takes this
        one, so two clients of the same signer in one process (an HTTP and a ws client, a bot
        and a notebook session) can never send the same nonce. Separate processes signing
        with one key can still collide: give each its own API wallet, as the venue advises.
        """
        key = address.lower()
        generator = _BY_SIGNER.get(key)
        if generator is None:
            generator = _BY_SIGNER[key] = cls()
        return generator


_BY_SIGNER: dict[str, NonceGenerator] = {}
