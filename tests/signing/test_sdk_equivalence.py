"""Property: hip3.signing produces exactly the official SDK's signatures, for every action kind.

The SDK (hyperliquid-python-sdk 0.24.0, eth-account underneath) is slow (~0.4 ms an L1 signature,
more for user-signed ones), so example counts are bounded to keep this file at a few seconds.
"""

from __future__ import annotations

import copy
from typing import Any

from eth_account import Account
from hyperliquid.utils import signing as sdk
from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.signing import (
    USER_SIGNED_TYPES,
    PrivateKey,
    action_hash,
    sign_approve_agent,
    sign_approve_builder_fee,
    sign_l1_action,
    sign_usd_send,
    sign_user_signed_action,
    sign_withdraw,
)

from . import _strategies as s
from ._vectors import TEST_KEY_HEX

KEY = PrivateKey.from_hex(TEST_KEY_HEX)
WALLET = Account.from_key(TEST_KEY_HEX)
secrets = st.binary(min_size=32, max_size=32).filter(
    lambda raw: 0 < int.from_bytes(raw, "big") < 2**256 - 2**129  # comfortably below the order
)


@settings(max_examples=150)
@given(
    action=s.l1_actions,
    nonce=s.nonces,
    vault=st.one_of(st.none(), s.addresses),
    expires_after=st.one_of(st.none(), s.nonces),
    mainnet=st.booleans(),
)
def test_l1_signature_equals_the_sdk(
    action: dict[str, Any], nonce: int, vault: str | None, expires_after: int | None, mainnet: bool
) -> None:
    expected = sdk.sign_l1_action(WALLET, action, vault, nonce, expires_after, mainnet)
    ours = sign_l1_action(
        KEY, action, nonce=nonce, vault_address=vault, expires_after=expires_after, mainnet=mainnet
    )
    assert ours == expected
    assert action_hash(action, nonce, vault, expires_after) == sdk.action_hash(
        action, vault, nonce, expires_after
    )


@settings(max_examples=25)
@given(secret=secrets, action=s.order_actions(), nonce=s.nonces, mainnet=st.booleans())
def test_l1_signature_equals_the_sdk_for_any_key(
    secret: bytes, action: dict[str, Any], nonce: int, mainnet: bool
) -> None:
    expected = sdk.sign_l1_action(Account.from_key(secret), action, None, nonce, None, mainnet)
    assert sign_l1_action(PrivateKey(secret), action, nonce=nonce, mainnet=mainnet) == expected


def _check_user_signed(
    ours_sign: Any, sdk_sign: Any, action: dict[str, Any], mainnet: bool
) -> None:
    theirs = copy.deepcopy(action)
    expected = sdk_sign(WALLET, theirs, mainnet)
    assert ours_sign(KEY, action, mainnet=mainnet) == expected
    assert action == theirs  # same fields added (signatureChainId, hyperliquidChain)


@settings(max_examples=40)
@given(action=s.transfer_actions("usdSend"), mainnet=st.booleans())
def test_usd_send_equals_the_sdk(action: dict[str, Any], mainnet: bool) -> None:
    _check_user_signed(sign_usd_send, sdk.sign_usd_transfer_action, action, mainnet)


@settings(max_examples=40)
@given(action=s.transfer_actions("withdraw3"), mainnet=st.booleans())
def test_withdraw_equals_the_sdk(action: dict[str, Any], mainnet: bool) -> None:
    _check_user_signed(sign_withdraw, sdk.sign_withdraw_from_bridge_action, action, mainnet)


@settings(max_examples=40)
@given(action=s.approve_builder_fee_actions, mainnet=st.booleans())
def test_approve_builder_fee_equals_the_sdk(action: dict[str, Any], mainnet: bool) -> None:
    _check_user_signed(sign_approve_builder_fee, sdk.sign_approve_builder_fee, action, mainnet)


@settings(max_examples=60)
@given(action=s.approve_agent_actions(), mainnet=st.booleans())
def test_approve_agent_equals_the_sdk_including_unnamed_agents(
    action: dict[str, Any], mainnet: bool
) -> None:
    # What Exchange.approve_agent does around sign_agent: sign with agentName = name or "",
    # then drop agentName from the posted action when no name was given.
    name = action.get("agentName")
    theirs = copy.deepcopy(action)
    theirs["agentName"] = name or ""
    expected = sdk.sign_agent(WALLET, theirs, mainnet)
    if name is None:
        del theirs["agentName"]

    assert sign_approve_agent(KEY, action, mainnet=mainnet) == expected
    assert action == theirs
    assert ("agentName" in action) == (name is not None)


@settings(max_examples=30)
@given(
    pair=st.one_of(
        st.tuples(st.just("spotSend"), s.spot_send_actions),
        st.tuples(st.just("usdClassTransfer"), s.usd_class_transfer_actions),
    ),
    mainnet=st.booleans(),
)
def test_generic_user_signed_types_equal_the_sdk(
    pair: tuple[str, dict[str, Any]], mainnet: bool
) -> None:
    action_type, action = pair
    sdk_sign = {
        "spotSend": sdk.sign_spot_transfer_action,
        "usdClassTransfer": sdk.sign_usd_class_transfer_action,
    }[action_type]
    primary_type, payload_types = USER_SIGNED_TYPES[action_type]
    theirs = copy.deepcopy(action)
    expected = sdk_sign(WALLET, theirs, mainnet)
    ours = sign_user_signed_action(
        KEY, action, primary_type=primary_type, payload_types=payload_types, mainnet=mainnet
    )
    assert ours == expected
    assert action == theirs


def test_user_signed_types_match_the_sdk_tables() -> None:
    expected = {
        "usdSend": ("HyperliquidTransaction:UsdSend", sdk.USD_SEND_SIGN_TYPES),
        "spotSend": ("HyperliquidTransaction:SpotSend", sdk.SPOT_TRANSFER_SIGN_TYPES),
        "withdraw3": ("HyperliquidTransaction:Withdraw", sdk.WITHDRAW_SIGN_TYPES),
        "usdClassTransfer": (
            "HyperliquidTransaction:UsdClassTransfer",
            sdk.USD_CLASS_TRANSFER_SIGN_TYPES,
        ),
        "sendAsset": ("HyperliquidTransaction:SendAsset", sdk.SEND_ASSET_SIGN_TYPES),
        "tokenDelegate": ("HyperliquidTransaction:TokenDelegate", sdk.TOKEN_DELEGATE_TYPES),
        "userDexAbstraction": (
            "HyperliquidTransaction:UserDexAbstraction",
            sdk.USER_DEX_ABSTRACTION_SIGN_TYPES,
        ),
        "userSetAbstraction": (
            "HyperliquidTransaction:UserSetAbstraction",
            sdk.USER_SET_ABSTRACTION_SIGN_TYPES,
        ),
        "convertToMultiSigUser": (
            "HyperliquidTransaction:ConvertToMultiSigUser",
            sdk.CONVERT_TO_MULTI_SIG_USER_SIGN_TYPES,
        ),
    }
    for action_type, (primary_type, payload_types) in expected.items():
        ours_primary, ours_types = USER_SIGNED_TYPES[action_type]
        assert ours_primary == primary_type
        assert [dict(entry) for entry in ours_types] == payload_types
    assert USER_SIGNED_TYPES["approveAgent"][0] == "HyperliquidTransaction:ApproveAgent"
    assert USER_SIGNED_TYPES["approveBuilderFee"][0] == "HyperliquidTransaction:ApproveBuilderFee"
