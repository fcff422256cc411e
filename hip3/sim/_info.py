"""The simulator's ``/info`` handlers: market data, venue tables and account reads.

Every handler takes the request mapping and answers the venue's JSON shape
(hyperliquid-api.md §1); a malformed request raises :class:`SimBadRequest`.
:data:`INFO_HANDLERS` maps a request ``type`` to its handler.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any

from hip3.signing._native import keccak256
from hip3.sim._auth import Auth
from hip3.sim._engine_parse import is_address, is_cloid
from hip3.sim._engine_wire import (
    aggregate_by_time,
    basic_order,
    clearinghouse_state,
    frontend_order,
    status_entry,
)
from hip3.sim._history import candles
from hip3.sim._state import (
    DAY_MS,
    LP_ADDRESS,
    SPOT_COLLATERAL_MODES,
    ZERO,
    Json,
    SimState,
    token_id,
)
from hip3.sim.accounts import Account, DexAccount, usd
from hip3.sim.book import Order
from hip3.sim.config import SimBadRequest, spot_pair_name
from hip3.sim.market import MarketState
from hip3.types import wire_decimal

_BOOK_DEPTH = 20
_FILLS_LIMIT = 2000
_FUNDING_LIMIT = 500
_OI_CAP = Decimal(1_000_000_000)  # USD open interest a HIP-3 market may reach
_DEX_TRANSFER_CAP = Decimal(100_000_000)
_RECENT_TRADES = 10  # recentTrades: the last few trades only, newest first


_REFERRER_MIN_VOLUME = Decimal(10_000)  # $ traded before a user may create a code


def _cap_wire(value: Decimal) -> str:
    """A cap as the venue writes it (``"1000000000.0"``: always one decimal at least)."""
    text = wire_decimal(value)
    return text if "." in text else text + ".0"


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
        "tokenId": token_id(name),
        "isCanonical": True,
        "evmContract": None,
        "fullName": None,
    }


class InfoHandlers:
    """The ``/info`` requests, answered from the shared state."""

    def __init__(self, state: SimState, auth: Auth) -> None:
        self._state = state
        self._auth = auth

    # -- request fields --

    def req_user(self, request: Mapping[str, Any]) -> Account:
        user = request.get("user")
        if not is_address(user):
            raise SimBadRequest("user: expected an address (0x + 40 hex digits)")
        assert isinstance(user, str)
        address = user.lower()
        if self._state.config.auto_accounts:
            # First use of an address opens (and funds) its account, as for a signer.
            return self._state.account(address, create=True)
        return self._state.accounts.get(address) or Account(address)

    def req_dex(self, request: Mapping[str, Any]) -> str:
        dex = request.get("dex", "")
        if dex is None:
            dex = ""
        if not isinstance(dex, str):
            raise SimBadRequest("dex: expected a string")
        if dex not in self._state.dex_markets:
            raise SimBadRequest(f"dex: unknown perp dex {dex!r}")
        return dex

    @staticmethod
    def req_time(request: Mapping[str, Any], key: str, *, optional: bool) -> int | None:
        value = request.get(key)
        if value is None and optional:
            return None
        if type(value) is not int:
            raise SimBadRequest(f"{key}: expected an integer (ms)")
        return value

    # -- market data --

    def info_meta(self, request: Mapping[str, Any]) -> Json:
        return self.meta(self.req_dex(request))

    def meta(self, dex: str) -> dict[str, Any]:
        universe = []
        tables: dict[int, Any] = {}
        for market in self._state.dex_markets[dex]:
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
            if spec.growth_mode:
                entry["growthMode"] = "enabled"
                entry["lastGrowthModeChangeTime"] = "1970-01-01T00:00:00"
            universe.append(entry)
            tables[spec.max_leverage] = {
                "description": "",
                "marginTiers": [{"lowerBound": "0.0", "maxLeverage": spec.max_leverage}],
            }
        return {
            "universe": universe,
            "marginTables": [[table_id, table] for table_id, table in sorted(tables.items())],
            "collateralToken": self._state.token_index[self._state.collateral[dex]],
        }

    def asset_ctx(self, market: MarketState) -> dict[str, Any]:
        bid, ask = market.book.best_bid(), market.book.best_ask()
        mid = market.mid() if bid is not None and ask is not None else None
        return {
            "funding": wire_decimal(self._state.config.funding_rate),
            "openInterest": wire_decimal(self.open_interest(market)),
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

    def open_interest(self, market: MarketState) -> Decimal:
        return self._state.open_interest(market)

    def info_meta_and_ctxs(self, request: Mapping[str, Any]) -> Json:
        dex = self.req_dex(request)
        return [self.meta(dex), [self.asset_ctx(m) for m in self._state.dex_markets[dex]]]

    def info_perp_dexs(self, request: Mapping[str, Any]) -> Json:
        answer: list[Any] = [None]
        for dex in self._state.config.dexes[1:]:
            coins = [market.name for market in dex.markets]
            answer.append(
                {
                    "name": dex.name,
                    "fullName": dex.full_name,
                    "deployer": dex.deployer,
                    "oracleUpdater": None,
                    "feeRecipient": None,
                    "assetToStreamingOiCap": [
                        [m.name, _cap_wire(_OI_CAP if m.oi_cap is None else m.oi_cap)]
                        for m in dex.markets
                    ],
                    "assetToFundingMultiplier": [[coin, "1.0"] for coin in coins],
                    "subDeployers": [],
                    "deployerFeeScale": _scale_wire(dex.deployer_fee_scale),
                    "lastDeployerFeeScaleChangeTime": "1970-01-01T00:00:00",
                    "assetToFundingInterestRate": [
                        [coin, wire_decimal(self._state.config.funding_rate)] for coin in coins
                    ],
                }
            )
        return answer

    def info_spot_meta(self, request: Mapping[str, Any]) -> Json:
        tokens = [_token_entry("USDC", 8, 8, 0)]
        universe = []
        for index, pair in enumerate(self._state.config.spot):
            tokens.append(_token_entry(pair.base, pair.sz_decimals, pair.wei_decimals, index + 1))
            universe.append(
                {
                    "tokens": [index + 1, 0],
                    "name": spot_pair_name(index, pair),
                    "index": index,
                    "isCanonical": index == 0,
                }
            )
        for token, index in self._state.token_index.items():
            if index > len(self._state.config.spot):  # a dex's collateral, traded on no spot pair
                tokens.append(_token_entry(token, 2, 8, index))
        return {"universe": universe, "tokens": tokens}

    def info_spot_meta_and_ctxs(self, request: Mapping[str, Any]) -> Json:
        # One context per spot pair of spotMeta's universe, in the same order (none today).
        meta = self.info_spot_meta(request)
        ctxs = []
        for market in self._state.spot_markets:
            bid, ask = market.book.best_bid(), market.book.best_ask()
            held = sum(
                (
                    account.spot.get(self._state.spot_base[market.coin], ZERO)
                    for account in self._state.accounts.values()
                ),
                ZERO,
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

    def req_coin(self, request: Mapping[str, Any], key: str = "coin") -> MarketState:
        coin = request.get(key)
        if not isinstance(coin, str):
            raise SimBadRequest(f"{key}: expected a string naming a coin")
        market = self._state.markets.get(coin)
        if market is None:
            raise SimBadRequest(f"{key}: unknown coin {coin!r}")
        return market

    def info_candle_snapshot(self, request: Mapping[str, Any]) -> Json:
        req = request.get("req")
        if not isinstance(req, Mapping):
            raise SimBadRequest("req: expected an object with coin, interval, startTime, endTime")
        market = self.req_coin(req)
        interval = req.get("interval")
        if not isinstance(interval, str):
            raise SimBadRequest("req.interval: expected a string such as '1m'")
        start = self.req_time(req, "startTime", optional=False)
        end = self.req_time(req, "endTime", optional=True)
        now = self._state.observe_time()
        assert start is not None
        trades = self._state.history[market.coin].trades
        return candles(market.coin, interval, trades, start, now if end is None else end)

    def info_recent_trades(self, request: Mapping[str, Any]) -> Json:
        market = self.req_coin(request)
        self._state.observe_time()
        return self._state.history[market.coin].recent_trades(_RECENT_TRADES)

    def info_funding_history(self, request: Mapping[str, Any]) -> Json:
        market = self.req_coin(request)
        start = self.req_time(request, "startTime", optional=False)
        end = self.req_time(request, "endTime", optional=True)
        now = self._state.observe_time()
        assert start is not None
        history = self._state.history[market.coin]
        return history.fundings_between(start, now if end is None else end, _FUNDING_LIMIT)

    # -- venue, fees, roles (computed from the engine's state) --

    def info_exchange_status(self, request: Mapping[str, Any]) -> Json:
        return {"time": self._state.observe_time(), "specialStatuses": None}

    def info_all_perp_metas(self, request: Mapping[str, Any]) -> Json:
        return [self.info_meta_and_ctxs({"dex": dex}) for dex in self._state.dex_names]

    def info_perp_dex_limits(self, request: Mapping[str, Any]) -> Json:
        dex = self.req_dex(request)
        if dex == "":
            raise SimBadRequest("dex: perpDexLimits needs a HIP-3 dex name, not the main dex")
        return {
            "totalOiCap": _cap_wire(
                sum((self._state.oi_cap(m) for m in self._state.dex_markets[dex]), ZERO)
            ),
            "oiSzCapPerPerp": _cap_wire(_OI_CAP),
            "maxTransferNtl": _cap_wire(_DEX_TRANSFER_CAP),
            "coinToOiCap": [
                [market.coin, _cap_wire(self._state.oi_cap(market))]
                for market in self._state.dex_markets[dex]
            ],
        }

    def info_perps_at_oi_cap(self, request: Mapping[str, Any]) -> Json:
        dex = self.req_dex(request)
        return [
            market.coin for market in self._state.dex_markets[dex] if self._state.at_oi_cap(market)
        ]

    def info_predicted_fundings(self, request: Mapping[str, Any]) -> Json:
        now = self._state.observe_time()
        interval = self._state.config.funding_interval_ms
        upcoming = (now // interval + 1) * interval
        hours = max(1, interval // 3_600_000)
        return [
            [
                market.coin,
                [
                    [
                        "HlPerp",
                        {
                            "fundingRate": wire_decimal(self._state.config.funding_rate),
                            "nextFundingTime": upcoming,
                            "fundingIntervalHours": hours,
                        },
                    ]
                ],
            ]
            for market in self._state.dex_markets[""]  # only the first perp dex (api doc §1.1)
        ]

    def info_user_fees(self, request: Mapping[str, Any]) -> Json:
        account = self.req_user(request)
        now = self._state.observe_time()
        days: dict[int, list[Decimal]] = {}
        first_day = now // DAY_MS - 14
        for fill in account.fills:
            day = fill["time"] // DAY_MS
            if day >= first_day:
                volume = days.setdefault(day, [ZERO, ZERO])
                market = self._state.markets.get(fill["coin"])
                weight = market.volume_weight if market is not None else 1  # growth mode: 10%
                notional = Decimal(fill["px"]) * Decimal(fill["sz"])
                volume[0 if fill["crossed"] else 1] += notional * weight
        daily = [
            {
                "date": time.strftime("%Y-%m-%d", time.gmtime(day * DAY_MS // 1000)),
                "userCross": wire_decimal(usd(cross)),
                "userAdd": wire_decimal(usd(add)),
                "exchange": wire_decimal(usd(cross + add)),
            }
            for day, (cross, add) in sorted(days.items())
        ]
        taker, maker = (
            wire_decimal(self._state.config.taker_fee),
            wire_decimal(self._state.config.maker_fee),
        )
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

    def info_max_builder_fee(self, request: Mapping[str, Any]) -> Json:
        account = self.req_user(request)
        builder = request.get("builder")
        if not is_address(builder):
            raise SimBadRequest("builder: expected an address (0x + 40 hex digits)")
        assert isinstance(builder, str)
        approved = self._state.builder_approvals.get((account.address, builder.lower()))
        if approved is None:
            return 0
        # "0.01%" approves 1 bp: the answer is in tenths of a basis point.
        return int(Decimal(approved.rstrip("%")) * 1000)

    def info_active_asset_data(self, request: Mapping[str, Any]) -> Json:
        account = self.req_user(request)
        market = self.req_coin(request)
        if market.spot:
            raise SimBadRequest(
                f"coin: {market.coin!r} is a spot pair; activeAssetData is perps only"
            )
        self._state.observe_time()
        coin = market.coin
        if account.address in self._state.accounts:
            dex_account = self._state.dex_account(account, market.dex)
        else:
            dex_account = DexAccount(ZERO)
        is_cross, leverage = dex_account.leverage_of(coin, self._state.default_leverage[coin])
        free = max(ZERO, dex_account.available(self._state.marks(), self._state.default_leverage))
        mark = market.oracle
        szi = dex_account.szi(coin)
        to_trade = []
        sizes = []
        for is_buy in (True, False):
            closable = max(ZERO, -szi if is_buy else szi)
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

    def info_sub_accounts(self, request: Mapping[str, Any]) -> Json:
        account = self.req_user(request)
        now = self._state.observe_time()
        subs = [
            (address, name)
            for address, name in self._state.sub_accounts.items()
            if self._state.vault_leaders.get(address) == account.address
        ]
        if not subs:
            return None  # the venue answers null for an address without sub-accounts
        return [
            {
                "name": name,
                "subAccountUser": address,
                "master": account.address,
                "clearinghouseState": self.clearinghouse_state(
                    self._state.accounts[address], "", now
                ),
                "spotState": self.info_spot_clearinghouse({"user": address}),
            }
            for address, name in subs
        ]

    def info_user_role(self, request: Mapping[str, Any]) -> Json:
        address = self.req_address(request)
        now = self._state.observe_time()
        master = self._auth.agent_master(address, now)
        if master is not None:
            return {"role": "agent", "data": {"user": master}}
        if address in self._state.sub_accounts:
            return {"role": "subAccount", "data": {"master": self._state.vault_leaders[address]}}
        if address in self._state.vault_leaders:
            return {"role": "vault"}
        if address in self._state.accounts and address != LP_ADDRESS:
            return {"role": "user"}
        return {"role": "missing"}

    def info_user_abstraction(self, request: Mapping[str, Any]) -> Json:
        account = self.req_user(request)
        return self._state.abstraction.get(account.address, "default")

    def info_user_dex_abstraction(self, request: Mapping[str, Any]) -> Json:
        """Whether the user's dex abstraction is on; null while the user never chose a mode."""
        account = self.req_user(request)
        mode = self._state.abstraction.get(account.address)
        return None if mode is None else mode == "dexAbstraction"

    def info_all_mids(self, request: Mapping[str, Any]) -> Json:
        dex = self.req_dex(request)
        markets = self._state.dex_markets[dex] + (self._state.spot_markets if dex == "" else [])
        return {m.coin: wire_decimal(m.mid()) for m in markets}

    def info_l2_book(self, request: Mapping[str, Any]) -> Json:
        coin = request.get("coin")
        if not isinstance(coin, str):
            raise SimBadRequest("coin: expected a string")
        sig_figs = request.get("nSigFigs")
        if sig_figs is not None and (type(sig_figs) is not int or not 2 <= sig_figs <= 5):
            raise SimBadRequest("nSigFigs: expected 2, 3, 4, 5 or null")
        mantissa = request.get("mantissa")
        if mantissa is not None and (sig_figs != 5 or mantissa not in (1, 2, 5)):
            raise SimBadRequest("mantissa: expected 1, 2 or 5, and only with nSigFigs 5")
        market = self._state.markets.get(coin)
        if market is None:
            return None
        now = self._state.observe_time()
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

    def info_clearinghouse(self, request: Mapping[str, Any]) -> Json:
        account = self.req_user(request)
        dex = self.req_dex(request)
        now = self._state.observe_time()
        return self.clearinghouse_state(account, dex, now)

    def clearinghouse_state(self, account: Account, dex: str, now: int) -> dict[str, Any]:
        if account.address in self._state.accounts:
            dex_account = self._state.dex_account(account, dex)
        else:
            dex_account = DexAccount(ZERO)  # an address without an account (auto_accounts off)
        max_leverage = {
            coin: market.spec.max_leverage for coin, market in self._state.markets.items()
        }
        state = clearinghouse_state(
            dex_account, self._state.marks(), self._state.default_leverage, max_leverage, now
        )
        if self._state.abstraction.get(account.address) in SPOT_COLLATERAL_MODES:
            _blank_money_fields(state)
        return state

    def info_spot_clearinghouse(self, request: Mapping[str, Any]) -> Json:
        account = self.req_user(request)
        self._state.observe_time()
        unified = self._state.unified_collateral(account)
        balances = []
        for token, index in self._state.token_index.items():
            extra_total, extra_hold = unified.get(token, (ZERO, ZERO))
            total = account.spot.get(token, ZERO) + extra_total
            hold = account.spot_hold.get(token, ZERO) + extra_hold
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
                    "entryNtl": wire_decimal(account.spot_entry.get(token, ZERO)),
                }
            )
        return {"balances": balances}

    def open_orders_of(self, account: Account, dex: str) -> list[Order]:
        orders = [
            order
            for order in account.open_orders.values()
            if self._state.markets[order.coin].dex == dex
        ]
        orders.sort(key=lambda order: order.oid, reverse=True)
        return orders

    def info_open_orders(self, request: Mapping[str, Any]) -> Json:
        account = self.req_user(request)
        dex = self.req_dex(request)
        self._state.observe_time()
        return [basic_order(order) for order in self.open_orders_of(account, dex)]

    def info_frontend_open_orders(self, request: Mapping[str, Any]) -> Json:
        account = self.req_user(request)
        dex = self.req_dex(request)
        self._state.observe_time()
        return [frontend_order(order, order.sz) for order in self.open_orders_of(account, dex)]

    def info_user_fills(self, request: Mapping[str, Any]) -> Json:
        account = self.req_user(request)
        aggregate = self.req_aggregate(request)
        self._state.observe_time()
        fills = account.recent_fills(_FILLS_LIMIT)
        return aggregate_by_time(fills) if aggregate else fills

    def info_user_fills_by_time(self, request: Mapping[str, Any]) -> Json:
        account = self.req_user(request)
        aggregate = self.req_aggregate(request)
        start = self.req_time(request, "startTime", optional=False)
        end = self.req_time(request, "endTime", optional=True)
        now = self._state.observe_time()
        assert start is not None
        fills = account.fills_between(start, now if end is None else end, _FILLS_LIMIT)
        return aggregate_by_time(fills) if aggregate else fills

    @staticmethod
    def req_aggregate(request: Mapping[str, Any]) -> bool:
        value = request.get("aggregateByTime")
        if value is not None and type(value) is not bool:
            raise SimBadRequest("aggregateByTime: expected true or false")
        return bool(value)

    def info_order_status(self, request: Mapping[str, Any]) -> Json:
        account = self.req_user(request)
        ref = request.get("oid")
        self._state.observe_time()
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

    def info_historical_orders(self, request: Mapping[str, Any]) -> Json:
        account = self.req_user(request)
        self._state.observe_time()
        orders = sorted(account.orders.values(), key=lambda order: order.oid, reverse=True)
        return [status_entry(order) for order in orders[:_FILLS_LIMIT]]

    def in_time_window(
        self, request: Mapping[str, Any], entries: Iterable[Mapping[str, Any]]
    ) -> Json:
        """The entries with ``startTime <= time <= endTime`` (end defaults to now), at most
        500 like the venue's time-range answers (api doc §1.12)."""
        start = self.req_time(request, "startTime", optional=False)
        end = self.req_time(request, "endTime", optional=True)
        now = self._state.observe_time()
        assert start is not None
        end = now if end is None else end
        return [e for e in entries if start <= e["time"] <= end][:_FUNDING_LIMIT]

    def info_user_funding(self, request: Mapping[str, Any]) -> Json:
        return self.in_time_window(request, self.req_user(request).fundings)

    def info_user_ledger(self, request: Mapping[str, Any]) -> Json:
        return self.in_time_window(request, self.req_user(request).ledger)

    def info_referral(self, request: Mapping[str, Any]) -> Json:
        """The user's referral state. The simulator keeps no registry of codes: a code set with
        ``setReferrer`` belongs to a synthetic referrer whose address is derived from the code.
        No one earns rewards; a user becomes able to create a code after $10k of volume."""
        account = self.req_user(request)
        self._state.observe_time()
        code = self._state.referrers.get(account.address)
        referred_by = None
        if code is not None:
            referrer = "0x" + keccak256(b"referrer:" + code.encode())[-20:].hex()
            referred_by = {"referrer": referrer, "code": code}
        cum_vlm = wire_decimal(usd(account.cum_volume))
        referrer_state: dict[str, Any] = (
            {"stage": "needToCreateCode"}
            if account.cum_volume >= _REFERRER_MIN_VOLUME
            else {"stage": "needToTrade", "data": {"required": _cap_wire(_REFERRER_MIN_VOLUME)}}
        )
        token_state = {
            "cumVlm": cum_vlm,
            "unclaimedRewards": "0.0",
            "claimedRewards": "0.0",
            "builderRewards": "0.0",
        }
        return {
            "referredBy": referred_by,
            **token_state,
            "referrerState": referrer_state,
            "rewardHistory": [],
            "tokenToState": [[self._state.token_index["USDC"], token_state]],
        }

    def info_user_rate_limit(self, request: Mapping[str, Any]) -> Json:
        account = self.req_user(request)
        return {
            "cumVlm": wire_decimal(usd(account.cum_volume)),
            "nRequestsUsed": account.n_actions,
            "nRequestsCap": account.request_cap(
                10_000
                if self._state.config.request_budget is None
                else self._state.config.request_budget
            ),
            "nRequestsSurplus": 0,
        }

    def req_address(self, request: Mapping[str, Any]) -> str:
        """The request's ``user`` address, lower-cased, without opening an account."""
        user = request.get("user")
        if not is_address(user):
            raise SimBadRequest("user: expected an address (0x + 40 hex digits)")
        assert isinstance(user, str)
        return user.lower()

    def info_extra_agents(self, request: Mapping[str, Any]) -> Json:
        """The agents a user approved that are still valid."""
        address = self.req_address(request)
        now = self._state.clock()
        return [
            {"name": name, "address": agent, "validUntil": valid_until}
            for agent, (master, name, valid_until) in self._state.agents.items()
            if master == address and (valid_until is None or valid_until > now)
        ]


_Handler = Callable[[InfoHandlers, Mapping[str, Any]], Json]

INFO_HANDLERS: dict[str, _Handler] = {
    "meta": InfoHandlers.info_meta,
    "metaAndAssetCtxs": InfoHandlers.info_meta_and_ctxs,
    "perpDexs": InfoHandlers.info_perp_dexs,
    "spotMeta": InfoHandlers.info_spot_meta,
    "spotMetaAndAssetCtxs": InfoHandlers.info_spot_meta_and_ctxs,
    "candleSnapshot": InfoHandlers.info_candle_snapshot,
    "recentTrades": InfoHandlers.info_recent_trades,
    "fundingHistory": InfoHandlers.info_funding_history,
    "exchangeStatus": InfoHandlers.info_exchange_status,
    "allPerpMetas": InfoHandlers.info_all_perp_metas,
    "perpDexLimits": InfoHandlers.info_perp_dex_limits,
    "perpsAtOpenInterestCap": InfoHandlers.info_perps_at_oi_cap,
    "predictedFundings": InfoHandlers.info_predicted_fundings,
    "userFees": InfoHandlers.info_user_fees,
    "maxBuilderFee": InfoHandlers.info_max_builder_fee,
    "activeAssetData": InfoHandlers.info_active_asset_data,
    "subAccounts": InfoHandlers.info_sub_accounts,
    "userRole": InfoHandlers.info_user_role,
    "userAbstraction": InfoHandlers.info_user_abstraction,
    "allMids": InfoHandlers.info_all_mids,
    "l2Book": InfoHandlers.info_l2_book,
    "clearinghouseState": InfoHandlers.info_clearinghouse,
    "spotClearinghouseState": InfoHandlers.info_spot_clearinghouse,
    "openOrders": InfoHandlers.info_open_orders,
    "frontendOpenOrders": InfoHandlers.info_frontend_open_orders,
    "userFills": InfoHandlers.info_user_fills,
    "userFillsByTime": InfoHandlers.info_user_fills_by_time,
    "orderStatus": InfoHandlers.info_order_status,
    "historicalOrders": InfoHandlers.info_historical_orders,
    "userRateLimit": InfoHandlers.info_user_rate_limit,
    "extraAgents": InfoHandlers.info_extra_agents,
    "referral": InfoHandlers.info_referral,
    "userDexAbstraction": InfoHandlers.info_user_dex_abstraction,
    "userFunding": InfoHandlers.info_user_funding,
    "userNonFundingLedgerUpdates": InfoHandlers.info_user_ledger,
}


def _scale_wire(scale: Decimal) -> str:
    """A fee scale as ``perpDexs`` writes it: always with a decimal point (``"1.0"``)."""
    text = wire_decimal(scale)
    return text if "." in text else text + ".0"
