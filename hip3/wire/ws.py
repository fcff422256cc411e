"""WebSocket frames from the venue -> typed messages (hyperliquid-api.md §4).

Every server frame is ``{"channel": <name>, "data": ...}`` except ``pong``
(no data) and the plain-text greeting ``"Websocket connection established."``
the venue sends on connect (the official SDK skips it too). The channel picks
the class of the data; the structure function for each channel is looked up
once (the hot channels call their builder directly, see
:data:`hip3.wire.converter.FAST_STRUCTURE`), so parsing a frame is one
``orjson.loads``, one dict lookup and one call.

* :func:`parse_ws_message` returns one of the classes in
  :data:`hip3.wire.models.WsMessage`: a modelled channel's data class,
  :class:`~hip3.wire.models.WsUnknown` for a well-formed frame on a channel
  hip3 does not model, :class:`~hip3.wire.models.WsPlainText` for non-JSON
  text. Malformed frames raise :class:`~hip3.errors.WireError` naming the
  channel and the field.
* :func:`ws_message_to_json` is the inverse (the exact frame, for captures and
  for the simulator).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import orjson

from hip3.errors import WireError
from hip3.wire import models as m
from hip3.wire.converter import FAST_STRUCTURE, converter, wire_error_for

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


def _one_arg(cls: type[Any]) -> Callable[[Any], Any]:
    fast = FAST_STRUCTURE.get(cls)
    if fast is not None:
        return fast
    hook = converter.get_structure_hook(cls)
    return lambda data: hook(data, cls)


_PARSERS: Final[dict[str, tuple[Callable[[Any], Any], type[Any]]]] = {
    channel: (_one_arg(cls), cls) for channel, cls in CHANNEL_CLASSES.items()
}
"""Channel -> (structure function of its data, class of its data)."""


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
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _plain_text(raw)
    if type(obj) is not dict:
        raise WireError("expected a JSON object with 'channel'", sample=obj)
    channel = obj.get("channel")
    if type(channel) is not str:  # before the lookup: a list or object is not even hashable
        raise WireError("missing or non-string 'channel'", field="channel", sample=obj)
    entry = _PARSERS.get(channel)
    if entry is None:
        if channel == "pong":
            return m.WsPong()
        return m.WsUnknown(channel, obj.get("data"))
    parse, cls = entry
    try:
        return parse(obj["data"])  # type: ignore[no-any-return]
    except KeyError:
        if "data" not in obj:
            raise WireError("required field is missing", kind=channel, field="data") from None
        raise wire_error_for(obj["data"], cls, channel, KeyError()) from None
    except WireError:
        raise
    except Exception as exc:
        raise wire_error_for(obj.get("data"), cls, channel, exc) from None


def ws_message_to_json(message: m.WsMessage) -> Any:
    """The frame's JSON value (``{"channel", "data"}``; a plain-text frame is its str)."""
    if isinstance(message, m.WsPlainText):
        return message.text
    if isinstance(message, m.WsPong):
        return {"channel": "pong"}
    if isinstance(message, m.WsUnknown):
        return {"channel": message.channel, "data": message.data}
    channel = _CLASS_CHANNELS[type(message)]
    return {"channel": channel, "data": converter.unstructure(message)}


def ws_message_to_bytes(message: m.WsMessage) -> bytes:
    """The frame as sent on the socket (plain text frames as UTF-8)."""
    value = ws_message_to_json(message)
    if isinstance(value, str):
        return value.encode("utf-8")
    return orjson.dumps(value)
