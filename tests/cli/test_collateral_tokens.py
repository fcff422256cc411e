"""A HIP-3 dex that settles in its own token (USDH): PnL, fees and balances stay in it, in
the live view `hip3 trade` draws (the monitor and token formatting: tests/app)."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import attrs
import trio

from hip3.app import run_from_config
from hip3.clients import ExchangeClient, Filled, InfoClient, NonceGenerator, PlaceOrder
from hip3.config import load_config
from hip3.signing import PrivateKey
from hip3.sim import SimConfig, open_simulator
from hip3.sim.config import SimDex
from hip3.types import Side
from hip3_cli.trade import render_line

KEY = PrivateKey.coerce("0x" + "5a" * 32)


async def test_a_usdh_dex_names_its_token_in_markets_snapshots_and_fills() -> None:
    config = SimConfig(auto_accounts=True, seed=5)
    dexes = tuple(
        SimDex(d.name, d.full_name, d.deployer, d.markets, "USDH" if d.name == "xyz" else "USDC")
        for d in config.dexes
    )
    async with (
        open_simulator(SimConfig(auto_accounts=True, seed=5, dexes=dexes)) as sim,
        InfoClient(sim.url) as info,
    ):
        spot = await info.spot_meta()
        usdh = next(token.index for token in spot.tokens if token.name == "USDH")
        assert (await info.meta("xyz")).collateral_token == usdh
        universe = await info.universe(["", "xyz", "flx"])
        assert universe.market("xyz:TSLA").collateral_token == "USDH"
        assert universe.market("BTC").collateral_token == "USDC"
        assert universe.collateral_token("xyz") == "USDH"
        assert universe.collateral_token("flx") == "USDC"
        client = ExchangeClient(sim.url, KEY, KEY.address, universe=universe, info=info,
                                mainnet=False)  # fmt: skip
        mid = Decimal((await info.all_mids("xyz"))["xyz:TSLA"])
        px = universe.market("xyz:TSLA").round_price(mid * Decimal("1.01"))
        [filled] = await client.place_orders(
            [PlaceOrder("xyz:TSLA", Side.BUY, px, Decimal("0.4"), tif="Ioc")]
        )
        assert isinstance(filled, Filled)
        [fill] = await info.user_fills(KEY.address)
        assert fill.fee_token == "USDH"
        snapshot = await info.account_snapshot(KEY.address, "xyz", collateral_token="USDH")
        assert snapshot.collateral_token == "USDH" and "xyz:TSLA" in snapshot.positions


async def test_a_usdh_dex_reports_pnl_and_fees_in_usdh_apart_from_usdc(
    fast_sim_config: Path,
) -> None:
    text = fast_sim_config.read_text()
    marker = 'full_name = "XYZ equities"'
    assert marker in text
    # the fast simulator with its xyz dex settling in USDH
    fast_sim_config.write_text(text.replace(marker, marker + '\ncollateral = "USDH"'))
    config = load_config(fast_sim_config)
    assert config.sim is not None
    # As on the venue, only a funded account trades: the harness funds its key.
    async with open_simulator(attrs.evolve(config.sim, accounts=(KEY.address,))) as sim:

        async def person(coin: str, is_buy: bool, notional: str) -> None:
            """The account's owner trades by hand beside the bot (IOCs that fill)."""
            async with InfoClient(sim.url) as info:
                universe = await info.universe(["", "xyz"])
                client = ExchangeClient(
                    sim.url, KEY, KEY.address, universe=universe, info=info, mainnet=False,
                    nonces=NonceGenerator(lambda: int(time.time() * 1000) + 3_600_000),
                )  # fmt: skip
                market = universe.market(coin)
                mid = Decimal((await info.all_mids(market.dex))[coin])
                px = market.round_price(mid * (Decimal("1.02") if is_buy else Decimal("0.98")))
                sz = market.round_size(Decimal(notional) / mid)
                [result] = await client.place_orders(
                    [PlaceOrder(coin, Side.BUY if is_buy else Side.SELL, px, sz, tif="Ioc")]
                )
                assert isinstance(result, Filled)

        updates: list[object] = []
        async with trio.open_nursery() as nursery:
            result: list[object] = []

            async def trade() -> None:
                result.append(
                    await run_from_config(
                        config, duration=3, sim=sim, key=KEY, on_update=updates.append,
                        update_interval_secs=0.5,
                    )
                )  # fmt: skip

            nursery.start_soon(trade)
            await trio.sleep(1.0)
            await person("xyz:TSLA", True, "400")
            await person("xyz:TSLA", False, "400")
            await person("BTC", True, "300")
    [summary] = result
    data = summary.to_json()  # type: ignore[attr-defined]
    assert data["whole_account"]["collateral_tokens"] == {"": "USDC", "xyz": "USDH"}
    assert data["whole_account"]["account_mode"] == "default"
    pnl = data["pnl"]
    assert set(pnl["fees"]) == {"USDC", "USDH"}  # each token on its own, never a sum
    assert "USDH" in pnl["realized"] and "USDC" in pnl["realized"]
    last = updates[-1]
    line = render_line(last)  # type: ignore[arg-type]
    assert "USDH" in line and "USDC" in line
