"""The simulator's shared state: markets, accounts, agents, nonces, the clock, events.

:class:`SimState` is the one object every part of :class:`~hip3.sim.engine.SimExchange`
reads and writes (the collaborators in ``_info``, ``_auth``, ``_matching`` and ``_actions``
hold a reference to it). It also owns what every part needs: exchange time (a state change
never happens at or before a time a query observed), account creation, the ledger, the
event outbox, and funding settlement.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from hip3.signing._native import keccak256
from hip3.sim._engine_parse import reject
from hip3.sim._engine_wire import clearinghouse_state, tx_hash
from hip3.sim._history import MarketHistory
from hip3.sim.accounts import Account, DexAccount, NonceSet
from hip3.sim.config import SimConfig, SimMarket, spot_pair_name
from hip3.sim.market import MarketState
from hip3.types import wire_decimal

LP_ADDRESS = "0x00000000000000000000000000000000000000aa"
"""The synthetic liquidity provider's account."""

ZERO = Decimal(0)
DAY_MS = 24 * 3600 * 1000
DEFAULT_OI_CAP = Decimal(1_000_000_000)  # USD open interest a market may reach unless configured
_DEFAULT_LEVERAGE = 20
_SPOT_ASSET_BASE = 10_000  # a spot pair's asset id is 10000 + its spotMeta index
_FUNDING_HISTORY = 10_000
SPOT_COLLATERAL_MODES = frozenset({"unifiedAccount", "portfolioMargin"})

Json = Any


@attrs.frozen
class SimEvent:
    """Something to stream: ``data`` is exactly the ws message's ``data``.

    ``channel`` is ``"userFills"`` | ``"orderUpdates"`` | ``"userEvents"`` | ``"trades"``;
    ``key`` the user's lowercase address for user channels, the coin for trades.
    """

    channel: str
    key: str
    data: Any


@attrs.frozen(slots=True)
class Context:
    """Who an action acts for, who signed it, and the exchange time it executes at."""

    user: str
    signer: str
    now: int
    mainnet: bool


def token_id(name: str) -> str:
    """A spot token's ``tokenId`` in ``spotMeta``: derived from its name, stable across runs."""
    return "0x" + keccak256(name.encode()).hex()[:32]


class SimState:
    """Everything the simulated venue knows, shared by the engine's collaborators."""

    def __init__(self, config: SimConfig, *, clock: Callable[[], int]) -> None:
        self.config = config
        self.clock = clock
        self.rng = random.Random(config.seed)
        self.spot_rng = random.Random(f"spot-{config.seed}")
        self.markets: dict[str, MarketState] = {}
        self.by_asset: dict[int, MarketState] = {}
        self.dex_markets: dict[str, list[MarketState]] = {}
        self.dex_names: list[str] = []
        self.default_leverage: dict[str, tuple[bool, int]] = {}
        for dex_index, dex in enumerate(config.dexes):
            self.dex_names.append(dex.name)
            markets = self.dex_markets.setdefault(dex.name, [])
            base = 0 if dex_index == 0 else 100_000 + 10_000 * dex_index
            for index, spec in enumerate(dex.markets):
                market = MarketState(
                    spec,
                    dex.name,
                    base + index,
                    deployer_fee_scale=dex.deployer_fee_scale if dex.name else None,
                )
                markets.append(market)
                self.markets[spec.name] = market
                self.by_asset[market.asset] = market
                self.default_leverage[spec.name] = (
                    not spec.only_isolated,
                    min(_DEFAULT_LEVERAGE, spec.max_leverage),
                )
        self.collateral = {dex.name: dex.collateral for dex in config.dexes}
        self.token_index = {token: index for index, token in enumerate(config.tokens())}
        self.abstraction: dict[str, str] = {}  # address -> userAbstraction, when not default
        self.spot_markets: list[MarketState] = []
        self.spot_base: dict[str, str] = {}  # spot coin -> its base token
        for index, pair in enumerate(config.spot):
            name = spot_pair_name(index, pair)
            spot_spec = SimMarket(name, pair.sz_decimals, 1, pair.start_price, pair.volatility)
            market = MarketState(spot_spec, "", _SPOT_ASSET_BASE + index, spot=True)
            self.spot_markets.append(market)
            self.spot_base[name] = pair.base
            self.markets[name] = market
            self.by_asset[market.asset] = market
        self.accounts: dict[str, Account] = {}
        self.history: dict[str, MarketHistory] = {coin: MarketHistory() for coin in self.markets}
        self.agents: dict[str, tuple[str, str, int | None]] = {}  # agent -> master, name, until
        self.vault_leaders: dict[str, str] = {}
        self.sub_accounts: dict[str, str] = {}  # sub-account address -> its name
        self.referrers: dict[str, str] = {}  # user -> the referral code it set (once)
        self.nonces: dict[str, NonceSet] = {}
        self.schedules: dict[str, int] = {}  # user -> scheduled cancel time
        self.builder_approvals: dict[tuple[str, str], str] = {}
        self.listeners: list[Callable[[SimEvent], None]] = []
        self.outbox: dict[tuple[str, str], list[Any]] = {}
        self.next_oid = 1_000
        self.next_tid = 100_000_000_000_000
        self.trades = 0
        self.user_fills = 0
        self.time = clock()
        self.observed_at = -1
        self.last_tick = self.time
        interval = config.funding_interval_ms
        self.next_funding = (self.time // interval + 1) * interval
        # ``[sim] accounts``: funded with the starting balance on every dex from the start.
        self.funded = frozenset(config.accounts)
        self.lp = self.account(LP_ADDRESS, create=True)
        for address in config.accounts:
            funded = self.account(address, create=True)
            for dex_name in self.dex_names:
                self.dex_account(funded, dex_name)

    def unified_collateral(self, account: Account) -> dict[str, tuple[Decimal, Decimal]]:
        """token -> (account value, margin used) over the account's dexes, in unified and
        portfolio mode; empty otherwise."""
        if self.abstraction.get(account.address) not in SPOT_COLLATERAL_MODES:
            return {}
        now = self.time
        max_leverage = {coin: market.spec.max_leverage for coin, market in self.markets.items()}
        found: dict[str, tuple[Decimal, Decimal]] = {}
        for dex, dex_account in account.dexes.items():
            state = clearinghouse_state(
                dex_account, self.marks(), self.default_leverage, max_leverage, now
            )
            summary = state["marginSummary"]
            total, hold = found.get(self.collateral[dex], (ZERO, ZERO))
            found[self.collateral[dex]] = (
                total + Decimal(summary["accountValue"]),
                hold + Decimal(summary["totalMarginUsed"]),
            )
        return found

    # -- time ------------------------------------------------------------------

    def event_time(self) -> int:
        """The time of a state change: never at or before a time already observed by a query,
        so a snapshot at T covers exactly the fills with time <= T."""
        now = max(self.clock(), self.time)
        if now <= self.observed_at:
            now = self.observed_at + 1
        self.time = now
        return now

    def observe_time(self) -> int:
        now = max(self.clock(), self.time)
        self.observed_at = now
        self.time = now
        return now

    # -- accounts --------------------------------------------------------------

    def account(self, address: str, *, create: bool) -> Account:
        account = self.accounts.get(address)
        if account is None:
            if not create:
                reject(f"User or API Wallet {address} does not exist.")
            account = self.accounts[address] = Account(address)
        return account

    def dex_account(self, account: Account, dex: str) -> DexAccount:
        dex_account = account.dexes.get(dex)
        if dex_account is None:
            funded = account.address != LP_ADDRESS and (
                self.config.auto_accounts or account.address in self.funded
            )
            balance = self.config.starting_balance if funded else ZERO
            dex_account = account.dexes[dex] = DexAccount(balance)
        return dex_account

    def open_interest(self, market: MarketState) -> Decimal:
        """The market's open interest in coin units: the sum of the long positions."""
        total = ZERO
        for account in self.accounts.values():
            dex_account = account.dexes.get(market.dex)
            if dex_account is not None:
                szi = dex_account.szi(market.coin)
                if szi > 0:
                    total += szi
        return total

    def oi_cap(self, market: MarketState) -> Decimal:
        """The market's open-interest cap in USD (``perpDexLimits``' ``coinToOiCap``)."""
        return market.spec.oi_cap if market.spec.oi_cap is not None else DEFAULT_OI_CAP

    def at_oi_cap(self, market: MarketState) -> bool:
        """Whether the market's open interest (at the oracle) has reached its cap."""
        return self.open_interest(market) * market.oracle >= self.oi_cap(market)

    def marks(self) -> dict[str, Decimal]:
        return {coin: market.oracle for coin, market in self.markets.items()}

    def make_vault(self, leader: str, name: str) -> str:
        digest = keccak256(bytes.fromhex(leader[2:]) + name.encode())
        vault = "0x" + digest[-20:].hex()
        self.vault_leaders[vault] = leader
        self.account(vault, create=True)
        return vault

    # -- events ----------------------------------------------------------------

    def emit(self, channel: str, key: str, item: Any) -> None:
        self.outbox.setdefault((channel, key), []).append(item)

    def flush(self) -> None:
        if not self.outbox:
            return
        outbox, self.outbox = self.outbox, {}
        events = []
        for (channel, key), items in outbox.items():
            if channel == "userFills":
                events.append(SimEvent(channel, key, {"user": key, "fills": items}))
                events.append(SimEvent("userEvents", key, {"fills": items}))
            elif channel == "userEvents":  # one message per non-fill event (funding)
                events.extend(SimEvent(channel, key, item) for item in items)
            elif channel == "userFundings":
                events.append(SimEvent(channel, key, {"user": key, "fundings": items}))
            elif channel == "userNonFundingLedgerUpdates":
                data = {"user": key, "nonFundingLedgerUpdates": items}
                events.append(SimEvent(channel, key, data))
            else:
                events.append(SimEvent(channel, key, items))
        for event in events:
            for listener in self.listeners:
                listener(event)

    # -- markets, ledger, funding ------------------------------------------------

    def market_for(self, asset: int) -> MarketState:
        market = self.by_asset.get(asset)
        if market is None:
            reject(f"Unknown asset {asset}.")
        if market.spot:
            reject(f"Asset {asset} is a spot pair: it has no leverage or margin.")
        return market

    def ledger(self, account: Account, now: int, delta: dict[str, Any]) -> None:
        """Record (and stream) one non-funding ledger update of ``account``."""
        entry = {
            "time": now,
            "hash": tx_hash(delta["type"], len(account.ledger), now),
            "delta": delta,
        }
        account.ledger.append(entry)
        if len(account.ledger) > 2 * _FUNDING_HISTORY:
            del account.ledger[:-_FUNDING_HISTORY]
        self.emit("userNonFundingLedgerUpdates", account.address, entry)

    def new_oid(self) -> int:
        oid = self.next_oid
        self.next_oid += 1
        return oid

    def settle_funding(self, at: int) -> None:
        """Funding for every open position at the oracle price (``userEvents`` ``funding``)."""
        rate = self.config.funding_rate
        for coin, history in self.history.items():
            if self.markets[coin].spot:
                continue
            # No separate mark price, so no premium (as in the asset contexts).
            history.fundings.append(
                {"coin": coin, "fundingRate": wire_decimal(rate), "premium": "0.0", "time": at}
            )
        if rate == 0:
            return
        for account in self.accounts.values():
            for dex_account in account.dexes.values():
                for coin, position in list(dex_account.positions.items()):
                    is_cross, _ = dex_account.leverage_of(coin, self.default_leverage[coin])
                    oracle = self.markets[coin].oracle
                    received = dex_account.apply_funding(coin, oracle, rate, is_cross)
                    if account is self.lp:
                        continue
                    delta = {
                        "type": "funding",
                        "coin": coin,
                        "usdc": wire_decimal(received),
                        "szi": wire_decimal(position.szi),
                        "fundingRate": wire_decimal(rate),
                        "nSamples": None,
                    }
                    account.fundings.append({"time": at, "hash": "0x" + "0" * 64, "delta": delta})
                    if len(account.fundings) > 2 * _FUNDING_HISTORY:
                        del account.fundings[:-_FUNDING_HISTORY]
                    event = {key: value for key, value in delta.items() if key != "type"}
                    self.emit("userEvents", account.address, {"funding": {"time": at, **event}})
                    self.emit("userFundings", account.address, {"time": at, **event})
