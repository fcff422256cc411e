"""The venue's JSON <-> :mod:`hip3.wire.models`, by msgspec, errors as :class:`WireError`.

* :func:`decode` — the bytes (or text) a socket or HTTP answer delivered, straight
  into the typed classes in one pass: JSON types checked, decimals made
  :class:`~decimal.Decimal` from their strings, sides made :class:`~hip3.types.Side`.
  No ``json.loads`` to dicts first.
* :func:`structure` — the same from JSON that is already parsed (a journal line,
  a simulator answer, a ``post_info`` body): ``msgspec.convert``, same rules.
* :func:`unstructure`, :func:`dumps` — back to the venue's JSON values / bytes
  (decimals as strings again, absent keys left out: JSON -> objects -> JSON is
  the identity); :func:`loads` — untyped JSON.

Strictness (what msgspec checks, plus :func:`hip3.wire.models.dec_hook`): JSON
types are never coerced (``"7"`` is no integer, ``1`` no boolean, ``1.5`` no
decimal), a decimal is a string holding a finite number, a required key must be
present and a ``null`` only goes where the model allows it. Unknown keys are
ignored. Any failure is a :class:`~hip3.errors.WireError` naming the message kind
and the JSON path of the first bad field (``fills[3].tid``), taken from msgspec's
own error (`` - at `$.fills[3].tid` ``): the input is not walked again to find it.
(A value in a JSON map such as ``allMids`` is located as ``[...]``: msgspec does not
say which key.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final, TypeVar, cast

import msgspec
import orjson

from hip3.errors import WireError
from hip3.wire import models as m
from hip3.wire.models import WireDecimal, dec_hook, split_location

__all__ = [
    "Decode",
    "decode",
    "decoder",
    "dumps",
    "loads",
    "sample_of",
    "structure",
    "unstructure",
    "wire_error",
]

T = TypeVar("T")

_TYPE_NAMES: Final = {
    "int": "an integer",
    "str": "a string",
    "bool": "a boolean",
    "float": "a number",
    "array": "an array",
    "object": "an object",
    "null": "null",
}
_EXPECTED: Final = re.compile(r"Expected `([^`]*)`, got `([^`]*)`")
_MISSING: Final = re.compile(r"Object missing required field `([^`]*)`")


def _type_words(spec: str) -> str:
    """msgspec's ``int | null`` as ``an integer or null``."""
    return " or ".join(_TYPE_NAMES.get(part, part) for part in spec.split(" | "))


def wire_error(
    exc: msgspec.MsgspecError, kind: str | None, *, sample: Any = None, under: str = ""
) -> WireError:
    """msgspec's error as a WireError naming ``kind`` and the bad field's path.

    ``under`` is a path prefix to drop (``".data"`` for a ws frame, whose errors are
    named relative to its data). A missing key is named itself (``fills[0].px``), not
    its object; msgspec's type words read as before (``expected an integer, got a
    string``)."""
    if not isinstance(exc, msgspec.ValidationError):
        return WireError(f"invalid JSON: {exc}", kind=kind, sample=sample)
    message, path = split_location(str(exc))
    if under and (path == under or path.startswith((under + ".", under + "["))):
        path = path[len(under) :]
    missing = _MISSING.fullmatch(message)
    if missing is not None:
        path = f"{path}.{missing.group(1)}"
        message = "required field is missing"
    else:
        expected = _EXPECTED.fullmatch(message)
        if expected is not None:
            want, got = expected.groups()
            message = f"expected {_type_words(want)}, got {_type_words(got)}"
        elif message[:1].isupper() and message[1:2].islower():
            message = message[0].lower() + message[1:]  # msgspec's sentence, read like ours
    field = path.lstrip(".") or None
    return WireError(message, kind=kind, field=field, sample=sample)


Decode = Callable[[Any], T]
"""A decoding function: JSON bytes or text in, the typed value out (msgspec errors raised)."""

_decoders: dict[Any, Callable[[Any], Any]] = {}

# Data classes of ws channels whose JSON is not an object: (its JSON type, class from JSON,
# JSON from class).
_NOT_OBJECTS: Final[dict[Any, tuple[Any, Callable[[Any], Any], Callable[[Any], Any]]]] = {
    m.WsOrderUpdates: (list[m.WsOrder], m.WsOrderUpdates, lambda v: v.orders),
    m.WsTrades: (list[m.WsTrade], m.WsTrades, lambda v: v.trades),
    m.WsError: (str, m.WsError, lambda v: v.text),
    m.WsPong: (Any, lambda _v: m.WsPong(), lambda _v: None),
}


def decoder(type_: type[T] | Any) -> Decode[T]:
    """The (cached) strict decoding function of ``type_``: a ``msgspec.json.Decoder``'s
    ``decode``, :func:`~hip3.wire.models.dec_hook` included."""
    found = _decoders.get(type_)
    if found is None:
        shape = _NOT_OBJECTS.get(type_)
        if shape is None:
            found = msgspec.json.Decoder(type_, dec_hook=dec_hook).decode
        else:
            inner, wrap, _unwrap = shape
            inner_decode = msgspec.json.Decoder(inner, dec_hook=dec_hook).decode

            def found(raw: Any) -> Any:
                return wrap(inner_decode(raw))

        _decoders[type_] = found
    return found


def decode(raw: bytes | bytearray | memoryview | str, type_: type[T] | Any, *, kind: str) -> T:
    """The venue's JSON bytes as ``type_`` (a wire class or a form like ``list[OpenOrder]``),
    in one pass. Raises WireError naming ``kind`` and the field path."""
    try:
        return decoder(type_)(raw)  # type: ignore[no-any-return]
    except msgspec.MsgspecError as exc:
        raise wire_error(exc, kind, sample=sample_of(raw)) from None
    except UnicodeEncodeError:  # a str with lone surrogates: no socket delivers these
        raise WireError("not valid Unicode text", kind=kind, sample=raw[:200]) from None
    except RecursionError:  # nested deeper than any venue answer (hostile input)
        raise WireError("JSON nested too deeply", kind=kind, sample=sample_of(raw)) from None


def sample_of(raw: bytes | bytearray | memoryview | msgspec.Raw | str) -> bytes | str:
    """The head of a raw input, kept on a WireError (200 characters or bytes)."""
    return raw[:200] if isinstance(raw, str) else bytes(memoryview(raw)[:200])


def structure(obj: Any, type_: type[T] | Any, *, kind: str | None = None) -> T:
    """The venue's already-parsed JSON value ``obj`` as ``type_``, by the rules of
    :func:`decode`. Raises WireError naming ``kind`` (default: the type's name) and the
    field path; the error keeps ``obj`` as its sample."""
    try:
        shape = _NOT_OBJECTS.get(type_)
        if shape is not None:
            inner, wrap, _unwrap = shape
            return cast(T, wrap(msgspec.convert(obj, inner, dec_hook=dec_hook)))
        return cast(T, msgspec.convert(obj, type_, dec_hook=dec_hook))
    except msgspec.MsgspecError as exc:
        raise wire_error(exc, kind or _kind_of(type_), sample=obj) from None
    except RecursionError:
        raise WireError("JSON nested too deeply", kind=kind or _kind_of(type_)) from None


def _kind_of(type_: Any) -> str:
    return getattr(type_, "__name__", None) or str(type_)


def unstructure(obj: Any) -> Any:
    """Wire objects back to the venue's JSON values (dicts/lists/str/int/bool/None)."""
    return orjson.loads(dumps(obj))


def _decimal_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"not JSON: {type(value).__name__}")


def dumps(obj: Any) -> bytes:
    """Wire objects (or plain JSON values) to compact JSON bytes, in the models' key order.

    Decimals are written in plain notation, as the venue writes them (``"0.00000094"``,
    never ``str()``'s ``"9.4E-7"``), so a decoded answer encodes back to its own text."""
    shape = _NOT_OBJECTS.get(type(obj))
    if shape is not None:
        obj = shape[2](obj)
    value = msgspec.to_builtins(obj, builtin_types=(Decimal, WireDecimal))
    try:
        return orjson.dumps(value, default=_decimal_text)
    except TypeError:  # an integer beyond 64 bits (in a field kept as the venue's JSON)
        text = json.dumps(value, default=_decimal_text, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")


def loads(raw: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON, untyped (orjson). Invalid JSON raises WireError."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise WireError(f"invalid JSON: {exc}", sample=raw[:200]) from None
