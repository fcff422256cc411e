"""hip3's exception hierarchy.

Every error hip3 raises on purpose derives from :class:`Hip3Error`, so a bot
can catch at the level it cares about: all of hip3, a bad config, a malformed
message from the venue, or an order the venue (or hip3 before sending) refused.
Messages never contain secrets.
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

    ``message`` names the kind of message (e.g. ``"userFills"``) and ``field``
    the path of the offending field (e.g. ``"fills[3].tid"``).
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
    """A value hip3 was asked to send breaks the venue's rules; nothing was sent.

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
    """The connection to the venue failed (refused, reset, timed out)."""


class UnknownOutcomeError(Hip3Error):
    """An action was sent but its outcome could not be learned.

    Raised only after hip3 tried to resolve it (``orderStatus`` by cloid);
    hip3 never re-posts such an action blindly.
    """
