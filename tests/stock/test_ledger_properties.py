"""Ledger invariants for any sequence of posts and reversals (hypothesis).

For every generated sequence of receipts, deliveries, returns, transfers, adjustments,
reversals and repeated postings:

- stock on hand = Σ stock-ledger quantities = StockLevel.on_hand, per product and warehouse;
- stock never goes below zero for a product without backorders, and a delivery is
  refused exactly when it asks for more than is on hand;
- receivable per customer = Σ posted deliveries − Σ posted sales returns (reversals
  count with their negative totals), payable per supplier likewise; the party ledger
  says the same;
- posting and then reversing a document restores every level and balance, and a
  reversal of a reversal restores the original;
- posting a posted document again changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django_scopes import scope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.finance.models import PartyLedgerEntry
from guanxi.stock.models import StockDocument, StockLedgerEntry, StockLevel
from guanxi.stock.posting import PostingRefused, post_document, reverse_document
from tests.stock.helpers import Kind, draft, line, make_warehouse, stocked

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.date(2026, 5, 1)
LATER = datetime.date(2026, 5, 2)
RECEIVABLE = PartyLedgerEntry.Book.RECEIVABLE
PAYABLE = PartyLedgerEntry.Book.PAYABLE

quantities = st.integers(min_value=1, max_value=6)
prices = st.sampled_from(["0", "9.99", "10", "33.33", "120"])
product_ix = st.integers(min_value=0, max_value=2)  # normal, backorder, service
warehouse_ix = st.integers(min_value=0, max_value=1)
any_ix = st.integers(min_value=0, max_value=50)

operations = st.one_of(
    st.tuples(st.just("receive"), product_ix, warehouse_ix, quantities, prices),
    st.tuples(st.just("deliver"), product_ix, warehouse_ix, quantities, st.integers(0, 1)),
    st.tuples(st.just("return"), any_ix, quantities),
    st.tuples(st.just("purchase_return"), any_ix, quantities),
    st.tuples(st.just("transfer"), st.integers(0, 1), warehouse_ix, quantities),
    st.tuples(st.just("adjust"), st.integers(0, 1), warehouse_ix, st.integers(-4, 4).filter(bool)),
    st.tuples(st.just("reverse"), any_ix),
    st.tuples(st.just("repost"), any_ix),
    st.tuples(st.just("post_and_reverse"), product_ix, warehouse_ix, quantities),
)


@pytest.fixture
def world(org, admin_member):
    from guanxi.stock.services import ensure_default_warehouse
    from tests.stock.helpers import make_customer, make_supplier

    main = ensure_default_warehouse(org)
    return {
        "org": org,
        "user": admin_member.user,
        "warehouses": [main, make_warehouse(org, "二号仓", code="W2")],
        "products": [
            stocked(org, name="普通商品", code="N1"),
            stocked(org, name="可缺货商品", code="B1", allow_backorder=True),
            stocked(org, name="服务", code="S1", kind="service"),
        ],
        "customers": [make_customer(org, name="客户甲"), make_customer(org, name="客户乙")],
        "supplier": make_supplier(org),
    }


def _levels(org) -> dict[tuple[int, int], Decimal]:
    return {
        (row.product_id, row.warehouse_id): row.on_hand
        for row in StockLevel.objects.filter(org=org)
    }


def _balances(org) -> dict[tuple[int, str], Decimal]:
    # SQLite sums decimals as floating point (59.94 − 9.99 − 49.95 = 7e-15): to the cent,
    # as guanxi.finance.balances reads them.
    return {
        (row["party_id"], row["book"]): Decimal(row["s"]).quantize(Decimal("0.01"))
        for row in PartyLedgerEntry.objects.filter(org=org)
        .values("party_id", "book")
        .annotate(s=Sum("amount"))
    }


def _non_zero(mapping):
    return {k: v for k, v in mapping.items() if v != 0}


def _check_invariants(world) -> None:
    org = world["org"]
    ledger = {
        (row["product_id"], row["warehouse_id"]): row["s"]
        for row in StockLedgerEntry.objects.filter(org=org)
        .values("product_id", "warehouse_id")
        .annotate(s=Sum("quantity"))
    }
    assert _non_zero(ledger) == _non_zero(_levels(org))
    for (product_id, _w), on_hand in _levels(org).items():
        product = next(p for p in world["products"] if p.pk == product_id)
        assert product.is_stocked
        if not product.allow_backorder:
            assert on_hand >= 0
    # receivable / payable = signed totals of the posted documents (reversals negative)
    expected: dict[tuple[int, str], Decimal] = {}
    signs = {
        Kind.SALES_DELIVERY: (RECEIVABLE, 1),
        Kind.SALES_RETURN: (RECEIVABLE, -1),
        Kind.PURCHASE_RECEIPT: (PAYABLE, 1),
        Kind.PURCHASE_RETURN: (PAYABLE, -1),
    }
    for doc in StockDocument.objects.filter(org=org).exclude(status=StockDocument.Status.DRAFT):
        if doc.kind in signs:
            book, sign = signs[doc.kind]
            key = (doc.party_id, book)
            expected[key] = expected.get(key, D("0")) + sign * doc.total
    assert _non_zero(expected) == _non_zero(_balances(org))


def _posted_docs(org, kinds=None):
    qs = StockDocument.objects.filter(org=org, status=StockDocument.Status.POSTED)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return list(qs.order_by("id"))


def _run(world, op) -> None:
    org, user = world["org"], world["user"]
    products, warehouses = world["products"], world["warehouses"]
    name = op[0]
    if name == "receive":
        _n, p, w, qty, price = op
        doc = draft(
            org,
            user,
            Kind.PURCHASE_RECEIPT,
            [line(products[p], qty, unit_price=price, tax_rate="13")],
            party=world["supplier"].pk,
            warehouse=warehouses[w].pk,
            date=DAY,
        )
        post_document(doc, user=user)
    elif name == "deliver":
        _n, p, w, qty, c = op
        product, warehouse = products[p], warehouses[w]
        before = _levels(org).get((product.pk, warehouse.pk), D("0"))
        doc = draft(
            org,
            user,
            Kind.SALES_DELIVERY,
            [line(product, qty, unit_price="50", tax_rate="13")],
            party=world["customers"][c].pk,
            warehouse=warehouse.pk,
            date=DAY,
        )
        should_fail = product.is_stocked and not product.allow_backorder and qty > before
        try:
            post_document(doc, user=user)
        except ValidationError:
            assert should_fail
        else:
            assert not should_fail
    elif name in {"return", "purchase_return"}:
        _n, ix, qty = op
        source_kind = Kind.SALES_DELIVERY if name == "return" else Kind.PURCHASE_RECEIPT
        sources = _posted_docs(org, [source_kind])
        if not sources:
            return
        source = sources[ix % len(sources)]
        source_line = source.lines.first()
        if source_line is None or source_line.quantity <= 0:
            return
        doc = draft(
            org,
            user,
            Kind.SALES_RETURN if name == "return" else Kind.PURCHASE_RETURN,
            [line(source_line.product, min(qty, source_line.quantity), source_line=source_line.pk)],
            party=source.party_id,
            warehouse=source.warehouse_id,
            return_of=source.pk,
            date=DAY,
        )
        # refused: more than is left to return, or a purchase return of goods sold
        with contextlib.suppress(ValidationError):
            post_document(doc, user=user)
    elif name == "transfer":
        _n, p, w, qty = op
        doc = draft(
            org,
            user,
            Kind.TRANSFER,
            [line(products[p], qty)],
            warehouse=warehouses[w].pk,
            to_warehouse=warehouses[1 - w].pk,
            date=DAY,
        )
        try:
            post_document(doc, user=user)
        except ValidationError:
            assert not products[p].allow_backorder
    elif name == "adjust":
        _n, p, w, qty = op
        doc = draft(
            org,
            user,
            Kind.ADJUSTMENT,
            [line(products[p], qty)],
            warehouse=warehouses[w].pk,
            date=DAY,
        )
        try:
            post_document(doc, user=user)
        except ValidationError:
            assert qty < 0
            assert not products[p].allow_backorder
    elif name == "reverse":
        docs = _posted_docs(org)
        if not docs:
            return
        target = docs[op[1] % len(docs)]
        # refused: goods already gone, or returns made against it
        with contextlib.suppress(ValidationError, PostingRefused):
            reverse_document(target, user=user, on=LATER)
    elif name == "repost":
        docs = _posted_docs(org)
        if not docs:
            return
        levels, balances = _levels(org), _balances(org)
        count = StockLedgerEntry.objects.filter(org=org).count()
        post_document(docs[op[1] % len(docs)], user=user)
        assert _levels(org) == levels
        assert _balances(org) == balances
        assert StockLedgerEntry.objects.filter(org=org).count() == count
    elif name == "post_and_reverse":
        _n, p, w, qty = op
        levels, balances = _non_zero(_levels(org)), _non_zero(_balances(org))
        doc = draft(
            org,
            user,
            Kind.PURCHASE_RECEIPT,
            [line(products[p], qty, unit_price="12.34", tax_rate="13")],
            party=world["supplier"].pk,
            warehouse=warehouses[w].pk,
            date=DAY,
        )
        post_document(doc, user=user)
        reversal = reverse_document(doc, user=user, on=LATER)
        assert _non_zero(_levels(org)) == levels
        assert _non_zero(_balances(org)) == balances
        # and reversing the reversal restores the receipt
        reverse_document(reversal, user=user, on=LATER)
        product = products[p]
        if product.is_stocked:
            key = (product.pk, warehouses[w].pk)
            assert _levels(org)[key] == levels.get(key, D("0")) + qty
        assert (
            _balances(org)[(world["supplier"].pk, PAYABLE)]
            == balances.get((world["supplier"].pk, PAYABLE), D("0")) + doc.total
        )


class _Rollback(Exception):
    pass


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operations, min_size=1, max_size=10))
def test_ledger_invariants_hold_for_any_sequence(world, ops):
    with scope(org=world["org"].pk):
        try:
            with transaction.atomic():
                for op in ops:
                    _run(world, op)
                    _check_invariants(world)
                raise _Rollback
        except _Rollback:
            pass
