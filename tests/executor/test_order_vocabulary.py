"""One name per order concept: one ``Tif``, from the strategy to the signed action."""

from __future__ import annotations

from decimal import Decimal

import pytest
import trio

import hip3.executor
import hip3.types
from hip3.domain import OrderStatus
from hip3.errors import ValidationError
from hip3.executor import Modify
from hip3.tracker import PositionTracker, TrackerHandle, TrackerState
from hip3.types import Cloid, PlaceOrder, Side, Tif
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


# -- one order request: side and limit_px, from the strategy to the signed action --


def test_one_order_request_class_for_executor_client_and_tracker() -> None:
    import hip3.clients
    import hip3.tracker

    assert hip3.executor.PlaceOrder is hip3.clients.PlaceOrder is hip3.types.PlaceOrder
    assert hip3.tracker.OrderToSend is hip3.types.PlaceOrder  # deprecated name


def test_deprecated_order_request_builds_the_same_place_order() -> None:
    from hip3.clients import OrderRequest

    with pytest.warns(DeprecationWarning, match="PlaceOrder"):
        request = OrderRequest("BTC", False, D("0.5"), D(100), tif="ioc", cloid=C1)
    assert request == PlaceOrder("BTC", Side.SELL, D(100), D("0.5"), tif=Tif.IOC, cloid=C1)
    with pytest.warns(DeprecationWarning):
        assert isinstance(OrderRequest("BTC", True, D(1), D(100)).cloid, Cloid)


def test_px_is_a_deprecated_name_of_limit_px() -> None:
    order = PlaceOrder("BTC", Side.BUY, "100.5", 1)
    modify = Modify("BTC", Side.BUY, "101", 1, cloid=order.cloid)
    assert order.px == order.limit_px == D("100.5") and modify.px == modify.limit_px == D(101)


def test_a_non_positive_limit_px_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match=r"^limit_px: must be positive"):
        PlaceOrder("BTC", Side.BUY, 0, 1)


def test_a_modify_is_replaced_by_a_new_order_under_its_new_cloid() -> None:
    modify = Modify("BTC", Side.SELL, "101", "2", oid=5, tif="Alo", reduce_only=True)
    assert modify.replacement() == PlaceOrder(
        "BTC", Side.SELL, D(101), D(2), tif=Tif.ALO, reduce_only=True, cloid=modify.new_cloid
    )


async def test_handle_order_sent_by_cloid_without_tif_does_not_rest_a_remainder() -> None:
    async with trio.open_nursery() as nursery:
        handle: TrackerHandle = await nursery.start(PositionTracker().run)
        await handle.order_sent(C1, "BTC", Side.BUY, D(100), D(3))
        await handle.order_filled(C1, 7, D(1))
        (order,) = await handle.orders()
        assert order.status is OrderStatus.CANCELLED and order.filled_sz == D(1)
        await handle.aclose()
