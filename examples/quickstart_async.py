"""hip3 quick start, async: the library's Bot against the embedded simulator.

    python examples/quickstart_async.py [SECONDS]

Starts a local Hyperliquid-compatible venue in this process (hip3.sim), runs the
example market maker on BTC (main dex) and xyz:TSLA (a HIP-3 dex) with a throwaway
key, stops it cleanly and prints the tracker's positions beside the exchange's.
For the same from a config file, see `hip3 trade --config examples/sim.toml` and
hip3.app.run_from_config.
"""

from __future__ import annotations

import secrets
import sys

import trio

from hip3.bot import Bot
from hip3.bot.strategies import MarketMaker, MarketMakerParams
from hip3.executor import Tif
from hip3.signing import PrivateKey
from hip3.sim import SimConfig, open_simulator


async def main(seconds: float) -> None:
    key = PrivateKey(secrets.token_bytes(32))  # a throwaway key: its account is funded at start
    config = SimConfig(seed=7, accounts=(key.address,))  # only a funded account trades
    async with open_simulator(config) as sim:
        bot = Bot.create(
            base_url=sim.url,
            ws_url=sim.ws_url,
            account=key.address,
            key=key,
            mainnet=False,  # the signing domain the simulator checks, as on testnet
            mode="trading",
            markets=["BTC", "xyz:TSLA"],
            strategy=MarketMaker(
                MarketMakerParams(half_spread_bps=1, order_notional_usd=200, tif=Tif.GTC)
            ),
            position_resync_interval_secs=2,
            strategy_interval_secs=0.5,
        )
        async with trio.open_nursery() as nursery:
            await nursery.start(bot.run)  # returns once the bot is trading
            await trio.sleep(seconds)
            bot.stop()  # cancels its orders, final resync, fetches the exchange's positions
        summary = bot.summary()
    print(f"fills:              {summary.fills}")
    print(f"tracker positions:  {summary.positions}")
    print(f"exchange positions: {summary.exchange_positions}")
    print(f"drift events:       {len(summary.drift_events)}")
    if summary.positions != summary.exchange_positions:
        raise SystemExit("the tracker disagrees with the exchange")


if __name__ == "__main__":
    trio.run(main, float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
