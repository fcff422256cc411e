#!/usr/bin/env python3
"""Signing one order action: hip3.signing.sign_l1_action vs the official SDK's.

Both sign the same HIP-3 order (one order with a cloid, as hip3's ExchangeClient posts it) with
the same key and nonce; the outputs are checked to be identical before anything is timed.
Rounds alternate between the two so machine noise hits both alike, and each side's best
per-call time over the rounds is used (the usual way to time small, CPU-bound calls).

    python bench/bench_sign.py            # full
    python bench/bench_sign.py --quick    # a few seconds
"""

from __future__ import annotations

import sys
import timeit
from typing import Any

TEST_KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
NONCE = 1_700_000_000_000
ORDER_ACTION: dict[str, Any] = {
    "type": "order",
    "orders": [
        {
            "a": 110000,
            "b": True,
            "p": "25.123",
            "s": "1.5",
            "r": False,
            "t": {"limit": {"tif": "Gtc"}},
            "c": "0x0000000000000000000000000000002a",
        }
    ],
    "grouping": "na",
}


def _best_per_call(timer: timeit.Timer, number: int, rounds: int) -> list[float]:
    return [timer.timeit(number) / number for _ in range(rounds)]


def run(quick: bool) -> dict[str, float]:
    from eth_account import Account
    from hyperliquid.utils.signing import sign_l1_action as sdk_sign_l1_action

    from hip3.signing import PrivateKey, sign_l1_action

    wallet = Account.from_key(TEST_KEY)
    key = PrivateKey.from_hex(TEST_KEY)

    def sdk_once() -> dict[str, Any]:
        return sdk_sign_l1_action(wallet, ORDER_ACTION, None, NONCE, None, True)  # type: ignore[no-any-return]

    def hip3_once() -> dict[str, Any]:
        return sign_l1_action(key, ORDER_ACTION, nonce=NONCE, mainnet=True)

    expected, ours = sdk_once(), hip3_once()
    if ours != expected:
        raise SystemExit(f"bench_sign: outputs differ: hip3 {ours} vs SDK {expected}")

    # Many short rounds rather than a few long ones: on a shared machine the best round is the
    # one that ran in a quiet slice, and short rounds find such slices for every side.
    rounds = 30 if quick else 90
    sdk_number, hip3_number = 20, 200
    sdk_timer, hip3_timer = timeit.Timer(sdk_once), timeit.Timer(hip3_once)
    sdk_times: list[float] = []
    hip3_times: list[float] = []
    for _ in range(rounds):
        sdk_times += _best_per_call(sdk_timer, sdk_number, 1)
        hip3_times += _best_per_call(hip3_timer, hip3_number, 1)
    sdk_best, hip3_best = min(sdk_times), min(hip3_times)
    ratio = sdk_best / hip3_best
    print(
        f"sign one order action: SDK {sdk_best * 1e6:.1f} µs, hip3 {hip3_best * 1e6:.1f} µs "
        f"-> sign_vs_sdk {ratio:.2f}x (identical signatures)"
    )
    # The floor: libsecp256k1's recoverable signature of one 32-byte digest, nothing else
    # (no msgpack, no keccak, no EIP-712, no hex). hip3's whole sign against it.
    import coincurve

    secret = coincurve.PrivateKey(key.secret_bytes())
    digest = bytes(range(32))
    floor_timer = timeit.Timer(lambda: secret.sign_recoverable(digest, hasher=None))
    str_timer = timeit.Timer(lambda: sign_l1_action(TEST_KEY, ORDER_ACTION, nonce=NONCE))
    floor_times: list[float] = []
    full_times: list[float] = []
    str_times: list[float] = []
    for _ in range(rounds):
        floor_times += _best_per_call(floor_timer, hip3_number, 1)
        full_times += _best_per_call(hip3_timer, hip3_number, 1)
        str_times += _best_per_call(str_timer, hip3_number, 1)
    floor_best, full_best, str_best = min(floor_times), min(full_times), min(str_times)
    print(
        f"ECDSA floor {floor_best * 1e6:.1f} µs, hip3 full sign {full_best * 1e6:.1f} µs "
        f"-> sign_vs_floor {floor_best / full_best:.2f}; with a str key {str_best * 1e6:.1f} µs "
        f"({sdk_best / str_best:.1f}x the SDK)"
    )
    return {
        "sign_vs_sdk": ratio,
        "sign_vs_floor": floor_best / full_best,
        "sign_str_key_vs_sdk": sdk_best / str_best,
    }


if __name__ == "__main__":
    run("--quick" in sys.argv[1:])
