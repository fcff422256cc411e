"""Every real recording in /work/shared/fixtures/recorded parses into its wire class.

The recordings (2023-2024 mainnet, from the official SDK's cassettes) predate some fields
(``tid``/``feeToken`` on fills, ``time`` on clearinghouseState, ``marginTables`` on meta):
the wire classes accept their absence, and the round trip gives the recorded JSON back.
"""

from __future__ import annotations

import pathlib
from typing import Any

import orjson
import pytest

from hip3.errors import WireError
from hip3.wire import codec
from hip3.wire import models as m
from hip3.wire.to_domain import account_snapshot, fills_to_domain

RECORDED = pathlib.Path("/work/shared/fixtures/recorded")
if not RECORDED.is_dir():  # the fixtures also ship beside the tests when vendored
    RECORDED = pathlib.Path(__file__).parent / "fixtures" / "recorded"

INFO_CLASSES: dict[str, Any] = {
    "meta": m.Meta,
    "allMids": m.AllMids,
    "l2Book": m.L2Book,
    "openOrders": list[m.OpenOrder],
    "frontendOpenOrders": list[m.FrontendOrder],
    "userFills": list[m.WireFill],
    "userFillsByTime": list[m.WireFill],
    "clearinghouseState": m.ClearinghouseState,
    "userRateLimit": m.UserRateLimit,
    "historicalOrders": list[m.OrderStatusOrder],
    "candleSnapshot": list[m.Candle],
    "fundingHistory": list[m.FundingRecord],
    "userFunding": list[m.UserFundingEntry],
    "extraAgents": list[m.ExtraAgent],
    "userRole": m.UserRole,
    "userVaultEquities": list[m.VaultEquity],
    "userTwapSliceFills": list[Any],
}
"""Info request type -> wire class. Types hip3 does not model (ledger histories, portfolio)
are listed in UNMODELLED and only checked to be JSON."""

UNMODELLED = {"delegatorHistory", "portfolio", "userNonFundingLedgerUpdates"}


def _records() -> list[tuple[str, int, dict[str, Any]]]:
    out = []
    for path in sorted(RECORDED.glob("*.json")):
        for index, record in enumerate(orjson.loads(path.read_bytes())):
            out.append((path.name, index, record))
    return out


RECORDS = _records()


def test_the_recordings_are_present() -> None:
    assert len(RECORDS) >= 20


@pytest.mark.parametrize(
    ("file", "index", "record"), RECORDS, ids=[f"{f}#{i}" for f, i, _ in RECORDS]
)
def test_recorded_info_response_parses_into_its_wire_class(
    file: str, index: int, record: dict[str, Any]
) -> None:
    assert record["url_path"] == "/info"
    kind = record["request"]["type"]
    response = record["response"]
    if kind in UNMODELLED:
        assert orjson.loads(orjson.dumps(response)) == response
        return
    cls = INFO_CLASSES[kind]
    obj = codec.structure(response, cls, kind=kind)
    # Recordings were stored with sorted keys, so compare as JSON values.
    assert orjson.loads(codec.dumps(obj)) == response


def _response(kind: str) -> Any:
    for _, _, record in RECORDS:
        if record["request"]["type"] == kind:
            return record["response"]
    raise AssertionError(kind)


def test_2023_fills_without_tid_convert_with_tid_none() -> None:
    fills = codec.structure(_response("userFills"), list[m.WireFill])
    domain = fills_to_domain(fills)
    assert len(domain) == len(fills) > 100
    assert all(f.tid is None and f.fee_token is None for f in domain)
    assert all(f.sz > 0 for f in domain)


def test_2023_clearinghouse_state_without_time_is_refused_clearly_by_snapshot() -> None:
    state = codec.structure(_response("clearinghouseState"), m.ClearinghouseState)
    assert state.time is None
    assert state.asset_positions[0].position.max_trade_szs is not None
    with pytest.raises(WireError) as info:
        account_snapshot("", state)
    assert info.value.field == "time"
    assert info.value.kind == "clearinghouseState"
