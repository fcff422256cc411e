"""Transport failures split by whether the request may have reached the venue.

This distinction is what lets :class:`~hip3.clients.exchange.ExchangeClient` never re-post an
action blindly: a :class:`NotSentError` is safe to retry, a :class:`SentNoAnswerError` must be
resolved by asking the venue (``orderStatus`` by cloid) what happened.
"""

from __future__ import annotations

from hip3.errors import TransportError


class NotSentError(TransportError):
    """The request certainly did not reach the venue (connect refused/timed out, socket down)."""


class SentNoAnswerError(TransportError):
    """The request may have reached the venue but no answer arrived (read timeout, connection
    dropped after sending, 5xx after sending, ws post timeout).

    ``expires_after_ms`` is the request's expiresAfter when it had one: after that wall-clock
    time the venue can no longer execute it, so a lookup that still finds nothing is final."""

    expires_after_ms: int | None = None
