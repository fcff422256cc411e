"""SigningError construction with the field named, like the other hip3 errors."""

from __future__ import annotations

from hip3.errors import SigningError


def signing_error(message: str, *, field: str | None = None) -> SigningError:
    """A SigningError reading ``"<field>: <message>"``; ``.field`` is set for callers to inspect.

    Messages name fields and types, never values: a value may be a key or a signed payload.
    """
    error = SigningError(f"{field}: {message}" if field else message)
    error.field = field  # type: ignore[attr-defined]
    return error
