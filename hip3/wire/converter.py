"""THE converter between the venue's JSON and :mod:`hip3.wire.models`.

One :class:`cattrs.Converter` (``converter``) knows every wire class: it maps
snake_case attributes to the venue's camelCase keys, ignores unknown keys (the
venue adds fields over time), omits optional fields that were absent, and keeps
``null`` where the venue sends ``null`` — so JSON -> objects -> JSON is the
identity for every message shape hip3 models.

Strictness: JSON types are checked, never coerced (a price sent as a number
instead of a decimal string is an error, not silently ``str()``-ed). Any
failure is raised as :class:`hip3.errors.WireError` naming the message kind
and the JSON path of the offending field (``fills[3].tid``).

Speed: the classes on the hot path of a trading bot (fills, order updates,
books, trades) get hand-written structure hooks that check types with
``type(x) is str`` and call the class directly, with no per-field try/except
or intermediate dicts. When one of them fails, the same input is re-structured
by ``_diagnostic``, a copy of the converter with cattrs' generated,
detailed-validation hooks, only to find the path of the bad field for the
error message. Decimal strings stay strings here; :mod:`hip3.wire.to_domain`
turns them into Decimals when the domain needs them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from itertools import repeat
from typing import Any, Final, TypeVar, cast

import attrs
import cattrs
import orjson
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from hip3.errors import WireError
from hip3.wire import models as m
from hip3.wire.models import ABSENT, Absent, wire_name

__all__ = [
    "FAST_STRUCTURE",
    "converter",
    "dumps",
    "loads",
    "structure",
    "unstructure",
    "wire_error_for",
]

T = TypeVar("T")

_JSON_NAMES: Final = {
    str: "a string",
    int: "an integer",
    bool: "a boolean",
    float: "a number",
    list: "an array",
    dict: "an object",
}


class _WrongType(TypeError):
    """A JSON value of the wrong type (carries a readable message)."""


def _expect(value: Any, expected: type) -> Any:
    """``value`` if its JSON type is ``expected`` (bool is not an int, an int is a number)."""
    actual = type(value)
    if actual is expected or (expected is float and actual is int):
        return value
    raise _WrongType(f"expected {_JSON_NAMES.get(expected, expected.__name__)}, got {value!r:.60}")


def _strict(expected: type) -> Callable[[Any, Any], Any]:
    def hook(value: Any, _type: Any) -> Any:
        return _expect(value, expected)

    return hook


def _nullable(expected: type) -> Callable[[Any, Any], Any]:
    def hook(value: Any, _type: Any) -> Any:
        return None if value is None else _expect(value, expected)

    return hook


def _note_index(exc: Exception, index: int, type_: Any) -> None:
    note = IterableValidationNote(f"Structuring {type_} @ index {index}", index, type_)
    exc.__notes__ = [*getattr(exc, "__notes__", []), note]


def _is_attrs_wire(cls: Any) -> bool:
    return isinstance(cls, type) and attrs.has(cls)


def _build_diagnostic() -> cattrs.Converter:
    """The converter with cattrs' generated hooks for every wire class (detailed validation)."""
    conv = cattrs.Converter(
        omit_if_default=True,
        forbid_extra_keys=False,
        detailed_validation=True,
        unstruct_collection_overrides={tuple: list},  # JSON has arrays, not tuples
    )
    for primitive in (str, int, bool, float):
        conv.register_structure_hook(primitive, _strict(primitive))

    def list_hook_factory(type_: Any) -> Callable[[Any, Any], Any]:
        (element,) = getattr(type_, "__args__", (Any,))
        inner = conv.get_structure_hook(element)

        def hook(value: Any, _type: Any) -> Any:
            _expect(value, list)
            if element is Any:
                return value
            items = []
            for index, item in enumerate(value):
                try:
                    items.append(inner(item, element))
                except Exception as exc:
                    # Only the first failure is reported: stop there, so a huge array of bad
                    # items costs no more than one (a hostile frame must not stall the loop).
                    _note_index(exc, index, element)
                    raise IterableValidationError(
                        f"While structuring {type_}", [exc], type_
                    ) from None
            return items

        return hook

    def is_list(type_: Any) -> bool:
        return getattr(type_, "__origin__", None) is list

    conv.register_structure_hook_factory(is_list, list_hook_factory)

    def dict_hook_factory(type_: Any) -> Callable[[Any, Any], Any]:
        _key_type, value_type = getattr(type_, "__args__", (Any, Any))
        value_hook = conv.get_structure_hook(value_type)

        def hook(value: Any, _type: Any) -> Any:
            _expect(value, dict)
            if value_type is Any:
                return value
            return {_expect(k, str): value_hook(v, value_type) for k, v in value.items()}

        return hook

    def is_dict(type_: Any) -> bool:
        return getattr(type_, "__origin__", None) is dict

    conv.register_structure_hook_factory(is_dict, dict_hook_factory)

    def tuple_hook_factory(type_: Any) -> Callable[[Any, Any], Any]:
        args = type_.__args__
        hooks = [conv.get_structure_hook(arg) for arg in args]

        def hook(value: Any, _type: Any) -> Any:
            _expect(value, list)
            if len(value) != len(args):
                raise _WrongType(f"expected an array of {len(args)} elements, got {len(value)}")
            errors: list[Exception] = []
            items = []
            for index, (item_hook, arg, item) in enumerate(zip(hooks, args, value, strict=True)):
                try:
                    items.append(item_hook(item, arg))
                except Exception as exc:
                    _note_index(exc, index, arg)
                    errors.append(exc)
            if errors:
                raise IterableValidationError("tuple", errors, type_)
            return tuple(items)

        return hook

    def is_fixed_tuple(type_: Any) -> bool:
        return getattr(type_, "__origin__", None) is tuple and Ellipsis not in type_.__args__

    conv.register_structure_hook_factory(is_fixed_tuple, tuple_hook_factory)

    # Union types the venue uses.
    conv.register_structure_hook(int | None | Absent, _nullable(int))
    conv.register_structure_hook(str | None | Absent, _nullable(str))
    conv.register_structure_hook(str | float | None, _str_or_number)
    conv.register_structure_hook(m.StatusEntry, _structure_status_entry)
    conv.register_structure_hook(m.StatusesData | dict[str, Any] | None, _structure_response_data)
    conv.register_structure_hook(m.ExchangeResponse, _structure_exchange_response)
    conv.register_structure_hook(m.WsPostResponse, _structure_post_response)
    conv.register_structure_hook(m.WsOrderUpdates, _structure_order_updates)
    conv.register_structure_hook(m.WsTrades, _structure_trades)
    conv.register_structure_hook(m.WsError, lambda v, _t: m.WsError(_expect(v, str)))
    conv.register_structure_hook(m.L2Level, _structure_level)
    conv.register_structure_hook(m.WsPong, lambda v, _t: m.WsPong())
    conv.register_unstructure_hook(
        m.WsOrderUpdates, lambda v: [conv.unstructure(o, m.WsOrder) for o in v.orders]
    )
    conv.register_unstructure_hook(
        m.WsTrades, lambda v: [conv.unstructure(t, m.WsTrade) for t in v.trades]
    )
    conv.register_unstructure_hook(m.WsError, lambda v: v.text)
    conv.register_unstructure_hook(m.L2Level, lambda v: {"px": v.px, "sz": v.sz, "n": v.n})
    conv.register_unstructure_hook(m.WsPong, lambda v: None)

    def structure_factory(cls: Any) -> Any:
        renames: dict[str, Any] = {a.name: override(rename=wire_name(a)) for a in attrs.fields(cls)}
        return make_dict_structure_fn(cls, conv, **renames)

    def unstructure_factory(cls: Any) -> Any:
        renames: dict[str, Any] = {a.name: override(rename=wire_name(a)) for a in attrs.fields(cls)}
        return make_dict_unstructure_fn(cls, conv, _cattrs_omit_if_default=True, **renames)

    conv.register_structure_hook_factory(_is_attrs_wire, structure_factory)
    conv.register_unstructure_hook_factory(_is_attrs_wire, unstructure_factory)
    return conv


def _str_or_number(value: Any, _type: Any) -> Any:
    if value is None or type(value) in (str, int, float):
        return value
    raise _WrongType(f"expected a string or a number, got {value!r:.60}")


def _at(owner: type, attribute: str, exc: Exception) -> ClassValidationError:
    """``exc`` as cattrs would report it for ``owner.attribute`` (so the path is kept)."""
    note = AttributeValidationNote(
        f"Structuring class {owner.__qualname__} @ attribute {attribute}", attribute, owner
    )
    exc.__notes__ = [*getattr(exc, "__notes__", []), note]
    return ClassValidationError(f"While structuring {owner.__name__}", [exc], owner)


def _field(value: Mapping[str, Any], owner: type, attribute: str, cls: Any = None) -> Any:
    """``value[attribute]``, structured as ``cls`` if given, errors located at the attribute."""
    try:
        item = value[attribute]
        return item if cls is None else _diagnostic.structure(item, cls)
    except Exception as exc:
        raise _at(owner, attribute, exc) from None


def _structure_status_entry(value: Any, _type: Any) -> m.StatusEntry:
    if type(value) is str:
        return value
    _expect(value, dict)
    if "resting" in value:
        return _diagnostic.structure(value, m.RestingStatus)
    if "filled" in value:
        return _diagnostic.structure(value, m.FilledStatus)
    if "error" in value:
        return _diagnostic.structure(value, m.ErrorStatus)
    raise _WrongType(f"expected 'resting', 'filled', 'error' or a string, got {value!r:.80}")


def _structure_response_data(value: Any, _type: Any) -> m.StatusesData | dict[str, Any] | None:
    if value is None:
        return None
    _expect(value, dict)
    if "statuses" in value:
        return _diagnostic.structure(value, m.StatusesData)
    return cast(dict[str, Any], value)


def _structure_exchange_response(value: Any, _type: Any) -> m.ExchangeResponse:
    owner = m.ExchangeResponse
    _expect(value, dict)
    status = _field(value, owner, "status", str)
    if status == "err":
        return m.ExchangeResponse("err", _field(value, owner, "response", str))
    if status != "ok":
        bad = _WrongType(f"expected 'ok' or 'err', got {status!r:.40}")
        raise _at(owner, "status", bad)
    response = _field(value, owner, "response")
    if type(response) is str:  # keep the venue's text whatever the status says
        return m.ExchangeResponse("ok", response)
    return m.ExchangeResponse("ok", _field(value, owner, "response", m.ExchangeResponseBody))


def _structure_post_response(value: Any, _type: Any) -> m.WsPostResponse:
    owner = m.WsPostResponse
    _expect(value, dict)
    kind = _field(value, owner, "type", str)
    if kind == "info":
        return m.WsPostResponse("info", _field(value, owner, "payload", m.WsPostInfoPayload))
    if kind == "action":
        return m.WsPostResponse("action", _field(value, owner, "payload", m.ExchangeResponse))
    if kind == "error":
        return m.WsPostResponse("error", _field(value, owner, "payload", str))
    bad = _WrongType(f"expected 'info', 'action' or 'error', got {kind!r:.40}")
    raise _at(owner, "type", bad)


def _structure_level(value: Any, _type: Any) -> m.L2Level:
    owner = m.L2Level
    return owner(
        _field(value, owner, "px", str),
        _field(value, owner, "sz", str),
        _field(value, owner, "n", int),
    )


def _structure_order_updates(value: Any, _type: Any) -> m.WsOrderUpdates:
    return m.WsOrderUpdates(_diagnostic.structure(value, list[m.WsOrder]))


def _structure_trades(value: Any, _type: Any) -> m.WsTrades:
    return m.WsTrades(_diagnostic.structure(value, list[m.WsTrade]))


# ---------------------------------------------------------------------------
# Hand-written hooks for the hot classes (FAST PATH in hip3.wire.models).
#
# Each hot class has a private *builder*: a subclass of its mutable slotted
# storage that adds no slots, whose ``__init__`` takes the venue's JSON object,
# checks every JSON type, stores the fields and finally sets ``__class__`` to
# the frozen class (same layout, so CPython allows it). A list of them is then
# ``list(map(Builder, items))``: one Python frame per object, no per-field
# try/except, no keyword arguments, no intermediate dicts (measured in
# bench/bench_parse.py: ~15-20% less than a hook that calls the storage
# class's attrs ``__init__`` and swaps the class afterwards). Anything
# unexpected raises (``_WrongType``, ``KeyError``, ``TypeError``); the caller
# then asks ``_diagnostic`` for the path of the bad field.
# ---------------------------------------------------------------------------


def _fast_liquidation(value: Any) -> m.Liquidation:
    return _diagnostic.structure(value, m.Liquidation)


class _FillBuilder(m._WireFillSlots):
    __slots__ = ()

    def __init__(self, o: Any) -> None:
        coin = o["coin"]
        px = o["px"]
        sz = o["sz"]
        side = o["side"]
        time = o["time"]
        start_position = o["startPosition"]
        direction = o["dir"]
        closed_pnl = o["closedPnl"]
        hash_ = o["hash"]
        oid = o["oid"]
        crossed = o["crossed"]
        fee = o["fee"]
        try:  # present on every current fill: subscripts are cheaper than .get calls
            tid = o["tid"]
            fee_token = o["feeToken"]
            twap_id = o["twapId"]
        except KeyError:  # 2023 recordings: no tid/feeToken/twapId
            tid = o.get("tid")
            fee_token = o.get("feeToken")
            twap_id = o.get("twapId", ABSENT)
        get = o.get
        cloid = get("cloid")
        builder_fee = get("builderFee")
        liquidation = get("liquidation")
        if (
            type(coin) is not str
            or type(px) is not str
            or type(sz) is not str
            or type(side) is not str
            or type(time) is not int
            or type(start_position) is not str
            or type(direction) is not str
            or type(closed_pnl) is not str
            or type(hash_) is not str
            or type(oid) is not int
            or type(crossed) is not bool
            or type(fee) is not str
            or (tid is not None and type(tid) is not int)
            or (fee_token is not None and type(fee_token) is not str)
            or (cloid is not None and type(cloid) is not str)
            or (builder_fee is not None and type(builder_fee) is not str)
            or (twap_id is not None and twap_id is not ABSENT and type(twap_id) is not int)
        ):
            raise _WrongType("fill")
        if liquidation is not None:
            liquidation = _fast_liquidation(liquidation)
        self.coin = coin
        self.px = px
        self.sz = sz
        self.side = side
        self.time = time
        self.start_position = start_position
        self.dir = direction
        self.closed_pnl = closed_pnl
        self.hash = hash_
        self.oid = oid
        self.crossed = crossed
        self.fee = fee
        self.tid = tid
        self.fee_token = fee_token
        self.cloid = cloid
        self.builder_fee = builder_fee
        self.liquidation = liquidation
        self.twap_id = twap_id
        self.__class__ = m.WireFill  # type: ignore[assignment]


def _fast_fill(o: Any, _type: Any = None) -> m.WireFill:
    return _FillBuilder(o)  # type: ignore[return-value]


def _fast_fills(value: Any, _type: Any = None) -> list[m.WireFill]:
    if type(value) is not list:
        raise _WrongType("fills")
    return list(map(_FillBuilder, value))  # type: ignore[arg-type]


class _UserFillsBuilder(m._WsUserFillsSlots):
    __slots__ = ()

    def __init__(self, o: Any) -> None:
        user = o["user"]
        fills = o["fills"]
        is_snapshot = o.get("isSnapshot")
        if (
            type(user) is not str
            or type(fills) is not list
            or (is_snapshot is not None and type(is_snapshot) is not bool)
        ):
            raise _WrongType("userFills")
        self.user = user
        self.fills = list(map(_FillBuilder, fills))  # type: ignore[arg-type]
        self.is_snapshot = is_snapshot
        self.__class__ = m.WsUserFills  # type: ignore[assignment]


def _fast_user_fills(o: Any, _type: Any = None) -> m.WsUserFills:
    return _UserFillsBuilder(o)  # type: ignore[return-value]


_new_tuple: Final = tuple.__new__
_level_values: Final = operator.itemgetter("px", "sz", "n")


class _BookBuilder(m._L2BookSlots):
    """Book levels are NamedTuples with no builder of their own: both sides in one batch, the
    values taken out of the JSON objects by ``itemgetter`` and each level made by
    ``tuple.__new__`` (both looped over in C by ``map``), the types checked in one Python
    pass over the values, then the batch split into bids and asks. Measured in
    bench/bench_parse.py: an attrs level built by a builder like the fills' cost about as
    much as ``json.loads`` of its JSON object, a level made here about two thirds of that."""

    __slots__ = ()

    def __init__(self, o: Any) -> None:
        coin = o["coin"]
        time = o["time"]
        levels = o["levels"]
        if type(coin) is not str or type(time) is not int or type(levels) is not list:
            raise _WrongType("l2Book")
        bids, asks = levels
        if type(bids) is not list or type(asks) is not list:
            raise _WrongType("levels")
        values = list(map(_level_values, bids + asks))
        for px, sz, n in values:
            if type(px) is not str or type(sz) is not str or type(n) is not int:
                raise _WrongType("level")
        made = list(map(_new_tuple, repeat(m.L2Level), values))
        split = len(bids)
        self.coin = coin
        self.time = time
        self.levels = (made[:split], made[split:])
        self.__class__ = m.L2Book  # type: ignore[assignment]


def _fast_book(o: Any, _type: Any = None) -> m.L2Book:
    return _BookBuilder(o)  # type: ignore[return-value]


class _BasicOrderBuilder(m._WsBasicOrderSlots):
    __slots__ = ()

    def __init__(self, o: Any) -> None:
        coin = o["coin"]
        side = o["side"]
        limit_px = o["limitPx"]
        sz = o["sz"]
        oid = o["oid"]
        timestamp = o["timestamp"]
        orig_sz = o["origSz"]
        get = o.get
        cloid = get("cloid")
        reduce_only = get("reduceOnly")
        if (
            type(coin) is not str
            or type(side) is not str
            or type(limit_px) is not str
            or type(sz) is not str
            or type(oid) is not int
            or type(timestamp) is not int
            or type(orig_sz) is not str
            or (cloid is not None and type(cloid) is not str)
            or (reduce_only is not None and type(reduce_only) is not bool)
        ):
            raise _WrongType("order")
        self.coin = coin
        self.side = side
        self.limit_px = limit_px
        self.sz = sz
        self.oid = oid
        self.timestamp = timestamp
        self.orig_sz = orig_sz
        self.cloid = cloid
        self.reduce_only = reduce_only
        self.__class__ = m.WsBasicOrder  # type: ignore[assignment]


class _OrderBuilder(m._WsOrderSlots):
    __slots__ = ()

    def __init__(self, o: Any) -> None:
        status = o["status"]
        status_timestamp = o["statusTimestamp"]
        if type(status) is not str or type(status_timestamp) is not int:
            raise _WrongType("orderUpdate")
        self.order = _BasicOrderBuilder(o["order"])  # type: ignore[assignment]
        self.status = status
        self.status_timestamp = status_timestamp
        self.__class__ = m.WsOrder  # type: ignore[assignment]


def _fast_ws_order(o: Any, _type: Any = None) -> m.WsOrder:
    return _OrderBuilder(o)  # type: ignore[return-value]


def _fast_order_updates(value: Any, _type: Any = None) -> m.WsOrderUpdates:
    if type(value) is not list:
        raise _WrongType("orderUpdates")
    return m.WsOrderUpdates(list(map(_OrderBuilder, value)))  # type: ignore[arg-type]


class _TradeBuilder(m._WsTradeSlots):
    __slots__ = ()

    def __init__(self, o: Any) -> None:
        coin = o["coin"]
        side = o["side"]
        px = o["px"]
        sz = o["sz"]
        hash_ = o["hash"]
        time = o["time"]
        tid = o["tid"]
        users = o["users"]
        if (
            type(coin) is not str
            or type(side) is not str
            or type(px) is not str
            or type(sz) is not str
            or type(hash_) is not str
            or type(time) is not int
            or type(tid) is not int
            or type(users) is not list
            or len(users) != 2
            or type(users[0]) is not str
            or type(users[1]) is not str
        ):
            raise _WrongType("trade")
        self.coin = coin
        self.side = side
        self.px = px
        self.sz = sz
        self.hash = hash_
        self.time = time
        self.tid = tid
        self.users = (users[0], users[1])
        self.__class__ = m.WsTrade  # type: ignore[assignment]


def _fast_trades(value: Any, _type: Any = None) -> m.WsTrades:
    if type(value) is not list:
        raise _WrongType("trades")
    return m.WsTrades(list(map(_TradeBuilder, value)))  # type: ignore[arg-type]


def _equal_to(target: Any) -> Callable[[Any], bool]:
    def predicate(type_: Any) -> bool:
        return bool(type_ == target)

    return predicate


_diagnostic: Final = _build_diagnostic()

converter: Final = _diagnostic.copy()
"""THE converter: ``_diagnostic``'s hooks plus the fast hooks for the hot classes."""

FAST_STRUCTURE: Final[Mapping[type, Callable[[Any], Any]]] = {
    m.WsUserFills: _UserFillsBuilder,
    m.L2Book: _BookBuilder,
    m.WsOrderUpdates: _fast_order_updates,
    m.WsTrades: _fast_trades,
}
"""One-argument structure functions of the hot ws data classes (what ``converter`` calls for
them, minus a frame): :func:`hip3.wire.ws.parse_ws_message` calls these directly."""

_FAST_HOOKS: Final[Mapping[Any, Callable[[Any, Any], Any]]] = {
    m.WireFill: _fast_fill,
    list[m.WireFill]: _fast_fills,
    m.WsUserFills: _fast_user_fills,
    m.L2Book: _fast_book,
    m.WsOrder: _fast_ws_order,
    m.WsOrderUpdates: _fast_order_updates,
    m.WsTrades: _fast_trades,
}
for _cls, _hook in _FAST_HOOKS.items():
    if isinstance(_cls, type):
        converter.register_structure_hook(_cls, _hook)
    else:  # a generic alias such as list[WireFill]: dispatch by equality
        converter.register_structure_hook_func(_equal_to(_cls), _hook)


# ---------------------------------------------------------------------------
# Error translation
# ---------------------------------------------------------------------------


def _wire_key(cls: Any, attribute_name: str) -> str:
    if _is_attrs_wire(cls):
        for attribute in attrs.fields(cls):
            if attribute.name == attribute_name:
                return wire_name(attribute)
    return attribute_name


def _first_failure(exc: BaseException, path: str) -> tuple[str, BaseException]:
    """Walk cattrs' nested validation errors down to the first leaf; return (path, leaf)."""
    if isinstance(exc, ClassValidationError):
        for sub, note in exc.group_exceptions()[0]:
            if _not_an_object(sub):  # the value itself is no JSON object: report it, not a key
                return path, sub
            key = _wire_key(exc.cl, note.name)
            return _first_failure(sub, f"{path}.{key}" if path else key)
    if isinstance(exc, IterableValidationError):
        for sub, item_note in exc.group_exceptions()[0]:
            return _first_failure(sub, f"{path}[{item_note.index}]")
    return path, exc


def _not_an_object(exc: BaseException) -> bool:
    return (
        isinstance(exc, TypeError)
        and not isinstance(exc, _WrongType)
        and ("not subscriptable" in str(exc) or "indices must be" in str(exc))
    )


def _describe(leaf: BaseException) -> str:
    if isinstance(leaf, KeyError):
        return "required field is missing"
    if isinstance(leaf, _WrongType):
        return str(leaf)
    if _not_an_object(leaf):
        return "expected an object"
    return f"{type(leaf).__name__}: {leaf}"


def wire_error_for(value: Any, cls: Any, kind: str, original: BaseException) -> WireError:
    """The WireError for ``value`` failing to structure as ``cls``: re-runs the detailed
    hooks to find the path of the first bad field (``original`` is used if they pass)."""
    try:
        _diagnostic.structure(value, cls)
    except (ClassValidationError, IterableValidationError) as exc:
        path, leaf = _first_failure(exc, "")
        return WireError(_describe(leaf), kind=kind, field=path or None, sample=value)
    except Exception as exc:
        return WireError(_describe(exc), kind=kind, sample=value)
    return WireError(_describe(original), kind=kind, sample=value)


def _kind_of(cls: Any) -> str:
    return getattr(cls, "__name__", None) or str(cls)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def loads(raw: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON (orjson). Invalid JSON raises WireError."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise WireError(f"invalid JSON: {exc}", sample=raw[:200]) from None


def dumps(obj: Any) -> bytes:
    """Wire classes (or plain JSON values) to compact JSON bytes."""
    return orjson.dumps(converter.unstructure(obj))


def structure(obj: Any, cls: type[T] | Any, *, kind: str | None = None) -> T:
    """The venue's JSON value ``obj`` as ``cls`` (a wire class or a typing form like
    ``list[OpenOrder]``). Raises WireError naming ``kind`` and the field path."""
    try:
        return cast(T, converter.structure(obj, cls))
    except WireError:
        raise
    except Exception as exc:
        raise wire_error_for(obj, cls, kind or _kind_of(cls), exc) from None


def unstructure(obj: Any) -> Any:
    """Wire objects back to the venue's JSON values (dicts/lists/str/int/bool/None)."""
    return converter.unstructure(obj)
