"""The simulator's matching engine: placing, matching, cancelling and triggering orders.

Price-time priority with self-trade prevention, fills for both sides, fees, spot fills,
TP/SL children (one-cancels-other), trigger firing, the LP's quotes and scheduled cancels.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from hip3.sim._engine_parse import OrderSpec
from hip3.sim._engine_wire import basic_order, resting, tx_hash
from hip3.sim._history import Trade
from hip3.sim._state import DAY_MS, LP_ADDRESS, ZERO, Context, SimState
from hip3.sim.accounts import Account, usd
from hip3.sim.book import Order
from hip3.sim.market import MarketState, valid_price
from hip3.types import wire_decimal

_MIN_NOTIONAL = Decimal(10)
_MARKET_SLIPPAGE = Decimal("0.1")  # trigger market orders (api doc §2.3, TP/SL page)
_IOC_TIFS = frozenset({"Ioc", "FrontendMarket"})  # the frontend's market order is an IOC
#: the venue's answer to an order whose cloid names a live order of the account
DUPLICATE_CLOID = "Order has duplicate cloid."


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _reducible(szi: Decimal, is_buy: bool) -> Decimal:
    """How much an order on this side can reduce the position (0 if it would increase it)."""
    if szi == 0 or (szi > 0) == is_buy:
        return ZERO
    return abs(szi)


def _average(notional: Decimal, size: Decimal) -> Decimal:
    return (notional / size).quantize(Decimal("0.00000001"), rounding=ROUND_DOWN).normalize()


class Matching:
    """Orders through their life: placed, matched, filled, cancelled, triggered."""

    def __init__(self, state: SimState) -> None:
        self._state = state

    # -- placing and matching --------------------------------------------------

    def place(
        self, context: Context, spec: OrderSpec, builder: tuple[str, int] | None
    ) -> dict[str, Any]:
        """One order of an ``order`` action: its status entry (resting, filled or error)."""
        market = self._state.by_asset.get(spec.asset)
        suffix = f" asset={spec.asset}"
        if market is None:
            return {"error": f"Unknown asset.{suffix}"}
        account = self._state.accounts[context.user]
        now = context.now

        def rejected(text: str, status: str) -> dict[str, Any]:
            self.record_rejected(account, market, spec, status, now)
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
        if spec.cloid is not None and self.cloid_in_use(account, spec.cloid):
            # As on the venue: a cloid names one live order at a time; once that order is
            # filled, cancelled or refused, the cloid is free again (the SDK's examples place
            # cloid 0x...01 on every run). orderStatus by cloid then finds the newest order.
            return {"error": f"{DUPLICATE_CLOID}{suffix}"}
        reference_px = spec.trigger.px if spec.trigger is not None else spec.px
        if not spec.reduce_only and reference_px * spec.sz < _MIN_NOTIONAL:
            return rejected("Order must have minimum value of $10.", "minTradeNtlRejected")
        if (
            spec.tif not in _IOC_TIFS
            and len(account.open_orders) >= self._state.config.max_open_orders
        ):
            return rejected("Too many open orders.", "tooManyOpenOrdersRejected")
        dex_account = self._state.dex_account(account, market.dex)
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
            token, need = self.spot_cost(market, spec.is_buy, spec.px, spec.sz)
            if account.spot_available(token) < need:
                return rejected("Insufficient spot balance.", "insufficientSpotBalanceRejected")
        elif not spec.reduce_only:
            added = abs(szi + (spec.sz if spec.is_buy else -spec.sz)) - abs(szi)
            if added > 0 and self._state.at_oi_cap(market):
                # As the venue: at its cap a market takes no order that grows a position.
                return rejected(
                    "Order would increase open interest while open interest is capped",
                    "positionIncreaseAtOpenInterestCapRejected",
                )
            _, leverage = dex_account.leverage_of(
                market.coin, self._state.default_leverage[market.coin]
            )
            if added > 0 and added * reference_px / leverage > dex_account.available(
                self._state.marks(), self._state.default_leverage
            ):
                return rejected("Insufficient margin to place order.", "perpMarginRejected")
        if spec.tif in _IOC_TIFS and not market.book.crosses(spec.is_buy, spec.px):
            return rejected(
                "Order could not immediately match against any resting orders.",
                "iocCancelRejected",
            )
        order = self.new_order(account, market, spec, spec.sz, now)
        order.status_timestamp = now
        order.sz_at_status = spec.sz
        if order.trigger is not None:
            market.triggers[order.oid] = order
            account.open_orders[order.oid] = order
            self.set_status(order, "open", now)
            return resting(order)
        filled, notional = self.execute(market, order, now, builder)
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

    def record_rejected(
        self, account: Account, market: MarketState, spec: OrderSpec, status: str, now: int
    ) -> None:
        """A refused order still gets an oid and a status, so orderStatus by cloid can tell
        (unless its cloid still names a live order: that one keeps it)."""
        if spec.cloid is not None and self.cloid_in_use(account, spec.cloid):
            return
        order = self.new_order(account, market, spec, max(spec.sz, ZERO), now)
        self.set_status(order, status, now)

    @staticmethod
    def cloid_in_use(account: Account, cloid: str) -> bool:
        """Whether ``cloid`` names one of the account's live orders (resting, or a trigger
        order waiting for its price)."""
        oid = account.cloids.get(cloid)
        return oid is not None and oid in account.open_orders

    def new_order(
        self, account: Account, market: MarketState, spec: OrderSpec, sz: Decimal, now: int
    ) -> Order:
        """A new order of ``account`` from ``spec`` with a fresh oid, findable by oid and cloid."""
        order = Order(
            oid=self._state.new_oid(),
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

    def execute(
        self, market: MarketState, order: Order, now: int, builder: tuple[str, int] | None
    ) -> tuple[Decimal, Decimal]:
        """Match ``order`` as a taker, then rest or cancel the remainder. Returns the size
        filled now and its notional."""
        book = market.book
        taker_hash = ""  # the hash of the taker's transaction, made at its first trade
        taker_dex = self._state.dex_account(self._state.accounts[order.user], market.dex)
        filled = ZERO
        notional = ZERO
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
                self.cancel(maker, "selfTradeCanceled", now)
                continue
            qty = min(order.sz, maker.sz)
            if order.reduce_only:
                qty = min(qty, _reducible(taker_dex.szi(market.coin), order.is_buy))
                if qty <= 0:
                    break
            if maker.reduce_only:
                maker_dex = self._state.dex_account(self._state.accounts[maker.user], market.dex)
                room = _reducible(maker_dex.szi(market.coin), maker.is_buy)
                if room <= 0:
                    self.cancel(maker, "reduceOnlyCanceled", now)
                    continue
                qty = min(qty, room)
            taker_hash = taker_hash or tx_hash(market.coin, order.oid, now)
            self.trade(market, order, maker, px, qty, now, taker_hash, builder)
            filled += qty
            notional += px * qty
        if order.sz == 0:
            self.set_status(order, "filled", now)
        elif order.reduce_only and _reducible(taker_dex.szi(market.coin), order.is_buy) <= 0:
            # The position is closed: the rest of a reduce-only order has nothing to reduce.
            self.set_status(order, "canceled" if filled else "reduceOnlyCanceled", now)
        elif order.tif in _IOC_TIFS:
            self.set_status(order, "canceled" if filled else "iocCancelRejected", now)
        else:
            book.add(order)
            self._state.accounts[order.user].open_orders[order.oid] = order
            if order.is_lp:
                market.lp_orders.append(order)
            elif market.spot:
                self._state.accounts[order.user].hold_spot(
                    *self.spot_cost(market, order.is_buy, order.limit_px, order.sz)
                )
            elif not order.reduce_only:
                taker_dex.reserve(market.coin, order.sz * order.limit_px)
            self.set_status(order, "open", now)
        return filled, notional

    def trade(
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
        tid = self._state.next_tid
        self._state.next_tid += 1
        self._state.trades += 1
        notional = px * qty
        for order, crossed in ((taker, True), (maker, False)):
            account = self._state.accounts[order.user]
            if market.spot:
                if not order.is_lp:
                    self.spot_fill(market, account, order, crossed, px, qty, now, taker_hash, tid)
                else:
                    order.sz -= qty
                continue
            dex_account = self._state.dex_account(account, market.dex)
            rate = self._state.config.taker_fee if crossed else self._state.config.maker_fee
            fee = notional * rate * market.fee_multiplier
            builder_fee = ZERO
            if crossed and builder is not None:
                builder_fee = usd(notional * builder[1] / 100_000)
            fee = usd(fee) + builder_fee
            leverage = dex_account.leverage_of(
                market.coin, self._state.default_leverage[market.coin]
            )
            result = dex_account.apply_fill(market.coin, order.is_buy, px, qty, fee, leverage)
            order.sz -= qty
            if not crossed and not order.reduce_only and not order.is_lp:
                dex_account.reserve(market.coin, -qty * order.limit_px)
            if order.is_lp:
                continue
            account.cum_volume += notional * market.volume_weight
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
                "feeToken": self._state.collateral[market.dex],
                "twapId": None,  # the venue's fills name their TWAP; none here are
            }
            if builder_fee:
                fill["builderFee"] = wire_decimal(builder_fee)
            if order.cloid is not None:
                fill["cloid"] = order.cloid
            account.add_fill(fill)
            self._state.user_fills += 1
            self._state.emit("userFills", order.user, fill)
        if maker.sz == 0:
            market.book.remove(maker)
            self._state.accounts[maker.user].open_orders.pop(maker.oid, None)
            self.set_status(maker, "filled", now)
        market.last_trade_px = px
        market.day_ntl_vlm += notional
        market.day_base_vlm += qty
        buyer, seller = (taker.user, maker.user) if taker.is_buy else (maker.user, taker.user)
        trade = Trade(market.coin, taker.side, px, qty, taker_hash, now, tid, (buyer, seller))
        self._state.history[market.coin].trades.append(trade)
        self._state.emit("trades", market.coin, trade.wire())

    def spot_cost(
        self, market: MarketState, is_buy: bool, px: Decimal, sz: Decimal
    ) -> tuple[str, Decimal]:
        """What an order of ``sz`` at ``px`` spends: USDC to buy, the base token to sell."""
        return ("USDC", px * sz) if is_buy else (self._state.spot_base[market.coin], sz)

    def spot_fill(
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
        base = self._state.spot_base[market.coin]
        notional = px * qty
        rate = self._state.config.taker_fee if crossed else self._state.config.maker_fee
        start = account.spot.get(base, ZERO)
        if not crossed:  # a resting order's hold shrinks by what traded
            token, traded = self.spot_cost(market, order.is_buy, order.limit_px, qty)
            account.hold_spot(token, -traded)
        if order.is_buy:
            fee = (qty * rate).quantize(Decimal(1).scaleb(-8), rounding=ROUND_DOWN)
            account.move_spot("USDC", -notional)
            account.move_spot(base, qty - fee)
            account.spot_entry[base] = account.spot_entry.get(base, ZERO) + usd(notional)
            fee_token = base
        else:
            fee = usd(notional * rate)
            entry = account.spot_entry.get(base, ZERO)
            if start > 0:
                account.spot_entry[base] = usd(entry * max(ZERO, start - qty) / start)
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
        self._state.user_fills += 1
        self._state.emit("userFills", order.user, fill)

    def cancel(self, order: Order, status: str, now: int) -> None:
        """Take an open order off the book (or the trigger list) with a terminal status."""
        market = self._state.markets[order.coin]
        account = self._state.accounts[order.user]
        account.open_orders.pop(order.oid, None)
        if order.trigger is not None and order.oid in market.triggers:
            del market.triggers[order.oid]
        else:
            market.book.remove(order)
            if market.spot and not order.is_lp:
                token, held = self.spot_cost(market, order.is_buy, order.limit_px, order.sz)
                account.hold_spot(token, -held)
            elif not order.reduce_only and not order.is_lp:
                self._state.dex_account(account, market.dex).reserve(
                    market.coin, -order.sz * order.limit_px
                )
        self.set_status(order, status, now)

    def set_status(self, order: Order, status: str, now: int) -> None:
        order.status = status
        order.status_timestamp = now
        order.sz_at_status = order.sz
        if order.is_lp:
            return
        if status not in ("open", "triggered"):
            self._state.accounts[order.user].retire(order)
        if order.children and status != "open":
            children, order.children = order.children, ()
            if status == "filled":
                # Trigger orders only wait beside the book: placing them here cannot re-enter
                # the matching loop that filled the parent.
                self.place_children(order, children, now)
        self._state.emit(
            "orderUpdates",
            order.user,
            {"order": basic_order(order), "status": status, "statusTimestamp": now},
        )

    # -- TP/SL children, cancels and modifies by reference --------------------------

    def place_children(self, parent: Order, children: tuple[Any, ...], now: int) -> list[Any]:
        """Place a filled parent's TP/SL orders as one one-cancels-other group."""
        context = Context(user=parent.user, signer=parent.user, now=now, mainnet=False)
        parent.children = ()
        siblings: list[int] = []
        statuses: list[Any] = []
        for spec in children:
            status = self.place(context, spec, None)
            if "resting" in status:
                oid = status["resting"]["oid"]
                siblings.append(oid)
                self._state.accounts[parent.user].orders[oid].siblings = siblings
                statuses.append("waitingForTrigger")
            else:
                statuses.append(status)
        return statuses

    def cancel_one(self, context: Context, order: Order | None, asset: int) -> Any:
        if order is None or order.asset != asset:
            return {"error": "Order was never placed, already canceled, or filled."}
        self.cancel(order, "canceled", context.now)
        return "success"

    def modify_target(self, context: Context, target: int | str) -> Order | None:
        account = self._state.accounts[context.user]
        oid = target if isinstance(target, int) else account.cloids.get(target)
        return account.open_orders.get(oid) if oid is not None else None

    def modify(self, context: Context, order: Order, spec: OrderSpec) -> dict[str, Any]:
        """Cancel ``order`` and place ``spec`` (a new oid). The cloid may be reused."""
        if spec.asset != order.asset:
            return {"error": f"Modified order must keep its asset. asset={spec.asset}"}
        self.cancel(order, "canceled", context.now)
        account = self._state.accounts[context.user]
        if order.cloid is not None and account.cloids.get(order.cloid) == order.oid:
            del account.cloids[order.cloid]
        status: dict[str, Any] = self.place(context, spec, None)
        return status

    # -- tick and halt: the LP's quotes, triggers, scheduled cancels, settlement ---

    def refresh_lp(self, market: MarketState, now: int) -> None:
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
                self.cancel(order, "canceled", now)
        market.lp_orders.clear()
        for is_buy, px, sz in market.lp_grid(
            self._state.config.lp_levels,
            self._state.config.lp_size,
            self._state.config.lp_spread_bps,
        ):
            order = Order(
                oid=self._state.new_oid(),
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
            self.execute(market, order, now, None)

    def fire_triggers(self, market: MarketState, now: int) -> None:
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
            self._state.accounts[order.user].open_orders.pop(order.oid, None)
            self.set_status(order, "triggered", now)
            for sibling_oid in order.siblings or ():
                sibling = self._state.accounts[order.user].open_orders.get(sibling_oid)
                if sibling is not None and sibling is not order:
                    self.cancel(sibling, "siblingFilledCanceled", now)
            if trigger.is_market:
                slip = mark * (1 + _MARKET_SLIPPAGE if order.is_buy else 1 - _MARKET_SLIPPAGE)
                order.limit_px = (
                    market.ceil_price(slip) if order.is_buy else market.floor_price(slip)
                )
                order.tif = "Ioc"
            else:
                order.tif = "Gtc"
            order.trigger = None
            dex_account = self._state.dex_account(self._state.accounts[order.user], market.dex)
            if order.reduce_only and _reducible(dex_account.szi(market.coin), order.is_buy) <= 0:
                self.set_status(order, "reduceOnlyCanceled", now)
                continue
            self.execute(market, order, now, None)

    def run_schedules(self, now: int) -> None:
        due = [user for user, at in self._state.schedules.items() if at <= now]
        for user in due:
            del self._state.schedules[user]
            account = self._state.accounts[user]
            day = now // DAY_MS
            account.schedule_triggers[day] = account.schedule_triggers.get(day, 0) + 1
            for order in list(account.open_orders.values()):
                self.cancel(order, "scheduledCancel", now)

    def settle_position(self, market: MarketState, account: Account, now: int) -> None:
        dex_account = account.dexes.get(market.dex)
        szi = dex_account.szi(market.coin) if dex_account is not None else ZERO
        if dex_account is None or szi == 0:
            return
        is_buy = szi < 0
        px = market.oracle
        leverage = dex_account.leverage_of(market.coin, self._state.default_leverage[market.coin])
        result = dex_account.apply_fill(market.coin, is_buy, px, abs(szi), ZERO, leverage)
        if account is self._state.lp:
            return
        tid = self._state.next_tid
        self._state.next_tid += 1
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
            "feeToken": self._state.collateral[market.dex],
            "twapId": None,
        }
        account.add_fill(fill)
        self._state.user_fills += 1
        self._state.emit("userFills", account.address, fill)
