"""Reads of the stock app, narrowed by the permission service (rule 2): documents, stock on
hand, the stock ledger, serial-numbered units and their history, reorder suggestions.

Pages, the API and other apps' panels call these, so every list filters and sorts the
same way (and each has an index that matches it).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.functional import Promise

from guanxi.api.pagination import InvalidCursor, KeysetPagination
from guanxi.catalog.models import Product, ProductCategory
from guanxi.core.permissions import MembershipLike, get_visible_or_404, visible
from guanxi.sales.models import PurchaseOrder, PurchaseOrderLine
from guanxi.stock.models import (
    SerialMovement,
    SerialUnit,
    StockDocument,
    StockLedgerEntry,
    StockLevel,
    Warehouse,
)

DOCUMENT = "stock_document"
ZERO = Decimal("0")
QTY = DecimalField(max_digits=14, decimal_places=3)
VALUE = DecimalField(max_digits=24, decimal_places=2)

DOCUMENT_ORDER = ("-date", "-id")
LEVEL_ORDER = ("product__code", "warehouse__code", "id")
LEDGER_ORDER = ("-date", "-id")
SERIAL_ORDER = ("serial", "id")
REORDER_ORDER = ("code", "id")
WAREHOUSE_ORDER = ("code", "id")


# --- keyset pages for the pages (the API pages through @paginate_keyset) ----------------


@dataclass
class KeysetPage:
    items: list[Any]
    next_cursor: str | None

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def keyset_page(
    qs: QuerySet[Any], ordering: Sequence[str], cursor: str | None, limit: int
) -> KeysetPage:
    """`limit` rows of `qs` in `ordering` after `cursor`; a bad cursor starts again."""
    paginator = KeysetPagination(ordering=ordering)
    try:
        result = paginator.paginate_queryset(
            qs,
            paginator.Input(cursor=cursor or None, limit=limit),
            request=None,  # type: ignore[arg-type]
        )
    except InvalidCursor:
        result = paginator.paginate_queryset(
            qs,
            paginator.Input(cursor=None, limit=limit),
            request=None,  # type: ignore[arg-type]
        )
    return KeysetPage(items=result["items"], next_cursor=result["next_cursor"])


# --- warehouses -------------------------------------------------------------------------


def warehouses(org_id: int, *, active_only: bool = False) -> QuerySet[Warehouse]:
    qs = Warehouse.objects.filter(org_id=org_id)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by(*WAREHOUSE_ORDER)


def get_warehouse(org_id: int, pk: Any) -> Warehouse:
    from django.http import Http404

    try:
        return Warehouse.objects.filter(org_id=org_id).get(pk=pk)
    except (Warehouse.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# --- documents --------------------------------------------------------------------------


@dataclass
class DocumentFilters:
    kind: str | None = None
    status: str | None = None
    q: str = ""
    party_id: int | None = None
    warehouse_id: int | None = None
    order_id: int | None = None
    purchase_order_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def visible_documents(membership: MembershipLike | None) -> QuerySet[StockDocument]:
    return visible(StockDocument.objects.all(), membership, DOCUMENT)


def filtered_documents(
    membership: MembershipLike | None, filters: DocumentFilters | None = None
) -> QuerySet[StockDocument]:
    """The visible documents matching `filters`, with what a list row shows."""
    f = filters or DocumentFilters()
    qs = visible_documents(membership).select_related(
        "party", "warehouse", "to_warehouse", "owner", "order", "purchase_order"
    )
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.party_id:
        qs = qs.filter(party_id=f.party_id)
    if f.warehouse_id:
        qs = qs.filter(Q(warehouse_id=f.warehouse_id) | Q(to_warehouse_id=f.warehouse_id))
    if f.order_id:
        qs = qs.filter(order_id=f.order_id)
    if f.purchase_order_id:
        qs = qs.filter(purchase_order_id=f.purchase_order_id)
    if f.date_from:
        qs = qs.filter(date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(date__lte=f.date_to)
    q = (f.q or "").strip()
    if q:
        qs = qs.filter(
            Q(number__icontains=q)
            | Q(party__name__icontains=q)
            | Q(party__search_text__icontains=q.lower())
            | Q(notes__icontains=q)
        )
    return qs


def get_document_for_user(membership: MembershipLike | None, pk: Any) -> StockDocument:
    """The visible document `pk` with its header relations; Http404 otherwise."""
    qs = StockDocument.objects.select_related(
        "party",
        "warehouse",
        "to_warehouse",
        "owner",
        "posted_by",
        "order",
        "purchase_order",
        "return_of",
        "reverses",
        "corrects",
    )
    return get_visible_or_404(qs, membership, DOCUMENT, pk=pk)


def document_lines(document: StockDocument) -> list[Any]:
    return list(
        document.lines.select_related("product", "order_line", "source_line").order_by(
            "position", "id"
        )
    )


@dataclass(frozen=True)
class ChainLink:
    document: StockDocument
    relation: str  # "original", "reversal", "correction", "return"
    visible: bool


def document_chain(membership: MembershipLike | None, document: StockDocument) -> list[ChainLink]:
    """The document's family: the first original, every reversal and correction made of
    it (and of those), and the returns made against them, oldest first.

    Rows the member may not see are marked, so a page can show they exist without
    naming them (their number is not shown).
    """
    root = document
    seen = {root.pk}
    # Walk up to the first original (a reversal's original, a correction's original).
    while True:
        parent_id = root.reverses_id or root.corrects_id
        if parent_id is None or parent_id in seen:
            break
        root = StockDocument.objects.get(pk=parent_id)
        seen.add(root.pk)
    family = {root.pk: root}
    frontier = [root.pk]
    while frontier:
        children = list(
            StockDocument.objects.filter(
                Q(reverses_id__in=frontier) | Q(corrects_id__in=frontier)
            ).exclude(pk__in=list(family))
        )
        frontier = [child.pk for child in children]
        family.update({child.pk: child for child in children})
    visible_ids = set(
        visible_documents(membership).filter(pk__in=list(family)).values_list("pk", flat=True)
    )
    links = []
    for doc in sorted(family.values(), key=lambda d: d.pk):
        if doc.reverses_id:
            relation = "reversal"
        elif doc.corrects_id:
            relation = "correction"
        else:
            relation = "original"
        links.append(ChainLink(doc, relation, doc.pk in visible_ids))
    return links


def returns_of(membership: MembershipLike | None, document: StockDocument) -> list[StockDocument]:
    return list(visible_documents(membership).filter(return_of=document).order_by("id"))


# --- stock on hand ------------------------------------------------------------------------


@dataclass
class LevelFilters:
    warehouse_id: int | None = None
    category: ProductCategory | None = None
    product_id: int | None = None
    q: str = ""
    nonzero: bool = True


def _category_q(category: ProductCategory, prefix: str = "") -> Q:
    return Q(**{f"{prefix}category__path__startswith": category.path})


def stock_levels(org_id: int, filters: LevelFilters | None = None) -> QuerySet[StockLevel]:
    """Stock levels (product × warehouse) with on hand, reserved, available and value."""
    f = filters or LevelFilters()
    qs = (
        StockLevel.objects.filter(org_id=org_id)
        .select_related("product", "warehouse", "product__category")
        .annotate(
            available=ExpressionWrapper(F("on_hand") - F("reserved"), output_field=QTY),
            stock_value=ExpressionWrapper(F("on_hand") * F("average_cost"), output_field=VALUE),
        )
    )
    if f.nonzero:
        qs = qs.filter(~Q(on_hand=0) | ~Q(reserved=0))
    if f.warehouse_id:
        qs = qs.filter(warehouse_id=f.warehouse_id)
    if f.product_id:
        qs = qs.filter(product_id=f.product_id)
    if f.category is not None:
        qs = qs.filter(_category_q(f.category, "product__"))
    q = (f.q or "").strip()
    if q:
        qs = qs.filter(
            Q(product__code__icontains=q)
            | Q(product__name__icontains=q)
            | Q(product__model__icontains=q)
            | Q(product__search_text__icontains=q.lower())
        )
    return qs


@dataclass(frozen=True)
class LevelTotals:
    on_hand: Decimal
    reserved: Decimal
    value: Decimal


def level_totals(qs: QuerySet[StockLevel]) -> LevelTotals:
    totals = qs.order_by().aggregate(
        total_on_hand=Sum("on_hand"),
        total_reserved=Sum("reserved"),
        total_value=Sum(ExpressionWrapper(F("on_hand") * F("average_cost"), output_field=VALUE)),
    )
    return LevelTotals(
        on_hand=totals["total_on_hand"] or ZERO,
        reserved=totals["total_reserved"] or ZERO,
        value=Decimal(totals["total_value"] or ZERO).quantize(Decimal("0.01")),
    )


def product_levels(product: Product) -> list[StockLevel]:
    """Every warehouse's level of one product (the product page's stock tab)."""
    return list(
        stock_levels(product.org_id, LevelFilters(product_id=product.pk, nonzero=False)).order_by(
            "warehouse__code", "id"
        )
    )


# --- the stock ledger ---------------------------------------------------------------------


@dataclass
class LedgerFilters:
    product_id: int | None = None
    warehouse_id: int | None = None
    party_id: int | None = None
    kind: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def ledger_entries(org_id: int, filters: LedgerFilters | None = None) -> QuerySet[StockLedgerEntry]:
    f = filters or LedgerFilters()
    qs = StockLedgerEntry.objects.filter(org_id=org_id).select_related(
        "document", "warehouse", "party", "product"
    )
    if f.product_id:
        qs = qs.filter(product_id=f.product_id)
    if f.warehouse_id:
        qs = qs.filter(warehouse_id=f.warehouse_id)
    if f.party_id:
        qs = qs.filter(party_id=f.party_id)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.date_from:
        qs = qs.filter(date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(date__lte=f.date_to)
    return qs


def with_running_balance(
    page: KeysetPage, base: QuerySet[StockLedgerEntry]
) -> list[tuple[StockLedgerEntry, Decimal]]:
    """Pair each row of a newest-first ledger page with the balance after it.

    One query: the balance after the page's newest row; older rows follow by subtraction.
    """
    rows = list(page.items)
    if not rows:
        return []
    first = rows[0]
    after_first = (
        base.filter(Q(date__lt=first.date) | Q(date=first.date, id__lte=first.pk)).aggregate(
            s=Sum("quantity")
        )["s"]
        or ZERO
    )
    result = []
    balance = after_first
    for row in rows:
        result.append((row, balance))
        balance -= row.quantity
    return result


def visible_document_ids(membership: MembershipLike | None, ids: Iterable[int]) -> set[int]:
    wanted = {i for i in ids if i}
    if not wanted:
        return set()
    return set(visible_documents(membership).filter(pk__in=wanted).values_list("pk", flat=True))


# --- serial-numbered units -------------------------------------------------------------


@dataclass
class SerialFilters:
    q: str = ""
    product_id: int | None = None
    status: str | None = None
    party_id: int | None = None


def serial_units(org_id: int, filters: SerialFilters | None = None) -> QuerySet[SerialUnit]:
    f = filters or SerialFilters()
    qs = SerialUnit.objects.filter(org_id=org_id).select_related(
        "product", "warehouse", "customer", "supplier"
    )
    q = (f.q or "").strip()
    if q:
        qs = qs.filter(serial__istartswith=q) if len(q) < 3 else qs.filter(serial__icontains=q)
    if f.product_id:
        qs = qs.filter(product_id=f.product_id)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.party_id:
        qs = qs.filter(Q(customer_id=f.party_id) | Q(supplier_id=f.party_id))
    return qs


def get_serial_unit(org_id: int, pk: Any) -> SerialUnit:
    from django.http import Http404

    try:
        return serial_units(org_id).get(pk=pk)
    except (SerialUnit.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


@dataclass(frozen=True)
class HistoryItem:
    """One event in a serial-numbered unit's life, for its page."""

    date: datetime.date
    label: str | Promise
    detail: str = ""
    url: str | None = None
    icon: str = "circle"
    sort_key: tuple[Any, ...] = field(default=())


# Extension point: the service app appends callables(unit, membership) -> iterable of
# HistoryItem, and repairs, returns to the workshop … appear on the unit's page.
SERIAL_HISTORY_PROVIDERS: list[Callable[[SerialUnit, Any], Iterable[HistoryItem]]] = []


def register_serial_history_provider(
    provider: Callable[[SerialUnit, Any], Iterable[HistoryItem]],
) -> None:
    if provider not in SERIAL_HISTORY_PROVIDERS:
        SERIAL_HISTORY_PROVIDERS.append(provider)


def serial_history(unit: SerialUnit, membership: MembershipLike | None) -> list[HistoryItem]:
    """Every movement of the unit on a posted document, plus what providers add, in order."""
    from django.utils.translation import gettext as _

    movements = list(
        SerialMovement.objects.filter(unit=unit)
        .select_related(
            "document", "document__party", "document__warehouse", "document__to_warehouse"
        )
        .order_by("date", "id")
    )
    allowed = visible_document_ids(membership, (m.document_id for m in movements))
    items = []
    for movement in movements:
        doc = movement.document
        shown = doc.pk in allowed
        if doc.reverses_id:
            label = _("%(kind)s reversed") % {"kind": doc.get_kind_display()}
        else:
            label = doc.get_kind_display()
        where = doc.warehouse.name
        if doc.kind == StockDocument.Kind.TRANSFER and doc.to_warehouse is not None:
            where = f"{doc.warehouse.name} → {doc.to_warehouse.name}"
        parts = [
            doc.number if shown else "",
            (doc.party.name if doc.party and shown else ""),
            where,
        ]
        items.append(
            HistoryItem(
                date=movement.date,
                label=label,
                detail=" · ".join(p for p in parts if p),
                url=doc.get_absolute_url() if shown else None,
                icon={1: "arrow-down-right", -1: "arrow-up-right", 0: "arrows-exchange"}.get(
                    movement.direction, "circle"
                ),
                sort_key=(movement.date, 0, movement.pk),
            )
        )
    for provider in SERIAL_HISTORY_PROVIDERS:
        for index, item in enumerate(provider(unit, membership)):
            items.append(
                item
                if item.sort_key
                else HistoryItem(
                    item.date, item.label, item.detail, item.url, item.icon, (item.date, 1, index)
                )
            )
    return sorted(items, key=lambda item: item.sort_key)


# --- reorder suggestions (D6) -------------------------------------------------------------

OPEN_PO_STATUSES = (
    PurchaseOrder.Status.DRAFT,
    PurchaseOrder.Status.CONFIRMED,
    PurchaseOrder.Status.PARTIAL,
)


def reorder_candidates(
    org_id: int, *, category: ProductCategory | None = None, q: str = ""
) -> QuerySet[Product]:
    """Stocked, usable products with a reorder level whose available quantity
    (on hand − reserved + still to come on open purchase orders) is at or below it.

    Each row carries `on_hand`, `reserved`, `on_order`, `available_qty` and
    `suggested` (the reorder quantity, or what brings it back up to the level).
    """
    level_sum = StockLevel.objects.filter(product=OuterRef("pk")).order_by().values("product")
    on_hand = Subquery(level_sum.annotate(s=Sum("on_hand")).values("s"), output_field=QTY)
    reserved = Subquery(level_sum.annotate(s=Sum("reserved")).values("s"), output_field=QTY)
    on_order = Subquery(
        PurchaseOrderLine.objects.filter(
            product=OuterRef("pk"),
            purchase_order__status__in=OPEN_PO_STATUSES,
            purchase_order__deleted_at__isnull=True,
            quantity__gt=F("received_quantity"),
        )
        .order_by()
        .values("product")
        .annotate(s=Sum(F("quantity") - F("received_quantity")))
        .values("s"),
        output_field=QTY,
    )
    zero = Value(ZERO, output_field=QTY)
    qs = (
        Product.objects.filter(
            org_id=org_id,
            kind=Product.Kind.STOCKED,
            is_voided=False,
            reorder_level__gt=0,
        )
        .select_related("preferred_supplier", "category")
        .annotate(
            on_hand=Coalesce(on_hand, zero),
            reserved=Coalesce(reserved, zero),
            on_order=Coalesce(on_order, zero),
        )
        .annotate(
            available_qty=ExpressionWrapper(
                F("on_hand") - F("reserved") + F("on_order"), output_field=QTY
            )
        )
        .annotate(
            suggested=Case(
                When(reorder_quantity__gt=0, then=F("reorder_quantity")),
                default=ExpressionWrapper(
                    F("reorder_level") - F("available_qty"), output_field=QTY
                ),
                output_field=QTY,
            )
        )
        .filter(available_qty__lte=F("reorder_level"), suggested__gt=0)
    )
    if category is not None:
        qs = qs.filter(_category_q(category))
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(code__icontains=q) | Q(name__icontains=q) | Q(search_text__icontains=q.lower())
        )
    return qs


# --- a customer's deliveries (the 360 page tab) ---------------------------------------

PARTY_KINDS = (
    StockDocument.Kind.SALES_DELIVERY,
    StockDocument.Kind.SALES_RETURN,
    StockDocument.Kind.PURCHASE_RECEIPT,
    StockDocument.Kind.PURCHASE_RETURN,
)


def party_documents(membership: MembershipLike | None, party_id: int) -> QuerySet[StockDocument]:
    return filtered_documents(membership, DocumentFilters(party_id=party_id)).filter(
        kind__in=PARTY_KINDS
    )


# --- stock ageing (库龄) ----------------------------------------------------------------

AGE_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))


@dataclass(frozen=True)
class AgeingRow:
    product: Product
    on_hand: Decimal
    value: Decimal
    buckets: tuple[Decimal, ...]  # quantity that arrived 0–30, 31–60, 61–90, 91+ days ago


def stock_ageing(
    org_id: int, *, as_of: datetime.date, warehouse_id: int | None = None
) -> list[AgeingRow]:
    """How old the stock on hand is, first in first out: the units on hand are the ones
    that came in last (receipts, sales returns, adjustments found; transfers when one
    warehouse is asked), so each incoming row covers on hand up to its quantity, newest
    first. Stock no incoming row explains counts as the oldest.

    One statement with a window function (SQLite ≥ 3.25 and PostgreSQL). Only the last
    90 days' incoming rows are read (through the (org, kind, date) index): whatever they
    do not explain is older than that, which is all the last bucket needs to know.
    """
    from django.db import connection

    incoming_kinds = ["purchase_receipt", "sales_return", "adjustment"]
    if warehouse_id is not None:
        incoming_kinds.append("transfer")
    kinds_sql = ", ".join(["%s"] * len(incoming_kinds))
    level_filter = "AND warehouse_id = %s" if warehouse_id is not None else ""
    ledger_filter = "AND e.warehouse_id = %s" if warehouse_id is not None else ""
    cut = [as_of - datetime.timedelta(days=d) for d in (30, 60, 90)]
    portion = (
        "CASE WHEN i.newer <= s.on_hand THEN i.quantity "
        "WHEN i.newer - i.quantity < s.on_hand THEN s.on_hand - (i.newer - i.quantity) "
        "ELSE 0 END"
    )
    sql = f"""
        WITH stock AS (
            SELECT product_id, SUM(on_hand) AS on_hand,
                   SUM(on_hand * average_cost) AS value
            FROM stock_stocklevel
            WHERE org_id = %s {level_filter}
            GROUP BY product_id
            HAVING SUM(on_hand) > 0
        ),
        incoming AS (
            SELECT e.product_id, e.date, e.quantity,
                   SUM(e.quantity) OVER (
                       PARTITION BY e.product_id ORDER BY e.date DESC, e.id DESC
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                   ) AS newer
            FROM stock_stockledgerentry e
            WHERE e.org_id = %s AND e.kind IN ({kinds_sql}) AND e.quantity > 0
              AND e.date <= %s AND e.date > %s {ledger_filter}
              AND e.product_id IN (SELECT product_id FROM stock)
        )
        SELECT s.product_id, s.on_hand, s.value,
               COALESCE(SUM(CASE WHEN i.date > %s THEN {portion} ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN i.date <= %s AND i.date > %s THEN {portion} ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN i.date <= %s AND i.date > %s THEN {portion} ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN i.date <= %s THEN {portion} ELSE 0 END), 0)
        FROM stock s LEFT JOIN incoming i ON i.product_id = s.product_id
        GROUP BY s.product_id, s.on_hand, s.value
    """  # noqa: S608 (only constant fragments are interpolated; values are parameters)
    params: list[Any] = [org_id]
    if warehouse_id is not None:
        params.append(warehouse_id)
    params += [org_id, *incoming_kinds, as_of, cut[2]]
    if warehouse_id is not None:
        params.append(warehouse_id)
    params += [cut[0], cut[0], cut[1], cut[1], cut[2], cut[2]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    products = Product.all_objects.filter(org_id=org_id).in_bulk([r[0] for r in raw])
    rows = []
    for product_id, on_hand, value, *buckets in raw:
        quantities = [Decimal(str(b or 0)) for b in buckets]
        on_hand = Decimal(str(on_hand))
        explained = sum(quantities, ZERO)
        if explained < on_hand:  # stock no incoming row explains: the oldest
            quantities[-1] += on_hand - explained
        rows.append(
            AgeingRow(
                product=products[product_id],
                on_hand=on_hand,
                value=Decimal(str(value or 0)).quantize(Decimal("0.01")),
                buckets=tuple(quantities),
            )
        )
    return sorted(rows, key=lambda r: (r.product.code, r.product.pk))
