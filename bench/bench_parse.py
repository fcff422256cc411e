"""ws message -> typed object, against the official SDK's plain ``json.loads``.

The SDK's websocket manager hands subscribers ``json.loads(frame)``: dicts.
hip3 hands them frozen attrs objects, with every field's JSON type checked.
The design target (design.md) is "no slower than the SDK's plain json.loads
of the same message". Measured on three frames:

* a ``userFills`` message with 1 fill (the common streaming case),
* a ``userFills`` message with 50 fills (a snapshot on subscribe),
* an ``l2Book`` message with 20 levels a side.

Each ratio is ``json.loads time / hip3.wire.ws.parse_ws_message time``
(higher is better, >= 1.0 meets the target). The headline
``parse_vs_json_loads`` is the **geometric mean** of the three;
``parse_vs_json_loads_min`` (the worst case, usually the book: forty small
objects per message, where orjson's head start is smallest) is reported
beside it. Runnable standalone: ``python bench/bench_parse.py [--quick]``.
"""

from __future__ import annotations

import json
import math
import sys
import timeit
from collections.abc import Callable
from typing import Any

from hip3.wire.models import L2Book, WsUserFills
from hip3.wire.ws import parse_ws_message

_USER = "0x14791697260e4c9a71f18484c9f997b308e59325"


def _fill(i: int) -> dict[str, Any]:
    return {
        "coin": "test:ABC" if i % 2 else "BTC",
        "px": f"{25.1 + i * 0.001:.3f}",
        "sz": f"{0.5 + i:.1f}",
        "side": "B" if i % 3 else "A",
        "time": 1700000300000 + i,
        "startPosition": f"{-15.0 + i:.1f}",
        "dir": "Close Short",
        "closedPnl": "0.0385",
        "hash": "0x4f0c9d2a7b1e3f5a6c8d0e2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f90e1",
        "oid": 123456789 + i,
        "crossed": bool(i % 2),
        "fee": "0.001884",
        "tid": 883712001122334 + i,
        "feeToken": "USDC",
        "twapId": None,
        "cloid": f"0x{i + 42:032x}",
    }


def _user_fills(n: int) -> bytes:
    message = {
        "channel": "userFills",
        "data": {"user": _USER, "fills": [_fill(i) for i in range(n)]},
    }
    return json.dumps(message, separators=(",", ":")).encode()


def _book() -> bytes:
    bids = [
        {"px": f"{95000 - i}.0", "sz": f"{1.2 + i * 0.01:.5f}", "n": i % 7 + 1} for i in range(20)
    ]
    asks = [
        {"px": f"{95001 + i}.0", "sz": f"{0.8 + i * 0.01:.5f}", "n": i % 5 + 1} for i in range(20)
    ]
    message = {
        "channel": "l2Book",
        "data": {"coin": "BTC", "time": 1700000001000, "levels": [bids, asks]},
    }
    return json.dumps(message, separators=(",", ":")).encode()


def _best_seconds(func: Callable[[], object], number: int, repeat: int) -> float:
    return min(timeit.repeat(func, number=number, repeat=repeat)) / number


def run(quick: bool) -> dict[str, float]:
    cases = {
        "user_fills_1": (_user_fills(1), WsUserFills, 20_000),
        "user_fills_50": (_user_fills(50), WsUserFills, 1_000),
        "l2book_20x2": (_book(), L2Book, 5_000),
    }
    repeat = 3 if quick else 7
    scale = 10 if quick else 1
    results: dict[str, float] = {}
    for name, (frame, expected, number) in cases.items():
        parsed = parse_ws_message(frame)
        assert isinstance(parsed, expected), parsed  # measure the real thing, not an error path
        number = max(100, number // scale)
        baseline = _best_seconds(lambda f=frame: json.loads(f), number, repeat)  # type: ignore[misc]
        ours = _best_seconds(lambda f=frame: parse_ws_message(f), number, repeat)  # type: ignore[misc]
        ratio = baseline / ours
        results[f"parse_vs_json_loads_{name}"] = ratio
        print(
            f"parse {name:14s} ({len(frame):6d} B): json.loads {baseline * 1e6:8.2f} us, "
            f"hip3 parse_ws_message {ours * 1e6:8.2f} us -> ratio {ratio:.2f}"
        )
    ratios = list(results.values())
    geometric_mean = math.prod(ratios) ** (1 / len(ratios))
    results["parse_vs_json_loads"] = geometric_mean
    results["parse_vs_json_loads_min"] = min(ratios)
    print(
        f"parse_vs_json_loads (geometric mean of the three): {geometric_mean:.2f} "
        f"(target >= 1.0); worst case {min(ratios):.2f}"
    )
    return results


if __name__ == "__main__":
    run(quick="--quick" in sys.argv[1:])
