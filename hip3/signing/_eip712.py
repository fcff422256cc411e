"""The slice of EIP-712 Hyperliquid uses, precomputed where the inputs are fixed.

Every signed message here is a flat struct of ``string``, ``address``, ``bool``, ``uintN`` and
``bytes32`` fields under a domain ``{name, version, chainId, verifyingContract=0x0}``, so the
general machinery (type dependency sorting, nested structs, arrays) is not needed. Type hashes and
domain separators are computed once; a signature then costs the struct hash, the final digest
and one secp256k1 operation.

Value rules match what the official SDK (eth-account's ``encode_typed_data``) does for the values
the venue actually uses; anything else is refused with :class:`~hip3.errors.SigningError` naming
the field instead of being coerced.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import coincurve

from hip3.signing._errors import signing_error
from hip3.signing._keys import SECP256K1_N, address_from_public_key
from hip3.signing._native import keccak256

EIP712_DOMAIN_TYPE = (
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
_DOMAIN_TYPE_HASH = keccak256(EIP712_DOMAIN_TYPE)
_ZERO_WORD = bytes(32)
_EIP191_PREFIX = b"\x19\x01"

_ADDRESS = re.compile(r"0[xX]([0-9a-fA-F]{40})")
_BYTES32 = re.compile(r"0[xX]([0-9a-fA-F]{64})")
_UINT = re.compile(r"uint(8|16|32|64|128|256)")

FieldEncoder = Callable[[str, Any], bytes]


def domain_separator(name: str, version: str, chain_id: int) -> bytes:
    """hashStruct(EIP712Domain) with ``verifyingContract`` = the zero address (as the venue uses)."""
    return keccak256(
        _DOMAIN_TYPE_HASH
        + keccak256(name.encode())
        + keccak256(version.encode())
        + chain_id.to_bytes(32, "big")
        + _ZERO_WORD  # address(0), left-padded
    )


def typed_data_digest(domain_separator: bytes, struct_hash: bytes) -> bytes:
    """keccak256(0x1901 || domainSeparator || hashStruct(message)): the bytes actually signed."""
    return keccak256(_EIP191_PREFIX + domain_separator + struct_hash)


# -- field encoders (each returns one 32-byte word) ---------------------------------------------


def _encode_string(name: str, value: Any) -> bytes:
    if not isinstance(value, str):
        raise signing_error(f"expected a string, got {type(value).__name__}", field=name)
    return keccak256(value.encode())


def _encode_address(name: str, value: Any) -> bytes:
    if isinstance(value, str):
        match = _ADDRESS.fullmatch(value)
        if match is not None:
            return bytes(12) + bytes.fromhex(match.group(1))
    raise signing_error("expected an address (0x + 40 hex digits)", field=name)


def _encode_bool(name: str, value: Any) -> bytes:
    if not isinstance(value, bool):
        raise signing_error(f"expected a bool, got {type(value).__name__}", field=name)
    return value.to_bytes(32, "big")


def _encode_bytes32(name: str, value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)) and len(value) == 32:
        return bytes(value)
    if isinstance(value, str):
        match = _BYTES32.fullmatch(value)
        if match is not None:
            return bytes.fromhex(match.group(1))
    raise signing_error("expected 32 bytes (or 0x + 64 hex digits)", field=name)


def _uint_encoder(bits: int) -> FieldEncoder:
    limit = 1 << bits

    def encode_uint(name: str, value: Any) -> bytes:
        if isinstance(value, bool) or not isinstance(value, int):
            raise signing_error(f"expected an integer, got {type(value).__name__}", field=name)
        if not 0 <= value < limit:
            raise signing_error(f"{value} out of range for uint{bits}", field=name)
        return value.to_bytes(32, "big")

    return encode_uint


def field_encoder(solidity_type: str) -> FieldEncoder:
    if solidity_type == "string":
        return _encode_string
    if solidity_type == "address":
        return _encode_address
    if solidity_type == "bool":
        return _encode_bool
    if solidity_type == "bytes32":
        return _encode_bytes32
    uint = _UINT.fullmatch(solidity_type)
    if uint is not None:
        return _uint_encoder(int(uint.group(1)))
    raise signing_error(f"unsupported EIP-712 field type {solidity_type!r}", field="payload_types")


class StructType:
    """A flat EIP-712 struct type: its type hash and per-field encoders, in declaration order."""

    __slots__ = ("fields", "primary_type", "type_hash")

    def __init__(self, primary_type: str, fields: Sequence[tuple[str, str]]) -> None:
        self.primary_type = primary_type
        signature = f"{primary_type}({','.join(f'{t} {n}' for n, t in fields)})"
        self.type_hash = keccak256(signature.encode())
        self.fields = tuple((name, field_encoder(kind)) for name, kind in fields)

    def hash_struct(
        self, message: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
    ) -> bytes:
        """hashStruct(message); fields absent from ``message`` come from ``defaults`` or fail."""
        words = [self.type_hash]
        for name, encode in self.fields:
            if name in message:
                value = message[name]
            elif defaults is not None and name in defaults:
                value = defaults[name]
            else:
                raise signing_error("missing from the signed message", field=name)
            words.append(encode(name, value))
        return keccak256(b"".join(words))


@functools.lru_cache(maxsize=64)
def _compiled(primary_type: str, fields: tuple[tuple[str, str], ...]) -> StructType:
    return StructType(primary_type, fields)


def struct_type(primary_type: str, payload_types: Sequence[Mapping[str, str]]) -> StructType:
    """The compiled struct for SDK-style ``[{"name": ..., "type": ...}, ...]`` (cached)."""
    try:
        fields = tuple((entry["name"], entry["type"]) for entry in payload_types)
    except (KeyError, TypeError) as exc:
        raise signing_error("each entry needs 'name' and 'type'", field="payload_types") from exc
    return _compiled(primary_type, fields)


# -- signatures on the wire --------------------------------------------------------------------


def _signature_scalar(signature: Mapping[str, Any], name: str) -> int:
    raw = signature.get(name)
    if isinstance(raw, str):
        text = raw[2:] if raw[:2] in ("0x", "0X") else raw
        if not 0 < len(text) <= 64:
            raise signing_error("expected up to 64 hex digits", field=f"signature.{name}")
        try:
            value = int(text, 16)
        except ValueError:
            raise signing_error("not hexadecimal", field=f"signature.{name}") from None
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        raise signing_error("expected a hex string", field=f"signature.{name}")
    if not 0 < value < SECP256K1_N:
        raise signing_error("outside 1..n-1", field=f"signature.{name}")
    return value


def recover_address(digest: bytes, signature: Mapping[str, Any]) -> str:
    """The lowercase address whose key produced ``signature`` over ``digest``.

    Accepts r/s with or without zero padding (the SDK sends none, other clients pad to 64 digits)
    and v in {27, 28}. Anything malformed or unrecoverable raises SigningError.
    """
    if not isinstance(signature, Mapping):
        raise signing_error("expected a mapping with r, s, v", field="signature")
    r = _signature_scalar(signature, "r")
    s = _signature_scalar(signature, "s")
    v = signature.get("v")
    if isinstance(v, bool) or v not in (27, 28):
        raise signing_error("expected 27 or 28", field="signature.v")
    compact = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((v - 27,))
    try:
        public_key = coincurve.PublicKey.from_signature_and_message(compact, digest, hasher=None)
    except (ValueError, TypeError) as exc:
        raise signing_error("signature does not recover to any key", field="signature") from exc
    return address_from_public_key(public_key)


__all__ = [
    "StructType",
    "domain_separator",
    "field_encoder",
    "recover_address",
    "struct_type",
    "typed_data_digest",
]
