"""Signer recovery: what the simulator uses to check every request (hyperliquid-api.md §3.8)."""

from __future__ import annotations

import copy
import threading
from typing import Any

import pytest
from hyperliquid.utils import signing as sdk
from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.errors import SigningError
from hip3.signing import (
    PrivateKey,
    _native,
    recover_l1_signer,
    recover_user_signed_signer,
    sign_approve_agent,
    sign_approve_builder_fee,
    sign_l1_action,
    sign_usd_send,
    sign_withdraw,
)

from . import _strategies as s
from ._vectors import HIP3_ORDER, L1_VECTORS, TEST_ADDRESS, TEST_KEY_HEX, USD_MESSAGE, VAULT

KEY = PrivateKey.from_hex(TEST_KEY_HEX)
keys = st.integers(1, 2**255).map(lambda k: PrivateKey(k.to_bytes(32, "big")))


def _pad(signature: dict[str, Any]) -> dict[str, Any]:
    return {
        "r": "0x" + signature["r"][2:].rjust(64, "0"),
        "s": "0x" + signature["s"][2:].rjust(64, "0"),
        "v": signature["v"],
    }


@settings(max_examples=100)
@given(
    key=keys,
    action=s.l1_actions,
    nonce=s.nonces,
    vault=st.one_of(st.none(), s.addresses),
    expires_after=st.one_of(st.none(), s.nonces),
    mainnet=st.booleans(),
)
def test_l1_sign_then_recover_returns_the_signer(
    key: PrivateKey,
    action: dict[str, Any],
    nonce: int,
    vault: str | None,
    expires_after: int | None,
    mainnet: bool,
) -> None:
    context = {"vault_address": vault, "expires_after": expires_after, "mainnet": mainnet}
    signature = sign_l1_action(key, action, nonce=nonce, **context)
    assert recover_l1_signer(action, nonce=nonce, signature=signature, **context) == key.address
    # Zero-padded r/s (as other clients send them) recover the same signer.
    padded = _pad(signature)
    assert recover_l1_signer(action, nonce=nonce, signature=padded, **context) == key.address
    # Any change to what was signed recovers somebody else.
    tampered = [
        {"nonce": nonce ^ 1, **context},
        {"nonce": nonce, **{**context, "mainnet": not mainnet}},
        {"nonce": nonce, **{**context, "vault_address": None if vault else VAULT}},
        {"nonce": nonce, **{**context, "expires_after": None if expires_after else 1}},
    ]
    for changed in tampered:
        assert recover_l1_signer(action, signature=signature, **changed) != key.address
    other_action = {**action, "type": action["type"] + "x"}
    assert (
        recover_l1_signer(other_action, nonce=nonce, signature=signature, **context) != key.address
    )


def test_official_vectors_recover_to_the_test_address() -> None:
    for _name, action, nonce, vault, expires_after, mainnet, r, s_, v in L1_VECTORS:
        signer = recover_l1_signer(
            action,
            nonce=nonce,
            signature={"r": r, "s": s_, "v": v},
            vault_address=vault,
            expires_after=expires_after,
            mainnet=mainnet,
        )
        assert signer == TEST_ADDRESS


def test_recovery_agrees_with_the_sdk_recovery() -> None:
    signature = sign_l1_action(KEY, HIP3_ORDER, nonce=7, vault_address=VAULT, mainnet=False)
    theirs = sdk.recover_agent_or_user_from_l1_action(HIP3_ORDER, signature, VAULT, 7, None, False)
    ours = recover_l1_signer(
        HIP3_ORDER, nonce=7, signature=signature, vault_address=VAULT, mainnet=False
    )
    assert ours == theirs.lower() == TEST_ADDRESS


@settings(max_examples=60)
@given(
    key=keys,
    case=st.one_of(
        st.tuples(st.just(sign_usd_send), s.transfer_actions("usdSend")),
        st.tuples(st.just(sign_withdraw), s.transfer_actions("withdraw3")),
        st.tuples(st.just(sign_approve_agent), s.approve_agent_actions()),
        st.tuples(st.just(sign_approve_builder_fee), s.approve_builder_fee_actions),
    ),
    mainnet=st.booleans(),
)
def test_user_signed_sign_then_recover_returns_the_signer(
    key: PrivateKey, case: tuple[Any, dict[str, Any]], mainnet: bool
) -> None:
    sign, action = case
    signature = sign(key, action, mainnet=mainnet)
    # The action as posted (after signing mutated it) is what the verifier sees.
    assert recover_user_signed_signer(action, signature) == key.address
    assert recover_user_signed_signer(action, _pad(signature)) == key.address
    other_chain = {**action, "hyperliquidChain": "Testnet" if mainnet else "Mainnet"}
    assert recover_user_signed_signer(other_chain, signature) != key.address
    other_chain_id = {**action, "signatureChainId": "0xa4b1"}
    assert recover_user_signed_signer(other_chain_id, signature) != key.address
    nonce_field = "time" if "time" in action else "nonce"
    later = {**action, nonce_field: action[nonce_field] ^ 1}
    assert recover_user_signed_signer(later, signature) != key.address


def test_unnamed_agent_posted_without_agent_name_recovers_the_signer() -> None:
    action: dict[str, Any] = {
        "type": "approveAgent",
        "agentAddress": "0x0000000000000000000000000000000000000002",
        "nonce": 1,
    }
    signature = sign_approve_agent(KEY, action, mainnet=True)
    assert "agentName" not in action
    assert recover_user_signed_signer(action, signature) == TEST_ADDRESS
    # A name that was not signed changes the signer.
    assert recover_user_signed_signer({**action, "agentName": "x"}, signature) != TEST_ADDRESS


def test_usd_send_vector_11_recovers_the_test_address() -> None:
    action = {
        **USD_MESSAGE,
        "type": "usdSend",
        "hyperliquidChain": "Testnet",
        "signatureChainId": "0x66eee",
    }
    signature = {
        "r": "0x637b37dd731507cdd24f46532ca8ba6eec616952c56218baeff04144e4a77073",
        "s": "0x11a6a24900e6e314136d2592e2f8d502cd89b7c15b198e1bee043c9589f9fad7",
        "v": 27,
    }
    assert recover_user_signed_signer(action, signature) == TEST_ADDRESS


GOOD = sign_l1_action(KEY, HIP3_ORDER, nonce=1)


@pytest.mark.parametrize(
    ("signature", "field"),
    [
        ({**GOOD, "v": 29}, "signature.v"),
        ({**GOOD, "v": 0}, "signature.v"),
        ({**GOOD, "v": True}, "signature.v"),
        ({**GOOD, "r": "0x0"}, "signature.r"),
        ({**GOOD, "r": "0x"}, "signature.r"),
        ({**GOOD, "r": "0xzz"}, "signature.r"),
        ({**GOOD, "r": "0x" + "1" * 65}, "signature.r"),
        ({**GOOD, "s": "0x" + "f" * 64}, "signature.s"),
        ({**GOOD, "s": None}, "signature.s"),
        ({"r": GOOD["r"], "v": 27}, "signature.s"),
        ("not a mapping", "signature"),
    ],
    ids=[
        "v29", "v0", "v-bool", "r-zero", "r-empty", "r-not-hex", "r-too-long", "s-above-order",
        "s-none", "s-missing", "not-mapping",
    ],
)  # fmt: skip
def test_malformed_signatures_raise_signing_error_naming_the_field(
    signature: Any, field: str
) -> None:
    with pytest.raises(SigningError) as info:
        recover_l1_signer(HIP3_ORDER, nonce=1, signature=signature)
    assert str(info.value).startswith(f"{field}:")


def test_r_that_is_not_a_curve_point_raises_signing_error() -> None:
    # x = 5 has no point on secp256k1 (5^3 + 7 = 132 is not a square mod p).
    with pytest.raises(SigningError, match="signature"):
        recover_l1_signer(HIP3_ORDER, nonce=1, signature={**GOOD, "r": "0x5"})


def test_integer_r_and_s_are_accepted() -> None:
    as_ints = {"r": int(GOOD["r"], 16), "s": int(GOOD["s"], 16), "v": GOOD["v"]}
    assert recover_l1_signer(HIP3_ORDER, nonce=1, signature=as_ints) == TEST_ADDRESS


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ({"type": "order"}, "type"),
        ({"destination": "x", "amount": "1", "time": 1}, "type"),
        ({"type": "usdSend", "destination": "0x1", "amount": "1", "time": 1}, "signatureChainId"),
        (
            {"type": "usdSend", "signatureChainId": "0x66eee", "hyperliquidChain": "Mainnet",
             "destination": "0x1", "time": 1},
            "amount",
        ),
        (
            {"type": "usdSend", "signatureChainId": "0x66eee", "hyperliquidChain": "Mainnet",
             "destination": "0x1", "amount": 1, "time": 1},
            "amount",
        ),
        (
            {"type": "approveBuilderFee", "signatureChainId": "0x66eee",
             "hyperliquidChain": "Mainnet", "maxFeeRate": "1%", "builder": "0x12", "nonce": 1},
            "builder",
        ),
        (
            {"type": "usdClassTransfer", "signatureChainId": "0x66eee",
             "hyperliquidChain": "Mainnet", "amount": "1", "toPerp": 1, "nonce": 1},
            "toPerp",
        ),
        (
            {"type": "withdraw3", "signatureChainId": "0x66eee", "hyperliquidChain": "Mainnet",
             "destination": "0x1", "amount": "1", "time": -1},
            "time",
        ),
    ],
    ids=[
        "l1-type", "no-type", "no-chain-id", "missing-amount", "int-amount", "bad-address",
        "int-bool", "negative-time",
    ],
)  # fmt: skip
def test_bad_user_signed_actions_raise_signing_error_naming_the_field(
    action: dict[str, Any], field: str
) -> None:
    with pytest.raises(SigningError) as info:
        recover_user_signed_signer(action, GOOD)
    assert str(info.value).startswith(f"{field}:")


def test_signing_from_many_threads_gives_the_sequential_results() -> None:
    # The C state and buffers are per thread; concurrent signers must not see each other's.
    jobs = [(HIP3_ORDER, nonce) for nonce in range(400)]
    expected = [sign_l1_action(KEY, action, nonce=nonce) for action, nonce in jobs]
    results: list[list[dict[str, Any]]] = [[] for _ in range(4)]

    def worker(slot: int) -> None:
        results[slot] = [sign_l1_action(KEY, action, nonce=nonce) for action, nonce in jobs]

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result == expected for result in results)


def test_direct_c_bindings_are_in_use_and_match_the_public_fallbacks() -> None:
    # safe-pysha3 is a dependency: its C Keccak drives the chain; pycryptodome's raw Keccak
    # stays ready as the fallback and must agree as well.
    assert _native.C_KECCAK and _native.RAW_KECCAK and _native.RAW_SIGN
    assert _native.keccak256 is _native._c_keccak
    assert _native.sign_keccak_chain.__name__ == "sign_chain_c_keccak"
    fallback_chain = _native._build_inlined_chain()
    assert fallback_chain is not None
    secret, payload = bytes(range(7, 39)), b"payload" * 30
    for chain in (_native.sign_keccak_chain, fallback_chain):
        assert chain(secret, payload, b"a" * 64, b"b" * 66) == (
            _native._sign_chain_composed(secret, payload, b"a" * 64, b"b" * 66)
        )
    assert _native._raw_keccak is not None
    for data in (b"", b"x" * 135, b"x" * 136, b"x" * 137, b"y" * 1000):
        assert _native.keccak256(data) == _native._keccak256_public(data)
        assert _native._raw_keccak(data) == _native._keccak256_public(data)
    digest = _native.keccak256(b"digest")
    assert _native.sign_digest(secret, digest) == _native._sign_public(secret, digest)


def test_recovery_does_not_mutate_the_action() -> None:
    action = {**USD_MESSAGE, "type": "usdSend"}
    signature = sign_usd_send(KEY, action, mainnet=True)
    snapshot = copy.deepcopy(action)
    recover_user_signed_signer(action, signature)
    assert action == snapshot
