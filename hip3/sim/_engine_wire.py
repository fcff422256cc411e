"""The venue's JSON shapes for orders and account state, built from the engine's records."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hip3.sim.accounts import DexAccount, direction, usd
from hip3.sim.book import Order
from hip3.types import wire_decimal

__all__ = [
    "aggregate_by_time",
    "basic_order",
    "clearinghouse_state",
    "frontend_order",
    "resting",
    "status_entry",
    "tx_hash",
]

_ZERO = Decimal(0)
_RATIO = Decimal("0.000001")


def tx_hash(coin: str, oid: int, now: int) -> str:
    """A stand-in transaction hash (0x + 64 hex): shared by every fill of one taker order."""
    return "0x" + hashlib.sha256(f"{coin}:{oid}:{now}".encode()).hexdigest()


def aggregate_by_time(fills: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``aggregateByTime``: the fills of one order in one block (same oid, time and side of
    the book) become one fill — size summed, price size-weighted, fees and pnl summed, the
    earliest fill's ``startPosition`` and ``tid``. Works on either time order."""
    groups: list[list[dict[str, Any]]] = []
    for fill in fills:
        last = groups[-1][0] if groups else None
        if last is not None and (last["oid"], last["time"], last["crossed"]) == (
            fill["oid"],
            fill["time"],
            fill["crossed"],
        ):
            groups[-1].append(fill)
        else:
            groups.append([fill])
    return [group[0] if len(group) == 1 else _merge(group) for group in groups]


def _merge(group: list[dict[str, Any]]) -> dict[str, Any]:
    first = min(group, key=lambda fill: fill["tid"])
    size = sum((Decimal(fill["sz"]) for fill in group), _ZERO)
    notional = sum((Decimal(fill["px"]) * Decimal(fill["sz"]) for fill in group), _ZERO)
    start = Decimal(first["startPosition"])
    is_buy = first["side"] == "B"
    merged = dict(first)
    merged["sz"] = wire_decimal(size)
    merged["px"] = wire_decimal((notional / size).quantize(Decimal("0.00000001")))
    merged["fee"] = wire_decimal(sum((Decimal(fill["fee"]) for fill in group), _ZERO))
    merged["closedPnl"] = wire_decimal(sum((Decimal(f["closedPnl"]) for f in group), _ZERO))
    merged["dir"] = direction(start, is_buy, start + (size if is_buy else -size))
    if any("builderFee" in fill for fill in group):
        builder_fee = sum((Decimal(f.get("builderFee", "0")) for f in group), _ZERO)
        merged["builderFee"] = wire_decimal(builder_fee)
    return merged


def resting(order: Order) -> dict[str, Any]:
    """The ``{"resting": {"oid", "cloid"?}}`` order status (cloid echoed only when set)."""
    entry: dict[str, Any] = {"oid": order.oid}
    if order.cloid is not None:
        entry["cloid"] = order.cloid
    return {"resting": entry}


def basic_order(order: Order) -> dict[str, Any]:
    """The ``openOrders`` / WsOrder ``order`` shape."""
    data: dict[str, Any] = {
        "coin": order.coin,
        "side": order.side,
        "limitPx": wire_decimal(order.limit_px),
        "sz": wire_decimal(order.sz),
        "oid": order.oid,
        "timestamp": order.timestamp,
        "origSz": wire_decimal(order.orig_sz),
    }
    if order.cloid is not None:
        data["cloid"] = order.cloid
    if order.reduce_only:
        data["reduceOnly"] = True
    return data


def order_type_name(order: Order) -> str:
    """``orderType`` as frontendOpenOrders spells it: Limit, Stop Market, Take Profit Limit..."""
    trigger = order.trigger
    if trigger is None:
        return "Limit"
    kind = "Stop" if trigger.tpsl == "sl" else "Take Profit"
    return f"{kind} {'Market' if trigger.is_market else 'Limit'}"


def frontend_order(order: Order, sz: Decimal) -> dict[str, Any]:
    """The ``frontendOpenOrders`` / ``orderStatus`` order shape, showing remaining size ``sz``."""
    trigger = order.trigger
    return {
        "coin": order.coin,
        "side": order.side,
        "limitPx": wire_decimal(order.limit_px),
        "sz": wire_decimal(sz),
        "oid": order.oid,
        "timestamp": order.timestamp,
        "triggerCondition": trigger.condition(order.is_buy) if trigger is not None else "N/A",
        "isTrigger": trigger is not None,
        "triggerPx": wire_decimal(trigger.px) if trigger is not None else "0.0",
        "children": [],
        "isPositionTpsl": False,
        "reduceOnly": order.reduce_only,
        "orderType": order_type_name(order),
        "origSz": wire_decimal(order.orig_sz),
        "tif": order.tif,
        "cloid": order.cloid,
    }


def status_entry(order: Order) -> dict[str, Any]:
    """``{"order", "status", "statusTimestamp"}`` as orderStatus and historicalOrders answer,
    the order as of its last status change (the venue does not refresh it on partial fills)."""
    return {
        "order": frontend_order(order, order.sz_at_status),
        "status": order.status,
        "statusTimestamp": order.status_timestamp,
    }


class Totals:
    """Running sums for one margin summary (cross, or all isolated positions)."""

    __slots__ = ("maintenance", "margin", "ntl", "signed_ntl", "value")

    def __init__(self) -> None:
        self.value = _ZERO  # what the positions add to account value
        self.ntl = _ZERO
        self.signed_ntl = _ZERO
        self.margin = _ZERO
        self.maintenance = _ZERO

    def add(self, signed_ntl: Decimal, margin: Decimal, value: Decimal, maint: Decimal) -> None:
        self.value += value
        self.ntl += abs(signed_ntl)
        self.signed_ntl += signed_ntl
        self.margin += margin
        self.maintenance += maint


def clearinghouse_state(
    dex_account: DexAccount,
    marks: Mapping[str, Decimal],
    defaults: Mapping[str, tuple[bool, int]],
    max_leverages: Mapping[str, int],
    now: int,
) -> dict[str, Any]:
    """One dex's ``clearinghouseState`` answer (api doc §1.6) for ``dex_account`` at ``now``."""
    cross = Totals()
    isolated = Totals()
    rows: list[tuple[dict[str, Any], Decimal, bool, Decimal, Decimal]] = []
    for coin, position in dex_account.positions.items():
        is_cross, lev = dex_account.leverage_of(coin, defaults[coin])
        mark = marks[coin]
        max_leverage = max_leverages[coin]
        ntl = abs(position.szi) * mark
        upnl = (mark - position.entry_px) * position.szi
        maintenance = ntl / (2 * max_leverage)
        leverage: dict[str, Any] = {"type": "cross", "value": lev}
        if is_cross:
            margin_used = ntl / lev
            cross.add(position.szi * mark, margin_used, upnl, maintenance)
        else:
            margin_used = position.iso_margin + upnl
            isolated.add(position.szi * mark, margin_used, margin_used, maintenance)
            leverage = {
                "type": "isolated",
                "value": lev,
                "rawUsd": wire_decimal(usd(margin_used - position.szi * mark)),
            }
        initial = abs(position.szi) * position.entry_px / lev
        entry = {
            "coin": coin,
            "szi": wire_decimal(position.szi),
            "entryPx": wire_decimal(position.entry_px),
            "positionValue": wire_decimal(usd(ntl)),
            "unrealizedPnl": wire_decimal(usd(upnl)),
            "returnOnEquity": wire_decimal((upnl / initial).quantize(_RATIO)),
            "liquidationPx": None,
            "leverage": leverage,
            "marginUsed": wire_decimal(usd(margin_used)),
            "maxLeverage": max_leverage,
            "cumFunding": {
                "allTime": wire_decimal(dex_account.funding_all_time.get(coin, _ZERO)),
                "sinceOpen": wire_decimal(position.funding_since_open),
                "sinceChange": wire_decimal(position.funding_since_change),
            },
        }
        rows.append((entry, position.szi, is_cross, margin_used - maintenance, mark))
    cross_value = dex_account.balance + cross.value
    for entry, szi, is_cross, own_cushion, mark in rows:
        # The price at which equity meets maintenance margin, other marks unchanged.
        cushion = cross_value - cross.maintenance if is_cross else own_cushion
        liquidation = mark - cushion / szi
        if liquidation > 0:
            entry["liquidationPx"] = wire_decimal(liquidation.quantize(_RATIO))
    account_value = cross_value + isolated.value
    signed_ntl = cross.signed_ntl + isolated.signed_ntl
    return {
        "assetPositions": [{"type": "oneWay", "position": entry} for entry, *_ in rows],
        "marginSummary": {
            "accountValue": wire_decimal(usd(account_value)),
            "totalNtlPos": wire_decimal(usd(cross.ntl + isolated.ntl)),
            "totalRawUsd": wire_decimal(usd(account_value - signed_ntl)),
            "totalMarginUsed": wire_decimal(usd(cross.margin + isolated.margin)),
        },
        "crossMarginSummary": {
            "accountValue": wire_decimal(usd(cross_value)),
            "totalNtlPos": wire_decimal(usd(cross.ntl)),
            "totalRawUsd": wire_decimal(usd(cross_value - cross.signed_ntl)),
            "totalMarginUsed": wire_decimal(usd(cross.margin)),
        },
        "crossMaintenanceMarginUsed": wire_decimal(usd(cross.maintenance)),
        "withdrawable": wire_decimal(usd(max(_ZERO, cross_value - cross.margin))),
        "time": now,
    }
