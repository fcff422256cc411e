"""Per-market leverage and margin mode (``[markets."coin"]`` tables) are set on the venue
when a trading bot starts, after the venue's rules are checked, and nothing is sent when a
setup breaks them. On the embedded simulator: BTC allows 40x, xyz:NVDA only isolated."""

from __future__ import annotations

import tomllib
from typing import Any

import attrs
import pytest

from hip3.app import run_from_config
from hip3.clients import InfoClient
from hip3.config import config_from_dict
from hip3.errors import ConfigError
from hip3.signing import PrivateKey
from hip3.sim import open_simulator

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
