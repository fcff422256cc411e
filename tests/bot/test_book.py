from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from hip3.bot.book import Book, Level, book_from_l2
from hip3.errors import WireError

RECORDED = Path("/work/shared/fixtures/recorded/info_test__test_get_l2_snapshot.json")


def test_l2_payload_becomes_book_with_best_levels_first() -> None:
    book = book_from_l2(
        {
            "coin": "xyz:GOLD",
            "time": 1754450974231,
            "levels": [
                [{"px": "2001.5", "sz": "3", "n": 2}, {"px": "2001.0", "sz": "1", "n": 1}],
                [{"px": "2002.5", "sz": "0.5", "n": 1}],
            ],
        }
    )
    assert book.coin == "xyz:GOLD" and book.time_ms == 1754450974231
    assert book.best_bid == Decimal("2001.5") and book.best_ask == Decimal("2002.5")
    assert book.mid == Decimal("2002.0")


def test_one_sided_book_has_no_mid() -> None:
    assert Book("BTC", 0, bids=(Level(Decimal(1), Decimal(1)),)).mid is None


@pytest.mark.parametrize(
    "payload",
    [
        {"coin": "BTC", "time": 1},
        {"coin": "BTC", "time": 1, "levels": [[{"px": "x", "sz": "1"}], []]},
    ],
)
def test_malformed_l2_payload_raises_wire_error_naming_levels(payload: dict[str, object]) -> None:
    with pytest.raises(WireError) as info:
        book_from_l2(payload)
    assert info.value.field == "levels" and info.value.kind == "l2Book"


@pytest.mark.skipif(not RECORDED.exists(), reason="recorded fixtures not present")
def test_recorded_l2_snapshot_parses() -> None:
    records = json.loads(RECORDED.read_text())
    books = [r["response"] for r in records if r["request"].get("type") == "l2Book"]
    assert books
    for raw in books:
        book = book_from_l2(raw)
        assert book.best_bid is not None and book.best_ask is not None
        assert book.best_bid < book.best_ask
        assert list(book.bids) == sorted(book.bids, key=lambda lv: lv.px, reverse=True)
