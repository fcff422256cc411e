"""hip3.signing reproduces the official signing vectors (hyperliquid-api.md §3.6, §3.7)."""

from __future__ import annotations

from typing import Any

import pytest

from hip3.signing import (
    PrivateKey,
    action_hash,
    sign_approve_agent,
    sign_l1_action,
    sign_usd_send,
    sign_user_signed_action,
    sign_withdraw,
)

from ._vectors import (
    L1_VECTORS,
    ORDER_100,
    TEST_ADDRESS,
    TEST_KEY_HEX,
    USD_MESSAGE,
    VECTOR_1_ACTION,
    VECTOR_1_CONNECTION_ID,
    VECTOR_1_NONCE,
    VECTOR_3_CONNECTION_ID,
    N,
)

KEY = PrivateKey.from_hex(TEST_KEY_HEX)


def test_test_key_has_the_documented_address() -> None:
    assert KEY.address == TEST_ADDRESS


def test_vector_1_connection_id_matches() -> None:
    assert action_hash(VECTOR_1_ACTION, VECTOR_1_NONCE).hex() == VECTOR_1_CONNECTION_ID


def test_vector_3_connection_id_matches_the_debug_aid() -> None:
    assert action_hash(ORDER_100, 0).hex() == VECTOR_3_CONNECTION_ID


@pytest.mark.parametrize(
    ("action", "nonce", "vault", "expires_after", "mainnet", "r", "s", "v"),
    [pytest.param(*row[1:], id=row[0]) for row in L1_VECTORS],
)
def test_l1_vector_signature_is_reproduced_exactly(
    action: dict[str, Any],
    nonce: int,
    vault: str | None,
    expires_after: int | None,
    mainnet: bool,
    r: str,
    s: str,
    v: int,
) -> None:
    signature = sign_l1_action(
        KEY, action, nonce=nonce, vault_address=vault, expires_after=expires_after, mainnet=mainnet
    )
    assert signature == {"r": r, "s": s, "v": v}


def test_unpadded_r_is_kept_unpadded_like_the_sdk() -> None:
    # Vector 2's r has 63 hex digits: the SDK's to_hex(int) drops the leading zero nibble.
    signature = sign_l1_action(KEY, {"type": "dummy", "num": 100000000000}, nonce=0)
    assert len(signature["r"]) == 2 + 63


def test_a_hex_string_key_signs_the_same_as_a_private_key() -> None:
    action = L1_VECTORS[2][1]
    assert sign_l1_action(TEST_KEY_HEX, action, nonce=0) == sign_l1_action(KEY, action, nonce=0)


def test_vector_11_usd_send_testnet() -> None:
    action = {**USD_MESSAGE, "type": "usdSend"}
    signature = sign_usd_send(KEY, action, mainnet=False)
    assert signature == {
        "r": "0x637b37dd731507cdd24f46532ca8ba6eec616952c56218baeff04144e4a77073",
        "s": "0x11a6a24900e6e314136d2592e2f8d502cd89b7c15b198e1bee043c9589f9fad7",
        "v": 27,
    }
    assert action["hyperliquidChain"] == "Testnet"
    assert action["signatureChainId"] == "0x66eee"


def test_vector_12_withdraw_testnet() -> None:
    action = {**USD_MESSAGE, "type": "withdraw3"}
    signature = sign_withdraw(KEY, action, mainnet=False)
    assert signature == {
        "r": "0x8363524c799e90ce9bc41022f7c39b4e9bdba786e5f9c72b20e43e1462c37cf9",
        "s": "0x58b1411a775938b83e29182e8ef74975f9054c8e97ebf5ec2dc8d51bfc893881",
        "v": 28,
    }


def test_generic_user_signed_action_matches_vector_11() -> None:
    action = dict(USD_MESSAGE)
    signature = sign_user_signed_action(
        KEY,
        action,
        primary_type="HyperliquidTransaction:UsdSend",
        payload_types=[
            {"name": "hyperliquidChain", "type": "string"},
            {"name": "destination", "type": "string"},
            {"name": "amount", "type": "string"},
            {"name": "time", "type": "uint64"},
        ],
        mainnet=False,
    )
    assert signature["r"] == "0x637b37dd731507cdd24f46532ca8ba6eec616952c56218baeff04144e4a77073"


def test_usd_send_mainnet_vector() -> None:
    action = {
        "destination": "0x5e9ee1089755c3435139848e47e6635505d5a13a",
        "amount": "1",
        "time": N,
        "type": "usdSend",
    }
    assert sign_usd_send(KEY, action, mainnet=True) == {
        "r": "0x115e9b16a9d32fa3e8feeeaa92e152e5694c43389b1db3b77707665d1a2bed0e",
        "s": "0x1fc96a61f717f21c2ba121cb71e0b3831c43763fd2e620b92de537f85f07c8f0",
        "v": 27,
    }
    assert action["hyperliquidChain"] == "Mainnet"


def test_named_approve_agent_mainnet_vector_keeps_the_name() -> None:
    action = {
        "type": "approveAgent",
        "agentAddress": "0x0000000000000000000000000000000000000002",
        "agentName": "bot1",
        "nonce": N,
    }
    assert sign_approve_agent(KEY, action, mainnet=True) == {
        "r": "0x50cb6d4c4f51727efa2329fe43c789cf970b1cbbc9a9f3713f826522b3df5692",
        "s": "0x396e73c0cd9e3395e412a8fd9c6d2eac9a57d0735919c336fe4d56190e29f237",
        "v": 28,
    }
    assert action["agentName"] == "bot1"
