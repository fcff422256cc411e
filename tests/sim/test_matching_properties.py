"""Hypothesis: orders, cancels, modifies and ticks interleaved from several accounts keep the
exchange consistent — books never crossed, every trade in both sides' fills under one tid,
positions summing to zero (LP included), snapshots covering exactly the fills before them."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hip3.sim.config import SimConfig
from hip3.sim.engine import LP_ADDRESS
from hip3.wire import actions
from hip3.wire.to_domain import account_snapshot_from_json, fills_from_json
from tests.sim.test_engine_support import BTC, ETH, TSLA, Venue, quiet_config

# asset -> (coin, dex, price step, size choices)
_MARKETS: dict[int, tuple[str, str, Decimal, list[str]]] = {
    BTC: ("BTC", "", Decimal(5), ["0.0002", "0.001", "0.003", "0.02"]),
    ETH: ("ETH", "", Decimal("0.3"), ["0.004", "0.05", "0.4"]),
    TSLA: ("xyz:TSLA", "xyz", Decimal("0.05"), ["0.05", "1", "7.5"]),
}
_TRADERS = 4


class ExchangeMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.venue = Venue(
            SimConfig(auto_accounts=True, seed=11, lp_levels=3, lp_size=Decimal(150))
        )
        self.traders = [self.venue.trader(i) for i in range(_TRADERS)]
        self.addresses = {t.address for t in self.traders}
        self.oids: list[tuple[int, int, int]] = []  # (trader, asset, oid)

    # -- rules ---------------------------------------------------------------

    @rule(
        who=st.integers(0, _TRADERS - 1),
        asset=st.sampled_from(sorted(_MARKETS)),
        is_buy=st.booleans(),
        steps=st.integers(-8, 8),
        size=st.integers(0, 3),
        tif=st.sampled_from(["Gtc", "Gtc", "Ioc", "Alo"]),
        reduce_only=st.booleans(),
    )
    def place(
        self, who: int, asset: int, is_buy: bool, steps: int, size: int, tif: str, reduce_only: bool
    ) -> None:
        coin, dex, step, sizes = _MARKETS[asset]
        mid = Decimal(self.venue.info("allMids", dex=dex)[coin])
        px = (mid + step * steps).quantize(step) if step < 1 else int(mid) + int(step) * steps
        sz = sizes[size % len(sizes)]
        wire = actions.order_wire(asset, is_buy, str(px), sz, tif=tif, reduce_only=reduce_only)  # type: ignore[arg-type]
        [status] = self.traders[who].orders(wire)
        assert isinstance(status, dict) and len(status) == 1
        if "resting" in status:
            self.oids.append((who, asset, status["resting"]["oid"]))
        elif "filled" in status:
            assert Decimal(status["filled"]["totalSz"]) <= Decimal(sz)
        else:
            assert status["error"].endswith(f" asset={asset}")

    @precondition(lambda self: bool(self.oids))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        who, asset, oid = data.draw(st.sampled_from(self.oids))
        self.oids.remove((who, asset, oid))
        status = self.traders[who].cancel(asset, oid)
        assert status == "success" or status == {
            "error": "Order was never placed, already canceled, or filled."
        }

    @precondition(lambda self: bool(self.oids))
    @rule(data=st.data(), steps=st.integers(-3, 3))
    def modify(self, data: st.DataObject, steps: int) -> None:
        who, asset, oid = data.draw(st.sampled_from(self.oids))
        self.oids.remove((who, asset, oid))
        trader = self.traders[who]
        order = trader.info("orderStatus", oid=oid)["order"]["order"]
        step = _MARKETS[asset][2]
        px = Decimal(order["limitPx"]) + step * steps
        wire = actions.order_wire(asset, order["side"] == "B", str(px), order["origSz"])
        answer = trader.act(actions.batch_modify_action([(oid, wire)]))
        [status] = answer["response"]["data"]["statuses"]
        if "resting" in status:
            self.oids.append((who, asset, status["resting"]["oid"]))

    @rule(
        who=st.integers(0, _TRADERS - 1),
        asset=st.sampled_from(sorted(_MARKETS)),
        is_buy=st.booleans(),
        steps=st.integers(-6, 6),
        is_market=st.booleans(),
        tpsl=st.sampled_from(["tp", "sl"]),
    )
    def place_trigger(
        self, who: int, asset: int, is_buy: bool, steps: int, is_market: bool, tpsl: str
    ) -> None:
        coin, dex, step, sizes = _MARKETS[asset]
        mid = Decimal(self.venue.info("allMids", dex=dex)[coin])
        px = (mid + step * steps).quantize(step) if step < 1 else int(mid) + int(step) * steps
        order_type = actions.trigger_order_type(str(px), is_market=is_market, tpsl=tpsl)  # type: ignore[arg-type]
        wire = actions.order_wire(
            asset, is_buy, str(px), sizes[1], reduce_only=True, order_type=order_type
        )
        [status] = self.traders[who].orders(wire)
        if "resting" in status:
            self.oids.append((who, asset, status["resting"]["oid"]))

    @rule(asset=st.sampled_from(sorted(_MARKETS)), steps=st.integers(-10, 10))
    def move_the_mark(self, asset: int, steps: int) -> None:
        coin, dex, step, _sizes = _MARKETS[asset]
        mid = Decimal(
            self.venue.info("metaAndAssetCtxs", dex=dex)[1][0 if asset != ETH else 1]["markPx"]
        )
        self.venue.exchange.set_oracle(coin, mid + step * steps * 3)
        self.venue.tick(0)

    @rule(ms=st.sampled_from([0, 200, 1000, 5000, 3_600_000]))
    def tick(self, ms: int) -> None:
        self.venue.tick(ms)

    # -- invariants ----------------------------------------------------------

    @invariant()
    def books_never_cross(self) -> None:
        for coin, _dex, _step, _sizes in _MARKETS.values():
            bids, asks = self.venue.info("l2Book", coin=coin)["levels"]
            if bids and asks:
                assert Decimal(bids[0]["px"]) < Decimal(asks[0]["px"])

    @invariant()
    def positions_sum_to_zero(self) -> None:
        totals: Counter[str] = Counter()
        for held in self.venue.exchange.truth()["positions"].values():
            for coin, szi in held.items():
                totals[coin] += Decimal(szi)  # type: ignore[assignment]
        assert all(total == 0 for total in totals.values()), totals

    @invariant()
    def every_trade_is_in_both_sides_fills_once(self) -> None:
        fills_by_user = {t.address: t.info("userFills") for t in self.traders}
        for fills in fills_by_user.values():
            tids = [f["tid"] for f in fills]
            assert len(tids) == len(set(tids)), "tids unique per user"
            fills_from_json(fills)
        trades = [t for batch in self.venue.events_of("trades") for t in batch]
        assert len({t["tid"] for t in trades}) == len(trades)
        for trade in trades:
            buyer, seller = trade["users"]
            for user, side in ((buyer, "B"), (seller, "A")):
                if user == LP_ADDRESS:
                    continue
                mine = [f for f in fills_by_user[user] if f["tid"] == trade["tid"]]
                assert len(mine) == 1
                assert (mine[0]["side"], mine[0]["px"], mine[0]["sz"]) == (
                    side,
                    trade["px"],
                    trade["sz"],
                )

    @invariant()
    def snapshots_cover_exactly_the_fills_before_them(self) -> None:
        for trader in self.traders:
            for dex in ("", "xyz"):
                state = trader.info("clearinghouseState", dex=dex)
                snapshot = account_snapshot_from_json(dex, state)
                from_fills: Counter[str] = Counter()
                for fill in trader.info("userFills"):
                    coin = fill["coin"]
                    if (":" in coin) == bool(dex) and fill["time"] <= snapshot.time_ms:
                        signed = Decimal(fill["sz"]) * (1 if fill["side"] == "B" else -1)
                        from_fills[coin] += signed  # type: ignore[assignment]
                expected = {coin: szi for coin, szi in from_fills.items() if szi != 0}
                assert {c: p.szi for c, p in snapshot.positions.items()} == expected

    @invariant()
    def start_positions_chain(self) -> None:
        for trader in self.traders:
            position: dict[str, Decimal] = {}
            for fill in reversed(trader.info("userFills")):
                start = position.get(fill["coin"], Decimal(0))
                assert Decimal(fill["startPosition"]) == start
                position[fill["coin"]] = start + Decimal(fill["sz"]) * (
                    1 if fill["side"] == "B" else -1
                )


class UsersOnlyMachine(ExchangeMachine):
    """No liquidity provider and a still oracle: every trade is between two test accounts."""

    def __init__(self) -> None:
        super().__init__()
        self.venue = Venue(quiet_config())
        self.traders = [self.venue.trader(i) for i in range(_TRADERS)]


ExchangeMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=40)
UsersOnlyMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=40)
TestExchangeMachine = ExchangeMachine.TestCase
TestUsersOnlyMachine = UsersOnlyMachine.TestCase
