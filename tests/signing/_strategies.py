"""Hypothesis strategies for venue actions in the venue's canonical key order (§2.3-2.7, §3.2)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eth_utils import to_checksum_address
from hypothesis import strategies as st

lower_addresses = st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex())
# The SDK posts checksummed addresses in places (approveAgent's agentAddress): both spellings.
addresses = st.one_of(lower_addresses, lower_addresses.map(to_checksum_address))
cloids = st.binary(min_size=16, max_size=16).map(lambda raw: "0x" + raw.hex())
assets = st.one_of(st.integers(0, 300), st.integers(10000, 12000), st.integers(100000, 190000))
oids = st.integers(0, 2**63)
# Decimal strings as float_to_wire writes them: no exponent, no trailing zeros.
wire_numbers = st.builds(
    lambda digits, scale: f"{Decimal(digits).scaleb(-scale).normalize():f}",
    st.integers(0, 10**9),
    st.integers(0, 8),
)
nonces = st.one_of(st.integers(1_600_000_000_000, 1_900_000_000_000), st.integers(0, 2**64 - 1))


@st.composite
def order_wires(draw: st.DrawFn) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "a": draw(assets),
        "b": draw(st.booleans()),
        "p": draw(wire_numbers),
        "s": draw(wire_numbers),
        "r": draw(st.booleans()),
    }
    if draw(st.booleans()):
        wire["t"] = {"limit": {"tif": draw(st.sampled_from(["Alo", "Ioc", "Gtc"]))}}
    else:
        wire["t"] = {
            "trigger": {
                "isMarket": draw(st.booleans()),
                "triggerPx": draw(wire_numbers),
                "tpsl": draw(st.sampled_from(["tp", "sl"])),
            }
        }
    if draw(st.booleans()):
        wire["c"] = draw(cloids)
    return wire


@st.composite
def order_actions(draw: st.DrawFn) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": "order",
        "orders": draw(st.lists(order_wires(), min_size=1, max_size=3)),
        "grouping": draw(st.sampled_from(["na", "normalTpsl", "positionTpsl"])),
    }
    if draw(st.booleans()):
        action["builder"] = {"b": draw(lower_addresses), "f": draw(st.integers(0, 1000))}
    return action


def _modify(oid: Any, order: dict[str, Any]) -> dict[str, Any]:
    return {"oid": oid, "order": order}


l1_actions = st.one_of(
    order_actions(),
    st.builds(
        lambda cancels: {"type": "cancel", "cancels": cancels},
        st.lists(st.builds(lambda a, o: {"a": a, "o": o}, assets, oids), min_size=1, max_size=3),
    ),
    st.builds(
        lambda cancels: {"type": "cancelByCloid", "cancels": cancels},
        st.lists(
            st.builds(lambda a, c: {"asset": a, "cloid": c}, assets, cloids), min_size=1, max_size=3
        ),
    ),
    st.builds(
        lambda oid, order: {"type": "modify", "oid": oid, "order": order},
        st.one_of(oids, cloids),
        order_wires(),
    ),
    st.builds(
        lambda modifies: {"type": "batchModify", "modifies": modifies},
        st.lists(
            st.builds(_modify, st.one_of(oids, cloids), order_wires()), min_size=1, max_size=3
        ),
    ),
    st.just({"type": "scheduleCancel"}),
    st.builds(lambda t: {"type": "scheduleCancel", "time": t}, nonces),
    st.builds(
        lambda a, cross, lev: {
            "type": "updateLeverage",
            "asset": a,
            "isCross": cross,
            "leverage": lev,
        },
        assets,
        st.booleans(),
        st.integers(1, 50),
    ),
    st.builds(
        lambda a, buy, ntli: {
            "type": "updateIsolatedMargin",
            "asset": a,
            "isBuy": buy,
            "ntli": ntli,
        },
        assets,
        st.booleans(),
        st.integers(-(10**12), 10**12),
    ),
)

amount_strings = st.one_of(wire_numbers, st.floats(0.01, 1e6).map(str))


@st.composite
def transfer_actions(draw: st.DrawFn, action_type: str) -> dict[str, Any]:
    # Key order as the SDK's Exchange builds it (irrelevant to EIP-712, kept for parity).
    return {
        "destination": draw(lower_addresses),
        "amount": draw(amount_strings),
        "time": draw(nonces),
        "type": action_type,
    }


@st.composite
def approve_agent_actions(draw: st.DrawFn) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "approveAgent", "agentAddress": draw(addresses)}
    name = draw(st.one_of(st.none(), st.text(max_size=20), st.just("")))
    if name is not None:
        action["agentName"] = name
    action["nonce"] = draw(nonces)
    return action


approve_builder_fee_actions = st.builds(
    lambda rate, builder, nonce: {
        "maxFeeRate": rate,
        "builder": builder,
        "nonce": nonce,
        "type": "approveBuilderFee",
    },
    st.sampled_from(["0.001%", "0.01%", "0.1%", "1%"]),
    addresses,
    nonces,
)
spot_send_actions = st.builds(
    lambda dest, amount, token, t: {
        "destination": dest,
        "amount": amount,
        "token": token,
        "time": t,
        "type": "spotSend",
    },
    lower_addresses,
    amount_strings,
    st.sampled_from(
        ["PURR:0xc4bf3f870c0e9465323c0b6ed28096c2", "USDC:0x6d1e7cde53ba9467b783cb7c530ce054"]
    ),
    nonces,
)
usd_class_transfer_actions = st.builds(
    lambda amount, to_perp, nonce: {
        "type": "usdClassTransfer",
        "amount": amount,
        "toPerp": to_perp,
        "nonce": nonce,
    },
    amount_strings,
    st.booleans(),
    nonces,
)
