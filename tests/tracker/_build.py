"""Small builders for tracker tests: fills, snapshots, orders."""

from __future__ import annotations

from decimal import Decimal

from hip3.domain import AccountSnapshot, Fill, OrderUpdate, PositionSnapshot
from hip3.types import Cloid, Side


def fill(
    tid: int | None,
    sz: str | Decimal,
    side: Side = Side.BUY,
    *,
    coin: str = "BTC",
    oid: int = 1,
    time_ms: int = 1_000,
    cloid: Cloid | None = None,
    px: str = "100",
    liquidation: bool = False,
    hash_: str | None = "0xabc",
) -> Fill:
    return Fill(
        coin=coin,
        px=Decimal(px),
        sz=Decimal(sz),
        side=side,
        time_ms=time_ms,
        oid=oid,
        tid=tid,
        cloid=cloid,
        hash=hash_,
        liquidation=liquidation,
        crossed=True,
    )


def snapshot(dex: str, time_ms: int, **szi: str) -> AccountSnapshot:
    positions = {}
    for coin, value in szi.items():
        name = coin.replace("__", ":")
        positions[name] = PositionSnapshot(coin=name, szi=Decimal(value))
    return AccountSnapshot(dex=dex, time_ms=time_ms, positions=positions)


def update(
    oid: int,
    status: str,
    *,
    coin: str = "BTC",
    side: Side = Side.BUY,
    sz: str = "0",
    orig_sz: str = "1",
    cloid: Cloid | None = None,
    time_ms: int = 1_000,
) -> OrderUpdate:
    return OrderUpdate(
        coin=coin,
        oid=oid,
        side=side,
        limit_px=Decimal("100"),
        sz=Decimal(sz),
        orig_sz=Decimal(orig_sz),
        status=status,
        status_time_ms=time_ms,
        timestamp_ms=time_ms,
        cloid=cloid,
    )


D = Decimal
