"""A local Hyperliquid venue for tests, demos and chaos runs.

One loopback port serves ``POST /info``, ``POST /exchange`` and a websocket at
``/ws`` with the venue's wire shapes. :class:`SimExchange` owns the truth (books,
accounts, fills); :class:`SimServer` only delivers it, through an optional
:class:`FaultInjector` that drops, duplicates, delays or reorders delivery but never
changes what happened.
"""

from __future__ import annotations

__all__: list[str] = []
