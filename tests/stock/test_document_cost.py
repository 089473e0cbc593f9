"""The cost of goods posting stores on each document (`cost_total`), and its backfill."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django_scopes import scope, scopes_disabled

from guanxi.analytics import facts
from guanxi.stock.models import StockDocument, StockDocumentLine
from guanxi.stock.posting import document_cost, reverse_document
from tests.stock.helpers import DAY, Kind, deliver, draft, line, posted, receive

pytestmark = pytest.mark.django_db
D = Decimal
LATER = DAY + datetime.timedelta(days=5)


def _line_costs(document: StockDocument) -> Decimal:
    with scopes_disabled():
        lines = list(StockDocumentLine.objects.filter(document=document))
    return sum((round(line.quantity * line.unit_cost, 2) for line in lines), D(0))


def test_posting_stores_the_cost_of_goods(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 3, "100")
    receive(org, user, supplier, widget, 3, "101")
    delivery = deliver(org, user, customer, widget, 2, "150")
    # Moving average 100.5 per unit, two units out.
    assert delivery.cost_total == D("201.00")
    delivery.refresh_from_db()
    assert delivery.cost_total == D("201.00") == _line_costs(delivery)


def test_the_cost_is_the_sum_of_the_rounded_line_costs(org, user, supplier, customer, widget):
    # Three units at 100 and three at 100.01: average cost 100.005 per unit.
    receive(org, user, supplier, widget, 3, "100")
    receive(org, user, supplier, widget, 3, "100.01")
    delivery = posted(
        org,
        user,
        Kind.SALES_DELIVERY,
        [line(widget, 1, unit_price="150", tax_rate="0")] * 3,
        party=customer.pk,
    )
    with scopes_disabled():
        lines = list(StockDocumentLine.objects.filter(document=delivery))
    assert [line.unit_cost for line in lines] == [D("100.005000")] * 3
    # Each line rounds to 100.01 (half up), as the lines' gross profit reads it; rounding
    # once (300.015 → 300.02) would disagree with the lines by a cent.
    assert document_cost(lines) == D("300.03") == delivery.cost_total


def test_a_reversal_carries_the_opposite_cost(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 10, "80")
    delivery = deliver(org, user, customer, widget, 4, "150")
    reversal = reverse_document(delivery, user=user, reason="客户取消", on=LATER)
    assert delivery.cost_total == D("320.00")
    assert reversal.cost_total == D("-320.00") == _line_costs(reversal)


def test_a_draft_has_no_cost_until_posted(org, user, customer, widget):
    document = draft(org, user, Kind.SALES_DELIVERY, [line(widget, 1)], party=customer.pk)
    assert document.cost_total == D("0")


def test_document_and_line_gross_profit_agree(org, user, supplier, customer, widget):
    """facts.sales_documents' gross profit (from cost_total) equals the lines' sum, with a
    return and a reversal in the mix."""
    receive(org, user, supplier, widget, 20, "70")
    first = deliver(org, user, customer, widget, 5, "150")
    second = deliver(org, user, customer, widget, 3, "160")
    posted(
        org,
        user,
        Kind.SALES_RETURN,
        [line(widget, 1, unit_price="150", tax_rate="0")],
        party=customer.pk,
        return_of=second.pk,
    )
    reverse_document(first, user=user, reason="改单", on=LATER)
    with scope(org=org.pk):
        by_documents = facts.sales_documents().aggregate(gp=Sum("gross_profit"))["gp"]
        by_lines = facts.sales_lines().aggregate(gp=Sum("gross_profit"))["gp"]
    # 3 × (160 − 70) − 1 × (150 − 70): the reversed delivery nets to zero.
    assert by_documents == by_lines == D("190.00")


def test_the_migration_backfills_posted_documents_only(org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 10, "55.5")
    delivery = deliver(org, user, customer, widget, 3, "150")
    waiting = draft(org, user, Kind.SALES_DELIVERY, [line(widget, 1)], party=customer.pk)
    with scopes_disabled():
        StockDocument.objects.update(cost_total=D("0"))
        # A draft's lines carry no posted cost; a stray value must not be summed in.
        StockDocumentLine.objects.filter(document=waiting).update(unit_cost=D("9"))
    migration = importlib.import_module("guanxi.stock.migrations.0004_document_cost_total")
    backfill = next(op for op in migration.Migration.operations if hasattr(op, "sql"))
    with connection.cursor() as cursor:
        cursor.execute(backfill.sql)
    delivery.refresh_from_db()
    waiting.refresh_from_db()
    assert delivery.cost_total == D("166.50")
    assert waiting.cost_total == D("0")
