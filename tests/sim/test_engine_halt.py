"""Halting and delisting a market through the admin surface (a HIP-3 deployer's
haltTrading): orders cancelled, positions settled at the mark, new orders refused."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from hip3.sim import SimConfig, open_simulator
from hip3.sim.config import SimBadRequest
from tests.sim.test_engine_support import BTC, ETH, Venue, oid_of, quiet_config


def test_halt_cancels_orders_settles_positions_and_refuses_orders_until_resumed() -> None:
    venue = Venue(quiet_config(lp_levels=2))
    venue.tick()
    long, short = venue.trader(0), venue.trader(1)
    short.order(BTC, False, "60000", "0.1")
    long.order(BTC, True, "60000", "0.1", tif="Ioc")
    resting = long.order(BTC, True, "59000", "0.01")
    venue.exchange.set_oracle("BTC", Decimal(61000))
    before = long.balance()

    venue.exchange.halt("BTC", True)
    assert long.info("orderStatus", oid=oid_of(resting))["order"]["status"] == "canceled"
    assert long.position("BTC") == 0 and short.position("BTC") == 0
    assert venue.exchange.truth()["positions"].get(long.address.lower(), {}) == {}
    settlement = long.info("userFills")[0]
    assert settlement["dir"] == "Settlement" and settlement["px"] == "61000"
    assert settlement["closedPnl"] == "100" and settlement["side"] == "A"
    assert long.balance() == before  # the unrealised pnl became realised, nothing else
    book = venue.info("l2Book", coin="BTC")
    assert book["levels"] == [[], []]
    venue.tick()
    assert venue.info("l2Book", coin="BTC")["levels"] == [[], []]  # the LP stays away
    assert long.order(BTC, True, "61000", "0.01") == {"error": "Trading is halted for BTC. asset=0"}
    assert "resting" in long.order(ETH, True, "2900", "0.01")  # other markets trade on

    venue.exchange.halt("BTC", False)
    venue.tick()
    assert venue.info("l2Book", coin="BTC")["levels"][1]
    assert "resting" in long.order(BTC, True, "59000", "0.01")


def test_delisting_is_final_and_shows_in_meta() -> None:
    venue = Venue()
    trader = venue.trader(0)
    resting = trader.order(BTC, True, "59000", "0.01")
    venue.exchange.halt("BTC", True, delist=True)
    assert trader.info("orderStatus", oid=oid_of(resting))["order"]["status"] == "delistedCanceled"
    assert venue.info("meta")["universe"][0]["isDelisted"] is True
    with pytest.raises(SimBadRequest, match="delisted"):
        venue.exchange.halt("BTC", False)
    with pytest.raises(SimBadRequest, match="coin"):
        venue.exchange.halt("PURR/USDC", True)


async def test_admin_halt_request() -> None:
    async with (
        open_simulator(SimConfig(auto_accounts=True, seed=2)) as sim,
        httpx.AsyncClient(base_url=sim.url) as http,
    ):
        ok = await http.post("/admin", json={"type": "halt", "coin": "ETH", "halted": True})
        assert ok.status_code == 200
        bad = await http.post("/admin", json={"type": "halt", "coin": "ETH", "halted": 1})
        assert bad.status_code == 422 and "halted" in bad.text
        unknown = await http.post("/admin", json={"type": "halt", "coin": "X", "halted": True})
        assert unknown.status_code == 422 and "coin" in unknown.text
        book = (await http.post("/info", json={"type": "l2Book", "coin": "ETH"})).json()
        assert book["levels"] == [[], []]
