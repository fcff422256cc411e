"""Jittered exponential backoff, shared by the HTTP retry loop and the ws reconnect loop."""

from __future__ import annotations

import random

import attrs


@attrs.frozen
class Backoff:
    """Delay before retry ``attempt`` (0-based): ``min(cap, base * factor**attempt)``,
    scaled by a uniform jitter in ``[1 - jitter, 1]`` ("equal-ish" jitter keeps a floor so
    a storm of 429s still spreads clients out without ever retrying immediately)."""

    base_secs: float = 0.25
    factor: float = 2.0
    cap_secs: float = 30.0
    jitter: float = 0.5
    max_attempts: int = 8

    def __attrs_post_init__(self) -> None:
        if self.base_secs <= 0 or self.factor < 1 or self.cap_secs < self.base_secs:
            raise ValueError("backoff: need base_secs > 0, factor >= 1, cap_secs >= base_secs")
        if not 0 <= self.jitter <= 1:
            raise ValueError("backoff: jitter must be within [0, 1]")

    def delay_secs(self, attempt: int, rng: random.Random) -> float:
        raw = min(self.cap_secs, self.base_secs * self.factor ** max(0, attempt))
        return raw * (1.0 - self.jitter * rng.random())
