"""A harness for engine tests: a fake clock, traders with real keys, captured events.

No tests here; the engine test modules import it. Every action is signed with hip3.signing
exactly as a client would (testnet source by default, like the SDK against a local URL).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from hip3.signing import USER_SIGNED_TYPES, PrivateKey, sign_l1_action, sign_user_signed_action
from hip3.sim.config import SimConfig, SimDex, SimMarket
from hip3.sim.engine import SimEvent, SimExchange
from hip3.wire import actions

T0 = 1_700_000_000_000
BTC, ETH, SOL = 0, 1, 2
TSLA = 110_000  # xyz:TSLA: first HIP-3 dex (perpDexs index 1), index 0
NVDA = 110_001  # xyz:NVDA (only isolated)
GOLD = 120_000  # flx:GOLD

KEYS = [f"0x{index:064x}" for index in range(0x1001, 0x1011)]
SDK_KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
SDK_ADDRESS = "0x14791697260e4c9a71f18484c9f997b308e59325"


class Clock:
    """Exchange milliseconds, moved only by the test."""

    def __init__(self, ms: int = T0) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms


def quiet_config(**changes: Any) -> SimConfig:
    """No liquidity provider and a still oracle: books hold only the test's orders."""
    dexes = tuple(
        attrs.evolve(dex, markets=tuple(attrs.evolve(m, volatility=0.0) for m in dex.markets))
        for dex in SimConfig().dexes
    )
    return attrs.evolve(SimConfig(auto_accounts=True, dexes=dexes, lp_levels=0), **changes)


def one_market_config(**changes: Any) -> SimConfig:
    market = SimMarket("BTC", 5, 40, Decimal(60000), 0.0)
    return attrs.evolve(
        SimConfig(
            auto_accounts=True, dexes=(SimDex("", "main", "0x" + "0" * 40, (market,)),), lp_levels=0
        ),
        **changes,
    )


@attrs.define
class Trader:
    venue: Venue
    key: PrivateKey
    mainnet: bool = False

    @property
    def address(self) -> str:
        return self.key.address

    def signed(
        self,
        action: Mapping[str, Any],
        *,
        vault: str | None = None,
        expires_after: int | None = None,
        nonce: int | None = None,
    ) -> dict[str, Any]:
        nonce = self.venue.next_nonce() if nonce is None else nonce
        signature = sign_l1_action(
            self.key,
            action,
            nonce=nonce,
            vault_address=vault,
            expires_after=expires_after,
            mainnet=self.mainnet,
        )
        return {
            "action": dict(action),
            "nonce": nonce,
            "signature": signature,
            "vaultAddress": vault,
            "expiresAfter": expires_after,
        }

    def act(self, action: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        return self.venue.exchange.exchange(self.signed(action, **kwargs))

    def user_signed(self, action: dict[str, Any]) -> dict[str, Any]:
        primary_type, types = USER_SIGNED_TYPES[action["type"]]
        signature = sign_user_signed_action(
            self.key, action, primary_type=primary_type, payload_types=types, mainnet=self.mainnet
        )
        nonce = action.get("time", action.get("nonce"))
        body = {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None}
        return self.venue.exchange.exchange(body)

    def orders(self, *orders: Mapping[str, Any], vault: str | None = None) -> list[Any]:
        answer = self.act(actions.order_action(orders), vault=vault)
        assert answer["status"] == "ok", answer
        statuses: list[Any] = answer["response"]["data"]["statuses"]
        return statuses

    def order(
        self,
        asset: int,
        is_buy: bool,
        px: str,
        sz: str,
        *,
        tif: str = "Gtc",
        reduce_only: bool = False,
        cloid: str | None = None,
        vault: str | None = None,
    ) -> Any:
        wire = actions.order_wire(
            asset,
            is_buy,
            px,
            sz,
            tif=tif,
            reduce_only=reduce_only,
            cloid=cloid,  # type: ignore[arg-type]
        )
        return self.orders(wire, vault=vault)[0]

    def cancel(self, asset: int, oid: int) -> Any:
        answer = self.act(actions.cancel_action([(asset, oid)]))
        assert answer["status"] == "ok", answer
        return answer["response"]["data"]["statuses"][0]

    def info(self, kind: str, **params: Any) -> Any:
        return self.venue.exchange.info({"type": kind, "user": self.address, **params})

    def position(self, coin: str, dex: str = "") -> Decimal:
        state = self.info("clearinghouseState", dex=dex)
        for entry in state["assetPositions"]:
            if entry["position"]["coin"] == coin:
                return Decimal(entry["position"]["szi"])
        return Decimal(0)

    def balance(self, dex: str = "") -> Decimal:
        state = self.info("clearinghouseState", dex=dex)
        return Decimal(state["crossMarginSummary"]["accountValue"])


class Venue:
    """A SimExchange on a fake clock, with its events captured."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.clock = Clock()
        self.exchange = SimExchange(config or quiet_config(), clock=self.clock)
        self.events: list[SimEvent] = []
        self.exchange.add_listener(self.events.append)
        self._nonce = T0

    def next_nonce(self) -> int:
        self._nonce = max(self._nonce + 1, self.clock.ms)
        return self._nonce

    def trader(self, index: int = 0, *, mainnet: bool = False) -> Trader:
        return Trader(self, PrivateKey.from_hex(KEYS[index]), mainnet)

    def info(self, kind: str, **params: Any) -> Any:
        return self.exchange.info({"type": kind, **params})

    def tick(self, ms: int = 200) -> None:
        self.clock.advance(ms)
        self.exchange.tick()

    def events_of(self, channel: str, key: str | None = None) -> list[Any]:
        return [e.data for e in self.events if e.channel == channel and key in (None, e.key)]


def oid_of(status: Any) -> int:
    entry = status.get("resting") or status.get("filled")
    assert entry is not None, status
    oid: int = entry["oid"]
    return oid


def user_signed_action(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, **fields}


__all__ = [
    "BTC",
    "ETH",
    "GOLD",
    "NVDA",
    "SDK_ADDRESS",
    "SDK_KEY",
    "SOL",
    "T0",
    "TSLA",
    "Clock",
    "Trader",
    "Venue",
    "oid_of",
    "one_market_config",
    "quiet_config",
]
