"""Fault injection for the simulator: what gets lost, late, doubled or swapped on the way out.

Faults change *delivery*, never the truth: an action whose answer is dropped has still
executed, a dropped ``userFills`` message still happened (and comes back in the next
subscription snapshot). Every fault injected is counted, so a test can compare what it
observed with what the simulator did (:meth:`FaultInjector.stats`).

What is never faulted, and why:

- ``subscriptionResponse`` acks, ``pong`` and ``error`` messages: clients match their
  requests to these; the venue's own recovery story (resubscribe, ping) relies on them.
- the ``isSnapshot`` message sent on every ``userFills`` subscribe: the venue documents it as
  *the* way to recover what was missed (§4.3 "missed data during the reconnect will be present
  in the snapshot ack"); faulting it would simulate a venue that breaks its own contract.

Everything else on a data channel (``l2Book``, ``allMids``, ``trades``, ``userFills`` live
batches, ``orderUpdates``, ``user``) can be dropped, duplicated, delayed or reordered
(``channels`` narrows that to some channels; ``userEvents`` and its channel name ``user`` are
the same). Disconnects are abrupt (a TCP reset, no close frame), as the venue disconnects
"without notice" (§4.2).

Answers to actions (ws ``post`` of an action, HTTP ``/exchange``) can be dropped or delayed
after the action has executed — the unknown outcome a client must resolve; answers to info
requests are not; a dropped HTTP answer closes the connection without
a response. HTTP ``429`` and ``5xx`` refuse a request before anything executes (a 5xx as
from a proxy in front of the venue). ``/admin`` is never faulted.

Randomness: one seeded :class:`random.Random` for HTTP decisions and one per websocket
connection (seeded from the seed and the connection's number), so a connection's fate does
not depend on how trio interleaves other connections.
"""

from __future__ import annotations

import enum
import random
from collections import Counter
from typing import Protocol

import attrs

__all__ = [
    "FAULT_COUNTERS",
    "FaultInjector",
    "FaultSettings",
    "HttpFault",
    "PostFate",
    "WsFate",
    "WsFaults",
]

# Every counter :meth:`FaultInjector.stats` reports (all present, zero when nothing happened).
FAULT_COUNTERS = (
    "ws_drop",
    "ws_duplicate",
    "ws_delay",
    "ws_reorder",
    "ws_disconnect",
    "post_drop",
    "post_delay",
    "http_429",
    "http_5xx",
    "http_delay",
)

# The ws channel of userEvents is "user" (§4.4); a fault filter may name either.
_CHANNEL_ALIASES = {"user": "userEvents"}

_DISCONNECT_JITTER = 0.3


class FaultSettings(Protocol):
    """What the injector reads from :class:`hip3.sim.config.FaultConfig`."""

    @property
    def ws_drop(self) -> float: ...
    @property
    def ws_duplicate(self) -> float: ...
    @property
    def ws_reorder(self) -> float: ...
    @property
    def ws_delay(self) -> float: ...
    @property
    def ws_delay_ms(self) -> int: ...
    @property
    def channels(self) -> tuple[str, ...]: ...
    @property
    def disconnect_every_secs(self) -> float: ...
    @property
    def post_drop(self) -> float: ...
    @property
    def post_delay(self) -> float: ...
    @property
    def post_delay_ms(self) -> int: ...
    @property
    def http_429(self) -> float: ...
    @property
    def http_5xx(self) -> float: ...
    @property
    def http_delay(self) -> float: ...
    @property
    def http_delay_ms(self) -> int: ...


class WsFate(enum.Enum):
    """What happens to one outgoing data-channel message."""

    DELIVER = "deliver"
    DROP = "drop"
    DUPLICATE = "duplicate"
    DELAY = "delay"  # sent ws_delay_ms later; later messages overtake it
    REORDER = "reorder"  # held until the next message of its channel has been sent


class PostFate(enum.Enum):
    """What happens to the answer of an executed action (ws post or HTTP /exchange)."""

    DELIVER = "deliver"
    DROP = "drop"  # ws: never answered; HTTP: connection closed without a response
    DELAY = "delay"  # answered post_delay_ms later


@attrs.frozen
class HttpFault:
    """The fate of one HTTP request, decided before it is handled.

    ``status`` is 429 or a 5xx when the request is refused without being executed;
    ``delay_secs`` is waited before anything else.
    """

    status: int | None = None
    delay_secs: float = 0.0


class FaultInjector:
    """Seeded fault decisions plus the counters of every fault injected."""

    def __init__(self, config: FaultSettings, seed: int) -> None:
        self.config = config
        self.seed = seed
        self._rng = random.Random(f"http:{seed}")
        self._counts: Counter[str] = Counter()

    def stats(self) -> dict[str, int]:
        """Counters of injected faults, every name of :data:`FAULT_COUNTERS` present."""
        return {name: self._counts[name] for name in FAULT_COUNTERS}

    def count(self, name: str) -> None:
        self._counts[name] += 1

    def ws_faults(self, connection_number: int) -> WsFaults:
        """The decisions for one websocket connection (its own seeded generator)."""
        return WsFaults(self, random.Random(f"ws:{self.seed}:{connection_number}"))

    def http_fault(self) -> HttpFault:
        """Refuse (429 / 5xx) and/or delay an HTTP request, counted."""
        cfg = self.config
        delay_secs = 0.0
        if _roll(self._rng, cfg.http_delay):
            self.count("http_delay")
            delay_secs = cfg.http_delay_ms / 1000
        if _roll(self._rng, cfg.http_429):
            self.count("http_429")
            return HttpFault(429, delay_secs)
        if _roll(self._rng, cfg.http_5xx):
            self.count("http_5xx")
            return HttpFault(self._rng.choice((500, 502, 503)), delay_secs)
        return HttpFault(None, delay_secs)

    def http_post_fate(self) -> PostFate:
        """The fate of an HTTP /exchange answer (the action has executed)."""
        return self._post_fate(self._rng)

    def _post_fate(self, rng: random.Random) -> PostFate:
        if _roll(rng, self.config.post_drop):
            self.count("post_drop")
            return PostFate.DROP
        if _roll(rng, self.config.post_delay):
            self.count("post_delay")
            return PostFate.DELAY
        return PostFate.DELIVER

    @property
    def post_delay_secs(self) -> float:
        return self.config.post_delay_ms / 1000

    @property
    def ws_delay_secs(self) -> float:
        return self.config.ws_delay_ms / 1000

    def applies_to(self, channel: str) -> bool:
        """True when data-channel faults are configured for ``channel``."""
        wanted = self.config.channels
        return not wanted or channel in wanted or _CHANNEL_ALIASES.get(channel) in wanted


class WsFaults:
    """Fault decisions for one websocket connection."""

    def __init__(self, injector: FaultInjector, rng: random.Random) -> None:
        self._injector = injector
        self._rng = rng

    def data_fate(self, channel: str) -> WsFate:
        """The fate of one data message on ``channel``, counted."""
        inj = self._injector
        if not inj.applies_to(channel):
            return WsFate.DELIVER
        cfg = inj.config
        for fate, probability in (
            (WsFate.DROP, cfg.ws_drop),
            (WsFate.DUPLICATE, cfg.ws_duplicate),
            (WsFate.DELAY, cfg.ws_delay),
            (WsFate.REORDER, cfg.ws_reorder),
        ):
            if _roll(self._rng, probability):
                inj.count(f"ws_{fate.value}")
                return fate
        return WsFate.DELIVER

    def post_fate(self) -> PostFate:
        """The fate of a ws post answer (the request has been handled), counted."""
        return self._injector._post_fate(self._rng)

    def count_disconnect(self) -> None:
        self._injector.count("ws_disconnect")

    def next_disconnect_secs(self) -> float | None:
        """Seconds until this connection is cut, jittered ±30%; None when off."""
        every = self._injector.config.disconnect_every_secs
        if every <= 0:
            return None
        return every * self._rng.uniform(1 - _DISCONNECT_JITTER, 1 + _DISCONNECT_JITTER)


def _roll(rng: random.Random, probability: float) -> bool:
    # No draw at all when a fault is off, so turning one fault on does not shift the others'
    # sequence of draws more than necessary.
    return probability > 0 and rng.random() < probability
