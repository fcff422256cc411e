"""hip3.types: price/size rules, the wire number format and cloids, checked against the SDK."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hyperliquid.utils.signing import float_to_wire
from hyperliquid.utils.types import Cloid as SdkCloid
from hypothesis import assume, given
from hypothesis import strategies as st

from hip3.errors import ValidationError
from hip3.types import (
    Cloid,
    Coin,
    Side,
    round_price,
    round_size,
    to_decimal,
    validate_price,
    validate_size,
    wire_decimal,
)

prices = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("10000000"), places=8)
perp_sz_decimals = st.integers(min_value=0, max_value=5)


@given(prices, perp_sz_decimals, st.booleans())
def test_round_price_always_gives_a_valid_price(px: Decimal, sz_decimals: int, spot: bool) -> None:
    try:
        rounded = round_price(px, sz_decimals, spot=spot)
    except ValidationError as exc:
        # Only a price too small for the market's decimals may fail to round.
        assert exc.field == "price"
        max_decimals = (8 if spot else 6) - sz_decimals
        assert px < Decimal(1).scaleb(-max_decimals)
        return
    assert validate_price(rounded, sz_decimals, spot=spot) == rounded


@given(prices, perp_sz_decimals, st.booleans())
def test_validate_price_accepts_exactly_the_fixed_points_of_round_price(
    px: Decimal, sz_decimals: int, spot: bool
) -> None:
    try:
        valid = validate_price(px, sz_decimals, spot=spot)
    except ValidationError:
        try:
            rounded = round_price(px, sz_decimals, spot=spot)
        except ValidationError:
            return
        assert rounded != px
    else:
        assert round_price(px, sz_decimals, spot=spot) == valid


def test_documented_price_examples() -> None:
    assert validate_price("1234.5", 0) == Decimal("1234.5")
    assert validate_price("123456", 0) == Decimal(123456)  # integers ignore sig figs
    assert validate_price("0.001234", 0) == Decimal("0.001234")
    assert validate_price("0.01234", 1) == Decimal("0.01234")
    assert validate_price("0.0001234", 1, spot=True) == Decimal("0.0001234")
    for bad, sz_decimals, spot in [
        ("1234.56", 0, False),
        ("12345.6", 0, False),
        ("0.0012345", 0, False),
        ("0.012345", 1, False),
        ("0.0001234", 2, True),
    ]:
        with pytest.raises(ValidationError) as info:
            validate_price(bad, sz_decimals, spot=spot)
        assert info.value.field == "price"


@given(
    st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(10**9), places=6),
    st.integers(0, 6),
)
def test_round_size_is_valid_or_zero_and_never_larger(sz: Decimal, sz_decimals: int) -> None:
    rounded = round_size(sz, sz_decimals)
    assert rounded <= sz
    if rounded > 0:
        assert validate_size(rounded, sz_decimals) == rounded
    with pytest.raises(ValidationError):
        validate_size(-abs(sz), sz_decimals)


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_wire_decimal_equals_sdk_float_to_wire_for_every_float_it_accepts(x: float) -> None:
    try:
        expected = float_to_wire(x)
    except ValueError:
        with pytest.raises(ValidationError):
            to_decimal(x)
        return
    if expected == "-0":
        # The SDK writes -0.0 (and negatives under 1e-12) as "-0"; hip3 deliberately never
        # sends a negative zero. Prices and sizes are positive, so no signed action differs.
        assert wire_decimal(to_decimal(x)) == "0"
        return
    assert wire_decimal(to_decimal(x)) == expected


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=8, min_value=-(10**12), max_value=10**12
    )
)
def test_wire_decimal_has_no_exponent_no_trailing_zeros_and_keeps_the_value(value: Decimal) -> None:
    text = wire_decimal(value)
    assert "E" not in text and "e" not in text
    assert text != "-0"
    if "." in text:
        assert not text.endswith("0") and not text.endswith(".")
    assert Decimal(text) == value


def test_wire_decimal_documented_values() -> None:
    for value, expected in [
        ("100", "100"),
        ("100.0", "100"),
        ("1670.1", "1670.1"),
        ("0.0147", "0.0147"),
        ("1E-8", "0.00000001"),
        ("95000.0", "95000"),
        ("-0.0", "0"),
        ("9.5E+4", "95000"),
    ]:
        assert wire_decimal(Decimal(value)) == expected
    with pytest.raises(ValidationError):
        to_decimal(0.123456789)
    assert wire_decimal(to_decimal(0.1 + 0.2)) == "0.3"


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_cloid_int_round_trip_and_sdk_agreement(n: int) -> None:
    cloid = Cloid.from_int(n)
    assert cloid.to_int() == n
    assert cloid.hex == SdkCloid.from_int(n).to_raw()
    assert Cloid.from_str(cloid.hex.upper().replace("0X", "0x")) == cloid
    assert Cloid.from_bytes(cloid.to_bytes()) == cloid
    assert str(cloid) == cloid.hex


@given(st.text(max_size=40))
def test_cloid_parsing_rejects_anything_but_0x_and_32_hex_digits(text: str) -> None:
    body = text[2:].lower() if text[:2] in ("0x", "0X") else None
    well_formed = (
        body is not None and len(body) == 32 and all(c in "0123456789abcdef" for c in body)
    )
    assume(not well_formed)
    with pytest.raises(ValidationError) as info:
        Cloid.from_str(text)
    assert info.value.field == "cloid"


def test_cloid_range_and_random() -> None:
    with pytest.raises(ValidationError):
        Cloid.from_int(2**128)
    with pytest.raises(ValidationError):
        Cloid.from_int(-1)
    assert Cloid.random() != Cloid.random()


def test_side_and_coin_basics() -> None:
    assert Side("B") is Side.BUY and Side.BUY.sign == 1 and Side.SELL.sign == -1
    assert Side.from_is_buy(False) is Side.SELL and Side.BUY.opposite() is Side.SELL
    coin = Coin("xyz:TSLA")
    assert coin.dex == "xyz" and coin.base == "TSLA" and coin.is_hip3 and coin == "xyz:TSLA"
    assert Coin("BTC").dex == "" and not Coin("BTC").is_hip3
    for bad in ["", " BTC", "xyz:", ":BTC", "a:b:c"]:
        with pytest.raises(ValidationError):
            Coin(bad)
