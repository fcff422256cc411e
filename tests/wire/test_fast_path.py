"""The converter's fast path (builders of the hot classes) gives exactly what cattrs' generated,
constructor-calling hooks give: equal values, the same concrete classes all the way down, frozen
and hashable instances (book levels: immutable NamedTuples made by their constructor on the slow
path, by ``tuple.__new__`` on the fast one). Any JSON the builders accept, the generated hooks
accept too."""

from __future__ import annotations

from typing import Any

import attrs
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hip3.errors import WireError
from hip3.wire import converter as c
from hip3.wire import models as m
from hip3.wire.ws import parse_ws_message

from .samples import WS_SAMPLES
from .test_properties import books, fills, text, ws_orders

trades = st.fixed_dictionaries(
    {
        "coin": text,
        "side": st.sampled_from(["A", "B"]),
        "px": text,
        "sz": text,
        "hash": text,
        "time": st.integers(min_value=0, max_value=2**63 - 1),
        "tid": st.integers(min_value=0, max_value=2**63 - 1),
        "users": st.lists(text, min_size=2, max_size=2),
    }
)

HOT = (m.WireFill, m.WsUserFills, m.L2Book, m.WsOrder, m.WsBasicOrder, m.WsTrade)


def assert_immutable_level(level: m.L2Level) -> None:
    assert not hasattr(level, "__dict__")  # a NamedTuple has no per-instance state to change
    for name in m.L2Level._fields:
        with pytest.raises(AttributeError):
            setattr(level, name, None)
    with pytest.raises(TypeError):
        level[0] = None  # type: ignore[index]


def assert_same(fast: Any, slow: Any) -> None:
    """Equal, and of the very same classes recursively (lists/tuples element by element)."""
    assert type(fast) is type(slow), (type(fast), type(slow))
    if isinstance(fast, m.L2Level):
        assert m.L2Level._fields == ("px", "sz", "n")
        assert len(fast) == 3
        for name in m.L2Level._fields:
            assert_same(getattr(fast, name), getattr(slow, name))
        assert (type(fast.px), type(fast.sz), type(fast.n)) == (str, str, int)
        assert fast == slow and hash(fast) == hash(slow)
        assert_immutable_level(fast)
    elif isinstance(fast, list | tuple):
        assert len(fast) == len(slow)
        for a, b in zip(fast, slow, strict=True):
            assert_same(a, b)
    elif attrs.has(type(fast)):
        for field in attrs.fields(type(fast)):
            assert_same(getattr(fast, field.name), getattr(slow, field.name))
        assert fast == slow
        try:
            expected_hash = hash(slow)
        except TypeError:  # a class with list fields is unhashable, the fast one too
            with pytest.raises(TypeError):
                hash(fast)
        else:
            assert hash(fast) == expected_hash
        if isinstance(fast, HOT):
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                setattr(fast, attrs.fields(type(fast))[0].name, None)
    else:
        assert fast == slow


def both(value: Any, cls: Any) -> tuple[Any, Any]:
    return c.converter.structure(value, cls), c._diagnostic.structure(value, cls)


@given(st.lists(fills, max_size=4), st.sampled_from([None, True, False]))
def test_user_fills_fast_equals_generated(raw_fills: list[dict[str, Any]], snap: Any) -> None:
    data: dict[str, Any] = {"user": "0xabc", "fills": raw_fills}
    if snap is not None:
        data["isSnapshot"] = snap
    assert_same(*both(data, m.WsUserFills))
    assert_same(*both(raw_fills, list[m.WireFill]))


@given(books)
def test_books_fast_equals_generated(raw: dict[str, Any]) -> None:
    assert_same(*both(raw, m.L2Book))


@given(st.lists(ws_orders, max_size=4))
def test_order_updates_fast_equals_generated(raw: list[dict[str, Any]]) -> None:
    assert_same(*both(raw, m.WsOrderUpdates))


@given(st.lists(trades, max_size=4))
def test_trades_fast_equals_generated(raw: list[dict[str, Any]]) -> None:
    assert_same(*both(raw, m.WsTrades))


@pytest.mark.parametrize(("name", "frame", "cls"), WS_SAMPLES, ids=[s[0] for s in WS_SAMPLES])
def test_every_ws_sample_fast_equals_generated(name: str, frame: str, cls: type) -> None:
    message = parse_ws_message(frame)
    assert type(message) is cls
    if isinstance(message, m.WsPlainText | m.WsPong | m.WsUnknown):
        return
    assert_same(message, c._diagnostic.structure(orjson.loads(frame)["data"], cls))


def test_builders_add_no_state_of_their_own() -> None:
    # The class swap is only sound while a builder has exactly its storage class's layout.
    for builder in (
        c._FillBuilder,
        c._UserFillsBuilder,
        c._BookBuilder,
        c._BasicOrderBuilder,
        c._OrderBuilder,
        c._TradeBuilder,
    ):
        assert builder.__slots__ == ()
        assert not hasattr(builder, "__dict__") or "__dict__" not in builder.__dict__
        (storage,) = builder.__bases__
        assert builder.__basicsize__ == storage.__basicsize__


class _CountingDict(dict[str, Any]):
    reads = 0

    def __getitem__(self, key: str) -> Any:
        _CountingDict.reads += 1
        return super().__getitem__(key)


def test_a_huge_array_of_bad_items_is_rejected_at_the_first_one() -> None:
    # Only the first failure is reported, so neither the fast path nor the diagnostic pass may
    # look at the rest: a hostile frame of many bad objects costs as little as one.
    bad = [_CountingDict(coin="BTC") for _ in range(10_000)]  # no px, sz, ...
    _CountingDict.reads = 0
    with pytest.raises(WireError) as caught:
        c.structure({"user": "0xab", "fills": bad}, m.WsUserFills)
    assert caught.value.field == "fills[0].px"
    assert _CountingDict.reads < 50
