"""Open items and ageing of the receivable and payable books (C9), computed in SQL.

What is open (see docs/decisions.md, "Open items and ageing"):

- A posted **sales delivery** (purchase receipt, for payables) is open for its total less
  the allocations of posted receipts (payments) to it, less the advances paid on its
  order that it consumes (an order's advances settle its deliveries oldest first).
- A posted **sales return** (purchase return) is a negative open item for its total: it
  offsets what the party owes.
- The part of a posted **receipt** (payment) that is allocated to nothing is *on
  account*, a negative open item.
- The part of an **advance** (an allocation to a confirmed order) that the order's
  deliveries have not yet consumed is a negative open item dated on the order.

The open items of a party always add up to its ledger balance
(guanxi.finance.balances.party_balance). Everything is "as of" a day: only documents and
allocations dated on or before it count, and a document reversed on or before it counts
for nothing (its reversal cancels it).

Ageing buckets are by *days outstanding*: the days from the document's date to the
as-of day (0–30, 31–60, 61–90, over 90). The due date (StockDocument.due_date) is shown
beside it, and "overdue" is the part of the open amount whose due date has passed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    DateField,
    DecimalField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone

from guanxi.finance.models import Allocation, MoneyDocument, PartyLedgerEntry
from guanxi.sales.models import Order, PurchaseOrder
from guanxi.stock.models import StockDocument

ZERO = Decimal("0.00")
# "As of the end of time": the current state, whatever the documents' dates.
LATEST = datetime.date(9999, 12, 31)
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("b0_30", 0, 30),
    ("b31_60", 31, 60),
    ("b61_90", 61, 90),
    ("b90", 91, None),
)
MONEY_FIELD = DecimalField(max_digits=16, decimal_places=2)

SK = StockDocument.Kind
RECEIVABLE = PartyLedgerEntry.Book.RECEIVABLE
PAYABLE = PartyLedgerEntry.Book.PAYABLE


@dataclass(frozen=True)
class BookSpec:
    """Which documents make up one book."""

    book: str
    debit_kind: str  # the document that raises the balance (delivery, receipt of goods)
    credit_kind: str  # the return that lowers it
    money_kind: str  # receipt or payment
    order_model: Any  # Order or PurchaseOrder
    order_field: str  # the StockDocument / Allocation field naming the order
    order_party_field: str  # the order's party field
    order_open_statuses: tuple[str, ...]  # orders that take advances
    party_flag: str  # Party role flag of the book's parties


BOOKS: dict[str, BookSpec] = {
    RECEIVABLE: BookSpec(
        book=RECEIVABLE,
        debit_kind=SK.SALES_DELIVERY,
        credit_kind=SK.SALES_RETURN,
        money_kind=MoneyDocument.Kind.RECEIPT,
        order_model=Order,
        order_field="order",
        order_party_field="party",
        order_open_statuses=(Order.Status.CONFIRMED, Order.Status.COMPLETED),
        party_flag="is_customer",
    ),
    PAYABLE: BookSpec(
        book=PAYABLE,
        debit_kind=SK.PURCHASE_RECEIPT,
        credit_kind=SK.PURCHASE_RETURN,
        money_kind=MoneyDocument.Kind.PAYMENT,
        order_model=PurchaseOrder,
        order_field="purchase_order",
        order_party_field="supplier",
        order_open_statuses=(
            PurchaseOrder.Status.CONFIRMED,
            PurchaseOrder.Status.PARTIAL,
            PurchaseOrder.Status.RECEIVED,
        ),
        party_flag="is_supplier",
    ),
}
BOOK_OF_MONEY_KIND = {spec.money_kind: spec for spec in BOOKS.values()}


def book_spec(book: str) -> BookSpec:
    return BOOKS[book]


def today() -> datetime.date:
    return timezone.localdate()


def _sum(qs: QuerySet[Any], column: str, group: str) -> Subquery:
    """A correlated SUM(column) of `qs` (already filtered on OuterRef), NULL when empty."""
    return Subquery(
        qs.order_by().values(group).annotate(_s=PlainSum(column)).values("_s")[:1],
        output_field=MONEY_FIELD,
    )


def _zero() -> Value:
    return Value(ZERO, output_field=MONEY_FIELD)


# Django wraps every decimal expression in CAST(… AS NUMERIC) on SQLite. SQLite keeps
# decimals as numbers anyway, and the casts nest so deep that SQLite's parser gives up on
# the open-item statements; these expressions leave them out.


class _NoCast:
    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, **extra)  # type: ignore[attr-defined]


class Minus(_NoCast, Func):
    """a − b − c …"""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = MONEY_FIELD


class Plus(_NoCast, Func):
    arg_joiner = " + "
    template = "(%(expressions)s)"
    output_field = MONEY_FIELD


class Neg(_NoCast, Func):
    template = "(0 - %(expressions)s)"
    output_field = MONEY_FIELD


class OrZero(_NoCast, Func):
    """COALESCE(value, 0)."""

    function = "COALESCE"
    output_field = MONEY_FIELD

    def __init__(self, expression: Any) -> None:
        super().__init__(expression, _zero())


class Clamp(_NoCast, Func):
    """The value, but at least 0 and at most `high`: GREATEST(0, LEAST(value, high))."""

    output_field = MONEY_FIELD

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        outer, inner = ("MAX", "MIN") if connection.vendor == "sqlite" else ("GREATEST", "LEAST")
        return super().as_sql(
            compiler,
            connection,
            template=f"{outer}(0, {inner}(%(expressions)s))",
            **extra,
        )


class AtLeastZero(_NoCast, Func):
    output_field = MONEY_FIELD

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        function = "MAX" if connection.vendor == "sqlite" else "GREATEST"
        return super().as_sql(
            compiler, connection, template=f"{function}(0, %(expressions)s)", **extra
        )


class PlainCase(_NoCast, Case):
    pass


class PlainSum(_NoCast, Sum):
    pass


# --- what counts as of a day -------------------------------------------------------------


def _cancelled_stock_q(as_of: datetime.date, prefix: str = "") -> Q:
    """The stock documents (at `prefix`) cancelled by a reversal as of `as_of`.

    A reversal that still stands (posted, not itself reversed) and is dated by then
    cancels the document it reverses; a reversal of a reversal restores the original
    (the first reversal no longer stands, and the second reverses a reversal, not an
    original); a third reversal cancels it again (chains are followed three deep). The
    reversal is found through its `reverses` column, never through the
    `reversals` relation: that join would not use the `reverses` index, whose values
    are almost all NULL. One shallow subquery, so the open-item statements stay within
    SQLite's parser limits.

    Whether a reversal still stands is read from its status today, so a document
    reversed and restored again counts as standing throughout in a past "as of" view.
    """
    odd = Q(reverses__reverses__isnull=True) | Q(
        reverses__reverses__reverses__isnull=False,
        reverses__reverses__reverses__reverses__isnull=True,
    )
    standing = (
        StockDocument.objects.filter(
            odd, reverses__isnull=False, status=StockDocument.Status.POSTED, date__lte=as_of
        )
        .annotate(root=Coalesce("reverses__reverses__reverses_id", "reverses_id"))
        .values("root")
    )
    return Q(**{f"{prefix}pk__in": standing})


class NotReversal(Func):
    """True for a document that is not a reversal: COALESCE(reverses_id, 0) = 0.

    Written as an expression on purpose: as a plain `reverses_id IS NULL` SQLite (without
    statistics) would pick the (org, reverses) index for it and walk every document,
    instead of the index of the column that really narrows the rows.
    """

    template = "COALESCE(%(expressions)s, 0) = 0"
    output_field = BooleanField()


class Unindexed(Func):
    """The column's value, hidden from SQLite's index choice (`+column`): where an
    equality on it would lead SQLite (without statistics) to a worse index than the one
    the query really narrows by. PostgreSQL, which keeps statistics, gets the column."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra)


class HasValue(Func):
    template = "%(expressions)s IS NOT NULL"
    output_field = BooleanField()


def _alive_q(as_of: datetime.date, statuses: tuple[str, ...], prefix: str = "") -> Q:
    """Posted and dated by `as_of`, and not a reversal itself."""
    p = prefix
    return Q(NotReversal(F(f"{p}reverses_id"))) & Q(
        **{f"{p}status__in": statuses, f"{p}date__lte": as_of}
    )


_STOCK_STATUSES = (StockDocument.Status.POSTED, StockDocument.Status.REVERSED)
_MONEY_STATUSES = (MoneyDocument.Status.POSTED, MoneyDocument.Status.REVERSED)


def alive_stock_q(as_of: datetime.date, prefix: str = "") -> Q:
    """Stock documents that count as of `as_of` (see _cancelled_stock_q)."""
    p = prefix
    # Only a document reversed today can have been cancelled by a reversal: the look-up
    # of the reversals is needed for those rows alone.
    return (
        _alive_q(as_of, _STOCK_STATUSES, prefix)
        & Q(HasValue(Unindexed(F(f"{p}party_id"))))
        & (Q(**{f"{p}status": StockDocument.Status.POSTED}) | ~_cancelled_stock_q(as_of, prefix))
    )


def alive_money_q(as_of: datetime.date, prefix: str = "") -> Q:
    """Receipts and payments that count as of `as_of`: not reversed by then."""
    p = prefix
    return _alive_q(as_of, _MONEY_STATUSES, prefix) & (
        Q(**{f"{p}reversed_on__isnull": True}) | Q(**{f"{p}reversed_on__gt": as_of})
    )


def related_documents(as_of: datetime.date, kind: str) -> QuerySet[StockDocument]:
    """Alive documents of `kind` for a correlated subquery: in the organisation of the
    outer row, with the organisation and kind hidden from SQLite's index choice, so that
    the subquery's own link (`return_of`, `order` …) picks the index."""
    return StockDocument._base_manager.filter(
        Exact(Unindexed(F("org_id")), OuterRef("org_id")),
        Exact(Unindexed(F("kind")), kind),
        alive_stock_q(as_of),
    )


def alive_stock_documents(as_of: datetime.date) -> QuerySet[StockDocument]:
    """Posted documents dated by `as_of` and not reversed by then (reversals excluded)."""
    return StockDocument.objects.filter(alive_stock_q(as_of))


def alive_money_documents(as_of: datetime.date) -> QuerySet[MoneyDocument]:
    """Posted receipts and payments dated by `as_of` and not reversed by then."""
    return MoneyDocument.objects.filter(alive_money_q(as_of))


def live_allocations_q(as_of: datetime.date) -> Q:
    """Allocations that settle something as of `as_of`: made by then, of a money document
    alive then, to a document posted by then or to an order that is not cancelled.

    A reversed stock document has no allocations: posting deletes them when it reverses
    a document (and moves them to the correction when it corrects one), so a join on the
    document's status and date is all the check needed.
    """
    return (
        Q(date__lte=as_of)
        & alive_money_q(as_of, "money_document__")
        & (
            Q(stock_document__status__in=_STOCK_STATUSES, stock_document__date__lte=as_of)
            | (Q(order__isnull=False) & ~Q(order__status=Order.Status.CANCELLED))
            | (
                Q(purchase_order__isnull=False)
                & ~Q(purchase_order__status=PurchaseOrder.Status.CANCELLED)
            )
        )
    )


def live_allocations(as_of: datetime.date) -> QuerySet[Allocation]:
    return Allocation.objects.filter(live_allocations_q(as_of))


# --- the three kinds of open item ----------------------------------------------------------


def _earlier(prefix: str = "") -> Q:
    """Rows whose document (at `prefix`) comes before the outer document, by (date, id)."""
    return Q(**{f"{prefix}date__lt": OuterRef("date")}) | Q(
        **{f"{prefix}date": OuterRef("date"), f"{prefix}id__lt": OuterRef("pk")}
    )


def _due(live: QuerySet[Any], returns: QuerySet[Any]) -> Any:
    """A delivery's (purchase receipt's) due part, for the document at OuterRef("pk")
    of the surrounding query: its total less the allocations to it and the returns
    posted against it."""
    direct = OrZero(_sum(live.filter(stock_document=OuterRef("pk")), "amount", "stock_document"))
    returned = OrZero(_sum(returns.filter(return_of=OuterRef("pk")), "total", "return_of"))
    return Minus(F("total"), direct, returned)


def _sum_of_due(docs: QuerySet[Any], group: str, live: Any, returns: Any) -> Any:
    """SUM of the due parts of `docs` (already filtered on the outer row), or 0."""
    return OrZero(
        Subquery(
            docs.order_by()
            .annotate(_due=_due(live, returns))
            .values(group)
            .annotate(_s=PlainSum("_due"))
            .values("_s")[:1],
            output_field=MONEY_FIELD,
        )
    )


def document_items(spec: BookSpec, as_of: datetime.date) -> QuerySet[Any]:
    """The book's documents alive as of `as_of`, annotated with `open_amount` (signed).

    A delivery's due part is its total less the allocations to it and less the returns
    posted against it (`return_of`); its order's advances then settle the due parts of
    the order's deliveries oldest first. A return against a delivery is netted there; a
    return against nothing is a negative item of its own.
    """
    live = live_allocations(as_of)
    alive = alive_stock_documents(as_of)
    order_id = f"{spec.order_field}_id"
    returns = related_documents(as_of, spec.credit_kind)
    due = _due(live, returns)
    advance = OrZero(_sum(live.filter(**{order_id: OuterRef(order_id)}), "amount", order_id))
    earlier = related_documents(as_of, spec.debit_kind).filter(
        _earlier(), **{order_id: OuterRef(order_id)}
    )
    before = _sum_of_due(earlier, order_id, live, returns)
    applied = PlainCase(
        When(**{f"{order_id}__isnull": True}, then=_zero()),
        default=Clamp(Minus(advance, before), due),
        output_field=MONEY_FIELD,
    )
    return alive.filter(kind__in=(spec.debit_kind, spec.credit_kind)).annotate(
        open_amount=PlainCase(
            When(kind=spec.credit_kind, return_of__isnull=False, then=_zero()),
            When(kind=spec.credit_kind, then=Neg(F("total"))),
            default=Minus(due, applied),
            output_field=MONEY_FIELD,
        )
    )


def on_account_items(spec: BookSpec, as_of: datetime.date) -> QuerySet[Any]:
    """Receipts (payments) alive as of `as_of` with an unallocated part, as a negative
    `open_amount`."""
    allocated = OrZero(
        _sum(
            live_allocations(as_of).filter(money_document=OuterRef("pk")),
            "amount",
            "money_document",
        )
    )
    return (
        alive_money_documents(as_of)
        .filter(kind=spec.money_kind)
        .annotate(open_amount=Minus(allocated, F("amount")))
    )


def _order_sums(spec: BookSpec, as_of: datetime.date) -> tuple[Any, Any, Any]:
    """Per outer order: the advances paid on it, its deliveries' totals, and what was
    settled on those deliveries otherwise (allocated to them directly, or returned)."""
    live = live_allocations(as_of)
    order_id = f"{spec.order_field}_id"
    on_order = {order_id: OuterRef("pk")}
    returns = related_documents(as_of, spec.credit_kind)
    deliveries = related_documents(as_of, spec.debit_kind).filter(**on_order)
    advance = OrZero(_sum(live.filter(**on_order), "amount", order_id))
    delivered = OrZero(_sum(deliveries, "total", order_id))
    due = _sum_of_due(deliveries, order_id, live, returns)
    return advance, delivered, Minus(delivered, due)


def advance_items(spec: BookSpec, as_of: datetime.date) -> QuerySet[Any]:
    """Orders with advances their deliveries have not consumed yet, as a negative
    `open_amount` (dated on the order)."""
    order_id = f"{spec.order_field}_id"
    advance, delivered, settled = _order_sums(spec, as_of)
    has_advance = live_allocations(as_of).filter(**{order_id: OuterRef("pk")})
    return spec.order_model.all_objects.filter(Exists(has_advance)).annotate(
        open_amount=Neg(AtLeastZero(Minus(advance, Minus(delivered, settled))))
    )


# --- one party's open items -------------------------------------------------------------------


@dataclass
class OpenItem:
    """One open item, whatever it comes from."""

    source: str  # "document", "on_account" or "advance"
    kind: str
    kind_label: Any
    pk: int
    number: str
    date: datetime.date
    due_date: datetime.date | None
    total: Decimal
    open_amount: Decimal
    url: str
    as_of: datetime.date

    @property
    def days_outstanding(self) -> int:
        return (self.as_of - self.date).days

    @property
    def days_overdue(self) -> int:
        if self.due_date is None or self.open_amount <= 0:
            return 0
        return max(0, (self.as_of - self.due_date).days)

    @property
    def bucket(self) -> str:
        return bucket_of(self.days_outstanding)


def bucket_of(days: int) -> str:
    for key, low, high in BUCKETS:
        if days >= low and (high is None or days <= high):
            return key
    return BUCKETS[0][0]


def _order_url(spec: BookSpec, pk: int) -> str:
    from django.urls import NoReverseMatch, reverse

    name = "sales:order_detail" if spec.book == RECEIVABLE else "sales:purchase_order_detail"
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


def _stock_url(pk: int) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("stock:document_detail", args=[pk])
    except NoReverseMatch:
        return ""


def party_open_items(
    party_id: int, book: str, as_of: datetime.date | None = None
) -> list[OpenItem]:
    """The party's open items in `book` as of `as_of` (today), oldest first."""
    from django.urls import reverse

    spec = BOOKS[book]
    as_of = as_of or today()
    items: list[OpenItem] = []
    doc: Any
    money: Any
    for doc in document_items(spec, as_of).filter(party_id=party_id):
        items.append(
            OpenItem(
                "document",
                doc.kind,
                doc.get_kind_display(),
                doc.pk,
                doc.number,
                doc.date,
                doc.due_date,
                doc.total if doc.kind == spec.debit_kind else -doc.total,
                _decimal(doc.open_amount),
                _stock_url(doc.pk),
                as_of,
            )
        )
    for money in on_account_items(spec, as_of).filter(party_id=party_id):
        items.append(
            OpenItem(
                "on_account",
                money.kind,
                money.get_kind_display(),
                money.pk,
                money.number,
                money.date,
                None,
                -money.amount,
                _decimal(money.open_amount),
                reverse("finance:money_detail", args=[money.pk]),
                as_of,
            )
        )
    party_field = f"{spec.order_party_field}_id"
    for order in advance_items(spec, as_of).filter(**{party_field: party_id}):
        items.append(
            OpenItem(
                "advance",
                "advance",
                spec.order_model._meta.verbose_name,
                order.pk,
                order.number,
                order.date,
                None,
                order.total,
                _decimal(order.open_amount),
                _order_url(spec, order.pk),
                as_of,
            )
        )
    items = [item for item in items if item.open_amount != 0]
    items.sort(key=lambda item: (item.date, item.source, item.pk))
    return items


# --- ageing per party, in SQL ----------------------------------------------------------------


@dataclass
class AgeingRow:
    party_id: int
    balance: Decimal = ZERO
    b0_30: Decimal = ZERO
    b31_60: Decimal = ZERO
    b61_90: Decimal = ZERO
    b90: Decimal = ZERO
    overdue: Decimal = ZERO
    party: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, values: dict[str, Any]) -> None:
        for key in ("balance", "b0_30", "b31_60", "b61_90", "b90", "overdue"):
            self.__dict__[key] += values.get(key) or ZERO


def open_item_parts(
    book: str,
    as_of: datetime.date,
    *,
    parties: QuerySet[Any] | None = None,
) -> list[tuple[str, list[Any]]]:
    """SQL (and parameters) of the open items of `book` as of `as_of`, one statement per
    source (documents, on-account money, advances), each giving rows of
    (pid, d, due, amt): party, item date, due date, open amount."""
    spec = BOOKS[book]
    order_party = f"{spec.order_party_field}_id"
    docs = document_items(spec, as_of)
    money = on_account_items(spec, as_of)
    orders = advance_items(spec, as_of)
    if parties is not None:
        ids = parties.values("pk")
        docs = docs.filter(party_id__in=ids)
        money = money.filter(party_id__in=ids)
        orders = orders.filter(**{f"{order_party}__in": ids})
    no_due = Cast(Value(None), output_field=DateField())
    parts = [
        docs.order_by().values(
            pid=F("party_id"), d=F("date"), due=F("due_date"), amt=F("open_amount")
        ),
        money.order_by().values(pid=F("party_id"), d=F("date"), due=no_due, amt=F("open_amount")),
        orders.order_by().values(pid=F(order_party), d=F("date"), due=no_due, amt=F("open_amount")),
    ]
    return [part.query.get_compiler(using=part.db).as_sql() for part in parts]


def ageing_by_party(
    book: str,
    as_of: datetime.date | None = None,
    *,
    parties: QuerySet[Any] | None = None,
) -> dict[int, AgeingRow]:
    """Balance, ageing buckets and overdue amount of each party with open items.

    One grouped statement per source of open items (documents, money on account,
    advances), each computing every open amount once and summing it per party and
    bucket; the (at most three) rows of a party are added up. `parties` (a Party
    queryset) narrows them, e.g. to the parties a member may see.
    """
    from django.db import connection

    as_of = as_of or today()
    columns = ["balance"]
    sums = ["SUM(amt)"]
    bucket_params: list[Any] = []
    for key, low, high in BUCKETS:
        condition = "d <= %s"
        bucket_params.append(as_of - datetime.timedelta(days=low))
        if high is not None:
            condition += " AND d >= %s"
            bucket_params.append(as_of - datetime.timedelta(days=high))
        columns.append(key)
        sums.append(f"SUM(CASE WHEN {condition} THEN amt ELSE 0 END)")
    columns.append("overdue")
    sums.append("SUM(CASE WHEN due < %s AND amt > 0 THEN amt ELSE 0 END)")
    bucket_params.append(as_of)
    adapt = connection.ops.adapt_datefield_value
    # An optimisation fence: without it the database inlines the subquery and computes
    # each open amount once per SUM.
    fence = " LIMIT -1" if connection.vendor == "sqlite" else " OFFSET 0"
    rows: dict[int, AgeingRow] = {}
    with connection.cursor() as cursor:
        for items_sql, params in open_item_parts(book, as_of, parties=parties):
            # Only fixed SQL and the ORM's compiled SQL are joined; values are parameters.
            sql = f"SELECT pid, {', '.join(sums)} FROM ({items_sql}{fence}) AS items GROUP BY pid"  # noqa: S608
            cursor.execute(sql, [adapt(v) for v in bucket_params] + list(params))
            for pid, *values in cursor.fetchall():
                row = rows.setdefault(pid, AgeingRow(party_id=pid))
                row.add({k: _decimal(v) for k, v in zip(columns, values, strict=True)})
    return rows


def _decimal(value: Any) -> Decimal:
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(Decimal("0.01"))


def open_amount_of_document(document: StockDocument, as_of: datetime.date = LATEST) -> Decimal:
    """What is still open on one delivery or purchase receipt (0 when settled or dead)."""
    book = RECEIVABLE if document.kind in (SK.SALES_DELIVERY, SK.SALES_RETURN) else PAYABLE
    spec = BOOKS[book]
    items: Any = document_items(spec, as_of).filter(pk=document.pk)
    found = items.values_list("open_amount", flat=True)
    return _decimal(next(iter(found), ZERO))


def open_orders(spec: BookSpec, as_of: datetime.date = LATEST) -> QuerySet[Any]:
    """Confirmed orders (purchase orders) annotated with `advance_open`: how much more
    may be paid on them in advance (the total less advances, less what was paid directly
    on their deliveries and less what was returned)."""
    advance, _delivered, settled = _order_sums(spec, as_of)
    return spec.order_model.objects.filter(status__in=spec.order_open_statuses).annotate(
        advance_paid=advance, advance_open=Minus(F("total"), advance, settled)
    )


@dataclass
class Candidate:
    """A document or order a receipt (payment) of the party may be allocated to."""

    key: str  # "stock_document-12", "order-3", "purchase_order-4"
    target: str
    pk: int
    number: str
    label: Any
    date: datetime.date
    due_date: datetime.date | None
    total: Decimal
    open_amount: Decimal
    url: str
    is_advance: bool
    amount: Decimal | None = None  # what the form allocates to it
    error: str = ""


def allocation_candidates(spec: BookSpec, party_id: int) -> list[Candidate]:
    """The party's open deliveries (purchase receipts), oldest first, then its orders
    that may take an advance. Drafts do not count: their allocations settle nothing yet."""
    result = []
    docs: Any = (
        document_items(spec, LATEST)
        .filter(party_id=party_id, kind=spec.debit_kind)
        .order_by("date", "id")
    )
    doc: Any
    for doc in docs:
        if doc.open_amount <= 0:
            continue
        result.append(
            Candidate(
                f"stock_document-{doc.pk}",
                "stock_document",
                doc.pk,
                doc.number,
                doc.get_kind_display(),
                doc.date,
                doc.due_date,
                doc.total,
                _decimal(doc.open_amount),
                _stock_url(doc.pk),
                False,
            )
        )
    orders = (
        open_orders(spec)
        .filter(**{f"{spec.order_party_field}_id": party_id})
        .order_by("date", "id")
    )
    for order in orders:
        if order.advance_open <= 0:
            continue
        result.append(
            Candidate(
                f"{spec.order_field}-{order.pk}",
                spec.order_field,
                order.pk,
                order.number,
                spec.order_model._meta.verbose_name,
                order.date,
                None,
                order.total,
                _decimal(order.advance_open),
                _order_url(spec, order.pk),
                True,
            )
        )
    return result
