"""Pre-orders reserve stock (C12): reserve, refuse beyond what is available, release,
consume on delivery, give back on the delivery's reversal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from guanxi.stock.posting import reverse_document
from guanxi.stock.reservations import available_to_promise, release_order, reserve_order
from tests.stock.helpers import Kind, level, line, posted, receive

pytestmark = pytest.mark.django_db
D = Decimal


def _preorder(org, member, customer, warehouse, product, quantity):
    from guanxi.sales import documents_services as sales

    order = sales.create_order(
        member,
        data={"party": customer.pk, "kind": "preorder", "warehouse": warehouse.pk},
        lines=[{"product": product.pk, "quantity": str(quantity), "unit_price": "10"}],
    )
    with scope(org=org.pk):
        type(order).objects.filter(pk=order.pk).update(status="confirmed")
        order.refresh_from_db()
    return order


def _line(org, order):
    with scope(org=org.pk):
        return order.lines.get()


def test_reserve_and_release(org, admin_member, user, supplier, customer, widget, main_warehouse):
    receive(org, user, supplier, widget, 10)
    order = _preorder(org, admin_member, customer, main_warehouse, widget, 4)
    reserve_order(order)
    row = level(org, widget)
    assert row.reserved == 4
    assert available_to_promise(row) == 6
    assert _line(org, order).reserved_quantity == 4
    # reserving again reserves nothing more
    reserve_order(order)
    assert level(org, widget).reserved == 4
    release_order(order)
    assert level(org, widget).reserved == 0
    assert _line(org, order).reserved_quantity == 0


def test_cannot_reserve_more_than_available(
    org, admin_member, user, supplier, customer, widget, main_warehouse
):
    receive(org, user, supplier, widget, 5)
    first = _preorder(org, admin_member, customer, main_warehouse, widget, 4)
    reserve_order(first)
    second = _preorder(org, admin_member, customer, main_warehouse, widget, 2)
    with pytest.raises(ValidationError) as caught:
        reserve_order(second)
    assert "Only 1" in caught.value.message_dict["lines.0.quantity"][0]
    assert level(org, widget).reserved == 4


def test_backorder_products_may_be_reserved_beyond_stock(
    org, admin_member, customer, cable, main_warehouse
):
    order = _preorder(org, admin_member, customer, main_warehouse, cable, 3)
    reserve_order(order)
    assert level(org, cable).reserved == 3


def test_delivery_consumes_the_reservation_and_reversal_gives_it_back(
    org, admin_member, user, supplier, customer, widget, main_warehouse
):
    receive(org, user, supplier, widget, 5)
    order = _preorder(org, admin_member, customer, main_warehouse, widget, 5)
    reserve_order(order)
    order_line = _line(org, order)
    delivery = posted(
        org,
        user,
        Kind.SALES_DELIVERY,
        [line(widget, 3, order_line=order_line.pk)],
        party=customer.pk,
        order=order.pk,
    )
    row = level(org, widget)
    assert (row.on_hand, row.reserved) == (D("2"), D("2"))
    assert _line(org, order).reserved_quantity == 2
    reverse_document(delivery, user=user)
    row = level(org, widget)
    assert (row.on_hand, row.reserved) == (D("5"), D("5"))
    assert _line(org, order).reserved_quantity == 5


def test_other_deliveries_cannot_take_reserved_stock(
    org, admin_member, user, supplier, customer, widget, main_warehouse
):
    receive(org, user, supplier, widget, 5)
    reserve_order(_preorder(org, admin_member, customer, main_warehouse, widget, 4))
    with pytest.raises(ValidationError) as caught:
        posted(org, user, Kind.SALES_DELIVERY, [line(widget, 2)], party=customer.pk)
    assert "Only 1" in caught.value.message_dict["lines.0.quantity"][0]
    posted(org, user, Kind.SALES_DELIVERY, [line(widget, 1)], party=customer.pk)
    assert level(org, widget).on_hand == 4


def test_ordinary_orders_reserve_nothing(org, admin_member, customer, widget):
    from guanxi.sales import documents_services as sales

    order = sales.create_order(
        admin_member, data={"party": customer.pk}, lines=[{"product": widget.pk, "quantity": "1"}]
    )
    assert reserve_order(order) == []
    assert level(org, widget) is None


def test_service_lines_are_not_reserved(org, admin_member, customer, install, main_warehouse):
    order = _preorder(org, admin_member, customer, main_warehouse, install, 2)
    assert reserve_order(order) == []
    assert level(org, install) is None
