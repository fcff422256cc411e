"""A local Hyperliquid venue for tests, demos and chaos runs.

One loopback port serves ``POST /info``, ``POST /exchange`` and a websocket at ``/ws`` with
the venue's wire shapes::

    async with hip3.sim.open_simulator(SimConfig(seed=7, accounts=(address,))) as sim:
        ...  # point any client at sim.url / sim.ws_url; sim.truth() is what really happened

As on the venue, only a funded address trades: list it in ``accounts`` (or credit it through
``POST /admin``); ``auto_accounts=True`` funds any signer instead (a testing shortcut).

:class:`SimExchange` owns the truth (books, accounts, fills); :class:`SimServer` only
delivers it, through a :class:`FaultInjector` that may drop, duplicate, delay or reorder
delivery (configured by :class:`FaultConfig`) but never changes what happened.
"""

from __future__ import annotations

from hip3.sim.config import FaultConfig, SimBadRequest, SimConfig, SimDex, SimMarket
from hip3.sim.engine import SimEvent, SimExchange
from hip3.sim.faults import FaultInjector
from hip3.sim.server import SimServer, open_simulator

__all__ = [
    "FaultConfig",
    "FaultInjector",
    "SimBadRequest",
    "SimConfig",
    "SimDex",
    "SimEvent",
    "SimExchange",
    "SimMarket",
    "SimServer",
    "open_simulator",
]
