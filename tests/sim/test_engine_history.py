"""A market's public history: recentTrades, candleSnapshot and fundingHistory are computed
from the trades and funding settlements the engine actually made."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.sim._history import CANDLE_INTERVALS, Trade, candle_start, candles
from hip3.sim.config import SimBadRequest
from tests.sim.test_engine_support import BTC, T0, Venue, quiet_config

MINUTE = 60_000
HOUR = 3_600_000


def trade_at(venue: Venue, px: str, sz: str, *, maker: int = 1, taker: int = 0) -> None:
    venue.trader(maker).order(BTC, False, px, sz)
    venue.trader(taker).order(BTC, True, px, sz, tif="Ioc")


def test_recent_trades_are_the_engine_trades_newest_first() -> None:
    venue = Venue()
    assert venue.info("recentTrades", coin="BTC") == []
    trade_at(venue, "60000", "0.1")
    venue.tick(1_000)
    trade_at(venue, "60010", "0.2")
    recent = venue.info("recentTrades", coin="BTC")
    assert [(t["px"], t["sz"], t["side"]) for t in recent] == [
        ("60010", "0.2", "B"),
        ("60000", "0.1", "B"),
    ]
    # The same objects the trades channel streamed.
    streamed = [trade for batch in venue.events_of("trades", "BTC") for trade in batch]
    assert recent[::-1] == streamed
    buyer, seller = venue.trader(0).address, venue.trader(1).address
    assert recent[0]["users"] == [buyer, seller]
    for _ in range(12):
        trade_at(venue, "60000", "0.001")
    assert len(venue.info("recentTrades", coin="BTC")) == 10


def test_candle_snapshot_folds_trades_into_intervals() -> None:
    venue = Venue()
    start = T0 - T0 % MINUTE + MINUTE
    venue.tick(start - T0)
    trade_at(venue, "60000", "0.1")
    venue.tick(10_000)
    trade_at(venue, "60100", "0.2")
    venue.tick(10_000)
    trade_at(venue, "59900", "0.3")
    venue.tick(MINUTE)  # the next minute
    trade_at(venue, "60050", "0.4")
    req = {"coin": "BTC", "interval": "1m", "startTime": start, "endTime": start + 2 * MINUTE}
    assert venue.info("candleSnapshot", req=req) == [
        {"t": start, "T": start + MINUTE - 1, "s": "BTC", "i": "1m", "o": "60000", "c": "59900",
         "h": "60100", "l": "59900", "v": "0.6", "n": 3},
        {"t": start + MINUTE, "T": start + 2 * MINUTE - 1, "s": "BTC", "i": "1m", "o": "60050",
         "c": "60050", "h": "60050", "l": "60050", "v": "0.4", "n": 1},
    ]  # fmt: skip
    # A window starting inside a candle still gets that candle (the venue's overlap rule).
    req["startTime"] = start + MINUTE + 5
    assert [c["t"] for c in venue.info("candleSnapshot", req=req)] == [start + MINUTE]
    [hourly] = venue.info("candleSnapshot", req={"coin": "BTC", "interval": "1h", "startTime": 0})
    assert hourly["v"] == "1" and hourly["n"] == 4 and hourly["t"] % HOUR == 0


@pytest.mark.parametrize(
    ("req", "field"),
    [
        ({"coin": "BTC", "interval": "7m", "startTime": 0}, "interval"),
        ({"coin": "DOGE", "interval": "1m", "startTime": 0}, "coin"),
        ({"coin": "BTC", "interval": "1m"}, "startTime"),
        ({"coin": "BTC", "interval": 1, "startTime": 0}, "interval"),
    ],
)
def test_candle_snapshot_names_the_bad_field(req: dict[str, object], field: str) -> None:
    with pytest.raises(SimBadRequest, match=field):
        Venue().info("candleSnapshot", req=req)


def test_funding_history_records_every_settlement_of_every_market() -> None:
    venue = Venue(quiet_config(funding_rate=Decimal("0.00002")))
    venue.tick(HOUR - venue.clock.ms % HOUR)
    venue.tick(HOUR)
    history = venue.info("fundingHistory", coin="xyz:TSLA", startTime=0)
    assert [h["fundingRate"] for h in history] == ["0.00002", "0.00002"]
    assert history[1]["time"] - history[0]["time"] == HOUR
    assert all(h["coin"] == "xyz:TSLA" and h["premium"] == "0.0" for h in history)
    later = venue.info("fundingHistory", coin="BTC", startTime=history[1]["time"])
    assert len(later) == 1
    with pytest.raises(SimBadRequest, match="coin"):
        venue.info("fundingHistory", coin="NOPE", startTime=0)


def test_spot_meta_and_asset_ctxs_pairs_meta_with_one_ctx_per_pair() -> None:
    venue = Venue()
    meta, ctxs = venue.info("spotMetaAndAssetCtxs")
    assert meta == venue.info("spotMeta")
    assert len(ctxs) == len(meta["universe"])


@settings(max_examples=200, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 40 * 86_400_000),
            st.integers(1, 10_000),
            st.integers(1, 1_000),
        ),
        max_size=60,
    ),
    st.sampled_from(sorted(CANDLE_INTERVALS)),
)
def test_candles_agree_with_the_trades_they_fold(
    raw: list[tuple[int, int, int]], interval: str
) -> None:
    raw.sort()
    trades = [
        Trade("BTC", "B", Decimal(px), Decimal(sz), "0x", T0 + t, i, ("0xa", "0xb"))
        for i, (t, px, sz) in enumerate(raw)
    ]
    built = candles("BTC", interval, trades, 0, 2**62)
    assert sum(c["n"] for c in built) == len(trades)
    assert sum(Decimal(c["v"]) for c in built) == sum((t.sz for t in trades), Decimal(0))
    for candle in built:
        inside = [t for t in trades if candle["t"] <= t.time <= candle["T"]]
        assert candle["n"] == len(inside)
        assert Decimal(candle["o"]) == inside[0].px and Decimal(candle["c"]) == inside[-1].px
        assert Decimal(candle["h"]) == max(t.px for t in inside)
        assert Decimal(candle["l"]) == min(t.px for t in inside)
        assert candle_start(candle["t"], interval) == (candle["t"], candle["T"])
    assert [c["t"] for c in built] == sorted({c["t"] for c in built})


def test_week_and_month_candles_start_on_monday_and_the_first() -> None:
    monday = 1_699_833_600_000  # 2023-11-13 00:00 UTC, a Monday
    assert candle_start(monday + 3 * 86_400_000, "1w") == (monday, monday + 7 * 86_400_000 - 1)
    november = 1_698_796_800_000  # 2023-11-01 00:00 UTC
    december = 1_701_388_800_000
    assert candle_start(T0, "1M") == (november, december - 1)
