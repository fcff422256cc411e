"""The bot reads the account as the venue keeps it: its abstraction mode (issue 11)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
import trio.testing

from hip3.domain import AccountMode
from hip3.sim import SimConfig, SimServer

from .harness import BOT_KEY, check_accounting, run_bot_on_sim


async def test_the_bot_reads_unified_mode_at_start_and_warns_of_the_daily_action_cap(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    async def before(sim: SimServer, clock_ms: Callable[[], int]) -> None:
        sim.exchange.set_abstraction(BOT_KEY.address, "unifiedAccount")

    with caplog.at_level(logging.WARNING, logger="hip3.bot.bot"):
        run = await run_bot_on_sim(
            SimConfig(auto_accounts=True, seed=29), secs=2, noise=False, before=before
        )
    assert run.summary.account_mode is AccountMode.UNIFIED
    assert any(
        "unifiedAccount mode" in record.getMessage()
        and "50000 actions a day" in record.getMessage()
        for record in caplog.records
    )
    check_accounting(run)


async def test_a_default_account_starts_without_the_warning(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="hip3.bot.bot"):
        run = await run_bot_on_sim(SimConfig(auto_accounts=True, seed=29), secs=2, noise=False)
    assert run.summary.account_mode is AccountMode.DEFAULT
    assert not any("actions a day" in record.getMessage() for record in caplog.records)
