"""SimExchange: info answers in the venue's shapes (parsed by hip3.wire), signature checks,
agents, vaults, nonces and malformed input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
import pytest
from hyperliquid.utils.signing import sign_l1_action as sdk_sign_l1_action
from hypothesis import given
from hypothesis import strategies as st

from hip3.signing import PrivateKey, sign_approve_agent
from hip3.sim.config import SimBadRequest
from hip3.sim.engine import LP_ADDRESS, SimExchange
from hip3.universe import Universe
from hip3.wire import actions
from hip3.wire import models as m
from hip3.wire.codec import structure
from hip3.wire.to_domain import (
    account_snapshot_from_json,
    fills_from_json,
    order_status_to_update,
    order_updates_from_json,
)
from hip3.wire.ws import parse_ws_message
from tests.sim.test_engine_support import (
    BTC,
    ETH,
    NVDA,
    SDK_ADDRESS,
    SDK_KEY,
    T0,
    TSLA,
    Venue,
    oid_of,
    one_market_config,
    quiet_config,
)

# ---------------------------------------------------------------------------
# Market data
# ---------------------------------------------------------------------------


def test_meta_per_dex_lists_prefixed_names_and_universe_maps_asset_ids() -> None:
    venue = Venue()
    perp_dexs = venue.info("perpDexs")
    assert perp_dexs[0] is None
    assert [d["name"] for d in perp_dexs[1:]] == ["xyz", "flx"]
    structure(perp_dexs, m.PerpDexs)
    metas = {dex: venue.info("meta", dex=dex) for dex in ("", "xyz", "flx")}
    assert [a["name"] for a in metas["xyz"]["universe"]] == ["xyz:TSLA", "xyz:NVDA"]
    assert metas[""]["universe"][0] == {
        "name": "BTC",
        "szDecimals": 5,
        "maxLeverage": 40,
        "marginTableId": 40,
    }
    assert metas["xyz"]["universe"][1]["onlyIsolated"] is True
    universe = Universe.from_meta(perp_dexs, metas)
    assert universe.asset("BTC") == BTC
    assert universe.asset("xyz:TSLA") == TSLA
    assert universe.asset("flx:GOLD") == 120_000


def test_meta_and_asset_ctxs_pairs_each_market_with_a_context() -> None:
    venue = Venue(quiet_config(lp_levels=2))
    meta, ctxs = venue.info("metaAndAssetCtxs", dex="xyz")
    assert len(ctxs) == len(meta["universe"]) == 2
    structure([meta, ctxs], m.MetaAndAssetCtxs)
    assert ctxs[0]["oraclePx"] == ctxs[0]["markPx"] == "250"
    assert ctxs[0]["impactPxs"] is not None


def test_all_mids_are_per_dex() -> None:
    venue = Venue(quiet_config(lp_levels=2))
    # The main dex's mids include the spot pairs (by their wire names), as on the venue.
    assert set(venue.info("allMids")) == {"BTC", "ETH", "SOL", "PURR/USDC", "@1"}
    assert set(venue.info("allMids", dex="flx")) == {"flx:GOLD"}
    assert Decimal(venue.info("allMids")["BTC"]) == Decimal(60000)


def test_l2_book_aggregates_levels_best_first() -> None:
    venue = Venue()
    a, b = venue.trader(0), venue.trader(1)
    a.order(BTC, True, "59000", "0.001")
    b.order(BTC, True, "59000", "0.002")
    a.order(BTC, True, "58000", "0.003")
    a.order(BTC, False, "61000", "0.004")
    venue.clock.advance(5)
    book = venue.info("l2Book", coin="BTC")
    assert book == {
        "coin": "BTC",
        "time": venue.clock.ms,
        "levels": [
            [{"px": "59000", "sz": "0.003", "n": 2}, {"px": "58000", "sz": "0.003", "n": 1}],
            [{"px": "61000", "sz": "0.004", "n": 1}],
        ],
    }
    structure(book, m.L2Book)
    assert venue.info("l2Book", coin="NOPE") is None


def test_lp_quotes_fill_a_few_thousand_dollars_over_several_levels() -> None:
    venue = Venue(quiet_config(lp_levels=10))
    book = venue.info("l2Book", coin="ETH")
    bids, asks = book["levels"]
    assert len(bids) == len(asks) == 10
    assert Decimal(bids[0]["px"]) < Decimal(3000) < Decimal(asks[0]["px"])
    trader = venue.trader(0)
    status = trader.order(ETH, True, "3100", "1", tif="Ioc")
    fills = trader.info("userFills")
    assert status["filled"]["totalSz"] == "1"
    assert len({f["px"] for f in fills}) >= 3  # $3000 walked several levels


# ---------------------------------------------------------------------------
# Account state
# ---------------------------------------------------------------------------


def test_clearinghouse_state_parses_and_shows_the_position() -> None:
    venue = Venue()
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.01")
    taker.order(BTC, True, "60000", "0.01", tif="Ioc")
    state = taker.info("clearinghouseState", dex="")
    snapshot = account_snapshot_from_json("", state)
    assert snapshot.positions["BTC"].szi == Decimal("0.01")
    assert snapshot.positions["BTC"].entry_px == Decimal(60000)
    assert snapshot.positions["BTC"].leverage_type == "cross"
    position = state["assetPositions"][0]["position"]
    assert position["positionValue"] == "600"
    assert position["marginUsed"] == "30"  # 600 / 20x default
    assert position["leverage"] == {"type": "cross", "value": 20}
    fee = Decimal("600") * Decimal("0.00045")
    assert Decimal(state["marginSummary"]["accountValue"]) == Decimal(100_000) - fee
    maker_state = maker.info("clearinghouseState", dex="")
    assert maker_state["assetPositions"][0]["position"]["szi"] == "-0.01"
    assert taker.info("clearinghouseState", dex="xyz")["assetPositions"] == []


def test_snapshot_time_covers_exactly_the_fills_at_or_before_it() -> None:
    venue = Venue()
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.01")
    taker.order(BTC, True, "60000", "0.005", tif="Ioc")
    before = taker.info("clearinghouseState")
    # Same clock millisecond: the next fill must still be later than the snapshot.
    taker.order(BTC, True, "60000", "0.005", tif="Ioc")
    fills = taker.info("userFills")
    assert Decimal(before["assetPositions"][0]["position"]["szi"]) == sum(
        (Decimal(f["sz"]) for f in fills if f["time"] <= before["time"]), Decimal(0)
    )
    assert max(f["time"] for f in fills) > before["time"]


def test_open_orders_and_frontend_open_orders_are_per_dex() -> None:
    venue = Venue()
    trader = venue.trader(0)
    cloid = "0x" + "00" * 15 + "2a"
    trader.order(BTC, True, "59000", "0.001", cloid=cloid)
    trader.order(TSLA, True, "240", "0.1")
    main = trader.info("openOrders", dex="")
    assert len(main) == 1
    assert main[0]["cloid"] == cloid and main[0]["origSz"] == "0.001"
    structure(main, list[m.OpenOrder])
    hip3 = trader.info("frontendOpenOrders", dex="xyz")
    assert [o["coin"] for o in hip3] == ["xyz:TSLA"]
    assert hip3[0]["orderType"] == "Limit" and hip3[0]["tif"] == "Gtc" and hip3[0]["cloid"] is None
    structure(hip3, list[m.FrontendOrder])


def test_user_fills_newest_first_and_by_time_oldest_first_within_the_window() -> None:
    venue = Venue()
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.01")
    for _ in range(4):
        venue.clock.advance(1000)
        taker.order(BTC, True, "60000", "0.002", tif="Ioc")
    fills = taker.info("userFills")
    times = [f["time"] for f in fills]
    assert times == sorted(times, reverse=True) and len(fills) == 4
    assert len(fills_from_json(fills)) == 4
    window = taker.info("userFillsByTime", startTime=times[2], endTime=times[1])
    assert [f["time"] for f in window] == [times[2], times[1]]
    everything = taker.info("userFillsByTime", startTime=0)
    assert [f["tid"] for f in everything] == [f["tid"] for f in reversed(fills)]


def test_user_fills_answer_at_most_2000() -> None:
    venue = Venue(one_market_config(max_open_orders=5000))
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "1")
    batch = [actions.order_wire(BTC, True, "60000", "0.0002", tif="Ioc")] * 500
    for _ in range(5):
        taker.orders(*batch)
    assert len(taker.info("userFills")) == 2000
    assert len(taker.info("userFillsByTime", startTime=0)) == 2000


def test_order_status_by_oid_and_cloid_and_unknown() -> None:
    venue = Venue()
    trader = venue.trader(0)
    cloid = "0x" + "ab" * 16
    oid = oid_of(trader.order(BTC, True, "59000", "0.001", cloid=cloid))
    by_oid = trader.info("orderStatus", oid=oid)
    by_cloid = trader.info("orderStatus", oid=cloid)
    assert by_oid == by_cloid
    assert by_oid["status"] == "order" and by_oid["order"]["status"] == "open"
    update = order_status_to_update(structure(by_oid, m.OrderStatusResponse))
    assert update is not None and update.oid == oid
    assert trader.info("orderStatus", oid=oid + 1000) == {"status": "unknownOid"}
    assert venue.trader(1).info("orderStatus", oid=oid) == {"status": "unknownOid"}


def test_order_status_keeps_the_order_as_of_its_last_status_change() -> None:
    venue = Venue()
    maker, taker = venue.trader(0), venue.trader(1)
    oid = oid_of(maker.order(BTC, False, "60000", "0.01"))
    taker.order(BTC, True, "60000", "0.004", tif="Ioc")
    status = maker.info("orderStatus", oid=oid)
    assert status["order"]["order"]["sz"] == "0.01"  # partial fills do not refresh it (§1.9)
    taker.order(BTC, True, "60000", "0.006", tif="Ioc")
    status = maker.info("orderStatus", oid=oid)
    assert status["order"]["status"] == "filled" and status["order"]["order"]["sz"] == "0"


def test_user_rate_limit_counts_actions_and_volume() -> None:
    venue = Venue()
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.01")
    taker.order(BTC, True, "60000", "0.01", tif="Ioc")
    limits = taker.info("userRateLimit")
    assert limits == {
        "cumVlm": "600",
        "nRequestsUsed": 1,
        "nRequestsCap": 10600,
        "nRequestsSurplus": 0,
    }
    structure(limits, m.UserRateLimit)


# ---------------------------------------------------------------------------
# Malformed info requests
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ([], "request"),
        ({}, "type"),
        ({"type": "nope"}, "type"),
        ({"type": "clearinghouseState"}, "user"),
        ({"type": "clearinghouseState", "user": "0x12"}, "user"),
        ({"type": "clearinghouseState", "user": SDK_ADDRESS, "dex": 3}, "dex"),
        ({"type": "clearinghouseState", "user": SDK_ADDRESS, "dex": "zzz"}, "dex"),
        ({"type": "l2Book", "coin": 1}, "coin"),
        ({"type": "l2Book", "coin": "BTC", "nSigFigs": "5"}, "nSigFigs"),
        ({"type": "userFillsByTime", "user": SDK_ADDRESS}, "startTime"),
        ({"type": "userFillsByTime", "user": SDK_ADDRESS, "startTime": "0"}, "startTime"),
        ({"type": "orderStatus", "user": SDK_ADDRESS, "oid": "12"}, "oid"),
        ({"type": "userFills", "user": SDK_ADDRESS, "aggregateByTime": 1}, "aggregateByTime"),
    ],
)
def test_malformed_info_requests_name_the_field(request_: Any, field: str) -> None:
    venue = Venue()
    with pytest.raises(SimBadRequest, match=rf"^{field}: "):
        venue.exchange.info(request_)


# ---------------------------------------------------------------------------
# Signatures, agents, vaults
# ---------------------------------------------------------------------------


def _order_action(asset: int = BTC, px: str = "59000") -> dict[str, Any]:
    return actions.order_action([actions.order_wire(asset, True, px, "0.001")])


def test_sdk_signed_order_is_accepted_for_the_signer() -> None:
    venue = Venue()
    action = _order_action()
    nonce = T0 + 1
    signature = sdk_sign_l1_action(_sdk_wallet(), action, None, nonce, None, False)
    answer = venue.exchange.exchange(
        {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None}
    )
    assert answer["status"] == "ok"
    assert "resting" in answer["response"]["data"]["statuses"][0]
    assert len(venue.info("openOrders", user=SDK_ADDRESS)) == 1


def _sdk_wallet() -> Any:
    import eth_account

    return eth_account.Account.from_key(SDK_KEY)


def test_section_8_fixture_with_its_real_signature_is_accepted() -> None:
    # hyperliquid-api.md §8.2: HIP-3 GTC order with cloid, testnet, signed by the SDK.
    venue = Venue()
    venue.clock.ms = 1_700_000_000_000
    body = orjson.loads(
        b'{"action":{"type":"order","orders":[{"a":110000,"b":true,"p":"25.123","s":"1.5","r":false,'
        b'"t":{"limit":{"tif":"Gtc"}},"c":"0x0000000000000000000000000000002a"}],"grouping":"na"},'
        b'"nonce":1700000000000,"signature":{"r":"0xc2bd673f3684aa2b16a64bda4a220ef22fde75ca52d611dcaf4fe2a15a30a7ad",'
        b'"s":"0xf345588ee86989f0888c9c0d55158c80b6080f1a50e7ddafb7cae49990b7174","v":28},'
        b'"vaultAddress":null,"expiresAfter":null}'
    )
    answer = venue.exchange.exchange(body)
    assert answer["status"] == "ok"
    status = answer["response"]["data"]["statuses"][0]
    assert status["resting"]["cloid"] == "0x0000000000000000000000000000002a"
    resting = venue.info("openOrders", user=SDK_ADDRESS, dex="xyz")
    assert [(o["coin"], o["limitPx"], o["sz"]) for o in resting] == [("xyz:TSLA", "25.123", "1.5")]


def test_mainnet_and_testnet_signatures_both_reach_a_known_account() -> None:
    venue = Venue()
    testnet = venue.trader(0)
    mainnet = venue.trader(0, mainnet=True)
    testnet.info("clearinghouseState")  # the account exists now
    assert "resting" in mainnet.order(BTC, True, "59000", "0.001")
    assert "resting" in testnet.order(BTC, True, "59000", "0.001")
    assert len(testnet.info("openOrders")) == 2


def test_tampered_action_recovers_another_address_and_is_refused() -> None:
    venue = Venue(quiet_config(auto_accounts=False))
    trader = venue.trader(0)
    venue.exchange.credit(trader.address, Decimal(1000))
    body = trader.signed(_order_action(px="59000"))
    body["action"]["orders"][0]["p"] = "59001"
    answer = venue.exchange.exchange(body)
    assert answer["status"] == "err"
    assert answer["response"].startswith("User or API Wallet 0x")
    assert answer["response"].endswith(" does not exist.")
    assert trader.address not in answer["response"]
    assert trader.info("openOrders") == []


def test_trailing_zero_in_a_signed_price_recovers_another_address() -> None:
    # §8.2: the venue re-derives the hash from "25.123", not "25.1230".
    venue = Venue(quiet_config(auto_accounts=False))
    trader = venue.trader(0)
    venue.exchange.credit(trader.address, Decimal(1000))
    action = _order_action(px="59000")
    action["orders"][0]["p"] = "59000.0"
    answer = trader.act(action)
    assert answer["status"] == "err" and "does not exist" in answer["response"]


def test_valid_signature_of_an_unknown_user_without_auto_accounts_is_refused() -> None:
    venue = Venue(quiet_config(auto_accounts=False))
    trader = venue.trader(3)
    answer = trader.act(_order_action())
    assert answer == {
        "status": "err",
        "response": f"User or API Wallet {trader.address} does not exist.",
    }


def test_malformed_signature_is_refused() -> None:
    venue = Venue()
    body = venue.trader(0).signed(_order_action())
    body["signature"] = {"r": "0x1", "s": "0x2", "v": 29}
    answer = venue.exchange.exchange(body)
    assert answer["status"] == "err" and "signature" in answer["response"]


def test_agent_acts_for_its_master_and_keeps_its_own_nonces() -> None:
    venue = Venue()
    master, agent = venue.trader(0), venue.trader(1)
    approve = actions.approve_agent_action(
        agent.address, "bot", nonce=venue.next_nonce(), mainnet=False
    )
    signature = sign_approve_agent(master.key, approve, mainnet=False)
    answer = venue.exchange.exchange(
        {"action": approve, "nonce": approve["nonce"], "signature": signature, "vaultAddress": None}
    )
    assert answer == {"status": "ok", "response": {"type": "default"}}
    nonce = venue.next_nonce()
    assert "resting" in agent.orders(_order_action()["orders"][0])[0]
    assert len(master.info("openOrders")) == 1
    assert agent.info("openOrders") == []  # the agent address has no orders of its own
    # The master may use the same nonce value: nonces are per signer.
    assert master.act(_order_action(), nonce=nonce)["status"] == "ok"


def test_unnamed_agent_is_replaced_by_the_next_unnamed_one() -> None:
    venue = Venue()
    master, first, second = venue.trader(0), venue.trader(1), venue.trader(2)
    for agent in (first, second):
        approve = actions.approve_agent_action(
            agent.address, None, nonce=venue.next_nonce(), mainnet=True
        )
        signature = sign_approve_agent(master.key, approve, mainnet=True)
        body = {"action": approve, "nonce": approve["nonce"], "signature": signature}
        assert venue.exchange.exchange(body)["status"] == "ok"
    second.order(BTC, True, "59000", "0.001")
    first.order(BTC, True, "59000", "0.001")  # now just a stranger's own account
    assert len(master.info("openOrders")) == 1
    assert len(first.info("openOrders")) == 1


def test_vault_actions_need_the_leader() -> None:
    venue = Venue()
    leader, stranger = venue.trader(0), venue.trader(1)
    answer = leader.act({"type": "createSubAccount", "name": "alpha"})
    assert answer["status"] == "ok" and answer["response"]["type"] == "createSubAccount"
    vault = answer["response"]["data"]
    assert "resting" in leader.order(BTC, True, "59000", "0.001", vault=vault)
    assert len(venue.info("openOrders", user=vault)) == 1
    assert leader.info("openOrders") == []
    refused = stranger.act(_order_action(), vault=vault)
    assert refused["status"] == "err" and "does not exist" in refused["response"]
    assert len(venue.info("openOrders", user=vault)) == 1


# ---------------------------------------------------------------------------
# Nonces and expiry
# ---------------------------------------------------------------------------


def test_duplicate_nonce_is_refused_with_the_venue_text() -> None:
    venue = Venue()
    trader = venue.trader(0)
    nonce = venue.next_nonce()
    assert trader.act(_order_action(), nonce=nonce)["status"] == "ok"
    assert trader.act(_order_action(), nonce=nonce) == {
        "status": "err",
        "response": f"Invalid nonce: duplicate nonce {nonce}",
    }


def test_nonce_must_beat_the_smallest_of_the_100_kept() -> None:
    venue = Venue()
    trader = venue.trader(0)
    nonces = [T0 + 10 + i for i in range(100)]
    for nonce in nonces:
        assert trader.act({"type": "noop"}, nonce=nonce)["status"] == "ok"
    answer = trader.act({"type": "noop"}, nonce=T0 + 5)
    assert answer == {
        "status": "err",
        "response": f"Invalid nonce: nonce too low {T0 + 5} < {T0 + 10}",
    }
    # Not yet full before: an older unused nonce was fine; and a fresh high one still is.
    assert trader.act({"type": "noop"}, nonce=T0 + 500)["status"] == "ok"


def test_nonce_outside_the_time_window_is_refused() -> None:
    venue = Venue()
    trader = venue.trader(0)
    day = 24 * 3600 * 1000
    for nonce in (T0 - 2 * day, T0 + day):
        answer = trader.act({"type": "noop"}, nonce=nonce)
        assert answer["status"] == "err" and answer["response"].startswith("Invalid nonce")
    assert trader.act({"type": "noop"}, nonce=T0 - 2 * day + 1)["status"] == "ok"


def test_expired_action_is_refused_and_changes_nothing() -> None:
    venue = Venue()
    trader = venue.trader(0)
    venue.clock.advance(10_000)
    answer = trader.act(_order_action(), expires_after=venue.clock.ms - 1)
    assert answer["status"] == "err" and "expire" in answer["response"].lower()
    assert trader.info("openOrders") == []
    assert trader.act(_order_action(), expires_after=venue.clock.ms + 1000)["status"] == "ok"


# ---------------------------------------------------------------------------
# Malformed actions
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda a: a.update(type="fly"), "type"),
        (lambda a: a["orders"][0].update(a="0"), "orders[0].a"),
        (lambda a: a["orders"][0].update(p=59000), "orders[0].p"),
        (lambda a: a["orders"][0].update(p="lots"), "orders[0].p"),
        (lambda a: a["orders"][0].update(b="true"), "orders[0].b"),
        (lambda a: a["orders"][0].update(t={"limit": {"tif": "Day"}}), "orders[0].t.limit.tif"),
        (lambda a: a["orders"][0].update(t={}), "orders[0].t"),
        (lambda a: a["orders"][0].update(c="0x12"), "orders[0].c"),
        (lambda a: a["orders"][0].pop("s"), "orders[0].s"),
        (lambda a: a.update(orders=[]), "orders"),
        (lambda a: a.update(grouping="positionTpsl"), "grouping"),
    ],
)
def test_malformed_actions_get_an_err_naming_the_field(mutate: Any, needle: str) -> None:
    venue = Venue()
    trader = venue.trader(0)
    action = _order_action()
    mutate(action)
    before = venue.exchange.truth()
    answer = trader.act(action)
    assert answer["status"] == "err"
    assert needle in answer["response"]
    assert venue.exchange.truth() == before


def test_malformed_envelopes_are_refused() -> None:
    venue = Venue()
    good = venue.trader(0).signed(_order_action())
    for broken in (
        {**good, "nonce": "1"},
        {**good, "signature": "sig"},
        {**good, "vaultAddress": "0x12"},
        {**good, "expiresAfter": "soon"},
        {key: value for key, value in good.items() if key != "action"},
    ):
        assert venue.exchange.exchange(broken)["status"] == "err"
    assert venue.exchange.exchange([])["status"] == "err"  # type: ignore[arg-type]


def test_oversized_batch_is_refused_whole() -> None:
    venue = Venue(quiet_config(max_batch=10))
    trader = venue.trader(0)
    orders = [actions.order_wire(BTC, True, "59000", "0.001")] * 11
    answer = trader.act(actions.order_action(orders))
    assert answer["status"] == "err" and "11 > 10" in answer["response"]
    assert trader.info("openOrders") == []


# ---------------------------------------------------------------------------
# Events and truth
# ---------------------------------------------------------------------------


def test_events_parse_as_ws_messages() -> None:
    venue = Venue()
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.01", cloid="0x" + "01" * 16)
    taker.order(BTC, True, "60000", "0.01", tif="Ioc")
    names = {
        "userFills": "userFills",
        "orderUpdates": "orderUpdates",
        "userEvents": "user",
        "trades": "trades",
    }
    for event in venue.events:
        message = parse_ws_message(
            orjson.dumps({"channel": names[event.channel], "data": event.data})
        )
        assert message is not None
    fills = venue.events_of("userFills", maker.address)[-1]
    assert fills["user"] == maker.address and "isSnapshot" not in fills
    assert fills_from_json(fills["fills"])[0].cloid is not None
    updates = [u for batch in venue.events_of("orderUpdates", maker.address) for u in batch]
    assert [u["status"] for u in updates] == ["open", "filled"]
    assert [u.status for u in order_updates_from_json(updates)] == ["open", "filled"]
    trades = venue.events_of("trades", "BTC")
    assert trades[0][0]["users"] == [taker.address, maker.address]


def test_truth_counts_positions_of_every_account_including_the_lp() -> None:
    venue = Venue(quiet_config(lp_levels=3))
    trader = venue.trader(0)
    trader.order(BTC, True, "61000", "0.01", tif="Ioc")
    truth = venue.exchange.truth()
    assert truth["positions"][trader.address] == {"BTC": "0.01"}
    assert truth["positions"][LP_ADDRESS] == {"BTC": "-0.01"}
    assert truth["fills"] >= 1 and truth["orders"] == 0 and truth["time"] == venue.clock.ms


def test_nvda_is_isolated_only_on_its_dex() -> None:
    venue = Venue(quiet_config(lp_levels=2))
    trader = venue.trader(0)
    status = trader.order(NVDA, True, "200", "0.1", tif="Ioc")
    assert "filled" in status
    state = trader.info("clearinghouseState", dex="xyz")
    position = state["assetPositions"][0]["position"]
    assert position["leverage"]["type"] == "isolated"
    assert "rawUsd" in position["leverage"]
    account_snapshot_from_json("xyz", state)


def test_construction_is_deterministic_for_a_seed() -> None:
    a = SimExchange(quiet_config(), clock=lambda: T0)
    b = SimExchange(quiet_config(), clock=lambda: T0)
    assert a.info({"type": "l2Book", "coin": "BTC"}) == b.info({"type": "l2Book", "coin": "BTC"})
    assert PrivateKey.from_hex(SDK_KEY).address == SDK_ADDRESS


def _fingerprint(venue: Venue, traders: list[Any]) -> Any:
    state = [venue.exchange.truth() | {"time": None}]
    for trader in traders:
        for dex in ("", "xyz"):
            chs = trader.info("clearinghouseState", dex=dex)
            state.append({**chs, "time": None})
            state.append(trader.info("frontendOpenOrders", dex=dex))
        state.append(trader.info("userFills"))
    return state


def test_refused_actions_change_nothing() -> None:
    venue = Venue(quiet_config(max_batch=5))
    maker, trader = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.01")
    trader.order(BTC, True, "60000", "0.002", tif="Ioc")
    trader.order(BTC, True, "59000", "0.002")
    used = venue.next_nonce()
    assert trader.act({"type": "noop"}, nonce=used)["status"] == "ok"
    before = _fingerprint(venue, [maker, trader])
    refusals = [
        trader.act(_order_action(), nonce=used),  # duplicate nonce
        trader.act(_order_action(), expires_after=venue.clock.ms - 1),
        trader.act(actions.order_action([actions.order_wire(BTC, True, "59000", "0.001")] * 6)),
        trader.act(actions.schedule_cancel_action(venue.clock.ms + 10)),
        trader.act(actions.update_leverage_action(BTC, is_cross=True, leverage=99)),
        trader.act(actions.update_leverage_action(BTC, is_cross=False, leverage=5)),
        trader.act(actions.update_isolated_margin_action(BTC, "5")),
        trader.act(actions.modify_action(10**9, actions.order_wire(BTC, True, "59000", "0.001"))),
        trader.act({"type": "order", "orders": [{"a": 0}], "grouping": "na"}),
        trader.act(_order_action(), vault="0x" + "12" * 20),
    ]
    assert all(answer["status"] == "err" for answer in refusals), refusals
    assert _fingerprint(venue, [maker, trader]) == before


def test_l2_book_buckets_prices_to_n_sig_figs() -> None:
    venue = Venue()
    trader = venue.trader(0)
    trader.order(BTC, True, "59987", "0.001")
    trader.order(BTC, True, "59912", "0.002")
    trader.order(BTC, True, "59850", "0.004")
    venue.trader(1).order(BTC, False, "60012", "0.003")
    book = venue.info("l2Book", coin="BTC", nSigFigs=3, mantissa=None)
    assert book["levels"] == [
        [{"px": "59900", "sz": "0.003", "n": 2}, {"px": "59800", "sz": "0.004", "n": 1}],
        [{"px": "60100", "sz": "0.003", "n": 1}],
    ]
    full = venue.info("l2Book", coin="BTC", nSigFigs=None)
    assert len(full["levels"][0]) == 3
    with pytest.raises(SimBadRequest, match=r"^nSigFigs: "):
        venue.info("l2Book", coin="BTC", nSigFigs=7)


def test_rate_limit_counts_each_order_of_a_batch() -> None:
    venue = Venue()
    trader = venue.trader(0)
    trader.orders(*[actions.order_wire(BTC, True, "59000", "0.001")] * 3)
    assert trader.info("userRateLimit")["nRequestsUsed"] == 3


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
_order_like = st.fixed_dictionaries(
    {
        "a": st.sampled_from([0, 1, 110000, -1, "0", 10**20]),
        "b": st.sampled_from([True, False, 1, None]),
        "p": st.sampled_from(["59000", "0", "-1", "1e3", "NaN", "Infinity", 59000, "x"]),
        "s": st.sampled_from(["0.001", "0", "1e-9", "99999999999", "sNaN", None]),
        "r": st.sampled_from([False, True, "no"]),
        "t": st.sampled_from(
            [
                {"limit": {"tif": "Gtc"}},
                {"limit": {"tif": "Ioc"}},
                {"trigger": {"isMarket": True, "triggerPx": "1", "tpsl": "sl"}},
                {"trigger": {"isMarket": 1, "triggerPx": "x", "tpsl": "up"}},
                {"limit": {}, "trigger": {}},
                [],
            ]
        ),
    }
)
_actions = st.one_of(
    _json,
    st.builds(
        lambda orders: {"type": "order", "orders": orders, "grouping": "na"},
        st.lists(_order_like, max_size=3),
    ),
    st.builds(
        lambda c: {"type": "cancel", "cancels": c},
        st.lists(st.dictionaries(st.sampled_from(["a", "o"]), _json), max_size=2),
    ),
    st.builds(lambda t: {"type": "scheduleCancel", "time": t}, _json),
    st.builds(lambda v: {"type": "updateLeverage", "asset": 0, "isCross": v, "leverage": v}, _json),
    st.builds(
        lambda d: {"type": "usdSend", **d},
        st.dictionaries(
            st.sampled_from(
                ["destination", "amount", "time", "hyperliquidChain", "signatureChainId"]
            ),
            _json,
        ),
    ),
)


@given(
    action=_actions,
    extra=st.dictionaries(st.sampled_from(["vaultAddress", "expiresAfter", "nonce"]), _json),
)
def test_any_exchange_body_gets_an_envelope_and_never_an_exception(
    action: Any, extra: dict[str, Any]
) -> None:
    venue = Venue()
    trader = venue.trader(0)
    if isinstance(action, dict):
        body = {"action": action, "nonce": T0 + 1, "signature": {"r": "0x1", "s": "0x1", "v": 27}}
        try:
            body = trader.signed(action)
        except Exception:  # an action the signer itself refuses is posted with a junk signature
            pass
    else:
        body = {"action": action, "nonce": T0 + 1, "signature": {"r": "0x1", "s": "0x1", "v": 27}}
    body.update(extra)
    answer = venue.exchange.exchange(body)
    assert answer["status"] in ("ok", "err")
    if answer["status"] == "err":
        assert isinstance(answer["response"], str)
    positions = venue.exchange.truth()["positions"]
    for coin in {c for held in positions.values() for c in held}:
        assert sum(Decimal(held.get(coin, "0")) for held in positions.values()) == 0


@given(
    request=st.dictionaries(
        st.sampled_from(["type", "user", "dex", "coin", "oid", "startTime", "endTime", "nSigFigs"]),
        _json,
    )
    | st.builds(
        lambda kind, user: {"type": kind, "user": user},
        st.sampled_from(
            sorted(
                [
                    "meta",
                    "l2Book",
                    "userFills",
                    "orderStatus",
                    "clearinghouseState",
                    "openOrders",
                    "userFillsByTime",
                    "allMids",
                ]
            )
        ),
        st.sampled_from([SDK_ADDRESS, "0x", None, 5]),
    )
)
def test_any_info_request_is_answered_or_refused_as_bad_request(request: dict[str, Any]) -> None:
    venue = Venue()
    try:
        answer = venue.exchange.info(request)
    except SimBadRequest as exc:
        assert str(exc).split(":")[0] in {
            "type",
            "user",
            "dex",
            "coin",
            "oid",
            "startTime",
            "endTime",
            "nSigFigs",
            "mantissa",
            "aggregateByTime",
            "request",
        }
    else:
        orjson.dumps(answer)


@pytest.mark.parametrize("text", ["1e999999", "1e-999999", "1" * 50])
def test_absurd_numbers_are_refused_without_spelling_them_out(text: str) -> None:
    venue = Venue()
    action = _order_action()
    action["orders"][0]["s"] = text
    answer = venue.exchange.exchange(
        {"action": action, "nonce": T0 + 1, "signature": {"r": "0x1", "s": "0x1", "v": 27}}
    )
    assert answer == {
        "status": "err",
        "response": "Invalid action: orders[0].s: number out of range",
    }
