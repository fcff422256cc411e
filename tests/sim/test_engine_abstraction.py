"""Account abstraction actions (the official SDK's user_abstraction and dex_abstraction examples,
@nktkas/hyperliquid's userSetAbstraction...): the mode each sets is what ``userAbstraction`` and
``userDexAbstraction`` then read, for the signer or one of its sub-accounts only."""

from __future__ import annotations

from typing import Any

from tests.sim.test_engine_support import Trader, Venue
from tests.sim.test_engine_transfers import OK, signed_by_user


def sub_account_of(trader: Trader, name: str) -> str:
    answer = trader.act({"type": "createSubAccount", "name": name})
    sub: str = answer["response"]["data"]
    return sub


def modes(venue: Venue, user: str) -> tuple[Any, Any]:
    return (
        venue.info("userAbstraction", user=user),
        venue.info("userDexAbstraction", user=user),
    )


def test_user_set_abstraction_for_the_signer_and_its_sub_accounts() -> None:
    venue = Venue()
    trader = venue.trader(0)
    sub = sub_account_of(trader, "desk")
    assert modes(venue, trader.address) == ("default", None)
    for user, mode in [(trader.address, "unifiedAccount"), (sub, "portfolioMargin")]:
        action = signed_by_user(venue, "userSetAbstraction", user=user, abstraction=mode)
        assert trader.user_signed(action) == OK
        assert venue.info("userAbstraction", user=user) == mode
    unknown = signed_by_user(
        venue, "userSetAbstraction", user=trader.address, abstraction="everything"
    )
    assert "abstraction: expected one of" in trader.user_signed(unknown)["response"]
    # Another user's sub-account (or anyone else) is refused.
    other = signed_by_user(venue, "userSetAbstraction", user=sub, abstraction="disabled")
    answer = venue.trader(1).user_signed(other)
    assert answer["status"] == "err" and "sub-accounts" in answer["response"]
    assert venue.info("userAbstraction", user=sub) == "portfolioMargin"


def test_agent_set_abstraction_uses_the_one_letter_codes() -> None:
    venue = Venue()
    trader = venue.trader(0)
    for code, mode in [("u", "unifiedAccount"), ("p", "portfolioMargin"), ("i", "disabled")]:
        assert trader.act({"type": "agentSetAbstraction", "abstraction": code}) == OK
        assert venue.info("userAbstraction", user=trader.address) == mode
    bad = trader.act({"type": "agentSetAbstraction", "abstraction": "unifiedAccount"})
    assert bad["status"] == "err" and "abstraction" in bad["response"]


def test_dex_abstraction_on_and_off() -> None:
    venue = Venue()
    trader = venue.trader(0)
    sub = sub_account_of(trader, "dexes")
    assert trader.act({"type": "agentEnableDexAbstraction"}) == OK
    assert modes(venue, trader.address) == ("dexAbstraction", True)
    off = signed_by_user(venue, "userDexAbstraction", user=trader.address, enabled=False)
    assert trader.user_signed(off) == OK
    assert modes(venue, trader.address) == ("disabled", False)
    # Through a sub-account (vaultAddress), then by its leader's user-signed action.
    assert trader.act({"type": "agentEnableDexAbstraction"}, vault=sub) == OK
    assert venue.info("userDexAbstraction", user=sub) is True
    for enabled in (False, True):
        action = signed_by_user(venue, "userDexAbstraction", user=sub, enabled=enabled)
        assert trader.user_signed(action) == OK
        assert venue.info("userDexAbstraction", user=sub) is enabled
