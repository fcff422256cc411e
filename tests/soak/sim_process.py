"""Run hip3.sim in its own process for the soak test (so the bot's RSS is the bot's alone).

Prints one JSON line ``{"url": ..., "ws_url": ...}`` once listening, then serves until
its stdin closes (the parent exits or closes it) or it is terminated.
"""

from __future__ import annotations

import sys

import orjson
import trio

from hip3.sim import SimConfig, open_simulator


async def main(seed: int) -> None:
    async with open_simulator(SimConfig(auto_accounts=True, seed=seed)) as sim:
        sys.stdout.write(orjson.dumps({"url": sim.url, "ws_url": sim.ws_url}).decode() + "\n")
        sys.stdout.flush()
        # Serve until the parent closes our stdin (read in a thread: stdin is blocking).
        await trio.to_thread.run_sync(sys.stdin.read, abandon_on_cancel=True)


if __name__ == "__main__":
    trio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 1)
