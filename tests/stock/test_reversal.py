"""Reversal and correction of posted documents (rule 3: never edited in place)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django_scopes import scope

from guanxi.finance.models import Allocation, MoneyDocument, PartyLedgerEntry
from guanxi.stock.models import SerialUnit, StockDocument, StockLedgerEntry
from guanxi.stock.posting import PostingRefused, correct_document, reverse_document
from tests.stock.helpers import (
    DAY,
    Kind,
    balance,
    deliver,
    ledger_sum,
    level,
    line,
    on_hand,
    posted,
    receive,
)

pytestmark = pytest.mark.django_db
D = Decimal
LATER = DAY + datetime.timedelta(days=5)


def test_reversal_writes_the_exact_opposite(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 10, "100")
    delivery = deliver(org, user, customer, widget, 4, "150")
    reversal = reverse_document(delivery, user=user, reason="客户取消", on=LATER)
    delivery.refresh_from_db()
    assert delivery.status == StockDocument.Status.REVERSED
    assert reversal.status == StockDocument.Status.POSTED
    assert reversal.reverses_id == delivery.pk
    assert reversal.kind == delivery.kind
    assert reversal.total == -delivery.total
    assert reversal.notes == "客户取消"
    assert on_hand(org, widget) == 10
    assert ledger_sum(org, widget) == 10
    assert balance(org, customer) == 0
    with scope(org=org.pk):
        original = StockLedgerEntry.objects.get(document=delivery)
        opposite = StockLedgerEntry.objects.get(document=reversal)
        assert [line.quantity for line in reversal.lines.all()] == [D("-4")]
    assert opposite.quantity == -original.quantity
    assert opposite.value == -original.value
    assert opposite.sales_amount == -original.sales_amount
    assert opposite.unit_cost == original.unit_cost


def test_a_document_is_reversed_once(org, user, supplier, widget):
    receipt = receive(org, user, supplier, widget, 1)
    reverse_document(receipt, user=user, on=LATER)
    with pytest.raises(PostingRefused):
        reverse_document(receipt, user=user, on=LATER)
    # and the database says so too
    with scope(org=org.pk), pytest.raises(IntegrityError):
        StockDocument.objects.create(
            org=org,
            number="X-1",
            kind=receipt.kind,
            date=DAY,
            warehouse=receipt.warehouse,
            reverses=receipt,
        )


def test_a_draft_cannot_be_reversed(org, user, supplier, widget):
    from tests.stock.helpers import draft

    doc = draft(org, user, Kind.PURCHASE_RECEIPT, [line(widget, 1)], party=supplier.pk)
    with pytest.raises(PostingRefused):
        reverse_document(doc, user=user)


def test_reversal_of_a_reversal_restores_the_original(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 10, "100")
    delivery = deliver(org, user, customer, widget, 4)
    reversal = reverse_document(delivery, user=user, on=LATER)
    restored = reverse_document(reversal, user=user, on=LATER)
    assert restored.reverses_id == reversal.pk
    assert on_hand(org, widget) == 6
    assert balance(org, customer) == delivery.total
    with scope(org=org.pk):
        assert [line.quantity for line in restored.lines.all()] == [D("4")]


def test_reversing_a_receipt_whose_goods_are_gone_is_refused(org, user, supplier, customer, widget):
    receipt = receive(org, user, supplier, widget, 5)
    deliver(org, user, customer, widget, 4)
    with pytest.raises(ValidationError) as caught:
        reverse_document(receipt, user=user, on=LATER)
    assert "lines.0.quantity" in caught.value.message_dict
    receipt.refresh_from_db()
    assert receipt.status == StockDocument.Status.POSTED
    assert on_hand(org, widget) == 1


def test_reversing_a_receipt_restores_the_average_cost(org, user, supplier, widget):
    receive(org, user, supplier, widget, 10, "100")
    second = receive(org, user, supplier, widget, 10, "200")
    assert level(org, widget).average_cost == D("150")
    reverse_document(second, user=user, on=LATER)
    assert level(org, widget).average_cost == D("100")
    assert on_hand(org, widget) == 10


def test_reversal_of_a_delivery_puts_serials_back_as_they_were(
    org, user, supplier, customer, phone
):
    receive(org, user, supplier, phone, 2, line={"serials": ["S1", "S2"]})
    delivery = deliver(org, user, customer, phone, 1, line={"serials": ["S1"]})
    reverse_document(delivery, user=user, on=LATER)
    with scope(org=org.pk):
        unit = SerialUnit.objects.get(serial="S1")
        assert unit.movements.count() == 3
    assert unit.status == SerialUnit.Status.IN_STOCK
    assert unit.customer is None
    assert unit.sale_date is None
    assert unit.supplier == supplier


def test_reversing_a_receipt_of_sold_serials_is_refused(org, user, supplier, customer, phone):
    receipt = receive(org, user, supplier, phone, 1, line={"serials": ["Q1"]})
    deliver(org, user, customer, phone, 1, line={"serials": ["Q1"]})
    with pytest.raises(ValidationError):
        reverse_document(receipt, user=user, on=LATER)


def test_reversed_receipt_leaves_its_units_cancelled_and_receivable_again(
    org, user, supplier, phone
):
    receipt = receive(org, user, supplier, phone, 1, line={"serials": ["R1"]})
    reverse_document(receipt, user=user, on=LATER)
    with scope(org=org.pk):
        unit = SerialUnit.objects.get(serial="R1")
    assert unit.status == SerialUnit.Status.CANCELLED
    receive(org, user, supplier, phone, 1, line={"serials": ["R1"]})
    with scope(org=org.pk):
        unit.refresh_from_db()
    assert unit.status == SerialUnit.Status.IN_STOCK


def test_correction_reverses_and_posts_a_corrected_copy(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 10, "100")
    delivery = deliver(org, user, customer, widget, 4, "150")
    correction = correct_document(
        delivery,
        user=user,
        lines=[line(widget, 3, unit_price="150", tax_rate="0")],
        reason="数量有误",
        on=LATER,
    )
    delivery.refresh_from_db()
    assert delivery.status == StockDocument.Status.REVERSED
    assert correction.corrects_id == delivery.pk
    assert correction.status == StockDocument.Status.POSTED
    assert correction.date == delivery.date
    with scope(org=org.pk):
        assert delivery.reversals.get().notes == "数量有误"
    assert on_hand(org, widget) == 7
    assert balance(org, customer) == D("450.00")


def test_failed_correction_changes_nothing(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 5)
    delivery = deliver(org, user, customer, widget, 4)
    with pytest.raises(ValidationError):
        correct_document(delivery, user=user, lines=[line(widget, 9)], on=LATER)
    delivery.refresh_from_db()
    assert delivery.status == StockDocument.Status.POSTED
    assert on_hand(org, widget) == 1
    with scope(org=org.pk):
        assert not StockDocument.objects.filter(reverses=delivery).exists()


def _allocate(org, customer, delivery, amount):
    with scope(org=org.pk):
        money = MoneyDocument.objects.create(
            org=org,
            number=f"RC-{delivery.pk}-{amount}",
            kind=MoneyDocument.Kind.RECEIPT,
            status=MoneyDocument.Status.POSTED,
            party=customer,
            date=DAY,
            amount=D(amount),
        )
        return Allocation.objects.create(
            org=org, money_document=money, stock_document=delivery, amount=D(amount), date=DAY
        )


def test_allocations_move_to_the_correction_up_to_its_total(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 10)
    delivery = deliver(org, user, customer, widget, 4, "100")  # 400.00
    first = _allocate(org, customer, delivery, "300")
    second = _allocate(org, customer, delivery, "100")
    correction = correct_document(
        delivery, user=user, lines=[line(widget, 3, unit_price="100", tax_rate="0")], on=LATER
    )
    with scope(org=org.pk):
        moved = {a.pk: a for a in Allocation.objects.filter(stock_document=correction)}
        assert not Allocation.objects.filter(stock_document=delivery).exists()
    assert moved[first.pk].amount == D("300")
    assert second.pk not in moved  # 300 of the correction's 300.00 was already settled


def test_reversal_without_correction_puts_the_money_back_on_account(
    org, user, supplier, customer, widget
):
    receive(org, user, supplier, widget, 10)
    delivery = deliver(org, user, customer, widget, 1, "100")
    allocation = _allocate(org, customer, delivery, "100")
    reverse_document(delivery, user=user, on=LATER)
    with scope(org=org.pk):
        assert not Allocation.objects.filter(pk=allocation.pk).exists()
        assert MoneyDocument.objects.filter(pk=allocation.money_document_id).exists()


def test_a_delivery_with_posted_returns_cannot_be_reversed(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 10)
    delivery = deliver(org, user, customer, widget, 4)
    with scope(org=org.pk):
        source = delivery.lines.get()
    posted(
        org,
        user,
        Kind.SALES_RETURN,
        [line(widget, 1, source_line=source.pk)],
        party=customer.pk,
        return_of=delivery.pk,
    )
    with pytest.raises(PostingRefused):
        reverse_document(delivery, user=user, on=LATER)


def test_reversal_cannot_be_dated_before_the_document(org, user, supplier, widget):
    receipt = receive(org, user, supplier, widget, 1)
    with pytest.raises(ValidationError):
        reverse_document(receipt, user=user, on=DAY - datetime.timedelta(days=1))


def test_party_ledger_of_a_reversal_keeps_the_due_date(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 3)
    delivery = deliver(org, user, customer, widget, 1)
    reversal = reverse_document(delivery, user=user, on=LATER)
    with scope(org=org.pk):
        row = PartyLedgerEntry.objects.get(stock_document=reversal)
    assert row.date == LATER
    assert row.due_date == delivery.due_date
    assert row.amount == -delivery.total
