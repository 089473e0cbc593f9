"""Rows for the finance tests: customers, suppliers, products, posted stock documents
and their party-ledger entries, and receipts/payments through the finance services.

Stock documents are drafted and posted by the stock app's own services
(guanxi.stock.services.create_draft, guanxi.stock.posting.post_document /
reverse_document), so these tests see exactly the party ledger that posting writes.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from itertools import count
from typing import Any

from django.utils import timezone
from django_scopes import scope

from guanxi.catalog.models import Product
from guanxi.finance.services import create_money_document, post_money_document
from guanxi.parties.services import create_party
from guanxi.sales.models import Order, PurchaseOrder
from guanxi.stock.models import StockDocument, Warehouse

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
    data.setdefault("allow_backorder", True)
    with scope(org=org.pk):
        return Product.objects.create(
            org=org, code=code or f"P{next(_numbers):05d}", name=name, **data
        )


def warehouse_of(org) -> Warehouse:
    from guanxi.stock.services import ensure_default_warehouse

    return ensure_default_warehouse(org)


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
    """A stock document of one line for `total` (tax-free unless `tax_rate`), posted by
    the stock posting service. A new product (backorders allowed, standard cost
    `unit_cost`) is made unless one is given."""
    from guanxi.stock.posting import post_document
    from guanxi.stock.services import create_draft

    date = date or timezone.localdate()
    qty = Decimal(str(quantity))
    product = product or make_product(org, allow_backorder=True, cost_price=Decimal(str(unit_cost)))
    data = {
        "kind": kind,
        "date": date,
        "party": party,
        "warehouse": warehouse_of(org),
        "order": order,
        "purchase_order": purchase_order,
        "return_of": return_of,
        "due_date": due_date,
    }
    line = {
        "product": product,
        "quantity": qty,
        "unit_price": D(Decimal(str(total)) / qty),
        "tax_rate": Decimal(str(tax_rate)),
    }
    doc = create_draft(
        org=org, user=owner, data={k: v for k, v in data.items() if v is not None}, lines=[line]
    )
    return post_document(doc, user=owner)


def reverse_stock(doc: StockDocument, date: datetime.date | None = None) -> StockDocument:
    """Reverse a posted stock document through the posting service."""
    from guanxi.stock.posting import reverse_document

    return reverse_document(doc, user=None, on=date or timezone.localdate())


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
