"""Fees and the request budget as the venue computes them (api doc §5, §7).

A HIP-3 dex with deployer fee scale ``s`` charges ``1 + s`` times the account's rate below
1, ``2 s`` from 1; growth mode cuts that by 90%, and the volume a growth-mode trade adds
to the account (fee tier, request budget) too. The address request budget is 10000 (here
smaller) plus 1 per USDC traded, larger for cancels, then one action per 10 s."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from hip3.errors import ConfigError
from hip3.sim.config import SimConfig
from hip3.universe import Universe, fee_multiplier
from hip3.wire import actions
from tests.sim.test_engine_support import BTC, GOLD, TSLA, Venue, oid_of, quiet_config

TAKER, MAKER = Decimal("0.00045"), Decimal("0.00015")


def fee_config(**changes: object) -> SimConfig:
    base = quiet_config()
    main, xyz, flx = base.dexes
    flx_gold = attrs.evolve(flx.markets[0], growth_mode=True)
    dexes = (
        main,
        attrs.evolve(xyz, deployer_fee_scale=Decimal("0.5")),
        attrs.evolve(flx, deployer_fee_scale=Decimal(2), markets=(flx_gold,)),
    )
    return attrs.evolve(base, dexes=dexes, **changes)


@pytest.mark.parametrize(
    ("asset", "coin", "px", "sz", "multiplier"),
    [
        (BTC, "BTC", "60000", "0.01", Decimal(1)),  # validator-operated: the plain rate
        (TSLA, "xyz:TSLA", "250", "2", Decimal("1.5")),  # s = 0.5: 1 + s
        (GOLD, "flx:GOLD", "2400", "0.5", Decimal("0.4")),  # s = 2: 2 s, growth mode x 0.1
    ],
)
def test_each_fill_pays_the_rate_times_the_markets_multiplier(
    asset: int, coin: str, px: str, sz: str, multiplier: Decimal
) -> None:
    venue = Venue(fee_config())
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(asset, False, px, sz)
    taker.order(asset, True, px, sz, tif="Ioc")
    notional = Decimal(px) * Decimal(sz)
    [taken] = taker.info("userFills")
    [made] = maker.info("userFills")
    assert Decimal(taken["fee"]) == (notional * TAKER * multiplier).quantize(Decimal("0.000001"))
    assert Decimal(made["fee"]) == (notional * MAKER * multiplier).quantize(Decimal("0.000001"))
    # What the library reads from perpDexs and meta gives the same multiplier.
    dex = coin.partition(":")[0] if ":" in coin else ""
    universe = Universe.from_meta(venue.info("perpDexs"), {dex: venue.info("meta", dex=dex)})
    assert universe.market(coin).fee_multiplier == multiplier


def test_perp_dexs_and_meta_say_the_scale_and_growth_mode() -> None:
    venue = Venue(fee_config())
    _, xyz, flx = venue.info("perpDexs")
    assert (xyz["deployerFeeScale"], flx["deployerFeeScale"]) == ("0.5", "2.0")
    [gold] = venue.info("meta", dex="flx")["universe"]
    assert gold["growthMode"] == "enabled"
    assert "growthMode" not in venue.info("meta", dex="xyz")["universe"][0]


def test_growth_mode_trades_add_a_tenth_of_their_volume() -> None:
    venue = Venue(fee_config())
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(GOLD, False, "2400", "0.5")
    taker.order(GOLD, True, "2400", "0.5", tif="Ioc")  # $1200 traded, $120 counted
    maker.order(BTC, False, "60000", "0.01")
    taker.order(BTC, True, "60000", "0.01", tif="Ioc")  # $600 counted in full
    assert taker.info("userRateLimit")["cumVlm"] == "720"
    assert taker.info("userFees")["dailyUserVlm"][0]["userCross"] == "720"


@pytest.mark.parametrize(
    ("scale", "growth", "expected"),
    [(None, False, "1"), (Decimal(0), False, "1"), (Decimal("0.25"), False, "1.25"),
     (Decimal(1), False, "2"), (Decimal(3), False, "6"), (Decimal(1), True, "0.2")],
)  # fmt: skip
def test_the_multiplier_rule(scale: Decimal | None, growth: bool, expected: str) -> None:
    assert fee_multiplier(scale, growth) == Decimal(expected)


def test_past_the_request_budget_one_action_per_ten_seconds_passes() -> None:
    venue = Venue(quiet_config(request_budget=3))
    trader = venue.trader(0)
    oids = [oid_of(trader.order(BTC, True, "59000", "0.01")) for _ in range(3)]  # 3 of 3
    assert trader.info("userRateLimit")["nRequestsUsed"] == 3
    over = trader.act(actions.order_action([actions.order_wire(BTC, True, "59000", "0.01")]))
    assert over == {
        "status": "err",
        "response": "Too many cumulative requests sent (4 > 3) for cumulative volume traded "
        "$0.00. Place taker orders to free up 1 request per USDC traded.",
    }
    # cancels have the larger cap, min(cap + 100000, 2 cap) = 6
    trader.cancel(BTC, oids[0])
    venue.tick(10_000)  # ten seconds on: one action goes through, the next does not
    trader.order(BTC, True, "59000", "0.01")
    again = trader.act(actions.order_action([actions.order_wire(BTC, True, "59000", "0.01")]))
    assert again["status"] == "err" and "Too many cumulative requests" in again["response"]


def test_volume_traded_frees_requests() -> None:
    venue = Venue(quiet_config(request_budget=2))
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.01")
    taker.order(BTC, True, "60000", "0.01", tif="Ioc")  # $600 traded: 602 requests now
    assert taker.info("userRateLimit")["nRequestsCap"] == 602
    for _ in range(5):
        taker.order(BTC, True, "59000", "0.001")


def test_the_sim_table_reads_fee_scales_growth_mode_and_the_budget() -> None:
    market = {"name": "xyz:OIL", "sz_decimals": 2, "start_price": 70, "growth_mode": True}
    table = {
        "request_budget": 500,
        "dexes": [
            {"name": "", "markets": [{"name": "BTC", "sz_decimals": 5, "start_price": 60000}]},
            {"name": "xyz", "deployer_fee_scale": "0.25", "markets": [market]},
        ],
    }
    config = SimConfig.from_mapping(table, source="bot.toml")
    assert config.request_budget == 500
    assert config.dexes[1].deployer_fee_scale == Decimal("0.25")
    assert config.dexes[1].markets[0].growth_mode


@pytest.mark.parametrize(
    ("dex", "key", "message"),
    [
        ({"name": "", "deployer_fee_scale": 1}, "sim.dexes[0].deployer_fee_scale", "no deployer"),
        ({"name": "xyz", "deployer_fee_scale": 4}, "sim.dexes[0].deployer_fee_scale",
         "from 0 to 3"),
        ({"name": "xyz", "deployer_fee_scale": -1}, "sim.dexes[0].deployer_fee_scale", ">= 0"),
    ],
)  # fmt: skip
def test_a_bad_fee_scale_names_its_key(dex: dict[str, object], key: str, message: str) -> None:
    prefix = f"{dex['name']}:" if dex["name"] else ""
    markets = [{"name": f"{prefix}OIL", "sz_decimals": 2, "start_price": 70}]
    with pytest.raises(ConfigError) as raised:
        SimConfig.from_mapping({"dexes": [{**dex, "markets": markets}]}, source="bot.toml")
    assert key in str(raised.value) and message in str(raised.value)
