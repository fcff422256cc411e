"""One name per order concept: one ``Tif``, from the strategy to the signed action."""

from __future__ import annotations

from decimal import Decimal

import pytest

import hip3.executor
import hip3.types
from hip3.errors import ValidationError
from hip3.tracker import TrackerState
from hip3.types import Cloid, Side, Tif
from hip3.wire import actions

D = Decimal
C1 = Cloid.from_int(1)


def test_tif_is_one_enum_wherever_it_is_imported_from() -> None:
    assert hip3.executor.Tif is hip3.types.Tif is actions.Tif


@pytest.mark.parametrize(
    ("given", "wire"), [(Tif.IOC, "Ioc"), ("Alo", "Alo"), ("gtc", "Gtc"), (" IOC ", "Ioc")]
)
def test_actions_take_the_enum_or_any_spelling_and_write_the_venues(
    given: Tif | str, wire: str
) -> None:
    assert actions.limit_order_type(given) == {"limit": {"tif": wire}}
    assert actions.order_wire(3, True, "10", "1", tif=given)["t"] == {"limit": {"tif": wire}}


def test_an_unknown_tif_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match=r"^tif: expected one of Gtc, Ioc, Alo"):
        actions.order_wire(3, True, "10", "1", tif="Fok")


@pytest.mark.parametrize(
    ("tif", "status"),
    [
        (Tif.GTC, "partiallyFilled"),
        ("Alo", "partiallyFilled"),
        (Tif.IOC, "cancelled"),
        ("FrontendMarket", "cancelled"),  # a journal's spelling the tracker does not know
        (None, "cancelled"),
    ],
)
def test_tracker_rests_a_partly_filled_remainder_only_for_gtc_and_alo(
    tif: Tif | str | None, status: str
) -> None:
    state = TrackerState()
    state.order_sent(C1, "BTC", Side.BUY, D(100), D(3), tif=tif)
    state.order_filled(C1, 7, D(1))
    (order,) = state.orders()
    assert order.status.value == status and order.filled_sz == D(1)
