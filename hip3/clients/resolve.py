"""The venue's rule for a lost answer: ask ``orderStatus`` by cloid, never post again.

A post whose answer was lost (read timeout, ws post timeout, connection dropped
after sending) may or may not have executed. Posting it again could double the
position, so the order is looked up by the cloid it was sent with until the
venue knows it or the resolution window has passed; unknown after the window
means the action never executed (the window covers the action's expiry when it
has one, after which the venue can no longer execute it).

:class:`~hip3.clients.exchange.ExchangeClient` resolves its own lost answers
with this, and so does the executor when a venue could not (its
``orderStatus`` lookups failed, or the venue is not an ExchangeClient).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import trio

from hip3.domain import OrderUpdate, Resolved
from hip3.types import Cloid

__all__ = ["resolve_by_cloid"]


async def resolve_by_cloid(
    ask: Callable[[Cloid], Awaitable[OrderUpdate | None]],
    cloid: Cloid,
    *,
    window_secs: float,
    poll_secs: float,
) -> Resolved:
    """Ask ``ask(cloid)`` (the venue's ``orderStatus``, None for ``unknownOid``) every
    ``poll_secs`` until it knows the order, or until ``window_secs`` have passed.

    It is asked at least once, and once more at the end of the window. An error
    ``ask`` raises ends the lookup (the caller decides whether a failed lookup is
    final: let it raise, or return None to keep asking).
    """
    deadline = trio.current_time() + window_secs
    while True:
        update = await ask(cloid)
        if update is not None:
            return Resolved(cloid, update)
        if trio.current_time() >= deadline:
            return Resolved(cloid, None)
        await trio.sleep(poll_secs)
