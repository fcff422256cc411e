"""WebSocket frames from the venue -> typed messages (hyperliquid-api.md §4).

Every server frame is ``{"channel": <name>, "data": ...}`` except ``pong``
(no data) and the plain-text greeting ``"Websocket connection established."``
the venue sends on connect (the official SDK skips it too). One msgspec decoder
knows every modelled channel (a union tagged by ``channel``), so parsing a frame
is one pass over its bytes, straight into the channel's data class with decimals,
sides and every JSON type checked (:mod:`hip3.wire.codec`).

* :func:`parse_ws_message` returns one of the classes in
  :data:`hip3.wire.models.WsMessage`: a modelled channel's data class,
  :class:`~hip3.wire.models.WsUnknown` for a well-formed frame on a channel
  hip3 does not model, :class:`~hip3.wire.models.WsPlainText` for non-JSON
  text. Malformed frames raise :class:`~hip3.errors.WireError` naming the
  channel and the field (relative to the frame's ``data``: ``fills[3].tid``).
* :func:`ws_message_to_json` is the inverse (the exact frame, for captures and
  for the simulator).
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
import orjson

from hip3.errors import WireError
from hip3.wire import models as m
from hip3.wire.codec import Decode, decoder, dumps, sample_of, unstructure, wire_error
from hip3.wire.models import split_location

__all__ = ["CHANNEL_CLASSES", "parse_ws_message", "ws_message_to_bytes", "ws_message_to_json"]

CHANNEL_CLASSES: Final[dict[str, type[Any]]] = {
    "userFills": m.WsUserFills,
    "orderUpdates": m.WsOrderUpdates,
    "user": m.WsUserEvents,
    "l2Book": m.L2Book,
    "allMids": m.WsAllMids,
    "trades": m.WsTrades,
    "post": m.WsPost,
    "subscriptionResponse": m.WsSubscriptionResponse,
    "error": m.WsError,
    "userFundings": m.WsUserFundings,
    "clearinghouseState": m.WsClearinghouseState,
    "notification": m.WsNotification,
    "activeAssetCtx": m.ActiveAssetCtx,
}
"""Channel name -> class of its data."""

_CLASS_CHANNELS: Final[dict[type[Any], str]] = {cls: ch for ch, cls in CHANNEL_CLASSES.items()}


class _Frame(msgspec.Struct, tag_field="channel", gc=False):
    """A frame of one channel; :meth:`message` is what :func:`parse_ws_message` returns."""

    def message(self) -> m.WsMessage:
        return self.data  # type: ignore[attr-defined, no-any-return]


class _UserFills(_Frame, tag="userFills"):
    data: m.WsUserFills


class _OrderUpdates(_Frame, tag="orderUpdates"):
    data: list[m.WsOrder]

    def message(self) -> m.WsMessage:
        return m.WsOrderUpdates(self.data)


class _User(_Frame, tag="user"):
    data: m.WsUserEvents


class _L2Book(_Frame, tag="l2Book"):
    data: m.L2Book


class _AllMids(_Frame, tag="allMids"):
    data: m.WsAllMids


class _Trades(_Frame, tag="trades"):
    data: list[m.WsTrade]

    def message(self) -> m.WsMessage:
        return m.WsTrades(self.data)


class _Post(_Frame, tag="post"):
    data: m.WsPost


class _SubscriptionResponse(_Frame, tag="subscriptionResponse"):
    data: m.WsSubscriptionResponse


class _Error(_Frame, tag="error"):
    data: str

    def message(self) -> m.WsMessage:
        return m.WsError(self.data)


class _UserFundings(_Frame, tag="userFundings"):
    data: m.WsUserFundings


class _ClearinghouseState(_Frame, tag="clearinghouseState"):
    data: m.WsClearinghouseState


class _Notification(_Frame, tag="notification"):
    data: m.WsNotification


class _ActiveAssetCtx(_Frame, tag="activeAssetCtx"):
    data: m.ActiveAssetCtx


class _Pong(_Frame, tag="pong"):
    def message(self) -> m.WsMessage:
        return m.WsPong()


_AnyFrame = (
    _UserFills
    | _OrderUpdates
    | _User
    | _L2Book
    | _AllMids
    | _Trades
    | _Post
    | _SubscriptionResponse
    | _Error
    | _UserFundings
    | _ClearinghouseState
    | _Notification
    | _ActiveAssetCtx
    | _Pong
)
_decode_frame: Final[Decode[_Frame]] = decoder(_AnyFrame)


def _plain_text(raw: bytes | bytearray | memoryview | str) -> m.WsPlainText:
    if isinstance(raw, str):
        text = raw
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: no socket delivers these, reject them
            raise WireError("frame is not valid Unicode text", sample=text[:200]) from None
    else:
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise WireError(
                "frame is neither JSON nor UTF-8 text", sample=bytes(raw)[:200]
            ) from None
    stripped = text.lstrip()
    if not stripped or stripped[0] in '{["':
        # Looks like JSON that failed to parse: a broken message, not a greeting.
        raise WireError("invalid JSON frame", sample=text[:200])
    return m.WsPlainText(text)


def parse_ws_message(raw: bytes | bytearray | memoryview | str) -> m.WsMessage:
    """One frame from the venue as a typed message (see the module doc)."""
    try:
        frame = _decode_frame(raw)
    except msgspec.ValidationError as exc:
        if _about_the_channel(exc):
            return _unmodelled(raw)
        channel = _channel_of(raw)
        raise wire_error(exc, channel, sample=sample_of(raw), under=".data") from None
    except (msgspec.DecodeError, UnicodeEncodeError):
        return _plain_text(raw)
    except RecursionError:  # nested deeper than any venue message (a hostile frame)
        raise WireError(
            "JSON nested too deeply", kind=_channel_of(raw), sample=sample_of(raw)
        ) from None
    return frame.message()


def _about_the_channel(exc: msgspec.ValidationError) -> bool:
    """The frame's ``channel`` itself is the problem (unknown, missing, not a string), or
    the frame is no JSON object at all: decided by the untyped path."""
    message, path = split_location(str(exc))
    if path:
        return path == ".channel"
    return "`channel`" in message or message.startswith("Expected `object`")


class _Header(msgspec.Struct):
    channel: str


_decode_header: Final[Decode[_Header]] = decoder(_Header)


def _channel_of(raw: bytes | bytearray | memoryview | str) -> str | None:
    """The channel of a frame whose data failed (only on that path; the data is skipped)."""
    try:
        return _decode_header(raw).channel
    except (msgspec.DecodeError, RecursionError):
        return None


def _unmodelled(raw: bytes | bytearray | memoryview | str) -> m.WsMessage:
    """A well-formed JSON frame on a channel hip3 does not model, or a broken header."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:  # msgspec tolerates a little more (a trailing NUL)
        return _plain_text(raw)
    if type(obj) is not dict:
        raise WireError("expected a JSON object with 'channel'", sample=obj)
    channel = obj.get("channel")
    if type(channel) is not str:
        raise WireError("missing or non-string 'channel'", field="channel", sample=obj)
    if channel in CHANNEL_CLASSES or channel == "pong":  # a header problem after all
        raise WireError("malformed frame", kind=channel, sample=obj)
    return m.WsUnknown(channel, obj.get("data"))


def ws_message_to_json(message: m.WsMessage) -> Any:
    """The frame's JSON value (``{"channel", "data"}``; a plain-text frame is its str)."""
    if isinstance(message, m.WsPlainText):
        return message.text
    if isinstance(message, m.WsPong):
        return {"channel": "pong"}
    if isinstance(message, m.WsUnknown):
        return {"channel": message.channel, "data": message.data}
    channel = _CLASS_CHANNELS[type(message)]
    if isinstance(message, m.WsOrderUpdates):
        return {"channel": channel, "data": unstructure(message.orders)}
    if isinstance(message, m.WsTrades):
        return {"channel": channel, "data": unstructure(message.trades)}
    if isinstance(message, m.WsError):
        return {"channel": channel, "data": message.text}
    return {"channel": channel, "data": unstructure(message)}


def ws_message_to_bytes(message: m.WsMessage) -> bytes:
    """The frame as sent on the socket (plain text frames as UTF-8)."""
    if isinstance(message, m.WsPlainText):
        return message.text.encode("utf-8")
    if isinstance(message, m.WsPong | m.WsUnknown):
        return orjson.dumps(ws_message_to_json(message))
    data = message.text if isinstance(message, m.WsError) else message
    return b'{"channel":%s,"data":%s}' % (
        orjson.dumps(_CLASS_CHANNELS[type(message)]),
        dumps(data),
    )
