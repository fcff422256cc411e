"""Per-market leverage and margin mode (``[markets."coin"]`` tables) are set on the venue
when a trading bot starts, after the venue's rules are checked, and nothing is sent when a
setup breaks them. On the embedded simulator: BTC allows 40x, xyz:NVDA only isolated."""

from __future__ import annotations

import time
import tomllib
from decimal import Decimal
from typing import Any

import attrs
import pytest
import trio

from hip3.app import RunningBot, TradeSummary, run_from_config
from hip3.clients import ExchangeClient, Filled, InfoClient, NonceGenerator, PlaceOrder
from hip3.config import config_from_dict
from hip3.errors import ConfigError
from hip3.signing import PrivateKey
from hip3.sim import open_simulator
from hip3.types import Side

KEY = PrivateKey.from_hex("0x" + "4e" * 32)

BOT = """
mode = "trading"
network = "sim"
position_resync_interval_secs = 1

[strategy]
interval_secs = 0.2

[strategy.params]
order_notional_usd = 200

[log]
level = "warning"

[sim]
seed = 5
tick_ms = 50
"""


def _config(markets: str) -> Any:
    return config_from_dict(tomllib.loads(BOT + markets), source="bot.toml")


async def _leverage(info: InfoClient, coin: str) -> dict[str, Any]:
    data = await info.post_info({"type": "activeAssetData", "user": KEY.address, "coin": coin})
    return dict(data["leverage"])


async def test_the_bot_sets_each_markets_leverage_and_margin_at_start() -> None:
    config = _config(
        '[markets.BTC]\nleverage = 3\nmargin = "isolated"\n'
        '[markets."xyz:NVDA"]\nleverage = 2\n'  # only isolated there: isolated by default
        '[markets."xyz:TSLA"]\n'  # traded as the account has it
    )
    async with (
        open_simulator(attrs.evolve(config.sim, accounts=(KEY.address,))) as sim,
        InfoClient(sim.url) as info,
    ):
        before = await _leverage(info, "xyz:TSLA")
        summary = await run_from_config(config, duration=1.0, sim=sim, key=KEY)
        assert summary.positions_match
        btc = await _leverage(info, "BTC")
        nvda = await _leverage(info, "xyz:NVDA")
        assert (btc["type"], btc["value"]) == ("isolated", 3)
        assert (nvda["type"], nvda["value"]) == ("isolated", 2)
        assert await _leverage(info, "xyz:TSLA") == before
    assert summary.bot is not None


@pytest.mark.parametrize(
    ("markets", "key", "message"),
    [
        ('[markets."xyz:NVDA"]\nleverage = 2\nmargin = "cross"\n',
         'markets."xyz:NVDA".margin', "allows only isolated margin"),
        ("[markets.BTC]\nleverage = 60\n", "markets.BTC.leverage", "above BTC's maximum of 40x"),
    ],
)  # fmt: skip
async def test_a_setup_the_venue_would_refuse_stops_the_start_before_any_action(
    markets: str, key: str, message: str
) -> None:
    config = _config(markets)
    async with open_simulator(attrs.evolve(config.sim, accounts=(KEY.address,))) as sim:
        with pytest.raises(ConfigError) as raised:
            await run_from_config(config, duration=1.0, sim=sim, key=KEY)
        assert raised.value.key == key and message in str(raised.value)
        # checked against the venue's meta first: not one action reached the venue
        async with InfoClient(sim.url) as info:
            used = await info.post_info({"type": "userRateLimit", "user": KEY.address})
        assert used["nRequestsUsed"] == 0


async def test_a_notional_cap_for_a_token_no_market_settles_in_fails_the_start() -> None:
    config = _config(
        '[markets.BTC]\n[markets."xyz:TSLA"]\n[risk.max_notional_per_token]\nUSDH = 500\n'
    )
    async with open_simulator(attrs.evolve(config.sim, accounts=(KEY.address,))) as sim:
        with pytest.raises(ConfigError) as raised:
            await run_from_config(config, duration=1.0, sim=sim, key=KEY)
    assert raised.value.key == "risk.max_notional_per_token.USDH"
    assert "no market traded settles in USDH" in str(raised.value) and "USDC" in str(raised.value)


@pytest.mark.parametrize("cap", [500, 700])
async def test_a_persons_position_in_another_market_counts_toward_the_token_cap(
    cap: int,
) -> None:
    # A person holds ~400 USDC of ETH, a market the bot does not quote: the gates price it
    # at the mark of the latest clearinghouseState. Under a 500 USDC cap the bot's first
    # 200 USDC quote on BTC would take the account past it and is refused before sending;
    # under 700 it is sent (a position without a price would have refused both).
    config = _config(f"[markets.BTC]\n[risk.max_notional_per_token]\nUSDC = {cap}\n")
    async with (
        open_simulator(attrs.evolve(config.sim, accounts=(KEY.address,))) as sim,
        InfoClient(sim.url) as info,
    ):
        universe = await info.universe([""])
        person = ExchangeClient(
            sim.url, KEY, KEY.address, universe=universe, info=info, mainnet=False,
            nonces=NonceGenerator(lambda: int(time.time() * 1000) + 3_600_000),
        )  # fmt: skip
        mid = Decimal((await info.all_mids(""))["ETH"])
        eth = universe.market("ETH")
        [bought] = await person.place_orders(
            [PlaceOrder("ETH", Side.BUY, eth.round_price(mid * Decimal("1.02")),
                        eth.round_size(Decimal(400) / mid), tif="Ioc")]
        )  # fmt: skip
        assert isinstance(bought, Filled)
        ended: list[TradeSummary] = []

        async def run(task_status: trio.TaskStatus[RunningBot]) -> None:
            ended.append(
                await run_from_config(
                    config, duration=1.5, sim=sim, key=KEY, task_status=task_status
                )
            )

        async with trio.open_nursery() as nursery:
            running: RunningBot = await nursery.start(run)
    [summary] = ended
    rejections = running.bot.ledger.rejections
    assert summary.positions_match
    if cap == 500:  # every quote refused by that gate, and only by it: none sent
        assert set(rejections["place"]) == {"gate max_notional_per_token"}, rejections
        assert summary.orders.placed == 0
    else:
        assert summary.orders.placed > 0
