#!/usr/bin/env python3
"""Order round trip (post -> parsed response) against the simulator: the official SDK vs hip3.

Both talk to the same :mod:`hip3.sim` server in the same run. The simulator runs in a child
process (its own interpreter, so neither client shares a GIL with the venue, as with a real
remote venue) on a loopback port. Each side places the same kind of order: a post-only (Alo)
buy of BTC 10% under the mid, so it rests; the order's status is checked (``resting``), and the
order is cancelled outside the timed region so the book stays small.

* SDK: ``hyperliquid.exchange.Exchange.order`` (requests, eth_account signing), called in a
  worker thread while hip3's trio loop idles.
* hip3: ``ExchangeClient.place_orders`` over its ws client (``ws post``, what the bot uses:
  design.md "ws post, HTTP fallback") and over HTTP (``httpx``), in one ``trio.run``. Its rate
  limiter gets a budget this run never reaches (the SDK paces nothing), so both sides time the
  round trip only.

Rounds alternate SDK / hip3-ws / hip3-http so that machine noise hits all alike; each side's
figure is the median per-call wall time over every call (a round trip is I/O plus CPU in
three processes: wall time is the honest clock here). ``roundtrip_vs_sdk`` = SDK median /
hip3's median over ws post (higher is better, >= 1.0); the same over HTTP is
``roundtrip_http_vs_sdk`` (>= 1.5): both sides over HTTP.

    python bench/bench_roundtrip.py [--quick]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import trio

# Throwaway simulator accounts, one per side: nonces are per signer, and two clients
# signing for one account with millisecond nonces can collide ("duplicate nonce"), as
# they would on the venue (which is why each process should have its own API wallet).
SDK_KEY = "0x" + "7c" * 32
HIP3_KEY = "0x" + "7d" * 32
COIN = "BTC"
SIM_SCRIPT = """
import json, sys, trio
from hip3.sim import SimConfig, open_simulator

async def main():
    # auto_accounts funds the two throwaway keys at their first action (a testing shortcut)
    async with open_simulator(SimConfig(seed=7, auto_accounts=True)) as sim:
        print(json.dumps({"url": sim.url, "ws_url": sim.ws_url}), flush=True)
        await trio.to_thread.run_sync(sys.stdin.read)  # until the parent closes our stdin

trio.run(main)
"""


class SimProcess:
    """The simulator in a child process; ``url``/``ws_url`` once it listens."""

    def __enter__(self) -> SimProcess:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SIM_SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"bench_roundtrip: the simulator did not start ({self.proc.wait()})")
        urls = json.loads(line)
        self.url: str = urls["url"]
        self.ws_url: str = urls["ws_url"]
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _sdk_side(url: str) -> tuple[Callable[[float], float], Callable[[], None]]:
    """(place one resting order at ``px`` and return its wall time, cancel what it placed)."""
    from eth_account import Account
    from hyperliquid.exchange import Exchange

    exchange = Exchange(Account.from_key(SDK_KEY), url, perp_dexs=[""])
    placed: list[int] = []

    def place(px: float) -> float:
        start = time.perf_counter()
        answer = exchange.order(COIN, True, 0.001, px, {"limit": {"tif": "Alo"}})
        elapsed = time.perf_counter() - start
        status = answer["response"]["data"]["statuses"][0]
        assert "resting" in status, answer
        placed.append(status["resting"]["oid"])
        return elapsed

    def cancel_all() -> None:
        if placed:
            exchange.bulk_cancel([{"coin": COIN, "oid": oid} for oid in placed])
            placed.clear()

    return place, cancel_all


async def _measure(sim: SimProcess, rounds: int, per_round: int) -> dict[str, list[float]]:
    from hip3.clients import ExchangeClient, InfoClient, PlaceOrder, RateLimiter, open_ws_client
    from hip3.signing import PrivateKey
    from hip3.types import Side

    key = PrivateKey.from_hex(HIP3_KEY)
    times: dict[str, list[float]] = {"sdk": [], "hip3_ws": [], "hip3_http": []}
    # The SDK paces nothing; hip3's limiter (the venue's budgets) would only add waits here.
    unlimited = RateLimiter(rest_weight_per_minute=10**9, ws_messages_per_minute=10**9)
    async with (
        InfoClient(sim.url, limiter=unlimited) as info,
        open_ws_client(sim.ws_url, limiter=unlimited) as ws,
    ):
        universe = await info.universe([""])
        market = universe.market(COIN)
        # The SDK signs with the testnet source against a local URL; so does hip3 here.
        clients = {
            "hip3_ws": ExchangeClient(
                sim.url, key, key.address, universe=universe, info=info, ws=ws, mainnet=False
            ),
            "hip3_http": ExchangeClient(
                sim.url, key, key.address, universe=universe, info=info, mainnet=False
            ),
        }
        sdk_place, sdk_cancel = await trio.to_thread.run_sync(_sdk_side, sim.url)

        async def price() -> Decimal:
            mid = Decimal((await info.post_json("/info", {"type": "allMids"}))[COIN])
            return market.round_price(mid * Decimal("0.9"))

        async def hip3_round(name: str, px: Decimal) -> None:
            client = clients[name]
            oids: list[tuple[str, int]] = []
            for _ in range(per_round):
                order = PlaceOrder(COIN, Side.BUY, px, Decimal("0.001"), tif="Alo")
                start = time.perf_counter()
                (outcome,) = await client.place_orders([order])
                times[name].append(time.perf_counter() - start)
                oids.append((COIN, _resting_oid(outcome)))
            await client.cancel_many(oids)

        def sdk_round(px: float) -> None:
            for _ in range(per_round):
                times["sdk"].append(sdk_place(px))
            sdk_cancel()

        # One untimed warm-up round each: connections, caches, the SDK's first signature.
        await trio.to_thread.run_sync(sdk_round, float(await price()))
        for name in clients:
            await hip3_round(name, await price())
        for key_ in times:
            times[key_].clear()

        for _ in range(rounds):
            px = await price()
            await trio.to_thread.run_sync(sdk_round, float(px))
            await hip3_round("hip3_ws", px)
            await hip3_round("hip3_http", px)
    return times


def _resting_oid(outcome: Any) -> int:
    from hip3.wire.to_domain import Resting

    assert isinstance(outcome, Resting), outcome
    return outcome.oid


def run(quick: bool) -> dict[str, float]:
    rounds, per_round = (4, 15) if quick else (10, 40)
    with SimProcess() as sim:
        times = trio.run(_measure, sim, rounds, per_round)
    median = {name: statistics.median(values) for name, values in times.items()}
    ws_ratio = median["sdk"] / median["hip3_ws"]
    http_ratio = median["sdk"] / median["hip3_http"]
    calls = len(times["sdk"])
    print(
        f"order round trip on hip3.sim ({calls} calls each, median): "
        f"SDK {median['sdk'] * 1e3:.2f} ms, hip3 ws post {median['hip3_ws'] * 1e3:.2f} ms,"
        f" hip3 HTTP {median['hip3_http'] * 1e3:.2f} ms"
        f" -> roundtrip_vs_sdk {ws_ratio:.2f} (ws post), roundtrip_http_vs_sdk {http_ratio:.2f}"
    )
    return {
        "roundtrip_vs_sdk": ws_ratio,
        "roundtrip_http_vs_sdk": http_ratio,
        "roundtrip_sdk_ms": median["sdk"] * 1e3,
        "roundtrip_hip3_ws_ms": median["hip3_ws"] * 1e3,
        "roundtrip_hip3_http_ms": median["hip3_http"] * 1e3,
    }


if __name__ == "__main__":
    run(quick="--quick" in sys.argv[1:])
