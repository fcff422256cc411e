"""One fill the wire model refuses must not poison its batch (issue 10): the good
fills of a userFills message or a userFillsByTime page are kept, the bad one is
counted and skipped, and the REST backfill window moves on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from hip3.errors import WireError
from hip3.wire.to_domain import decode_fills, fills_from_json


def fill(tid: int, **changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "coin": "BTC",
        "px": "60000.0",
        "sz": "0.01",
        "side": "B",
        "time": 1_700_000_000_000 + tid,
        "startPosition": "0.0",
        "dir": "Open Long",
        "closedPnl": "0.0",
        "hash": "0x" + "ab" * 32,
        "oid": 7,
        "crossed": True,
        "fee": "0.1",
        "tid": tid,
        "feeToken": "USDC",
        "twapId": None,
    }
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not _MISSING}


_MISSING = object()


@pytest.mark.parametrize(
    "bad",
    [
        {"hash": None},
        {"startPosition": _MISSING},
        {"sz": "0.0"},
        {"px": "NaN"},
        {"side": "X"},
    ],
    ids=["hash-null", "no-startPosition", "zero-size", "nan-price", "bad-side"],
)
def test_a_malformed_fill_is_skipped_and_counted_not_the_batch(bad: dict[str, Any]) -> None:
    batch = [fill(1), fill(2, **bad), fill(3)]
    with pytest.raises(WireError):
        fills_from_json(batch)  # the strict path still refuses it
    decoded = decode_fills(batch)
    assert [f.tid for f in decoded.fills] == [1, 3]
    assert decoded.skipped == 1 and decoded.first_error is not None
    assert decoded.first_error.startswith("[1]")


def test_a_clean_batch_takes_the_fast_path() -> None:
    decoded = decode_fills([fill(1), fill(2)])
    assert decoded.skipped == 0 and [f.sz for f in decoded.fills] == [Decimal("0.01")] * 2


def test_not_an_array_is_still_a_wire_error() -> None:
    with pytest.raises(WireError, match="array"):
        decode_fills({"fills": []})
