"""Network presets: where the venue lives. Tests never use these (they talk to hip3.sim)."""

from __future__ import annotations

import attrs


@attrs.frozen
class Network:
    """The HTTP base URL and websocket URL of one deployment of the venue."""

    name: str
    http_url: str
    ws_url: str
    mainnet: bool


MAINNET = Network(
    name="mainnet",
    http_url="https://api.hyperliquid.xyz",
    ws_url="wss://api.hyperliquid.xyz/ws",
    mainnet=True,
)
TESTNET = Network(
    name="testnet",
    http_url="https://api.hyperliquid-testnet.xyz",
    ws_url="wss://api.hyperliquid-testnet.xyz/ws",
    mainnet=False,
)
