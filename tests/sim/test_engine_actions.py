"""SimExchange actions: every order rule with the venue's error text, cancels, modify,
scheduleCancel, leverage and margin, transfers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hip3.signing import sign_approve_agent, sign_usd_send, sign_withdraw
from hip3.wire import actions
from hip3.wire import models as m
from hip3.wire.codec import structure
from hip3.wire.to_domain import cancel_results, order_results
from tests.sim.test_engine_support import (
    BTC,
    ETH,
    NVDA,
    SOL,
    TSLA,
    Trader,
    Venue,
    oid_of,
    quiet_config,
)

# ---------------------------------------------------------------------------
# Order rules
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asset", "px", "sz", "text"),
    [
        (BTC, "59000.5", "0.001", "Order has invalid price. asset=0"),  # 6 sig figs
        (ETH, "2999.123", "0.01", "Order has invalid price. asset=1"),  # 7 sig figs
        (SOL, "150.12345", "1", "Order has invalid price. asset=2"),
        (BTC, "59000", "0.000001", "Order has invalid size. asset=0"),  # 6 > szDecimals 5
        (SOL, "150", "0.001", "Order has invalid size. asset=2"),
        (BTC, "59000", "0.0001", "Order must have minimum value of $10. asset=0"),  # $5.9
        (TSLA, "240", "0.04", "Order must have minimum value of $10. asset=110000"),
    ],
)
def test_invalid_orders_get_the_venue_text(asset: int, px: str, sz: str, text: str) -> None:
    venue = Venue()
    trader = venue.trader(0)
    wire = {
        "a": asset,
        "b": True,
        "p": px,
        "s": sz,
        "r": False,
        "t": {"limit": {"tif": "Gtc"}},
    }
    assert trader.orders(wire) == [{"error": text}]
    assert trader.info("openOrders") == []


def test_integer_prices_beyond_five_digits_are_valid() -> None:
    venue = Venue()
    assert "resting" in venue.trader(1).order(BTC, False, "123456", "0.001")


def test_batch_of_n_orders_gets_n_statuses_in_order() -> None:
    venue = Venue()
    trader = venue.trader(0)
    statuses = trader.orders(
        actions.order_wire(BTC, True, "59000", "0.001"),
        actions.order_wire(BTC, True, "59000.5", "0.001"),
        actions.order_wire(ETH, True, "2900", "0.01"),
    )
    assert len(statuses) == 3
    assert "resting" in statuses[0]
    assert statuses[1] == {"error": "Order has invalid price. asset=0"}
    assert "resting" in statuses[2]


def test_post_only_that_would_cross_is_refused_with_the_bbo() -> None:
    venue = Venue()
    maker, trader = venue.trader(0), venue.trader(1)
    maker.order(BTC, True, "59990", "0.001")
    maker.order(BTC, False, "60010", "0.001")
    status = trader.order(BTC, True, "60010", "0.001", tif="Alo")
    assert status == {
        "error": "Post only order would have immediately matched, bbo was 59990@60010. asset=0"
    }
    assert "resting" in trader.order(BTC, True, "60000", "0.001", tif="Alo")


def test_ioc_without_a_match_is_refused() -> None:
    venue = Venue()
    trader = venue.trader(0)
    assert trader.order(BTC, True, "60000", "0.001", tif="Ioc") == {
        "error": "Order could not immediately match against any resting orders. asset=0"
    }


def test_ioc_partial_fill_reports_what_filled_and_cancels_the_rest() -> None:
    venue = Venue()
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.002")
    maker.order(BTC, False, "60100", "0.002")
    status = taker.order(BTC, True, "60050", "0.005", tif="Ioc")
    assert status["filled"]["totalSz"] == "0.002"
    assert status["filled"]["avgPx"] == "60000"
    assert taker.info("openOrders") == []
    updates = [u for b in venue.events_of("orderUpdates", taker.address) for u in b]
    assert [(u["status"], u["order"]["sz"]) for u in updates] == [("canceled", "0.003")]


def test_gtc_partially_filled_rests_the_remainder() -> None:
    venue = Venue()
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.002")
    cloid = "0x" + "07" * 16
    status = taker.order(BTC, True, "60000", "0.005", cloid=cloid)
    assert status == {"resting": {"oid": status["resting"]["oid"], "cloid": cloid}}
    [resting] = taker.info("openOrders")
    assert (resting["sz"], resting["origSz"]) == ("0.003", "0.005")
    assert taker.position("BTC") == Decimal("0.002")


def test_reduce_only_rules() -> None:
    venue = Venue()
    maker, trader = venue.trader(0), venue.trader(1)
    refused = trader.order(BTC, False, "59000", "0.001", reduce_only=True)
    assert refused == {"error": "Reduce only order would increase position. asset=0"}
    maker.order(BTC, False, "60000", "0.01")
    trader.order(BTC, True, "60000", "0.002", tif="Ioc")
    same_side = trader.order(BTC, True, "59000", "0.001", reduce_only=True)
    assert same_side == {"error": "Reduce only order would increase position. asset=0"}
    maker.order(BTC, True, "59900", "0.01")
    # Larger than the position: only the position is closed, the rest is cancelled.
    closed = trader.order(BTC, False, "59000", "0.005", tif="Ioc", reduce_only=True)
    assert closed["filled"]["totalSz"] == "0.002"
    assert trader.position("BTC") == 0


def test_reduce_only_below_ten_dollars_is_allowed() -> None:
    venue = Venue()
    maker, trader = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.01")
    trader.order(BTC, True, "60000", "0.001", tif="Ioc")
    maker.order(BTC, True, "59900", "0.01")
    status = trader.order(BTC, False, "59900", "0.0001", tif="Ioc", reduce_only=True)
    assert status["filled"]["totalSz"] == "0.0001"


def test_a_cloid_naming_a_live_order_is_refused() -> None:
    venue = Venue()
    trader = venue.trader(0)
    cloid = "0x" + "aa" * 16
    trader.order(BTC, True, "59000", "0.001", cloid=cloid)
    status = trader.order(BTC, True, "58000", "0.001", cloid=cloid)
    assert status == {"error": "Order has duplicate cloid. asset=0"}
    assert len(trader.info("openOrders")) == 1
    # the refused order did not take the cloid: it still finds the live one
    assert trader.info("orderStatus", oid=cloid)["order"]["status"] == "open"
    # Another user may use the same cloid.
    assert "resting" in venue.trader(1).order(BTC, True, "58000", "0.001", cloid=cloid)


def test_a_cloid_is_free_again_once_its_order_ended() -> None:
    venue = Venue()
    maker, trader = venue.trader(0), venue.trader(1)
    cloid = "0x" + "ac" * 16
    first = oid_of(trader.order(BTC, True, "59000", "0.001", cloid=cloid))
    trader.act(actions.cancel_by_cloid_action([(BTC, cloid)]))
    second = oid_of(trader.order(BTC, True, "59000", "0.001", cloid=cloid))  # after a cancel
    assert second != first
    found = trader.info("orderStatus", oid=cloid)["order"]
    assert (found["order"]["oid"], found["status"]) == (second, "open")  # the newest
    maker.order(BTC, False, "59000", "0.001")  # fills the second one
    assert trader.info("orderStatus", oid=cloid)["order"]["status"] == "filled"
    third = trader.order(BTC, True, "58000", "0.001", cloid=cloid)  # after a fill
    assert oid_of(third) not in (first, second)
    assert trader.info("orderStatus", oid=first)["order"]["status"] == "canceled"


def test_a_refused_order_with_a_cloid_is_visible_to_order_status() -> None:
    venue = Venue()
    trader = venue.trader(0)
    cloid = "0x" + "bb" * 16
    trader.order(BTC, True, "60000", "0.001", tif="Ioc", cloid=cloid)
    status = trader.info("orderStatus", oid=cloid)
    assert status["order"]["status"] == "iocCancelRejected"
    # ...and the cloid may be used again for a real order.
    assert "resting" in trader.order(BTC, True, "59000", "0.001", cloid=cloid)


def test_too_many_open_orders() -> None:
    venue = Venue(quiet_config(max_open_orders=3))
    trader = venue.trader(0)
    for px in ("59000", "58000", "57000"):
        assert "resting" in trader.order(BTC, True, px, "0.001")
    assert trader.order(BTC, True, "56000", "0.001") == {"error": "Too many open orders. asset=0"}


def test_insufficient_margin() -> None:
    venue = Venue(quiet_config(starting_balance=Decimal(1000)))
    trader = venue.trader(0)
    # 20x default leverage: $1000 supports $20000 notional.
    assert "resting" in trader.order(BTC, True, "50000", "0.3")  # $15000 -> $750 margin
    status = trader.order(BTC, True, "50000", "0.2")  # another $500 margin: too much
    assert status == {"error": "Insufficient margin to place order. asset=0"}
    # Another dex has its own collateral.
    assert "resting" in trader.order(TSLA, True, "200", "1")


def test_builder_fee_is_added_to_the_taker_fee() -> None:
    venue = Venue()
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.01")
    builder = {"b": "0x" + "00" * 19 + "01", "f": 10}
    action = actions.order_action(
        [actions.order_wire(BTC, True, "60000", "0.01", tif="Ioc")], builder=builder
    )
    assert taker.act(action)["status"] == "ok"
    [fill] = taker.info("userFills")
    assert fill["builderFee"] == "0.06"  # f=10 tenths of a bp = 1 bp of $600
    assert Decimal(fill["fee"]) == Decimal("0.27") + Decimal("0.06")
    too_high = actions.order_action(
        [actions.order_wire(BTC, True, "60000", "0.01", tif="Ioc")], builder={**builder, "f": 101}
    )
    assert taker.act(too_high)["status"] == "err"


# ---------------------------------------------------------------------------
# Cancels and modifies
# ---------------------------------------------------------------------------


def test_cancel_by_oid_and_by_cloid() -> None:
    venue = Venue()
    trader = venue.trader(0)
    oid = oid_of(trader.order(BTC, True, "59000", "0.001"))
    cloid = "0x" + "cc" * 16
    trader.order(ETH, True, "2900", "0.01", cloid=cloid)
    assert trader.cancel(BTC, oid) == "success"
    assert trader.cancel(BTC, oid) == {
        "error": "Order was never placed, already canceled, or filled."
    }
    answer = trader.act(actions.cancel_by_cloid_action([(ETH, cloid), (ETH, "0x" + "dd" * 16)]))
    assert answer == {
        "status": "ok",
        "response": {
            "type": "cancel",
            "data": {
                "statuses": [
                    "success",
                    {"error": "Order was never placed, already canceled, or filled."},
                ]
            },
        },
    }
    assert trader.info("openOrders") == []
    updates = [u for b in venue.events_of("orderUpdates", trader.address) for u in b]
    assert [u["status"] for u in updates] == ["open", "open", "canceled", "canceled"]


def test_cancel_of_another_users_order_or_wrong_asset_fails() -> None:
    venue = Venue()
    owner, other = venue.trader(0), venue.trader(1)
    oid = oid_of(owner.order(BTC, True, "59000", "0.001"))
    assert "error" in other.cancel(BTC, oid)
    assert "error" in owner.cancel(ETH, oid)
    assert owner.cancel(BTC, oid) == "success"


def test_modify_replaces_the_order_with_a_new_oid() -> None:
    venue = Venue()
    trader = venue.trader(0)
    cloid = "0x" + "0e" * 16
    oid = oid_of(trader.order(BTC, True, "59000", "0.001", cloid=cloid))
    new_order = actions.order_wire(BTC, True, "59500", "0.002", cloid=cloid)
    assert trader.act(actions.modify_action(oid, new_order)) == {
        "status": "ok",
        "response": {"type": "default"},
    }
    [resting] = trader.info("openOrders")
    assert (resting["limitPx"], resting["sz"], resting["cloid"]) == ("59500", "0.002", cloid)
    assert resting["oid"] != oid
    answer = trader.act(actions.modify_action(oid, new_order))
    assert answer == {"status": "err", "response": "Cannot modify canceled or filled order"}


def test_batch_modify_reports_per_modify_statuses() -> None:
    venue = Venue()
    trader = venue.trader(0)
    oid = oid_of(trader.order(BTC, True, "59000", "0.001"))
    answer = trader.act(
        actions.batch_modify_action(
            [
                (oid, actions.order_wire(BTC, True, "59100", "0.001")),
                (12345, actions.order_wire(BTC, True, "59100", "0.001")),
            ]
        )
    )
    statuses = answer["response"]["data"]["statuses"]
    assert "resting" in statuses[0]
    assert statuses[1] == {"error": "Cannot modify canceled or filled order"}


def test_modify_by_cloid() -> None:
    venue = Venue()
    trader = venue.trader(0)
    cloid = "0x" + "1f" * 16
    trader.order(BTC, True, "59000", "0.001", cloid=cloid)
    answer = trader.act(
        actions.modify_action(cloid, actions.order_wire(BTC, True, "58000", "0.001"))
    )
    assert answer["status"] == "ok"
    assert trader.info("openOrders")[0]["limitPx"] == "58000"


# ---------------------------------------------------------------------------
# scheduleCancel
# ---------------------------------------------------------------------------


def test_schedule_cancel_must_be_five_seconds_ahead() -> None:
    venue = Venue(quiet_config(schedule_cancel_min_volume=0))  # the $1M gate: own tests
    trader = venue.trader(0)
    answer = trader.act(actions.schedule_cancel_action(venue.clock.ms + 4999))
    assert answer == {
        "status": "err",
        "response": "Scheduled cancel time too early, must be at least 5 seconds from now.",
    }


def test_schedule_cancel_cancels_every_open_order_at_its_time() -> None:
    venue = Venue(quiet_config(schedule_cancel_min_volume=0))  # the $1M gate: own tests
    trader, other = venue.trader(0), venue.trader(1)
    trader.order(BTC, True, "59000", "0.001")
    trader.order(TSLA, True, "200", "0.1")
    other.order(BTC, True, "58000", "0.001")
    at = venue.clock.ms + 6000
    assert trader.act(actions.schedule_cancel_action(at))["status"] == "ok"
    venue.tick(5000)
    assert len(trader.info("openOrders")) == 1
    venue.tick(1000)
    assert trader.info("openOrders") == [] and trader.info("openOrders", dex="xyz") == []
    assert len(other.info("openOrders")) == 1
    updates = [u for b in venue.events_of("orderUpdates", trader.address) for u in b]
    assert [u["status"] for u in updates[-2:]] == ["scheduledCancel", "scheduledCancel"]


def test_schedule_cancel_without_time_unsets_it() -> None:
    venue = Venue(quiet_config(schedule_cancel_min_volume=0))  # the $1M gate: own tests
    trader = venue.trader(0)
    trader.order(BTC, True, "59000", "0.001")
    trader.act(actions.schedule_cancel_action(venue.clock.ms + 5000))
    assert trader.act(actions.schedule_cancel_action(None))["status"] == "ok"
    venue.tick(10_000)
    assert len(trader.info("openOrders")) == 1


# ---------------------------------------------------------------------------
# Leverage and margin
# ---------------------------------------------------------------------------


def test_update_leverage_cross_and_isolated() -> None:
    venue = Venue()
    maker, trader = venue.trader(0), venue.trader(1)
    ok = {"status": "ok", "response": {"type": "default"}}
    assert trader.act(actions.update_leverage_action(BTC, is_cross=False, leverage=5)) == ok
    maker.order(BTC, False, "60000", "0.1")
    trader.order(BTC, True, "60000", "0.1", tif="Ioc")
    position = trader.info("clearinghouseState")["assetPositions"][0]["position"]
    assert position["leverage"]["type"] == "isolated" and position["leverage"]["value"] == 5
    assert position["marginUsed"] == "1200"  # $6000 / 5
    switch = trader.act(actions.update_leverage_action(BTC, is_cross=True, leverage=5))
    assert switch["status"] == "err"
    too_high = trader.act(actions.update_leverage_action(BTC, is_cross=False, leverage=41))
    assert too_high["status"] == "err" and "leverage" in too_high["response"].lower()
    cross_only = trader.act(actions.update_leverage_action(NVDA, is_cross=True, leverage=3))
    assert cross_only["status"] == "err"


def test_isolated_margin_can_be_added_and_removed() -> None:
    venue = Venue()
    maker, trader = venue.trader(0), venue.trader(1)
    trader.act(actions.update_leverage_action(BTC, is_cross=False, leverage=10))
    maker.order(BTC, False, "60000", "0.1")
    trader.order(BTC, True, "60000", "0.1", tif="Ioc")
    assert trader.act(actions.update_isolated_margin_action(BTC, "100"))["status"] == "ok"
    position = trader.info("clearinghouseState")["assetPositions"][0]["position"]
    assert position["marginUsed"] == "700"
    assert trader.act(actions.update_isolated_margin_action(BTC, "-100"))["status"] == "ok"
    refused = trader.act(actions.update_isolated_margin_action(BTC, "-1"))
    assert refused["status"] == "err"
    no_position = trader.act(actions.update_isolated_margin_action(ETH, "1"))
    assert no_position["status"] == "err"


def test_closing_a_position_realises_pnl_into_the_balance() -> None:
    venue = Venue()
    maker, trader = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.1")
    trader.order(BTC, True, "60000", "0.1", tif="Ioc")
    maker.order(BTC, True, "61000", "0.1")
    trader.order(BTC, False, "61000", "0.1", tif="Ioc")
    fills = trader.info("userFills")
    assert [f["dir"] for f in fills] == ["Close Long", "Open Long"]
    assert fills[0]["closedPnl"] == "100"
    fees = sum((Decimal(f["fee"]) for f in fills), Decimal(0))
    assert trader.balance() == Decimal(100_000) + 100 - fees
    assert trader.info("clearinghouseState")["assetPositions"] == []


# ---------------------------------------------------------------------------
# Transfers
# ---------------------------------------------------------------------------


def test_usd_send_moves_usdc_between_accounts() -> None:
    venue = Venue()
    sender, receiver = venue.trader(0), venue.trader(1)
    receiver.info("clearinghouseState")
    action = actions.usd_send_action(
        receiver.address, "250.5", time_ms=venue.next_nonce(), mainnet=False
    )
    signature = sign_usd_send(sender.key, action, mainnet=False)
    body = {"action": action, "nonce": action["time"], "signature": signature, "vaultAddress": None}
    assert venue.exchange.exchange(body) == {"status": "ok", "response": {"type": "default"}}
    assert sender.balance() == Decimal(100_000) - Decimal("250.5")
    assert receiver.balance() == Decimal(100_000) + Decimal("250.5")
    replay = venue.exchange.exchange(body)
    assert replay["status"] == "err" and "duplicate nonce" in replay["response"]


def test_usd_send_beyond_the_balance_is_refused() -> None:
    venue = Venue(quiet_config(starting_balance=Decimal(100)))
    sender = venue.trader(0)
    action = actions.usd_send_action(
        venue.trader(1).address, "101", time_ms=venue.next_nonce(), mainnet=True
    )
    signature = sign_usd_send(sender.key, action, mainnet=True)
    body = {"action": action, "nonce": action["time"], "signature": signature}
    assert venue.exchange.exchange(body)["status"] == "err"
    assert sender.balance() == Decimal(100)


def test_user_signed_action_nonce_must_match_its_time() -> None:
    venue = Venue()
    sender = venue.trader(0)
    action = actions.usd_send_action(
        venue.trader(1).address, "1", time_ms=venue.next_nonce(), mainnet=True
    )
    signature = sign_usd_send(sender.key, action, mainnet=True)
    body = {"action": action, "nonce": action["time"] + 1, "signature": signature}
    assert venue.exchange.exchange(body)["status"] == "err"


def test_credit_adds_to_a_dex_balance() -> None:
    venue = Venue()
    trader = venue.trader(0)
    venue.exchange.credit(trader.address, Decimal(5), dex="flx")
    assert trader.balance("flx") == Decimal(100_005)


# ---------------------------------------------------------------------------
# Refusals change nothing; answers parse with hip3.wire
# ---------------------------------------------------------------------------


def test_a_refused_action_does_not_use_its_nonce() -> None:
    venue = Venue(quiet_config(schedule_cancel_min_volume=0))
    trader = venue.trader(0)
    nonce = venue.next_nonce()
    early = trader.act(actions.schedule_cancel_action(venue.clock.ms + 1), nonce=nonce)
    assert early["status"] == "err"
    assert (
        trader.act(actions.schedule_cancel_action(venue.clock.ms + 9000), nonce=nonce)["status"]
        == "ok"
    )


def test_order_and_cancel_answers_parse_with_hip3_wire() -> None:
    venue = Venue()
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.001")
    answer = taker.act(
        actions.order_action(
            [
                actions.order_wire(BTC, True, "60000", "0.001", tif="Ioc"),
                actions.order_wire(BTC, True, "59000", "0.001"),
                actions.order_wire(BTC, True, "59000", "0.0000001"),
            ]
        )
    )
    results = order_results(structure(answer, m.ExchangeResponse))
    assert [type(r).__name__ for r in results] == ["Filled", "Resting", "Rejected"]
    resting_oid = oid_of(answer["response"]["data"]["statuses"][1])
    cancel = taker.act(actions.cancel_action([(BTC, resting_oid), (BTC, resting_oid + 99)]))
    assert [type(r).__name__ for r in cancel_results(structure(cancel, m.ExchangeResponse))] == [
        "CancelSuccess",
        "Rejected",
    ]


def test_frontend_trigger_orders_parse() -> None:
    venue = Venue()
    maker, trader = venue.trader(0), venue.trader(1)
    maker.order(SOL, True, "150", "10")
    trader.order(SOL, False, "150", "1", tif="Ioc")
    stop = actions.order_wire(
        SOL,
        True,
        "170",
        "1",
        reduce_only=True,
        order_type=actions.trigger_order_type("160", is_market=True, tpsl="sl"),
    )
    oid = oid_of(trader.orders(stop)[0])
    [order] = trader.info("frontendOpenOrders")
    assert order["triggerCondition"] == "Price above 160"
    assert (order["triggerPx"], order["reduceOnly"], order["tif"]) == ("160", True, None)
    structure([order], list[m.FrontendOrder])
    assert trader.info("openOrders")[0]["reduceOnly"] is True
    assert trader.cancel(SOL, oid) == "success"


# ---------------------------------------------------------------------------
# Agents and withdrawals
# ---------------------------------------------------------------------------


def _approve(venue: Venue, master: Trader, agent: str, name: str | None) -> dict[str, object]:
    approve = actions.approve_agent_action(agent, name, nonce=venue.next_nonce(), mainnet=False)
    signature = sign_approve_agent(master.key, approve, mainnet=False)
    return venue.exchange.exchange(
        {"action": approve, "nonce": approve["nonce"], "signature": signature, "vaultAddress": None}
    )


def test_an_agent_stops_acting_after_valid_until() -> None:
    venue = Venue()
    master, agent = venue.trader(0), venue.trader(1)
    master.info("clearinghouseState")
    until = venue.clock.ms + 10_000
    assert _approve(venue, master, agent.address, f"bot valid_until {until}")["status"] == "ok"
    agent.order(BTC, True, "59000", "0.001")
    assert len(master.info("openOrders")) == 1
    venue.clock.advance(10_000)
    agent.order(BTC, True, "59000", "0.001")
    assert len(master.info("openOrders")) == 1  # the expired agent trades for itself now
    assert len(agent.info("openOrders")) == 1


def test_at_most_three_named_agents_and_agents_cannot_sign_user_actions() -> None:
    venue = Venue()
    master = venue.trader(0)
    agents = [venue.trader(i) for i in (1, 2, 3, 4)]
    for index, agent in enumerate(agents[:3]):
        assert _approve(venue, master, agent.address, f"a{index}")["status"] == "ok"
    refused = _approve(venue, master, agents[3].address, "a3")
    assert refused["status"] == "err"
    assert _approve(venue, master, agents[3].address, "a0")["status"] == "ok"  # replaces a0
    by_agent = _approve(venue, agents[1], agents[0].address, "x")
    assert by_agent["status"] == "err" and "does not exist" in str(by_agent["response"])


def test_withdraw_reduces_the_main_dex_balance() -> None:
    venue = Venue()
    trader = venue.trader(0)
    action = actions.withdraw_action(
        trader.address, "1000", time_ms=venue.next_nonce(), mainnet=False
    )
    signature = sign_withdraw(trader.key, action, mainnet=False)
    body = {"action": action, "nonce": action["time"], "signature": signature}
    assert venue.exchange.exchange(body) == {"status": "ok", "response": {"type": "default"}}
    assert trader.balance() == Decimal(99_000)


def test_cancel_flag_f_is_signed_only_when_true() -> None:
    venue = Venue(quiet_config(auto_accounts=False))
    trader = venue.trader(0)
    venue.exchange.credit(trader.address, Decimal(10_000))
    oid = oid_of(trader.order(BTC, True, "59000", "0.001"))
    with_false = {**actions.cancel_action([(BTC, oid)]), "f": False}
    refused = trader.act(with_false)
    assert refused["status"] == "err" and "does not exist" in refused["response"]
    fast = {**actions.cancel_action([(BTC, oid)]), "f": True}
    assert trader.act(fast)["response"]["data"]["statuses"] == ["success"]


# ---------------------------------------------------------------------------
# Funding
# ---------------------------------------------------------------------------


def test_funding_moves_collateral_from_longs_to_shorts_never_positions() -> None:
    venue = Venue(quiet_config(funding_rate=Decimal("0.0001")))
    long, short = venue.trader(0), venue.trader(1)
    short.order(BTC, False, "60000", "0.1")
    long.order(BTC, True, "60000", "0.1", tif="Ioc")
    long_before, short_before = long.balance(), short.balance()
    hour = 3_600_000
    venue.tick(hour - venue.clock.ms % hour)  # to the next hour boundary
    assert long.position("BTC") == Decimal("0.1") and short.position("BTC") == Decimal("-0.1")
    payment = Decimal("0.1") * 60000 * Decimal("0.0001")  # $0.60
    assert long.balance() == long_before - payment
    assert short.balance() == short_before + payment
    position = long.info("clearinghouseState")["assetPositions"][0]["position"]
    assert position["cumFunding"] == {"allTime": "0.6", "sinceOpen": "0.6", "sinceChange": "0.6"}
    [record] = short.info("userFunding", startTime=0)
    assert record["delta"] == {
        "type": "funding",
        "coin": "BTC",
        "usdc": "0.6",
        "szi": "-0.1",
        "fundingRate": "0.0001",
        "nSamples": None,
    }
    [event] = [e for e in venue.events_of("userEvents", short.address) if "funding" in e]
    assert event["funding"]["usdc"] == "0.6" and event["funding"]["time"] == record["time"]
    venue.tick(hour)
    assert len(short.info("userFunding", startTime=0)) == 2


def test_funding_can_be_turned_off() -> None:
    venue = Venue(quiet_config(funding_rate=Decimal(0)))
    long, short = venue.trader(0), venue.trader(1)
    short.order(BTC, False, "60000", "0.1")
    long.order(BTC, True, "60000", "0.1", tif="Ioc")
    before = long.balance()
    venue.tick(2 * 3_600_000)
    assert long.balance() == before and long.info("userFunding", startTime=0) == []


def test_only_the_most_recent_finished_orders_are_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("hip3.sim.accounts.DONE_ORDER_HISTORY", 3)
    venue = Venue()
    trader = venue.trader(0)
    cloids = [f"0x{i:032x}" for i in range(1, 6)]
    oids = [oid_of(trader.order(BTC, True, "59000", "0.001", cloid=c)) for c in cloids]
    for oid in oids:
        trader.cancel(BTC, oid)
    assert trader.info("orderStatus", oid=oids[0]) == {"status": "unknownOid"}
    assert trader.info("orderStatus", oid=cloids[1]) == {"status": "unknownOid"}
    assert trader.info("orderStatus", oid=oids[4])["order"]["status"] == "canceled"
    assert len(trader.info("historicalOrders")) == 3
