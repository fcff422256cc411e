"""The dead-man's watchdog asks the bot when its feeds last showed life: a connected
socket counts (a quiet HIP-3 book sends no market data for minutes), and between
connections the newest market data does."""

from __future__ import annotations

import trio

from hip3.bot.bot import last_sign_of_life
from hip3.clients import WsClient
from hip3.risk import MarketData
from hip3.sim import SimConfig, open_simulator

NOW_MS = 1_800_000_000_000
OLD = [MarketData("xyz:TSLA", NOW_MS - 600_000), MarketData("BTC", NOW_MS - 90_000)]


def test_before_any_connection_the_newest_market_data_is_the_last_sign() -> None:
    assert last_sign_of_life(None, OLD, lambda: NOW_MS) == NOW_MS - 90_000
    assert last_sign_of_life(None, [], lambda: NOW_MS) is None


async def test_a_connected_socket_is_alive_however_quiet_the_books() -> None:
    async with open_simulator(SimConfig(auto_accounts=True, seed=3)) as sim:
        async with trio.open_nursery() as nursery:
            ws: WsClient = await nursery.start(WsClient(sim.ws_url).run)
            assert ws.connected
            # no market data for ten minutes: with the socket up, that is a quiet book
            assert last_sign_of_life(ws, OLD, lambda: NOW_MS) == NOW_MS
            ws.stop()  # run() returns, and the nursery with it
        assert not ws.connected
        # the socket is gone: only the market data speaks for the feeds now
        assert last_sign_of_life(ws, OLD, lambda: NOW_MS) == NOW_MS - 90_000
