"""Transport failures split by whether the request may have reached the venue.

Both live in :mod:`hip3.errors` with every other exception; imported here too, where
the clients have always found them.
"""

from __future__ import annotations

from hip3.errors import NotSentError, SentNoAnswerError

__all__ = ["NotSentError", "SentNoAnswerError"]
