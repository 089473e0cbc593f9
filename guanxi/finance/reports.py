"""Reads behind the receivables and payables pages: the ageing summary per party and a
party's statement (the ledger with a running balance). Narrowed to what the member may
see: parties they may see, and only with the view permission on money documents."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from guanxi.core.permissions import VIEW, MembershipLike, has_perm
from guanxi.finance.models import PartyLedgerEntry
from guanxi.finance.openitems import BOOKS, ZERO, AgeingRow, ageing_by_party, today
from guanxi.parties.models import CATEGORY_FIELD_BY_ROLE, Party, PartyCategory
from guanxi.parties.selectors import visible_parties

ROLE_OF_BOOK = {"receivable": "customer", "payable": "supplier"}
SORTS = ("name", "balance", "b0_30", "b31_60", "b61_90", "b90", "overdue")
COLUMNS = ("balance", "b0_30", "b31_60", "b61_90", "b90", "overdue")


@dataclass(frozen=True)
class SummaryFilters:
    as_of: datetime.date | None = None
    owner_id: int | None = None
    category_id: int | None = None
    query: str = ""
    sort: str = "-balance"


def book_parties(
    membership: MembershipLike | None, book: str, filters: SummaryFilters
) -> QuerySet[Party]:
    """The book's parties the member may see, narrowed by owner, category (with its
    sub-categories) and a name search. None at all without the view permission on money
    documents."""
    role = ROLE_OF_BOOK[book]
    if not has_perm(membership, VIEW, "money_document"):
        return Party.objects.none()
    qs = visible_parties(membership, role)
    if filters.owner_id:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.category_id:
        category = PartyCategory.objects.filter(pk=filters.category_id, tree=role).first()
        field = CATEGORY_FIELD_BY_ROLE[role]
        if category is None:
            return qs.none()
        qs = qs.filter(**{f"{field}__path__startswith": category.path})
    if filters.query:
        text = filters.query.strip()
        qs = qs.filter(Q(search_text__icontains=text.lower()) | Q(name__icontains=text))
    return qs


@dataclass
class Summary:
    rows: list[AgeingRow]
    totals: AgeingRow
    next_cursor: str | None
    count: int


def _sort_value(row: AgeingRow, key: str) -> Any:
    if key == "name":
        return (row.extra.get("name") or "").lower()
    return getattr(row, key)


def _encode(values: list[Any]) -> str:
    raw = json.dumps([str(v) if isinstance(v, Decimal) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> list[Any] | None:
    if not cursor or len(cursor) > 512:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        return None
    return values if isinstance(values, list) and len(values) == 2 else None


def ageing_summary(
    membership: MembershipLike | None,
    book: str,
    filters: SummaryFilters,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> Summary:
    """The parties of `book` with open items: balance, buckets, overdue; sorted, paged
    by a cursor of (sort value, party id); totals over all of them.

    Two queries: the grouped ageing over the open items, and the parties' names.
    """
    as_of = filters.as_of or today()
    parties = book_parties(membership, book, filters)
    spec = BOOKS[book]
    ledger = PartyLedgerEntry.objects.filter(party=OuterRef("pk"), book=spec.book)
    parties = parties.filter(Exists(ledger))
    ageing = ageing_by_party(book, as_of, parties=parties)
    rows = [r for r in ageing.values() if any(getattr(r, c) != ZERO for c in COLUMNS)]
    if rows:
        names = {
            p["pk"]: p
            for p in parties.filter(pk__in=[r.party_id for r in rows]).values(
                "pk", "name", "short_name", "owner__display_name", "owner__username"
            )
        }
        for row in rows:
            info: Any = names.get(row.party_id, {})
            row.extra = {
                "name": info.get("short_name") or info.get("name") or "",
                "full_name": info.get("name") or "",
                "owner": info.get("owner__display_name") or info.get("owner__username") or "",
            }
    totals = AgeingRow(party_id=0)
    for row in rows:
        totals.add({c: getattr(row, c) for c in COLUMNS})
    sort = filters.sort if filters.sort.lstrip("-") in SORTS else "-balance"
    key, descending = sort.lstrip("-"), sort.startswith("-")
    rows.sort(key=lambda r: (_sort_value(r, key), r.party_id), reverse=descending)
    after = _decode(cursor)
    if after is not None:
        value: Any = after[0] if key == "name" else Decimal(str(after[0]))
        marker = (value, int(after[1]))
        if descending:
            rows_after = [r for r in rows if (_sort_value(r, key), r.party_id) < marker]
        else:
            rows_after = [r for r in rows if (_sort_value(r, key), r.party_id) > marker]
    else:
        rows_after = rows
    page = rows_after[:limit]
    next_cursor = None
    if len(rows_after) > limit:
        last = page[-1]
        next_cursor = _encode([_sort_value(last, key), last.party_id])
    return Summary(rows=page, totals=totals, next_cursor=next_cursor, count=len(rows))


# --- a party's statement ----------------------------------------------------------------------

STATEMENT_ORDER: tuple[str, ...] = ("date", "id")


def statement_entries(
    party: Party,
    book: str,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[PartyLedgerEntry]:
    qs = PartyLedgerEntry.objects.filter(party=party, book=book).select_related(
        "stock_document", "money_document"
    )
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    return qs.order_by(*STATEMENT_ORDER)


def balance_before(
    party: Party,
    book: str,
    *,
    date_from: datetime.date | None,
    first: PartyLedgerEntry | None = None,
) -> Decimal:
    """The balance before a statement page: the sum of every entry before its first row
    (`first`), or, on an empty page, before `date_from`."""
    qs = PartyLedgerEntry.objects.filter(party=party, book=book)
    if first is not None:
        qs = qs.filter(Q(date__lt=first.date) | Q(date=first.date, pk__lt=first.pk))
    elif date_from is not None:
        qs = qs.filter(date__lt=date_from)
    else:
        return ZERO
    total = qs.aggregate(s=Sum("amount"))["s"]
    return ZERO if total is None else Decimal(total).quantize(Decimal("0.01"))


@dataclass
class StatementRow:
    entry: PartyLedgerEntry
    balance: Decimal
    label: Any
    number: str
    url: str

    @property
    def debit(self) -> Decimal | None:
        return self.entry.amount if self.entry.amount > 0 else None

    @property
    def credit(self) -> Decimal | None:
        return -self.entry.amount if self.entry.amount < 0 else None


def statement_rows(entries: list[PartyLedgerEntry], opening: Decimal) -> list[StatementRow]:
    """Attach the running balance and the source document's label and link to a page."""
    from guanxi.finance.openitems import _stock_url

    rows = []
    balance = opening
    for entry in entries:
        balance += entry.amount
        doc: Any
        money: Any
        if entry.stock_document_id:
            doc = entry.stock_document
            label: Any = doc.get_kind_display()
            if doc.reverses_id:
                label = f"{label} ↺"
            number, url = doc.number, _stock_url(doc.pk)
        elif entry.money_document_id:
            money = entry.money_document
            label = money.get_kind_display()
            if money.reverses_id:
                label = f"{label} ↺"
            number, url = money.number, money.get_absolute_url()
        else:
            label, number, url = "", "", ""
        rows.append(StatementRow(entry, balance, label, number, url))
    return rows
