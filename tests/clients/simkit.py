"""Shared pieces of the clients' tests against hip3.sim: a running simulator with the typed
clients connected to it over real loopback sockets."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import attrs
import trio

from hip3.clients import (
    Backoff,
    ExchangeClient,
    InfoClient,
    NonceGenerator,
    PlaceOrder,
    WsClient,
    WsEvent,
    open_ws_client,
)
from hip3.signing import PrivateKey
from hip3.sim.config import FaultConfig, SimConfig
from hip3.sim.server import SimServer, open_simulator
from hip3.types import Side
from hip3.universe import Universe

KEY = PrivateKey.from_hex("0x" + "5a" * 32)  # a throwaway test account
ACCOUNT = KEY.address
DEXES = ("", "xyz", "flx")
FAST = Backoff(base_secs=0.01, cap_secs=0.2, jitter=0.5, max_attempts=40)


@attrs.define
class Venue:
    """A running simulator, an InfoClient on it, and the universe it serves."""

    sim: SimServer
    info: InfoClient
    universe: Universe
    nonces: NonceGenerator = attrs.field(factory=lambda: NonceGenerator(trio_wall_clock_ms()))

    def exchange(self, *, ws: WsClient | None = None, **kwargs: Any) -> ExchangeClient:
        """An ExchangeClient for ACCOUNT sharing this venue's limiter and nonce generator."""
        options: dict[str, Any] = {
            "info": self.info,
            "ws": ws,
            "nonces": self.nonces,
            "backoff": FAST,
            "resolve_poll_secs": 0.05,
            "rng": random.Random(5),
            # The simulator takes an unknown signer from the testnet phantom-agent source.
            "mainnet": False,
        }
        options.update(kwargs)
        key = options.pop("key", KEY)
        account = options.pop("account", ACCOUNT)
        return ExchangeClient(self.sim.url, key, account, universe=self.universe, **options)

    @asynccontextmanager
    async def ws(self, **kwargs: Any) -> AsyncIterator[WsClient]:
        options: dict[str, Any] = {"backoff": FAST, "rng": random.Random(3)}
        options.update(kwargs)
        async with open_ws_client(self.sim.ws_url, limiter=self.info.limiter, **options) as ws:
            yield ws

    def truth(self) -> dict[str, Any]:
        return self.sim.truth()

    def price(self, coin: str, fraction_from_mid: str) -> Decimal:
        """A valid price ``fraction_from_mid`` away from the simulator's current mid."""
        dex = self.universe.market(coin).dex
        mid = Decimal(self.sim.exchange.info({"type": "allMids", "dex": dex})[coin])
        return self.universe.market(coin).round_price(mid * (1 + Decimal(fraction_from_mid)))

    def order(
        self, coin: str, is_buy: bool, notional_usd: str, fraction_from_mid: str, **kwargs: Any
    ) -> PlaceOrder:
        """An order of about ``notional_usd`` at ``fraction_from_mid`` from mid (valid tick/lot)."""
        px = self.price(coin, fraction_from_mid)
        market = self.universe.market(coin)
        sz = market.round_size(Decimal(notional_usd) / px)
        return PlaceOrder(coin, Side.from_is_buy(is_buy), px, sz, **kwargs)

    def taker(self, coin: str, is_buy: bool, notional_usd: str = "60") -> PlaceOrder:
        """An IOC that crosses the simulator's liquidity provider at once."""
        return self.order(coin, is_buy, notional_usd, "0.01" if is_buy else "-0.01", tif="Ioc")

    def maker(self, coin: str, is_buy: bool, notional_usd: str = "60") -> PlaceOrder:
        """A GTC far enough from mid to rest."""
        return self.order(coin, is_buy, notional_usd, "-0.05" if is_buy else "0.05")


def trio_wall_clock_ms() -> Callable[[], int]:
    """Wall-clock ms that follow trio's clock, as the simulator's exchange clock does, so
    nonces and expiresAfter stay valid when a test runs on MockClock."""
    epoch_ms = int(time.time() * 1000)
    start = trio.current_time()
    return lambda: epoch_ms + int((trio.current_time() - start) * 1000)


def sim_config(faults: FaultConfig | None = None, **kwargs: Any) -> SimConfig:
    return SimConfig(
        auto_accounts=True, seed=kwargs.pop("seed", 11), faults=faults or FaultConfig(), **kwargs
    )


@asynccontextmanager
async def running_venue(
    faults: FaultConfig | None = None, *, info_backoff: Backoff = FAST, **config: Any
) -> AsyncIterator[Venue]:
    """A simulator (optionally with faults) and a connected InfoClient."""
    async with (
        open_simulator(sim_config(faults, **config)) as sim,
        InfoClient(sim.url, backoff=info_backoff, rng=random.Random(2)) as info,
    ):
        universe = await info.universe(DEXES)
        yield Venue(sim, info, universe)


async def next_data(sub: Any, *, timeout_secs: float = 10) -> WsEvent:
    """The next data event (skipping reconnect notices)."""
    with trio.fail_after(timeout_secs):
        while True:
            event: WsEvent = await sub.receive()
            if event.kind == "data":
                return event


def tids(events: Iterable[WsEvent]) -> set[int]:
    return {int(f["tid"]) for e in events if e.kind == "data" for f in e.data["fills"]}


async def wait_until(predicate: Callable[[], bool], *, timeout_secs: float = 10) -> None:
    with trio.fail_after(timeout_secs):
        while not predicate():
            await trio.sleep(0.02)
