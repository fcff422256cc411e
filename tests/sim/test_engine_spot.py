"""Spot: pairs in spotMeta (PURR/USDC, @1...), token balances and holds in
spotClearinghouseState, spot orders (asset 10000 + index) that move tokens, never positions."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.wire import actions
from tests.sim.test_engine_support import Trader, Venue, oid_of, quiet_config

PURR, HYPE = 10_000, 10_001


def balances(trader: Trader) -> dict[str, tuple[Decimal, Decimal]]:
    state = trader.info("spotClearinghouseState")
    return {b["coin"]: (Decimal(b["total"]), Decimal(b["hold"])) for b in state["balances"]}


def funded(venue: Venue, index: int, **tokens: str) -> Trader:
    trader = venue.trader(index)
    for token, amount in tokens.items():
        venue.exchange.credit_spot(trader.address, token, Decimal(amount))
    return trader


def test_spot_meta_lists_tokens_and_pairs_by_index() -> None:
    venue = Venue()
    meta = venue.info("spotMeta")
    assert [(t["name"], t["index"], t["szDecimals"]) for t in meta["tokens"]] == [
        ("USDC", 0, 8),
        ("PURR", 1, 0),
        ("HYPE", 2, 2),
    ]
    assert all(len(t["tokenId"]) == 34 for t in meta["tokens"])
    assert meta["universe"] == [
        {"tokens": [1, 0], "name": "PURR/USDC", "index": 0, "isCanonical": True},
        {"tokens": [2, 0], "name": "@1", "index": 1, "isCanonical": False},
    ]
    spot_meta, ctxs = venue.info("spotMetaAndAssetCtxs")
    assert spot_meta == meta
    assert [c["coin"] for c in ctxs] == ["PURR/USDC", "@1"]
    assert ctxs[0]["markPx"] == "0.2" and ctxs[1]["markPx"] == "30"


def test_spot_trade_moves_tokens_and_fees_are_paid_in_what_is_received() -> None:
    venue = Venue()
    buyer = funded(venue, 0, USDC="100")
    seller = funded(venue, 1, PURR="1000")
    assert balances(buyer) == {"USDC": (Decimal(100), Decimal(0))}

    resting = seller.order(PURR, False, "0.2", "300")
    assert balances(seller)["PURR"] == (Decimal(1000), Decimal(300))  # held by the order
    filled = buyer.order(PURR, True, "0.2", "100", tif="Ioc")
    assert filled["filled"]["totalSz"] == "100"

    taker_fee = Decimal(100) * Decimal("0.00045")  # in PURR
    maker_fee = Decimal(20) * Decimal("0.00015")  # in USDC
    assert balances(buyer) == {
        "USDC": (Decimal(80), Decimal(0)),
        "PURR": (Decimal(100) - taker_fee, Decimal(0)),
    }
    assert balances(seller) == {
        "USDC": (Decimal(20) - maker_fee, Decimal(0)),
        "PURR": (Decimal(900), Decimal(200)),
    }
    [buy_fill] = buyer.info("userFills")
    assert buy_fill["coin"] == "PURR/USDC" and buy_fill["dir"] == "Buy"
    assert buy_fill["feeToken"] == "PURR" and Decimal(buy_fill["fee"]) == taker_fee
    assert buy_fill["startPosition"] == "0" and buy_fill["closedPnl"] == "0"
    [sell_fill] = seller.info("userFills")
    assert sell_fill["dir"] == "Sell" and sell_fill["feeToken"] == "USDC"
    # Spot never opens a perp position.
    assert buyer.info("clearinghouseState")["assetPositions"] == []
    # The resting remainder shows in openOrders (main dex) and its cancel frees the hold.
    assert [o["coin"] for o in seller.info("openOrders")] == ["PURR/USDC"]
    seller.cancel(PURR, oid_of(resting))
    assert balances(seller)["PURR"] == (Decimal(900), Decimal(0))
    trades = venue.info("recentTrades", coin="PURR/USDC")
    assert [(t["px"], t["sz"]) for t in trades] == [("0.2", "100")]


def test_spot_orders_need_the_tokens_they_spend() -> None:
    venue = Venue()
    poor = funded(venue, 0, USDC="15")
    answer = poor.order(HYPE, True, "30", "1")
    assert answer == {"error": "Insufficient spot balance. asset=10001"}
    resting = poor.order(HYPE, True, "14", "1")  # $14 of USDC held
    assert "resting" in resting
    assert poor.order(HYPE, True, "10", "1") == {"error": "Insufficient spot balance. asset=10001"}
    assert poor.order(HYPE, False, "31", "1") == {"error": "Insufficient spot balance. asset=10001"}
    assert poor.order(HYPE, True, "14", "1", reduce_only=True) == {
        "error": "Reduce only order would increase position. asset=10001"
    }


def test_spot_assets_have_no_leverage() -> None:
    venue = Venue()
    trader = funded(venue, 0, USDC="100")
    answer = trader.act(actions.update_leverage_action(PURR, is_cross=True, leverage=2))
    assert answer == {
        "status": "err",
        "response": "Asset 10000 is a spot pair: it has no leverage or margin.",
    }


def test_spot_pairs_quote_and_trade_against_the_liquidity_provider() -> None:
    venue = Venue(quiet_config(lp_levels=3))
    venue.tick()
    book = venue.info("l2Book", coin="@1")
    assert book["levels"][0] and book["levels"][1]
    trader = funded(venue, 0, USDC="1000")
    ask = Decimal(book["levels"][1][0]["px"])
    filled = trader.order(HYPE, True, str(ask), "1", tif="Ioc")["filled"]
    assert filled["totalSz"] == "1"
    usdc, _ = balances(trader)["USDC"]
    assert usdc == 1000 - ask
    assert set(venue.info("allMids")) >= {"PURR/USDC", "@1"}


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 1),  # who
            st.booleans(),  # buy?
            st.integers(18, 22),  # price in cents
            st.integers(50, 400),  # size in PURR
            st.sampled_from(["Gtc", "Ioc", "cancel"]),
        ),
        max_size=25,
    )
)
def test_spot_tokens_are_conserved_and_holds_never_exceed_balances(
    steps: list[tuple[int, bool, int, int, str]],
) -> None:
    venue = Venue()
    traders = [funded(venue, i, USDC="500", PURR="2000") for i in range(2)]
    for who, is_buy, cents, size, tif in steps:
        trader = traders[who]
        if tif == "cancel":
            for order in trader.info("openOrders"):
                trader.cancel(PURR, order["oid"])
            continue
        trader.order(PURR, is_buy, str(Decimal(cents) / 100), str(size), tif=tif)
    fees = {"USDC": Decimal(0), "PURR": Decimal(0)}
    for trader in traders:
        for fill in trader.info("userFills"):
            fees[fill["feeToken"]] += Decimal(fill["fee"])
        for total, hold in balances(trader).values():
            assert 0 <= hold <= total
        orders = trader.info("openOrders")
        usdc_held = sum(
            (Decimal(o["sz"]) * Decimal(o["limitPx"]) for o in orders if o["side"] == "B"),
            Decimal(0),
        )
        purr_held = sum((Decimal(o["sz"]) for o in orders if o["side"] == "A"), Decimal(0))
        held = {token: hold for token, (_, hold) in balances(trader).items()}
        assert (held.get("USDC", 0), held.get("PURR", 0)) == (usdc_held, purr_held)
    for token, start in (("USDC", Decimal(1000)), ("PURR", Decimal(4000))):
        total = sum(balances(trader)[token][0] for trader in traders)
        assert total + fees[token] == start
