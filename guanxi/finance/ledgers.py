"""The query centre (查询中心, C10): the sales and purchase detail ledgers and price
history, every figure traceable to its source document line.

- **Sales detail ledger**: every line of every posted sales delivery and sales return
  (reversals included, so the totals are the net effect). Returns and reversals count
  negative. Cost is the line's quantity × the unit cost posting used; gross profit is
  net − cost.
- **Purchase detail ledger**: the same for purchase receipts and purchase returns.
- **Price history**: the prices a product was sold or bought at, on documents that still
  stand (not reversed), per customer or supplier.

Rows are the member's: only documents they may see (stock-document visibility).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Round

from guanxi.catalog.models import ProductCategory
from guanxi.core.permissions import MembershipLike, visible
from guanxi.finance.openitems import LATEST, alive_stock_q
from guanxi.stock.models import StockDocument, StockDocumentLine

SK = StockDocument.Kind
LEDGER_KINDS = {
    "sales": (SK.SALES_DELIVERY, SK.SALES_RETURN),
    "purchases": (SK.PURCHASE_RECEIPT, SK.PURCHASE_RETURN),
}
CREDIT_KINDS = (SK.SALES_RETURN, SK.PURCHASE_RETURN)
LEDGER_ORDER: tuple[str, ...] = ("-document__date", "-id")
POSTED = (StockDocument.Status.POSTED, StockDocument.Status.REVERSED)
AMOUNT = DecimalField(max_digits=18, decimal_places=2)
QTY = DecimalField(max_digits=18, decimal_places=3)
PRICE = DecimalField(max_digits=18, decimal_places=4)


@dataclass(frozen=True)
class LedgerFilters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    party_id: int | None = None
    product_id: int | None = None
    category_id: int | None = None
    owner_id: int | None = None
    party_query: str = ""
    product_query: str = ""


def _sign() -> Case:
    return Case(
        When(document__kind__in=CREDIT_KINDS, then=Value(-1)),
        default=Value(1),
    )


def visible_documents(membership: MembershipLike | None) -> QuerySet[StockDocument]:
    return visible(StockDocument.objects.all(), membership, "stock_document")


def ledger_lines(
    membership: MembershipLike | None, ledger: str, filters: LedgerFilters
) -> QuerySet[StockDocumentLine]:
    """Posted lines of the ledger's document kinds, signed, with cost and gross profit."""
    qs = StockDocumentLine.objects.filter(
        document__kind__in=LEDGER_KINDS[ledger],
        document__status__in=POSTED,
        document__in=visible_documents(membership).values("pk"),
    )
    if filters.date_from:
        qs = qs.filter(document__date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(document__date__lte=filters.date_to)
    if filters.party_id:
        qs = qs.filter(document__party_id=filters.party_id)
    if filters.product_id:
        qs = qs.filter(product_id=filters.product_id)
    if filters.owner_id:
        qs = qs.filter(document__owner_id=filters.owner_id)
    if filters.party_query:
        text = filters.party_query.strip()
        qs = qs.filter(
            Q(document__party__search_text__icontains=text.lower())
            | Q(document__party__name__icontains=text)
        )
    if filters.product_query:
        text = filters.product_query.strip()
        qs = qs.filter(
            Q(product__code__icontains=text)
            | Q(product__name__icontains=text)
            | Q(product__search_text__icontains=text.lower())
        )
    if filters.category_id:
        category = ProductCategory.objects.filter(pk=filters.category_id).first()
        if category is None:
            return qs.none()
        qs = qs.filter(product__category__path__startswith=category.path)
    sign = _sign()
    cost = Round(ExpressionWrapper(F("quantity") * F("unit_cost"), output_field=AMOUNT), 2)
    return (
        qs.select_related("document", "document__party", "product", "document__owner")
        .annotate(
            signed_quantity=ExpressionWrapper(sign * F("quantity"), output_field=QTY),
            signed_net=ExpressionWrapper(sign * F("net_amount"), output_field=AMOUNT),
            signed_tax=ExpressionWrapper(sign * F("tax_amount"), output_field=AMOUNT),
            signed_total=ExpressionWrapper(sign * F("total_amount"), output_field=AMOUNT),
            signed_cost=ExpressionWrapper(sign * cost, output_field=AMOUNT),
        )
        .annotate(
            gross_profit=ExpressionWrapper(F("signed_net") - F("signed_cost"), output_field=AMOUNT)
        )
    )


def ledger_totals(lines: QuerySet[StockDocumentLine]) -> dict[str, Decimal]:
    """Totals of the filtered ledger, in one aggregate query."""
    zero = Value(Decimal("0"), output_field=AMOUNT)
    # Aggregate names must differ from the annotations they sum.
    raw = lines.order_by().aggregate(
        t_quantity=Coalesce(Sum("signed_quantity"), Value(Decimal("0"), output_field=QTY)),
        t_net=Coalesce(Sum("signed_net"), zero),
        t_tax=Coalesce(Sum("signed_tax"), zero),
        t_total=Coalesce(Sum("signed_total"), zero),
        t_cost=Coalesce(Sum("signed_cost"), zero),
        t_gross_profit=Coalesce(Sum("gross_profit"), zero),
        t_count=Count("id"),
    )
    result: dict[str, Any] = {key[2:]: value for key, value in raw.items()}
    for key in ("net", "tax", "total", "cost", "gross_profit"):
        result[key] = Decimal(str(result[key])).quantize(Decimal("0.01"))
    result["quantity"] = Decimal(str(result["quantity"])).quantize(Decimal("0.001"))
    return result


# --- price history ------------------------------------------------------------------------

PRICE_KINDS = {"sales": SK.SALES_DELIVERY, "purchases": SK.PURCHASE_RECEIPT}


def price_lines(
    membership: MembershipLike | None,
    *,
    side: str | None = None,
    product_id: int | None = None,
    party_id: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[StockDocumentLine]:
    """Lines of standing deliveries and purchase receipts (not reversed), with the net
    unit price (after discount) each was sold or bought at."""
    kinds = [PRICE_KINDS[side]] if side in PRICE_KINDS else list(PRICE_KINDS.values())
    qs = StockDocumentLine.objects.filter(
        alive_stock_q(LATEST, "document__"),
        document__kind__in=kinds,
        document__in=visible_documents(membership).values("pk"),
        quantity__gt=0,
    )
    if product_id:
        qs = qs.filter(product_id=product_id)
    if party_id:
        qs = qs.filter(document__party_id=party_id)
    if date_from:
        qs = qs.filter(document__date__gte=date_from)
    if date_to:
        qs = qs.filter(document__date__lte=date_to)
    return qs.select_related("document", "document__party", "product").annotate(
        net_unit_price=ExpressionWrapper(
            Cast("net_amount", output_field=FloatField()) / F("quantity"), output_field=PRICE
        )
    )


def price_summary(lines: QuerySet[StockDocumentLine], group: str) -> list[dict[str, Any]]:
    """Per counterpart (`group` = "document__party" or "product"): how often, lowest,
    highest, average unit price and the latest date, in one grouped query."""
    fields = {
        "document__party": ("document__party_id", "document__party__name"),
        "product": ("product_id", "product__name"),
    }[group]
    rows = (
        lines.order_by()
        .values("document__kind", *fields)
        .annotate(
            times=Count("id"),
            total_quantity=Sum("quantity"),
            low=Min("net_unit_price"),
            high=Max("net_unit_price"),
            average=ExpressionWrapper(
                Cast(Sum("net_amount"), output_field=FloatField()) / Sum("quantity"),
                output_field=PRICE,
            ),
            last=Max("document__date"),
        )
        .order_by("document__kind", f"{fields[1]}")
    )
    result = []
    for row in rows:
        result.append(
            {
                "kind": row["document__kind"],
                "id": row[fields[0]],
                "name": row[fields[1]],
                "count": row["times"],
                "quantity": row["total_quantity"],
                "low": _price(row["low"]),
                "high": _price(row["high"]),
                "average": _price(row["average"]),
                "last": row["last"],
            }
        )
    return result


def _price(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))
