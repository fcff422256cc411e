"""The simulated exchange: one synchronous, deterministic owner of the venue's truth.

:class:`SimExchange` answers ``/info`` requests and ``/exchange`` actions with the venue's
shapes (hyperliquid-api.md §1, §2, §8) and advances the market with :meth:`SimExchange.tick`.
It does no I/O and never reads the wall clock: time comes from the ``clock`` callable
(milliseconds), randomness from ``random.Random(config.seed)``. The server (hip3.sim.server)
wraps it in HTTP and websockets and publishes the :class:`SimEvent` s it emits.

Rules it enforces, as the venue does:

* every action is signature-checked: the signer is recovered from the *canonical* action
  (decimals normalised, keys in the venue's order), so a different spelling recovers a
  different address and is refused with "User or API Wallet 0x… does not exist.";
  L1 actions are accepted under both the mainnet ("a") and testnet ("b") phantom-agent
  source: the one that recovers a known signer wins, an unknown signer is taken from the
  testnet source (what the official SDK signs against any non-mainnet URL);
* agents (``approveAgent``) act for their master; ``vaultAddress`` acts for a vault or
  sub-account whose leader is the (master of the) signer — ``createSubAccount`` makes one;
* per-signer nonces (the 100 highest kept, no reuse, within (T - 2 days, T + 1 day));
  ``expiresAfter`` in the past is refused;
* orders: tick and lot sizes, $10 minimum, reduce-only, post-only, IOC, margin, open-order
  cap, duplicate cloids; price-time priority matching with self-trade prevention (the
  resting order is cancelled), fills for both sides with one ``tid``, fees, closed pnl.

Spot: each pair of ``config.spot`` is a market named as on the venue (``PURR/USDC`` for the
first, ``@<index>`` after) with asset id 10000 + index. Spot orders spend tokens of the
user's spot wallet (``spotClearinghouseState``): resting ones hold what they would spend,
fills move base and USDC, and the fee is taken from what is received (``feeToken``).
Spot has no positions, leverage, triggers or reduce-only; spot prices may carry
``8 - szDecimals`` decimals. USDC reaches the spot wallet by :meth:`SimExchange.credit_spot`.

A synthetic liquidity provider (address :data:`LP_ADDRESS`) quotes a grid around the
oracle every tick. It is an ordinary account for positions (all positions sum to zero,
the LP included) but its fills and order updates are not streamed.

Funding is settled on every ``funding_interval_ms`` boundary of exchange time (during
:meth:`SimExchange.tick`) into balances, never into positions.

Deliberate simplifications: no liquidations, no TWAP; ``mantissa`` is accepted but not
applied; builder fees are charged but need no ``approveBuilderFee``;
``grouping`` ``normalTpsl`` places its TP/SL children (one-cancels-other) when the parent
fills, ``positionTpsl`` and priority fees are refused; a new account (any signer, with
``auto_accounts``) is funded with ``starting_balance`` on every dex.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any

import attrs

from hip3.errors import SigningError
from hip3.signing import recover_l1_signer, recover_user_signed_signer
from hip3.signing._native import keccak256
from hip3.sim._engine_parse import (
    Committed,
    Fields,
    OrderSpec,
    Reject,
    is_address,
    is_cloid,
    parse_order,
    reject,
)
from hip3.sim._engine_wire import (
    aggregate_by_time,
    basic_order,
    clearinghouse_state,
    frontend_order,
    resting,
    status_entry,
    tx_hash,
)
from hip3.sim._history import MarketHistory, Trade, candles
from hip3.sim.accounts import Account, DexAccount, NonceSet, usd
from hip3.sim.book import Order
from hip3.sim.config import SimBadRequest, SimConfig, SimMarket, spot_pair_name
from hip3.sim.market import MarketState, valid_price
from hip3.types import wire_decimal

__all__ = ["LP_ADDRESS", "SimBadRequest", "SimEvent", "SimExchange"]

LP_ADDRESS = "0x00000000000000000000000000000000000000aa"
"""The synthetic liquidity provider's account."""

_ZERO = Decimal(0)
_MIN_NOTIONAL = Decimal(10)
_NONCE_PAST_MS = 2 * 24 * 3600 * 1000
_NONCE_FUTURE_MS = 24 * 3600 * 1000
_SCHEDULE_MIN_MS = 5000
_SCHEDULE_MAX_PER_DAY = 10
_DAY_MS = 24 * 3600 * 1000
_MARKET_SLIPPAGE = Decimal("0.1")  # trigger market orders (api doc §2.3, TP/SL page)
_DEFAULT_LEVERAGE = 20
_MAX_NAMED_AGENTS = 3
_USER_SIGNED = frozenset({"usdSend", "withdraw3", "approveAgent", "approveBuilderFee"})
_BOOK_DEPTH = 20
_FILLS_LIMIT = 2000
_FUNDING_LIMIT = 500
_OI_CAP = Decimal(1_000_000_000)  # USD open interest a HIP-3 market may reach
_DEX_TRANSFER_CAP = Decimal(100_000_000)
_SPOT_ASSET_BASE = 10_000  # a spot pair's asset id is 10000 + its spotMeta index
_IOC_TIFS = frozenset({"Ioc", "FrontendMarket"})  # the frontend's market order is an IOC
_RECENT_TRADES = 10  # recentTrades: the last few trades only, newest first
_FUNDING_HISTORY = 10_000
_BATCHED = frozenset({"cancel", "cancelByCloid", "batchModify"})
_REJECTED = frozenset(
    {
        "rejected",
        "tickRejected",
        "minTradeNtlRejected",
        "perpMarginRejected",
        "reduceOnlyRejected",
        "badAloPxRejected",
        "iocCancelRejected",
        "tooManyOpenOrdersRejected",
        "badTriggerPxRejected",
    }
)

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
class _Context:
    """Who an action acts for, who signed it, and the exchange time it executes at."""

    user: str
    signer: str
    now: int
    mainnet: bool


# ---------------------------------------------------------------------------
# The exchange
# ---------------------------------------------------------------------------


class SimExchange:
    """A Hyperliquid venue in miniature (see the module docstring for its rules)."""

    def __init__(self, config: SimConfig, *, clock: Callable[[], int]) -> None:
        self.config = config
        self._clock = clock
        self._rng = random.Random(config.seed)
        self._spot_rng = random.Random(f"spot-{config.seed}")
        self._markets: dict[str, MarketState] = {}
        self._by_asset: dict[int, MarketState] = {}
        self._dex_markets: dict[str, list[MarketState]] = {}
        self._dex_names: list[str] = []
        self._default_leverage: dict[str, tuple[bool, int]] = {}
        for dex_index, dex in enumerate(config.dexes):
            self._dex_names.append(dex.name)
            markets = self._dex_markets.setdefault(dex.name, [])
            base = 0 if dex_index == 0 else 100_000 + 10_000 * dex_index
            for index, spec in enumerate(dex.markets):
                market = MarketState(spec, dex.name, base + index)
                markets.append(market)
                self._markets[spec.name] = market
                self._by_asset[market.asset] = market
                self._default_leverage[spec.name] = (
                    not spec.only_isolated,
                    min(_DEFAULT_LEVERAGE, spec.max_leverage),
                )
        self._collateral = {dex.name: dex.collateral for dex in config.dexes}
        self._token_index = {token: index for index, token in enumerate(config.tokens())}
        self._abstraction: dict[str, str] = {}  # address -> userAbstraction, when not default
        self._spot_markets: list[MarketState] = []
        self._spot_base: dict[str, str] = {}  # spot coin -> its base token
        for index, pair in enumerate(config.spot):
            name = spot_pair_name(index, pair)
            spot_spec = SimMarket(name, pair.sz_decimals, 1, pair.start_price, pair.volatility)
            market = MarketState(spot_spec, "", _SPOT_ASSET_BASE + index, spot=True)
            self._spot_markets.append(market)
            self._spot_base[name] = pair.base
            self._markets[name] = market
            self._by_asset[market.asset] = market
        self._accounts: dict[str, Account] = {}
        self._history: dict[str, MarketHistory] = {coin: MarketHistory() for coin in self._markets}
        self._agents: dict[str, tuple[str, str, int | None]] = {}  # agent -> master, name, until
        self._vault_leaders: dict[str, str] = {}
        self._sub_accounts: dict[str, str] = {}  # sub-account address -> its name
        self._referrers: dict[str, str] = {}  # user -> the referral code it set (once)
        self._nonces: dict[str, NonceSet] = {}
        self._schedules: dict[str, int] = {}  # user -> scheduled cancel time
        self._builder_approvals: dict[tuple[str, str], str] = {}
        self._listeners: list[Callable[[SimEvent], None]] = []
        self._outbox: dict[tuple[str, str], list[Any]] = {}
        self._next_oid = 1_000
        self._next_tid = 100_000_000_000_000
        self._trades = 0
        self._user_fills = 0
        self._time = clock()
        self._observed_at = -1
        self._last_tick = self._time
        interval = config.funding_interval_ms
        self._next_funding = (self._time // interval + 1) * interval
        self._lp = self._account(LP_ADDRESS, create=True)
        now = self._event_time()
        for market in self._markets.values():
            self._refresh_lp(market, now)
        self._outbox.clear()

    # -- public surface --------------------------------------------------------

    def add_listener(self, fn: Callable[[SimEvent], None]) -> None:
        self._listeners.append(fn)

    @property
    def coins(self) -> tuple[str, ...]:
        """Every market's name, main dex first, in asset order."""
        return tuple(self._markets)

    @property
    def dexes(self) -> tuple[str, ...]:
        """Every dex name (``""`` = main) in ``perpDexs`` order."""
        return tuple(self._dex_names)

    def credit(self, address: str, amount: Decimal, dex: str = "") -> None:
        """Add ``amount`` USDC to ``address``'s balance on ``dex`` (creating the account)."""
        if not is_address(address):
            raise SimBadRequest(f"address: expected 0x + 40 hex digits, got {address!r}")
        if dex not in self._dex_markets:
            raise SimBadRequest(f"dex: unknown dex {dex!r}")
        account = self._account(address.lower(), create=True)
        self._dex_account(account, dex).balance += Decimal(amount)
        now = self._observe_time()
        self._ledger(account, now, {"type": "deposit", "usdc": wire_decimal(Decimal(amount))})
        self._flush()

    def credit_spot(self, address: str, token: str, amount: Decimal) -> None:
        """Add ``amount`` of spot ``token`` (USDC, a pair's base or a dex's collateral)."""
        if not is_address(address):
            raise SimBadRequest(f"address: expected 0x + 40 hex digits, got {address!r}")
        if token not in self._token_index:
            raise SimBadRequest(f"token: unknown spot token {token!r}")
        self._account(address.lower(), create=True).move_spot(token, Decimal(amount))

    # -- account abstraction (unified / portfolio mode) --------------------------

    def set_abstraction(self, address: str, mode: str) -> None:
        """Put ``address`` in account mode ``mode`` (``userAbstraction``). In
        ``unifiedAccount`` and ``portfolioMargin`` mode each dex's money is reported in the
        spot wallet (``spotClearinghouseState``: the dex's account value added to the total
        of its collateral token, its margin to the hold) and ``clearinghouseState``'s money
        fields read zero, as they carry no meaning there. Only the reports change."""
        if not is_address(address):
            raise SimBadRequest(f"address: expected 0x + 40 hex digits, got {address!r}")
        if mode not in _ABSTRACTION_MODES:
            raise SimBadRequest(f"mode: expected one of {', '.join(_ABSTRACTION_MODES)}")
        self._account(address.lower(), create=True)
        if mode == "default":
            self._abstraction.pop(address.lower(), None)
        else:
            self._abstraction[address.lower()] = mode

    def _unified_collateral(self, account: Account) -> dict[str, tuple[Decimal, Decimal]]:
        """token -> (account value, margin used) over the account's dexes, in unified and
        portfolio mode; empty otherwise."""
        if self._abstraction.get(account.address) not in _SPOT_COLLATERAL_MODES:
            return {}
        now = self._time
        max_leverage = {coin: market.spec.max_leverage for coin, market in self._markets.items()}
        found: dict[str, tuple[Decimal, Decimal]] = {}
        for dex, dex_account in account.dexes.items():
            state = clearinghouse_state(
                dex_account, self._marks(), self._default_leverage, max_leverage, now
            )
            summary = state["marginSummary"]
            total, hold = found.get(self._collateral[dex], (_ZERO, _ZERO))
            found[self._collateral[dex]] = (
                total + Decimal(summary["accountValue"]),
                hold + Decimal(summary["totalMarginUsed"]),
            )
        return found

    def halt(self, coin: str, halted: bool, *, delist: bool = False) -> None:
        """Halt (or resume) trading of perp ``coin``, as a HIP-3 deployer's ``haltTrading``:
        every order on it is cancelled and every position settled at the mark (fills with
        ``dir`` "Settlement"); while halted, orders are refused and the LP does not quote.
        ``delist`` halts for good (``isDelisted`` in meta, orders ``delistedCanceled``)."""
        market = self._markets.get(coin)
        if market is None or market.spot:
            raise SimBadRequest(f"coin: unknown perp coin {coin!r}")
        if market.delisted:
            raise SimBadRequest(f"coin: {coin!r} is delisted")
        now = self._observe_time()
        if not halted:
            if delist:
                raise SimBadRequest("halted: a delisting cannot be resumed")
            market.halted = False
            self._refresh_lp(market, now)
            self._flush()
            return
        market.halted = True
        market.delisted = delist
        status = "delistedCanceled" if delist else "canceled"
        for order in [*market.book.orders(), *market.triggers.values()]:
            self._cancel(order, status, now)
        market.lp_orders.clear()
        market.lp_mark = None
        for account in list(self._accounts.values()):
            self._settle_position(market, account, now)
        self._flush()

    def _settle_position(self, market: MarketState, account: Account, now: int) -> None:
        dex_account = account.dexes.get(market.dex)
        szi = dex_account.szi(market.coin) if dex_account is not None else _ZERO
        if dex_account is None or szi == 0:
            return
        is_buy = szi < 0
        px = market.oracle
        leverage = dex_account.leverage_of(market.coin, self._default_leverage[market.coin])
        result = dex_account.apply_fill(market.coin, is_buy, px, abs(szi), _ZERO, leverage)
        if account is self._lp:
            return
        tid = self._next_tid
        self._next_tid += 1
        fill = {
            "coin": market.coin,
            "px": wire_decimal(px),
            "sz": wire_decimal(abs(szi)),
            "side": "B" if is_buy else "A",
            "time": now,
            "startPosition": wire_decimal(result.start_position),
            "dir": "Settlement",
            "closedPnl": wire_decimal(result.closed_pnl),
            "hash": tx_hash(market.coin, 0, now),
            "oid": 0,
            "crossed": False,
            "fee": "0",
            "tid": tid,
            "feeToken": self._collateral[market.dex],
            "twapId": None,
        }
        account.add_fill(fill)
        self._user_fills += 1
        self._emit("userFills", account.address, fill)

    def set_oracle(self, coin: str, px: Decimal) -> None:
        """Move ``coin``'s oracle (and so its mark) to ``px`` for tests and demos; the next
        :meth:`tick` requotes the LP and fires the triggers the move crossed."""
        market = self._markets.get(coin)
        if market is None:
            raise SimBadRequest(f"coin: unknown coin {coin!r}")
        market.set_oracle(Decimal(px))

    def create_vault(self, leader: str, name: str) -> str:
        """Create a sub-account/vault led by ``leader``; its address (as ``createSubAccount``)."""
        leader = leader.lower()
        self._account(leader, create=True)
        return self._make_vault(leader, name)

    def truth(self) -> dict[str, Any]:
        """What really is: ``{"positions": {user: {coin: "szi"}}, "fills", "trades", "orders",
        "time"}`` — non-zero positions of every account (the LP included, so each coin sums to
        zero), fills delivered to users (LP excluded), trades, users' open orders."""
        positions: dict[str, dict[str, str]] = {}
        for address, account in self._accounts.items():
            held = {
                coin: wire_decimal(position.szi)
                for dex_account in account.dexes.values()
                for coin, position in dex_account.positions.items()
                if position.szi != 0
            }
            if held:
                positions[address] = held
        open_orders = sum(
            len(account.open_orders)
            for account in self._accounts.values()
            if account is not self._lp
        )
        return {
            "positions": positions,
            "fills": self._user_fills,
            "trades": self._trades,
            "orders": open_orders,
            "time": max(self._clock(), self._time),
        }

    def positions_of(self, address: str) -> dict[str, Decimal]:
        """``address``'s non-zero perp positions on every dex, now (the venue's truth)."""
        account = self._accounts.get(address.lower())
        if account is None:
            return {}
        return {
            coin: position.szi
            for dex_account in account.dexes.values()
            for coin, position in dex_account.positions.items()
            if position.szi != 0
        }

    # -- time ------------------------------------------------------------------

    def _event_time(self) -> int:
        """The time of a state change: never at or before a time already observed by a query,
        so a snapshot at T covers exactly the fills with time <= T."""
        now = max(self._clock(), self._time)
        if now <= self._observed_at:
            now = self._observed_at + 1
        self._time = now
        return now

    def _observe_time(self) -> int:
        now = max(self._clock(), self._time)
        self._observed_at = now
        self._time = now
        return now

    # -- accounts --------------------------------------------------------------

    def _account(self, address: str, *, create: bool) -> Account:
        account = self._accounts.get(address)
        if account is None:
            if not create:
                reject(f"User or API Wallet {address} does not exist.")
            account = self._accounts[address] = Account(address)
        return account

    def _dex_account(self, account: Account, dex: str) -> DexAccount:
        dex_account = account.dexes.get(dex)
        if dex_account is None:
            funded = self.config.auto_accounts and account.address != LP_ADDRESS
            balance = self.config.starting_balance if funded else _ZERO
            dex_account = account.dexes[dex] = DexAccount(balance)
        return dex_account

    def _marks(self) -> dict[str, Decimal]:
        return {coin: market.oracle for coin, market in self._markets.items()}

    def _make_vault(self, leader: str, name: str) -> str:
        digest = keccak256(bytes.fromhex(leader[2:]) + name.encode())
        vault = "0x" + digest[-20:].hex()
        self._vault_leaders[vault] = leader
        self._account(vault, create=True)
        return vault

    # -- events ----------------------------------------------------------------

    def _emit(self, channel: str, key: str, item: Any) -> None:
        self._outbox.setdefault((channel, key), []).append(item)

    def _flush(self) -> None:
        if not self._outbox:
            return
        outbox, self._outbox = self._outbox, {}
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
            for listener in self._listeners:
                listener(event)

    # =========================================================================
    # /info
    # =========================================================================

    def info(self, request: Mapping[str, Any]) -> Json:
        """The venue's answer to an ``/info`` request; SimBadRequest if it is malformed."""
        if not isinstance(request, Mapping):
            raise SimBadRequest("request: expected a JSON object")
        kind = request.get("type")
        if not isinstance(kind, str):
            raise SimBadRequest("type: expected a string naming the info request")
        handler = _INFO_HANDLERS.get(kind)
        if handler is None:
            raise SimBadRequest(f"type: unknown info request type {kind!r}")
        return handler(self, request)

    # -- request fields --

    def _req_user(self, request: Mapping[str, Any]) -> Account:
        user = request.get("user")
        if not is_address(user):
            raise SimBadRequest("user: expected an address (0x + 40 hex digits)")
        assert isinstance(user, str)
        address = user.lower()
        if self.config.auto_accounts:
            # First use of an address opens (and funds) its account, as for a signer.
            return self._account(address, create=True)
        return self._accounts.get(address) or Account(address)

    def _req_dex(self, request: Mapping[str, Any]) -> str:
        dex = request.get("dex", "")
        if dex is None:
            dex = ""
        if not isinstance(dex, str):
            raise SimBadRequest("dex: expected a string")
        if dex not in self._dex_markets:
            raise SimBadRequest(f"dex: unknown perp dex {dex!r}")
        return dex

    @staticmethod
    def _req_time(request: Mapping[str, Any], key: str, *, optional: bool) -> int | None:
        value = request.get(key)
        if value is None and optional:
            return None
        if type(value) is not int:
            raise SimBadRequest(f"{key}: expected an integer (ms)")
        return value

    # -- market data --

    def _info_meta(self, request: Mapping[str, Any]) -> Json:
        return self._meta(self._req_dex(request))

    def _meta(self, dex: str) -> dict[str, Any]:
        universe = []
        tables: dict[int, Any] = {}
        for market in self._dex_markets[dex]:
            spec = market.spec
            entry: dict[str, Any] = {
                "name": spec.name,
                "szDecimals": spec.sz_decimals,
                "maxLeverage": spec.max_leverage,
                "marginTableId": spec.max_leverage,
            }
            if market.delisted:
                entry["isDelisted"] = True
            if spec.only_isolated:
                entry["onlyIsolated"] = True
                entry["marginMode"] = "noCross"
            universe.append(entry)
            tables[spec.max_leverage] = {
                "description": "",
                "marginTiers": [{"lowerBound": "0.0", "maxLeverage": spec.max_leverage}],
            }
        return {
            "universe": universe,
            "marginTables": [[table_id, table] for table_id, table in sorted(tables.items())],
            "collateralToken": self._token_index[self._collateral[dex]],
        }

    def _asset_ctx(self, market: MarketState) -> dict[str, Any]:
        bid, ask = market.book.best_bid(), market.book.best_ask()
        mid = market.mid() if bid is not None and ask is not None else None
        return {
            "funding": wire_decimal(self.config.funding_rate),
            "openInterest": wire_decimal(self._open_interest(market)),
            "prevDayPx": wire_decimal(market.prev_day_px),
            "dayNtlVlm": wire_decimal(market.day_ntl_vlm),
            "premium": "0.0",
            "oraclePx": wire_decimal(market.oracle),
            "markPx": wire_decimal(market.oracle),
            "midPx": wire_decimal(mid) if mid is not None else None,
            "impactPxs": [wire_decimal(bid), wire_decimal(ask)]
            if bid is not None and ask is not None
            else None,
            "dayBaseVlm": wire_decimal(market.day_base_vlm),
        }

    def _open_interest(self, market: MarketState) -> Decimal:
        total = _ZERO
        for account in self._accounts.values():
            dex_account = account.dexes.get(market.dex)
            if dex_account is not None:
                szi = dex_account.szi(market.coin)
                if szi > 0:
                    total += szi
        return total

    def _info_meta_and_ctxs(self, request: Mapping[str, Any]) -> Json:
        dex = self._req_dex(request)
        return [self._meta(dex), [self._asset_ctx(m) for m in self._dex_markets[dex]]]

    def _info_perp_dexs(self, request: Mapping[str, Any]) -> Json:
        answer: list[Any] = [None]
        for dex in self.config.dexes[1:]:
            coins = [market.name for market in dex.markets]
            answer.append(
                {
                    "name": dex.name,
                    "fullName": dex.full_name,
                    "deployer": dex.deployer,
                    "oracleUpdater": None,
                    "feeRecipient": None,
                    "assetToStreamingOiCap": [[coin, _cap_wire(_OI_CAP)] for coin in coins],
                    "assetToFundingMultiplier": [[coin, "1.0"] for coin in coins],
                    "subDeployers": [],
                    "deployerFeeScale": "1.0",
                    "lastDeployerFeeScaleChangeTime": "1970-01-01T00:00:00",
                    "assetToFundingInterestRate": [
                        [coin, wire_decimal(self.config.funding_rate)] for coin in coins
                    ],
                }
            )
        return answer

    def _info_spot_meta(self, request: Mapping[str, Any]) -> Json:
        tokens = [_token_entry("USDC", 8, 8, 0)]
        universe = []
        for index, pair in enumerate(self.config.spot):
            tokens.append(_token_entry(pair.base, pair.sz_decimals, pair.wei_decimals, index + 1))
            universe.append(
                {
                    "tokens": [index + 1, 0],
                    "name": spot_pair_name(index, pair),
                    "index": index,
                    "isCanonical": index == 0,
                }
            )
        for token, index in self._token_index.items():
            if index > len(self.config.spot):  # a dex's collateral, traded on no spot pair
                tokens.append(_token_entry(token, 2, 8, index))
        return {"universe": universe, "tokens": tokens}

    def _info_spot_meta_and_ctxs(self, request: Mapping[str, Any]) -> Json:
        # One context per spot pair of spotMeta's universe, in the same order (none today).
        meta = self._info_spot_meta(request)
        ctxs = []
        for market in self._spot_markets:
            bid, ask = market.book.best_bid(), market.book.best_ask()
            held = sum(
                (
                    account.spot.get(self._spot_base[market.coin], _ZERO)
                    for account in self._accounts.values()
                ),
                _ZERO,
            )
            ctxs.append(
                {
                    "prevDayPx": wire_decimal(market.prev_day_px),
                    "dayNtlVlm": wire_decimal(market.day_ntl_vlm),
                    "markPx": wire_decimal(market.oracle),
                    "midPx": wire_decimal(market.mid()) if bid and ask else None,
                    "circulatingSupply": wire_decimal(held),
                    "coin": market.coin,
                    "totalSupply": wire_decimal(held),
                    "dayBaseVlm": wire_decimal(market.day_base_vlm),
                }
            )
        return [meta, ctxs]

    def _req_coin(self, request: Mapping[str, Any], key: str = "coin") -> MarketState:
        coin = request.get(key)
        if not isinstance(coin, str):
            raise SimBadRequest(f"{key}: expected a string naming a coin")
        market = self._markets.get(coin)
        if market is None:
            raise SimBadRequest(f"{key}: unknown coin {coin!r}")
        return market

    def _info_candle_snapshot(self, request: Mapping[str, Any]) -> Json:
        req = request.get("req")
        if not isinstance(req, Mapping):
            raise SimBadRequest("req: expected an object with coin, interval, startTime, endTime")
        market = self._req_coin(req)
        interval = req.get("interval")
        if not isinstance(interval, str):
            raise SimBadRequest("req.interval: expected a string such as '1m'")
        start = self._req_time(req, "startTime", optional=False)
        end = self._req_time(req, "endTime", optional=True)
        now = self._observe_time()
        assert start is not None
        trades = self._history[market.coin].trades
        return candles(market.coin, interval, trades, start, now if end is None else end)

    def _info_recent_trades(self, request: Mapping[str, Any]) -> Json:
        market = self._req_coin(request)
        self._observe_time()
        return self._history[market.coin].recent_trades(_RECENT_TRADES)

    def _info_funding_history(self, request: Mapping[str, Any]) -> Json:
        market = self._req_coin(request)
        start = self._req_time(request, "startTime", optional=False)
        end = self._req_time(request, "endTime", optional=True)
        now = self._observe_time()
        assert start is not None
        history = self._history[market.coin]
        return history.fundings_between(start, now if end is None else end, _FUNDING_LIMIT)

    # -- venue, fees, roles (computed from the engine's state) --

    def _info_exchange_status(self, request: Mapping[str, Any]) -> Json:
        return {"time": self._observe_time(), "specialStatuses": None}

    def _info_all_perp_metas(self, request: Mapping[str, Any]) -> Json:
        return [self._info_meta_and_ctxs({"dex": dex}) for dex in self._dex_names]

    def _info_perp_dex_limits(self, request: Mapping[str, Any]) -> Json:
        dex = self._req_dex(request)
        if dex == "":
            raise SimBadRequest("dex: perpDexLimits needs a HIP-3 dex name, not the main dex")
        coins = [market.coin for market in self._dex_markets[dex]]
        return {
            "totalOiCap": _cap_wire(_OI_CAP * len(coins)),
            "oiSzCapPerPerp": _cap_wire(_OI_CAP),
            "maxTransferNtl": _cap_wire(_DEX_TRANSFER_CAP),
            "coinToOiCap": [[coin, _cap_wire(_OI_CAP)] for coin in coins],
        }

    def _info_perps_at_oi_cap(self, request: Mapping[str, Any]) -> Json:
        dex = self._req_dex(request)
        return [
            market.coin
            for market in self._dex_markets[dex]
            if self._open_interest(market) * market.oracle >= _OI_CAP
        ]

    def _info_predicted_fundings(self, request: Mapping[str, Any]) -> Json:
        now = self._observe_time()
        interval = self.config.funding_interval_ms
        upcoming = (now // interval + 1) * interval
        hours = max(1, interval // 3_600_000)
        return [
            [
                market.coin,
                [
                    [
                        "HlPerp",
                        {
                            "fundingRate": wire_decimal(self.config.funding_rate),
                            "nextFundingTime": upcoming,
                            "fundingIntervalHours": hours,
                        },
                    ]
                ],
            ]
            for market in self._dex_markets[""]  # only the first perp dex (api doc §1.1)
        ]

    def _info_user_fees(self, request: Mapping[str, Any]) -> Json:
        account = self._req_user(request)
        now = self._observe_time()
        days: dict[int, list[Decimal]] = {}
        first_day = now // _DAY_MS - 14
        for fill in account.fills:
            day = fill["time"] // _DAY_MS
            if day >= first_day:
                volume = days.setdefault(day, [_ZERO, _ZERO])
                volume[0 if fill["crossed"] else 1] += Decimal(fill["px"]) * Decimal(fill["sz"])
        daily = [
            {
                "date": time.strftime("%Y-%m-%d", time.gmtime(day * _DAY_MS // 1000)),
                "userCross": wire_decimal(usd(cross)),
                "userAdd": wire_decimal(usd(add)),
                "exchange": wire_decimal(usd(cross + add)),
            }
            for day, (cross, add) in sorted(days.items())
        ]
        taker, maker = wire_decimal(self.config.taker_fee), wire_decimal(self.config.maker_fee)
        return {
            "dailyUserVlm": daily,
            "feeSchedule": {
                "cross": taker,
                "add": maker,
                "spotCross": taker,
                "spotAdd": maker,
                "tiers": {"vip": [], "mm": []},
                "referralDiscount": "0.0",
                "stakingDiscountTiers": [],
            },
            "userCrossRate": taker,
            "userAddRate": maker,
            "userSpotCrossRate": taker,
            "userSpotAddRate": maker,
            "activeReferralDiscount": "0.0",
            "trial": None,
            "feeTrialReward": "0.0",
            "nextTrialAvailableTimestamp": None,
            "stakingLink": None,
            "activeStakingDiscount": {"bpsOfMaxSupply": "0.0", "discount": "0.0"},
        }

    def _info_max_builder_fee(self, request: Mapping[str, Any]) -> Json:
        account = self._req_user(request)
        builder = request.get("builder")
        if not is_address(builder):
            raise SimBadRequest("builder: expected an address (0x + 40 hex digits)")
        assert isinstance(builder, str)
        approved = self._builder_approvals.get((account.address, builder.lower()))
        if approved is None:
            return 0
        # "0.01%" approves 1 bp: the answer is in tenths of a basis point.
        return int(Decimal(approved.rstrip("%")) * 1000)

    def _info_active_asset_data(self, request: Mapping[str, Any]) -> Json:
        account = self._req_user(request)
        market = self._req_coin(request)
        if market.spot:
            raise SimBadRequest(
                f"coin: {market.coin!r} is a spot pair; activeAssetData is perps only"
            )
        self._observe_time()
        coin = market.coin
        if account.address in self._accounts:
            dex_account = self._dex_account(account, market.dex)
        else:
            dex_account = DexAccount(_ZERO)
        is_cross, leverage = dex_account.leverage_of(coin, self._default_leverage[coin])
        free = max(_ZERO, dex_account.available(self._marks(), self._default_leverage))
        mark = market.oracle
        szi = dex_account.szi(coin)
        to_trade = []
        sizes = []
        for is_buy in (True, False):
            closable = max(_ZERO, -szi if is_buy else szi)
            notional = usd(free * leverage + closable * mark)
            to_trade.append(wire_decimal(notional))
            sizes.append(wire_decimal((notional / mark).quantize(market.lot, rounding=ROUND_DOWN)))
        return {
            "user": account.address,
            "coin": coin,
            "leverage": {"type": "cross", "value": leverage}
            if is_cross
            else {"type": "isolated", "value": leverage, "rawUsd": wire_decimal(usd(-szi * mark))},
            "maxTradeSzs": sizes,
            "availableToTrade": to_trade,
            "markPx": wire_decimal(mark),
        }

    def _info_sub_accounts(self, request: Mapping[str, Any]) -> Json:
        account = self._req_user(request)
        now = self._observe_time()
        subs = [
            (address, name)
            for address, name in self._sub_accounts.items()
            if self._vault_leaders.get(address) == account.address
        ]
        if not subs:
            return None  # the venue answers null for an address without sub-accounts
        return [
            {
                "name": name,
                "subAccountUser": address,
                "master": account.address,
                "clearinghouseState": self._clearinghouse_state(self._accounts[address], "", now),
                "spotState": self._info_spot_clearinghouse({"user": address}),
            }
            for address, name in subs
        ]

    def _info_user_role(self, request: Mapping[str, Any]) -> Json:
        address = self._req_address(request)
        now = self._observe_time()
        master = self._agent_master(address, now)
        if master is not None:
            return {"role": "agent", "data": {"user": master}}
        if address in self._sub_accounts:
            return {"role": "subAccount", "data": {"master": self._vault_leaders[address]}}
        if address in self._vault_leaders:
            return {"role": "vault"}
        if address in self._accounts and address != LP_ADDRESS:
            return {"role": "user"}
        return {"role": "missing"}

    def _info_user_abstraction(self, request: Mapping[str, Any]) -> Json:
        account = self._req_user(request)
        return self._abstraction.get(account.address, "default")

    def _info_all_mids(self, request: Mapping[str, Any]) -> Json:
        dex = self._req_dex(request)
        markets = self._dex_markets[dex] + (self._spot_markets if dex == "" else [])
        return {m.coin: wire_decimal(m.mid()) for m in markets}

    def _info_l2_book(self, request: Mapping[str, Any]) -> Json:
        coin = request.get("coin")
        if not isinstance(coin, str):
            raise SimBadRequest("coin: expected a string")
        sig_figs = request.get("nSigFigs")
        if sig_figs is not None and (type(sig_figs) is not int or not 2 <= sig_figs <= 5):
            raise SimBadRequest("nSigFigs: expected 2, 3, 4, 5 or null")
        mantissa = request.get("mantissa")
        if mantissa is not None and (sig_figs != 5 or mantissa not in (1, 2, 5)):
            raise SimBadRequest("mantissa: expected 1, 2 or 5, and only with nSigFigs 5")
        market = self._markets.get(coin)
        if market is None:
            return None
        now = self._observe_time()
        return {
            "coin": coin,
            "time": now,
            "levels": [
                [
                    {"px": wire_decimal(px), "sz": wire_decimal(sz), "n": n}
                    for px, sz, n in market.book.depth(is_buy, _BOOK_DEPTH, sig_figs)
                ]
                for is_buy in (True, False)
            ],
        }

    # -- account state --

    def _info_clearinghouse(self, request: Mapping[str, Any]) -> Json:
        account = self._req_user(request)
        dex = self._req_dex(request)
        now = self._observe_time()
        return self._clearinghouse_state(account, dex, now)

    def _clearinghouse_state(self, account: Account, dex: str, now: int) -> dict[str, Any]:
        if account.address in self._accounts:
            dex_account = self._dex_account(account, dex)
        else:
            dex_account = DexAccount(_ZERO)  # an address without an account (auto_accounts off)
        max_leverage = {coin: market.spec.max_leverage for coin, market in self._markets.items()}
        state = clearinghouse_state(
            dex_account, self._marks(), self._default_leverage, max_leverage, now
        )
        if self._abstraction.get(account.address) in _SPOT_COLLATERAL_MODES:
            _blank_money_fields(state)
        return state

    def _info_spot_clearinghouse(self, request: Mapping[str, Any]) -> Json:
        account = self._req_user(request)
        self._observe_time()
        unified = self._unified_collateral(account)
        balances = []
        for token, index in self._token_index.items():
            extra_total, extra_hold = unified.get(token, (_ZERO, _ZERO))
            total = account.spot.get(token, _ZERO) + extra_total
            hold = account.spot_hold.get(token, _ZERO) + extra_hold
            if total == 0 and hold == 0 and token != "USDC":
                continue
            if token == "USDC" and total == 0 and len(account.spot) == 0 and not unified:
                continue  # an account that never touched spot lists nothing
            balances.append(
                {
                    "coin": token,
                    "token": index,
                    "hold": wire_decimal(hold),
                    "total": wire_decimal(total),
                    "entryNtl": wire_decimal(account.spot_entry.get(token, _ZERO)),
                }
            )
        return {"balances": balances}

    def _open_orders_of(self, account: Account, dex: str) -> list[Order]:
        orders = [
            order for order in account.open_orders.values() if self._markets[order.coin].dex == dex
        ]
        orders.sort(key=lambda order: order.oid, reverse=True)
        return orders

    def _info_open_orders(self, request: Mapping[str, Any]) -> Json:
        account = self._req_user(request)
        dex = self._req_dex(request)
        self._observe_time()
        return [basic_order(order) for order in self._open_orders_of(account, dex)]

    def _info_frontend_open_orders(self, request: Mapping[str, Any]) -> Json:
        account = self._req_user(request)
        dex = self._req_dex(request)
        self._observe_time()
        return [frontend_order(order, order.sz) for order in self._open_orders_of(account, dex)]

    def _info_user_fills(self, request: Mapping[str, Any]) -> Json:
        account = self._req_user(request)
        aggregate = self._req_aggregate(request)
        self._observe_time()
        fills = account.recent_fills(_FILLS_LIMIT)
        return aggregate_by_time(fills) if aggregate else fills

    def _info_user_fills_by_time(self, request: Mapping[str, Any]) -> Json:
        account = self._req_user(request)
        aggregate = self._req_aggregate(request)
        start = self._req_time(request, "startTime", optional=False)
        end = self._req_time(request, "endTime", optional=True)
        now = self._observe_time()
        assert start is not None
        fills = account.fills_between(start, now if end is None else end, _FILLS_LIMIT)
        return aggregate_by_time(fills) if aggregate else fills

    @staticmethod
    def _req_aggregate(request: Mapping[str, Any]) -> bool:
        value = request.get("aggregateByTime")
        if value is not None and type(value) is not bool:
            raise SimBadRequest("aggregateByTime: expected true or false")
        return bool(value)

    def _info_order_status(self, request: Mapping[str, Any]) -> Json:
        account = self._req_user(request)
        ref = request.get("oid")
        self._observe_time()
        if type(ref) is int:
            order = account.orders.get(ref)
        elif is_cloid(ref):
            assert isinstance(ref, str)
            oid = account.cloids.get(ref.lower())
            order = account.orders.get(oid) if oid is not None else None
        else:
            raise SimBadRequest("oid: expected an integer oid or a '0x' + 32 hex digits cloid")
        if order is None:
            return {"status": "unknownOid"}
        return {"status": "order", "order": status_entry(order)}

    def _info_historical_orders(self, request: Mapping[str, Any]) -> Json:
        account = self._req_user(request)
        self._observe_time()
        orders = sorted(account.orders.values(), key=lambda order: order.oid, reverse=True)
        return [status_entry(order) for order in orders[:_FILLS_LIMIT]]

    def _in_time_window(
        self, request: Mapping[str, Any], entries: Iterable[Mapping[str, Any]]
    ) -> Json:
        """The entries with ``startTime <= time <= endTime`` (end defaults to now), at most
        500 like the venue's time-range answers (api doc §1.12)."""
        start = self._req_time(request, "startTime", optional=False)
        end = self._req_time(request, "endTime", optional=True)
        now = self._observe_time()
        assert start is not None
        end = now if end is None else end
        return [e for e in entries if start <= e["time"] <= end][:_FUNDING_LIMIT]

    def _info_user_funding(self, request: Mapping[str, Any]) -> Json:
        return self._in_time_window(request, self._req_user(request).fundings)

    def _info_user_ledger(self, request: Mapping[str, Any]) -> Json:
        return self._in_time_window(request, self._req_user(request).ledger)

    def _info_user_rate_limit(self, request: Mapping[str, Any]) -> Json:
        account = self._req_user(request)
        return {
            "cumVlm": wire_decimal(usd(account.cum_volume)),
            "nRequestsUsed": account.n_actions,
            "nRequestsCap": 10_000 + int(account.cum_volume),
            "nRequestsSurplus": 0,
        }

    def _req_address(self, request: Mapping[str, Any]) -> str:
        """The request's ``user`` address, lower-cased, without opening an account."""
        user = request.get("user")
        if not is_address(user):
            raise SimBadRequest("user: expected an address (0x + 40 hex digits)")
        assert isinstance(user, str)
        return user.lower()

    def _info_extra_agents(self, request: Mapping[str, Any]) -> Json:
        """The agents a user approved that are still valid."""
        address = self._req_address(request)
        now = self._clock()
        return [
            {"name": name, "address": agent, "validUntil": valid_until}
            for agent, (master, name, valid_until) in self._agents.items()
            if master == address and (valid_until is None or valid_until > now)
        ]

    # =========================================================================
    # /exchange
    # =========================================================================

    def exchange(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The venue's envelope for one signed action; refusals are ``{"status":"err"}``."""
        try:
            response = self._exchange(body)
        except Reject as rejection:
            self._outbox.clear()
            return {"status": "err", "response": rejection.text}
        self._flush()
        if isinstance(response, Committed):
            return {"status": "err", "response": response.text}
        return {"status": "ok", "response": response}

    def _exchange(self, body: Mapping[str, Any]) -> dict[str, Any] | Committed:
        if not isinstance(body, Mapping):
            reject("Invalid request: expected a JSON object")
        envelope = Fields(body, "")
        action_fields = envelope.get_obj("action")
        action = action_fields.data
        kind = action_fields.get_str("type")
        nonce = envelope.req_int("nonce")
        signature = body.get("signature")
        if not isinstance(signature, Mapping):
            reject("Invalid request: signature: expected an object with r, s, v")
        vault = body.get("vaultAddress")
        if vault is not None and not is_address(vault):
            reject("Invalid request: vaultAddress: expected an address or null")
        expires_after = envelope.get_int("expiresAfter", optional=True)
        now = max(self._clock(), self._time)
        parsed: Any = None
        weight = 1
        if kind in _USER_SIGNED:
            context = self._verify_user_signed(
                action, kind, nonce, signature, vault, expires_after, now
            )
        else:
            handler = _L1_HANDLERS.get(kind)
            if handler is None:
                reject(f"Invalid action: type: unknown action type {kind!r}")
            parsed, canonical = handler[0](self, action)
            context = self._verify_l1(canonical, nonce, signature, vault, expires_after, now)
            # A batch of n orders or cancels counts n requests for the address (api doc §5).
            if kind == "order":
                weight = len(parsed[0])
            elif kind in _BATCHED:
                weight = len(parsed)
        self._nonces.setdefault(context.signer, NonceSet())
        context = attrs.evolve(context, now=self._event_time())
        result: dict[str, Any] | Committed
        if kind in _USER_SIGNED:
            result = _USER_SIGNED_HANDLERS[kind](self, context, action)
        else:
            result = _L1_HANDLERS[kind][1](self, context, parsed)
        # Only an accepted action uses its nonce: a refusal changes nothing.
        self._nonces[context.signer].use(nonce)
        self._accounts[context.user].n_actions += weight
        return result

    # -- verification --

    def _check_nonce(self, signer: str, nonce: int, now: int) -> None:
        if not now - _NONCE_PAST_MS < nonce < now + _NONCE_FUTURE_MS:
            reject(f"Invalid nonce: nonce {nonce} is outside the allowed window around {now}")
        nonces = self._nonces.get(signer)
        if nonces is not None:
            problem = nonces.check(nonce)
            if problem is not None:
                reject(problem)

    def _agent_master(self, address: str, now: int) -> str | None:
        entry = self._agents.get(address)
        if entry is None:
            return None
        master, _name, valid_until = entry
        if valid_until is not None and valid_until <= now:
            return None
        return master

    def _verify_l1(
        self,
        canonical: Mapping[str, Any],
        nonce: int,
        signature: Mapping[str, Any],
        vault: str | None,
        expires_after: int | None,
        now: int,
    ) -> _Context:
        vault = vault.lower() if vault is not None else None
        # Testnet first (what the SDK signs off mainnet); the mainnet source is only recovered
        # when the first signer is not one the venue knows (a recovery is the costly part).
        candidates: list[str] = []
        chosen: tuple[str, str, bool] | None = None  # signer, master, mainnet
        for mainnet in (False, True):
            try:
                signer = recover_l1_signer(
                    canonical,
                    nonce=nonce,
                    signature=signature,
                    vault_address=vault,
                    expires_after=expires_after,
                    mainnet=mainnet,
                )
            except SigningError as exc:
                reject(f"Invalid signature: {exc}")
            candidates.append(signer)
            master = self._agent_master(signer, now)
            if master is None and signer in self._accounts and signer != LP_ADDRESS:
                master = signer
            if master is not None and (vault is None or self._vault_leaders.get(vault) == master):
                chosen = (signer, master, mainnet)
                break
        if chosen is None:
            signer = candidates[0]
            if vault is not None or not self.config.auto_accounts or signer == LP_ADDRESS:
                reject(f"User or API Wallet {signer} does not exist.")
            chosen = (signer, signer, False)
        signer, master, mainnet = chosen
        if expires_after is not None and expires_after < now:
            reject(f"Action expired: expiresAfter {expires_after} < {now}")
        self._check_nonce(signer, nonce, now)
        user = vault if vault is not None else master
        self._account(user, create=True)
        return _Context(user=user, signer=signer, now=now, mainnet=mainnet)

    def _verify_user_signed(
        self,
        action: Mapping[str, Any],
        kind: str,
        nonce: int,
        signature: Mapping[str, Any],
        vault: str | None,
        expires_after: int | None,
        now: int,
    ) -> _Context:
        chain = action.get("hyperliquidChain")
        if chain not in ("Mainnet", "Testnet"):
            reject("Invalid action: hyperliquidChain: expected 'Mainnet' or 'Testnet'")
        if expires_after is not None:
            reject(f"expiresAfter is not supported for {kind}")
        if vault is not None:
            reject(f"vaultAddress is not supported for {kind}")
        inner_nonce = action.get("time" if kind in ("usdSend", "withdraw3") else "nonce")
        if type(inner_nonce) is not int:
            reject("Invalid action: nonce: expected an integer time/nonce field in the action")
        if inner_nonce != nonce:
            reject(
                f"Invalid nonce: action nonce {inner_nonce} does not match request nonce {nonce}"
            )
        try:
            signer = recover_user_signed_signer(action, signature)
        except SigningError as exc:
            reject(f"Invalid signature: {exc}")
        if signer == LP_ADDRESS or self._agent_master(signer, now) is not None:
            reject(f"User or API Wallet {signer} does not exist.")
        if signer not in self._accounts and not self.config.auto_accounts:
            reject(f"User or API Wallet {signer} does not exist.")
        self._check_nonce(signer, nonce, now)
        self._account(signer, create=True)
        return _Context(user=signer, signer=signer, now=now, mainnet=chain == "Mainnet")

    # =========================================================================
    # L1 actions: parse (validate + canonical form) then apply
    # =========================================================================

    def _parse_orders(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        fields = Fields(action, "")
        raw_orders = self._batch(fields, "orders")
        if not raw_orders:
            reject("Invalid action: orders: empty order batch")
        specs = [parse_order(raw, f"orders[{index}]") for index, raw in enumerate(raw_orders)]
        grouping = action.get("grouping")
        if grouping not in ("na", "normalTpsl"):
            reject(f"Invalid action: grouping: 'na' or 'normalTpsl' supported, got {grouping!r}")
        if grouping == "normalTpsl":
            parent, children = specs[0], specs[1:]
            if (
                not children
                or parent.trigger is not None
                or any(
                    child.trigger is None
                    or not child.reduce_only
                    or child.is_buy == parent.is_buy
                    or child.asset != parent.asset
                    for child in children
                )
            ):
                reject(
                    "Invalid TP/SL orders: normalTpsl is a limit parent followed by reduce-only "
                    "trigger orders on the other side of the same asset."
                )
        builder: tuple[str, int] | None = None
        canonical: dict[str, Any] = {
            "type": "order",
            "orders": [spec.canonical() for spec in specs],
            "grouping": grouping,
        }
        if action.get("builder") is not None:
            builder_fields = fields.get_obj("builder")
            address = builder_fields.get_str("b")
            fee = builder_fields.req_int("f")
            if not is_address(address):
                reject("Invalid action: builder.b: expected an address")
            if not 0 <= fee <= 100:
                reject("Builder fee too high: at most 100 (0.1%) on perps")
            builder = (address.lower(), fee)
            canonical["builder"] = {"b": address.lower(), "f": fee}
        return (specs, builder, grouping == "normalTpsl"), canonical

    def _apply_orders(self, context: _Context, parsed: Any) -> dict[str, Any]:
        specs, builder, tpsl_group = parsed
        if not tpsl_group:
            statuses = [self._place(context, spec, builder) for spec in specs]
            return {"type": "order", "data": {"statuses": statuses}}
        # normalTpsl: the children are placed iff the parent fills (api doc §6).
        parent_status = self._place(context, specs[0], builder)
        children = specs[1:]
        child_statuses: list[Any]
        entry = parent_status.get("resting") or parent_status.get("filled")
        parent = self._accounts[context.user].orders[entry["oid"]] if entry else None
        if parent is None:
            error = {"error": "TP/SL not placed: the parent order was rejected."}
            child_statuses = [error] * len(children)
        elif parent.status == "open":
            parent.children = tuple(children)
            child_statuses = ["waitingForFill"] * len(children)
        elif parent.status == "filled":
            child_statuses = self._place_children(parent, tuple(children), context.now)
        else:
            error = {"error": "TP/SL not placed: the parent order did not fill."}
            child_statuses = [error] * len(children)
        return {"type": "order", "data": {"statuses": [parent_status, *child_statuses]}}

    def _place_children(self, parent: Order, children: tuple[Any, ...], now: int) -> list[Any]:
        """Place a filled parent's TP/SL orders as one one-cancels-other group."""
        context = _Context(user=parent.user, signer=parent.user, now=now, mainnet=False)
        parent.children = ()
        siblings: list[int] = []
        statuses: list[Any] = []
        for spec in children:
            status = self._place(context, spec, None)
            if "resting" in status:
                oid = status["resting"]["oid"]
                siblings.append(oid)
                self._accounts[parent.user].orders[oid].siblings = siblings
                statuses.append("waitingForTrigger")
            else:
                statuses.append(status)
        return statuses

    def _batch(self, fields: Fields, name: str) -> list[Any]:
        """The action's list ``name`` (orders, cancels, modifies), at most ``max_batch`` long."""
        items = fields.get_list(name)
        if len(items) > self.config.max_batch:
            reject(f"Too many {name} in one action: {len(items)} > {self.config.max_batch}")
        return items

    def _parse_cancel(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        fields = Fields(action, "")
        raw = self._batch(fields, "cancels")
        cancels = []
        for index, item in enumerate(raw):
            entry = Fields(item, f"cancels[{index}]")
            cancels.append((entry.req_int("a"), entry.req_int("o")))
        canonical: dict[str, Any] = {
            "type": "cancel",
            "cancels": [{"a": asset, "o": oid} for asset, oid in cancels],
        }
        if action.get("f") is not None and fields.get_bool("f"):
            # "f" is part of the signed action only when true (api doc §2.4): a client that
            # signed "f": false hashed something else and recovers another address.
            canonical["f"] = True
        return cancels, canonical

    def _apply_cancel(self, context: _Context, cancels: Any) -> dict[str, Any]:
        account = self._accounts[context.user]
        statuses = [
            self._cancel_one(context, account.open_orders.get(oid), asset) for asset, oid in cancels
        ]
        return {"type": "cancel", "data": {"statuses": statuses}}

    def _parse_cancel_by_cloid(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        fields = Fields(action, "")
        raw = self._batch(fields, "cancels")
        cancels = []
        for index, item in enumerate(raw):
            entry = Fields(item, f"cancels[{index}]")
            asset = entry.req_int("asset")
            cloid = entry.get_str("cloid")
            if not is_cloid(cloid):
                reject(f"Invalid action: cancels[{index}].cloid: expected '0x' and 32 hex digits")
            cancels.append((asset, cloid.lower()))
        canonical = {
            "type": "cancelByCloid",
            "cancels": [{"asset": asset, "cloid": cloid} for asset, cloid in cancels],
        }
        return cancels, canonical

    def _apply_cancel_by_cloid(self, context: _Context, cancels: Any) -> dict[str, Any]:
        account = self._accounts[context.user]
        statuses = []
        for asset, cloid in cancels:
            oid = account.cloids.get(cloid)
            order = account.open_orders.get(oid) if oid is not None else None
            statuses.append(self._cancel_one(context, order, asset))
        return {"type": "cancel", "data": {"statuses": statuses}}

    def _cancel_one(self, context: _Context, order: Order | None, asset: int) -> Any:
        if order is None or order.asset != asset:
            return {"error": "Order was never placed, already canceled, or filled."}
        self._cancel(order, "canceled", context.now)
        return "success"

    def _parse_modify_target(self, value: Any, path: str) -> int | str:
        if type(value) is int:
            return value
        if is_cloid(value):
            assert isinstance(value, str)
            return value.lower()
        reject(f"Invalid action: {path}: expected an oid or a cloid")

    def _parse_modify(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        target = self._parse_modify_target(action.get("oid"), "oid")
        spec = parse_order(action.get("order"), "order")
        canonical: dict[str, Any] = {"type": "modify", "oid": target, "order": spec.canonical()}
        if action.get("a") is True:  # always_place; signed only when true (api doc §2.5)
            canonical["a"] = True
        return (target, spec), canonical

    def _apply_modify(self, context: _Context, parsed: Any) -> dict[str, Any] | Committed:
        target, spec = parsed
        order = self._modify_target(context, target)
        if order is None:
            reject("Cannot modify canceled or filled order")
        status = self._modify(context, order, spec)
        if "error" in status:
            # A modify is cancel + place: the old order stays cancelled, the refusal is reported.
            return Committed(str(status["error"]))
        return {"type": "default"}

    def _parse_batch_modify(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        raw = self._batch(Fields(action, ""), "modifies")
        modifies = []
        for index, item in enumerate(raw):
            entry = Fields(item, f"modifies[{index}]")
            target = self._parse_modify_target(entry.data.get("oid"), f"modifies[{index}].oid")
            modifies.append(
                (target, parse_order(entry.data.get("order"), f"modifies[{index}].order"))
            )
        canonical = {
            "type": "batchModify",
            "modifies": [{"oid": target, "order": spec.canonical()} for target, spec in modifies],
        }
        return modifies, canonical

    def _apply_batch_modify(self, context: _Context, modifies: Any) -> dict[str, Any]:
        statuses = []
        for target, spec in modifies:
            order = self._modify_target(context, target)
            if order is None:
                statuses.append({"error": "Cannot modify canceled or filled order"})
            else:
                statuses.append(self._modify(context, order, spec))
        return {"type": "order", "data": {"statuses": statuses}}

    def _modify_target(self, context: _Context, target: int | str) -> Order | None:
        account = self._accounts[context.user]
        oid = target if isinstance(target, int) else account.cloids.get(target)
        return account.open_orders.get(oid) if oid is not None else None

    def _modify(self, context: _Context, order: Order, spec: OrderSpec) -> dict[str, Any]:
        """Cancel ``order`` and place ``spec`` (a new oid). The cloid may be reused."""
        if spec.asset != order.asset:
            return {"error": f"Modified order must keep its asset. asset={spec.asset}"}
        self._cancel(order, "canceled", context.now)
        account = self._accounts[context.user]
        if order.cloid is not None and account.cloids.get(order.cloid) == order.oid:
            del account.cloids[order.cloid]
        status: dict[str, Any] = self._place(context, spec, None)
        return status

    def _parse_schedule_cancel(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        time_ms = Fields(action, "").get_int("time", optional=True)
        canonical: dict[str, Any] = {"type": "scheduleCancel"}
        if time_ms is not None:
            canonical["time"] = time_ms
        return time_ms, canonical

    def _apply_schedule_cancel(self, context: _Context, time_ms: Any) -> dict[str, Any]:
        if time_ms is None:
            self._schedules.pop(context.user, None)
            return {"type": "default"}
        if time_ms < context.now + _SCHEDULE_MIN_MS:
            reject("Scheduled cancel time too early, must be at least 5 seconds from now.")
        account = self._accounts[context.user]
        if account.schedule_triggers.get(context.now // _DAY_MS, 0) >= _SCHEDULE_MAX_PER_DAY:
            reject("Too many scheduled cancel triggers today (max 10).")
        self._schedules[context.user] = time_ms
        return {"type": "default"}

    def _parse_update_leverage(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        fields = Fields(action, "")
        asset = fields.req_int("asset")
        is_cross = fields.get_bool("isCross")
        leverage = fields.req_int("leverage")
        canonical = {
            "type": "updateLeverage",
            "asset": asset,
            "isCross": is_cross,
            "leverage": leverage,
        }
        return (asset, is_cross, leverage), canonical

    def _apply_update_leverage(self, context: _Context, parsed: Any) -> dict[str, Any]:
        asset, is_cross, leverage = parsed
        market = self._market_for(asset)
        if not 1 <= leverage <= market.spec.max_leverage:
            reject(f"Invalid leverage value: {leverage} (max {market.spec.max_leverage}x).")
        if is_cross and market.spec.only_isolated:
            reject("Cross margin is not allowed for this asset.")
        dex_account = self._dex_account(self._accounts[context.user], market.dex)
        coin = market.coin
        old_cross, _ = dex_account.leverage_of(coin, self._default_leverage[coin])
        position = dex_account.positions.get(coin)
        marks = self._marks()
        if position is not None:
            if old_cross != is_cross:
                reject("Cannot switch leverage type with open position.")
            required = abs(position.szi) * marks[coin] / leverage
            if is_cross:
                trial = dict(dex_account.leverage)
                dex_account.leverage[coin] = (True, leverage)
                if dex_account.available(marks, self._default_leverage) < 0:
                    dex_account.leverage.clear()
                    dex_account.leverage.update(trial)
                    reject("Insufficient margin to update leverage.")
            else:
                upnl = (marks[coin] - position.entry_px) * position.szi
                extra = required - (position.iso_margin + upnl)
                if extra > 0:
                    if dex_account.available(marks, self._default_leverage) < extra:
                        reject("Insufficient margin to update leverage.")
                    position.iso_margin += extra
                    dex_account.balance -= extra
        dex_account.leverage[coin] = (is_cross, leverage)
        return {"type": "default"}

    def _parse_update_isolated_margin(
        self, action: Mapping[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        fields = Fields(action, "")
        asset = fields.req_int("asset")
        is_buy = fields.get_bool("isBuy")
        ntli = fields.req_int("ntli")
        canonical = {"type": "updateIsolatedMargin", "asset": asset, "isBuy": is_buy, "ntli": ntli}
        return (asset, ntli), canonical

    def _apply_update_isolated_margin(self, context: _Context, parsed: Any) -> dict[str, Any]:
        asset, ntli = parsed
        market = self._market_for(asset)
        coin = market.coin
        dex_account = self._dex_account(self._accounts[context.user], market.dex)
        position = dex_account.positions.get(coin)
        is_cross, leverage = dex_account.leverage_of(coin, self._default_leverage[coin])
        if position is None or is_cross:
            reject("Cannot update margin: no isolated position.")
        amount = Decimal(ntli).scaleb(-6)
        marks = self._marks()
        if amount > 0 and dex_account.available(marks, self._default_leverage) < amount:
            reject("Insufficient margin to add to isolated position.")
        if amount < 0:
            upnl = (marks[coin] - position.entry_px) * position.szi
            required = abs(position.szi) * marks[coin] / leverage
            if position.iso_margin + upnl + amount < required:
                reject("Insufficient isolated margin to remove.")
        position.iso_margin += amount
        dex_account.balance -= amount
        return {"type": "default"}

    def _parse_create_sub_account(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        name = Fields(action, "").get_str("name")
        if not 1 <= len(name) <= 64:
            reject("Invalid action: name: expected 1 to 64 characters")
        return name, {"type": "createSubAccount", "name": name}

    def _apply_create_sub_account(self, context: _Context, name: Any) -> dict[str, Any]:
        if context.user in self._vault_leaders:
            reject("Sub-accounts cannot create sub-accounts.")
        sub_account = self._make_vault(context.user, name)
        self._sub_accounts[sub_account] = name
        return {"type": "createSubAccount", "data": sub_account}

    def _parse_sub_account_transfer(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        fields = Fields(action, "")
        sub = fields.get_str("subAccountUser")
        is_deposit = fields.get_bool("isDeposit")
        micro = fields.get_int("usd")
        if not is_address(sub):
            reject("Invalid action: subAccountUser: expected an address")
        assert micro is not None
        if micro <= 0:
            reject("Invalid action: usd: must be positive")
        canonical = {
            "type": "subAccountTransfer",
            "subAccountUser": sub,
            "isDeposit": is_deposit,
            "usd": micro,
        }
        return (sub.lower(), is_deposit, Decimal(micro).scaleb(-6)), canonical

    def _apply_sub_account_transfer(self, context: _Context, parsed: Any) -> dict[str, Any]:
        sub, is_deposit, amount = parsed
        if self._sub_accounts.get(sub) is None or self._vault_leaders.get(sub) != context.user:
            reject("Invalid sub-account transfer: not a sub-account of the signer.")
        source, target = (context.user, sub) if is_deposit else (sub, context.user)
        self._withdraw_from(source, amount)
        self._dex_account(self._accounts[target], "").balance += amount
        delta = {
            "type": "subAccountTransfer",
            "usdc": wire_decimal(amount),
            "user": source,
            "destination": target,
        }
        self._ledger(self._accounts[source], context.now, delta)
        self._ledger(self._accounts[target], context.now, delta)
        return {"type": "default"}

    def _parse_set_referrer(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        code = Fields(action, "").get_str("code")
        if not code:
            reject("Invalid action: code: expected a referral code")
        return code, {"type": "setReferrer", "code": code}

    def _apply_set_referrer(self, context: _Context, code: Any) -> dict[str, Any]:
        if context.user in self._referrers:
            reject("Referrer already set.")
        self._referrers[context.user] = code
        return {"type": "default"}

    def _parse_noop(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        return None, {"type": "noop"}

    def _apply_noop(self, context: _Context, parsed: Any) -> dict[str, Any]:
        return {"type": "default"}

    def _market_for(self, asset: int) -> MarketState:
        market = self._by_asset.get(asset)
        if market is None:
            reject(f"Unknown asset {asset}.")
        if market.spot:
            reject(f"Asset {asset} is a spot pair: it has no leverage or margin.")
        return market

    # -- user-signed actions --

    def _apply_usd_send(self, context: _Context, action: Mapping[str, Any]) -> dict[str, Any]:
        fields = Fields(action, "")
        destination = fields.get_str("destination")
        amount = fields.get_decimal("amount")
        if not is_address(destination):
            reject("Invalid action: destination: expected an address")
        if amount <= 0:
            reject("Invalid action: amount: must be positive")
        self._withdraw_from(context.user, amount)
        target = self._account(destination.lower(), create=True)
        self._dex_account(target, "").balance += amount
        delta = {
            "type": "internalTransfer",
            "usdc": wire_decimal(amount),
            "user": context.user,
            "destination": target.address,
            "fee": "0.0",
        }
        self._ledger(self._accounts[context.user], context.now, delta)
        self._ledger(target, context.now, delta)
        return {"type": "default"}

    def _apply_withdraw(self, context: _Context, action: Mapping[str, Any]) -> dict[str, Any]:
        fields = Fields(action, "")
        if not is_address(fields.get_str("destination")):
            reject("Invalid action: destination: expected an address")
        amount = fields.get_decimal("amount")
        if amount <= 0:
            reject("Invalid action: amount: must be positive")
        self._withdraw_from(context.user, amount)
        delta = {
            "type": "withdraw",
            "usdc": wire_decimal(amount),
            "nonce": context.now,
            "fee": "1.0",
        }
        self._ledger(self._accounts[context.user], context.now, delta)
        return {"type": "default"}

    def _ledger(self, account: Account, now: int, delta: dict[str, Any]) -> None:
        """Record (and stream) one non-funding ledger update of ``account``."""
        entry = {
            "time": now,
            "hash": tx_hash(delta["type"], len(account.ledger), now),
            "delta": delta,
        }
        account.ledger.append(entry)
        if len(account.ledger) > 2 * _FUNDING_HISTORY:
            del account.ledger[:-_FUNDING_HISTORY]
        self._emit("userNonFundingLedgerUpdates", account.address, entry)

    def _withdraw_from(self, user: str, amount: Decimal) -> None:
        dex_account = self._dex_account(self._accounts[user], "")
        if dex_account.available(self._marks(), self._default_leverage) < amount:
            reject("Insufficient balance for withdrawal or transfer.")
        dex_account.balance -= amount

    def _apply_approve_agent(self, context: _Context, action: Mapping[str, Any]) -> dict[str, Any]:
        fields = Fields(action, "")
        agent = fields.get_str("agentAddress")
        if not is_address(agent):
            reject("Invalid action: agentAddress: expected an address")
        agent = agent.lower()
        name = action.get("agentName") or ""
        if not isinstance(name, str):
            reject("Invalid action: agentName: expected a string")
        valid_until: int | None = None
        base_name, sep, until = name.partition(" valid_until ")
        if sep:
            if not until.isdigit():
                reject("Invalid action: agentName: valid_until must be a ms timestamp")
            valid_until = int(until)
        if agent == context.user or agent in self._vault_leaders:
            reject("Invalid agent address.")
        owned = [(a, n) for a, (m, n, _) in self._agents.items() if m == context.user]
        replaced = [a for a, n in owned if n == base_name]
        named = [a for a, n in owned if n]
        if base_name and not replaced and len(named) >= _MAX_NAMED_AGENTS:
            reject("Too many named agents (max 3); reuse a name to replace one.")
        for old in replaced:
            del self._agents[old]
        self._agents[agent] = (context.user, base_name, valid_until)
        return {"type": "default"}

    def _apply_approve_builder_fee(
        self, context: _Context, action: Mapping[str, Any]
    ) -> dict[str, Any]:
        fields = Fields(action, "")
        builder = fields.get_str("builder")
        if not is_address(builder):
            reject("Invalid action: builder: expected an address")
        self._builder_approvals[(context.user, builder.lower())] = fields.get_str("maxFeeRate")
        return {"type": "default"}

    # =========================================================================
    # Orders and matching
    # =========================================================================

    def _new_oid(self) -> int:
        oid = self._next_oid
        self._next_oid += 1
        return oid

    def _place(
        self, context: _Context, spec: OrderSpec, builder: tuple[str, int] | None
    ) -> dict[str, Any]:
        """One order of an ``order`` action: its status entry (resting, filled or error)."""
        market = self._by_asset.get(spec.asset)
        suffix = f" asset={spec.asset}"
        if market is None:
            return {"error": f"Unknown asset.{suffix}"}
        account = self._accounts[context.user]
        now = context.now

        def rejected(text: str, status: str) -> dict[str, Any]:
            self._record_rejected(account, market, spec, status, now)
            return {"error": text + suffix}

        if market.halted:
            return {"error": f"Trading is halted for {market.coin}.{suffix}"}
        if spec.sz <= 0 or _decimals(spec.sz) > market.sz_decimals:
            return rejected("Order has invalid size.", "rejected")
        if not valid_price(spec.px, market.sz_decimals, spot=market.spot):
            return rejected("Order has invalid price.", "tickRejected")
        if market.spot and (spec.trigger is not None or spec.reduce_only):
            # Spot has no position: nothing to reduce, nothing for a TP/SL to protect.
            return rejected("Reduce only order would increase position.", "reduceOnlyRejected")
        if spec.trigger is not None and not valid_price(spec.trigger.px, market.sz_decimals):
            return rejected("Invalid TP/SL price.", "badTriggerPxRejected")
        if spec.cloid is not None:
            previous = account.cloids.get(spec.cloid)
            if previous is not None and account.orders[previous].status not in _REJECTED:
                return {"error": f"Duplicate cloid: {spec.cloid} was already used.{suffix}"}
        reference_px = spec.trigger.px if spec.trigger is not None else spec.px
        if not spec.reduce_only and reference_px * spec.sz < _MIN_NOTIONAL:
            return rejected("Order must have minimum value of $10.", "minTradeNtlRejected")
        if spec.tif not in _IOC_TIFS and len(account.open_orders) >= self.config.max_open_orders:
            return rejected("Too many open orders.", "tooManyOpenOrdersRejected")
        dex_account = self._dex_account(account, market.dex)
        szi = dex_account.szi(market.coin)
        if spec.reduce_only and (szi == 0 or (szi > 0) == spec.is_buy):
            return rejected("Reduce only order would increase position.", "reduceOnlyRejected")
        if spec.tif == "Alo" and market.book.crosses(spec.is_buy, spec.px):
            bid, ask = market.book.best_bid(), market.book.best_ask()
            return rejected(
                f"Post only order would have immediately matched, bbo was "
                f"{wire_decimal(bid) if bid is not None else ''}@"
                f"{wire_decimal(ask) if ask is not None else ''}.",
                "badAloPxRejected",
            )
        if market.spot:
            token, need = self._spot_cost(market, spec.is_buy, spec.px, spec.sz)
            if account.spot_available(token) < need:
                return rejected("Insufficient spot balance.", "insufficientSpotBalanceRejected")
        elif not spec.reduce_only:
            added = abs(szi + (spec.sz if spec.is_buy else -spec.sz)) - abs(szi)
            _, leverage = dex_account.leverage_of(market.coin, self._default_leverage[market.coin])
            if added > 0 and added * reference_px / leverage > dex_account.available(
                self._marks(), self._default_leverage
            ):
                return rejected("Insufficient margin to place order.", "perpMarginRejected")
        if spec.tif in _IOC_TIFS and not market.book.crosses(spec.is_buy, spec.px):
            return rejected(
                "Order could not immediately match against any resting orders.",
                "iocCancelRejected",
            )
        order = self._new_order(account, market, spec, spec.sz, now)
        order.status_timestamp = now
        order.sz_at_status = spec.sz
        if order.trigger is not None:
            market.triggers[order.oid] = order
            account.open_orders[order.oid] = order
            self._set_status(order, "open", now)
            return resting(order)
        filled, notional = self._execute(market, order, now, builder)
        if order.status == "open":
            return resting(order)
        if not filled:
            if order.status == "reduceOnlyCanceled":
                return {"error": "Reduce only order would increase position." + suffix}
            return {
                "error": "Order could not immediately match against any resting orders." + suffix
            }
        entry: dict[str, Any] = {
            "totalSz": wire_decimal(filled),
            "avgPx": wire_decimal(_average(notional, filled)),
            "oid": order.oid,
        }
        if order.cloid is not None:
            entry["cloid"] = order.cloid
        return {"filled": entry}

    def _record_rejected(
        self, account: Account, market: MarketState, spec: OrderSpec, status: str, now: int
    ) -> None:
        """A refused order still gets an oid and a status, so orderStatus by cloid can tell."""
        if spec.cloid is not None:
            previous = account.cloids.get(spec.cloid)
            if previous is not None and account.orders[previous].status not in _REJECTED:
                return
        order = self._new_order(account, market, spec, max(spec.sz, _ZERO), now)
        self._set_status(order, status, now)

    def _new_order(
        self, account: Account, market: MarketState, spec: OrderSpec, sz: Decimal, now: int
    ) -> Order:
        """A new order of ``account`` from ``spec`` with a fresh oid, findable by oid and cloid."""
        order = Order(
            oid=self._new_oid(),
            user=account.address,
            coin=market.coin,
            asset=market.asset,
            is_buy=spec.is_buy,
            limit_px=spec.px,
            sz=sz,
            orig_sz=sz,
            timestamp=now,
            tif=spec.tif,
            reduce_only=spec.reduce_only,
            cloid=spec.cloid,
            trigger=spec.trigger,
        )
        account.orders[order.oid] = order
        if order.cloid is not None:
            account.cloids[order.cloid] = order.oid
        return order

    def _execute(
        self, market: MarketState, order: Order, now: int, builder: tuple[str, int] | None
    ) -> tuple[Decimal, Decimal]:
        """Match ``order`` as a taker, then rest or cancel the remainder. Returns the size
        filled now and its notional."""
        book = market.book
        taker_hash = ""  # the hash of the taker's transaction, made at its first trade
        taker_dex = self._dex_account(self._accounts[order.user], market.dex)
        filled = _ZERO
        notional = _ZERO
        while order.sz > 0:
            level = book.best_level(not order.is_buy)
            if level is None:
                break
            px, makers = level
            if (px > order.limit_px) if order.is_buy else (px < order.limit_px):
                break
            maker = next(iter(makers.values()))
            if maker.user == order.user:
                # Self-trade prevention: the venue expires the resting order (api doc §9.6).
                self._cancel(maker, "selfTradeCanceled", now)
                continue
            qty = min(order.sz, maker.sz)
            if order.reduce_only:
                qty = min(qty, _reducible(taker_dex.szi(market.coin), order.is_buy))
                if qty <= 0:
                    break
            if maker.reduce_only:
                maker_dex = self._dex_account(self._accounts[maker.user], market.dex)
                room = _reducible(maker_dex.szi(market.coin), maker.is_buy)
                if room <= 0:
                    self._cancel(maker, "reduceOnlyCanceled", now)
                    continue
                qty = min(qty, room)
            taker_hash = taker_hash or tx_hash(market.coin, order.oid, now)
            self._trade(market, order, maker, px, qty, now, taker_hash, builder)
            filled += qty
            notional += px * qty
        if order.sz == 0:
            self._set_status(order, "filled", now)
        elif order.reduce_only and _reducible(taker_dex.szi(market.coin), order.is_buy) <= 0:
            # The position is closed: the rest of a reduce-only order has nothing to reduce.
            self._set_status(order, "canceled" if filled else "reduceOnlyCanceled", now)
        elif order.tif in _IOC_TIFS:
            self._set_status(order, "canceled" if filled else "iocCancelRejected", now)
        else:
            book.add(order)
            self._accounts[order.user].open_orders[order.oid] = order
            if order.is_lp:
                market.lp_orders.append(order)
            elif market.spot:
                self._accounts[order.user].hold_spot(
                    *self._spot_cost(market, order.is_buy, order.limit_px, order.sz)
                )
            elif not order.reduce_only:
                taker_dex.reserve(market.coin, order.sz * order.limit_px)
            self._set_status(order, "open", now)
        return filled, notional

    def _trade(
        self,
        market: MarketState,
        taker: Order,
        maker: Order,
        px: Decimal,
        qty: Decimal,
        now: int,
        taker_hash: str,
        builder: tuple[str, int] | None,
    ) -> None:
        tid = self._next_tid
        self._next_tid += 1
        self._trades += 1
        notional = px * qty
        for order, crossed in ((taker, True), (maker, False)):
            account = self._accounts[order.user]
            if market.spot:
                if not order.is_lp:
                    self._spot_fill(market, account, order, crossed, px, qty, now, taker_hash, tid)
                else:
                    order.sz -= qty
                continue
            dex_account = self._dex_account(account, market.dex)
            fee = notional * (self.config.taker_fee if crossed else self.config.maker_fee)
            builder_fee = _ZERO
            if crossed and builder is not None:
                builder_fee = usd(notional * builder[1] / 100_000)
            fee = usd(fee) + builder_fee
            leverage = dex_account.leverage_of(market.coin, self._default_leverage[market.coin])
            result = dex_account.apply_fill(market.coin, order.is_buy, px, qty, fee, leverage)
            order.sz -= qty
            if not crossed and not order.reduce_only and not order.is_lp:
                dex_account.reserve(market.coin, -qty * order.limit_px)
            if order.is_lp:
                continue
            account.cum_volume += notional
            fill: dict[str, Any] = {
                "coin": market.coin,
                "px": wire_decimal(px),
                "sz": wire_decimal(qty),
                "side": order.side,
                "time": now,
                "startPosition": wire_decimal(result.start_position),
                "dir": result.dir,
                "closedPnl": wire_decimal(result.closed_pnl),
                "hash": taker_hash,
                "oid": order.oid,
                "crossed": crossed,
                "fee": wire_decimal(fee),
                "tid": tid,
                "feeToken": self._collateral[market.dex],
                "twapId": None,  # the venue's fills name their TWAP; none here are
            }
            if builder_fee:
                fill["builderFee"] = wire_decimal(builder_fee)
            if order.cloid is not None:
                fill["cloid"] = order.cloid
            account.add_fill(fill)
            self._user_fills += 1
            self._emit("userFills", order.user, fill)
        if maker.sz == 0:
            market.book.remove(maker)
            self._accounts[maker.user].open_orders.pop(maker.oid, None)
            self._set_status(maker, "filled", now)
        market.last_trade_px = px
        market.day_ntl_vlm += notional
        market.day_base_vlm += qty
        buyer, seller = (taker.user, maker.user) if taker.is_buy else (maker.user, taker.user)
        trade = Trade(market.coin, taker.side, px, qty, taker_hash, now, tid, (buyer, seller))
        self._history[market.coin].trades.append(trade)
        self._emit("trades", market.coin, trade.wire())

    def _spot_cost(
        self, market: MarketState, is_buy: bool, px: Decimal, sz: Decimal
    ) -> tuple[str, Decimal]:
        """What an order of ``sz`` at ``px`` spends: USDC to buy, the base token to sell."""
        return ("USDC", px * sz) if is_buy else (self._spot_base[market.coin], sz)

    def _spot_fill(
        self,
        market: MarketState,
        account: Account,
        order: Order,
        crossed: bool,
        px: Decimal,
        qty: Decimal,
        now: int,
        taker_hash: str,
        tid: int,
    ) -> None:
        """Move the tokens of one side of a spot trade; the fee is paid in what is received."""
        base = self._spot_base[market.coin]
        notional = px * qty
        rate = self.config.taker_fee if crossed else self.config.maker_fee
        start = account.spot.get(base, _ZERO)
        if not crossed:  # a resting order's hold shrinks by what traded
            token, traded = self._spot_cost(market, order.is_buy, order.limit_px, qty)
            account.hold_spot(token, -traded)
        if order.is_buy:
            fee = (qty * rate).quantize(Decimal(1).scaleb(-8), rounding=ROUND_DOWN)
            account.move_spot("USDC", -notional)
            account.move_spot(base, qty - fee)
            account.spot_entry[base] = account.spot_entry.get(base, _ZERO) + usd(notional)
            fee_token = base
        else:
            fee = usd(notional * rate)
            entry = account.spot_entry.get(base, _ZERO)
            if start > 0:
                account.spot_entry[base] = usd(entry * max(_ZERO, start - qty) / start)
            account.move_spot(base, -qty)
            account.move_spot("USDC", notional - fee)
            fee_token = "USDC"
        order.sz -= qty
        account.cum_volume += notional
        fill: dict[str, Any] = {
            "coin": market.coin,
            "px": wire_decimal(px),
            "sz": wire_decimal(qty),
            "side": order.side,
            "time": now,
            "startPosition": wire_decimal(start),
            "dir": "Buy" if order.is_buy else "Sell",
            "closedPnl": "0",
            "hash": taker_hash,
            "oid": order.oid,
            "crossed": crossed,
            "fee": wire_decimal(fee),
            "tid": tid,
            "feeToken": fee_token,
            "twapId": None,
        }
        if order.cloid is not None:
            fill["cloid"] = order.cloid
        account.add_fill(fill)
        self._user_fills += 1
        self._emit("userFills", order.user, fill)

    def _cancel(self, order: Order, status: str, now: int) -> None:
        """Take an open order off the book (or the trigger list) with a terminal status."""
        market = self._markets[order.coin]
        account = self._accounts[order.user]
        account.open_orders.pop(order.oid, None)
        if order.trigger is not None and order.oid in market.triggers:
            del market.triggers[order.oid]
        else:
            market.book.remove(order)
            if market.spot and not order.is_lp:
                token, held = self._spot_cost(market, order.is_buy, order.limit_px, order.sz)
                account.hold_spot(token, -held)
            elif not order.reduce_only and not order.is_lp:
                self._dex_account(account, market.dex).reserve(
                    market.coin, -order.sz * order.limit_px
                )
        self._set_status(order, status, now)

    def _set_status(self, order: Order, status: str, now: int) -> None:
        order.status = status
        order.status_timestamp = now
        order.sz_at_status = order.sz
        if order.is_lp:
            return
        if status not in ("open", "triggered"):
            self._accounts[order.user].retire(order)
        if order.children and status != "open":
            children, order.children = order.children, ()
            if status == "filled":
                # Trigger orders only wait beside the book: placing them here cannot re-enter
                # the matching loop that filled the parent.
                self._place_children(order, children, now)
        self._emit(
            "orderUpdates",
            order.user,
            {"order": basic_order(order), "status": status, "statusTimestamp": now},
        )

    # =========================================================================
    # tick
    # =========================================================================

    def tick(self) -> None:
        """Advance to ``clock()``: oracle walk, LP quotes, triggers, scheduled cancels."""
        now = self._event_time()
        elapsed = now - self._last_tick
        self._last_tick = now
        for market in self._markets.values():
            # Spot prices draw from their own generator: adding pairs leaves perp paths alone.
            market.walk(self._spot_rng if market.spot else self._rng, elapsed)
        for market in self._markets.values():
            self._refresh_lp(market, now)
        for market in self._markets.values():
            if market.triggers:
                self._fire_triggers(market, now)
        if self._schedules:
            self._run_schedules(now)
        while self._next_funding <= now:
            self._settle_funding(self._next_funding)
            self._next_funding += self.config.funding_interval_ms
        self._flush()

    def _refresh_lp(self, market: MarketState, now: int) -> None:
        """Requote the LP's grid around the mark; unchanged mark and untouched quotes stay."""
        if market.halted:
            return
        if market.lp_mark == market.oracle and all(
            order.status == "open" and order.sz == order.orig_sz for order in market.lp_orders
        ):
            return
        market.lp_mark = market.oracle
        for order in market.lp_orders:
            if order.status == "open":
                self._cancel(order, "canceled", now)
        market.lp_orders.clear()
        for is_buy, px, sz in market.lp_grid(
            self.config.lp_levels, self.config.lp_size, self.config.lp_spread_bps
        ):
            order = Order(
                oid=self._new_oid(),
                user=LP_ADDRESS,
                coin=market.coin,
                asset=market.asset,
                is_buy=is_buy,
                limit_px=px,
                sz=sz,
                orig_sz=sz,
                timestamp=now,
                tif="Gtc",
                is_lp=True,
                status_timestamp=now,
            )
            self._execute(market, order, now, None)

    def _fire_triggers(self, market: MarketState, now: int) -> None:
        mark = market.oracle
        fired = [
            order
            for order in market.triggers.values()
            if order.trigger is not None and order.trigger.fires(order.is_buy, mark)
        ]
        for order in fired:
            trigger = order.trigger
            assert trigger is not None
            del market.triggers[order.oid]
            self._accounts[order.user].open_orders.pop(order.oid, None)
            self._set_status(order, "triggered", now)
            for sibling_oid in order.siblings or ():
                sibling = self._accounts[order.user].open_orders.get(sibling_oid)
                if sibling is not None and sibling is not order:
                    self._cancel(sibling, "siblingFilledCanceled", now)
            if trigger.is_market:
                slip = mark * (1 + _MARKET_SLIPPAGE if order.is_buy else 1 - _MARKET_SLIPPAGE)
                order.limit_px = (
                    market.ceil_price(slip) if order.is_buy else market.floor_price(slip)
                )
                order.tif = "Ioc"
            else:
                order.tif = "Gtc"
            order.trigger = None
            dex_account = self._dex_account(self._accounts[order.user], market.dex)
            if order.reduce_only and _reducible(dex_account.szi(market.coin), order.is_buy) <= 0:
                self._set_status(order, "reduceOnlyCanceled", now)
                continue
            self._execute(market, order, now, None)

    def _settle_funding(self, at: int) -> None:
        """Funding for every open position at the oracle price (``userEvents`` ``funding``)."""
        rate = self.config.funding_rate
        for coin, history in self._history.items():
            if self._markets[coin].spot:
                continue
            # No separate mark price, so no premium (as in the asset contexts).
            history.fundings.append(
                {"coin": coin, "fundingRate": wire_decimal(rate), "premium": "0.0", "time": at}
            )
        if rate == 0:
            return
        for account in self._accounts.values():
            for dex_account in account.dexes.values():
                for coin, position in list(dex_account.positions.items()):
                    is_cross, _ = dex_account.leverage_of(coin, self._default_leverage[coin])
                    oracle = self._markets[coin].oracle
                    received = dex_account.apply_funding(coin, oracle, rate, is_cross)
                    if account is self._lp:
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
                    self._emit("userEvents", account.address, {"funding": {"time": at, **event}})
                    self._emit("userFundings", account.address, {"time": at, **event})

    def _run_schedules(self, now: int) -> None:
        due = [user for user, at in self._schedules.items() if at <= now]
        for user in due:
            del self._schedules[user]
            account = self._accounts[user]
            day = now // _DAY_MS
            account.schedule_triggers[day] = account.schedule_triggers.get(day, 0) + 1
            for order in list(account.open_orders.values()):
                self._cancel(order, "scheduledCancel", now)


# ---------------------------------------------------------------------------
# Wire shapes
# ---------------------------------------------------------------------------


def _cap_wire(value: Decimal) -> str:
    """A cap as the venue writes it (``"1000000000.0"``: always one decimal at least)."""
    text = wire_decimal(value)
    return text if "." in text else text + ".0"


_ABSTRACTION_MODES = (
    "disabled",
    "default",
    "unifiedAccount",
    "portfolioMargin",
    "dexAbstraction",
)
_SPOT_COLLATERAL_MODES = frozenset({"unifiedAccount", "portfolioMargin"})


def _blank_money_fields(state: dict[str, Any]) -> None:
    """Zero the account-wide money of a ``clearinghouseState`` (unified/portfolio mode)."""
    for key in ("marginSummary", "crossMarginSummary"):
        summary = state.get(key)
        if isinstance(summary, dict):
            for field in ("accountValue", "totalRawUsd", "totalMarginUsed"):
                if field in summary:
                    summary[field] = "0.0"
    state["withdrawable"] = "0.0"


def _token_entry(name: str, sz_decimals: int, wei_decimals: int, index: int) -> dict[str, Any]:
    """A ``spotMeta`` token; its id is derived from its name, so it is stable across runs."""
    return {
        "name": name,
        "szDecimals": sz_decimals,
        "weiDecimals": wei_decimals,
        "index": index,
        "tokenId": "0x" + keccak256(name.encode()).hex()[:32],
        "isCanonical": True,
        "evmContract": None,
        "fullName": None,
    }


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _reducible(szi: Decimal, is_buy: bool) -> Decimal:
    """How much an order on this side can reduce the position (0 if it would increase it)."""
    if szi == 0 or (szi > 0) == is_buy:
        return _ZERO
    return abs(szi)


def _average(notional: Decimal, size: Decimal) -> Decimal:
    return (notional / size).quantize(Decimal("0.00000001"), rounding=ROUND_DOWN).normalize()


_InfoHandler = Callable[[SimExchange, Mapping[str, Any]], Json]

_INFO_HANDLERS: dict[str, _InfoHandler] = {
    "meta": SimExchange._info_meta,
    "metaAndAssetCtxs": SimExchange._info_meta_and_ctxs,
    "perpDexs": SimExchange._info_perp_dexs,
    "spotMeta": SimExchange._info_spot_meta,
    "spotMetaAndAssetCtxs": SimExchange._info_spot_meta_and_ctxs,
    "candleSnapshot": SimExchange._info_candle_snapshot,
    "recentTrades": SimExchange._info_recent_trades,
    "fundingHistory": SimExchange._info_funding_history,
    "exchangeStatus": SimExchange._info_exchange_status,
    "allPerpMetas": SimExchange._info_all_perp_metas,
    "perpDexLimits": SimExchange._info_perp_dex_limits,
    "perpsAtOpenInterestCap": SimExchange._info_perps_at_oi_cap,
    "predictedFundings": SimExchange._info_predicted_fundings,
    "userFees": SimExchange._info_user_fees,
    "maxBuilderFee": SimExchange._info_max_builder_fee,
    "activeAssetData": SimExchange._info_active_asset_data,
    "subAccounts": SimExchange._info_sub_accounts,
    "userRole": SimExchange._info_user_role,
    "userAbstraction": SimExchange._info_user_abstraction,
    "allMids": SimExchange._info_all_mids,
    "l2Book": SimExchange._info_l2_book,
    "clearinghouseState": SimExchange._info_clearinghouse,
    "spotClearinghouseState": SimExchange._info_spot_clearinghouse,
    "openOrders": SimExchange._info_open_orders,
    "frontendOpenOrders": SimExchange._info_frontend_open_orders,
    "userFills": SimExchange._info_user_fills,
    "userFillsByTime": SimExchange._info_user_fills_by_time,
    "orderStatus": SimExchange._info_order_status,
    "historicalOrders": SimExchange._info_historical_orders,
    "userRateLimit": SimExchange._info_user_rate_limit,
    "extraAgents": SimExchange._info_extra_agents,
    "userFunding": SimExchange._info_user_funding,
    "userNonFundingLedgerUpdates": SimExchange._info_user_ledger,
}

_Parse = Callable[[SimExchange, Mapping[str, Any]], tuple[Any, dict[str, Any]]]
_Apply = Callable[[SimExchange, _Context, Any], "dict[str, Any] | Committed"]

_L1_HANDLERS: dict[str, tuple[_Parse, _Apply]] = {
    "order": (SimExchange._parse_orders, SimExchange._apply_orders),
    "cancel": (SimExchange._parse_cancel, SimExchange._apply_cancel),
    "cancelByCloid": (SimExchange._parse_cancel_by_cloid, SimExchange._apply_cancel_by_cloid),
    "modify": (SimExchange._parse_modify, SimExchange._apply_modify),
    "batchModify": (SimExchange._parse_batch_modify, SimExchange._apply_batch_modify),
    "scheduleCancel": (SimExchange._parse_schedule_cancel, SimExchange._apply_schedule_cancel),
    "updateLeverage": (SimExchange._parse_update_leverage, SimExchange._apply_update_leverage),
    "updateIsolatedMargin": (
        SimExchange._parse_update_isolated_margin,
        SimExchange._apply_update_isolated_margin,
    ),
    "createSubAccount": (
        SimExchange._parse_create_sub_account,
        SimExchange._apply_create_sub_account,
    ),
    "subAccountTransfer": (
        SimExchange._parse_sub_account_transfer,
        SimExchange._apply_sub_account_transfer,
    ),
    "setReferrer": (SimExchange._parse_set_referrer, SimExchange._apply_set_referrer),
    "noop": (SimExchange._parse_noop, SimExchange._apply_noop),
}

_USER_SIGNED_HANDLERS: dict[
    str, Callable[[SimExchange, _Context, Mapping[str, Any]], dict[str, Any]]
] = {
    "usdSend": SimExchange._apply_usd_send,
    "withdraw3": SimExchange._apply_withdraw,
    "approveAgent": SimExchange._apply_approve_agent,
    "approveBuilderFee": SimExchange._apply_approve_builder_fee,
}
