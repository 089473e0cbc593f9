"""Reads of receipts and payments, narrowed by the permission service (rule 2).

A member sees the money documents their role lets them view (own / team / organisation,
by the document's owner) and only of customers and suppliers they may see.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from guanxi.core.permissions import MembershipLike, visible
from guanxi.finance.models import Allocation, MoneyDocument
from guanxi.finance.openitems import BOOK_OF_MONEY_KIND
from guanxi.parties.models import Party
from guanxi.parties.selectors import visible_parties

MONEY_ORDER: tuple[str, ...] = ("-date", "-id")


def parties_of_kind(membership: MembershipLike | None, kind: str) -> QuerySet[Party]:
    """The customers (for receipts) or suppliers (for payments) the member may see."""
    role = "customer" if kind == MoneyDocument.Kind.RECEIPT else "supplier"
    return visible_parties(membership, role)


def visible_money_documents(membership: MembershipLike | None) -> QuerySet[MoneyDocument]:
    """Receipts and payments the member may see, of parties they may see."""
    qs = visible(MoneyDocument.objects.all(), membership, "money_document")
    return qs.filter(party__in=visible_parties(membership, None).values("pk")).select_related(
        "party", "owner", "reverses"
    )


def get_money_document_for_user(membership: MembershipLike | None, pk: Any) -> MoneyDocument:
    """The visible money document `pk` with its allocations; Http404 otherwise."""
    allocations = Allocation.objects.select_related(
        "stock_document", "order", "purchase_order"
    ).order_by("id")
    try:
        return (
            visible_money_documents(membership)
            .prefetch_related(Prefetch("allocations", queryset=allocations))
            .get(pk=pk)
        )
    except (MoneyDocument.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


@dataclass(frozen=True)
class MoneyFilters:
    kind: str | None = None
    status: str | None = None
    party_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    query: str = ""


def filtered_money_documents(
    membership: MembershipLike | None, filters: MoneyFilters
) -> QuerySet[MoneyDocument]:
    qs = visible_money_documents(membership)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.party_id:
        qs = qs.filter(party_id=filters.party_id)
    if filters.date_from:
        qs = qs.filter(date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(date__lte=filters.date_to)
    if filters.query:
        qs = qs.filter(number__icontains=filters.query) | qs.filter(
            reference__icontains=filters.query
        )
    return qs.order_by(*MONEY_ORDER)


def book_of(document: MoneyDocument) -> str:
    return BOOK_OF_MONEY_KIND[document.kind].book


def allocation_rows(document: MoneyDocument) -> list[dict[str, Any]]:
    """The document's allocations with their target's number, label and link."""
    from guanxi.finance.openitems import _order_url, _stock_url

    spec = BOOK_OF_MONEY_KIND[document.kind]
    rows = []
    target: Any
    for allocation in document.allocations.all():
        if allocation.stock_document_id:
            target = allocation.stock_document
            label: Any = target.get_kind_display()
            url = _stock_url(target.pk)
            key = f"stock_document-{target.pk}"
        else:
            target = allocation.order or allocation.purchase_order
            label = spec.order_model._meta.verbose_name
            url = _order_url(spec, target.pk)
            key = f"{spec.order_field}-{target.pk}"
        rows.append(
            {
                "allocation": allocation,
                "target": target,
                "key": key,
                "label": label,
                "url": url,
                "is_advance": not allocation.stock_document_id,
            }
        )
    return rows
