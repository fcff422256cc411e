"""SimExchange transfers between wallets, found missing by the conformance suites (the official
SDK's basic_spot_to_perp / basic_spot_transfer / basic_send_asset / basic_sub_account examples,
@nktkas/hyperliquid's usdClassTransfer and spotSend): each moves exactly the amount, refuses
more than the source can spare, and shows in both sides' ledgers. Also ``referral``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from hip3.signing import SIGNATURE_CHAIN_ID
from hip3.sim.config import SimBadRequest
from tests.sim.test_engine_support import BTC, Trader, Venue, oid_of

OK = {"status": "ok", "response": {"type": "default"}}
HYPE_SPOT = 10_001  # @1 = HYPE/USDC


def signed_by_user(venue: Venue, kind: str, *, time_field: str = "nonce", **fields: Any) -> Any:
    return {
        "type": kind,
        "signatureChainId": SIGNATURE_CHAIN_ID,
        "hyperliquidChain": "Testnet",
        **fields,
        time_field: venue.next_nonce(),
    }


def spot_total(trader: Trader, token: str) -> Decimal:
    for balance in trader.info("spotClearinghouseState")["balances"]:
        if balance["coin"] == token:
            return Decimal(balance["total"])
    return Decimal(0)


def token_spec(venue: Venue, name: str) -> str:
    token = next(t for t in venue.info("spotMeta")["tokens"] if t["name"] == name)
    return f"{name}:{token['tokenId']}"


def ledger_types(trader: Trader) -> list[str]:
    return [u["delta"]["type"] for u in trader.info("userNonFundingLedgerUpdates", startTime=0)]


def test_usd_class_transfer_moves_usdc_between_perp_and_spot() -> None:
    venue = Venue()
    trader = venue.trader(0)
    perp = trader.balance()
    to_spot = signed_by_user(venue, "usdClassTransfer", amount="12.5", toPerp=False)
    assert trader.user_signed(to_spot) == OK
    assert trader.balance() == perp - Decimal("12.5")
    assert spot_total(trader, "USDC") == Decimal("12.5")
    to_perp = signed_by_user(venue, "usdClassTransfer", amount="2.5", toPerp=True)
    assert trader.user_signed(to_perp) == OK
    assert spot_total(trader, "USDC") == Decimal(10)
    assert trader.balance() == perp - Decimal(10)
    entries = trader.info("userNonFundingLedgerUpdates", startTime=0)
    assert [e["delta"] for e in entries if e["delta"]["type"] == "accountClassTransfer"] == [
        {"type": "accountClassTransfer", "usdc": "12.5", "toPerp": False},
        {"type": "accountClassTransfer", "usdc": "2.5", "toPerp": True},
    ]
    # More than the spot wallet holds is refused, and changes nothing.
    too_much = signed_by_user(venue, "usdClassTransfer", amount="10.01", toPerp=True)
    answer = trader.user_signed(too_much)
    assert answer["status"] == "err" and "Insufficient USDC" in answer["response"]
    assert spot_total(trader, "USDC") == Decimal(10)


def test_usd_class_transfer_of_a_sub_account() -> None:
    venue = Venue()
    leader = venue.trader(0)
    created = leader.act({"type": "createSubAccount", "name": "desk"})
    sub = created["response"]["data"]
    action = signed_by_user(venue, "usdClassTransfer", amount=f"3 subaccount:{sub}", toPerp=False)
    assert leader.user_signed(action) == OK
    balances = venue.info("spotClearinghouseState", user=sub)["balances"]
    assert [(b["coin"], b["total"]) for b in balances] == [("USDC", "3")]
    stranger = signed_by_user(venue, "usdClassTransfer", amount=f"1 subaccount:{sub}", toPerp=False)
    assert venue.trader(1).user_signed(stranger)["status"] == "err"


def test_spot_send_moves_a_token_to_another_user() -> None:
    venue = Venue()
    sender, receiver = venue.trader(0), venue.trader(1)
    venue.exchange.credit_spot(sender.address, "PURR", Decimal(100))
    action = signed_by_user(
        venue,
        "spotSend",
        time_field="time",
        destination=receiver.address,
        token=token_spec(venue, "PURR"),
        amount="40",
    )
    assert sender.user_signed(action) == OK
    assert spot_total(sender, "PURR") == Decimal(60)
    assert spot_total(receiver, "PURR") == Decimal(40)
    [delta] = [
        u["delta"]
        for u in receiver.info("userNonFundingLedgerUpdates", startTime=0)
        if u["delta"]["type"] == "spotTransfer"
    ]
    assert delta["token"] == "PURR" and delta["amount"] == "40"
    assert delta["user"] == sender.address and delta["destination"] == receiver.address
    assert Decimal(delta["usdcValue"]) > 0
    assert "spotTransfer" in ledger_types(sender)


def test_spot_send_refusals_name_the_problem() -> None:
    venue = Venue()
    sender, receiver = venue.trader(0), venue.trader(1)
    venue.exchange.credit_spot(sender.address, "PURR", Decimal(5))

    def send(token: str, amount: str) -> Any:
        action = signed_by_user(
            venue,
            "spotSend",
            time_field="time",
            destination=receiver.address,
            token=token,
            amount=amount,
        )
        return sender.user_signed(action)

    wrong_id = send("PURR:0x" + "ab" * 16, "1")
    assert wrong_id["status"] == "err" and "not the token id of PURR" in wrong_id["response"]
    assert "unknown spot token 'DOGE'" in send("DOGE", "1")["response"]
    assert "Insufficient PURR" in send(token_spec(venue, "PURR"), "6")["response"]
    assert spot_total(sender, "PURR") == Decimal(5)


def test_spot_held_by_a_resting_order_cannot_be_sent() -> None:
    venue = Venue()
    sender = venue.trader(0)
    venue.exchange.credit_spot(sender.address, "USDC", Decimal(100))
    status = sender.order(HYPE_SPOT, True, "20", "4")  # holds 80 USDC
    assert "resting" in status, status
    action = signed_by_user(
        venue,
        "spotSend",
        time_field="time",
        destination=venue.trader(1).address,
        token=token_spec(venue, "USDC"),
        amount="30",
    )
    assert "Insufficient USDC" in sender.user_signed(action)["response"]
    sender.cancel(HYPE_SPOT, oid_of(status))
    assert sender.user_signed({**action, "time": venue.next_nonce()}) == OK


def test_send_asset_between_dexes_and_to_spot() -> None:
    venue = Venue()
    trader = venue.trader(0)
    main, xyz = trader.balance(), trader.balance("xyz")

    def send(source: str, destination: str, amount: str, to: str | None = None) -> Any:
        action = signed_by_user(
            venue,
            "sendAsset",
            destination=to or trader.address,
            sourceDex=source,
            destinationDex=destination,
            token="USDC",
            amount=amount,
            fromSubAccount="",
        )
        return trader.user_signed(action)

    assert send("", "xyz", "1.23") == OK
    assert trader.balance() == main - Decimal("1.23")
    assert trader.balance("xyz") == xyz + Decimal("1.23")
    assert send("xyz", "spot", "0.23") == OK
    assert spot_total(trader, "USDC") == Decimal("0.23")
    other = venue.trader(1)
    other_main = other.balance()
    assert send("", "", "5", to=other.address) == OK
    assert other.balance() == other_main + Decimal(5)
    sends = [
        u["delta"]
        for u in trader.info("userNonFundingLedgerUpdates", startTime=0)
        if u["delta"]["type"] == "send"
    ]
    assert [(d["sourceDex"], d["destinationDex"], d["amount"]) for d in sends] == [
        ("", "xyz", "1.23"),
        ("xyz", "spot", "0.23"),
        ("", "", "5"),
    ]
    assert "unknown dex 'nope'" in send("", "nope", "1")["response"]
    assert "another wallet or another dex" in send("xyz", "xyz", "1")["response"]


def test_sub_account_spot_transfer() -> None:
    venue = Venue()
    leader = venue.trader(0)
    sub = leader.act({"type": "createSubAccount", "name": "spot-desk"})["response"]["data"]
    venue.exchange.credit_spot(leader.address, "HYPE", Decimal(3))
    hype = token_spec(venue, "HYPE")

    def transfer(is_deposit: bool, amount: str) -> Any:
        return leader.act(
            {
                "type": "subAccountSpotTransfer",
                "subAccountUser": sub,
                "isDeposit": is_deposit,
                "token": hype,
                "amount": amount,
            }
        )

    assert transfer(True, "1.25") == OK
    assert spot_total(leader, "HYPE") == Decimal("1.75")
    sub_balances = venue.info("spotClearinghouseState", user=sub)["balances"]
    assert {b["coin"]: b["total"] for b in sub_balances}["HYPE"] == "1.25"
    assert transfer(False, "0.25") == OK
    assert spot_total(leader, "HYPE") == Decimal(2)
    assert transfer(False, "5")["status"] == "err"
    assert (
        venue.trader(1)
        .act(
            {
                "type": "subAccountSpotTransfer",
                "subAccountUser": sub,
                "isDeposit": True,
                "token": hype,
                "amount": "1",
            }
        )["response"]
        .startswith("Invalid sub-account transfer")
    )


def test_referral_state_follows_set_referrer() -> None:
    venue = Venue()
    trader = venue.trader(0)
    before = trader.info("referral")
    assert before["referredBy"] is None
    assert before["referrerState"] == {"stage": "needToTrade", "data": {"required": "10000.0"}}
    assert Decimal(before["cumVlm"]) == 0 and before["rewardHistory"] == []
    assert trader.act({"type": "setReferrer", "code": "ASDFASDF"}) == OK
    after = trader.info("referral")
    assert after["referredBy"]["code"] == "ASDFASDF"
    assert after["referredBy"]["referrer"].startswith("0x")
    assert len(after["referredBy"]["referrer"]) == 42
    # The same code, the same (synthetic) referrer for everyone who uses it.
    other = venue.trader(1)
    other.act({"type": "setReferrer", "code": "ASDFASDF"})
    assert other.info("referral")["referredBy"] == after["referredBy"]
    with pytest.raises(SimBadRequest, match="user"):
        venue.info("referral", user="0x12")


def test_referral_counts_the_users_volume() -> None:
    venue = Venue()
    trader, maker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.2")
    trader.order(BTC, True, "60000", "0.2", tif="Ioc")
    state = trader.info("referral")
    assert Decimal(state["cumVlm"]) == Decimal(12_000)
    assert state["referrerState"] == {"stage": "needToCreateCode"}
