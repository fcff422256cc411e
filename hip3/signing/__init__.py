"""Hyperliquid request signing: L1 actions and user-signed actions, and signer recovery.

Byte-identical to the official Python SDK (``hyperliquid.utils.signing``), including its
``{"r": hex(r), "s": hex(s), "v": 27|28}`` form (r/s without zero padding), and about an order
of magnitude faster: the EIP-712 domain separators and type hashes are precomputed, hashing
calls pycryptodome's C Keccak directly, and the libsecp256k1 key is parsed once per
:class:`PrivateKey`.

Signing (hyperliquid-api.md §3)::

    key = PrivateKey.from_hex(os.environ["HIP3_KEY"])
    signature = sign_l1_action(key, action, nonce=nonce_ms, vault_address=None,
                               expires_after=None, mainnet=True)

Verification (the simulator checks every request this way, §3.8)::

    signer = recover_l1_signer(action, nonce=nonce_ms, signature=signature, mainnet=True)

Deviation from the SDK, on purpose: values the venue never sends (a non-string amount, an int
where a bool is declared, a malformed address) raise :class:`~hip3.errors.SigningError` naming
the field instead of being coerced the way eth-account would.
"""

from __future__ import annotations

from hip3.signing._keys import PrivateKey
from hip3.signing._l1 import action_hash, recover_l1_signer, sign_l1_action
from hip3.signing._user_signed import (
    SIGNATURE_CHAIN_ID,
    USER_SIGNED_TYPES,
    recover_user_signed_signer,
    sign_approve_agent,
    sign_approve_builder_fee,
    sign_usd_send,
    sign_user_signed_action,
    sign_withdraw,
)

__all__ = [
    "SIGNATURE_CHAIN_ID",
    "USER_SIGNED_TYPES",
    "PrivateKey",
    "action_hash",
    "recover_l1_signer",
    "recover_user_signed_signer",
    "sign_approve_agent",
    "sign_approve_builder_fee",
    "sign_l1_action",
    "sign_usd_send",
    "sign_user_signed_action",
    "sign_withdraw",
]
