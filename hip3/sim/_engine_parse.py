"""Reading ``/exchange`` actions: typed field access, order wires and their canonical form.

The venue re-serialises the action it understood before checking the signature (api doc
§3.1, §8.2), so parsing yields both the values and the *canonical* action (keys in the
venue's order, decimals normalised): a client that signed another spelling recovers another
address. A shape the venue would not deserialise refuses the whole action, naming the path.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

import attrs

from hip3.sim.book import Trigger
from hip3.types import wire_decimal

__all__ = [
    "Committed",
    "Fields",
    "OrderSpec",
    "Reject",
    "is_address",
    "is_cloid",
    "parse_order",
    "reject",
]

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_TIFS = frozenset({"Gtc", "Ioc", "Alo", "FrontendMarket"})  # FrontendMarket: an IOC


class Reject(Exception):
    """A whole action refused: ``{"status":"err","response": text}``; nothing changed."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def reject(text: str) -> NoReturn:
    raise Reject(text)


@attrs.frozen
class Committed:
    """An action that changed state and still answers ``err`` (a modify whose new order was
    refused: the old order is cancelled either way)."""

    text: str


@attrs.frozen(slots=True)
class OrderSpec:
    """One order of an action as the venue reads it (``a, b, p, s, r, t, c``)."""

    asset: int
    is_buy: bool
    px: Decimal
    sz: Decimal
    reduce_only: bool
    tif: str | None
    trigger: Trigger | None
    cloid: str | None

    def canonical(self) -> dict[str, Any]:
        """The order wire in the venue's key order with normalised decimals (what is signed)."""
        order_type: dict[str, Any]
        if self.trigger is None:
            order_type = {"limit": {"tif": self.tif}}
        else:
            order_type = {
                "trigger": {
                    "isMarket": self.trigger.is_market,
                    "triggerPx": wire_decimal(self.trigger.px),
                    "tpsl": self.trigger.tpsl,
                }
            }
        wire: dict[str, Any] = {
            "a": self.asset,
            "b": self.is_buy,
            "p": wire_decimal(self.px),
            "s": wire_decimal(self.sz),
            "r": self.reduce_only,
            "t": order_type,
        }
        if self.cloid is not None:
            wire["c"] = self.cloid
        return wire


class Fields:
    """Typed reads of an action's fields; a wrong shape refuses the action naming the path."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            reject(f"Invalid action: {path or 'action'}: expected an object")
        self.data: Mapping[str, Any] = data
        self.path = path

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str) -> Any:
        if key not in self.data:
            reject(f"Invalid action: {self._where(key)}: missing")
        return self.data[key]

    def get_int(self, key: str, *, optional: bool = False) -> int | None:
        if optional and self.data.get(key) is None:
            return None
        value = self._get(key)
        if type(value) is not int:
            reject(f"Invalid action: {self._where(key)}: expected an integer")
        return value

    def req_int(self, key: str) -> int:
        value = self.get_int(key)
        assert value is not None
        return value

    def get_bool(self, key: str) -> bool:
        value = self._get(key)
        if type(value) is not bool:
            reject(f"Invalid action: {self._where(key)}: expected true or false")
        return value

    def get_str(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            reject(f"Invalid action: {self._where(key)}: expected a string")
        return value

    def get_decimal(self, key: str) -> Decimal:
        text = self.get_str(key)
        try:
            value = Decimal(text)
        except InvalidOperation:
            reject(f"Invalid action: {self._where(key)}: not a decimal string")
        if not value.is_finite():
            reject(f"Invalid action: {self._where(key)}: not a finite number")
        exponent = value.as_tuple().exponent
        if (
            len(text) > 40
            or value.adjusted() > 20
            or (isinstance(exponent, int) and exponent < -20)
        ):
            # The venue's numbers are u64-scaled; this also keeps "1e999999" from being
            # spelled out digit by digit when the canonical action is rebuilt.
            reject(f"Invalid action: {self._where(key)}: number out of range")
        return value

    def get_obj(self, key: str) -> Fields:
        return Fields(self._get(key), self._where(key))

    def get_list(self, key: str) -> list[Any]:
        value = self._get(key)
        if not isinstance(value, list):
            reject(f"Invalid action: {self._where(key)}: expected a list")
        return value


def is_address(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 42
        and value[:2] in ("0x", "0X")
        and _HEX_DIGITS.issuperset(value[2:])
    )


def is_cloid(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 34
        and value[:2] in ("0x", "0X")
        and _HEX_DIGITS.issuperset(value[2:])
    )


def parse_order(data: Any, path: str) -> OrderSpec:
    fields = Fields(data, path)
    asset = fields.req_int("a")
    is_buy = fields.get_bool("b")
    px = fields.get_decimal("p")
    sz = fields.get_decimal("s")
    reduce_only = fields.get_bool("r")
    order_type = fields.get_obj("t")
    tif: str | None = None
    trigger: Trigger | None = None
    if "limit" in order_type.data and "trigger" not in order_type.data:
        tif = order_type.get_obj("limit").get_str("tif")
        if tif not in _TIFS:
            reject(f"Invalid action: {path}.t.limit.tif: expected Gtc, Ioc, Alo or FrontendMarket")
    elif "trigger" in order_type.data and "limit" not in order_type.data:
        spec = order_type.get_obj("trigger")
        tpsl = spec.get_str("tpsl")
        if tpsl not in ("tp", "sl"):
            reject(f"Invalid action: {path}.t.trigger.tpsl: expected 'tp' or 'sl'")
        trigger = Trigger(
            px=spec.get_decimal("triggerPx"), is_market=spec.get_bool("isMarket"), tpsl=tpsl
        )
    else:
        reject(f"Invalid action: {path}.t: expected {{'limit': ...}} or {{'trigger': ...}}")
    cloid: str | None = None
    if fields.data.get("c") is not None:
        raw = fields.get_str("c")
        if not is_cloid(raw):
            reject(f"Invalid action: {path}.c: expected '0x' and 32 hex digits")
        cloid = raw.lower()
    return OrderSpec(asset, is_buy, px, sz, reduce_only, tif, trigger, cloid)
