"""The venue's reasons for refusing an order or action, as a typed enum.

The venue answers a refused order with an English sentence (hyperliquid-api.md §2.3, the
order statuses): :func:`classify_reject` maps one to a :class:`VenueReject` so a strategy
can react to a kind of refusal and the summary can count them by reason. Ids, prices and
sizes in the text do not matter; an unknown sentence is :attr:`VenueReject.OTHER`.
"""

from __future__ import annotations

import enum

__all__ = ["VenueReject", "classify_reject"]


class VenueReject(enum.Enum):
    """Why the venue refused (the value is the name the summary counts it under)."""

    TICK = "tick"  # price not on the tick / too many significant figures
    SIZE = "size"  # size not on the lot, or not positive
    MIN_NOTIONAL = "min_notional"  # below $10 (or 10 of the quote token)
    MARGIN = "margin"  # insufficient margin, or spot balance
    REDUCE_ONLY = "reduce_only"  # reduce-only would increase the position
    POST_ONLY_CROSS = "post_only_cross"  # Alo would have matched
    IOC_NO_MATCH = "ioc_no_match"  # Ioc found nothing to match
    NO_LIQUIDITY = "no_liquidity"  # market order with no book
    PRICE_BAND = "price_band"  # too far from the oracle
    OI_CAP = "oi_cap"  # open interest capped, or growing too fast
    HALTED = "halted"  # trading halted or the market delisted
    TOO_MANY_ORDERS = "too_many_orders"  # open-order limit
    DUPLICATE_CLOID = "duplicate_cloid"
    ORDER_GONE = "order_gone"  # cancel/modify of an order already filled or cancelled
    UNKNOWN_ACCOUNT = "unknown_account"  # "User or API Wallet ... does not exist."
    RATE_LIMITED = "rate_limited"  # the address's request budget
    NONCE = "nonce"  # nonce reused or outside the window
    EXPIRED = "expired"  # expiresAfter passed
    SCHEDULE_CANCEL = "schedule_cancel"  # the dead-man's switch refused (volume, triggers)
    OTHER = "other"


# First match wins: more specific phrases before general ones. Matched lower-cased.
_PATTERNS: tuple[tuple[str, VenueReject], ...] = (
    ("scheduled cancel", VenueReject.SCHEDULE_CANCEL),
    ("does not exist", VenueReject.UNKNOWN_ACCOUNT),
    ("open interest", VenueReject.OI_CAP),
    ("halted", VenueReject.HALTED),
    ("delisted", VenueReject.HALTED),
    ("tick size", VenueReject.TICK),
    ("invalid price", VenueReject.TICK),
    ("significant figures", VenueReject.TICK),
    ("invalid size", VenueReject.SIZE),
    ("minimum value", VenueReject.MIN_NOTIONAL),
    ("insufficient margin", VenueReject.MARGIN),
    ("insufficient spot balance", VenueReject.MARGIN),
    ("margin tier", VenueReject.MARGIN),
    ("reduce only", VenueReject.REDUCE_ONLY),
    ("post only", VenueReject.POST_ONLY_CROSS),
    ("could not immediately match", VenueReject.IOC_NO_MATCH),
    ("no liquidity", VenueReject.NO_LIQUIDITY),
    ("too far from oracle", VenueReject.PRICE_BAND),
    ("too many open orders", VenueReject.TOO_MANY_ORDERS),
    ("duplicate cloid", VenueReject.DUPLICATE_CLOID),
    ("canceled or filled", VenueReject.ORDER_GONE),
    ("never placed, already canceled, or filled", VenueReject.ORDER_GONE),
    ("cannot modify", VenueReject.ORDER_GONE),
    ("too many cumulative requests", VenueReject.RATE_LIMITED),  # the address budget
    ("rate limit", VenueReject.RATE_LIMITED),
    ("too many requests", VenueReject.RATE_LIMITED),
    ("nonce", VenueReject.NONCE),
    ("expired", VenueReject.EXPIRED),
)


def classify_reject(text: str | None) -> VenueReject:
    """The kind of a refusal text (:attr:`VenueReject.OTHER` when none matches)."""
    lowered = (text or "").lower()
    for phrase, kind in _PATTERNS:
        if phrase in lowered:
            return kind
    return VenueReject.OTHER
