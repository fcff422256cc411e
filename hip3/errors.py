"""Every exception hip3 raises on purpose, in one module.

All of them derive from :class:`Hip3Error`, so a program catches at the level it
cares about: all of hip3, a bad config, a malformed message from the venue, an
order the venue (or hip3 before sending) refused, a lost connection::

    Hip3Error
    ├── ConfigError              a config file or value is invalid (file, key)
    ├── ValidationError          a value given to hip3 is invalid; nothing was sent (field)
    ├── SigningError             a key or an action could not be signed
    ├── WireError                a venue message has not the expected shape (kind, field)
    ├── ExchangeError            the venue refused a request (text, status)
    │   └── RateLimitedError     ... with 429, and the retries ran out
    ├── TransportError           the connection to the venue failed
    │   ├── NotSentError         ... before the request left: safe to retry
    │   └── SentNoAnswerError    ... after it may have left: resolve, never re-post
    ├── UnknownOutcomeError      an action's outcome could not be learned, even by asking
    ├── DeadMansSwitchRefused    the venue refused scheduleCancel and the config requires it
    ├── NotRunningError          a bot, tracker or session is not running (or never started)
    │   └── TrackerStopped       ... the position tracker
    └── StopTimeoutError         a bot or its loop did not stop within the time given

:class:`ValidationError` is also a :class:`ValueError` and :class:`StopTimeoutError` a
:class:`TimeoutError`. The names users catch are importable from :mod:`hip3` itself.
Messages never contain secrets.

The simulator's answer to a request it cannot interpret
(:class:`hip3.sim.SimBadRequest`) is not among them: it is the simulated venue's
reply, which its server turns into HTTP 422, not an error of the library.
"""

from __future__ import annotations

from typing import Any


class Hip3Error(Exception):
    """Root of every error hip3 raises on purpose."""


class ConfigError(Hip3Error):
    """A configuration file or value is invalid; names the file and the key."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        where = ""
        if file and key:
            where = f"{file}: {key}: "
        elif file:
            where = f"{file}: "
        elif key:
            where = f"{key}: "
        super().__init__(f"{where}{message}")


class WireError(Hip3Error):
    """A message from (or for) the venue does not have the expected shape.

    ``kind`` names the kind of message (e.g. ``"userFills"``), ``field`` the path of
    the offending field (e.g. ``"fills[3].tid"``) and ``sample`` the offending value.
    """

    def __init__(
        self, message: str, *, kind: str | None = None, field: str | None = None, sample: Any = None
    ) -> None:
        self.kind = kind
        self.field = field
        self.sample = sample
        where = " ".join(part for part in (kind, field and f"field {field!r}") if part)
        super().__init__(f"{where}: {message}" if where else message)


class ValidationError(Hip3Error, ValueError):
    """A value given to hip3 is invalid (an order breaking the venue's rules, an unknown
    side or tif, a bot without markets); nothing was sent.

    ``field`` names the offending field (``"price"``, ``"size"``, ``"coin"``...).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class SigningError(Hip3Error):
    """A key or an action could not be signed or a signature not recovered."""


class ExchangeError(Hip3Error):
    """The venue refused a request; carries the venue's own text."""

    def __init__(self, text: str, *, status: int | None = None) -> None:
        self.text = text
        self.status = status
        super().__init__(text if status is None else f"HTTP {status}: {text}")


class RateLimitedError(ExchangeError):
    """The venue answered 429 (or the ws equivalent) and retries ran out."""


class TransportError(Hip3Error):
    """The connection to the venue failed (refused, reset, timed out).

    The two subclasses say whether the request may have reached the venue: that is
    what lets :class:`~hip3.clients.ExchangeClient` never re-post an action blindly.
    """


class NotSentError(TransportError):
    """The request certainly did not reach the venue (connect refused/timed out, socket down)."""


class SentNoAnswerError(TransportError):
    """The request may have reached the venue but no answer arrived (read timeout, connection
    dropped after sending, 5xx after sending, ws post timeout): a
    :class:`NotSentError` is safe to retry, this one must be resolved by asking the venue
    (``orderStatus`` by cloid) what happened.

    ``expires_after_ms`` is the request's expiresAfter when it had one: after that wall-clock
    time the venue can no longer execute it, so a lookup that still finds nothing is final."""

    expires_after_ms: int | None = None


class UnknownOutcomeError(Hip3Error):
    """An action was sent but its outcome could not be learned.

    Raised only after hip3 tried to resolve it (``orderStatus`` by cloid);
    hip3 never re-posts such an action blindly.
    """


class DeadMansSwitchRefused(Hip3Error):
    """The venue refused the dead-man's switch (scheduleCancel: below its volume gate, or
    out of daily triggers) and ``risk.require_dead_man_switch`` requires it."""


class NotRunningError(Hip3Error):
    """A bot, tracker, notebook session or its background loop is not running: it was
    never started, could not start, has stopped or was closed."""


class TrackerStopped(NotRunningError):
    """The tracker is not running (never started, closed, or cancelled)."""


class StopTimeoutError(Hip3Error, TimeoutError):
    """A bot, a run or a background loop did not stop (or finish) within the time given."""
