"""ws message -> typed object, against the official SDK's plain ``json.loads``.

The SDK's websocket manager hands subscribers ``json.loads(message)`` of the
text frame (a ``str``: websocket-client decodes text frames), i.e. dicts. hip3
hands them frozen attrs objects (a book's levels: immutable ``NamedTuple``s),
with every field's JSON type checked, from the same ``str`` (trio-websocket
also yields text frames as ``str``). The
design target (design.md) is "no slower than the SDK's plain json.loads of the
same message". Measured per message kind, on the frames a trading bot lives on:

* ``userFills`` with 1 fill (the common streaming case) and with 50 fills
  (a snapshot on subscribe),
* ``l2Book`` with 20 levels a side (the venue's depth),
* ``orderUpdates`` with one order, ``trades`` with one trade.

Method: CPU time of this thread (``time.thread_time``, so other processes on
a shared machine do not land in one side's figure), the two sides timed back
to back in each of many short rounds, the ratio ``json.loads time / hip3
parse_ws_message time`` taken per round and its **median** over the rounds
reported (higher is better, >= 1.0 meets the target). The headline
``parse_vs_json_loads`` is the geometric mean over the kinds;
``parse_vs_json_loads_min`` (the worst kind: the book, forty three-field
objects per message, where building Python objects costs most relative to
parsing: ~0.9 with the levels made in C by ``tuple.__new__``, of which the
Python pass checking their 120 values' types costs about a tenth of
``json.loads``' time) is reported beside it. Runnable standalone:
``python bench/bench_parse.py [--quick]``.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
import timeit
from typing import Any

import orjson

from hip3.bot.book import book_from_frame, book_from_l2
from hip3.bot.defaults import converters as default_converters
from hip3.clients.ws import _route
from hip3.wire.frames import (
    decode_order_updates_frame,
    decode_trades_frame,
    decode_user_fills_frame,
)
from hip3.wire.models import L2Book, WsOrderUpdates, WsTrades, WsUserFills
from hip3.wire.to_domain import decode_fills, order_updates_from_json
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


def _order_updates() -> str:
    order = {
        "coin": "test:ABC",
        "side": "B",
        "limitPx": "25.123",
        "sz": "1.5",
        "oid": 123456789,
        "timestamp": 1700000000050,
        "origSz": "1.5",
        "cloid": "0x0000000000000000000000000000002a",
    }
    data = [{"order": order, "status": "open", "statusTimestamp": 1700000000050}]
    return json.dumps({"channel": "orderUpdates", "data": data}, separators=(",", ":"))


def _trades() -> str:
    trade = {
        "coin": "BTC",
        "side": "B",
        "px": "95000.0",
        "sz": "0.002",
        "hash": "0x9a7d3c1b5e7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a20",
        "time": 1700000000123,
        "tid": 731001234567891,
        "users": [_USER, "0x00000000000000000000000000000000000000aa"],
    }
    return json.dumps({"channel": "trades", "data": [trade]}, separators=(",", ":"))


def _seconds(func: Any, number: int) -> float:
    return timeit.timeit(func, number=number, timer=time.thread_time)


def run(quick: bool) -> dict[str, float]:
    cases: dict[str, tuple[str, type, int]] = {
        "user_fills_1": (_user_fills(1).decode(), WsUserFills, 2_000),
        "user_fills_50": (_user_fills(50).decode(), WsUserFills, 50),
        "l2book_20x2": (_book().decode(), L2Book, 400),
        "order_updates_1": (_order_updates(), WsOrderUpdates, 2_000),
        "trades_1": (_trades(), WsTrades, 2_000),
    }
    rounds = 15 if quick else 61
    results: dict[str, float] = {}
    for name, (frame, expected, number) in cases.items():
        parsed = parse_ws_message(frame)
        assert type(parsed) is expected, parsed  # measure the real thing, not an error path
        assert parse_ws_message(frame.encode()) == parsed
        baseline, ours, ratios = [], [], []
        for _ in range(rounds):
            b = _seconds(lambda f=frame: json.loads(f), number)
            o = _seconds(lambda f=frame: parse_ws_message(f), number)
            baseline.append(b / number)
            ours.append(o / number)
            ratios.append(b / o)
        ratio = statistics.median(ratios)
        results[f"parse_vs_json_loads_{name}"] = ratio
        print(
            f"parse {name:16s} ({len(frame):6d} B): json.loads {statistics.median(baseline) * 1e6:8.2f}"
            f" us, hip3 parse_ws_message {statistics.median(ours) * 1e6:8.2f} us"
            f" -> ratio {ratio:.2f} (median of {rounds} rounds)"
        )
    ratios = list(results.values())
    geometric_mean = math.prod(ratios) ** (1 / len(ratios))
    results["parse_vs_json_loads"] = geometric_mean
    results["parse_vs_json_loads_min"] = min(ratios)
    print(
        f"parse_vs_json_loads (geometric mean of the {len(ratios)} kinds): {geometric_mean:.2f} "
        f"(target >= 1.0); worst kind {min(ratios):.2f}"
    )
    results.update(_bot_path(rounds))
    return results


def _old_fills(frame: str) -> Any:
    return decode_fills(orjson.loads(frame)["data"]["fills"])


def _old_trades(frame: str) -> Any:
    return parse_ws_message(frame)


_CONVERTERS = default_converters()

_BOT_PATH: dict[str, tuple[Any, Any]] = {
    # kind -> (what the bot's feed calls per frame now -- FeedRouter calls the default
    # converters' frame methods and book_from_frame --, what it did before: the ws client's
    # orjson + the dict converter); both from the frame as received to domain records.
    "user_fills_1": (_CONVERTERS.fills_frame, _old_fills),
    "user_fills_50": (_CONVERTERS.fills_frame, _old_fills),
    "l2book_20x2": (book_from_frame, lambda f: book_from_l2(orjson.loads(f)["data"])),
    "order_updates_1": (
        _CONVERTERS.order_updates_frame,
        lambda f: order_updates_from_json(orjson.loads(f)["data"]),
    ),
    "trades_1": (decode_trades_frame, _old_trades),
}


def _every_decimal_of_fills(frame: str) -> Any:
    return [fill.materialized() for fill in decode_user_fills_frame(frame).fills]


def _every_decimal_of_book(frame: str) -> Any:
    book = book_from_frame(frame)
    return [(level.px, level.sz) for level in (*book.bids, *book.asks)]


#: The same, with every Decimal of the result made: what deferring them saves is not
#: hidden (the tracker makes them for each new fill; a strategy reads the top of a book).
_MATERIALIZED: dict[str, Any] = {
    "user_fills_1": _every_decimal_of_fills,
    "user_fills_50": _every_decimal_of_fills,
    "l2book_20x2": _every_decimal_of_book,
    "order_updates_1": lambda f: [u.materialized() for u in decode_order_updates_frame(f)],
    "trades_1": lambda f: [t.materialized() for t in decode_trades_frame(f)],
}


def _bot_path(rounds: int) -> dict[str, float]:
    """``json.loads`` of a frame / the exact function the bot's feed calls on it (raw frame
    to domain objects with Decimals), and the same against the path it replaced."""
    frames = {
        "user_fills_1": (_user_fills(1).decode(), 2_000),
        "user_fills_50": (_user_fills(50).decode(), 50),
        "l2book_20x2": (_book().decode(), 400),
        "order_updates_1": (_order_updates(), 2_000),
        "trades_1": (_trades(), 2_000),
    }
    results: dict[str, float] = {}
    for name, (frame, number) in frames.items():
        ours_fn, old_fn = _BOT_PATH[name]
        ours_fn(frame)  # the fast path must not be an error path
        every_fn = _MATERIALIZED[name]
        ratios, gains, routes, made = [], [], [], []
        for _ in range(rounds):
            b = _seconds(lambda f=frame: json.loads(f), number)
            o = _seconds(lambda f=frame, fn=ours_fn: fn(f), number)
            old = _seconds(lambda f=frame, fn=old_fn: fn(f), number)
            r = _seconds(lambda f=frame: _route(f), number)
            m = _seconds(lambda f=frame, fn=every_fn: fn(f), number)
            ratios.append(b / o)
            gains.append(old / o)
            routes.append(b / r)
            made.append(b / m)
        results[f"parse_bot_path_vs_json_loads_{name}"] = statistics.median(ratios)
        results[f"parse_bot_path_materialized_{name}"] = statistics.median(made)
        results[f"bot_path_speedup_{name}"] = statistics.median(gains)
        results[f"ws_route_vs_json_loads_{name}"] = statistics.median(routes)
        print(
            f"bot path {name:16s}: json.loads / bot path {statistics.median(ratios):5.2f},"
            f" previous bot path / bot path {statistics.median(gains):5.2f},"
            f" json.loads / ws client routing {statistics.median(routes):5.2f},"
            f" json.loads / bot path with every Decimal made {statistics.median(made):5.2f}"
            f" (medians of {rounds} rounds)"
        )
    worst = min(v for k, v in results.items() if k.startswith("parse_bot_path_vs"))
    results["parse_bot_path_vs_json_loads"] = worst
    made_worst = min(v for k, v in results.items() if k.startswith("parse_bot_path_materialized"))
    results["parse_bot_path_materialized"] = made_worst
    print(
        f"parse_bot_path_vs_json_loads (worst kind): {worst:.2f} (target >= 2.0);"
        f" with every Decimal made: {made_worst:.2f}"
    )
    return results


if __name__ == "__main__":
    run(quick="--quick" in sys.argv[1:])
