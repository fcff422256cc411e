"""Fixtures for driving third-party clients, unchanged, against a simulator on loopback.

A conformance suite needs three things: a running simulator, an account the venue knows (funded
the way a user funds one: a deposit), and the URLs a client is pointed at. The simulator runs in
a background thread with its own ``trio.run`` (see :class:`ThreadedSimulator`) because the
clients under test bring their own event loops (asyncio) or block (requests).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import pytest
from eth_account import Account

from hip3.sim.config import SimConfig
from tests.sim.conftest import ThreadedSimulator

__all__ = ["KEY", "ConformanceVenue", "ThreadedSimulator", "eventually", "fund", "fund_spot"]

KEY = "0x" + "5a" * 32  # a throwaway key: the simulator knows it only once it is funded
DEPOSIT = Decimal(1_000_000)


@attrs.frozen
class ConformanceVenue:
    """A running simulator plus a funded trader: what a client test points its client at."""

    sim: ThreadedSimulator
    key: str
    address: str

    @property
    def http_url(self) -> str:
        return self.sim.url

    @property
    def ws_url(self) -> str:
        return self.sim.server.ws_url


def fund(sim: ThreadedSimulator, address: str, usd: Decimal = DEPOSIT, dex: str = "") -> None:
    """Deposit ``usd`` for ``address`` (what a bridge deposit does on the venue)."""
    sim.call(lambda: sim.server.credit(address, usd, dex))


def fund_spot(sim: ThreadedSimulator, address: str, token: str, amount: Decimal) -> None:
    """Put ``amount`` of spot ``token`` in ``address``'s spot wallet."""
    sim.call(lambda: sim.server.credit_spot(address, token, amount))


@pytest.fixture(scope="module")
def venue() -> Iterator[ConformanceVenue]:
    """A simulator (seeded, the default dexes) with one funded trader and no other accounts.

    Funding settles every second so a client can read a funding history within a test. The
    trader is past the venue's $1M volume gate for scheduleCancel, so the clients' dead-man's
    switch steps are accepted (the gate itself: tests/sim/test_engine_accounts.py).
    """
    config = SimConfig(
        seed=11,
        auto_accounts=False,
        funding_interval_ms=1_000,
        schedule_cancel_min_volume=Decimal(0),
    )
    with ThreadedSimulator(config) as sim:
        address: str = Account.from_key(KEY).address
        for dex in config.dexes:  # each perp dex holds its own collateral
            fund(sim, address, dex=dex.name)
        fund_spot(sim, address, "USDC", DEPOSIT)
        yield ConformanceVenue(sim=sim, key=KEY, address=address)


def eventually(probe: Callable[[], Any], *, timeout: float = 15.0) -> Any:
    """``probe()``'s first truthy answer, polling: for state the venue produces on its own
    clock (a funding settlement). Fails after ``timeout`` seconds rather than hanging."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"no answer within {timeout} s (last: {answer!r})")
        time.sleep(0.05)


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "conformance: a third-party client against the simulator")
