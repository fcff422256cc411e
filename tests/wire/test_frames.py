"""hip3.wire.frames and book_from_frame: raw ws frames straight to domain records.

Each fast decoder must agree with the dict path it replaced (hip3.wire.to_domain on
``orjson.loads`` of the frame) on every frame, and keep its strictness: decimals only
as finite strings, JSON types checked, errors naming the channel and the field."""

from __future__ import annotations

import pickle
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.bot.book import Book, Level, book_from_frame, book_from_l2
from hip3.domain import Fill
from hip3.errors import WireError
from hip3.tracker import TrackerState
from hip3.types import Cloid, Side
from hip3.wire.frames import (
    Trade,
    decode_order_updates_frame,
    decode_trades_frame,
    decode_user_fills_frame,
    frame_channel,
)
from hip3.wire.to_domain import decode_fills, fills_from_json, order_updates_from_json

from .samples import FILL_DOCS, FILL_HIP3, FILL_LIQUIDATION, USER

FILLS = [orjson.loads(f) for f in (FILL_HIP3, FILL_DOCS, FILL_LIQUIDATION)]


def user_fills(fills: list[Any], **extra: Any) -> bytes:
    return orjson.dumps({"channel": "userFills", "data": {"user": USER, "fills": fills, **extra}})


def order(**changes: Any) -> dict[str, Any]:
    basic = {
        "coin": "test:ABC",
        "side": "B",
        "limitPx": "25.123",
        "sz": "1.0",
        "oid": 7,
        "timestamp": 1700000000050,
        "origSz": "1.5",
        "cloid": "0x0000000000000000000000000000002a",
    }
    basic.update(changes)
    return {"order": basic, "status": "open", "statusTimestamp": 1700000000051}


def book(bids: list[Any], asks: list[Any]) -> bytes:
    data = {"coin": "BTC", "time": 1700000001000, "levels": [bids, asks]}
    return orjson.dumps({"channel": "l2Book", "data": data})


def test_user_fills_frame_equals_the_dict_path() -> None:
    for raw in (user_fills(FILLS), user_fills(FILLS).decode(), user_fills(FILLS, isSnapshot=True)):
        decoded = decode_user_fills_frame(raw)
        assert decoded.fills == fills_from_json(FILLS)
        assert decoded.skipped == 0 and decoded.first_error is None
    assert decode_user_fills_frame(user_fills(FILLS, isSnapshot=True)).is_snapshot
    assert not decode_user_fills_frame(user_fills(FILLS)).is_snapshot


def test_fast_fills_are_frozen_domain_fills() -> None:
    [fill, _, liquidated] = decode_user_fills_frame(user_fills(FILLS)).fills
    assert isinstance(fill, Fill) and type(fill.cloid) is Cloid
    assert fill == fill.materialized() and type(fill.materialized()) is Fill
    assert hash(fill) == hash(fill.materialized()) and repr(fill) == repr(fill.materialized())
    assert pickle.loads(pickle.dumps(fill)) == fill
    assert fill.side is Side.BUY and fill.px == Decimal("25.123") and fill.time_ms == 1700000300000
    assert fill.cloid == Cloid.from_int(42) and hash(fill.cloid) == hash(Cloid.from_int(42))
    assert liquidated.liquidation and not fill.liquidation
    with pytest.raises(AttributeError):
        fill.px = Decimal(1)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"px": 25.1}, "px"),  # a float where a decimal string belongs
        ({"fee": -1}, "fee"),
        ({"hash": None}, "hash"),
        ({"oid": "7"}, "oid"),
        ({"side": "X"}, "side"),
        ({"crossed": 1}, "crossed"),
        ({"cloid": 7}, "cloid"),
        ({"startPosition": None}, "startPosition"),
    ],
)
def test_a_fill_of_the_wrong_shape_is_skipped_and_named_the_others_kept(
    change: dict[str, Any], field: str
) -> None:
    bad = {**FILLS[0], **change, "tid": 99}
    decoded = decode_user_fills_frame(user_fills([FILLS[1], bad, FILLS[2]]))
    assert [f.tid for f in decoded.fills] == [FILLS[1]["tid"], FILLS[2]["tid"]]
    assert decoded.skipped == 1
    assert decoded.first_error is not None and decoded.first_error.startswith("[1]")
    assert field in decoded.first_error


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"px": "NaN"}, "px"),
        ({"fee": "-Infinity"}, "fee"),
        ({"sz": "0.0"}, "sz"),
        ({"cloid": "0xABC"}, "cloid"),
        ({"startPosition": "1..2"}, "startPosition"),
        ({"closedPnl": "x"}, "closedPnl"),
    ],
)
def test_a_malformed_value_is_named_when_read_and_the_tracker_skips_it(
    change: dict[str, Any], field: str
) -> None:
    """A decoded fill keeps the venue's text; a value that is no finite decimal (or a
    bad cloid, a size of zero) is a WireError naming the field when it is read. The
    tracker reads every new fill's values once, counts a malformed one, and skips it."""
    bad = {**FILLS[0], **change, "tid": 99}
    decoded = decode_user_fills_frame(user_fills([FILLS[1], bad])).fills
    assert decoded[1].tid == 99
    with pytest.raises(WireError) as caught:
        decoded[1].materialized()
    assert caught.value.field == field and caught.value.kind == "userFills"
    state = TrackerState()
    state.apply_fills(decoded)
    stats = state.stats()
    assert stats.malformed_fills == 1 and stats.fills_applied == 1
    state.apply_fills(decoded)  # the good one again: a duplicate, the bad one refused again
    assert state.stats().duplicates_dropped == 1 and state.stats().malformed_fills == 2


def test_a_snapshot_of_duplicates_builds_no_decimal() -> None:
    """Deferred values pay off where the bot really spends: a reconnect's snapshot
    replays fills the tracker has seen; it drops them by tid before reading a value."""
    state = TrackerState()
    state.apply_fills(decode_user_fills_frame(user_fills(FILLS)).fills)
    poisoned = [{**f, "px": "poison", "fee": "poison"} for f in FILLS]  # raise if read
    state.apply_fills(decode_user_fills_frame(user_fills(poisoned, isSnapshot=True)).fills)
    assert state.stats().duplicates_dropped == len(FILLS) and state.stats().malformed_fills == 0


def test_an_upper_case_cloid_is_normalised_as_before() -> None:
    fill = {**FILLS[0], "cloid": "0X" + "AB" * 16}
    [decoded] = decode_user_fills_frame(user_fills([fill])).fills
    assert decoded.cloid == Cloid("0x" + "ab" * 16)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"channel":"userFills","data":{"user":"x","fills":{}}}', None),
        (b'{"channel":"userFills","data":{"fills":[]}}', "user"),
        (b'{"channel":"userFills"}', "data"),
        (b'{"channel":"userFills","data":{"user":"x","fills":[],"isSnapshot":1}}', "isSnapshot"),
        (b'{"channel":"trades","data":[]}', "channel"),
        (b"[1,2", None),
    ],
)
def test_a_broken_user_fills_frame_is_a_wire_error(raw: bytes, field: str | None) -> None:
    with pytest.raises(WireError) as caught:
        decode_user_fills_frame(raw)
    assert caught.value.field == field


def test_order_updates_frame_equals_the_dict_path_and_stays_strict() -> None:
    data = [order(), order(cloid=None, reduceOnly=True, coin="BTC", side="A")]
    raw = orjson.dumps({"channel": "orderUpdates", "data": data})
    assert decode_order_updates_frame(raw) == order_updates_from_json(data)
    for bad in ({"limitPx": 25.1}, {"oid": None}, {"side": "Q"}):
        frame = orjson.dumps({"channel": "orderUpdates", "data": [order(**bad)]})
        with pytest.raises(WireError) as caught:
            decode_order_updates_frame(frame)
        assert caught.value.kind == "orderUpdates"
    frame = orjson.dumps({"channel": "orderUpdates", "data": [order(sz="NaN")]})
    [update] = decode_order_updates_frame(frame)
    with pytest.raises(WireError) as caught:
        update.materialized()
    assert caught.value.kind == "orderUpdates" and caught.value.field == "order.sz"


def test_book_frame_equals_book_from_l2_and_refuses_floats() -> None:
    bids = [{"px": "95000.0", "sz": "1.5", "n": 2}, {"px": "94999.5", "sz": "0.1", "n": 1}]
    asks = [{"px": "95001.0", "sz": "2", "n": 3}]
    raw = book(bids, asks)
    made = book_from_frame(raw)
    assert made == book_from_l2(orjson.loads(raw)["data"])
    assert made == Book(
        "BTC",
        1700000001000,
        (Level(Decimal("95000.0"), Decimal("1.5")), Level(Decimal("94999.5"), Decimal("0.1"))),
        (Level(Decimal("95001.0"), Decimal("2")),),
    )
    assert made.mid == Decimal("95000.5")
    for bad in ({"px": 95000.0, "sz": "1", "n": 1}, {"px": "NaN", "sz": "1", "n": 1}, {"px": "1"}):
        with pytest.raises(WireError) as caught:
            book_from_frame(book([bad], []))
        assert caught.value.kind == "l2Book"
    # Below the best level a value is checked when read.
    deep = book_from_frame(book([bids[0], {"px": "x", "sz": "1", "n": 1}], asks))
    assert deep.best_bid == Decimal("95000.0")
    with pytest.raises(WireError) as caught:
        _ = deep.bids[1].px
    assert caught.value.kind == "l2Book" and caught.value.field == "px"


def test_trades_frame() -> None:
    trade = {
        "coin": "BTC",
        "side": "A",
        "px": "95000.0",
        "sz": "0.002",
        "hash": "0x" + "9a" * 32,
        "time": 1700000000123,
        "tid": 731,
        "users": [USER, "0x" + "00" * 20],
    }
    raw = orjson.dumps({"channel": "trades", "data": [trade]})
    assert decode_trades_frame(raw) == [
        Trade("BTC", Side.SELL, Decimal("95000.0"), Decimal("0.002"), trade["hash"], 1700000000123,
              731, (USER, "0x" + "00" * 20))
    ]  # fmt: skip
    for bad, field in (({"px": 1.5}, "[0].px"), ({"tid": None}, "[0].tid")):
        frame = orjson.dumps({"channel": "trades", "data": [{**trade, **bad}]})
        with pytest.raises(WireError) as caught:
            decode_trades_frame(frame)
        assert caught.value.kind == "trades" and caught.value.field == field
    frame = orjson.dumps({"channel": "trades", "data": [{**trade, "sz": "Infinity"}]})
    [infinite] = decode_trades_frame(frame)
    with pytest.raises(WireError) as caught:
        _ = infinite.sz
    assert caught.value.kind == "trades" and caught.value.field == "sz"


def test_frame_channel() -> None:
    assert frame_channel(user_fills(FILLS)) == "userFills"
    with pytest.raises(WireError):
        frame_channel(b"Websocket connection established.")


_decimal = st.decimals(
    allow_nan=False, allow_infinity=False, places=4, min_value=-(10**6), max_value=10**6
)
_bad_value = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False),
    st.sampled_from(["NaN", "inf", "", "x", "0.0", "1e999999999"]),
)
_field = st.sampled_from(["px", "sz", "fee", "closedPnl", "startPosition", "oid", "time", "hash", "side", "crossed", "tid"])  # fmt: skip


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(FILLS), _decimal, st.one_of(st.none(), st.tuples(_field, _bad_value))
        ),
        max_size=6,
    ),
    st.booleans(),
)
def test_fast_path_agrees_with_the_element_wise_path(
    spec: list[tuple[dict[str, Any], Decimal, tuple[str, Any] | None]], snapshot: bool
) -> None:
    """Whatever the batch, the one-pass decoder and the tracker's read of each new fill
    together keep exactly the fills decode_fills keeps."""
    fills = []
    for index, (base, px, bad) in enumerate(spec):
        fill = {**base, "px": str(px), "tid": index}
        if bad is not None:
            fill[bad[0]] = bad[1]
        fills.append(fill)
    decoded = decode_user_fills_frame(user_fills(fills, isSnapshot=snapshot))
    expected = decode_fills(fills)
    kept = []
    for fill in decoded.fills:
        try:
            kept.append(fill.materialized())
        except WireError:
            continue
    assert kept == expected.fills
    assert decoded.skipped + len(decoded.fills) - len(kept) == expected.skipped
    assert decoded.is_snapshot is snapshot


_amount = st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=0, max_value=10**9)
_positive = _amount.filter(lambda d: d > 0)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(_positive, _positive, _amount, _amount, st.integers(0, 2**62), st.sampled_from(["B", "A"]))
def test_a_fill_round_trips_through_its_venue_json(
    px: Decimal, sz: Decimal, pnl: Decimal, fee: Decimal, tid: int, side: str
) -> None:
    element = {**FILLS[1], "px": str(px), "sz": str(sz), "closedPnl": str(-pnl),
               "fee": str(fee), "tid": tid, "side": side}  # fmt: skip
    [decoded] = decode_user_fills_frame(user_fills([element])).fills
    [expected] = fills_from_json([element])
    assert decoded == expected and hash(decoded) == hash(expected)
    assert (decoded.px, decoded.sz, decoded.closed_pnl, decoded.fee) == (px, sz, -pnl, fee)
    assert decoded.materialized() == expected and decoded.signed_sz == expected.signed_sz


@settings(max_examples=100, derandomize=True, deadline=None)
@given(_positive, _amount, _positive, st.sampled_from(["open", "filled", "canceled"]))
def test_an_order_update_and_a_trade_round_trip(
    px: Decimal, remaining: Decimal, orig: Decimal, status: str
) -> None:
    data = [{**order(limitPx=str(px), sz=str(remaining), origSz=str(orig)), "status": status}]
    [decoded] = decode_order_updates_frame(orjson.dumps({"channel": "orderUpdates", "data": data}))
    [expected] = order_updates_from_json(data)
    assert decoded == expected and decoded.order_status is expected.order_status
    trade = {"coin": "BTC", "side": "B", "px": str(px), "sz": str(orig), "hash": "0x" + "ab" * 32,
             "time": 1, "tid": 2, "users": [USER, USER]}  # fmt: skip
    [made] = decode_trades_frame(orjson.dumps({"channel": "trades", "data": [trade]}))
    assert made == Trade("BTC", Side.BUY, px, orig, trade["hash"], 1, 2, (USER, USER))
    assert made.materialized() == made and pickle.loads(pickle.dumps(made)) == made
