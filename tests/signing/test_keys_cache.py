"""Signing with a hex ``str`` key parses it once (issue 12), without keeping the text."""

from __future__ import annotations

import gc

from hip3.signing import PrivateKey, _keys, sign_l1_action

TEXT = "0x" + "4c" * 32


def test_a_str_key_is_parsed_once_and_signs_like_the_parsed_key() -> None:
    first = PrivateKey.coerce(TEXT)
    assert PrivateKey.coerce(TEXT) is first
    action = {"type": "scheduleCancel", "time": 1_700_000_060_000}
    assert sign_l1_action(TEXT, action, nonce=1_700_000_000_000) == sign_l1_action(
        first, action, nonce=1_700_000_000_000
    )


def test_the_cache_holds_no_key_text_and_is_bounded() -> None:
    for i in range(40):
        PrivateKey.coerce("0x" + f"{i + 1:064x}")
    assert len(_keys._PARSED) <= _keys._PARSED_MAX
    assert all(isinstance(tag, bytes) and len(tag) == 20 for tag in _keys._PARSED)
    held = [o for o in gc.get_referents(_keys._PARSED) if isinstance(o, str)]
    assert held == []
