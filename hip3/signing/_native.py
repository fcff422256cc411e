"""The C primitives behind signing, called with as little Python in between as possible.

An order signature is three Keccak-256 hashes and one secp256k1 signature. The C work is about
26 µs; the stock Python wrappers around it (``Crypto.Hash.keccak.new(...).digest()`` builds an
object, a smart pointer and a buffer per hash; ``coincurve.PrivateKey.sign_recoverable`` checks
and copies) add enough to eat the margin of the "10x faster than the SDK" target. So:

* Keccak-256 comes from safe-pysha3's C extension (``sha3.keccak_256``: one C call per hash,
  about half the cost of the next option); without it, pycryptodome's C Keccak (its private
  ``Crypto.Hash.keccak._raw_keccak_lib``) is driven through ctypes with one reusable state per
  thread: reset, absorb, squeeze;
* libsecp256k1 is called through coincurve's compiled cffi bindings (``coincurve._libsecp256k1``)
  with per-thread output buffers;
* msgpack uses a per-thread ``Packer`` (what ``msgpack.packb`` builds on every call);
* the L1 tail (three hashes and the signature) runs in one Python frame.

``hashlib.sha3_256`` cannot stand in: SHA-3 pads with 0x06 where Keccak pads with 0x01.

Each private binding is probed against the public API at import; if it is missing or disagrees
(a future release), the public API is used instead: slower, equally correct. Per-thread state
keeps every function here safe to call from several threads.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

import coincurve
import msgpack
from Crypto.Hash import keccak as _keccak_public

from hip3.signing._errors import signing_error

_DIGEST_BYTES = 32

ChainSigner = Callable[[bytes, bytes, bytes, bytes], dict[str, Any]]


class _Scratch(threading.local):
    """Per-thread C state and buffers (threading.local re-runs __init__ in each thread)."""

    def __init__(self) -> None:
        self.packer = msgpack.Packer()
        self.keccak_owner: Any = None
        self.keccak_state: Any = None
        self.keccak_out: Any = None
        self.recoverable: Any = None
        self.compact: Any = None
        self.recovery_id: Any = None


_scratch = _Scratch()


# -- public-API implementations (reference and fallback) -------------------------------------


def _keccak256_public(data: bytes) -> bytes:
    return _keccak_public.new(digest_bits=256, data=data).digest()


def _sign_public(secret: bytes, digest: bytes) -> tuple[bytes, int]:
    if len(digest) != _DIGEST_BYTES:
        raise signing_error("expected a 32-byte digest", field="digest")
    signature = coincurve.PrivateKey(secret).sign_recoverable(digest, hasher=None)
    return signature[:64], signature[64]


def wire_signature(body: bytes, recovery_id: int) -> dict[str, Any]:
    """The SDK's signature form: ``{"r": to_hex(r), "s": to_hex(s), "v": 27 + recovery id}``.

    ``to_hex`` of an int is lowercase hex without zero padding; stripping the leading zeros of
    the fixed-width hex gives the same text without going through ints (r and s are never 0 in a
    valid signature, so the result is never empty).
    """
    return {
        "r": "0x" + body[:32].hex().lstrip("0"),
        "s": "0x" + body[32:].hex().lstrip("0"),
        "v": 27 + recovery_id,
    }


# -- direct bindings ---------------------------------------------------------------------------


def _bind_raw_keccak() -> Callable[[bytes], bytes] | None:
    try:
        raw_api: Any = importlib.import_module("Crypto.Util._raw_api")
        lib: Any = _keccak_public._raw_keccak_lib  # type: ignore[attr-defined]
        init, destroy = lib.keccak_init, lib.keccak_destroy
        reset, absorb, squeeze = lib.keccak_reset, lib.keccak_absorb, lib.keccak_digest
    except (ImportError, AttributeError):
        return None
    c_size_t = raw_api.c_size_t
    digest_len = c_size_t(_DIGEST_BYTES)
    padding = raw_api.c_ubyte(0x01)  # Keccak's pad byte (SHA-3 would be 0x06)
    # ctypes buffers expose .raw; the cffi backend needs the generic helper.
    read: Callable[[Any], bytes] = (
        (lambda buffer: buffer.raw) if raw_api.backend == "ctypes" else raw_api.get_raw_buffer
    )
    scratch = _scratch

    def thread_state() -> Any:
        pointer = raw_api.VoidPointer()
        # capacity 512 bits (2 x digest), 24 rounds: Keccak-256.
        if init(pointer.address_of(), c_size_t(2 * _DIGEST_BYTES), raw_api.c_ubyte(24)):
            raise RuntimeError("keccak_init failed")
        # SmartPointer frees the C state when the thread's scratch is collected.
        scratch.keccak_owner = raw_api.SmartPointer(pointer.get(), destroy)
        scratch.keccak_out = raw_api.create_string_buffer(_DIGEST_BYTES)
        scratch.keccak_state = scratch.keccak_owner.get()
        return scratch.keccak_state

    def keccak256_raw(data: bytes) -> bytes:
        state = scratch.keccak_state
        if state is None:
            state = thread_state()
        out = scratch.keccak_out
        reset(state)
        absorb(state, data, c_size_t(len(data)))
        squeeze(state, out, digest_len, padding)
        return read(out)

    keccak256_raw.thread_state = thread_state  # type: ignore[attr-defined]
    keccak256_raw.parts = (reset, absorb, squeeze, c_size_t, digest_len, padding, read)  # type: ignore[attr-defined]
    return keccak256_raw


def _bind_c_keccak() -> Callable[[bytes], bytes] | None:
    try:
        new: Any = importlib.import_module("sha3").keccak_256
    except (ImportError, AttributeError):
        return None

    def keccak256_c(data: bytes) -> bytes:
        return new(data).digest()  # type: ignore[no-any-return]

    keccak256_c.new = new  # type: ignore[attr-defined]
    return keccak256_c


def _bind_raw_signer() -> Callable[[bytes, bytes], tuple[bytes, int]] | None:
    try:
        bindings: Any = importlib.import_module("coincurve._libsecp256k1")
        context: Any = importlib.import_module("coincurve.context").GLOBAL_CONTEXT.ctx
        ffi, lib = bindings.ffi, bindings.lib
        sign = lib.secp256k1_ecdsa_sign_recoverable
        serialize = lib.secp256k1_ecdsa_recoverable_signature_serialize_compact
    except (ImportError, AttributeError):
        return None
    null, new, buffer = ffi.NULL, ffi.new, ffi.buffer
    scratch = _scratch

    def thread_buffers() -> tuple[Any, Any, Any]:
        scratch.recoverable = new("secp256k1_ecdsa_recoverable_signature *")
        scratch.compact = new("unsigned char[64]")
        scratch.recovery_id = new("int *")
        return scratch.recoverable, scratch.compact, scratch.recovery_id

    def sign_raw(secret: bytes, digest: bytes) -> tuple[bytes, int]:
        recoverable, compact, recovery_id = (
            scratch.recoverable,
            scratch.compact,
            scratch.recovery_id,
        )
        if recoverable is None:
            recoverable, compact, recovery_id = thread_buffers()
        if len(digest) != _DIGEST_BYTES:
            raise signing_error("expected a 32-byte digest", field="digest")
        # NULL nonce function = libsecp256k1's RFC 6979 default, which coincurve and eth-keys
        # (under the SDK) also use: deterministic, so hip3 and the SDK produce the same bytes.
        if not sign(context, recoverable, digest, secret, null, null):
            raise signing_error("libsecp256k1 refused to sign", field="private_key")
        serialize(context, compact, recovery_id, recoverable)
        return buffer(compact)[:], recovery_id[0]

    sign_raw.parts = (sign, serialize, context, null, buffer, thread_buffers)  # type: ignore[attr-defined]
    return sign_raw


def _agrees(
    candidate: Callable[..., Any] | None, reference: Callable[..., Any], *args: Any
) -> bool:
    if candidate is None:
        return False
    try:
        return bool(candidate(*args) == reference(*args))
    except Exception:  # any failure of a private binding means "use the public API"
        return False


_KECCAK_PROBES = (b"", b"abc", b"x" * 135, b"x" * 136, bytes(range(256)) * 3)
_c_keccak = _bind_c_keccak()
_raw_keccak = _bind_raw_keccak()
_raw_sign = _bind_raw_signer()
C_KECCAK = all(_agrees(_c_keccak, _keccak256_public, probe) for probe in _KECCAK_PROBES)
RAW_KECCAK = all(_agrees(_raw_keccak, _keccak256_public, probe) for probe in _KECCAK_PROBES)
RAW_SIGN = _agrees(_raw_sign, _sign_public, bytes(range(1, 33)), bytes(range(100, 132)))

keccak256: Callable[[bytes], bytes]
if C_KECCAK and _c_keccak is not None:
    keccak256 = _c_keccak
elif RAW_KECCAK and _raw_keccak is not None:
    keccak256 = _raw_keccak
else:
    keccak256 = _keccak256_public
"""Keccak-256 digest (32 bytes) of ``data``."""

sign_digest: Callable[[bytes, bytes], tuple[bytes, int]] = (
    _raw_sign if RAW_SIGN and _raw_sign is not None else _sign_public
)
"""``(r || s as 64 bytes, recovery id 0/1)`` of a 32-byte digest: RFC 6979 nonce, low-s."""


def packb(obj: Any) -> bytes:
    """``msgpack.packb(obj)`` with default options, reusing this thread's Packer."""
    return _scratch.packer.pack(obj)  # type: ignore[no-any-return]


def _sign_chain_composed(
    secret: bytes, payload: bytes, agent_prefix: bytes, digest_prefix: bytes
) -> dict[str, Any]:
    struct_hash = keccak256(agent_prefix + keccak256(payload))
    return wire_signature(*sign_digest(secret, keccak256(digest_prefix + struct_hash)))


def _build_c_keccak_chain() -> ChainSigner | None:
    if not (C_KECCAK and RAW_SIGN and _c_keccak is not None and _raw_sign is not None):
        return None
    new = _c_keccak.new  # type: ignore[attr-defined]
    sign, serialize, context, null, buffer, thread_buffers = _raw_sign.parts  # type: ignore[attr-defined]
    scratch = _scratch

    def sign_chain_c_keccak(
        secret: bytes, payload: bytes, agent_prefix: bytes, digest_prefix: bytes
    ) -> dict[str, Any]:
        recoverable, compact, recovery_id = (
            scratch.recoverable,
            scratch.compact,
            scratch.recovery_id,
        )
        if recoverable is None:
            recoverable, compact, recovery_id = thread_buffers()
        connection_id = new(payload).digest()
        struct_hash = new(agent_prefix + connection_id).digest()
        digest = new(digest_prefix + struct_hash).digest()
        if not sign(context, recoverable, digest, secret, null, null):
            raise signing_error("libsecp256k1 refused to sign", field="private_key")
        serialize(context, compact, recovery_id, recoverable)
        body = buffer(compact)
        return {
            "r": "0x" + body[:32].hex().lstrip("0"),
            "s": "0x" + body[32:].hex().lstrip("0"),
            "v": 27 + recovery_id[0],
        }

    probe = (bytes(range(1, 33)), b"probe payload", bytes(64), bytes(66))
    return (
        sign_chain_c_keccak if _agrees(sign_chain_c_keccak, _sign_chain_composed, *probe) else None
    )


def _build_inlined_chain() -> ChainSigner | None:
    if not (RAW_KECCAK and RAW_SIGN and _raw_keccak is not None and _raw_sign is not None):
        return None
    reset, absorb, squeeze, c_size_t, digest_len, padding, read = _raw_keccak.parts  # type: ignore[attr-defined]
    keccak_state = _raw_keccak.thread_state  # type: ignore[attr-defined]
    sign, serialize, context, null, buffer, thread_buffers = _raw_sign.parts  # type: ignore[attr-defined]
    scratch = _scratch

    def sign_chain_inlined(
        secret: bytes, payload: bytes, agent_prefix: bytes, digest_prefix: bytes
    ) -> dict[str, Any]:
        state, out = scratch.keccak_state, scratch.keccak_out
        if state is None:
            state = keccak_state()
            out = scratch.keccak_out
        recoverable, compact, recovery_id = (
            scratch.recoverable,
            scratch.compact,
            scratch.recovery_id,
        )
        if recoverable is None:
            recoverable, compact, recovery_id = thread_buffers()
        reset(state)  # connectionId
        absorb(state, payload, c_size_t(len(payload)))
        squeeze(state, out, digest_len, padding)
        data = agent_prefix + read(out)
        reset(state)  # hashStruct(Agent)
        absorb(state, data, c_size_t(len(data)))
        squeeze(state, out, digest_len, padding)
        data = digest_prefix + read(out)
        reset(state)  # EIP-712 digest
        absorb(state, data, c_size_t(len(data)))
        squeeze(state, out, digest_len, padding)
        if not sign(context, recoverable, read(out), secret, null, null):
            raise signing_error("libsecp256k1 refused to sign", field="private_key")
        serialize(context, compact, recovery_id, recoverable)
        body = buffer(compact)
        return {
            "r": "0x" + body[:32].hex().lstrip("0"),
            "s": "0x" + body[32:].hex().lstrip("0"),
            "v": 27 + recovery_id[0],
        }

    probe = (bytes(range(1, 33)), b"probe payload", bytes(64), bytes(66))
    return sign_chain_inlined if _agrees(sign_chain_inlined, _sign_chain_composed, *probe) else None


sign_keccak_chain: ChainSigner = (
    _build_c_keccak_chain() or _build_inlined_chain() or _sign_chain_composed
)
"""The whole L1 tail in one frame (see hip3.signing._l1 for what the parts mean)::

    connection_id = keccak(payload)
    struct_hash   = keccak(agent_prefix || connection_id)
    digest        = keccak(digest_prefix || struct_hash)
    return wire_signature(sign(secret, digest))
"""

__all__ = [
    "C_KECCAK",
    "RAW_KECCAK",
    "RAW_SIGN",
    "keccak256",
    "packb",
    "sign_digest",
    "sign_keccak_chain",
    "wire_signature",
]
