"""L1 actions (orders, cancels, modify, leverage, scheduleCancel, …): hyperliquid-api.md §3.1.

The venue hashes ``msgpack(action) || nonce (8 bytes BE) || vault tag [|| 0x00 || expiresAfter
(8 bytes BE)]`` into a ``connectionId`` and has the key sign a "phantom agent" EIP-712 struct
``Agent(string source, bytes32 connectionId)`` with source "a" (mainnet) or "b" (testnet) under
the fixed domain ``Exchange / 1 / chainId 1337 / verifyingContract 0x0``. Everything but the
connectionId is constant, so the domain separator and ``typeHash(Agent) || keccak(source)`` are
computed once here.

The action's key order is part of what is signed (msgpack keeps dict insertion order), so
callers must build actions in the venue's canonical order (hip3.wire.actions does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hip3.signing._eip712 import domain_separator, recover_address
from hip3.signing._errors import signing_error
from hip3.signing._keys import PrivateKey
from hip3.signing._native import keccak256, packb, sign_keccak_chain

_L1_DOMAIN_SEPARATOR = domain_separator("Exchange", "1", 1337)
_AGENT_TYPE_HASH = keccak256(b"Agent(string source,bytes32 connectionId)")
# hashStruct(Agent) = keccak(typeHash || keccak(source) || connectionId): the first 64 bytes
# depend only on the network.
_AGENT_PREFIX_MAINNET = _AGENT_TYPE_HASH + keccak256(b"a")
_AGENT_PREFIX_TESTNET = _AGENT_TYPE_HASH + keccak256(b"b")
_DIGEST_PREFIX = b"\x19\x01" + _L1_DOMAIN_SEPARATOR

_NO_VAULT = b"\x00"
_UINT64_LIMIT = 1 << 64


def _vault_tag(vault_address: str) -> bytes:
    if isinstance(vault_address, str):
        hex_digits = vault_address[2:] if vault_address[:2] in ("0x", "0X") else vault_address
        if len(hex_digits) == 40:
            try:
                return b"\x01" + bytes.fromhex(hex_digits)
            except ValueError:
                pass
    raise signing_error("expected an address (0x + 40 hex digits)", field="vault_address")


def _uint64_error(nonce: object, expires_after: object) -> Exception:
    nonce_ok = isinstance(nonce, int) and 0 <= nonce < _UINT64_LIMIT
    field = "nonce" if not nonce_ok or expires_after is None else "expires_after"
    return signing_error("expected an integer in 0..2**64-1", field=field)


def _hashed_payload(
    action: Mapping[str, Any], nonce: int, vault_address: str | None, expires_after: int | None
) -> bytes:
    """The bytes whose keccak is the connectionId."""
    try:
        data = packb(action)
    except (TypeError, ValueError, OverflowError) as exc:
        # msgpack's message names the offending type, never a value.
        raise signing_error(f"not msgpack-serialisable ({exc})", field="action") from None
    try:
        if vault_address is None:
            data += nonce.to_bytes(8, "big") + _NO_VAULT
        else:
            data += nonce.to_bytes(8, "big") + _vault_tag(vault_address)
        if expires_after is not None:
            data += b"\x00" + expires_after.to_bytes(8, "big")
    except (OverflowError, AttributeError, TypeError):
        raise _uint64_error(nonce, expires_after) from None
    return data


def action_hash(
    action: Mapping[str, Any],
    nonce: int,
    vault_address: str | None = None,
    expires_after: int | None = None,
) -> bytes:
    """The 32-byte ``connectionId`` of an L1 action (what the phantom agent carries).

    Note the argument order differs from the SDK's ``action_hash(action, vault, nonce, expires)``.
    """
    return keccak256(_hashed_payload(action, nonce, vault_address, expires_after))


def l1_digest(connection_id: bytes, mainnet: bool) -> bytes:
    """The EIP-712 digest of the phantom agent carrying ``connection_id``."""
    prefix = _AGENT_PREFIX_MAINNET if mainnet else _AGENT_PREFIX_TESTNET
    return keccak256(_DIGEST_PREFIX + keccak256(prefix + connection_id))


def sign_l1_action(
    private_key: PrivateKey | str,
    action: Mapping[str, Any],
    *,
    nonce: int,
    vault_address: str | None = None,
    expires_after: int | None = None,
    mainnet: bool = True,
) -> dict[str, Any]:
    """Sign an L1 action: ``{"r": "0x…", "s": "0x…", "v": 27|28}``, identical to the SDK's.

    Same result as ``hyperliquid.utils.signing.sign_l1_action(wallet, action, vault_address,
    nonce, expires_after, mainnet)``; ``vault_address`` is the sub-account/vault traded for (the
    SDK's ``active_pool``). A str key is parsed on every call: pass a :class:`PrivateKey` to keep
    signing fast.
    """
    key = private_key if private_key.__class__ is PrivateKey else PrivateKey.coerce(private_key)
    payload = _hashed_payload(action, nonce, vault_address, expires_after)
    return sign_keccak_chain(
        key._secret,  # the package's own key class
        payload,
        _AGENT_PREFIX_MAINNET if mainnet else _AGENT_PREFIX_TESTNET,
        _DIGEST_PREFIX,
    )


def recover_l1_signer(
    action: Mapping[str, Any],
    *,
    nonce: int,
    signature: Mapping[str, Any],
    vault_address: str | None = None,
    expires_after: int | None = None,
    mainnet: bool = True,
) -> str:
    """The lowercase address that signed this L1 action (an account key or an agent).

    A valid signature over different bytes does not fail: it recovers *some other* address,
    which is also how the venue reports it ("User or API Wallet 0x… does not exist",
    hyperliquid-api.md §3.8). Only malformed signatures raise SigningError.
    """
    digest = l1_digest(action_hash(action, nonce, vault_address, expires_after), mainnet)
    return recover_address(digest, signature)


__all__ = ["action_hash", "l1_digest", "recover_l1_signer", "sign_l1_action"]
