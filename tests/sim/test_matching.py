"""Matching: price-time priority, fills on both sides, fees, dir/startPosition/closedPnl,
self-trade prevention, and what tick() does (oracle walk, LP quotes, triggers)."""

from __future__ import annotations

from decimal import Decimal

import attrs

from hip3.sim.config import SimConfig, SimDex, SimMarket
from hip3.sim.engine import LP_ADDRESS
from hip3.sim.market import valid_price
from hip3.wire import actions
from tests.sim.test_engine_support import BTC, ETH, SOL, Venue, oid_of, quiet_config


def test_price_then_time_priority() -> None:
    venue = Venue()
    first, second, better, taker = (venue.trader(i) for i in range(4))
    first_oid = oid_of(first.order(BTC, False, "60010", "0.001"))
    second_oid = oid_of(second.order(BTC, False, "60010", "0.001"))
    better_oid = oid_of(better.order(BTC, False, "60005", "0.001"))
    taker.order(BTC, True, "60010", "0.002", tif="Ioc")
    fills = list(reversed(taker.info("userFills")))
    assert [(f["px"], f["sz"]) for f in fills] == [("60005", "0.001"), ("60010", "0.001")]
    assert [o["oid"] for o in second.info("openOrders")] == [second_oid]
    assert first.info("openOrders") == [] and better.info("openOrders") == []
    assert {first_oid, better_oid}.isdisjoint({o["oid"] for o in second.info("openOrders")})


def test_taker_walks_levels_and_both_sides_get_a_fill_with_the_same_tid() -> None:
    venue = Venue()
    maker, taker = venue.trader(0), venue.trader(1)
    cloid = "0x" + "5a" * 16
    maker.order(BTC, False, "60000", "0.001")
    maker.order(BTC, False, "60001", "0.002")
    status = taker.order(BTC, True, "60001", "0.003", tif="Ioc", cloid=cloid)
    assert status["filled"] == {
        "totalSz": "0.003",
        "avgPx": "60000.66666666",
        "oid": status["filled"]["oid"],
        "cloid": cloid,
    }
    taker_fills = taker.info("userFills")
    maker_fills = maker.info("userFills")
    assert {f["tid"] for f in taker_fills} == {f["tid"] for f in maker_fills}
    assert len({f["tid"] for f in taker_fills}) == 2
    for fill in taker_fills:
        assert fill["crossed"] is True and fill["cloid"] == cloid and fill["side"] == "B"
        assert fill["oid"] == status["filled"]["oid"]
        assert Decimal(fill["fee"]) == (
            Decimal(fill["px"]) * Decimal(fill["sz"]) * Decimal("0.00045")
        ).quantize(Decimal("0.000001"))
    assert len({f["hash"] for f in taker_fills}) == 1
    for fill in maker_fills:
        assert fill["crossed"] is False and "cloid" not in fill and fill["side"] == "A"
        assert Decimal(fill["fee"]) == (
            Decimal(fill["px"]) * Decimal(fill["sz"]) * Decimal("0.00015")
        ).quantize(Decimal("0.000001"))


def test_start_position_chains_and_dir_labels_follow_the_position() -> None:
    venue = Venue()
    maker, trader = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.01")
    trader.order(BTC, True, "60000", "0.004", tif="Ioc")  # Open Long
    maker.order(BTC, True, "59000", "0.02")
    trader.order(BTC, False, "59000", "0.001", tif="Ioc")  # Close Long
    trader.order(BTC, False, "59000", "0.005", tif="Ioc")  # Long > Short
    trader.order(BTC, False, "59000", "0.001", tif="Ioc")  # Open Short
    maker.order(BTC, False, "60000", "0.01")
    trader.order(BTC, True, "60000", "0.001", tif="Ioc")  # Close Short
    trader.order(BTC, True, "60000", "0.003", tif="Ioc")  # Short > Long
    fills = list(reversed(trader.info("userFills")))
    assert [f["dir"] for f in fills] == [
        "Open Long",
        "Close Long",
        "Long > Short",
        "Open Short",
        "Close Short",
        "Short > Long",
    ]
    position = Decimal(0)
    for fill in fills:
        assert Decimal(fill["startPosition"]) == position
        position += Decimal(fill["sz"]) * (1 if fill["side"] == "B" else -1)
    assert trader.position("BTC") == position == Decimal("0.001")
    # Closing 0.001 of a long entered at 60000, at 59000: -1 USD.
    assert fills[1]["closedPnl"] == "-1"
    assert fills[0]["closedPnl"] == "0"


def test_self_trade_cancels_the_resting_order_instead_of_filling() -> None:
    venue = Venue()
    trader, other = venue.trader(0), venue.trader(1)
    own = oid_of(trader.order(BTC, False, "60000", "0.001"))
    other.order(BTC, False, "60001", "0.001")
    status = trader.order(BTC, True, "60001", "0.001", tif="Ioc")
    assert status["filled"]["avgPx"] == "60001"
    assert trader.info("orderStatus", oid=own)["order"]["status"] == "selfTradeCanceled"
    assert all(f["oid"] != own for f in trader.info("userFills"))


def test_resting_order_filled_later_streams_fills_and_a_filled_update() -> None:
    venue = Venue()
    maker, taker = venue.trader(0), venue.trader(1)
    oid = oid_of(maker.order(BTC, True, "59000", "0.002"))
    venue.events.clear()
    taker.order(BTC, False, "59000", "0.001", tif="Ioc")
    taker.order(BTC, False, "59000", "0.001", tif="Ioc")
    batches = venue.events_of("userFills", maker.address)
    assert len(batches) == 2 and all(len(b["fills"]) == 1 for b in batches)
    assert venue.events_of("userEvents", maker.address) == [{"fills": b["fills"]} for b in batches]
    updates = [u for b in venue.events_of("orderUpdates", maker.address) for u in b]
    assert [(u["order"]["oid"], u["status"], u["order"]["sz"]) for u in updates] == [
        (oid, "filled", "0")
    ]


def _oracle_path(config: SimConfig, ticks: int = 30) -> list[str]:
    venue = Venue(config)
    path = []
    for _ in range(ticks):
        venue.tick()
        path.append(venue.info("metaAndAssetCtxs")[1][0]["oraclePx"])
    return path


def test_tick_walks_the_oracle_deterministically_per_seed() -> None:
    assert _oracle_path(SimConfig(auto_accounts=True, seed=1)) == _oracle_path(
        SimConfig(auto_accounts=True, seed=1)
    )
    assert _oracle_path(SimConfig(auto_accounts=True, seed=1)) != _oracle_path(
        SimConfig(auto_accounts=True, seed=2)
    )
    assert len(set(_oracle_path(SimConfig(auto_accounts=True, seed=1)))) > 5
    assert set(_oracle_path(quiet_config())) == {"60000"}  # no volatility, no movement


def test_lp_quotes_follow_the_mark_and_fill_resting_orders_they_cross() -> None:
    venue = Venue(attrs.evolve(SimConfig(auto_accounts=True, seed=5), lp_levels=3))
    trader = venue.trader(0)
    book = venue.info("l2Book", coin="BTC")
    best_ask = Decimal(book["levels"][1][0]["px"])
    best_bid = Decimal(book["levels"][0][0]["px"])
    # A bid just under the best ask: the LP's asks will cross it as soon as the mark rises.
    oid = oid_of(trader.order(BTC, True, str(best_bid + 1), "0.001"))
    for _ in range(300):
        venue.tick()
        if not trader.info("openOrders"):
            break
    status = trader.info("orderStatus", oid=oid)["order"]["status"]
    assert status == "filled"
    [fill] = trader.info("userFills")
    assert fill["crossed"] is False and fill["oid"] == oid
    assert Decimal(fill["px"]) == best_bid + 1
    assert venue.exchange.truth()["positions"][LP_ADDRESS] == {"BTC": "-0.001"}
    assert not venue.events_of("userFills", LP_ADDRESS)  # the LP's fills are not streamed
    assert best_ask > best_bid


def test_book_is_never_crossed_after_ticks() -> None:
    venue = Venue(attrs.evolve(SimConfig(auto_accounts=True, seed=9)))
    trader = venue.trader(0)
    for step in range(50):
        venue.tick()
        for coin in ("BTC", "ETH", "SOL", "xyz:TSLA", "flx:GOLD"):
            bids, asks = venue.info("l2Book", coin=coin)["levels"]
            assert Decimal(bids[0]["px"]) < Decimal(asks[0]["px"])
        if step % 10 == 0:
            trader.order(SOL, True, "160", "1", tif="Ioc")


def test_stop_market_fires_when_the_mark_crosses() -> None:
    venue = Venue(attrs.evolve(SimConfig(auto_accounts=True, seed=2), lp_levels=5))
    trader = venue.trader(0)
    trader.order(ETH, True, "3100", "1", tif="Ioc")
    mark = Decimal(venue.info("metaAndAssetCtxs")[1][1]["markPx"])
    stop_px = str(mark - 1)
    stop = actions.order_wire(
        ETH,
        False,
        str(mark - 300),
        "1",
        reduce_only=True,
        order_type=actions.trigger_order_type(stop_px, is_market=True, tpsl="sl"),
    )
    oid = oid_of(trader.orders(stop)[0])
    [waiting] = trader.info("frontendOpenOrders")
    assert waiting["isTrigger"] is True and waiting["orderType"] == "Stop Market"
    assert waiting["triggerCondition"] == f"Price below {stop_px}"
    for _ in range(2000):
        venue.tick()
        if trader.position("ETH") == 0:
            break
    assert trader.position("ETH") == 0
    updates = [u for b in venue.events_of("orderUpdates", trader.address) for u in b]
    assert [u["status"] for u in updates if u["order"]["oid"] == oid] == [
        "open",
        "triggered",
        "filled",
    ]
    assert trader.info("openOrders") == []


def test_take_profit_limit_rests_after_triggering() -> None:
    venue = Venue()
    maker, trader = venue.trader(0), venue.trader(1)
    maker.order(SOL, False, "150", "10")
    trader.order(SOL, True, "150", "1", tif="Ioc")
    # A take-profit sell triggers when the mark is at or above 149 (mark is 150 already).
    tp = actions.order_wire(
        SOL,
        False,
        "155",
        "1",
        reduce_only=True,
        order_type=actions.trigger_order_type("149", is_market=False, tpsl="tp"),
    )
    oid = oid_of(trader.orders(tp)[0])
    venue.tick()
    [resting] = trader.info("openOrders")
    assert resting["oid"] == oid and resting["limitPx"] == "155"
    assert trader.info("orderStatus", oid=oid)["order"]["status"] == "open"


def test_lp_grid_on_a_tiny_price_market_respects_the_tick_rules() -> None:
    market = SimMarket("kPEPE", 0, 10, Decimal("0.0012345"), 0.002)
    venue = Venue(
        SimConfig(
            auto_accounts=True, dexes=(SimDex("", "main", "0x" + "0" * 40, (market,)),), seed=4
        )
    )
    for _ in range(50):
        venue.tick()
        bids, asks = venue.info("l2Book", coin="kPEPE")["levels"]
        assert len(bids) == len(asks) == 10
        prices = [Decimal(level["px"]) for level in bids + asks]
        assert all(valid_price(px, 0) for px in prices)
        assert prices[:10] == sorted(prices[:10], reverse=True) and prices[10:] == sorted(
            prices[10:]
        )
        assert prices[0] < prices[10]


def _tpsl_group(parent_px: str, tif: str = "Gtc") -> dict[str, object]:
    parent = actions.order_wire(SOL, True, parent_px, "1", tif=tif)  # type: ignore[arg-type]
    take_profit = actions.order_wire(
        SOL,
        False,
        "160",
        "1",
        reduce_only=True,
        order_type=actions.trigger_order_type("160", is_market=False, tpsl="tp"),
    )
    stop_loss = actions.order_wire(
        SOL,
        False,
        "130",
        "1",
        reduce_only=True,
        order_type=actions.trigger_order_type("140", is_market=True, tpsl="sl"),
    )
    return actions.order_action([parent, take_profit, stop_loss], grouping="normalTpsl")


def test_normal_tpsl_children_wait_for_the_parent_then_one_cancels_the_other() -> None:
    venue = Venue()
    maker, trader = venue.trader(0), venue.trader(1)
    answer = trader.act(_tpsl_group("149"))
    statuses = answer["response"]["data"]["statuses"]
    assert "resting" in statuses[0] and statuses[1:] == ["waitingForFill", "waitingForFill"]
    assert len(trader.info("frontendOpenOrders")) == 1
    maker.order(SOL, False, "149", "1")  # fills the parent
    triggers = trader.info("frontendOpenOrders")
    assert sorted(o["orderType"] for o in triggers) == ["Stop Market", "Take Profit Limit"]
    # The mark (150) is below the take-profit (160) and above the stop (140): nothing fires.
    venue.tick()
    assert len(trader.info("frontendOpenOrders")) == 2
    venue.exchange.set_oracle("SOL", Decimal(161))  # the mark jumps over the take-profit
    maker.order(SOL, True, "160", "1")
    venue.tick(0)
    updates = [u for b in venue.events_of("orderUpdates", trader.address) for u in b]
    assert "siblingFilledCanceled" in [u["status"] for u in updates]
    assert trader.info("frontendOpenOrders") == []
    assert trader.position("SOL") == 0


def test_normal_tpsl_with_an_immediately_filled_parent_places_the_children() -> None:
    venue = Venue()
    maker, trader = venue.trader(0), venue.trader(1)
    maker.order(SOL, False, "150", "1")
    statuses = trader.act(_tpsl_group("150", tif="Ioc"))["response"]["data"]["statuses"]
    assert "filled" in statuses[0] and statuses[1:] == ["waitingForTrigger", "waitingForTrigger"]
    assert len(trader.info("openOrders")) == 2
    refused = trader.act(_tpsl_group("140", tif="Ioc"))["response"]["data"]["statuses"]
    assert "error" in refused[0] and all("error" in s for s in refused[1:])


def test_normal_tpsl_needs_a_parent_and_reduce_only_trigger_children() -> None:
    venue = Venue()
    trader = venue.trader(0)
    action = _tpsl_group("149")
    action["orders"] = action["orders"][:1]  # type: ignore[index]
    answer = trader.act(action)
    assert answer["status"] == "err" and "TP/SL" in answer["response"]


def test_aggregate_by_time_combines_one_orders_fills_in_a_block() -> None:
    venue = Venue()
    maker_a, maker_b, taker = venue.trader(0), venue.trader(1), venue.trader(2)
    maker_a.order(BTC, False, "60000", "0.001")
    maker_b.order(BTC, False, "60003", "0.003")
    venue.clock.advance(10)
    taker.order(BTC, True, "60003", "0.004", tif="Ioc")
    venue.clock.advance(10)
    maker_b.order(BTC, True, "59000", "0.001")
    taker.order(BTC, False, "59000", "0.001", tif="Ioc")
    raw = taker.info("userFills")
    assert len(raw) == 3
    [later, merged] = taker.info("userFills", aggregateByTime=True)
    assert later == raw[0]
    assert (merged["sz"], merged["px"], merged["dir"], merged["startPosition"]) == (
        "0.004",
        "60002.25",
        "Open Long",
        "0",
    )
    assert Decimal(merged["fee"]) == Decimal(raw[1]["fee"]) + Decimal(raw[2]["fee"])
    assert merged["tid"] == min(raw[1]["tid"], raw[2]["tid"])
    by_time = taker.info("userFillsByTime", startTime=0, aggregateByTime=True)
    assert [f["sz"] for f in by_time] == ["0.004", "0.001"]
    # Each maker's single fill stays as it is.
    assert maker_b.info("userFills", aggregateByTime=True) == maker_b.info("userFills")
