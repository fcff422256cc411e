"""Secret keys and Ethereum-style addresses.

A :class:`PrivateKey` holds the 32-byte secp256k1 secret, validated once, and its address,
derived once; signing hands the secret straight to libsecp256k1 (see ``_native``), so no key
object is parsed per signature. The secret never appears in ``repr``/``str``/``format``, in
exception messages, or in a pickle: pickling is refused outright (a pickled key is a key written
to disk or sent over a pipe by accident).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import OrderedDict
from typing import Any, NoReturn

import coincurve

from hip3.signing._errors import signing_error
from hip3.signing._native import keccak256, sign_digest, wire_signature

# Order of the secp256k1 group: a valid secret is 1 <= k < N.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

_HEX64 = re.compile(r"(?:0[xX])?([0-9a-fA-F]{64})")

# Keys parsed from text, by a digest of the text (never the text itself): signing with a
# ``str`` key would otherwise validate the secret and derive its address on every call.
_PARSED: OrderedDict[bytes, PrivateKey] = OrderedDict()
_PARSED_MAX = 16


def address_from_public_key(public_key: coincurve.PublicKey) -> str:
    """Ethereum address of a public key: last 20 bytes of keccak(uncompressed X || Y)."""
    uncompressed = public_key.format(compressed=False)
    return "0x" + keccak256(uncompressed[1:])[-20:].hex()


class PrivateKey:
    """A secp256k1 signing key (an account key or an API wallet / agent key).

    ``PrivateKey(secret_bytes)`` or ``PrivateKey.from_hex("0x…")``; ``.address`` is the lowercase
    0x-prefixed address. Immutable; ``copy``/``deepcopy`` return the same object.
    """

    __slots__ = ("_address", "_secret")

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, (bytes, bytearray)) or len(secret) != 32:
            raise signing_error("expected exactly 32 bytes", field="private_key")
        value = int.from_bytes(secret, "big")
        if not 0 < value < SECP256K1_N:
            raise signing_error(
                "not a valid secp256k1 secret (0 or >= group order)", field="private_key"
            )
        self._secret = bytes(secret)
        self._address = address_from_public_key(coincurve.PublicKey.from_secret(self._secret))

    @classmethod
    def from_hex(cls, text: str) -> PrivateKey:
        """Parse 64 hex digits, with or without a ``0x`` prefix (surrounding spaces ignored)."""
        if not isinstance(text, str):
            raise signing_error("expected a hex string", field="private_key")
        match = _HEX64.fullmatch(text.strip())
        if match is None:
            # Never echo the input: it is (almost) a secret.
            raise signing_error(
                "expected 64 hex digits, optionally prefixed by 0x", field="private_key"
            )
        return cls(bytes.fromhex(match.group(1)))

    @classmethod
    def coerce(cls, key: PrivateKey | str | bytes) -> PrivateKey:
        """Accept a :class:`PrivateKey`, a hex string or 32 raw bytes."""
        if isinstance(key, PrivateKey):
            return key
        if isinstance(key, str):
            tag = hashlib.blake2b(key.encode(), digest_size=20).digest()
            found = _PARSED.get(tag)
            if found is None:
                found = _PARSED[tag] = cls.from_hex(key)
                if len(_PARSED) > _PARSED_MAX:
                    _PARSED.popitem(last=False)
            return found
        if isinstance(key, (bytes, bytearray)):
            return cls(bytes(key))
        raise signing_error(
            f"expected PrivateKey, hex str or bytes, got {type(key).__name__}", field="private_key"
        )

    @property
    def address(self) -> str:
        """The key's address, lowercase, ``0x`` + 40 hex digits."""
        return self._address

    def secret_bytes(self) -> bytes:
        """The raw 32-byte secret. Only for handing the key to other signing software."""
        return self._secret

    def sign_digest(self, digest: bytes) -> tuple[int, int, int]:
        """ECDSA-sign a 32-byte digest (RFC 6979 nonce, low-s): ``(r, s, v)`` with v in {27, 28}."""
        body, recovery_id = sign_digest(self._secret, digest)
        return int.from_bytes(body[:32], "big"), int.from_bytes(body[32:], "big"), 27 + recovery_id

    def sign_digest_wire(self, digest: bytes) -> dict[str, Any]:
        """:meth:`sign_digest` in the SDK's wire form ``{"r": "0x…", "s": "0x…", "v": 27|28}``."""
        return wire_signature(*sign_digest(self._secret, digest))

    # -- never reveal the secret ---------------------------------------------------------------

    def __repr__(self) -> str:
        return f"PrivateKey(address={self._address})"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return format(repr(self), format_spec)

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"{self!r} cannot be pickled: keys are not serialised by hip3")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        self.__reduce__()

    def __copy__(self) -> PrivateKey:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> PrivateKey:
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PrivateKey):
            return NotImplemented
        return hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash(self._address)


__all__ = ["SECP256K1_N", "PrivateKey", "address_from_public_key"]
