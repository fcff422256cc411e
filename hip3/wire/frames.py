"""Raw ws frames of the hot channels -> domain records, in one msgspec decode.

The live bot's feeds call these with the frame exactly as the socket delivered it
(``str`` or ``bytes``). msgspec parses the JSON straight into the records the bot
uses: :class:`FrameFill`, :class:`FrameOrderUpdate` and :class:`FrameTrade` are
:class:`~hip3.domain.Fill`, :class:`~hip3.domain.OrderUpdate` and :class:`Trade`
(registered virtual subclasses) with no second object per element. No
``json.loads`` to dicts first, no cattrs.

Decimals are made when read. Building a :class:`~decimal.Decimal` costs about as
much as parsing its JSON (a 20-a-side l2Book holds 80 of them), and the bot does not
read most of them: the tracker drops a replayed fill by its ``tid`` before touching an
amount, and a strategy reads the top of a book. So the records keep the venue's
decimal text and make (and check) each Decimal on access; ``materialized()`` makes
them all at once. The tracker materializes each new fill and order update, and the
bot each fill it hands to the strategy, so the values it acts on are checked once.

Strictness:

* a decimal is a JSON **string** (a JSON number is refused while decoding), holding
  a finite number: checked when read, a :class:`~hip3.errors.WireError` naming the
  channel and the field (``px``) otherwise; a fill's size must be positive;
* fields have their JSON types (no coercion), required keys must be present, a
  ``null`` where a value is required is an error; these are checked while decoding,
  the :class:`~hip3.errors.WireError` naming the channel (``kind``) and the path of
  the bad field relative to the frame's ``data`` (``fills[3].tid``).

A ``userFills`` frame with one element of the wrong shape keeps the others
(:class:`FillsFrame.skipped`): the one-pass decode fails, the frame is decoded again
element by element by :func:`hip3.wire.to_domain.decode_fills`.
"""

from __future__ import annotations

import abc
import re
from decimal import Decimal
from typing import Any, Final, TypeVar, cast

import attrs
import msgspec
import orjson

from hip3.domain import (
    FILL_FIELDS,
    ORDER_UPDATE_FIELDS,
    Fill,
    OrderStatus,
    OrderUpdate,
    order_status_from_venue,
)
from hip3.errors import ValidationError, WireError
from hip3.types import Cloid, Side

__all__ = [
    "FillsFrame",
    "Trade",
    "decode_frame",
    "decode_order_updates_frame",
    "decode_trades_frame",
    "decode_user_fills_frame",
    "frame_channel",
]

T = TypeVar("T")

_HEX: Final = frozenset("0123456789abcdef")
_new: Final = object.__new__
_set: Final = object.__setattr__
_D: Final = Decimal


def _decimal_of(text: str, kind: str, field: str) -> Decimal:
    """A venue decimal string as a Decimal: finite, or a WireError naming the field."""
    try:
        value = _D(text)
    except ArithmeticError:
        raise WireError(f"not a decimal number: {text!r:.40}", kind=kind, field=field) from None
    if not value.is_finite():
        raise WireError(f"not a finite number: {text!r:.40}", kind=kind, field=field)
    return value


def _cloid_of(text: str | None, kind: str) -> Cloid | None:
    if text is None:
        return None
    if len(text) == 34 and text[:2] == "0x" and _HEX.issuperset(text[2:]):
        made = _new(Cloid)  # already checked: attrs' validator would check it again
        _set(made, "hex", text)
        return made
    try:
        return Cloid.from_str(text)
    except ValidationError as exc:
        raise WireError(str(exc), kind=kind, field="cloid") from None


class FrameFill(msgspec.Struct, rename="camel", frozen=True, gc=False, kw_only=True):
    """A :class:`~hip3.domain.Fill` as msgspec decodes it from a ``userFills`` element
    (registered as a virtual subclass of Fill: ``isinstance(fill, Fill)`` holds).

    The plain fields are checked as they are decoded (JSON types, required keys,
    ``null`` only where the venue sends it). The decimals and the cloid keep the
    venue's text and are made, and checked, when read (:class:`~hip3.domain.Fill`).
    """

    coin: str
    px_text: str = msgspec.field(name="px")
    sz_text: str = msgspec.field(name="sz")
    side: Side
    time_ms: int = msgspec.field(name="time")
    start_position_text: str = msgspec.field(name="startPosition")
    dir: str
    closed_pnl_text: str = msgspec.field(name="closedPnl")
    hash: str
    oid: int
    crossed: bool
    fee_text: str = msgspec.field(name="fee")
    tid: int | None = None
    fee_token: str | None = None
    cloid_text: str | None = msgspec.field(name="cloid", default=None)
    builder_fee: str | None = None
    liquidation_info: dict[str, Any] | None = msgspec.field(name="liquidation", default=None)
    twap_id: int | None = None

    @property
    def px(self) -> Decimal:
        return _decimal_of(self.px_text, "userFills", "px")

    @property
    def sz(self) -> Decimal:
        sz = _decimal_of(self.sz_text, "userFills", "sz")
        if sz <= 0:
            raise WireError(
                f"not a positive size: {self.sz_text!r:.40}", kind="userFills", field="sz"
            )
        return sz

    @property
    def start_position(self) -> Decimal:
        return _decimal_of(self.start_position_text, "userFills", "startPosition")

    @property
    def closed_pnl(self) -> Decimal:
        return _decimal_of(self.closed_pnl_text, "userFills", "closedPnl")

    @property
    def fee(self) -> Decimal:
        return _decimal_of(self.fee_text, "userFills", "fee")

    @property
    def cloid(self) -> Cloid | None:
        return _cloid_of(self.cloid_text, "userFills")

    @property
    def liquidation(self) -> bool:
        return self.liquidation_info is not None

    @property
    def signed_sz(self) -> Decimal:
        sz = self.sz
        return sz if self.side is Side.BUY else -sz

    def materialized(self) -> Fill:
        """The same fill with every value made and checked (WireError if one is malformed)."""
        try:
            px = _D(self.px_text)
            sz = _D(self.sz_text)
            start = _D(self.start_position_text)
            pnl = _D(self.closed_pnl_text)
            fee = _D(self.fee_text)
            ok = sz.is_finite() and sz > 0 and px.is_finite() and start.is_finite()
            ok = ok and pnl.is_finite()
        except ArithmeticError:
            ok = False
        if not (ok and fee.is_finite()):
            return Fill(*self.values())  # reads each value again: the error names the field
        return Fill(self.coin, px, sz, self.side, self.time_ms, self.oid, self.tid, self.cloid,
                    start, self.dir, pnl, fee, self.fee_token, self.crossed, self.hash,
                    self.liquidation_info is not None)  # fmt: skip

    def values(self) -> tuple[Any, ...]:
        """The fields' values (made and checked), in Fill's constructor order."""
        return tuple([getattr(self, name) for name in FILL_FIELDS])

    __eq__ = Fill.__eq__
    __hash__ = Fill.__hash__

    def __repr__(self) -> str:
        return repr(self.materialized())

    def __reduce__(self) -> tuple[Any, ...]:
        return (Fill, self.values())


Fill.register(FrameFill)


class _UserFillsData(msgspec.Struct, rename="camel", gc=False):
    user: str
    fills: list[FrameFill]
    is_snapshot: bool | None = None


class _UserFillsFrame(msgspec.Struct, gc=False):
    channel: str
    data: _UserFillsData


class _BasicOrder(msgspec.Struct, rename="camel", frozen=True, gc=False):
    coin: str
    side: Side
    limit_px: str
    sz: str
    oid: int
    timestamp: int
    orig_sz: str
    cloid: str | None = None
    reduce_only: bool | None = None


class FrameOrderUpdate(msgspec.Struct, rename="camel", frozen=True, gc=False):
    """An :class:`~hip3.domain.OrderUpdate` as msgspec decodes it from an ``orderUpdates``
    element (registered as a virtual subclass of OrderUpdate). Decimals and the cloid
    keep the venue's text until read, as :class:`FrameFill`'s do."""

    order: _BasicOrder
    status: str
    status_time_ms: int = msgspec.field(name="statusTimestamp")

    @property
    def coin(self) -> str:
        return self.order.coin

    @property
    def oid(self) -> int:
        return self.order.oid

    @property
    def side(self) -> Side:
        return self.order.side

    @property
    def limit_px(self) -> Decimal:
        return _decimal_of(self.order.limit_px, "orderUpdates", "order.limitPx")

    @property
    def sz(self) -> Decimal:
        return _decimal_of(self.order.sz, "orderUpdates", "order.sz")

    @property
    def orig_sz(self) -> Decimal:
        return _decimal_of(self.order.orig_sz, "orderUpdates", "order.origSz")

    @property
    def timestamp_ms(self) -> int:
        return self.order.timestamp

    @property
    def cloid(self) -> Cloid | None:
        return _cloid_of(self.order.cloid, "orderUpdates")

    @property
    def reduce_only(self) -> bool:
        return self.order.reduce_only is True

    @property
    def order_status(self) -> OrderStatus:
        return order_status_from_venue(self.status, remaining=self.sz, original=self.orig_sz)

    def materialized(self) -> OrderUpdate:
        """The same update with every value made and checked (WireError if one is malformed)."""
        o = self.order
        try:
            px = _D(o.limit_px)
            sz = _D(o.sz)
            orig = _D(o.orig_sz)
            ok = px.is_finite() and sz.is_finite() and orig.is_finite()
        except ArithmeticError:
            ok = False
        if not ok:
            return OrderUpdate(*self.values())  # reads each value again: the error names it
        return OrderUpdate(o.coin, o.oid, o.side, px, sz, orig, self.status, self.status_time_ms,
                           o.timestamp, self.cloid, o.reduce_only is True)  # fmt: skip

    def values(self) -> tuple[Any, ...]:
        """The fields' values (made and checked), in OrderUpdate's constructor order."""
        return tuple([getattr(self, name) for name in ORDER_UPDATE_FIELDS])

    __eq__ = OrderUpdate.__eq__
    __hash__ = OrderUpdate.__hash__

    def __repr__(self) -> str:
        return repr(self.materialized())

    def __reduce__(self) -> tuple[Any, ...]:
        return (OrderUpdate, self.values())


OrderUpdate.register(FrameOrderUpdate)


class _OrderUpdatesFrame(msgspec.Struct, gc=False):
    channel: str
    data: list[FrameOrderUpdate]


@attrs.frozen(slots=True, eq=False)
class Trade(metaclass=abc.ABCMeta):
    """One public trade of a ``trades`` frame. One decoded from a frame
    (:class:`FrameTrade`) makes its decimals when they are read."""

    coin: str
    side: Side
    px: Decimal
    sz: Decimal
    hash: str
    time_ms: int
    tid: int
    users: tuple[str, str]

    def values(self) -> tuple[Any, ...]:
        """The fields' values, in the constructor's order."""
        return tuple([getattr(self, name) for name in _TRADE_FIELDS])

    def materialized(self) -> Trade:
        """This trade with every value made and checked: itself, when built from values."""
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trade):
            return NotImplemented
        return self.values() == other.values()

    def __hash__(self) -> int:
        return hash(self.values())


_TRADE_FIELDS: Final = tuple(a.name for a in attrs.fields(Trade))


class FrameTrade(msgspec.Struct, frozen=True, gc=False):
    """A :class:`Trade` as msgspec decodes it (registered as a virtual subclass)."""

    coin: str
    side: Side
    px_text: str = msgspec.field(name="px")
    sz_text: str = msgspec.field(name="sz")
    hash: str
    time_ms: int = msgspec.field(name="time")
    tid: int
    users: tuple[str, str]

    @property
    def px(self) -> Decimal:
        return _decimal_of(self.px_text, "trades", "px")

    @property
    def sz(self) -> Decimal:
        return _decimal_of(self.sz_text, "trades", "sz")

    def materialized(self) -> Trade:
        """The same trade with every value made and checked (WireError if one is malformed)."""
        return Trade(*self.values())

    def values(self) -> tuple[Any, ...]:
        """The fields' values (made and checked), in Trade's constructor order."""
        return tuple([getattr(self, name) for name in _TRADE_FIELDS])

    __eq__ = Trade.__eq__
    __hash__ = Trade.__hash__

    def __repr__(self) -> str:
        return repr(self.materialized())

    def __reduce__(self) -> tuple[Any, ...]:
        return (Trade, self.values())


Trade.register(FrameTrade)


class _TradesFrame(msgspec.Struct, gc=False):
    channel: str
    data: list[FrameTrade]


class _Channel(msgspec.Struct, gc=False):
    channel: str


_channel_decoder: Final = msgspec.json.Decoder(_Channel)


def frame_channel(raw: str | bytes) -> str:
    """The ``channel`` of a frame (the rest of the frame is skipped, not built)."""
    try:
        return _channel_decoder.decode(raw).channel
    except msgspec.DecodeError as exc:
        raise WireError(f"not a ws data frame: {exc}", field="channel") from None


class FillsFrame(msgspec.Struct, frozen=True, gc=False):
    """A ``userFills`` frame decoded: the good fills, the venue's ``isSnapshot``, and how
    many elements were refused (``first_error`` names the first)."""

    fills: list[Fill]
    is_snapshot: bool = False
    skipped: int = 0
    first_error: str | None = None


_user_fills_decoder: Final = msgspec.json.Decoder(_UserFillsFrame)
_order_updates_decoder: Final = msgspec.json.Decoder(_OrderUpdatesFrame)
_trades_decoder: Final = msgspec.json.Decoder(_TradesFrame)


def _data_of(raw: str | bytes, channel: str) -> Any:
    """The frame's ``data`` as plain JSON (the strict path), errors named."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise WireError("invalid JSON frame", kind=channel, sample=raw[:200]) from None
    if type(obj) is not dict:
        raise WireError("expected a JSON object with 'channel'", kind=channel, sample=obj)
    if obj.get("channel") != channel:
        raise WireError(
            f"expected channel {channel!r}, got {obj.get('channel')!r:.40}",
            kind=channel,
            field="channel",
        )
    if "data" not in obj:
        raise WireError("required field is missing", kind=channel, field="data")
    return obj["data"]


def decode_user_fills_frame(raw: str | bytes) -> FillsFrame:
    """A ``userFills`` frame as domain fills: one msgspec decode when the frame is clean;
    otherwise per element, malformed fills skipped and counted, never the batch."""
    try:
        frame = _user_fills_decoder.decode(raw)
        if frame.channel == "userFills":
            data = frame.data
            # FrameFill is registered as a Fill (an ABC), which mypy cannot see.
            return FillsFrame(cast("list[Fill]", data.fills), data.is_snapshot is True)
    except msgspec.DecodeError:
        pass  # something in it is bad: the element-wise path keeps the good fills
    from hip3.wire.to_domain import decode_fills

    payload = _data_of(raw, "userFills")
    if type(payload) is not dict:
        raise WireError(f"expected an object, got {payload!r:.60}", kind="userFills")
    if type(payload.get("user")) is not str:
        raise WireError("expected a string", kind="userFills", field="user")
    snapshot = payload.get("isSnapshot")
    if snapshot is not None and type(snapshot) is not bool:
        raise WireError("expected a boolean", kind="userFills", field="isSnapshot")
    if "fills" not in payload:
        raise WireError("required field is missing", kind="userFills", field="fills")
    decoded = decode_fills(payload["fills"], kind="userFills")
    return FillsFrame(decoded.fills, snapshot is True, decoded.skipped, decoded.first_error)


def _strict(raw: str | bytes, channel: str, decoder: msgspec.json.Decoder[Any]) -> Any:
    try:
        frame = decoder.decode(raw)
    except msgspec.DecodeError:
        return None
    return frame if frame.channel == channel else None


def decode_order_updates_frame(raw: str | bytes) -> list[OrderUpdate]:
    """An ``orderUpdates`` frame as domain order updates (a bad element refuses the frame,
    with a WireError naming it: orderUpdates are reconciled over REST, never guessed)."""
    frame = _strict(raw, "orderUpdates", _order_updates_decoder)
    if frame is not None:
        return cast("list[OrderUpdate]", frame.data)  # registered as OrderUpdate (an ABC)
    from hip3.wire.to_domain import order_updates_from_json

    return order_updates_from_json(_data_of(raw, "orderUpdates"))


def decode_trades_frame(raw: str | bytes) -> list[Trade]:
    """A ``trades`` frame as :class:`Trade` records."""
    frame = _strict(raw, "trades", _trades_decoder)
    if frame is None:
        data: list[FrameTrade] = decode_frame(
            orjson.dumps(_data_of(raw, "trades")), list[FrameTrade], kind="trades"
        )
        return cast("list[Trade]", data)
    return cast("list[Trade]", frame.data)  # registered as Trade (an ABC)


_PATH: Final = re.compile(r" - at `\$(?:\.data)?\.?([^`]*)`$")


def wire_error(exc: msgspec.MsgspecError, kind: str, sample: Any = None) -> WireError:
    """msgspec's error as a WireError: the message, and the field path relative to the
    frame's ``data`` (``fills[3].tid``)."""
    text = str(exc)
    match = _PATH.search(text)
    field = None
    if match is not None:
        field = match.group(1).lstrip(".") or None
        text = text[: match.start()]
    return WireError(text, kind=kind, field=field, sample=sample)


def decode_frame(raw: str | bytes, type_: type[T] | Any, *, kind: str) -> T:
    """``raw`` JSON decoded as ``type_`` by msgspec, strictly; errors as WireError."""
    try:
        return msgspec.json.decode(raw, type=type_)
    except msgspec.MsgspecError as exc:
        raise wire_error(exc, kind, sample=raw[:200]) from None
