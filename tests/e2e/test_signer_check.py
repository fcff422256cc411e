"""A key that is not the account's, nor one of its agents, is refused at start with a
clear error (issue 10): otherwise every order would be rejected and every snapshot
deferred, silently. An approved agent trades."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from hip3.bot import Bot, Mode
from hip3.clients import ExchangeClient, InfoClient, NonceGenerator
from hip3.errors import Hip3Error
from hip3.signing import PrivateKey
from hip3.sim import SimConfig, open_simulator

from .harness import BOT_KEY, MakerTaker, trio_clock_ms

STRANGER = PrivateKey.coerce("0x" + "7e" * 32)
AGENT = PrivateKey.coerce("0x" + "a9" * 32)


def bot_signing_with(key: PrivateKey, url: str, ws_url: str) -> Bot:
    return Bot.create(
        base_url=url,
        ws_url=ws_url,
        account=BOT_KEY.address,
        markets=["BTC"],
        strategy=MakerTaker(),
        mode=Mode.TRADING,
        key=key,
        mainnet=False,
        clock_ms=trio_clock_ms(),
        startup_timeout_secs=5,
    )


async def test_a_key_that_is_not_an_agent_of_the_account_is_refused_at_start(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with open_simulator(SimConfig(auto_accounts=True, seed=41)) as sim:
        async with InfoClient(sim.url) as info:
            await info.clearinghouse_state(BOT_KEY.address)  # the account exists
        bot = bot_signing_with(STRANGER, sim.url, sim.ws_url)
        with pytest.raises(Hip3Error) as error:
            await bot.run()
    text = str(error.value)
    assert STRANGER.address.lower() in text and BOT_KEY.address.lower() in text
    assert "not an agent" in text


async def test_an_approved_agent_of_the_account_may_trade_for_it(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with open_simulator(SimConfig(auto_accounts=True, seed=42)) as sim:
        clock_ms = trio_clock_ms()
        async with InfoClient(sim.url) as info:
            owner = ExchangeClient(
                sim.url,
                BOT_KEY,
                BOT_KEY.address,
                universe=await info.universe([""]),
                info=info,
                mainnet=False,
                nonces=NonceGenerator(clock_ms),
            )
            await owner.approve_agent(AGENT.address, "bot")
            assert await info.user_role(AGENT.address) == ("agent", BOT_KEY.address.lower())
        await trio.sleep(0.01)
        bot = bot_signing_with(AGENT, sim.url, sim.ws_url)
        async with trio.open_nursery() as nursery:
            await nursery.start(bot.run)
            await trio.sleep(2)
            bot.stop()
    assert bot.summary().errors == [] and bot.summary().baseline
