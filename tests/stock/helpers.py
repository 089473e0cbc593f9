"""Helpers of the stock tests: parties, products, warehouses and documents written through
the services, the way the pages and the API write them."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django_scopes import scope, scopes_disabled

from guanxi.finance.models import PartyLedgerEntry
from guanxi.stock import services
from guanxi.stock.models import StockDocument, StockLedgerEntry, StockLevel, Warehouse
from guanxi.stock.posting import post_document
from tests.activities.factories import make_party
from tests.catalog.factories import make_product

Kind = StockDocument.Kind
_codes = itertools.count(1)
DAY = datetime.date(2026, 3, 2)


def make_customer(org, owner=None, name: str = "上海华联贸易有限公司", **data: Any):
    return make_party(org, owner, name=name, **data)


def make_supplier(org, owner=None, name: str = "广州供应链有限公司", **data: Any):
    data.setdefault("is_customer", False)
    data.setdefault("is_supplier", True)
    return make_party(org, owner, name=name, **data)


def make_warehouse(org, name: str = "华南仓", **fields: Any) -> Warehouse:
    with scopes_disabled():
        return Warehouse.objects.create(
            org=org, code=fields.pop("code", f"T{next(_codes):03d}"), name=name, **fields
        )


def stocked(org, **fields: Any):
    fields.setdefault("name", f"商品{next(_codes)}")
    fields.setdefault("cost_price", Decimal("100.00"))
    fields.setdefault("list_price", Decimal("150.00"))
    return make_product(org, **fields)


def line(product, quantity: Any = "1", **fields: Any) -> dict[str, Any]:
    return {"product": product.pk, "quantity": str(quantity), **fields}


def draft(org, user, kind: str, lines, **data: Any) -> StockDocument:
    data.setdefault("date", DAY)
    return services.create_draft(org=org, user=user, data={"kind": kind, **data}, lines=lines)


def posted(org, user, kind: str, lines, **data: Any) -> StockDocument:
    return post_document(draft(org, user, kind, lines, **data), user=user)


def receive(org, user, supplier, product, quantity: Any, price: Any = "100", **data: Any):
    return posted(
        org,
        user,
        Kind.PURCHASE_RECEIPT,
        [
            line(
                product,
                quantity,
                **{"unit_price": str(price), "tax_rate": "0", **data.pop("line", {})},
            )
        ],
        party=supplier.pk,
        **data,
    )


def deliver(org, user, customer, product, quantity: Any, price: Any = "150", **data: Any):
    return posted(
        org,
        user,
        Kind.SALES_DELIVERY,
        [
            line(
                product,
                quantity,
                **{"unit_price": str(price), "tax_rate": "0", **data.pop("line", {})},
            )
        ],
        party=customer.pk,
        **data,
    )


def level(org, product, warehouse=None) -> StockLevel | None:
    with scope(org=org.pk):
        warehouse = warehouse or services.ensure_default_warehouse(org)
        return StockLevel.objects.filter(product=product, warehouse=warehouse).first()


def on_hand(org, product, warehouse=None) -> Decimal:
    row = level(org, product, warehouse)
    return row.on_hand if row else Decimal("0")


def ledger_sum(org, product, warehouse=None) -> Decimal:
    with scope(org=org.pk):
        qs = StockLedgerEntry.objects.filter(product=product)
        if warehouse is not None:
            qs = qs.filter(warehouse=warehouse)
        return qs.aggregate(s=Sum("quantity"))["s"] or Decimal("0")


def balance(org, party, book: str = PartyLedgerEntry.Book.RECEIVABLE) -> Decimal:
    with scope(org=org.pk):
        total = PartyLedgerEntry.objects.filter(party=party, book=book).aggregate(s=Sum("amount"))[
            "s"
        ]
    return total if total is not None else Decimal("0.00")
