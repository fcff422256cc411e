"""hip3 for notebooks: blocking calls, plain objects, no async code for the user.

    >>> import hip3.notebook as hn
    >>> with hn.connect("sim") as s:            # an embedded simulator, a throwaway key
    ...     book = s.book("BTC")
    ...     s.place("BTC", "buy", "0.001", book.best_bid)
    ...     bot = s.start_bot("examples/sim.toml")
    ...     bot.state().positions
    ...     summary = bot.stop()

hip3 runs on trio; here trio runs in a background thread (Jupyter keeps its own loop
on the main thread) and every method blocks until the answer is in. Lists come back
as :class:`Records` (``pandas.DataFrame(s.fills().records())``). ``close()`` -- or the
``with`` block -- stops bots, the simulator and the thread.

For research (``pip install 'hip3[research,plot]'``): ``s.fills_frame()`` is a pandas
(or polars) frame with exact Decimals, ``s.store()`` the :mod:`hip3.store` dataset of
the account as a DuckDB relation, and :mod:`hip3.notebook.plots` draws positions and
PnL, fills on the book, drift and divergence. None of those libraries is imported
until used.
"""

from __future__ import annotations

from hip3.notebook._portal import Portal
from hip3.notebook.records import (
    Book,
    BookLevel,
    Fill,
    OpenOrder,
    OrderResult,
    Position,
    Records,
    ReplayRow,
)
from hip3.notebook.session import BotHandle, ReplayTable, Session, connect, replay

__all__ = [
    "Book",
    "BookLevel",
    "BotHandle",
    "Fill",
    "OpenOrder",
    "OrderResult",
    "Portal",
    "Position",
    "Records",
    "ReplayRow",
    "ReplayTable",
    "Session",
    "connect",
    "replay",
]
