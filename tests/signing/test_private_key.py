"""PrivateKey: parsing, address derivation, and the secret never leaking."""

from __future__ import annotations

import copy
import pickle

import pytest
from eth_account import Account

from hip3.errors import SigningError
from hip3.signing import PrivateKey, sign_l1_action

from ._vectors import TEST_ADDRESS, TEST_KEY_HEX

SECRET_HEX = TEST_KEY_HEX[2:]


def _leaks(text: str) -> bool:
    return SECRET_HEX in text.lower() or SECRET_HEX[:16] in text.lower()


@pytest.mark.parametrize(
    "text",
    [TEST_KEY_HEX, SECRET_HEX, TEST_KEY_HEX.upper().replace("0X", "0x"), f"  {TEST_KEY_HEX}\n"],
    ids=["0x", "bare", "uppercase", "whitespace"],
)
def test_from_hex_accepts_common_spellings(text: str) -> None:
    assert PrivateKey.from_hex(text).address == TEST_ADDRESS


def test_address_is_lowercase_and_matches_eth_account() -> None:
    for seed in range(1, 6):
        secret = bytes([seed]) * 32
        key = PrivateKey(secret)
        assert key.address == Account.from_key(secret).address.lower()
        assert key.address.startswith("0x") and len(key.address) == 42


def test_bytes_and_hex_constructions_are_equal_and_hash_alike() -> None:
    a = PrivateKey.from_hex(TEST_KEY_HEX)
    b = PrivateKey(bytes.fromhex(SECRET_HEX))
    assert a == b and hash(a) == hash(b)
    assert a != PrivateKey(b"\x01" * 32)


@pytest.mark.parametrize(
    "text",
    [
        SECRET_HEX[:-1],  # 63 digits
        SECRET_HEX + "0",  # 65 digits
        SECRET_HEX[:-1] + "g",  # not hex
        "0x" + "0" * 64,  # zero is not a key
        "0x" + "f" * 64,  # >= group order
        "",
    ],
    ids=["short", "long", "not-hex", "zero", "above-order", "empty"],
)
def test_invalid_key_text_is_refused_without_echoing_it(text: str) -> None:
    with pytest.raises(SigningError) as info:
        PrivateKey.from_hex(text)
    assert SECRET_HEX[:40] not in str(info.value)
    assert "f" * 40 not in str(info.value)


def test_wrong_length_bytes_are_refused() -> None:
    with pytest.raises(SigningError, match="32 bytes"):
        PrivateKey(b"\x01" * 31)


def test_repr_str_and_format_show_only_the_address() -> None:
    key = PrivateKey.from_hex(TEST_KEY_HEX)
    for text in (repr(key), str(key), f"{key}", f"{key!r}", f"{key:>80}", format(key, "")):
        assert not _leaks(text)
        assert TEST_ADDRESS in text
    assert repr(key) == f"PrivateKey(address={TEST_ADDRESS})"
    assert repr([key]) == f"[PrivateKey(address={TEST_ADDRESS})]"


def test_pickling_is_refused_and_the_error_does_not_leak_the_key() -> None:
    key = PrivateKey.from_hex(TEST_KEY_HEX)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError) as info:
            pickle.dumps(key, protocol=protocol)
        assert not _leaks(str(info.value))
        assert "cannot be pickled" in str(info.value)


def test_copy_and_deepcopy_return_the_same_immutable_key() -> None:
    key = PrivateKey.from_hex(TEST_KEY_HEX)
    assert copy.copy(key) is key
    assert copy.deepcopy({"k": key})["k"] is key


def test_key_has_no_instance_dict_to_dump() -> None:
    key = PrivateKey.from_hex(TEST_KEY_HEX)
    with pytest.raises(TypeError):
        vars(key)


def test_signing_errors_do_not_mention_the_key() -> None:
    key = PrivateKey.from_hex(TEST_KEY_HEX)
    bad_calls = [
        lambda: sign_l1_action(key, {"type": "x", "v": object()}, nonce=1),
        lambda: sign_l1_action(key, {"type": "x"}, nonce=-1),
        lambda: sign_l1_action(key, {"type": "x"}, nonce=1, vault_address="0x12"),
        lambda: sign_l1_action(key, {"type": "x"}, nonce=1, expires_after=2**64),
        lambda: sign_l1_action(TEST_KEY_HEX[:-1], {"type": "x"}, nonce=1),
    ]
    for call in bad_calls:
        with pytest.raises(SigningError) as info:
            call()
        assert not _leaks(str(info.value))
        assert not _leaks(repr(info.value))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"nonce": -1}, "nonce"),
        ({"nonce": 2**64}, "nonce"),
        ({"nonce": 1, "expires_after": -5}, "expires_after"),
        (
            {"nonce": 1, "vault_address": "0xnothex0000000000000000000000000000000000"},
            "vault_address",
        ),
    ],
)
def test_bad_l1_arguments_name_the_field(kwargs: dict[str, object], field: str) -> None:
    key = PrivateKey.from_hex(TEST_KEY_HEX)
    with pytest.raises(SigningError) as info:
        sign_l1_action(key, {"type": "noop"}, **kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(f"{field}:")
