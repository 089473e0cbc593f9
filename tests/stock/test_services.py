"""Warehouse and draft services: defaults, validation, drafts made from other documents."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from guanxi.stock import services
from guanxi.stock.models import StockDocument, Warehouse
from guanxi.stock.posting import PostingRefused
from tests.stock.helpers import Kind, deliver, draft, line, make_warehouse, receive

pytestmark = pytest.mark.django_db
D = Decimal


def test_default_warehouse_is_created_once(org, other_org):
    first = services.ensure_default_warehouse(org)
    assert (first.name, first.code, first.is_default) == ("主仓库", "WH01", True)
    assert services.ensure_default_warehouse(org).pk == first.pk
    assert services.ensure_default_warehouse(other_org).pk != first.pk
    with scope(org=org.pk):
        assert Warehouse.objects.count() == 1


def test_an_existing_warehouse_becomes_the_default(org):
    existing = make_warehouse(org, "北京仓", code="BJ")
    assert services.ensure_default_warehouse(org).pk == existing.pk
    with scope(org=org.pk):
        assert Warehouse.objects.get(pk=existing.pk).is_default


def test_new_default_warehouse_takes_over(org, main_warehouse):
    other = services.create_warehouse(
        org=org, actor=None, data={"code": "SH", "name": "上海仓", "is_default": True}
    )
    with scope(org=org.pk):
        main_warehouse.refresh_from_db()
    assert other.is_default
    assert not main_warehouse.is_default


def test_warehouse_fields_are_checked(org, main_warehouse):
    with pytest.raises(ValidationError) as caught:
        services.create_warehouse(org=org, actor=None, data={"code": "", "name": ""})
    assert set(caught.value.message_dict) == {"code", "name"}


def test_draft_rejects_unknown_fields_and_bad_kinds(org, user, supplier, widget):
    with pytest.raises(ValidationError):
        services.create_draft(
            org=org, user=user, data={"kind": "purchase_receipt", "colour": "red"}
        )
    with pytest.raises(ValidationError) as caught:
        services.create_draft(org=org, user=user, data={"kind": "gift"})
    assert "kind" in caught.value.message_dict


def test_transfer_needs_two_different_warehouses(org, user, widget, main_warehouse):
    with pytest.raises(ValidationError) as caught:
        draft(
            org,
            user,
            Kind.TRANSFER,
            [line(widget, 1)],
            warehouse=main_warehouse.pk,
            to_warehouse=main_warehouse.pk,
        )
    assert "to_warehouse" in caught.value.message_dict


def test_adjustment_takes_no_prices_and_no_zero(org, user, widget):
    doc = draft(org, user, Kind.ADJUSTMENT, [line(widget, -3, unit_price="99")])
    with scope(org=org.pk):
        saved = doc.lines.get()
    assert saved.quantity == -3
    assert saved.unit_price == 0
    assert doc.total == 0
    with pytest.raises(ValidationError) as caught:
        draft(org, user, Kind.ADJUSTMENT, [line(widget, 0)])
    assert "lines.0.quantity" in caught.value.message_dict


def test_serials_on_an_untracked_product_are_refused(org, user, supplier, widget):
    with pytest.raises(ValidationError) as caught:
        draft(org, user, Kind.PURCHASE_RECEIPT, [line(widget, 1, serials=["X"])], party=supplier.pk)
    assert "lines.0.serials" in caught.value.message_dict


def test_sales_prices_default_to_the_list_price(org, user, customer, widget):
    doc = draft(org, user, Kind.SALES_DELIVERY, [line(widget, 2)], party=customer.pk)
    with scope(org=org.pk):
        saved = doc.lines.get()
    assert saved.unit_price == widget.list_price
    assert saved.tax_rate == widget.tax_rate
    assert doc.total == saved.total_amount


def test_update_draft_replaces_lines_and_checks_the_version(org, user, supplier, widget):
    from guanxi.core.exceptions import StaleEdit

    doc = draft(org, user, Kind.PURCHASE_RECEIPT, [line(widget, 1)], party=supplier.pk)
    services.update_draft(
        document=doc,
        user=user,
        data={"notes": "改"},
        lines=[line(widget, 4), line(widget, 1)],
        expected_version=1,
    )
    with scope(org=org.pk):
        assert doc.lines.count() == 2
    with pytest.raises(StaleEdit):
        services.update_draft(
            document=doc, user=user, data={"notes": "旧"}, lines=None, expected_version=1
        )


def test_posted_documents_are_not_deleted(org, user, supplier, widget):
    doc = receive(org, user, supplier, widget, 1)
    with pytest.raises(PostingRefused):
        services.delete_draft(document=doc, user=user)


def test_returns_only_against_posted_documents(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 5)
    pending = draft(org, user, Kind.SALES_DELIVERY, [line(widget, 1)], party=customer.pk)
    with pytest.raises(PostingRefused):
        services.create_return_of(source=pending, user=user)
    delivered = deliver(org, user, customer, widget, 2)
    ret = services.create_return_of(source=delivered, user=user)
    assert ret.kind == Kind.SALES_RETURN
    assert ret.return_of_id == delivered.pk
    with scope(org=org.pk):
        assert ret.lines.get().quantity == 2
    with pytest.raises(ValidationError) as caught:
        draft(
            org, user, Kind.SALES_RETURN, [line(widget, 1)], party=customer.pk, return_of=pending.pk
        )
    assert "return_of" in caught.value.message_dict


def test_receipt_from_a_purchase_order(org, admin_member, user, supplier, widget):
    from guanxi.sales import documents_services as sales
    from guanxi.stock.posting import post_document

    po = sales.create_purchase_order(
        admin_member, supplier, [{"product": widget.pk, "quantity": "6"}]
    )
    with scope(org=org.pk):
        type(po).objects.filter(pk=po.pk).update(status="confirmed")
        po.refresh_from_db()
    receipt = services.create_receipt_from_purchase_order(purchase_order=po, user=user)
    with scope(org=org.pk):
        assert receipt.lines.get().quantity == 6
    post_document(receipt, user=user)
    with scope(org=org.pk):
        po.refresh_from_db()
        assert po.lines.get().received_quantity == 6
    assert po.status == "received"
    with pytest.raises(PostingRefused):
        services.create_receipt_from_purchase_order(purchase_order=po, user=user)
    assert receipt.status == StockDocument.Status.POSTED
