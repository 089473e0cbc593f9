"""Purchase order services (C7): create, edit, confirm, cancel, receipt status."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from guanxi.core.exceptions import DeletionRefused
from guanxi.sales import documents_services as services
from guanxi.sales.models import PurchaseOrder, PurchaseOrderLine
from guanxi.stock.models import StockDocument
from tests.sales.documents_fixtures import *  # noqa: F403
from tests.sales.documents_fixtures import in_scope, make_po

D = Decimal


def test_create_purchase_order(purchase_order, toner, supplier, warehouse):
    assert purchase_order.number.startswith("PO-")
    assert purchase_order.status == PurchaseOrder.Status.DRAFT
    assert purchase_order.supplier_id == supplier.pk
    assert purchase_order.warehouse_id == warehouse.pk
    with in_scope(purchase_order.org):
        row = purchase_order.lines.get()
    assert row.list_price == D("200.00")
    assert row.unit_price == D("170.00")  # 200 × (1 − 15%)
    assert row.net_amount == D("1700.00")
    assert row.tax_amount == D("221.00")
    assert purchase_order.subtotal == D("2000.00")
    assert purchase_order.discount_total == D("300.00")
    assert purchase_order.total == D("1921.00")


def test_list_price_defaults_to_the_cost_price(admin_member, supplier, toner):
    po = make_po(admin_member, supplier, [{"product": toner, "quantity": 2}])
    with in_scope(po.org):
        assert po.lines.get().list_price == D("180.00")


def test_supplier_must_be_a_supplier(admin_member, customer, toner, foreign_customer):
    with pytest.raises(ValidationError) as caught:
        make_po(admin_member, customer, [{"product": toner, "quantity": 1}])
    assert "supplier" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        make_po(admin_member, foreign_customer, [{"product": toner, "quantity": 1}])
    assert "supplier" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        make_po(admin_member, None, [{"product": toner, "quantity": 1}])
    assert "supplier" in caught.value.message_dict


def test_bad_purchase_lines(admin_member, supplier, toner, foreign_product):
    with pytest.raises(ValidationError) as caught:
        make_po(
            admin_member,
            supplier,
            [
                {"product": toner, "quantity": "-2"},
                {"product": toner, "quantity": "1", "list_price": "-1"},
                {"product": toner, "quantity": "1", "discount_percent": "101"},
                {"product": foreign_product, "quantity": "1"},
            ],
            expected_date="2020-01-01",
        )
    errors = caught.value.message_dict
    assert {
        "lines.0.quantity",
        "lines.1.list_price",
        "lines.2.discount_percent",
        "lines.3.product",
        "expected_date",
    } <= set(errors)
    with scopes_disabled():
        assert not PurchaseOrder.all_objects.exists()
        assert not PurchaseOrderLine.objects.exists()


def test_update_confirm_cancel(purchase_order, admin_member, toner):
    po = services.update_purchase_order(
        admin_member,
        purchase_order=purchase_order,
        data={"contract_terms": "货到付款", "payment_due_days": 60},
        lines=[{"product": toner.pk, "quantity": "4", "list_price": "100", "tax_rate": "0"}],
        expected_version=purchase_order.version,
    )
    assert po.total == D("400.00")
    assert po.contract_terms == "货到付款"
    po = services.confirm_purchase_order(admin_member, purchase_order=po)
    assert po.status == PurchaseOrder.Status.CONFIRMED
    with pytest.raises(services.DocumentRefused):
        services.update_purchase_order(
            admin_member, purchase_order=po, data={}, lines=None, expected_version=po.version
        )
    with pytest.raises(DeletionRefused):
        services.delete_purchase_order(admin_member, purchase_order=po)
    po = services.cancel_purchase_order(admin_member, purchase_order=po)
    assert po.status == PurchaseOrder.Status.CANCELLED
    with pytest.raises(services.DocumentRefused):
        services.confirm_purchase_order(admin_member, purchase_order=po)
    services.delete_purchase_order(admin_member, purchase_order=po)


def test_cannot_cancel_after_a_posted_receipt(purchase_order, admin_member, warehouse):
    po = services.confirm_purchase_order(admin_member, purchase_order=purchase_order)
    with in_scope(po.org):
        StockDocument.objects.create(
            org_id=po.org_id,
            number="RC-1",
            kind=StockDocument.Kind.PURCHASE_RECEIPT,
            status=StockDocument.Status.POSTED,
            date=po.date,
            party=po.supplier,
            warehouse=warehouse,
            purchase_order=po,
        )
    with pytest.raises(services.DocumentRefused):
        services.cancel_purchase_order(admin_member, purchase_order=po)


def test_refresh_receipt_status(purchase_order, admin_member):
    # a draft is left alone
    assert services.refresh_receipt_status(purchase_order).status == PurchaseOrder.Status.DRAFT
    po = services.confirm_purchase_order(admin_member, purchase_order=purchase_order)
    with in_scope(po.org):
        row = po.lines.get()
        row.received_quantity = D("4")
        row.save()
        assert services.refresh_receipt_status(po).status == PurchaseOrder.Status.PARTIAL
        row.received_quantity = D("10")
        row.save()
        services.refresh_receipt_status(po)
        po.refresh_from_db()
        assert po.status == PurchaseOrder.Status.RECEIVED
        row.received_quantity = D("0")
        row.save()
        assert services.refresh_receipt_status(po).status == PurchaseOrder.Status.CONFIRMED
