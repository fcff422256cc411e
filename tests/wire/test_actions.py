"""Action builders give exactly the dicts the official SDK builds (same keys, same order)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hyperliquid.utils import signing as sdk
from hyperliquid.utils.types import Cloid as SdkCloid

from hip3.errors import ValidationError
from hip3.types import Cloid
from hip3.wire import actions as a


def _same(ours: Any, theirs: Any) -> None:
    """Equal, and with the same key order at every level (msgpack hashes the order)."""
    assert ours == theirs
    if isinstance(ours, dict):
        assert list(ours) == list(theirs)
        for key in ours:
            _same(ours[key], theirs[key])
    elif isinstance(ours, list):
        for x, y in zip(ours, theirs, strict=True):
            _same(x, y)


def _sdk_order(**order: Any) -> dict[str, Any]:
    asset = order.pop("asset")
    return dict(sdk.order_request_to_order_wire(order, asset))  # type: ignore[arg-type]


def test_limit_order_with_cloid_matches_the_sdk() -> None:
    theirs = _sdk_order(
        asset=110000,
        coin="test:ABC",
        is_buy=True,
        sz=1.5,
        limit_px=25.123,
        order_type={"limit": {"tif": "Gtc"}},
        reduce_only=False,
        cloid=SdkCloid.from_int(42),
    )
    ours = a.order_wire(110000, True, Decimal("25.1230"), Decimal("1.50"), cloid=Cloid.from_int(42))
    _same(ours, theirs)


def test_reduce_only_ioc_without_cloid_omits_c() -> None:
    theirs = _sdk_order(
        asset=0,
        coin="BTC",
        is_buy=False,
        sz=0.001,
        limit_px=95000.0,
        order_type={"limit": {"tif": "Ioc"}},
        reduce_only=True,
    )
    ours = a.order_wire(
        0, False, Decimal("95000.0"), Decimal("0.0010"), reduce_only=True, tif="Ioc"
    )
    _same(ours, theirs)
    assert "c" not in ours and ours["p"] == "95000"


def test_trigger_order_matches_the_sdk_key_order() -> None:
    theirs = _sdk_order(
        asset=3,
        coin="X",
        is_buy=False,
        sz=2.0,
        limit_px=90.5,
        order_type={"trigger": {"triggerPx": 91.0, "isMarket": True, "tpsl": "sl"}},
        reduce_only=True,
        cloid=SdkCloid.from_str("0x000000000000000000000000000000ff"),
    )
    ours = a.order_wire(
        3,
        False,
        Decimal("90.5"),
        Decimal(2),
        reduce_only=True,
        order_type=a.trigger_order_type(Decimal("91.00"), is_market=True, tpsl="sl"),
        cloid="0x000000000000000000000000000000FF",
    )
    _same(ours, theirs)


@pytest.mark.parametrize("grouping", ["na", "normalTpsl", "positionTpsl"])
def test_order_action_with_builder_matches_the_sdk(grouping: Any) -> None:
    wire = a.order_wire(0, True, Decimal("100"), Decimal("1"))
    builder = {"b": "0x00000000000000000000000000000000000000AB", "f": 10}
    theirs = sdk.order_wires_to_order_action([wire], {"b": builder["b"].lower(), "f": 10}, grouping)
    _same(a.order_action([wire], grouping, builder), theirs)
    _same(a.order_action([wire], grouping), sdk.order_wires_to_order_action([wire], None, grouping))


def test_order_action_priority_grouping_is_an_object() -> None:
    action = a.order_action([a.order_wire(0, True, 1, 1, tif="Ioc")], {"p": 5})
    assert action["grouping"] == {"p": 5}


def test_cancel_actions_use_the_venue_key_names() -> None:
    assert a.cancel_action([(110000, 123456789)]) == {
        "type": "cancel",
        "cancels": [{"a": 110000, "o": 123456789}],
    }
    _same(
        a.cancel_by_cloid_action([(110000, Cloid.from_int(42))]),
        {
            "type": "cancelByCloid",
            "cancels": [{"asset": 110000, "cloid": "0x0000000000000000000000000000002a"}],
        },
    )


def test_batch_modify_matches_the_documented_signed_fixture() -> None:
    order = a.order_wire(110000, True, Decimal("25.123"), Decimal("1.5"), cloid=Cloid.from_int(42))
    expected = {
        "type": "batchModify",
        "modifies": [
            {
                "oid": 123456789,
                "order": {
                    "a": 110000,
                    "b": True,
                    "p": "25.123",
                    "s": "1.5",
                    "r": False,
                    "t": {"limit": {"tif": "Gtc"}},
                    "c": "0x0000000000000000000000000000002a",
                },
            }
        ],
    }
    _same(a.batch_modify_action([(123456789, order)]), expected)
    by_cloid = a.modify_action(Cloid.from_int(42), order)
    assert by_cloid["oid"] == "0x0000000000000000000000000000002a"
    assert list(by_cloid) == ["type", "oid", "order"]


def test_schedule_cancel_omits_time_to_unset() -> None:
    assert a.schedule_cancel_action(1700000060000) == {
        "type": "scheduleCancel",
        "time": 1700000060000,
    }
    assert a.schedule_cancel_action(None) == {"type": "scheduleCancel"}


def test_leverage_and_isolated_margin_layouts() -> None:
    _same(
        a.update_leverage_action(110000, is_cross=False, leverage=5),
        {"type": "updateLeverage", "asset": 110000, "isCross": False, "leverage": 5},
    )
    _same(
        a.update_isolated_margin_action(110000, Decimal("1")),
        {"type": "updateIsolatedMargin", "asset": 110000, "isBuy": True, "ntli": 1000000},
    )
    assert a.update_isolated_margin_action(0, "-2.5")["ntli"] == sdk.float_to_usd_int(-2.5)
    with pytest.raises(ValidationError):
        a.update_isolated_margin_action(0, "0.0000001")


def test_user_signed_actions_have_the_sdk_posted_layout() -> None:
    _same(
        a.usd_send_action("0xdead", Decimal("1.0"), time_ms=1700000000000, mainnet=False),
        {
            "destination": "0xdead",
            "amount": "1.0",
            "time": 1700000000000,
            "type": "usdSend",
            "signatureChainId": "0x66eee",
            "hyperliquidChain": "Testnet",
        },
    )
    _same(
        a.withdraw_action("0xdead", "12.5", time_ms=1, mainnet=True),
        {
            "destination": "0xdead",
            "amount": "12.5",
            "time": 1,
            "type": "withdraw3",
            "signatureChainId": "0x66eee",
            "hyperliquidChain": "Mainnet",
        },
    )
    _same(
        a.approve_agent_action("0xagent", "bot", nonce=7, mainnet=True),
        {
            "type": "approveAgent",
            "agentAddress": "0xagent",
            "agentName": "bot",
            "nonce": 7,
            "signatureChainId": "0x66eee",
            "hyperliquidChain": "Mainnet",
        },
    )
    assert "agentName" not in a.approve_agent_action("0xagent", None, nonce=7, mainnet=True)
    _same(
        a.approve_builder_fee_action("0xb", "0.001%", nonce=7, mainnet=False),
        {
            "maxFeeRate": "0.001%",
            "builder": "0xb",
            "nonce": 7,
            "type": "approveBuilderFee",
            "signatureChainId": "0x66eee",
            "hyperliquidChain": "Testnet",
        },
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"limit_px": Decimal(0)}, "price"),
        ({"sz": Decimal("-1")}, "size"),
        ({"limit_px": "abc"}, "price"),
        ({"tif": "Day"}, "tif"),
        ({"cloid": "0x12"}, "cloid"),
        ({"asset": -1}, "asset"),
    ],
)
def test_invalid_order_inputs_raise_validation_error_naming_the_field(
    kwargs: dict[str, Any], field: str
) -> None:
    args: dict[str, Any] = {"asset": 0, "is_buy": True, "limit_px": Decimal(1), "sz": Decimal(1)}
    args.update(kwargs)
    with pytest.raises(ValidationError) as info:
        a.order_wire(**args)
    assert info.value.field == field
