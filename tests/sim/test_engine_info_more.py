"""Info requests about the venue, fees and roles, each computed from the engine's state:
exchangeStatus, allPerpMetas, perpDexLimits, perpsAtOpenInterestCap, predictedFundings,
userFees, maxBuilderFee, activeAssetData, subAccounts, userRole, userAbstraction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hip3.signing import sign_approve_agent
from hip3.sim.config import SimBadRequest
from hip3.wire import actions
from tests.sim.test_engine_support import BTC, T0, Venue

BUILDER = "0x" + "00" * 19 + "0b"


def test_exchange_status_tells_the_exchange_time() -> None:
    venue = Venue()
    venue.tick(5_000)
    assert venue.info("exchangeStatus") == {"time": T0 + 5_000, "specialStatuses": None}


def test_all_perp_metas_is_meta_and_ctxs_of_every_dex_in_order() -> None:
    venue = Venue()
    every = venue.info("allPerpMetas")
    assert [meta["universe"][0]["name"] for meta, _ in every] == ["BTC", "xyz:TSLA", "flx:GOLD"]
    assert every[1] == venue.info("metaAndAssetCtxs", dex="xyz")


def test_perp_dex_limits_and_markets_at_their_cap() -> None:
    venue = Venue()
    limits = venue.info("perpDexLimits", dex="xyz")
    assert limits["coinToOiCap"] == [["xyz:TSLA", "1000000000.0"], ["xyz:NVDA", "1000000000.0"]]
    assert limits["totalOiCap"] == "2000000000.0"
    # The caps agree with perpDexs.
    assert venue.info("perpDexs")[1]["assetToStreamingOiCap"] == limits["coinToOiCap"]
    with pytest.raises(SimBadRequest, match="dex"):
        venue.info("perpDexLimits", dex="")
    assert venue.info("perpsAtOpenInterestCap", dex="xyz") == []


def test_predicted_fundings_are_the_configured_rate_at_the_next_settlement() -> None:
    venue = Venue()
    predicted = dict(venue.info("predictedFundings"))
    assert set(predicted) == {"BTC", "ETH", "SOL"}
    [[where, entry]] = predicted["BTC"]
    hour = 3_600_000
    assert where == "HlPerp" and entry["fundingRate"] == "0.0000125"
    assert entry["nextFundingTime"] == (T0 // hour + 1) * hour
    assert entry["fundingIntervalHours"] == 1


def test_user_fees_count_the_daily_taker_and_maker_volume() -> None:
    venue = Venue()
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.01")
    taker.order(BTC, True, "60000", "0.01", tif="Ioc")
    fees = taker.info("userFees")
    [today] = fees["dailyUserVlm"]
    assert (today["userCross"], today["userAdd"]) == ("600", "0")
    assert today["date"] == "2023-11-14"  # T0
    assert fees["userCrossRate"] == "0.00045" and fees["userAddRate"] == "0.00015"
    assert maker.info("userFees")["dailyUserVlm"][0]["userAdd"] == "600"


def test_max_builder_fee_is_the_approved_rate_in_tenths_of_a_bp() -> None:
    venue = Venue()
    user = venue.trader(0)
    assert user.info("maxBuilderFee", builder=BUILDER) == 0
    approve = actions.approve_builder_fee_action(
        BUILDER, "0.01%", nonce=venue.next_nonce(), mainnet=False
    )
    assert user.user_signed(approve)["status"] == "ok"
    assert user.info("maxBuilderFee", builder=BUILDER) == 10
    with pytest.raises(SimBadRequest, match="builder"):
        user.info("maxBuilderFee", builder="nope")


def test_active_asset_data_is_what_the_account_can_still_trade() -> None:
    venue = Venue()
    trader, other = venue.trader(0), venue.trader(1)
    data = trader.info("activeAssetData", coin="BTC")
    assert data["leverage"] == {"type": "cross", "value": 20}
    assert data["markPx"] == "60000"
    # 100000 USDC free at 20x: 2M notional either way, 33.33333 BTC.
    assert data["availableToTrade"] == ["2000000", "2000000"]
    assert data["maxTradeSzs"] == ["33.33333", "33.33333"]
    other.order(BTC, False, "60000", "1")
    trader.order(BTC, True, "60000", "1", tif="Ioc")
    buy, sell = (Decimal(x) for x in trader.info("activeAssetData", coin="BTC")["availableToTrade"])
    assert sell - buy == Decimal(60000)  # selling may also close the 1 BTC long
    with pytest.raises(SimBadRequest, match="coin"):
        trader.info("activeAssetData", coin="PURR/USDC")


def test_user_role_and_sub_accounts() -> None:
    venue = Venue()
    master, agent = venue.trader(0), venue.trader(1)
    assert venue.info("userRole", user="0x" + "12" * 20) == {"role": "missing"}
    assert master.info("subAccounts") is None
    approve = actions.approve_agent_action(
        agent.address, "", nonce=venue.next_nonce(), mainnet=False
    )
    signature = sign_approve_agent(master.key, approve, mainnet=False)
    body = {"action": approve, "nonce": approve["nonce"], "signature": signature}
    assert venue.exchange.exchange({**body, "vaultAddress": None})["status"] == "ok"
    created = master.act({"type": "createSubAccount", "name": "alpha"})
    sub = created["response"]["data"]
    master_address = master.address.lower()
    assert master.info("userRole") == {"role": "user"}
    assert agent.info("userRole") == {"role": "agent", "data": {"user": master_address}}
    assert venue.info("userRole", user=sub) == {
        "role": "subAccount",
        "data": {"master": master_address},
    }
    vault = venue.exchange.create_vault(master_address, "fund")
    assert venue.info("userRole", user=vault) == {"role": "vault"}
    [entry] = master.info("subAccounts")
    assert (entry["name"], entry["subAccountUser"], entry["master"]) == (
        "alpha",
        sub,
        master_address,
    )
    assert entry["clearinghouseState"] == venue.info("clearinghouseState", user=sub)
    assert master.info("userAbstraction") == "default"


def test_fills_and_perp_dexs_carry_every_venue_field() -> None:
    venue = Venue()
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.01")
    taker.order(BTC, True, "60000", "0.01", tif="Ioc")
    [fill] = taker.info("userFills")
    assert "twapId" in fill and fill["twapId"] is None
    dex = venue.info("perpDexs")[1]
    assert set(dex) == {
        "name",
        "fullName",
        "deployer",
        "oracleUpdater",
        "feeRecipient",
        "assetToStreamingOiCap",
        "assetToFundingMultiplier",
        "subDeployers",
        "deployerFeeScale",
        "lastDeployerFeeScaleChangeTime",
        "assetToFundingInterestRate",
    }
    assert dex["assetToFundingInterestRate"][0] == ["xyz:TSLA", "0.0000125"]
