"""Order services: create, edit, confirm with the credit check, cancel, split, lock,
delivery status, pre-orders (C6, C11, C12)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from guanxi.core.exceptions import DeletionRefused, StaleEdit
from guanxi.finance.models import PartyLedgerEntry
from guanxi.sales import documents_services as services
from guanxi.sales.models import Order, OrderLine, SalesSettings
from guanxi.stock.models import StockDocument
from tests.sales.documents_fixtures import *  # noqa: F403
from tests.sales.documents_fixtures import in_scope, line, make_order

D = Decimal


def _settings(org, **fields):
    with in_scope(org):
        row, _ = SalesSettings.objects.get_or_create(org=org)
        for key, value in fields.items():
            setattr(row, key, value)
        row.save()
    return row


def _owe(party, amount):
    with in_scope(party.org):
        PartyLedgerEntry.objects.create(
            org_id=party.org_id,
            party=party,
            book=PartyLedgerEntry.Book.RECEIVABLE,
            date=datetime.date(2026, 1, 5),
            amount=D(amount),
        )


def _credit(party, limit):
    with scopes_disabled():
        party.settlement_type = "credit"
        party.credit_limit = D(limit)
        party.save()


@pytest.fixture
def fake_reservations(monkeypatch):
    calls: list[tuple[str, str]] = []
    module = SimpleNamespace(
        reserve_order=lambda order: calls.append(("reserve", order.number)),
        release_order=lambda order: calls.append(("release", order.number)),
    )
    monkeypatch.setattr(services, "_reservations", lambda: module)
    return calls


def test_create_order_defaults(order):
    assert order.number.startswith("SO-")
    assert order.kind == Order.Kind.ORDER
    assert order.status == Order.Status.DRAFT
    assert order.delivery_status == Order.Delivery.NONE
    # 2 × 1999 + 5 × 299.50 = 5495.50; tax 519.74 + 194.68
    assert order.subtotal == D("5495.50")
    assert order.total == D("6209.92")


def test_preorder_needs_a_warehouse(sales_member, customer, printer):
    with pytest.raises(ValidationError) as caught:
        make_order(sales_member, customer, [line(printer)], kind="preorder")
    assert "warehouse" in caught.value.message_dict


def test_bad_header_values(sales_member, customer, printer, other_org):
    from tests.sales.documents_fixtures import make_warehouse

    foreign_wh = make_warehouse(other_org, code="X1")
    with pytest.raises(ValidationError) as caught:
        make_order(
            sales_member,
            customer,
            [line(printer)],
            kind="nope",
            payment_due_days="-3",
            delivery_date="tomorrow",
            warehouse=foreign_wh.pk,
        )
    assert {"kind", "payment_due_days", "delivery_date", "warehouse"} <= set(
        caught.value.message_dict
    )
    with scopes_disabled():
        assert not Order.all_objects.exists()


def test_update_draft_order(order, sales_member, printer):
    updated = services.update_order(
        sales_member,
        order=order,
        data={"payment_terms": "月结30天", "payment_due_days": 45},
        lines=[line(printer, 1, unit_price="1000", tax_rate="0")],
        expected_version=order.version,
    )
    assert updated.total == D("1000.00")
    assert updated.payment_due_days == 45
    with in_scope(order.org):
        assert order.lines.count() == 1


def test_locked_order_refuses_edit_cancel_delete(order, sales_member):
    order = services.set_order_lock(sales_member, order=order, locked=True)
    with pytest.raises(services.DocumentLocked):
        services.update_order(
            sales_member, order=order, data={}, lines=None, expected_version=order.version
        )
    with pytest.raises(services.DocumentLocked):
        services.cancel_order(sales_member, order=order, reason="客户取消")
    with pytest.raises(DeletionRefused):
        services.delete_order(sales_member, order=order)
    order = services.set_order_lock(sales_member, order=order, locked=False)
    services.delete_order(sales_member, order=order)


def test_stale_lock_is_refused(order, sales_member):
    with pytest.raises(StaleEdit):
        services.set_order_lock(
            sales_member, order=order, locked=True, expected_version=order.version + 5
        )


def test_confirm_order(order, sales_member):
    result = services.confirm_order(sales_member, order=order)
    assert result.warnings == []
    assert result.order.status == Order.Status.CONFIRMED
    assert result.order.confirmed_at is not None
    with pytest.raises(services.DocumentRefused):
        services.confirm_order(sales_member, order=order)
    with pytest.raises(services.DocumentRefused):
        services.update_order(
            sales_member, order=order, data={}, lines=None, expected_version=order.version
        )
    with pytest.raises(DeletionRefused):
        services.delete_order(sales_member, order=order)


def test_credit_check_warns(order, sales_member, customer, org):
    _settings(org, credit_check="warn")
    _credit(customer, "5000")
    _owe(customer, "1000")
    result = services.confirm_order(sales_member, order=order)
    assert result.order.status == Order.Status.CONFIRMED
    assert len(result.warnings) == 1
    assert "credit limit" in result.warnings[0].lower()


def test_credit_check_blocks(order, sales_member, customer, org):
    _settings(org, credit_check="block")
    _credit(customer, "5000")
    with pytest.raises(services.CreditLimitExceeded):
        services.confirm_order(sales_member, order=order)
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT


def test_credit_check_within_limit_and_off(order, sales_member, customer, org):
    _settings(org, credit_check="block")
    _credit(customer, "7000")
    _owe(customer, "700")
    assert services.credit_check(order) is None  # 700 + 6209.92 ≤ 7000
    _owe(customer, "100")
    assert services.credit_check(order) is not None
    _settings(org, credit_check="off")
    assert services.confirm_order(sales_member, order=order).warnings == []


def test_cash_customers_are_not_checked(order, sales_member, org, customer):
    _settings(org, credit_check="block")
    _owe(customer, "999999")
    assert services.confirm_order(sales_member, order=order).warnings == []


def test_big_deal_alert_on_confirm(order, sales_member, manager_member, org):
    from guanxi.activities.models import Notification

    _settings(org, big_deal_threshold=D("6000"))
    services.confirm_order(sales_member, order=order)
    with in_scope(org):
        notes = list(Notification.objects.filter(user=manager_member.user))
    assert len(notes) == 1
    assert order.number in notes[0].title


def test_no_big_deal_alert_below_threshold(order, sales_member, manager_member, org):
    from guanxi.activities.models import Notification

    _settings(org, big_deal_threshold=D("100000"))
    services.confirm_order(sales_member, order=order)
    with in_scope(org):
        assert not Notification.objects.exists()


def test_cancel_needs_a_reason(order, sales_member):
    with pytest.raises(ValidationError) as caught:
        services.cancel_order(sales_member, order=order, reason="  ")
    assert "cancel_reason" in caught.value.message_dict
    cancelled = services.cancel_order(sales_member, order=order, reason="客户预算取消")
    assert cancelled.status == Order.Status.CANCELLED
    assert cancelled.cancel_reason == "客户预算取消"
    with pytest.raises(services.DocumentRefused):
        services.cancel_order(sales_member, order=order, reason="again")


def test_cannot_cancel_after_a_posted_delivery(order, sales_member, warehouse):
    services.confirm_order(sales_member, order=order)
    with in_scope(order.org):
        StockDocument.objects.create(
            org_id=order.org_id,
            number="DL-1",
            kind=StockDocument.Kind.SALES_DELIVERY,
            status=StockDocument.Status.POSTED,
            date=order.date,
            party=order.party,
            warehouse=warehouse,
            order=order,
        )
    with pytest.raises(services.DocumentRefused):
        services.cancel_order(sales_member, order=order, reason="太晚了")


def test_refresh_delivery_status(order, sales_member):
    services.confirm_order(sales_member, order=order)
    with in_scope(order.org):
        first, second = order.lines.order_by("position")
        first.delivered_quantity = D("1")
        first.save()
        services.refresh_delivery_status(order)
        assert order.delivery_status == Order.Delivery.PARTIAL
        first.delivered_quantity = first.quantity
        second.delivered_quantity = second.quantity
        OrderLine.objects.bulk_update([first, second], ["delivered_quantity"])
        services.refresh_delivery_status(order)
        order.refresh_from_db()
        assert order.delivery_status == Order.Delivery.FULL
        assert order.status == Order.Status.COMPLETED
        second.delivered_quantity = D("0")
        second.save()
        services.refresh_delivery_status(order)
        order.refresh_from_db()
        assert order.delivery_status == Order.Delivery.PARTIAL
        assert order.status == Order.Status.CONFIRMED


def test_split_order(order, sales_member):
    with in_scope(order.org):
        first, second = order.lines.order_by("position")
    new = services.split_order(
        sales_member, order=order, quantities={first.pk: "1", second.pk: "5"}
    )
    order.refresh_from_db()
    assert new.split_from_id == order.pk
    assert new.number != order.number
    assert new.number.startswith("SO-")
    with in_scope(order.org):
        kept = list(order.lines.order_by("position"))
        moved = list(new.lines.order_by("position"))
    assert [(x.product_id, x.quantity) for x in kept] == [(first.product_id, D("1"))]
    assert kept[0].pk == first.pk
    assert sorted((x.product_id, x.quantity) for x in moved) == sorted(
        [(first.product_id, D("1")), (second.product_id, D("5"))]
    )
    assert order.total + new.total == D("6209.92")
    assert order.total == D("2258.87")


def test_split_refuses_bad_quantities(order, sales_member):
    with in_scope(order.org):
        first, second = order.lines.order_by("position")
    with pytest.raises(ValidationError) as caught:
        services.split_order(sales_member, order=order, quantities={first.pk: "3"})
    assert f"lines.{first.pk}" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.split_order(sales_member, order=order, quantities={first.pk: "-1"})
    with pytest.raises(ValidationError):
        services.split_order(sales_member, order=order, quantities={first.pk: "0"})
    with pytest.raises(ValidationError):
        services.split_order(sales_member, order=order, quantities={999999: "1"})
    with pytest.raises(ValidationError):  # everything moved is no split
        services.split_order(sales_member, order=order, quantities={first.pk: "2", second.pk: "5"})
    with scopes_disabled():
        assert Order.all_objects.count() == 1


def test_split_cannot_move_delivered_quantities(order, sales_member):
    services.confirm_order(sales_member, order=order)
    with in_scope(order.org):
        first, _second = order.lines.order_by("position")
        first.delivered_quantity = D("2")
        first.save()
    with pytest.raises(ValidationError):
        services.split_order(sales_member, order=order, quantities={first.pk: "1"})


def test_split_confirmed_keeps_status(order, sales_member):
    services.confirm_order(sales_member, order=order)
    with in_scope(order.org):
        first = order.lines.order_by("position").first()
    new = services.split_order(sales_member, order=order, quantities={first.pk: "1"})
    assert new.status == Order.Status.CONFIRMED


def test_preorder_reserves_and_releases(
    sales_member, customer, printer, warehouse, fake_reservations
):
    preorder = make_order(
        sales_member, customer, [line(printer, 3)], kind="preorder", warehouse=warehouse.pk
    )
    services.confirm_order(sales_member, order=preorder)
    assert fake_reservations == [("reserve", preorder.number)]
    services.cancel_order(sales_member, order=preorder, reason="客户不要了")
    assert fake_reservations[-1] == ("release", preorder.number)


def test_preorder_split_moves_the_reservation(
    sales_member, customer, printer, warehouse, fake_reservations
):
    preorder = make_order(
        sales_member, customer, [line(printer, 3)], kind="preorder", warehouse=warehouse.pk
    )
    services.confirm_order(sales_member, order=preorder)
    with in_scope(preorder.org):
        first = preorder.lines.get()
    new = services.split_order(sales_member, order=preorder, quantities={first.pk: "1"})
    assert fake_reservations[1:] == [
        ("release", preorder.number),
        ("reserve", preorder.number),
        ("reserve", new.number),
    ]


def test_plain_orders_do_not_reserve(order, sales_member, fake_reservations):
    services.confirm_order(sales_member, order=order)
    services.cancel_order(sales_member, order=order, reason="取消")
    assert fake_reservations == []
