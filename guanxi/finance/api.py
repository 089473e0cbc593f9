"""REST API of the finance app: receipts and payments with their allocations, open items,
receivables and payables with ageing, party statements, the query centre (detail
ledgers and price history) and data initialisation.

The same services and selectors as the pages: a record the caller may not see is a
404, an action their role does not grant a 403, bad input a 422 with field errors
(allocation errors at `allocations.N.amount` / `allocations.N.target`).
"""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.api.pagination import KeysetPageIn, KeysetPagination, paginate_keyset
from guanxi.core.permissions import (
    ADD,
    CHANGE,
    DELETE,
    POST,
    VIEW,
    is_org_admin,
    require_perm,
)
from guanxi.finance import services
from guanxi.finance.ledgers import (
    LEDGER_ORDER,
    LedgerFilters,
    ledger_lines,
    ledger_totals,
    price_lines,
)
from guanxi.finance.models import DataResetLog, MoneyDocument, PartyLedgerEntry
from guanxi.finance.openitems import party_open_items, today
from guanxi.finance.reports import (
    STATEMENT_ORDER,
    SummaryFilters,
    ageing_summary,
    balance_before,
    statement_entries,
    statement_rows,
)
from guanxi.finance.reset import clear_sales_and_stock
from guanxi.finance.selectors import (
    MONEY_ORDER,
    MoneyFilters,
    filtered_money_documents,
    get_money_document_for_user,
    parties_of_kind,
)
from guanxi.parties.selectors import get_party_for_user

router = Router(tags=["finance"])

if TYPE_CHECKING:
    MoneyKind = str
    MoneyStatus = str
    MoneyMethod = str
    Book = str
    LedgerName = str
    PriceSide = str
else:
    MoneyKind = Literal[tuple(MoneyDocument.Kind.values)]
    MoneyStatus = Literal[tuple(MoneyDocument.Status.values)]
    MoneyMethod = Literal[tuple(MoneyDocument.Method.values)]
    Book = Literal["receivable", "payable"]
    LedgerName = Literal["sales", "purchases"]
    PriceSide = Literal["sales", "purchases"]


def _membership(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


# --- schemas ---------------------------------------------------------------------------


class RefOut(Schema):
    id: int
    number: str


class FinancePartyRefOut(Schema):
    id: int
    name: str


class AllocationOut(Schema):
    id: int
    stock_document: RefOut | None = Field(description="A delivery or purchase receipt.")
    order: RefOut | None = Field(description="A sales order paid in advance.")
    purchase_order: RefOut | None = Field(description="A purchase order paid in advance.")
    amount: Decimal
    date: datetime.date = Field(description="The day the allocation takes effect.")


class MoneyDocumentOut(Schema):
    id: int
    number: str
    kind: MoneyKind
    status: MoneyStatus
    party: FinancePartyRefOut
    date: datetime.date
    amount: Decimal
    method: MoneyMethod
    reference: str
    notes: str
    owner_id: int | None
    reverses_id: int | None = Field(description="For a reversal: the document it reverses.")
    posted_at: datetime.datetime | None
    allocations: list[AllocationOut]
    version: int = Field(description="Send back with an edit (optimistic locking).")

    @staticmethod
    def resolve_allocations(obj: MoneyDocument) -> list[Any]:
        return list(obj.allocations.all())


class AllocationIn(Schema):
    """Name exactly one of the three targets."""

    stock_document_id: int | None = Field(None, description="A delivery / purchase receipt.")
    order_id: int | None = Field(None, description="A confirmed sales order (an advance).")
    purchase_order_id: int | None = Field(None, description="A confirmed purchase order.")
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)


class MoneyDocumentIn(Schema):
    kind: MoneyKind
    party_id: int = Field(description="A customer (receipt) or supplier (payment).")
    date: datetime.date
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    method: MoneyMethod = "bank"
    reference: str = Field("", max_length=100)
    notes: str = Field("", max_length=5000)
    owner_id: int | None = Field(None, description="A member's user id; the caller if left out.")
    allocations: list[AllocationIn] = Field(
        default_factory=list, description="What it settles; the rest stays on account."
    )
    post: bool = Field(False, description="Post at once instead of saving a draft.")


class MoneyDocumentPatch(Schema):
    """A draft's changes; fields left out keep their value, `allocations` (when sent)
    replace the draft's allocations."""

    version: int = Field(ge=1)
    party_id: int | None = None
    date: datetime.date | None = None
    amount: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=2)
    method: MoneyMethod | None = None
    reference: str | None = Field(None, max_length=100)
    notes: str | None = Field(None, max_length=5000)
    owner_id: int | None = None
    allocations: list[AllocationIn] | None = None


class MoneyReverseIn(Schema):
    date: datetime.date | None = Field(None, description="The reversal's date; today if left out.")
    reason: str = Field("", max_length=500)


class AllocateIn(Schema):
    allocations: list[AllocationIn] = Field(min_length=1)
    date: datetime.date | None = Field(None, description="When they take effect; today.")


class MoneyFilterIn(Schema):
    kind: MoneyKind | None = None
    status: MoneyStatus | None = None
    party: int | None = Field(None, description="Documents of this customer or supplier.")
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    q: str | None = Field(None, max_length=100, description="Text in the number or reference.")


class OpenItemOut(Schema):
    source: Literal["document", "on_account", "advance"]
    kind: str
    id: int
    number: str
    date: datetime.date
    due_date: datetime.date | None
    days_outstanding: int
    days_overdue: int
    bucket: Literal["b0_30", "b31_60", "b61_90", "b90"]
    total: Decimal
    open_amount: Decimal


class AgeingOut(Schema):
    balance: Decimal
    b0_30: Decimal = Field(description="Open 0–30 days since the document date.")
    b31_60: Decimal
    b61_90: Decimal
    b90: Decimal = Field(description="Open more than 90 days.")
    overdue: Decimal = Field(description="Open and past its due date.")


class OpenItemsOut(Schema):
    party: FinancePartyRefOut
    book: Book
    as_of: datetime.date
    ageing: AgeingOut
    items: list[OpenItemOut]


class AgeingRowOut(AgeingOut):
    party: FinancePartyRefOut
    owner: str


class AgeingSummaryOut(Schema):
    as_of: datetime.date
    totals: AgeingOut
    parties: int = Field(description="How many parties have open items (all pages).")
    items: list[AgeingRowOut]
    next_cursor: str | None


class SummaryIn(Schema):
    as_of: datetime.date | None = None
    owner: int | None = Field(None, description="Parties this member (user id) owns.")
    category: int | None = Field(None, description="A category id; its sub-categories too.")
    q: str | None = Field(None, max_length=100)
    sort: Literal[
        "name",
        "-name",
        "balance",
        "-balance",
        "b0_30",
        "-b0_30",
        "b31_60",
        "-b31_60",
        "b61_90",
        "-b61_90",
        "b90",
        "-b90",
        "overdue",
        "-overdue",
    ] = "-balance"
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class StatementRowOut(Schema):
    id: int
    date: datetime.date
    due_date: datetime.date | None
    amount: Decimal = Field(description="Positive raises the balance, negative lowers it.")
    balance: Decimal = Field(description="The running balance after this row.")
    stock_document: RefOut | None
    money_document: RefOut | None


class StatementOut(Schema):
    party: FinancePartyRefOut
    book: Book
    opening_balance: Decimal = Field(description="The balance before this page's first row.")
    items: list[StatementRowOut]
    next_cursor: str | None


class StatementIn(KeysetPageIn):
    book: Book = "receivable"
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


class FinanceLedgerFilterIn(Schema):
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    party: int | None = None
    product: int | None = None
    category: int | None = Field(None, description="A product category; sub-categories too.")
    owner: int | None = Field(None, description="Documents this member (user id) owns.")


class LedgerLineOut(Schema):
    id: int
    date: datetime.date
    document: RefOut
    document_kind: str
    is_reversal: bool
    party: FinancePartyRefOut | None
    product_id: int
    product_code: str
    product_name: str
    quantity: Decimal = Field(description="Signed: returns and reversals are negative.")
    unit_price: Decimal
    discount_percent: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal
    cost: Decimal = Field(description="Quantity × the unit cost posting used (signed).")
    gross_profit: Decimal = Field(description="Net − cost.")

    @staticmethod
    def resolve_date(obj: Any) -> datetime.date:
        return obj.document.date  # type: ignore[no-any-return]

    @staticmethod
    def resolve_document_kind(obj: Any) -> str:
        return obj.document.kind  # type: ignore[no-any-return]

    @staticmethod
    def resolve_is_reversal(obj: Any) -> bool:
        return obj.document.reverses_id is not None

    @staticmethod
    def resolve_party(obj: Any) -> dict[str, Any] | None:
        return _party_ref(obj.document.party)

    @staticmethod
    def resolve_product_code(obj: Any) -> str:
        return obj.product.code  # type: ignore[no-any-return]

    @staticmethod
    def resolve_product_name(obj: Any) -> str:
        return obj.product.name  # type: ignore[no-any-return]

    @staticmethod
    def resolve_quantity(obj: Any) -> Decimal:
        return Decimal(obj.signed_quantity).quantize(Decimal("0.001"))

    @staticmethod
    def resolve_gross_profit(obj: Any) -> Decimal:
        return _cents(obj.gross_profit)

    @staticmethod
    def resolve_net(obj: Any) -> Decimal:
        return _cents(obj.signed_net)

    @staticmethod
    def resolve_tax(obj: Any) -> Decimal:
        return _cents(obj.signed_tax)

    @staticmethod
    def resolve_total(obj: Any) -> Decimal:
        return _cents(obj.signed_total)

    @staticmethod
    def resolve_cost(obj: Any) -> Decimal:
        return _cents(obj.signed_cost)


class LedgerTotalsOut(Schema):
    count: int
    quantity: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal
    cost: Decimal
    gross_profit: Decimal


class PriceFilterIn(Schema):
    product: int | None = None
    party: int | None = None
    side: PriceSide | None = Field(None, description="Only sales or only purchases.")
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


class PriceLineOut(Schema):
    id: int
    date: datetime.date
    side: PriceSide
    document: RefOut
    party: FinancePartyRefOut | None
    product_id: int
    product_name: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    net_unit_price: Decimal = Field(description="Net amount ÷ quantity, after discount.")

    @staticmethod
    def resolve_date(obj: Any) -> datetime.date:
        return obj.document.date  # type: ignore[no-any-return]

    @staticmethod
    def resolve_side(obj: Any) -> str:
        return "sales" if obj.document.kind == "sales_delivery" else "purchases"

    @staticmethod
    def resolve_party(obj: Any) -> dict[str, Any] | None:
        return _party_ref(obj.document.party)

    @staticmethod
    def resolve_product_name(obj: Any) -> str:
        return obj.product.name  # type: ignore[no-any-return]

    @staticmethod
    def resolve_net_unit_price(obj: Any) -> Decimal:
        return Decimal(str(obj.net_unit_price)).quantize(Decimal("0.0001"))


class DataResetIn(Schema):
    confirmation: str = Field(max_length=200, description="The organisation's exact name.")


class DataResetOut(Schema):
    id: int
    kind: str
    actor_id: int | None
    created_at: datetime.datetime
    counts: dict[str, int] = Field(description="Rows deleted, by model.")


# --- helpers ----------------------------------------------------------------------------


def _cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _party_ref(party: Any) -> dict[str, Any] | None:
    if party is None:
        return None
    return {"id": party.pk, "name": str(party)}


def _allocations(items: list[AllocationIn] | None) -> list[dict[str, Any]]:
    rows = []
    for item in items or []:
        rows.append(
            {
                "stock_document": item.stock_document_id,
                "order": item.order_id,
                "purchase_order": item.purchase_order_id,
                "amount": item.amount,
            }
        )
    return rows


_FIELD = {"party": "party_id", "owner": "owner_id"}


def _renamed(error: ValidationError) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {_FIELD.get(field, field): messages for field, messages in error.message_dict.items()}
    )


def _visible_party(request: HttpRequest, kind: str, party_id: int | None) -> Any:
    """The party the caller may see, as the service's input; an unseen one becomes an
    id the service refuses, the same as one that does not exist."""
    if party_id is None:
        return None
    party = parties_of_kind(_membership(request), kind).filter(pk=party_id).first()
    return party if party is not None else 0


def _document(request: HttpRequest, id: int) -> MoneyDocument:
    return get_money_document_for_user(_membership(request), id)


# --- money documents ---------------------------------------------------------------------


@router.get(
    "/money-documents",
    response={200: list[MoneyDocumentOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset(*MONEY_ORDER)
def list_money_documents(
    request: HttpRequest, filters: Query[MoneyFilterIn]
) -> QuerySet[MoneyDocument]:
    """Receipts and payments the caller may see, newest first."""
    membership = _membership(request)
    require_perm(membership, VIEW, "money_document")
    return filtered_money_documents(
        membership,
        MoneyFilters(
            kind=filters.kind,
            status=filters.status,
            party_id=filters.party,
            date_from=filters.date_from,
            date_to=filters.date_to,
            query=(filters.q or "").strip(),
        ),
    ).prefetch_related(
        "allocations__stock_document", "allocations__order", "allocations__purchase_order"
    )


@router.post(
    "/money-documents",
    response={201: MoneyDocumentOut, **error_responses(*AUTH_ERRORS, 404, 422)},
)
def create_money_document(request: HttpRequest, payload: MoneyDocumentIn) -> Status[Any]:
    """Add a receipt (from a customer) or payment (to a supplier) as a draft with its
    allocations, or posted at once with `post: true`."""
    membership = _membership(request)
    require_perm(membership, ADD, "money_document")
    if payload.post:
        require_perm(membership, POST, "money_document")
    data = {
        "kind": payload.kind,
        "party": _visible_party(request, payload.kind, payload.party_id),
        "date": payload.date,
        "amount": payload.amount,
        "method": payload.method,
        "reference": payload.reference,
        "notes": payload.notes,
        "owner": payload.owner_id if payload.owner_id is not None else request.user.pk,
    }
    try:
        document = services.create_money_document(
            org=membership.org,
            actor=request.user,
            data=data,
            allocations=_allocations(payload.allocations),
            post=payload.post,
        )
    except ValidationError as error:
        raise _renamed(error) from error
    return Status(201, _document(request, document.pk))


@router.get(
    "/money-documents/{id}",
    response={200: MoneyDocumentOut, **error_responses(*AUTH_ERRORS, 404, 422)},
)
def get_money_document(request: HttpRequest, id: int) -> MoneyDocument:
    return _document(request, id)


@router.patch(
    "/money-documents/{id}",
    response={200: MoneyDocumentOut, **error_responses(*AUTH_ERRORS, 404, 409, 422)},
)
def patch_money_document(request: HttpRequest, id: int, payload: MoneyDocumentPatch) -> Any:
    """Change a draft. 409 `stale_edit` from an old `version`, 409 `not_draft` once posted."""
    membership = _membership(request)
    document = _document(request, id)
    require_perm(membership, CHANGE, "money_document")
    changes = payload.model_dump(exclude_unset=True)
    data: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "party_id":
            data["party"] = _visible_party(request, document.kind, value)
        elif key == "owner_id":
            data["owner"] = value
        elif key not in ("version", "allocations"):
            data[key] = value
    if payload.allocations is not None:
        allocations = _allocations(payload.allocations)
    else:
        allocations = [
            {
                "stock_document": a.stock_document_id,
                "order": a.order_id,
                "purchase_order": a.purchase_order_id,
                "amount": a.amount,
            }
            for a in document.allocations.all()
        ]
    try:
        services.update_money_document(
            document=document,
            actor=request.user,
            data=data,
            allocations=allocations,
            expected_version=payload.version,
        )
    except ValidationError as error:
        raise _renamed(error) from error
    return _document(request, id)


@router.delete(
    "/money-documents/{id}",
    response={204: None, **error_responses(*AUTH_ERRORS, 404, 409, 422)},
)
def delete_money_document(request: HttpRequest, id: int) -> Status[None]:
    """Delete a draft; a posted document answers 409 (reverse it instead)."""
    membership = _membership(request)
    document = _document(request, id)
    require_perm(membership, DELETE, "money_document")
    services.delete_money_document(document=document, actor=request.user)
    return Status(204, None)


@router.post(
    "/money-documents/{id}/post",
    response={200: MoneyDocumentOut, **error_responses(*AUTH_ERRORS, 404, 422)},
)
def post_money_document(request: HttpRequest, id: int) -> Any:
    """Post a draft (idempotent: posting a posted document changes nothing)."""
    membership = _membership(request)
    document = _document(request, id)
    require_perm(membership, POST, "money_document")
    services.post_money_document(document=document, actor=request.user)
    return _document(request, id)


@router.post(
    "/money-documents/{id}/reverse",
    response={200: MoneyDocumentOut, **error_responses(*AUTH_ERRORS, 400, 404, 422)},
)
def reverse_money_document(
    request: HttpRequest, id: int, payload: MoneyReverseIn | None = None
) -> Any:
    """Reverse a posted document; answers the reversal (a new posted document).
    Reversing again answers the same reversal."""
    membership = _membership(request)
    document = _document(request, id)
    require_perm(membership, POST, "money_document")
    reversal = services.reverse_money_document(
        document=document,
        actor=request.user,
        date=payload.date if payload else None,
        reason=payload.reason if payload else "",
    )
    return get_money_document_for_user(membership, reversal.pk)


@router.post(
    "/money-documents/{id}/allocate",
    response={200: MoneyDocumentOut, **error_responses(*AUTH_ERRORS, 400, 404, 422)},
)
def allocate_money_document(request: HttpRequest, id: int, payload: AllocateIn) -> Any:
    """Allocate what a posted document has on account; balances do not change."""
    membership = _membership(request)
    document = _document(request, id)
    require_perm(membership, CHANGE, "money_document")
    services.allocate_on_account(
        document=document,
        actor=request.user,
        allocations=_allocations(payload.allocations),
        date=payload.date,
    )
    return _document(request, id)


# --- open items, receivables and payables ------------------------------------------------


def _ageing(values: Any) -> dict[str, Decimal]:
    return {
        k: getattr(values, k) for k in ("balance", "b0_30", "b31_60", "b61_90", "b90", "overdue")
    }


@router.get(
    "/parties/{id}/open-items",
    response={200: OpenItemsOut, **error_responses(*AUTH_ERRORS, 404, 422)},
)
def party_open_items_op(
    request: HttpRequest, id: int, book: Book = "receivable", as_of: datetime.date | None = None
) -> dict[str, Any]:
    """A party's open items in the book as of a day (today), oldest first, with ageing."""
    from guanxi.finance.openitems import ZERO, AgeingRow

    membership = _membership(request)
    require_perm(membership, VIEW, "money_document")
    party = get_party_for_user(membership, id)
    day = as_of or today()
    items = party_open_items(party.pk, book, day)
    totals = AgeingRow(party_id=party.pk)
    for item in items:
        values = {"balance": item.open_amount, item.bucket: item.open_amount}
        if item.days_overdue:
            values["overdue"] = item.open_amount
        totals.add(values)
    return {
        "party": _party_ref(party),
        "book": book,
        "as_of": day,
        "ageing": _ageing(totals),
        "items": [
            {
                "source": i.source,
                "kind": i.kind,
                "id": i.pk,
                "number": i.number,
                "date": i.date,
                "due_date": i.due_date,
                "days_outstanding": i.days_outstanding,
                "days_overdue": i.days_overdue,
                "bucket": i.bucket,
                "total": i.total,
                "open_amount": i.open_amount if i.open_amount else ZERO,
            }
            for i in items
        ],
    }


def _summary(request: HttpRequest, book: str, params: SummaryIn) -> dict[str, Any]:
    membership = _membership(request)
    require_perm(membership, VIEW, "money_document")
    result = ageing_summary(
        membership,
        book,
        SummaryFilters(
            as_of=params.as_of,
            owner_id=params.owner,
            category_id=params.category,
            query=(params.q or "").strip(),
            sort=params.sort,
        ),
        cursor=params.cursor,
        limit=params.limit,
    )
    return {
        "as_of": params.as_of or today(),
        "totals": _ageing(result.totals),
        "parties": result.count,
        "items": [
            {
                **_ageing(row),
                "party": {"id": row.party_id, "name": row.extra.get("full_name", "")},
                "owner": row.extra.get("owner", ""),
            }
            for row in result.rows
        ],
        "next_cursor": result.next_cursor,
    }


@router.get("/receivables", response={200: AgeingSummaryOut, **error_responses(*AUTH_ERRORS, 422)})
def receivables(request: HttpRequest, params: Query[SummaryIn]) -> dict[str, Any]:
    """What each customer owes, with ageing buckets by days since the document date and
    the overdue part; sorted, paged by `cursor`, with totals over all pages."""
    return _summary(request, "receivable", params)


@router.get("/payables", response={200: AgeingSummaryOut, **error_responses(*AUTH_ERRORS, 422)})
def payables(request: HttpRequest, params: Query[SummaryIn]) -> dict[str, Any]:
    """What is owed to each supplier, like /receivables."""
    return _summary(request, "payable", params)


@router.get(
    "/parties/{id}/statement",
    response={200: StatementOut, **error_responses(*AUTH_ERRORS, 400, 404, 422)},
)
def party_statement(request: HttpRequest, id: int, params: Query[StatementIn]) -> dict[str, Any]:
    """A party's ledger in the book, oldest first, with the running balance; paged by
    cursor (`opening_balance` is the balance before the page)."""
    membership = _membership(request)
    require_perm(membership, VIEW, "money_document")
    party = get_party_for_user(membership, id)
    paginator = KeysetPagination(ordering=STATEMENT_ORDER)
    page = paginator.paginate_queryset(
        statement_entries(party, params.book, date_from=params.date_from, date_to=params.date_to),
        params,
        request,
    )
    entries: list[PartyLedgerEntry] = page["items"]
    opening = balance_before(
        party, params.book, date_from=params.date_from, first=entries[0] if entries else None
    )
    rows = statement_rows(entries, opening)
    return {
        "party": _party_ref(party),
        "book": params.book,
        "opening_balance": opening,
        "items": [
            {
                "id": r.entry.pk,
                "date": r.entry.date,
                "due_date": r.entry.due_date,
                "amount": r.entry.amount,
                "balance": r.balance,
                "stock_document": {"id": r.entry.stock_document_id, "number": r.number}
                if r.entry.stock_document_id
                else None,
                "money_document": {"id": r.entry.money_document_id, "number": r.number}
                if r.entry.money_document_id
                else None,
            }
            for r in rows
        ],
        "next_cursor": page["next_cursor"],
    }


# --- the query centre ----------------------------------------------------------------------


def _ledger_filters(params: FinanceLedgerFilterIn) -> LedgerFilters:
    return LedgerFilters(
        date_from=params.date_from,
        date_to=params.date_to,
        party_id=params.party,
        product_id=params.product,
        category_id=params.category,
        owner_id=params.owner,
    )


@router.get(
    "/ledgers/{ledger}",
    response={200: list[LedgerLineOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset(*LEDGER_ORDER)
def ledger(request: HttpRequest, ledger: LedgerName, filters: Query[FinanceLedgerFilterIn]) -> Any:
    """Every posted line of sales deliveries and returns (`sales`) or purchase receipts
    and returns (`purchases`), newest first; returns and reversals signed negative."""
    membership = _membership(request)
    require_perm(membership, VIEW, "stock_document")
    return ledger_lines(membership, ledger, _ledger_filters(filters))


@router.get(
    "/ledgers/{ledger}/totals",
    response={200: LedgerTotalsOut, **error_responses(*AUTH_ERRORS, 422)},
)
def ledger_totals_op(
    request: HttpRequest, ledger: LedgerName, filters: Query[FinanceLedgerFilterIn]
) -> dict[str, Any]:
    """The ledger's totals under the same filters."""
    membership = _membership(request)
    require_perm(membership, VIEW, "stock_document")
    return ledger_totals(ledger_lines(membership, ledger, _ledger_filters(filters)))


@router.get(
    "/price-history",
    response={200: list[PriceLineOut], **error_responses(*AUTH_ERRORS, 400, 404, 422)},
)
@paginate_keyset("-document__date", "-id")
def price_history(request: HttpRequest, filters: Query[PriceFilterIn]) -> Any:
    """Prices a product was sold and bought at (`product`), or a customer/supplier got
    (`party`), on documents that stand; newest first."""
    membership = _membership(request)
    require_perm(membership, VIEW, "stock_document")
    if filters.party is not None:
        get_party_for_user(membership, filters.party)
    return price_lines(
        membership,
        side=filters.side,
        product_id=filters.product,
        party_id=filters.party,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )


# --- data initialisation (A4) ----------------------------------------------------------------


@router.post(
    "/data-reset",
    response={201: DataResetOut, **error_responses(*AUTH_ERRORS, 422)},
)
def data_reset(request: HttpRequest, payload: DataResetIn) -> Status[DataResetLog]:
    """Clear the organisation's sales and stock data (administrators only); send the
    organisation's exact name as `confirmation`. Customers, contacts, activities and
    products stay. Logged."""
    membership = _membership(request)
    if not is_org_admin(membership):
        raise PermissionDenied
    log = clear_sales_and_stock(
        org=membership.org, actor=request.user, confirmation=payload.confirmation
    )
    return Status(201, log)


@router.get(
    "/data-resets",
    response={200: list[DataResetOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset("-created_at", "-id")
def data_resets(request: HttpRequest) -> QuerySet[DataResetLog]:
    """The log of data resets (administrators only), newest first."""
    membership = _membership(request)
    if not is_org_admin(membership):
        raise PermissionDenied
    return DataResetLog.objects.filter(org_id=membership.org_id)
