"""Rows for the finance tests: customers, suppliers, products, posted stock documents
and their party-ledger entries, and receipts/payments through the finance services.

Stock documents are posted by `post_stock` below: a minimal stand-in that writes what
stock posting writes into the party ledger (+total for a delivery or purchase receipt,
−total for a return), so the finance rules can be tested on their own.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from itertools import count
from typing import Any

from django.utils import timezone
from django_scopes import scope

from guanxi.catalog.models import Product
from guanxi.finance.models import PartyLedgerEntry
from guanxi.finance.services import create_money_document, post_money_document
from guanxi.parties.services import create_party
from guanxi.sales.models import Order, PurchaseOrder
from guanxi.stock.models import StockDocument, StockDocumentLine, Warehouse

SK = StockDocument.Kind
_numbers = count(1)
BOOK_OF = {
    SK.SALES_DELIVERY: ("receivable", 1),
    SK.SALES_RETURN: ("receivable", -1),
    SK.PURCHASE_RECEIPT: ("payable", 1),
    SK.PURCHASE_RETURN: ("payable", -1),
}


def D(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def make_customer(org, name: str = "上海华联贸易有限公司", owner=None, **data: Any):
    data.setdefault("name", name)
    if owner is not None:
        data.setdefault("owner", owner)
    return create_party(org=org, actor=owner, data=data)


def make_supplier(org, name: str = "苏州精工机械厂", owner=None, **data: Any):
    data.setdefault("is_customer", False)
    data.setdefault("is_supplier", True)
    return make_customer(org, name, owner, **data)


def make_product(org, code: str | None = None, name: str = "不锈钢阀门", **data: Any) -> Product:
    with scope(org=org.pk):
        return Product.objects.create(
            org=org, code=code or f"P{next(_numbers):05d}", name=name, **data
        )


def warehouse_of(org) -> Warehouse:
    with scope(org=org.pk):
        found = Warehouse.objects.filter(org=org).first()
        return found or Warehouse.objects.create(org=org, code="WH1", name="主仓库")


def post_stock(
    org,
    party,
    total: Any,
    *,
    kind: str = SK.SALES_DELIVERY,
    date: datetime.date | None = None,
    due_date: datetime.date | None = None,
    order=None,
    purchase_order=None,
    product=None,
    quantity: Any = 1,
    unit_cost: Any = 0,
    owner=None,
    tax_rate: Any = 0,
    return_of=None,
) -> StockDocument:
    """A posted stock document of one line, and its party-ledger entry."""
    date = date or timezone.localdate()
    total = D(total)
    with scope(org=org.pk):
        product = product or make_product(org)
        qty = Decimal(str(quantity))
        doc = StockDocument.objects.create(
            org=org,
            number=f"{kind[:2].upper()}-{next(_numbers):06d}",
            kind=kind,
            status=StockDocument.Status.POSTED,
            date=date,
            due_date=due_date,
            party=party,
            warehouse=warehouse_of(org),
            order=order,
            purchase_order=purchase_order,
            return_of=return_of,
            owner=owner,
            subtotal=total,
            total=total,
            posted_at=timezone.now(),
        )
        StockDocumentLine.objects.create(
            org=org,
            document=doc,
            product=product,
            quantity=qty,
            unit_price=D(total / qty) if qty else total,
            tax_rate=Decimal(str(tax_rate)),
            net_amount=total,
            total_amount=total,
            unit_cost=Decimal(str(unit_cost)),
        )
        book, sign = BOOK_OF[kind]
        PartyLedgerEntry.objects.create(
            org=org,
            party=party,
            book=book,
            date=date,
            due_date=due_date,
            amount=sign * total,
            stock_document=doc,
        )
    return doc


def reverse_stock(doc: StockDocument, date: datetime.date | None = None) -> StockDocument:
    """Reverse a posted stock document the way stock posting does."""
    date = date or timezone.localdate()
    with scope(org=doc.org_id):
        reversal = StockDocument.objects.create(
            org_id=doc.org_id,
            number=f"RV-{next(_numbers):06d}",
            kind=doc.kind,
            status=StockDocument.Status.POSTED,
            date=date,
            party=doc.party,
            warehouse=doc.warehouse,
            order=doc.order,
            reverses=doc,
            total=-doc.total,
            posted_at=timezone.now(),
        )
        book, sign = BOOK_OF[doc.kind]
        PartyLedgerEntry.objects.create(
            org_id=doc.org_id,
            party=doc.party,
            book=book,
            date=date,
            amount=sign * reversal.total,
            stock_document=reversal,
        )
        doc.status = StockDocument.Status.REVERSED
        doc.save(update_fields=["status"])
    return reversal


def make_order(org, party, total: Any, *, status=Order.Status.CONFIRMED, date=None) -> Order:
    with scope(org=org.pk):
        return Order.objects.create(
            org=org,
            number=f"SO-{next(_numbers):06d}",
            date=date or timezone.localdate(),
            party=party,
            status=status,
            total=D(total),
            subtotal=D(total),
        )


def make_purchase_order(org, supplier, total: Any, *, status=PurchaseOrder.Status.CONFIRMED):
    with scope(org=org.pk):
        return PurchaseOrder.objects.create(
            org=org,
            number=f"PO-{next(_numbers):06d}",
            date=timezone.localdate(),
            supplier=supplier,
            status=status,
            total=D(total),
            subtotal=D(total),
        )


def receipt(
    org,
    party,
    amount: Any,
    *,
    allocations: list[tuple[Any, Any]] = (),
    date: datetime.date | None = None,
    post: bool = True,
    actor=None,
    kind: str = "receipt",
):
    """A receipt (or payment) allocated to [(document or order, amount), …]."""
    rows = []
    for target, value in allocations:
        if isinstance(target, StockDocument):
            rows.append({"stock_document": target.pk, "amount": value})
        elif isinstance(target, Order):
            rows.append({"order": target.pk, "amount": value})
        else:
            rows.append({"purchase_order": target.pk, "amount": value})
    doc = create_money_document(
        org=org,
        actor=actor,
        data={
            "kind": kind,
            "party": party,
            "date": date or timezone.localdate(),
            "amount": amount,
            "method": "bank",
        },
        allocations=rows,
    )
    if post:
        doc = post_money_document(document=doc, actor=actor)
    return doc


def payment(org, party, amount: Any, **kwargs: Any):
    return receipt(org, party, amount, kind="payment", **kwargs)
