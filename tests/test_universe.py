"""Universe: asset ids for main, HIP-3 and spot markets, coin lookups, order checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
import pytest
from hyperliquid.info import Info
from hypothesis import given
from hypothesis import strategies as st

from hip3.errors import ValidationError, WireError
from hip3.universe import Market, Universe
from hip3.wire import codec
from hip3.wire import models as m

PERP_DEXS = """[null,
 {"name":"test","fullName":"test dex","deployer":"0x5e89b26d8d66da9888c835c9bfcc2aa51813e152",
  "oracleUpdater":null,"feeRecipient":null,
  "assetToStreamingOiCap":[["test:ABC","1000000.0"]],
  "assetToFundingMultiplier":[["test:ABC","1.0"]]}]"""
META_HIP3 = """{"universe":[{"szDecimals":1,"name":"test:ABC","maxLeverage":10,"marginTableId":10,
  "onlyIsolated":true,"marginMode":"strictIsolated"}],
 "marginTables":[[10,{"description":"","marginTiers":[{"lowerBound":"0.0","maxLeverage":10}]}]],
 "collateralToken":0}"""
META_MAIN = """{"universe":[{"name":"BTC","szDecimals":5,"maxLeverage":40,"marginTableId":56},
             {"name":"ETH","szDecimals":4,"maxLeverage":25,"marginTableId":55}],
 "collateralToken":0}"""

SPOT_META: dict[str, Any] = {
    "tokens": [
        {
            "name": "USDC",
            "szDecimals": 8,
            "weiDecimals": 8,
            "index": 0,
            "tokenId": "0x6d",
            "isCanonical": True,
        },
        {
            "name": "PURR",
            "szDecimals": 0,
            "weiDecimals": 5,
            "index": 1,
            "tokenId": "0xc1",
            "isCanonical": True,
        },
        {
            "name": "HYPE",
            "szDecimals": 2,
            "weiDecimals": 8,
            "index": 150,
            "tokenId": "0x0d",
            "isCanonical": False,
        },
    ],
    "universe": [
        {"name": "PURR/USDC", "tokens": [1, 0], "index": 0, "isCanonical": True},
        {"name": "@107", "tokens": [150, 0], "index": 107, "isCanonical": False},
    ],
}


def _universe() -> Universe:
    return Universe.from_meta(
        orjson.loads(PERP_DEXS),
        {"": orjson.loads(META_MAIN), "test": orjson.loads(META_HIP3)},
        SPOT_META,
    )


def test_documented_asset_ids() -> None:
    universe = _universe()
    assert universe.asset("BTC") == 0
    assert universe.asset("ETH") == 1
    assert universe.asset("test:ABC") == 110000
    assert universe.asset("PURR/USDC") == 10000
    assert universe.asset("@107") == 10107
    assert universe.coin(110000) == "test:ABC" and universe.coin(0) == "BTC"


def test_markets_carry_the_trading_rules() -> None:
    universe = _universe()
    abc = universe.market("test:ABC")
    assert abc == Market(
        coin=abc.coin, asset=110000, dex="test", sz_decimals=1, max_leverage=10,
        only_isolated=True, margin_mode="strictIsolated",
        deployer_fee_scale=Decimal(1),  # perpDexs names none: the venue's default
    )  # fmt: skip
    assert abc.fee_multiplier == 2 and universe.market("BTC").fee_multiplier == 1
    assert abc.coin.dex == "test"
    hype = universe.market("@107")
    assert hype.is_spot and hype.sz_decimals == 2 and hype.max_leverage == 1
    assert [mk.coin for mk in universe.markets("test")] == ["test:ABC"]
    assert "BTC" in universe and len(universe) == 5 and universe.dexes == ("", "test")


def test_unknown_coin_names_close_matches() -> None:
    universe = _universe()
    with pytest.raises(ValidationError) as info:
        universe.asset("BTCC")
    assert info.value.field == "coin"
    assert "BTC" in str(info.value)
    with pytest.raises(ValidationError) as info:
        universe.market("abc")
    assert "test:ABC" in str(info.value)
    with pytest.raises(ValidationError) as info:
        universe.coin(99)
    assert info.value.field == "asset"


def test_meta_for_a_dex_missing_from_perp_dexs_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        Universe.from_meta(orjson.loads(PERP_DEXS), {"xyz": {"universe": []}})
    assert info.value.field == "dex"


def test_a_coin_listed_under_the_wrong_dex_is_a_wire_error() -> None:
    with pytest.raises(WireError) as info:
        Universe.from_meta(orjson.loads(PERP_DEXS), {"test": orjson.loads(META_MAIN)})
    assert info.value.field == "universe[0].name"


def test_structured_wire_objects_are_accepted_too() -> None:
    universe = Universe.from_meta(
        codec.structure(orjson.loads(PERP_DEXS), m.PerpDexs),
        {"": codec.structure(orjson.loads(META_MAIN), m.Meta)},
    )
    assert universe.asset("ETH") == 1
    assert Universe.from_meta(None, {"": orjson.loads(META_MAIN)}).asset("BTC") == 0


def test_check_order_validates_or_rounds_for_the_market() -> None:
    eth = _universe().market("ETH")  # szDecimals 4 -> at most 2 price decimals
    assert eth.check_order("3301.2", "0.1234") == (Decimal("3301.2"), Decimal("0.1234"))
    with pytest.raises(ValidationError) as info:
        eth.check_order("3301.25", "0.1")
    assert info.value.field == "price"
    with pytest.raises(ValidationError) as info:
        eth.check_order("3301", "0.12345")
    assert info.value.field == "size"
    assert eth.check_order("3301.257", "0.123456", round_values=True) == (
        Decimal("3301.3"),
        Decimal("0.1234"),
    )
    with pytest.raises(ValidationError):
        eth.check_order("3301", "0.00001", round_values=True)  # rounds to zero


class _OfflineInfo(Info):  # type: ignore[misc]
    """The SDK's Info fed our fixtures instead of the network, to compare asset ids."""

    def __init__(self, perp_dexs: list[Any], metas: dict[str, Any], spot_meta: Any) -> None:
        self._fixture_dexs = perp_dexs
        self._fixture_metas = metas
        super().__init__(
            "http://127.0.0.1:9", skip_ws=True, spot_meta=spot_meta, perp_dexs=list(metas)
        )

    def perp_dexs(self) -> Any:
        return self._fixture_dexs

    def meta(self, dex: str = "") -> Any:
        return self._fixture_metas[dex]


@st.composite
def _venues(draw: st.DrawFn) -> tuple[list[Any], dict[str, Any]]:
    n_dexes = draw(st.integers(min_value=0, max_value=4))
    names = [f"d{i}" for i in range(n_dexes)]
    perp_dexs: list[Any] = [None] + [
        {"name": n, "fullName": n, "deployer": "0x0", "oracleUpdater": None, "feeRecipient": None}
        for n in names
    ]
    chosen = draw(st.lists(st.sampled_from(["", *names]), unique=True, min_size=1))
    metas = {}
    for dex in chosen:
        size = draw(st.integers(min_value=0, max_value=30))
        prefix = f"{dex}:" if dex else ""
        metas[dex] = {
            "universe": [
                {"name": f"{prefix}C{i}", "szDecimals": i % 6, "maxLeverage": 3 + i}
                for i in range(size)
            ]
        }
    return perp_dexs, metas


@given(_venues())
def test_asset_ids_match_the_official_sdk_and_invert(
    venue: tuple[list[Any], dict[str, Any]],
) -> None:
    perp_dexs, metas = venue
    universe = Universe.from_meta(perp_dexs, metas, SPOT_META)
    sdk = _OfflineInfo(perp_dexs, metas, SPOT_META)
    for market in universe:
        assert sdk.coin_to_asset[market.coin] == market.asset
        assert sdk.asset_to_sz_decimals[market.asset] == market.sz_decimals
        assert universe.coin(market.asset) == market.coin
        assert universe.market_for_asset(market.asset) is market
    ids = [mk.asset for mk in universe]
    assert len(set(ids)) == len(ids)
    for market in universe:
        if market.is_spot:
            assert 10000 <= market.asset < 100000
        elif market.dex:
            index = [d and d["name"] for d in perp_dexs].index(market.dex)
            assert market.asset // 10000 == 10 + index
        else:
            assert market.asset < 10000


def test_a_dex_settling_in_another_token_names_it_on_every_market() -> None:
    usdh_meta = orjson.loads(META_HIP3) | {"collateralToken": 360}
    metas = {"": orjson.loads(META_MAIN), "test": usdh_meta}
    universe = Universe.from_meta(orjson.loads(PERP_DEXS), metas, tokens={360: "USDH"})
    assert universe.market("test:ABC").collateral_token == "USDH"
    assert universe.market("BTC").collateral_token == "USDC"
    assert universe.collateral_token("test") == "USDH"
    assert universe.collateral_token("") == "USDC"
    with pytest.raises(ValidationError, match="unknown dex 'nope'"):
        universe.collateral_token("nope")
    with pytest.raises(WireError, match="settles in token 360") as raised:
        Universe.from_meta(orjson.loads(PERP_DEXS), metas)  # nothing names token 360
    assert raised.value.field == "collateralToken"
