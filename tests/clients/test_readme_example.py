"""The README's async-clients example, run verbatim against hip3.sim.

``README_EXAMPLE`` is the exact text of the README's code block: the test executes that text
(not a copy of it), so the README cannot drift from working code without this test failing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from hip3.clients import ExchangeClient, InfoClient, PlaceOrder
from hip3.signing import PrivateKey
from hip3.sim.server import open_simulator
from hip3.types import Side

from .simkit import sim_config

README_EXAMPLE = """\
from decimal import Decimal

from hip3.clients import ExchangeClient, InfoClient, PlaceOrder
from hip3.types import Side


async def main(url: str, key: str, account: str) -> None:
    async with InfoClient(url) as info:
        for dex in ("", "xyz"):  # the main dex, then the HIP-3 dex "xyz"
            for coin, position in (await info.account_snapshot(account, dex)).positions.items():
                print(coin, position.szi, position.entry_px, position.unrealized_pnl)
        universe = await info.universe(["", "xyz"])  # coin -> asset id, HIP-3 included
        exchange = ExchangeClient(url, key, account, universe=universe, info=info)
        order = PlaceOrder("xyz:TSLA", Side.BUY, limit_px=Decimal("240"), sz=Decimal("0.5"))
        [result] = await exchange.place_orders([order])
        print(result)  # Resting(oid=..., cloid=...) / Filled(...) / Rejected(error=...)
"""

ACCOUNT_KEY = "0x" + "7c" * 32


async def test_readme_example_reads_positions_and_places_an_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = PrivateKey.from_hex(ACCOUNT_KEY)
    async with open_simulator(sim_config()) as sim, InfoClient(sim.url) as info:
        sim.credit(key.address, Decimal(1000))  # a deposit: the venue knows the account
        # The account already holds a BTC and an xyz:TSLA position when the example runs.
        universe = await info.universe(["", "xyz"])
        setup = ExchangeClient(sim.url, key, key.address, universe=universe, info=info)
        await setup.place_orders(
            [
                PlaceOrder("BTC", Side.BUY, Decimal("61000"), Decimal("0.002"), tif="Ioc"),
                PlaceOrder("xyz:TSLA", Side.SELL, Decimal("245"), Decimal("1"), tif="Ioc"),
            ]
        )
        namespace: dict[str, Any] = {}
        exec(compile(README_EXAMPLE, "README.md", "exec"), namespace)
        await namespace["main"](sim.url, ACCOUNT_KEY, key.address)
        [resting] = await info.open_orders(key.address, "xyz")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("BTC 0.002 ")
    assert lines[1].startswith("xyz:TSLA -1 ")
    assert lines[2] == f"Resting(oid={resting.oid}, cloid=Cloid('{resting.cloid}'))"
    assert len(lines) == 3
