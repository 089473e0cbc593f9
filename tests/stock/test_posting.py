"""Posting (过帐): ledgers, levels, moving average, serials, party ledger, idempotency."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from guanxi.finance.models import PartyLedgerEntry
from guanxi.stock.models import (
    SerialMovement,
    SerialUnit,
    StockDocument,
    StockDocumentLine,
    StockLedgerEntry,
)
from guanxi.stock.posting import PostingRefused, post_document
from tests.stock.helpers import (
    DAY,
    Kind,
    balance,
    deliver,
    draft,
    ledger_sum,
    level,
    line,
    on_hand,
    posted,
    receive,
    stocked,
)

pytestmark = pytest.mark.django_db
D = Decimal
PAYABLE = PartyLedgerEntry.Book.PAYABLE


def test_receipt_writes_ledger_level_average_and_payable(org, user, supplier, widget):
    # when: 10 arrive at 80.00 (13% tax on top)
    doc = posted(
        org,
        user,
        Kind.PURCHASE_RECEIPT,
        [line(widget, 10, unit_price="80.00", tax_rate="13")],
        party=supplier.pk,
    )
    # then: posted, stock and average cost follow, supplier is owed the total with tax
    assert doc.status == StockDocument.Status.POSTED
    assert doc.posted_by == user
    assert doc.number.startswith("GR-2026-")
    assert doc.total == D("904.00")
    row = level(org, widget)
    assert row.on_hand == 10
    assert row.average_cost == D("80")
    with scope(org=org.pk):
        entry = StockLedgerEntry.objects.get(document=doc)
        assert (entry.quantity, entry.unit_cost, entry.value) == (D("10"), D("80"), D("800.00"))
        assert entry.sales_amount == D("800.00")
        party_row = PartyLedgerEntry.objects.get(stock_document=doc)
    assert party_row.book == PAYABLE
    assert party_row.amount == D("904.00")
    assert party_row.due_date == DAY + datetime.timedelta(days=30)
    assert balance(org, supplier, PAYABLE) == D("904.00")


def test_moving_average_over_receipts_and_deliveries(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 10, "100")
    receive(org, user, supplier, widget, 10, "130")
    assert level(org, widget).average_cost == D("115")
    # a delivery leaves at the average and does not change it
    doc = deliver(org, user, customer, widget, 5, "200")
    with scope(org=org.pk):
        entry = StockLedgerEntry.objects.get(document=doc)
    assert entry.quantity == -5
    assert entry.unit_cost == D("115")
    assert entry.value == D("-575.00")
    assert entry.sales_amount == D("1000.00")
    assert level(org, widget).average_cost == D("115")
    # (15 × 115 + 5 × 99) / 20
    receive(org, user, supplier, widget, 5, "99")
    assert level(org, widget).average_cost == D("111")
    assert on_hand(org, widget) == 20


def test_average_resets_when_stock_was_at_or_below_zero(org, user, supplier, customer, cable):
    # given: a backorder product delivered below zero
    deliver(org, user, customer, cable, 3)
    assert on_hand(org, cable) == -3
    # when: it arrives
    receive(org, user, supplier, cable, 5, "42")
    # then: the average is the incoming cost
    assert level(org, cable).average_cost == D("42")
    assert on_hand(org, cable) == 2


def test_delivery_makes_a_receivable_due_after_the_default_30_days(
    org, user, supplier, customer, widget
):
    receive(org, user, supplier, widget, 5)
    doc = deliver(org, user, customer, widget, 2, "150", line={"tax_rate": "13"})
    assert doc.total == D("339.00")
    assert doc.due_date == DAY + datetime.timedelta(days=30)
    assert balance(org, customer) == D("339.00")


def test_posting_twice_changes_nothing(org, user, supplier, widget):
    doc = draft(org, user, Kind.PURCHASE_RECEIPT, [line(widget, 3)], party=supplier.pk)
    first = post_document(doc, user=user)
    again = post_document(doc, user=user)
    assert again.pk == first.pk
    assert again.version == first.version
    with scope(org=org.pk):
        assert StockLedgerEntry.objects.filter(document=doc).count() == 1
        assert PartyLedgerEntry.objects.filter(stock_document=doc).count() == 1
    assert on_hand(org, widget) == 3


def test_cannot_deliver_more_than_on_hand(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 2)
    doc = draft(org, user, Kind.SALES_DELIVERY, [line(widget, 3)], party=customer.pk)
    with pytest.raises(ValidationError) as caught:
        post_document(doc, user=user)
    assert "lines.0.quantity" in caught.value.message_dict
    assert "Only 2" in caught.value.message_dict["lines.0.quantity"][0]
    # nothing written
    doc.refresh_from_db()
    assert doc.status == StockDocument.Status.DRAFT
    assert on_hand(org, widget) == 2
    assert balance(org, customer) == 0


def test_two_lines_of_one_product_are_checked_together(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 3)
    doc = draft(
        org, user, Kind.SALES_DELIVERY, [line(widget, 2), line(widget, 2)], party=customer.pk
    )
    with pytest.raises(ValidationError) as caught:
        post_document(doc, user=user)
    assert "lines.1.quantity" in caught.value.message_dict


def test_backorder_product_may_go_below_zero(org, user, customer, cable):
    deliver(org, user, customer, cable, 4)
    assert on_hand(org, cable) == -4
    assert ledger_sum(org, cable) == -4


def test_service_products_are_always_available_and_write_no_stock_rows(
    org, user, customer, install
):
    doc = deliver(org, user, customer, install, 2, "300")
    with scope(org=org.pk):
        assert not StockLedgerEntry.objects.filter(document=doc).exists()
    assert level(org, install) is None
    assert balance(org, customer) == D("600.00")


def test_empty_document_cannot_be_posted(org, user, customer):
    doc = draft(org, user, Kind.SALES_DELIVERY, [], party=customer.pk)
    with pytest.raises(ValidationError) as caught:
        post_document(doc, user=user)
    assert "lines" in caught.value.message_dict
    doc.refresh_from_db()
    assert doc.status == StockDocument.Status.DRAFT


def test_voided_product_on_a_draft_cannot_be_posted(org, user, supplier, widget):
    doc = draft(org, user, Kind.PURCHASE_RECEIPT, [line(widget, 1)], party=supplier.pk)
    with scope(org=org.pk):
        type(widget).objects.filter(pk=widget.pk).update(is_voided=True)
    with pytest.raises(ValidationError) as caught:
        post_document(doc, user=user)
    assert "lines.0.product" in caught.value.message_dict
    assert on_hand(org, widget) == 0


def test_supplier_kinds_need_a_supplier(org, user, supplier, customer, widget):
    with pytest.raises(ValidationError) as caught:
        draft(org, user, Kind.PURCHASE_RECEIPT, [line(widget, 1)], party=customer.pk)
    assert "is not a supplier" in caught.value.message_dict["party"][0]
    doc = draft(org, user, Kind.PURCHASE_RECEIPT, [line(widget, 1)], party=supplier.pk)
    with scope(org=org.pk):
        StockDocument.objects.filter(pk=doc.pk).update(party=customer)
    with pytest.raises(ValidationError) as caught:
        post_document(doc, user=user)
    assert "party" in caught.value.message_dict


def test_transfer_moves_stock_and_cost_between_warehouses(
    org, user, supplier, widget, main_warehouse, south
):
    receive(org, user, supplier, widget, 10, "50")
    doc = posted(
        org,
        user,
        Kind.TRANSFER,
        [line(widget, 4)],
        warehouse=main_warehouse.pk,
        to_warehouse=south.pk,
    )
    assert on_hand(org, widget, main_warehouse) == 6
    assert on_hand(org, widget, south) == 4
    assert level(org, widget, south).average_cost == D("50")
    with scope(org=org.pk):
        assert sorted(
            StockLedgerEntry.objects.filter(document=doc).values_list("quantity", flat=True)
        ) == [
            D("-4"),
            D("4"),
        ]
        assert not PartyLedgerEntry.objects.filter(stock_document=doc).exists()
    assert doc.total == 0


def test_adjustment_takes_a_signed_change(org, user, supplier, widget):
    receive(org, user, supplier, widget, 10, "50")
    posted(org, user, Kind.ADJUSTMENT, [line(widget, -2)])
    assert on_hand(org, widget) == 8
    posted(org, user, Kind.ADJUSTMENT, [line(widget, 1)])
    assert on_hand(org, widget) == 9
    assert ledger_sum(org, widget) == 9
    with pytest.raises(ValidationError):
        posted(org, user, Kind.ADJUSTMENT, [line(widget, -10)])


def test_delivery_against_an_order_moves_delivered_quantity_and_due_date(
    org, user, admin_member, supplier, customer, widget
):
    from guanxi.sales import documents_services as sales

    receive(org, user, supplier, widget, 10)
    order = sales.create_order(
        admin_member,
        data={"party": customer.pk, "payment_due_days": 45},
        lines=[{"product": widget.pk, "quantity": "5", "unit_price": "150"}],
    )
    with scope(org=org.pk):
        type(order).objects.filter(pk=order.pk).update(status="confirmed")
        order_line = order.lines.get()
    doc = posted(
        org,
        user,
        Kind.SALES_DELIVERY,
        [line(widget, 3, order_line=order_line.pk)],
        party=customer.pk,
        order=order.pk,
    )
    assert doc.due_date == DAY + datetime.timedelta(days=45)
    with scope(org=org.pk):
        order_line.refresh_from_db()
        order.refresh_from_db()
    assert order_line.delivered_quantity == 3
    assert order.delivery_status == "partial"
    # more than is left on the order line is refused
    with pytest.raises(ValidationError) as caught:
        posted(
            org,
            user,
            Kind.SALES_DELIVERY,
            [line(widget, 3, order_line=order_line.pk)],
            party=customer.pk,
            order=order.pk,
        )
    assert "Only 2 left" in caught.value.message_dict["lines.0.quantity"][0]


def test_serial_units_follow_receipt_delivery_and_return(org, user, supplier, customer, phone):
    receive(org, user, supplier, phone, 2, "2000", line={"serials": ["SN1", "SN2"]})
    with scope(org=org.pk):
        unit = SerialUnit.objects.get(serial="SN1")
    assert unit.status == SerialUnit.Status.IN_STOCK
    assert unit.supplier == supplier
    delivery = deliver(
        org,
        user,
        customer,
        phone,
        1,
        "3000",
        line={"serials": ["SN1"]},
        date=datetime.date(2026, 1, 31),
    )
    with scope(org=org.pk):
        unit.refresh_from_db()
    assert unit.status == SerialUnit.Status.SOLD
    assert unit.customer == customer
    assert unit.sale_date == datetime.date(2026, 1, 31)
    assert unit.warranty_type == "全国联保"
    assert unit.warranty_end == datetime.date(2027, 1, 31)
    # the sales return brings it back against the delivery
    with scope(org=org.pk):
        source_line = delivery.lines.get()
    posted(
        org,
        user,
        Kind.SALES_RETURN,
        [line(phone, 1, serials=["SN1"], source_line=source_line.pk)],
        party=customer.pk,
        return_of=delivery.pk,
    )
    with scope(org=org.pk):
        unit.refresh_from_db()
        assert unit.movements.count() == 3
    assert unit.status == SerialUnit.Status.IN_STOCK
    assert on_hand(org, phone) == 2


def test_serial_tracked_lines_need_one_serial_per_unit(org, user, supplier, phone):
    with pytest.raises(ValidationError) as caught:
        receive(org, user, supplier, phone, 2, line={"serials": ["ONLY-ONE"]})
    assert "lines.0.serials" in caught.value.message_dict


def test_delivery_of_an_unknown_or_sold_serial_is_refused(org, user, supplier, customer, phone):
    receive(org, user, supplier, phone, 1, line={"serials": ["A1"]})
    with pytest.raises(ValidationError) as caught:
        deliver(org, user, customer, phone, 1, line={"serials": ["NOPE"]})
    assert "not known" in caught.value.message_dict["lines.0.serials"][0]
    deliver(org, user, customer, phone, 1, line={"serials": ["A1"]})
    receive(org, user, supplier, phone, 1, line={"serials": ["A2"]})
    with pytest.raises(ValidationError) as caught:
        deliver(org, user, customer, phone, 1, line={"serials": ["A1"]})
    assert "not in stock" in caught.value.message_dict["lines.0.serials"][0]


def test_receiving_a_serial_already_in_stock_is_refused(org, user, supplier, phone):
    receive(org, user, supplier, phone, 1, line={"serials": ["X1"]})
    with pytest.raises(ValidationError):
        receive(org, user, supplier, phone, 1, line={"serials": ["X1"]})
    with scope(org=org.pk):
        assert SerialMovement.objects.count() == 1


def test_sales_return_cost_is_the_delivery_cost(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 10, "100")
    delivery = deliver(org, user, customer, widget, 4)
    receive(org, user, supplier, widget, 6, "160")  # average now (6×100 + 6×160)/12 = 130
    with scope(org=org.pk):
        source = delivery.lines.get()
    ret = posted(
        org,
        user,
        Kind.SALES_RETURN,
        [line(widget, 2, source_line=source.pk)],
        party=customer.pk,
        return_of=delivery.pk,
    )
    with scope(org=org.pk):
        entry = StockLedgerEntry.objects.get(document=ret)
    assert entry.unit_cost == D("100")
    assert balance(org, customer) == D("600.00") - D("300.00")
    # returning more than is left is refused
    with pytest.raises(ValidationError):
        posted(
            org,
            user,
            Kind.SALES_RETURN,
            [line(widget, 3, source_line=source.pk)],
            party=customer.pk,
            return_of=delivery.pk,
        )


def test_purchase_return_reduces_payable_at_average_cost(org, user, supplier, widget):
    receipt = receive(org, user, supplier, widget, 10, "100")
    with scope(org=org.pk):
        source = receipt.lines.get()
    posted(
        org,
        user,
        Kind.PURCHASE_RETURN,
        [line(widget, 3, source_line=source.pk)],
        party=supplier.pk,
        return_of=receipt.pk,
    )
    assert on_hand(org, widget) == 7
    assert balance(org, supplier, PAYABLE) == D("700.00")


def test_reversed_or_posted_document_cannot_be_updated_as_draft(org, user, supplier, widget):
    from guanxi.stock.services import update_draft

    doc = receive(org, user, supplier, widget, 1)
    with pytest.raises(PostingRefused):
        update_draft(
            document=doc, user=user, data={"notes": "x"}, lines=None, expected_version=doc.version
        )


def test_lines_keep_the_cost_the_posting_used(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 2, "77")
    doc = deliver(org, user, customer, widget, 1)
    with scope(org=org.pk):
        assert StockDocumentLine.objects.get(document=doc).unit_cost == D("77")


def test_other_orgs_product_cannot_go_on_a_document(org, other_org, user, supplier):
    foreign = stocked(other_org, name="别人的商品")
    with pytest.raises(ValidationError) as caught:
        draft(org, user, Kind.PURCHASE_RECEIPT, [line(foreign, 1)], party=supplier.pk)
    assert "lines.0.product" in caught.value.message_dict
