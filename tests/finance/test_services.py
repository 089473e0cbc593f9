"""Receipts and payments: drafts, posting, reversal, allocation, and bad input."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from guanxi.finance.balances import party_balance
from guanxi.finance.models import Allocation, MoneyDocument, PartyLedgerEntry
from guanxi.finance.services import (
    MoneyDocumentError,
    NotDraft,
    allocate_on_account,
    create_money_document,
    delete_money_document,
    post_money_document,
    reverse_money_document,
    suggest_oldest_first,
    update_money_document,
)
from guanxi.stock.models import StockDocument
from tests.factories import make_org
from tests.finance.factories import (
    D,
    make_customer,
    make_order,
    make_purchase_order,
    make_supplier,
    payment,
    post_stock,
    receipt,
)

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 10)


def counts(org):
    with scope(org=org.pk):
        return (
            MoneyDocument.objects.count(),
            Allocation.objects.count(),
            PartyLedgerEntry.objects.filter(money_document__isnull=False).count(),
        )


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def draft(org, party, amount="100.00", allocations=(), **data):
    return create_money_document(
        org=org,
        actor=None,
        data={"kind": "receipt", "party": party, "date": DAY, "amount": amount, **data},
        allocations=allocations,
    )


def test_a_draft_is_numbered_and_changes_no_balance(org):
    customer = make_customer(org)
    doc = draft(org, customer)

    assert doc.number == "RC-2026-00001"
    assert doc.status == MoneyDocument.Status.DRAFT
    with scope(org=org.pk):
        assert party_balance(customer) == 0


def test_posting_writes_one_ledger_entry_and_twice_changes_nothing(org, admin_member):
    customer = make_customer(org)
    delivery = post_stock(org, customer, "500.00", date=DAY)
    doc = draft(org, customer, "500.00", [{"stock_document": delivery.pk, "amount": "500"}])

    posted = post_money_document(document=doc, actor=admin_member.user)
    again = post_money_document(document=doc, actor=admin_member.user)

    assert posted.status == again.status == MoneyDocument.Status.POSTED
    assert again.version == posted.version
    with scope(org=org.pk):
        entries = PartyLedgerEntry.objects.filter(money_document=doc)
        assert [(e.book, e.amount) for e in entries] == [("receivable", D(-500))]
        assert party_balance(customer) == 0


def test_payment_goes_to_the_payable_book(org):
    supplier = make_supplier(org)
    goods = post_stock(org, supplier, "800.00", kind=StockDocument.Kind.PURCHASE_RECEIPT)
    doc = payment(org, supplier, "300.00", allocations=[(goods, "300.00")])

    assert doc.number.startswith("PM-")
    with scope(org=org.pk):
        assert party_balance(supplier, "payable") == D(500)


def test_reversal_writes_the_opposite_entry_and_releases_allocations(org):
    customer = make_customer(org)
    delivery = post_stock(org, customer, "500.00", date=DAY)
    doc = receipt(org, customer, "500.00", allocations=[(delivery, "500.00")], date=DAY)

    reversal = reverse_money_document(document=doc, actor=None, date=DAY, reason="退票")

    doc.refresh_from_db()
    assert doc.status == MoneyDocument.Status.REVERSED
    assert reversal.reverses_id == doc.pk
    assert reversal.amount == doc.amount
    assert reversal.notes == "退票"
    with scope(org=org.pk):
        assert party_balance(customer) == D(500)
        from guanxi.finance.openitems import open_amount_of_document

        assert open_amount_of_document(delivery) == D(500)
    # Reversing again returns the same reversal.
    assert reverse_money_document(document=doc, actor=None).pk == reversal.pk
    with pytest.raises(MoneyDocumentError):
        reverse_money_document(document=reversal, actor=None)


def test_reversal_cannot_predate_the_document_nor_reverse_a_draft(org):
    customer = make_customer(org)
    doc = receipt(org, customer, "50.00", date=DAY)
    with pytest.raises(MoneyDocumentError) as excinfo:
        reverse_money_document(document=doc, actor=None, date=DAY - datetime.timedelta(days=1))
    assert excinfo.value.field == "date"
    with pytest.raises(MoneyDocumentError):
        reverse_money_document(document=draft(org, customer), actor=None)


def test_allocating_more_than_is_open_is_a_field_error_and_writes_nothing(org):
    customer = make_customer(org)
    delivery = post_stock(org, customer, "100.00")
    before = counts(org)

    with pytest.raises(ValidationError) as excinfo:
        draft(org, customer, "500.00", [{"stock_document": delivery.pk, "amount": "150.00"}])

    assert "Only 100.00 is open" in errors_of(excinfo)["allocations.0.amount"][0]
    assert counts(org) == before


def test_allocations_cannot_exceed_the_amount(org):
    customer = make_customer(org)
    a = post_stock(org, customer, "100.00")
    b = post_stock(org, customer, "100.00")
    with pytest.raises(ValidationError) as excinfo:
        draft(
            org,
            customer,
            "150.00",
            [{"stock_document": a.pk, "amount": "100"}, {"stock_document": b.pk, "amount": "60"}],
        )
    assert "more than the 150.00 available" in errors_of(excinfo)["allocations"][0]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1e20"}, "amount"),
        ({"date": "2026-13-01"}, "date"),
        ({"date": None}, "date"),
        ({"method": "gold"}, "method"),
        ({"kind": "gift"}, "kind"),
        ({"party": None}, "party"),
        ({"reference": "x" * 101}, "reference"),
    ],
)
def test_bad_fields_are_field_errors(org, data, field):
    customer = make_customer(org)
    before = counts(org)
    fields = {"kind": "receipt", "party": customer, "date": DAY, "amount": "10", **data}
    with pytest.raises(ValidationError) as excinfo:
        create_money_document(org=org, actor=None, data=fields)
    assert field in errors_of(excinfo)
    assert counts(org) == before


def test_receipt_needs_a_customer_and_payment_a_supplier(org):
    supplier = make_supplier(org)
    customer = make_customer(org)
    with pytest.raises(ValidationError) as excinfo:
        draft(org, supplier)
    assert errors_of(excinfo)["party"] == ["A receipt comes from a customer."]
    with pytest.raises(ValidationError) as excinfo:
        draft(org, customer, kind="payment")
    assert errors_of(excinfo)["party"] == ["A payment goes to a supplier."]


def test_other_organisations_party_and_documents_are_refused(org):
    other = make_org("别家公司")
    their_customer = make_customer(other, "别家客户")
    their_delivery = post_stock(other, their_customer, "100.00")
    customer = make_customer(org)
    with pytest.raises(ValidationError) as excinfo:
        draft(org, their_customer)
    assert "party" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        draft(org, customer, allocations=[{"stock_document": their_delivery.pk, "amount": "10"}])
    assert "allocations.0.target" in errors_of(excinfo)


def test_another_partys_document_and_wrong_targets_are_refused(org):
    a = make_customer(org, "甲")
    b = make_customer(org, "乙")
    theirs = post_stock(org, b, "100.00")
    back = post_stock(org, a, "20.00", kind=StockDocument.Kind.SALES_RETURN)
    supplier = make_supplier(org)
    po = make_purchase_order(org, supplier, "100.00")
    rows = [
        {"stock_document": theirs.pk, "amount": "10"},
        {"stock_document": back.pk, "amount": "10"},
        {"purchase_order": po.pk, "amount": "10"},
        {"amount": "10"},
        {"stock_document": theirs.pk, "order": 1, "amount": "10"},
        {"stock_document": theirs.pk, "amount": "-3"},
    ]
    with pytest.raises(ValidationError) as excinfo:
        draft(org, a, "100.00", rows)
    errors = errors_of(excinfo)
    for index in range(5):
        assert f"allocations.{index}.target" in errors, index
    assert "allocations.5.amount" in errors


def test_same_document_twice_is_refused(org):
    customer = make_customer(org)
    delivery = post_stock(org, customer, "100.00")
    with pytest.raises(ValidationError) as excinfo:
        draft(
            org,
            customer,
            "100.00",
            [
                {"stock_document": delivery.pk, "amount": "10"},
                {"stock_document": delivery.pk, "amount": "10"},
            ],
        )
    assert errors_of(excinfo)["allocations.1.target"] == ["This document is allocated twice."]


def test_advance_to_a_confirmed_order_only(org):
    customer = make_customer(org)
    confirmed = make_order(org, customer, "1000.00")
    draft_order = make_order(org, customer, "1000.00", status="draft")
    doc = draft(org, customer, "300.00", [{"order": confirmed.pk, "amount": "300"}])
    with scope(org=org.pk):
        assert doc.allocations.get().order_id == confirmed.pk
    with pytest.raises(ValidationError) as excinfo:
        draft(org, customer, "300.00", [{"order": draft_order.pk, "amount": "300"}])
    assert "allocations.0.target" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        draft(org, customer, "2000.00", [{"order": confirmed.pk, "amount": "1500"}])
    assert "allocations.0.amount" in errors_of(excinfo)


def test_posting_rechecks_what_is_open(org):
    customer = make_customer(org)
    delivery = post_stock(org, customer, "100.00")
    first = draft(org, customer, "100.00", [{"stock_document": delivery.pk, "amount": "100"}])
    second = draft(org, customer, "100.00", [{"stock_document": delivery.pk, "amount": "100"}])
    post_money_document(document=first, actor=None)

    with pytest.raises(ValidationError) as excinfo:
        post_money_document(document=second, actor=None)

    assert "allocations.0.amount" in errors_of(excinfo)
    second.refresh_from_db()
    assert second.status == MoneyDocument.Status.DRAFT
    with scope(org=org.pk):
        assert not PartyLedgerEntry.objects.filter(money_document=second).exists()


def test_update_replaces_allocations_and_refuses_stale_and_posted(org):
    from guanxi.core.exceptions import StaleEdit

    customer = make_customer(org)
    a = post_stock(org, customer, "100.00")
    b = post_stock(org, customer, "100.00")
    doc = draft(org, customer, "100.00", [{"stock_document": a.pk, "amount": "100"}])

    doc = update_money_document(
        document=doc,
        actor=None,
        data={"amount": "150.00", "reference": "TX-1"},
        allocations=[{"stock_document": b.pk, "amount": "80"}],
        expected_version=1,
    )

    assert doc.amount == D(150)
    assert doc.reference == "TX-1"
    assert doc.version == 2
    with scope(org=org.pk):
        rows = [(x.stock_document_id, x.amount) for x in doc.allocations.all()]
    assert rows == [(b.pk, D(80))]
    with pytest.raises(StaleEdit):
        update_money_document(document=doc, actor=None, data={}, allocations=[], expected_version=1)
    post_money_document(document=doc, actor=None)
    with pytest.raises(NotDraft):
        update_money_document(document=doc, actor=None, data={}, allocations=[], expected_version=3)
    with pytest.raises(NotDraft):
        delete_money_document(document=doc, actor=None)


def test_delete_draft(org):
    customer = make_customer(org)
    doc = draft(org, customer)
    delete_money_document(document=doc, actor=None)
    assert counts(org) == (0, 0, 0)


def test_on_account_remainder_can_be_allocated_later(org):
    customer = make_customer(org)
    money = receipt(org, customer, "500.00", date=DAY)
    delivery = post_stock(org, customer, "300.00", date=DAY + datetime.timedelta(days=5))

    allocate_on_account(
        document=money,
        actor=None,
        allocations=[{"stock_document": delivery.pk, "amount": "300"}],
        date=DAY + datetime.timedelta(days=6),
    )

    with scope(org=org.pk):
        from guanxi.finance.openitems import party_open_items

        items = party_open_items(customer.pk, "receivable", DAY + datetime.timedelta(days=10))
        assert [(i.source, i.open_amount) for i in items] == [("on_account", D(-200))]
        # Before the allocation was made the delivery was still open.
        items = party_open_items(customer.pk, "receivable", DAY + datetime.timedelta(days=5))
        assert sorted(i.open_amount for i in items) == [D(-500), D(300)]
    with pytest.raises(ValidationError) as excinfo:
        allocate_on_account(
            document=money,
            actor=None,
            allocations=[{"stock_document": post_stock(org, customer, "900").pk, "amount": "250"}],
        )
    assert "allocations" in errors_of(excinfo)


def test_suggest_oldest_first(org):
    customer = make_customer(org)
    old = post_stock(org, customer, "100.00", date=DAY - datetime.timedelta(days=30))
    mid = post_stock(org, customer, "200.00", date=DAY - datetime.timedelta(days=10))
    post_stock(org, customer, "300.00", date=DAY)

    suggestion = suggest_oldest_first(org=org, kind="receipt", party=customer, amount="250")

    assert [(s.target_id, s.amount) for s in suggestion] == [(old.pk, D(100)), (mid.pk, D(150))]
    assert suggest_oldest_first(org=org, kind="receipt", party=customer, amount="x") == []


def test_create_and_post_in_one_step(org):
    customer = make_customer(org)
    doc = create_money_document(
        org=org,
        actor=None,
        data={"kind": "receipt", "party": customer.pk, "date": "2026-03-10", "amount": "88"},
        post=True,
    )
    assert doc.status == MoneyDocument.Status.POSTED
    with scope(org=org.pk):
        assert party_balance(customer) == D(-88)
