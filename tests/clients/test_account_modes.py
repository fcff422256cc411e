"""Account abstraction modes (``userAbstraction``): where the account's money is read."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hip3.clients import Filled
from hip3.domain import LIMITED_MODE_ACTIONS_PER_DAY, AccountMode
from hip3.sim.config import SimBadRequest

from .simkit import ACCOUNT, running_venue


def test_every_venue_mode_is_known_and_only_unified_and_portfolio_read_the_spot_wallet() -> None:
    names = ["disabled", "default", "unifiedAccount", "portfolioMargin", "dexAbstraction"]
    modes = [AccountMode.from_venue(name) for name in names]
    assert [mode.collateral_in_spot for mode in modes] == [False, False, True, True, False]
    assert [mode.actions_per_day for mode in modes] == [
        None,
        None,
        LIMITED_MODE_ACTIONS_PER_DAY,
        LIMITED_MODE_ACTIONS_PER_DAY,
        None,
    ]
    with pytest.raises(ValueError, match="userAbstraction: unknown mode 'weird'"):
        AccountMode.from_venue("weird")


async def test_a_default_account_reads_its_money_from_clearinghouse_state() -> None:
    async with running_venue() as venue:
        venue.sim.exchange.credit(ACCOUNT, Decimal(1000))
        assert await venue.info.user_abstraction(ACCOUNT) is AccountMode.DEFAULT
        snapshot = await venue.info.account_snapshot(ACCOUNT, "", mode=AccountMode.DEFAULT)
        assert snapshot.mode is AccountMode.DEFAULT
        assert snapshot.account_value is not None and snapshot.account_value > 0


async def test_a_unified_account_reads_its_balance_and_holds_from_the_spot_wallet() -> None:
    async with running_venue() as venue:
        exchange = venue.sim.exchange
        exchange.credit_spot(ACCOUNT, "USDC", Decimal(5000))
        exchange.set_abstraction(ACCOUNT, "unifiedAccount")
        ex = venue.exchange()
        [filled] = await ex.place_orders([venue.taker("BTC", True, "600")])
        assert await venue.info.user_abstraction(ACCOUNT) is AccountMode.UNIFIED

        # The per-dex money fields mean nothing in this mode (the sim reports them as zero):
        # a mode-blind read sees an empty account.
        blind = await venue.info.account_snapshot(ACCOUNT, "")
        assert blind.account_value == 0 and blind.withdrawable == 0

        snapshot = await venue.info.account_snapshot(ACCOUNT, "", mode=AccountMode.UNIFIED)
        total, hold = (await venue.info.spot_holdings(ACCOUNT))["USDC"]
        assert snapshot.mode is AccountMode.UNIFIED
        assert snapshot.account_value == total > Decimal(5000)
        assert snapshot.total_margin_used == hold > 0
        assert snapshot.withdrawable == total - hold
        assert isinstance(filled, Filled)
        assert snapshot.positions["BTC"].szi == filled.total_sz  # positions: from the dex
        assert snapshot.collateral_token == "USDC"


async def test_the_simulator_switches_modes_and_refuses_an_unknown_one() -> None:
    async with running_venue() as venue:
        with pytest.raises(SimBadRequest, match="mode: expected one of"):
            venue.sim.exchange.set_abstraction(ACCOUNT, "everything")
        venue.sim.exchange.set_abstraction(ACCOUNT, "portfolioMargin")
        assert await venue.info.user_abstraction(ACCOUNT) is AccountMode.PORTFOLIO
        venue.sim.exchange.set_abstraction(ACCOUNT, "default")
        assert await venue.info.user_abstraction(ACCOUNT) is AccountMode.DEFAULT
