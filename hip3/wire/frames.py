"""Raw ws frames of the hot channels -> domain records, in one msgspec decode.

The live bot's feeds call these with the frame exactly as the socket delivered it
(``str`` or ``bytes``): msgspec parses the JSON straight into Structs whose fields are
already :class:`~decimal.Decimal` and :class:`~hip3.types.Side`, and the domain
records are made from those without another pass over the JSON. No ``json.loads``
to dicts first, no cattrs.

Strictness is today's (:mod:`hip3.wire.to_domain`):

* a decimal is a JSON **string** holding a finite number. msgspec also accepts a
  JSON number or ``"NaN"``/``"Infinity"`` for a Decimal field, so every frame is
  first screened by :data:`_SUSPECT` (a number with a fraction or exponent, a
  non-finite spelling); a frame that matches is decided by the strict, slower path
  (orjson + :mod:`hip3.wire.to_domain`), which refuses exactly what it always refused.
  A false alarm (``"coin":"x:1.5"``) only costs time, never a wrong answer;
* fields have their JSON types (no coercion), required keys must be present, a
  ``null`` where a value is required is an error;
* a :class:`~hip3.errors.WireError` names the channel (``kind``) and the path of
  the bad field relative to the frame's ``data`` (``fills[3].tid``).

A ``userFills`` frame with one malformed fill keeps the others
(:class:`FillsFrame.skipped`, issue 10): the strict decode fails, the frame is
decoded again element by element by :func:`hip3.wire.to_domain.decode_fills`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Final, TypeVar

import attrs
import msgspec
import orjson

from hip3.domain import Fill, OrderUpdate
from hip3.errors import WireError
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

_CloidStr = Annotated[str, msgspec.Meta(pattern="^0x[0-9a-f]{32}$")]
"""A cloid in its canonical form; anything else (upper case...) takes the strict path."""


class _Fill(msgspec.Struct, rename="camel", gc=False):
    coin: str
    px: str
    sz: str
    side: Side
    time: int
    start_position: str
    dir: str
    closed_pnl: str
    hash: str
    oid: int
    crossed: bool
    fee: str
    tid: int | None = None
    fee_token: str | None = None
    cloid: _CloidStr | None = None
    builder_fee: str | None = None
    liquidation: dict[str, Any] | None = None
    twap_id: int | None = None


class _UserFillsData(msgspec.Struct, rename="camel", gc=False):
    user: str
    fills: list[_Fill]
    is_snapshot: bool | None = None


class _UserFillsFrame(msgspec.Struct, gc=False):
    channel: str
    data: _UserFillsData


class _BasicOrder(msgspec.Struct, rename="camel", gc=False):
    coin: str
    side: Side
    limit_px: str
    sz: str
    oid: int
    timestamp: int
    orig_sz: str
    cloid: _CloidStr | None = None
    reduce_only: bool | None = None


class _WsOrder(msgspec.Struct, rename="camel", gc=False):
    order: _BasicOrder
    status: str
    status_timestamp: int


class _OrderUpdatesFrame(msgspec.Struct, gc=False):
    channel: str
    data: list[_WsOrder]


class _Trade(msgspec.Struct, gc=False):
    coin: str
    side: Side
    px: str
    sz: str
    hash: str
    time: int
    tid: int
    users: tuple[str, str]


class _TradesFrame(msgspec.Struct, gc=False):
    channel: str
    data: list[_Trade]


@attrs.frozen(slots=True)
class Trade:
    """One public trade of a ``trades`` frame, decimals and side decoded."""

    coin: str
    side: Side
    px: Decimal
    sz: Decimal
    hash: str
    time_ms: int
    tid: int
    users: tuple[str, str]


class _Channel(msgspec.Struct, gc=False):
    channel: str


_channel_decoder: Final = msgspec.json.Decoder(_Channel)


def frame_channel(raw: str | bytes) -> str:
    """The ``channel`` of a frame (the rest of the frame is skipped, not built)."""
    try:
        return _channel_decoder.decode(raw).channel
    except msgspec.DecodeError as exc:
        raise WireError(f"not a ws data frame: {exc}", field="channel") from None


@attrs.frozen(slots=True)
class FillsFrame:
    """A ``userFills`` frame decoded: the good fills, the venue's ``isSnapshot``, and how
    many elements were refused (``first_error`` names the first)."""

    fills: list[Fill]
    is_snapshot: bool = False
    skipped: int = 0
    first_error: str | None = None


_new: Final = object.__new__
_set: Final = object.__setattr__
_D: Final = Decimal


def _cloid(hex_: str | None) -> Cloid | None:
    """A cloid the decoder already matched against its canonical pattern (so the
    validator's checks are done; attrs' __init__ would run them again)."""
    if hex_ is None:
        return None
    made = _new(Cloid)
    _set(made, "hex", hex_)
    return made


def _fill(f: _Fill) -> Fill:
    # attrs' own __init__, positionally: measured faster than building a mutable twin
    # and assigning __class__ (the type check of that assignment is not cheap).
    px = _D(f.px)
    sz = _D(f.sz)
    start = _D(f.start_position)
    pnl = _D(f.closed_pnl)
    fee = _D(f.fee)
    if not (
        sz > 0 and px.is_finite() and start.is_finite() and pnl.is_finite() and fee.is_finite()
    ):
        raise ValueError("not finite or not positive")
    cloid = f.cloid
    return Fill(
        f.coin,
        px,
        sz,
        f.side,
        f.time,
        f.oid,
        f.tid,
        None if cloid is None else _cloid(cloid),
        start,
        f.dir,
        pnl,
        fee,
        f.fee_token,
        f.crossed,
        f.hash,
        f.liquidation is not None,
    )


def _order_update(u: _WsOrder) -> OrderUpdate:
    o = u.order
    px = _D(o.limit_px)
    sz = _D(o.sz)
    orig = _D(o.orig_sz)
    if not (px.is_finite() and sz.is_finite() and orig.is_finite()):
        raise ValueError("not finite")
    cloid = o.cloid
    return OrderUpdate(
        o.coin,
        o.oid,
        o.side,
        px,
        sz,
        orig,
        u.status,
        u.status_timestamp,
        o.timestamp,
        None if cloid is None else _cloid(cloid),
        bool(o.reduce_only),
    )


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
            return FillsFrame(list(map(_fill, frame.data.fills)), frame.data.is_snapshot is True)
    except (msgspec.DecodeError, ValueError, ArithmeticError):
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
        try:
            return list(map(_order_update, frame.data))
        except (ValueError, ArithmeticError):
            pass  # a string that is no decimal: the strict path names it
    from hip3.wire.to_domain import order_updates_from_json

    return order_updates_from_json(_data_of(raw, "orderUpdates"))


def decode_trades_frame(raw: str | bytes) -> list[Trade]:
    """A ``trades`` frame as :class:`Trade` records."""
    frame = _strict(raw, "trades", _trades_decoder)
    if frame is None:
        frame = _TradesFrame(
            "trades",
            decode_frame(orjson.dumps(_data_of(raw, "trades")), list[_Trade], kind="trades"),
        )
    trades = []
    for index, t in enumerate(frame.data):
        px = _decimal(t.px, "trades", f"[{index}].px")
        sz = _decimal(t.sz, "trades", f"[{index}].sz")
        trades.append(Trade(t.coin, t.side, px, sz, t.hash, t.time, t.tid, t.users))
    return trades


def _decimal(value: str, kind: str, field: str) -> Decimal:
    try:
        result = _D(value)
    except ArithmeticError:
        raise WireError(f"not a decimal number: {value!r:.40}", kind=kind, field=field) from None
    if not result.is_finite():
        raise WireError(f"not a finite number: {value!r:.40}", kind=kind, field=field)
    return result


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
