"""User-signed actions (usdSend, withdraw3, approveAgent, …): hyperliquid-api.md §3.2.

These are signed by the account key itself (never an agent) as EIP-712 structs named
``HyperliquidTransaction:<Name>`` under the domain ``HyperliquidSignTransaction / 1 /
chainId = int(action["signatureChainId"], 16)``. Only the fields listed in the type are signed;
``type`` and ``signatureChainId`` travel in the action unsigned (the chain id is bound through the
domain instead). ``hyperliquidChain`` ("Mainnet"/"Testnet") is signed, so an action cannot be
replayed on the other network.

Amounts are signed as the exact strings posted: no decimal normalisation happens here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from hip3.signing._eip712 import (
    StructType,
    domain_separator,
    recover_address,
    struct_type,
    typed_data_digest,
)
from hip3.signing._errors import signing_error
from hip3.signing._keys import PrivateKey

# The chain id the official SDK declares for every user-signed action (Arbitrum Sepolia, 421614).
# Any id works as long as the domain matches signatureChainId; this one keeps parity with the SDK.
SIGNATURE_CHAIN_ID = "0x66eee"

PayloadTypes = Sequence[Mapping[str, str]]


def _fields(*pairs: tuple[str, str]) -> tuple[Mapping[str, str], ...]:
    return tuple(MappingProxyType({"name": name, "type": kind}) for name, kind in pairs)


_CHAIN = ("hyperliquidChain", "string")

USER_SIGNED_TYPES: Mapping[str, tuple[str, PayloadTypes]] = MappingProxyType(
    {
        "usdSend": (
            "HyperliquidTransaction:UsdSend",
            _fields(_CHAIN, ("destination", "string"), ("amount", "string"), ("time", "uint64")),
        ),
        "spotSend": (
            "HyperliquidTransaction:SpotSend",
            _fields(
                _CHAIN,
                ("destination", "string"),
                ("token", "string"),
                ("amount", "string"),
                ("time", "uint64"),
            ),
        ),
        "withdraw3": (
            "HyperliquidTransaction:Withdraw",
            _fields(_CHAIN, ("destination", "string"), ("amount", "string"), ("time", "uint64")),
        ),
        "usdClassTransfer": (
            "HyperliquidTransaction:UsdClassTransfer",
            _fields(_CHAIN, ("amount", "string"), ("toPerp", "bool"), ("nonce", "uint64")),
        ),
        "sendAsset": (
            "HyperliquidTransaction:SendAsset",
            _fields(
                _CHAIN,
                ("destination", "string"),
                ("sourceDex", "string"),
                ("destinationDex", "string"),
                ("token", "string"),
                ("amount", "string"),
                ("fromSubAccount", "string"),
                ("nonce", "uint64"),
            ),
        ),
        "approveAgent": (
            "HyperliquidTransaction:ApproveAgent",
            _fields(
                _CHAIN, ("agentAddress", "address"), ("agentName", "string"), ("nonce", "uint64")
            ),
        ),
        "approveBuilderFee": (
            "HyperliquidTransaction:ApproveBuilderFee",
            _fields(_CHAIN, ("maxFeeRate", "string"), ("builder", "address"), ("nonce", "uint64")),
        ),
        "tokenDelegate": (
            "HyperliquidTransaction:TokenDelegate",
            _fields(
                _CHAIN,
                ("validator", "address"),
                ("wei", "uint64"),
                ("isUndelegate", "bool"),
                ("nonce", "uint64"),
            ),
        ),
        "userDexAbstraction": (
            "HyperliquidTransaction:UserDexAbstraction",
            _fields(_CHAIN, ("user", "address"), ("enabled", "bool"), ("nonce", "uint64")),
        ),
        "userSetAbstraction": (
            "HyperliquidTransaction:UserSetAbstraction",
            _fields(_CHAIN, ("user", "address"), ("abstraction", "string"), ("nonce", "uint64")),
        ),
        "convertToMultiSigUser": (
            "HyperliquidTransaction:ConvertToMultiSigUser",
            _fields(_CHAIN, ("signers", "string"), ("nonce", "uint64")),
        ),
    }
)
"""action ``type`` -> (EIP-712 primary type, SDK-style payload types) for user-signed actions."""

# An unnamed agent is signed with agentName "" and posted without the field (the SDK deletes it
# after signing), so a verifier must read a missing agentName as "".
_RECOVERY_DEFAULTS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {"approveAgent": MappingProxyType({"agentName": ""})}
)


@functools.lru_cache(maxsize=16)
def _user_domain_separator(chain_id: int) -> bytes:
    return domain_separator("HyperliquidSignTransaction", "1", chain_id)


def _chain_id(action: Mapping[str, Any]) -> int:
    raw = action.get("signatureChainId")
    if isinstance(raw, str) and raw[:2] in ("0x", "0X"):
        try:
            value = int(raw, 16)
        except ValueError:
            pass
        else:
            if 0 <= value < 1 << 256:
                return value
    raise signing_error("expected a 0x-prefixed hex chain id", field="signatureChainId")


def _digest(
    struct: StructType, action: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> bytes:
    domain = _user_domain_separator(_chain_id(action))
    return typed_data_digest(domain, struct.hash_struct(action, defaults))


def sign_user_signed_action(
    private_key: PrivateKey | str,
    action: dict[str, Any],
    *,
    primary_type: str,
    payload_types: PayloadTypes,
    mainnet: bool,
) -> dict[str, Any]:
    """Sign a user-signed action in place, as the SDK does, and return the signature.

    Sets ``action["signatureChainId"] = "0x66eee"`` and ``action["hyperliquidChain"]`` to
    "Mainnet"/"Testnet" (mutating the dict, which is then posted as is), then signs the fields
    named in ``payload_types`` under ``primary_type``.
    """
    key = PrivateKey.coerce(private_key)
    struct = struct_type(primary_type, payload_types)
    action["signatureChainId"] = SIGNATURE_CHAIN_ID
    action["hyperliquidChain"] = "Mainnet" if mainnet else "Testnet"
    return key.sign_digest_wire(_digest(struct, action))


def _sign_known(
    private_key: PrivateKey | str, action: dict[str, Any], action_type: str, mainnet: bool
) -> dict[str, Any]:
    primary_type, payload_types = USER_SIGNED_TYPES[action_type]
    return sign_user_signed_action(
        private_key, action, primary_type=primary_type, payload_types=payload_types, mainnet=mainnet
    )


def sign_usd_send(
    private_key: PrivateKey | str, action: dict[str, Any], *, mainnet: bool = True
) -> dict[str, Any]:
    """Sign a ``usdSend`` action ``{"type", "destination", "amount", "time"}`` (in place)."""
    return _sign_known(private_key, action, "usdSend", mainnet)


def sign_withdraw(
    private_key: PrivateKey | str, action: dict[str, Any], *, mainnet: bool = True
) -> dict[str, Any]:
    """Sign a ``withdraw3`` action ``{"type", "destination", "amount", "time"}`` (in place)."""
    return _sign_known(private_key, action, "withdraw3", mainnet)


def sign_approve_builder_fee(
    private_key: PrivateKey | str, action: dict[str, Any], *, mainnet: bool = True
) -> dict[str, Any]:
    """Sign an ``approveBuilderFee`` action ``{"type", "maxFeeRate", "builder", "nonce"}``."""
    return _sign_known(private_key, action, "approveBuilderFee", mainnet)


def sign_approve_agent(
    private_key: PrivateKey | str, action: dict[str, Any], *, mainnet: bool = True
) -> dict[str, Any]:
    """Sign an ``approveAgent`` action ``{"type", "agentAddress", "agentName"?, "nonce"}``.

    As the SDK's ``Exchange.approve_agent``: an agent without a name (``agentName`` absent or
    None) is signed with ``agentName = ""`` and the field is then removed from the action, which
    is how the venue expects an unnamed agent to be posted. A given name (even "") is kept.
    """
    unnamed = action.get("agentName") is None
    if unnamed:
        action["agentName"] = ""
    try:
        return _sign_known(private_key, action, "approveAgent", mainnet)
    finally:
        if unnamed:
            del action["agentName"]


def recover_user_signed_signer(action: Mapping[str, Any], signature: Mapping[str, Any]) -> str:
    """The lowercase address that signed a posted user-signed action.

    Types come from :data:`USER_SIGNED_TYPES` by ``action["type"]``, the domain's chain id from
    ``action["signatureChainId"]``, the network from the action's own ``hyperliquidChain`` (a
    verifier must still check that it names its network). Raises SigningError for an unknown
    type, a missing signed field or a malformed signature.
    """
    action_type = action.get("type")
    if not isinstance(action_type, str) or action_type not in USER_SIGNED_TYPES:
        raise signing_error("not a known user-signed action type", field="type")
    entry = USER_SIGNED_TYPES[action_type]
    primary_type, payload_types = entry
    struct = struct_type(primary_type, payload_types)
    digest = _digest(struct, action, _RECOVERY_DEFAULTS.get(action_type))
    return recover_address(digest, signature)


__all__ = [
    "SIGNATURE_CHAIN_ID",
    "USER_SIGNED_TYPES",
    "recover_user_signed_signer",
    "sign_approve_agent",
    "sign_approve_builder_fee",
    "sign_usd_send",
    "sign_user_signed_action",
    "sign_withdraw",
]
