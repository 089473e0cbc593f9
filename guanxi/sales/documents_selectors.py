"""Reads of quotes, orders and purchase orders, narrowed by the permission service.

Lists sort by a whitelisted key and page by keyset (ARCHITECTURE rule 7); the list
queries select their customer and owner in the same query, so a page costs the same
number of queries whatever its length.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.urls import NoReverseMatch, reverse

from guanxi.core.permissions import MembershipLike, get_visible_or_404, visible
from guanxi.sales.models import (
    Order,
    OrderLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Quote,
    QuoteLine,
)

# Sort keys a list accepts, and the keyset ordering each means (the last column is unique).
QUOTE_SORTS: dict[str, tuple[str, ...]] = {
    "number": ("number", "id"),
    "-number": ("-number", "-id"),
    "date": ("date", "id"),
    "-date": ("-date", "-id"),
    "customer": ("party__short_name", "id"),
    "-customer": ("-party__short_name", "-id"),
    "total": ("total", "id"),
    "-total": ("-total", "-id"),
    "status": ("status", "id"),
    "-status": ("-status", "-id"),
}
ORDER_SORTS = {
    **QUOTE_SORTS,
    "delivery_date": ("delivery_date", "id"),
    "-delivery_date": ("-delivery_date", "-id"),
}
PURCHASE_ORDER_SORTS: dict[str, tuple[str, ...]] = {
    **{k: v for k, v in QUOTE_SORTS.items() if "customer" not in k},
    "supplier": ("supplier__short_name", "id"),
    "-supplier": ("-supplier__short_name", "-id"),
    "expected_date": ("expected_date", "id"),
    "-expected_date": ("-expected_date", "-id"),
}
DEFAULT_SORT = "-date"


@dataclass(frozen=True)
class DocumentFilters:
    """What a list is narrowed to (the web filter form and the API's query parameters)."""

    q: str = ""
    status: str = ""
    party: int | None = None
    kind: str = ""  # orders: order / preorder
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    mine: bool = False


def ordering_for(sorts: Mapping[str, tuple[str, ...]], sort: str | None) -> tuple[str, ...]:
    """The keyset ordering of `sort` (the default when it is not one of `sorts`)."""
    return sorts.get(sort or "", sorts[DEFAULT_SORT])


def _filter(qs: QuerySet[Any], filters: DocumentFilters, party_field: str, membership: Any) -> Any:
    if filters.q:
        text = filters.q.strip()
        qs = qs.filter(
            Q(number__icontains=text)
            | Q(**{f"{party_field}__search_text__icontains": text.lower()})
            | Q(**{f"{party_field}__name__icontains": text})
        )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.party:
        qs = qs.filter(**{f"{party_field}_id": filters.party})
    if filters.date_from:
        qs = qs.filter(date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(date__lte=filters.date_to)
    if filters.mine and membership is not None:
        qs = qs.filter(owner_id=membership.user_id)
    return qs


# --- quotes ------------------------------------------------------------------------------


def visible_quotes(membership: MembershipLike | None) -> QuerySet[Quote]:
    return visible(Quote.objects.select_related("party", "owner"), membership, "quote")


def quote_list(
    membership: MembershipLike | None, filters: DocumentFilters | None = None
) -> QuerySet[Quote]:
    return _filter(visible_quotes(membership), filters or DocumentFilters(), "party", membership)


def get_quote_for_user(membership: MembershipLike | None, pk: Any) -> Quote:
    """The visible quote `pk` with its customer, contact and lines; Http404 otherwise."""
    qs = Quote.objects.select_related("party", "contact", "owner", "opportunity").prefetch_related(
        Prefetch("lines", queryset=QuoteLine.objects.select_related("product"))
    )
    return get_visible_or_404(qs, membership, "quote", pk=pk)


# --- orders ------------------------------------------------------------------------------


def visible_orders(membership: MembershipLike | None) -> QuerySet[Order]:
    return visible(Order.objects.select_related("party", "owner"), membership, "order")


def order_list(
    membership: MembershipLike | None, filters: DocumentFilters | None = None
) -> QuerySet[Order]:
    filters = filters or DocumentFilters()
    qs = _filter(visible_orders(membership), filters, "party", membership)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs


def get_order_for_user(membership: MembershipLike | None, pk: Any) -> Order:
    qs = Order.objects.select_related(
        "party", "contact", "owner", "quote", "opportunity", "warehouse", "split_from"
    ).prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("product")))
    return get_visible_or_404(qs, membership, "order", pk=pk)


def split_orders_of(membership: MembershipLike | None, order: Order) -> list[Order]:
    """The visible orders split off `order`."""
    return list(visible_orders(membership).filter(split_from=order).order_by("id"))


def orders_of_quote(membership: MembershipLike | None, quote: Quote) -> list[Order]:
    return list(visible_orders(membership).filter(quote=quote).order_by("id"))


def stock_documents_of(order: Order | PurchaseOrder) -> list[Any]:
    """The stock documents (deliveries, returns, receipts) against an order."""
    from guanxi.stock.models import StockDocument

    field = "order" if isinstance(order, Order) else "purchase_order"
    return list(StockDocument.objects.filter(**{field: order}).order_by("date", "id")[:100])


# --- purchase orders ---------------------------------------------------------------------


def visible_purchase_orders(membership: MembershipLike | None) -> QuerySet[PurchaseOrder]:
    return visible(
        PurchaseOrder.objects.select_related("supplier", "owner", "warehouse"),
        membership,
        "purchase_order",
    )


def purchase_order_list(
    membership: MembershipLike | None, filters: DocumentFilters | None = None
) -> QuerySet[PurchaseOrder]:
    return _filter(
        visible_purchase_orders(membership), filters or DocumentFilters(), "supplier", membership
    )


def get_purchase_order_for_user(membership: MembershipLike | None, pk: Any) -> PurchaseOrder:
    qs = PurchaseOrder.objects.select_related("supplier", "owner", "warehouse").prefetch_related(
        Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("product"))
    )
    return get_visible_or_404(qs, membership, "purchase_order", pk=pk)


# --- the 360° page -----------------------------------------------------------------------


def party_quotes(membership: MembershipLike | None, party: Any) -> QuerySet[Quote]:
    return visible_quotes(membership).filter(party=party).order_by("-date", "-id")


def party_orders(membership: MembershipLike | None, party: Any) -> QuerySet[Order]:
    return visible_orders(membership).filter(party=party).order_by("-date", "-id")


def party_purchase_orders(membership: MembershipLike | None, party: Any) -> QuerySet[PurchaseOrder]:
    return visible_purchase_orders(membership).filter(supplier=party).order_by("-date", "-id")


# --- links into the stock app ------------------------------------------------------------


def optional_url(name: str, *args: Any) -> str | None:
    """The URL of `name`, or None while the app that serves it does not have it."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None
