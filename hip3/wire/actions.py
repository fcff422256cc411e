"""Exchange action dicts, built in the venue's canonical key order (hyperliquid-api.md §2).

L1 actions are signed over their msgpack bytes, and msgpack keeps dict key
order, so the order of keys is part of the signature: an order wire is
``a, b, p, s, r, t, c``; a trigger ``isMarket, triggerPx, tpsl``; the order
action ``type, orders, grouping, builder``. Prices and sizes are Decimals
written with :func:`hip3.types.wire_decimal` (no trailing zeros, no exponent:
the venue re-derives the hash from that form, so ``"100.0"`` would sign a
different action). Optional keys the venue wants *omitted* (not ``null`` or
``false``) are left out: ``c`` without a cloid, ``builder`` without one,
``time`` of ``scheduleCancel`` to unset it.

User-signed actions (``usdSend``, ``withdraw3``, ``approveAgent``,
``approveBuilderFee``) carry the same keys, in the same order, as the official
SDK posts them: its own fields, then ``signatureChainId`` and
``hyperliquidChain`` (added by its signer).

These builders only shape dicts; they do not validate prices against a
market's tick rules (see :meth:`hip3.universe.Market.check_order`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal, TypeAlias

from hip3.errors import ValidationError
from hip3.types import Cloid, Tif, to_decimal, to_tif, wire_decimal

__all__ = [
    "SIGNATURE_CHAIN_ID",
    "Grouping",
    "Tif",
    "Tpsl",
    "approve_agent_action",
    "approve_builder_fee_action",
    "batch_modify_action",
    "builder_info",
    "cancel_action",
    "cancel_by_cloid_action",
    "limit_order_type",
    "modify_action",
    "order_action",
    "order_wire",
    "schedule_cancel_action",
    "trigger_order_type",
    "update_isolated_margin_action",
    "update_leverage_action",
    "usd_send_action",
    "withdraw_action",
]

Tpsl: TypeAlias = Literal["tp", "sl"]
Grouping: TypeAlias = Literal["na", "normalTpsl", "positionTpsl"] | Mapping[str, int]

SIGNATURE_CHAIN_ID = "0x66eee"
"""The chain id the official SDK puts in user-signed actions (any chain is accepted)."""


def _positive(value: Decimal | str | int, field: str) -> Decimal:
    result = to_decimal(value, field=field)
    if result <= 0:
        raise ValidationError(f"must be positive, got {wire_decimal(result)}", field=field)
    return result


def _cloid_text(cloid: Cloid | str) -> str:
    return cloid.hex if isinstance(cloid, Cloid) else Cloid.from_str(cloid).hex


def limit_order_type(tif: Tif | str = Tif.GTC) -> dict[str, Any]:
    """``{"limit": {"tif": tif}}``, ``tif`` spelled as the venue spells it."""
    return {"limit": {"tif": to_tif(tif).value}}


def trigger_order_type(
    trigger_px: Decimal | str | int, *, is_market: bool, tpsl: Tpsl
) -> dict[str, Any]:
    """``{"trigger": {"isMarket", "triggerPx", "tpsl"}}`` in that key order."""
    if tpsl not in ("tp", "sl"):
        raise ValidationError(f"expected 'tp' or 'sl', got {tpsl!r}", field="tpsl")
    px = _positive(trigger_px, "trigger_px")
    return {"trigger": {"isMarket": bool(is_market), "triggerPx": wire_decimal(px), "tpsl": tpsl}}


def order_wire(
    asset: int,
    is_buy: bool,
    limit_px: Decimal | str | int,
    sz: Decimal | str | int,
    *,
    reduce_only: bool = False,
    tif: Tif | str = Tif.GTC,
    order_type: Mapping[str, Any] | None = None,
    cloid: Cloid | str | None = None,
) -> dict[str, Any]:
    """One order: ``{"a","b","p","s","r","t","c"?}``.

    ``order_type`` (from :func:`limit_order_type` / :func:`trigger_order_type`)
    overrides ``tif``. ``c`` is present only with a cloid.
    """
    if type(asset) is not int or asset < 0:
        raise ValidationError(f"expected a non-negative integer, got {asset!r}", field="asset")
    wire: dict[str, Any] = {
        "a": asset,
        "b": bool(is_buy),
        "p": wire_decimal(_positive(limit_px, "price")),
        "s": wire_decimal(_positive(sz, "size")),
        "r": bool(reduce_only),
        "t": dict(order_type) if order_type is not None else limit_order_type(tif),
    }
    if cloid is not None:
        wire["c"] = _cloid_text(cloid)
    return wire


def builder_info(address: str, fee_tenths_bp: int) -> dict[str, Any]:
    """``{"b": <lowercase address>, "f": <fee in tenths of a basis point>}``."""
    if type(fee_tenths_bp) is not int or fee_tenths_bp < 0:
        raise ValidationError(f"expected a non-negative integer, got {fee_tenths_bp!r}", field="f")
    return {"b": address.lower(), "f": fee_tenths_bp}


def order_action(
    orders: Iterable[Mapping[str, Any]],
    grouping: Grouping = "na",
    builder: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``{"type":"order","orders":[...],"grouping":...,"builder"?}``.

    The builder address is lower-cased (the venue compares it that way; the
    SDK does the same). An empty builder mapping counts as none.
    """
    action: dict[str, Any] = {
        "type": "order",
        "orders": [dict(o) for o in orders],
        "grouping": grouping if isinstance(grouping, str) else dict(grouping),
    }
    if builder:
        action["builder"] = builder_info(str(builder["b"]), int(builder["f"]))
    return action


def cancel_action(cancels: Iterable[tuple[int, int]]) -> dict[str, Any]:
    """``{"type":"cancel","cancels":[{"a": asset, "o": oid}, ...]}``."""
    return {"type": "cancel", "cancels": [{"a": asset, "o": oid} for asset, oid in cancels]}


def cancel_by_cloid_action(cancels: Iterable[tuple[int, Cloid | str]]) -> dict[str, Any]:
    """``{"type":"cancelByCloid","cancels":[{"asset": asset, "cloid": "0x..."}, ...]}``."""
    return {
        "type": "cancelByCloid",
        "cancels": [{"asset": asset, "cloid": _cloid_text(cloid)} for asset, cloid in cancels],
    }


def _modify_target(oid: int | Cloid | str) -> int | str:
    if isinstance(oid, int) and not isinstance(oid, bool):
        return oid
    return _cloid_text(oid)  # type: ignore[arg-type]


def modify_action(oid: int | Cloid | str, order: Mapping[str, Any]) -> dict[str, Any]:
    """``{"type":"modify","oid": oid-or-cloid,"order": <order wire>}``."""
    return {"type": "modify", "oid": _modify_target(oid), "order": dict(order)}


def batch_modify_action(
    modifies: Iterable[tuple[int | Cloid | str, Mapping[str, Any]]],
) -> dict[str, Any]:
    """``{"type":"batchModify","modifies":[{"oid":..., "order":...}, ...]}``."""
    return {
        "type": "batchModify",
        "modifies": [{"oid": _modify_target(oid), "order": dict(order)} for oid, order in modifies],
    }


def schedule_cancel_action(time_ms: int | None) -> dict[str, Any]:
    """``{"type":"scheduleCancel","time": ms}``; ``time`` omitted (not null) to unset."""
    action: dict[str, Any] = {"type": "scheduleCancel"}
    if time_ms is not None:
        action["time"] = int(time_ms)
    return action


def update_leverage_action(asset: int, *, is_cross: bool, leverage: int) -> dict[str, Any]:
    """``{"type":"updateLeverage","asset","isCross","leverage"}``."""
    if type(leverage) is not int or leverage < 1:
        raise ValidationError(f"expected an integer >= 1, got {leverage!r}", field="leverage")
    return {
        "type": "updateLeverage",
        "asset": asset,
        "isCross": bool(is_cross),
        "leverage": leverage,
    }


def update_isolated_margin_action(asset: int, amount_usd: Decimal | str | int) -> dict[str, Any]:
    """``{"type":"updateIsolatedMargin","asset","isBuy":true,"ntli"}``.

    ``ntli`` is the signed USD amount in millionths (1000000 = $1; negative
    removes margin); ``isBuy`` has no effect and is always true, as the SDK sends it.
    """
    amount = to_decimal(amount_usd, field="amount")
    micro = amount.scaleb(6)
    if micro != micro.to_integral_value():
        raise ValidationError(
            f"{wire_decimal(amount)} has more than 6 decimals (USD micro-units)", field="amount"
        )
    return {"type": "updateIsolatedMargin", "asset": asset, "isBuy": True, "ntli": int(micro)}


def _amount_text(amount: Decimal | str | int) -> str:
    value = _positive(amount, "amount")
    # Kept as given (no normalising): the signature covers this exact string.
    return format(value, "f")


def _chain(mainnet: bool) -> dict[str, str]:
    return {
        "signatureChainId": SIGNATURE_CHAIN_ID,
        "hyperliquidChain": "Mainnet" if mainnet else "Testnet",
    }


def usd_send_action(
    destination: str, amount: Decimal | str | int, *, time_ms: int, mainnet: bool
) -> dict[str, Any]:
    """``usdSend``: ``destination, amount, time, type, signatureChainId, hyperliquidChain``."""
    return {
        "destination": destination,
        "amount": _amount_text(amount),
        "time": int(time_ms),
        "type": "usdSend",
        **_chain(mainnet),
    }


def withdraw_action(
    destination: str, amount: Decimal | str | int, *, time_ms: int, mainnet: bool
) -> dict[str, Any]:
    """``withdraw3``: ``destination, amount, time, type, signatureChainId, hyperliquidChain``."""
    return {
        "destination": destination,
        "amount": _amount_text(amount),
        "time": int(time_ms),
        "type": "withdraw3",
        **_chain(mainnet),
    }


def approve_agent_action(
    agent_address: str, agent_name: str | None, *, nonce: int, mainnet: bool
) -> dict[str, Any]:
    """``approveAgent``: ``type, agentAddress, agentName?, nonce, signatureChainId, hyperliquidChain``.

    As the SDK does, an unnamed agent is *posted* without ``agentName`` but
    *signed* with ``agentName: ""`` (the EIP-712 type always has the field).
    """
    action: dict[str, Any] = {"type": "approveAgent", "agentAddress": agent_address}
    if agent_name is not None:
        action["agentName"] = agent_name
    action["nonce"] = int(nonce)
    action.update(_chain(mainnet))
    return action


def approve_builder_fee_action(
    builder: str, max_fee_rate: str, *, nonce: int, mainnet: bool
) -> dict[str, Any]:
    """``approveBuilderFee``: ``maxFeeRate`` (e.g. ``"0.001%"``), ``builder``, ``nonce``, ``type``,
    then the chain fields."""
    return {
        "maxFeeRate": max_fee_rate,
        "builder": builder,
        "nonce": int(nonce),
        "type": "approveBuilderFee",
        **_chain(mainnet),
    }
