"""Two people posting deliveries of the last unit at the same moment: exactly one wins.

Each thread has its own database connection (PostgreSQL: row locks on the stock level;
SQLite: IMMEDIATE transactions serialise the writers). Runs on both databases.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_scopes import scope

from guanxi.stock.models import StockDocument, StockLedgerEntry, StockLevel
from guanxi.stock.posting import post_document
from guanxi.stock.services import ensure_default_warehouse
from tests.factories import make_member, make_org
from tests.stock.helpers import Kind, draft, line, make_customer, make_supplier, receive, stocked


def _race(targets) -> tuple[list, list]:
    results: list = []
    errors: list = []
    start = threading.Barrier(len(targets))

    def run(target) -> None:
        try:
            start.wait()
            results.append(target())
        except ValidationError as exc:
            errors.append(exc)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_the_last_unit_exactly_one_succeeds():
    # given: one unit in stock and two draft deliveries of it by two people
    org = make_org("Race Co")
    first = make_member(org, "admin", username="racer1").user
    second = make_member(org, "admin", username="racer2").user
    warehouse = ensure_default_warehouse(org)
    supplier = make_supplier(org)
    customer = make_customer(org)
    product = stocked(org, name="最后一台")
    receive(org, first, supplier, product, 1)
    drafts = [
        draft(org, user, Kind.SALES_DELIVERY, [line(product, 1)], party=customer.pk)
        for user in (first, second)
    ]

    # when: both post at once
    results, errors = _race(
        [
            lambda d=drafts[0]: post_document(d, user=first),
            lambda d=drafts[1]: post_document(d, user=second),
        ]
    )

    # then: one posted, one refused for lack of stock, and stock is zero, not -1
    assert len(results) == 1, errors
    assert len(errors) == 1
    assert isinstance(errors[0], ValidationError), errors[0]
    assert "lines.0.quantity" in errors[0].message_dict
    with scope(org=org.pk):
        level = StockLevel.objects.get(product=product, warehouse=warehouse)
        assert level.on_hand == Decimal("0")
        assert (
            StockDocument.objects.filter(
                kind=Kind.SALES_DELIVERY, status=StockDocument.Status.POSTED
            ).count()
            == 1
        )
        assert (
            sum(StockLedgerEntry.objects.filter(product=product).values_list("quantity", flat=True))
            == 0
        )


@pytest.mark.django_db(transaction=True)
def test_posting_the_same_draft_twice_at_once_posts_it_once():
    org = make_org("Twice Co")
    user = make_member(org, "admin", username="twice").user
    ensure_default_warehouse(org)
    supplier = make_supplier(org)
    product = stocked(org, name="一次")
    doc = draft(org, user, Kind.PURCHASE_RECEIPT, [line(product, 2)], party=supplier.pk)

    results, errors = _race([lambda: post_document(doc, user=user) for _ in range(2)])

    assert errors == []
    assert len(results) == 2
    with scope(org=org.pk):
        assert StockLedgerEntry.objects.filter(document=doc).count() == 1
        assert StockLevel.objects.get(product=product).on_hand == 2
