"""REST API of the sales documents: quotes (with status, send, convert), orders and
pre-orders (with confirm, cancel, split, lock, unlock) and purchase orders (with confirm,
cancel), each with its lines and a PDF.

Same rules as the pages, through the same services and selectors: a document the caller
may not see is a 404; a customer, supplier or contact they may not use, a product of
another organisation or a voided one, a negative quantity or a discount over 100% is a
422 with field paths (`lines.0.quantity`) and nothing is written; an edit from an old
`version` is a 409. Amounts are always computed by the server (guanxi.sales.pricing).
"""

import datetime
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.api.pagination import KeysetPageIn, KeysetPagination
from guanxi.core.permissions import ADD, CHANGE, DELETE, VIEW, require_perm
from guanxi.parties.selectors import visible_contacts, visible_parties
from guanxi.sales import documents_selectors as sel
from guanxi.sales import documents_services as svc
from guanxi.sales.models import (
    Order,
    PurchaseOrder,
    Quote,
)

router = Router(tags=["sales"])


def _literal(values: Any) -> Any:
    return Literal[tuple(values)]


if TYPE_CHECKING:
    QuoteStatus = str
    OrderStatus = str
    OrderKind = str
    DeliveryStatus = str
    PurchaseOrderStatus = str
    QuoteSort = str
    OrderSort = str
    PurchaseOrderSort = str
    QuoteStatusChange = str
else:
    QuoteStatus = _literal(Quote.Status.values)
    OrderStatus = _literal(Order.Status.values)
    OrderKind = _literal(Order.Kind.values)
    DeliveryStatus = _literal(Order.Delivery.values)
    PurchaseOrderStatus = _literal(PurchaseOrder.Status.values)
    QuoteSort = _literal(sel.QUOTE_SORTS)
    OrderSort = _literal(sel.ORDER_SORTS)
    PurchaseOrderSort = _literal(sel.PURCHASE_ORDER_SORTS)
    QuoteStatusChange = Literal["draft", "sent", "accepted", "rejected"]

READ = error_responses(*AUTH_ERRORS, 404, 422)
WRITE = error_responses(*AUTH_ERRORS, 404, 409, 422)

# --- schemas ------------------------------------------------------------------------------


class DocumentRefOut(Schema):
    id: int
    name: str


class DocumentUserOut(Schema):
    id: int
    username: str
    display_name: str


class LineProductOut(Schema):
    id: int
    code: str
    name: str
    unit: str


def _ref(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": str(obj)}


def _user(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "display_name": str(user)}


class DocumentLineOut(Schema):
    id: int
    position: int
    product: LineProductOut
    description: str
    quantity: Decimal
    unit_price: Decimal = Field(description="Exclusive of tax.")
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal = Field(description="round(quantity × unit price × (1 − discount)).")
    tax_amount: Decimal
    total_amount: Decimal

    @staticmethod
    def resolve_product(obj: Any) -> dict[str, Any]:
        product = obj.product
        return {"id": product.pk, "code": product.code, "name": product.name, "unit": product.unit}


class OrderLineOut(DocumentLineOut):
    delivered_quantity: Decimal
    reserved_quantity: Decimal


class PurchaseOrderLineOut(DocumentLineOut):
    list_price: Decimal
    received_quantity: Decimal


class _Totals(Schema):
    subtotal: Decimal = Field(description="Sum of quantity × unit price (before discount).")
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal = Field(description="Sum of the rounded line totals.")


class _DocumentSummary(_Totals):
    id: int
    number: str
    date: datetime.date
    owner: DocumentUserOut | None
    version: int = Field(description="Send back with an edit or an action (optimistic locking).")

    @staticmethod
    def resolve_owner(obj: Any) -> Any:
        return _user(obj.owner)


class QuoteSummaryOut(_DocumentSummary):
    status: QuoteStatus
    party: DocumentRefOut
    valid_until: datetime.date | None
    sent_at: datetime.datetime | None

    @staticmethod
    def resolve_party(obj: Quote) -> Any:
        return _ref(obj.party)


class QuoteOut(QuoteSummaryOut):
    contact: DocumentRefOut | None
    opportunity: DocumentRefOut | None
    terms: str
    notes: str
    lines: list[DocumentLineOut]
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_contact(obj: Quote) -> Any:
        return _ref(obj.contact)

    @staticmethod
    def resolve_opportunity(obj: Quote) -> Any:
        return _ref(obj.opportunity)

    @staticmethod
    def resolve_lines(obj: Quote) -> Any:
        return list(obj.lines.all())


class OrderSummaryOut(_DocumentSummary):
    kind: OrderKind
    status: OrderStatus
    delivery_status: DeliveryStatus
    party: DocumentRefOut
    delivery_date: datetime.date | None
    is_locked: bool

    @staticmethod
    def resolve_party(obj: Order) -> Any:
        return _ref(obj.party)


class OrderOut(OrderSummaryOut):
    contact: DocumentRefOut | None
    quote: DocumentRefOut | None
    opportunity: DocumentRefOut | None
    split_from: DocumentRefOut | None
    warehouse: DocumentRefOut | None
    payment_terms: str
    payment_due_days: int
    confirmed_at: datetime.datetime | None
    cancelled_at: datetime.datetime | None
    cancel_reason: str
    notes: str
    lines: list[OrderLineOut]
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_contact(obj: Order) -> Any:
        return _ref(obj.contact)

    @staticmethod
    def resolve_quote(obj: Order) -> Any:
        return _ref(obj.quote)

    @staticmethod
    def resolve_opportunity(obj: Order) -> Any:
        return _ref(obj.opportunity)

    @staticmethod
    def resolve_split_from(obj: Order) -> Any:
        return _ref(obj.split_from)

    @staticmethod
    def resolve_warehouse(obj: Order) -> Any:
        return _ref(obj.warehouse)

    @staticmethod
    def resolve_lines(obj: Order) -> Any:
        return list(obj.lines.all())


class PurchaseOrderSummaryOut(_DocumentSummary):
    status: PurchaseOrderStatus
    supplier: DocumentRefOut
    expected_date: datetime.date | None
    warehouse: DocumentRefOut | None

    @staticmethod
    def resolve_supplier(obj: PurchaseOrder) -> Any:
        return _ref(obj.supplier)

    @staticmethod
    def resolve_warehouse(obj: PurchaseOrder) -> Any:
        return _ref(obj.warehouse)


class PurchaseOrderOut(PurchaseOrderSummaryOut):
    contract_terms: str
    payment_due_days: int
    notes: str
    lines: list[PurchaseOrderLineOut]
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_lines(obj: PurchaseOrder) -> Any:
        return list(obj.lines.all())


# input


class LineIn(Schema):
    id: int | None = Field(None, description="An existing line to keep (on an edit).")
    product_id: int
    quantity: Decimal = Field(max_digits=14, decimal_places=3)
    unit_price: Decimal | None = Field(
        None, max_digits=14, decimal_places=2, description="Defaults to the list price."
    )
    discount_percent: Decimal | None = Field(None, max_digits=5, decimal_places=2)
    tax_rate: Decimal | None = Field(
        None, max_digits=5, decimal_places=2, description="Defaults to the product's."
    )
    description: str | None = Field(None, max_length=200)


class PurchaseLineIn(Schema):
    id: int | None = Field(None, description="An existing line to keep (on an edit).")
    product_id: int
    quantity: Decimal = Field(max_digits=14, decimal_places=3)
    list_price: Decimal | None = Field(
        None,
        max_digits=14,
        decimal_places=2,
        description="Defaults to the product's cost price; the unit price is "
        "list price × (1 − discount).",
    )
    discount_percent: Decimal | None = Field(None, max_digits=5, decimal_places=2)
    tax_rate: Decimal | None = Field(None, max_digits=5, decimal_places=2)
    description: str | None = Field(None, max_length=200)


class _QuoteFields(Schema):
    contact_id: int | None = None
    date: datetime.date | None = Field(None, description="Today when left out.")
    valid_until: datetime.date | None = Field(
        None, description="Defaults to the date plus the organisation's quote validity."
    )
    terms: str | None = Field(None, max_length=20000)
    notes: str | None = Field(None, max_length=20000)


class QuoteIn(_QuoteFields):
    party_id: int | None = Field(None, description="Required unless opportunity_id is given.")
    opportunity_id: int | None = Field(
        None,
        description="Quote this opportunity: its customer, contact and (without lines) "
        "its products.",
    )
    lines: list[LineIn] | None = Field(None, max_length=500)


class QuotePatch(_QuoteFields):
    version: int = Field(ge=1)
    party_id: int | None = None
    lines: list[LineIn] | None = Field(None, max_length=500, description="Replaces the lines.")


class _OrderFields(Schema):
    contact_id: int | None = None
    kind: OrderKind | None = None
    date: datetime.date | None = None
    delivery_date: datetime.date | None = None
    warehouse_id: int | None = Field(None, description="Required for a pre-order.")
    payment_terms: str | None = Field(None, max_length=200)
    payment_due_days: int | None = Field(None, ge=0, le=3650)
    notes: str | None = Field(None, max_length=20000)


class OrderIn(_OrderFields):
    party_id: int | None = Field(None, description="Required unless opportunity_id is given.")
    opportunity_id: int | None = Field(
        None, description="Order what this opportunity holds (its products without lines)."
    )
    lines: list[LineIn] | None = Field(None, max_length=500)


class OrderPatch(_OrderFields):
    version: int = Field(ge=1)
    party_id: int | None = None
    lines: list[LineIn] | None = Field(None, max_length=500, description="Replaces the lines.")


class _PurchaseOrderFields(Schema):
    date: datetime.date | None = None
    expected_date: datetime.date | None = None
    warehouse_id: int | None = None
    contract_terms: str | None = Field(None, max_length=20000)
    payment_due_days: int | None = Field(None, ge=0, le=3650)
    notes: str | None = Field(None, max_length=20000)


class PurchaseOrderIn(_PurchaseOrderFields):
    supplier_id: int
    lines: list[PurchaseLineIn] = Field(max_length=500)


class PurchaseOrderPatch(_PurchaseOrderFields):
    version: int = Field(ge=1)
    supplier_id: int | None = None
    lines: list[PurchaseLineIn] | None = Field(None, max_length=500)


class DocumentVersionIn(Schema):
    version: int = Field(ge=1)


class QuoteStatusIn(Schema):
    version: int = Field(ge=1)
    status: QuoteStatusChange


class QuoteSendIn(Schema):
    to: list[str] = Field(min_length=1, max_length=20)
    cc: list[str] = Field(default_factory=list, max_length=20)
    subject: str | None = Field(None, max_length=200)
    message: str | None = Field(None, max_length=20000)
    attach: Literal["pdf", "html"] = "pdf"


class OrderCancelIn(Schema):
    version: int = Field(ge=1)
    reason: str = Field(min_length=1, max_length=200)


class SplitLineIn(Schema):
    line_id: int
    quantity: Decimal = Field(max_digits=14, decimal_places=3)


class OrderSplitIn(Schema):
    version: int = Field(ge=1)
    lines: list[SplitLineIn] = Field(min_length=1, max_length=500)


class OrderConfirmOut(Schema):
    order: OrderOut
    warnings: list[str] = Field(description="E.g. the credit limit is exceeded (warn setting).")


class OrderSplitOut(Schema):
    order: OrderOut = Field(description="The original order, with what stayed.")
    new_order: OrderOut = Field(description="The new order with the moved quantities.")


class _FilterFields(Schema):
    q: str | None = Field(None, max_length=100, description="Number or customer text.")
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    mine: bool = Field(False, description="Only the caller's own documents.")


class QuoteFilterIn(_FilterFields):
    status: QuoteStatus | None = None
    party: int | None = None
    sort: QuoteSort = "-date"


class OrderFilterIn(_FilterFields):
    status: OrderStatus | None = None
    kind: OrderKind | None = None
    party: int | None = None
    sort: OrderSort = "-date"


class PurchaseOrderFilterIn(_FilterFields):
    status: PurchaseOrderStatus | None = None
    supplier: int | None = None
    sort: PurchaseOrderSort = "-date"


# --- helpers ------------------------------------------------------------------------------


class SortedKeysetPagination(KeysetPagination):
    """Keyset pages in the order the list's `sort` filter names (a cursor belongs to the
    sort it was made with)."""

    def __init__(self, *, sorts: dict[str, tuple[str, ...]], **kwargs: Any) -> None:
        self.sorts = sorts
        super().__init__(ordering=sorts[sel.DEFAULT_SORT], **kwargs)

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: KeysetPageIn, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        sort = getattr(params.get("filters"), "sort", None) or sel.DEFAULT_SORT
        paginator = KeysetPagination(ordering=sel.ordering_for(self.sorts, sort))
        return paginator.paginate_queryset(queryset, pagination, request)


def _membership(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


_RENAMES = {
    "party": "party_id",
    "supplier": "supplier_id",
    "contact": "contact_id",
    "opportunity": "opportunity_id",
    "warehouse": "warehouse_id",
    "owner": "owner_id",
    "cancel_reason": "reason",
}


def _renamed(error: ValidationError) -> ValidationError:
    result: dict[str, list[str]] = {}
    for name, messages in error.message_dict.items():
        match = re.match(r"^lines\.(\d+)\.product$", name)
        if match:
            name = f"lines.{match.group(1)}.product_id"
        result.setdefault(_RENAMES.get(name, name), []).extend(messages)
    return ValidationError(result)


def _call(func: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise _renamed(error) from error
        raise


def _line_rows(lines: list[Any] | None, *, purchase: bool = False) -> list[dict[str, Any]] | None:
    if lines is None:
        return None
    rows = []
    for line in lines:
        row: dict[str, Any] = {
            "product": line.product_id,
            "quantity": line.quantity,
            "discount_percent": line.discount_percent,
            "tax_rate": line.tax_rate,
            "description": line.description or "",
        }
        if purchase:
            row["list_price"] = line.list_price
        else:
            row["unit_price"] = line.unit_price
        if line.id is not None:
            row["id"] = line.id
        rows.append(row)
    return rows


def _header(membership: Any, payload: dict[str, Any], *, role: str = "customer") -> dict[str, Any]:
    """The service's header data from an API payload: references the caller may use."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    for key, value in payload.items():
        if key in {"lines", "version"}:
            continue
        if key in ("party_id", "supplier_id"):
            if value is None:
                continue
            party = visible_parties(membership, role=role).filter(pk=value).first()
            if party is None:
                errors[key] = [
                    _("Choose a supplier you may see.")
                    if role == "supplier"
                    else _("Choose a customer you may see.")
                ]
            data[key.removesuffix("_id")] = party
        elif key == "contact_id":
            contact = None
            if value is not None:
                contact = visible_contacts(membership).filter(pk=value).first()
                if contact is None:
                    errors[key] = [_("Choose a contact you may see.")]
            data["contact"] = contact
        elif key in ("warehouse_id", "opportunity_id"):
            data[key.removesuffix("_id")] = value
        elif value is None and key in {"terms", "notes", "payment_terms", "contract_terms"}:
            data[key] = ""
        elif value is None and key in {"kind", "payment_due_days", "date"}:
            continue
        else:
            data[key] = value
    if errors:
        raise ValidationError(errors)
    return data


def _opportunity(membership: Any, pk: int) -> Any:
    from guanxi.core.permissions import get_visible_or_404
    from guanxi.sales.models import Opportunity

    try:
        return get_visible_or_404(Opportunity.objects.all(), membership, "opportunity", pk=pk)
    except Exception as error:  # Http404: an opportunity the caller may not see
        raise ValidationError(
            {"opportunity_id": [_("Choose an opportunity you may see.")]}
        ) from error


def _pdf_response(document: Any) -> HttpResponse:
    from guanxi.sales.pdf import document_html, render_pdf

    pdf = render_pdf(document_html(document))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
    return response


PDF_RESPONSE = {
    "responses": {
        "200": {
            "description": "The document as a PDF (A4, Chinese fonts).",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _quote(membership: Any, pk: int) -> Quote:
    return sel.get_quote_for_user(membership, pk)


def _order(membership: Any, pk: int) -> Order:
    return sel.get_order_for_user(membership, pk)


def _po(membership: Any, pk: int) -> PurchaseOrder:
    return sel.get_purchase_order_for_user(membership, pk)


# --- quotes -------------------------------------------------------------------------------


@router.get(
    "/quotes", response={200: list[QuoteSummaryOut], **error_responses(*AUTH_ERRORS, 400, 422)}
)
@paginate(SortedKeysetPagination, sorts=sel.QUOTE_SORTS)
def list_quotes(request: HttpRequest, filters: Query[QuoteFilterIn]) -> QuerySet[Quote]:
    """The quotes the caller may see; `sort` by number, date, customer, total or status
    (`-` for descending)."""
    membership = _membership(request)
    require_perm(membership, VIEW, "quote")
    return sel.quote_list(
        membership,
        sel.DocumentFilters(
            q=filters.q or "",
            status=filters.status or "",
            party=filters.party,
            date_from=filters.date_from,
            date_to=filters.date_to,
            mine=filters.mine,
        ),
    )


@router.post("/quotes", response={201: QuoteOut, **error_responses(*AUTH_ERRORS, 422)})
def create_quote(request: HttpRequest, payload: QuoteIn) -> Status[Quote]:
    """Create a draft quote. With `opportunity_id` and no `lines`, the opportunity's
    products are copied."""
    membership = _membership(request)
    require_perm(membership, ADD, "quote")
    body = payload.dict(exclude_unset=True)
    data = _header(membership, body)
    rows = _line_rows(payload.lines)
    if payload.opportunity_id is not None and rows is None:
        opportunity = _opportunity(membership, payload.opportunity_id)
        data.pop("opportunity", None)
        quote = _call(
            svc.create_quote_from_opportunity, membership, opportunity=opportunity, data=data
        )
    else:
        if payload.opportunity_id is not None:
            _opportunity(membership, payload.opportunity_id)
        quote = _call(svc.create_quote, membership, data=data, lines=rows or [])
    return Status(201, _quote(membership, quote.pk))


@router.get("/quotes/{id}", response={200: QuoteOut, **READ})
def get_quote(request: HttpRequest, id: int) -> Quote:
    return _quote(_membership(request), id)


@router.patch("/quotes/{id}", response={200: QuoteOut, **WRITE})
def patch_quote(request: HttpRequest, id: int, payload: QuotePatch) -> Quote:
    """Change a draft or sent quote; `lines`, when given, replace the lines (send `id` to
    keep a line)."""
    membership = _membership(request)
    quote = _quote(membership, id)
    require_perm(membership, CHANGE, "quote")
    _call(
        svc.update_quote,
        membership,
        quote=quote,
        data=_header(membership, payload.dict(exclude_unset=True)),
        lines=_line_rows(payload.lines) if "lines" in payload.model_fields_set else None,
        expected_version=payload.version,
    )
    return _quote(membership, id)


@router.delete("/quotes/{id}", response={204: None, **WRITE})
def delete_quote(request: HttpRequest, id: int) -> Status[None]:
    """Move a quote to the recycle bin (not a converted one)."""
    membership = _membership(request)
    quote = _quote(membership, id)
    require_perm(membership, DELETE, "quote")
    svc.delete_quote(membership, quote=quote)
    return Status(204, None)


@router.post("/quotes/{id}/status", response={200: QuoteOut, **WRITE})
def set_quote_status(request: HttpRequest, id: int, payload: QuoteStatusIn) -> Quote:
    """Move the quote: draft ⇄ sent → accepted / rejected (and back to draft)."""
    membership = _membership(request)
    quote = _quote(membership, id)
    require_perm(membership, CHANGE, "quote")
    svc.set_quote_status(
        membership, quote=quote, status=payload.status, expected_version=payload.version
    )
    return _quote(membership, id)


@router.post(
    "/quotes/{id}/send",
    response={200: QuoteOut, **error_responses(*AUTH_ERRORS, 404, 409, 422, 502)},
)
def send_quote(request: HttpRequest, id: int, payload: QuoteSendIn) -> Quote:
    """E-mail the quote with its PDF (or HTML) attached through the organisation's mail
    server; the quote becomes "sent" and the mail is recorded on the customer's timeline.
    A mail the server refuses is a 502 and records nothing."""
    from guanxi.sales.mail import send_quote as send

    membership = _membership(request)
    quote = _quote(membership, id)
    require_perm(membership, CHANGE, "quote")
    send(
        membership,
        quote=quote,
        to=payload.to,
        cc=payload.cc,
        subject=payload.subject or "",
        message=payload.message or "",
        attach=payload.attach,
    )
    return _quote(membership, id)


@router.post("/quotes/{id}/convert", response={201: OrderOut, **WRITE})
def convert_quote(request: HttpRequest, id: int, payload: DocumentVersionIn) -> Status[Order]:
    """Create a draft order from the quote (its lines copied); the quote becomes
    "converted"."""
    membership = _membership(request)
    quote = _quote(membership, id)
    require_perm(membership, CHANGE, "quote")
    require_perm(membership, ADD, "order")
    order = _call(svc.convert_quote, membership, quote=quote, expected_version=payload.version)
    return Status(201, _order(membership, order.pk))


@router.get(
    "/quotes/{id}/pdf",
    response={200: None, **error_responses(*AUTH_ERRORS, 404, 422, 503)},
    openapi_extra=PDF_RESPONSE,
)
def quote_pdf(request: HttpRequest, id: int) -> HttpResponse:
    """The quote as a PDF; 503 when the server cannot render PDFs (use the print view)."""
    return _pdf_response(_quote(_membership(request), id))


# --- orders -------------------------------------------------------------------------------


@router.get(
    "/orders", response={200: list[OrderSummaryOut], **error_responses(*AUTH_ERRORS, 400, 422)}
)
@paginate(SortedKeysetPagination, sorts=sel.ORDER_SORTS)
def list_orders(request: HttpRequest, filters: Query[OrderFilterIn]) -> QuerySet[Order]:
    """The orders and pre-orders the caller may see."""
    membership = _membership(request)
    require_perm(membership, VIEW, "order")
    return sel.order_list(
        membership,
        sel.DocumentFilters(
            q=filters.q or "",
            status=filters.status or "",
            kind=filters.kind or "",
            party=filters.party,
            date_from=filters.date_from,
            date_to=filters.date_to,
            mine=filters.mine,
        ),
    )


@router.post("/orders", response={201: OrderOut, **error_responses(*AUTH_ERRORS, 422)})
def create_order(request: HttpRequest, payload: OrderIn) -> Status[Order]:
    """Create a draft order or pre-order (a pre-order needs `warehouse_id`). With
    `opportunity_id` and no `lines`, the opportunity's products are copied."""
    membership = _membership(request)
    require_perm(membership, ADD, "order")
    data = _header(membership, payload.dict(exclude_unset=True))
    rows = _line_rows(payload.lines)
    if payload.opportunity_id is not None and rows is None:
        opportunity = _opportunity(membership, payload.opportunity_id)
        data.pop("opportunity", None)
        order = _call(
            svc.create_order_from_opportunity, membership, opportunity=opportunity, data=data
        )
    else:
        if payload.opportunity_id is not None:
            _opportunity(membership, payload.opportunity_id)
        order = _call(svc.create_order, membership, data=data, lines=rows or [])
    return Status(201, _order(membership, order.pk))


@router.get("/orders/{id}", response={200: OrderOut, **READ})
def get_order(request: HttpRequest, id: int) -> Order:
    return _order(_membership(request), id)


@router.patch("/orders/{id}", response={200: OrderOut, **WRITE})
def patch_order(request: HttpRequest, id: int, payload: OrderPatch) -> Order:
    """Change a draft, unlocked order."""
    membership = _membership(request)
    order = _order(membership, id)
    require_perm(membership, CHANGE, "order")
    _call(
        svc.update_order,
        membership,
        order=order,
        data=_header(membership, payload.dict(exclude_unset=True)),
        lines=_line_rows(payload.lines) if "lines" in payload.model_fields_set else None,
        expected_version=payload.version,
    )
    return _order(membership, id)


@router.delete("/orders/{id}", response={204: None, **WRITE})
def delete_order(request: HttpRequest, id: int) -> Status[None]:
    """Move a draft, unlocked order to the recycle bin."""
    membership = _membership(request)
    order = _order(membership, id)
    require_perm(membership, DELETE, "order")
    svc.delete_order(membership, order=order)
    return Status(204, None)


@router.post("/orders/{id}/confirm", response={200: OrderConfirmOut, **WRITE})
def confirm_order(request: HttpRequest, id: int, payload: DocumentVersionIn) -> dict[str, Any]:
    """Confirm a draft order: the credit check (a warning, or 409 when the organisation
    blocks), stock reservation for a pre-order (422 when stock is short), the big-deal
    alert."""
    membership = _membership(request)
    order = _order(membership, id)
    require_perm(membership, CHANGE, "order")
    result = _call(svc.confirm_order, membership, order=order, expected_version=payload.version)
    return {"order": _order(membership, id), "warnings": result.warnings}


@router.post("/orders/{id}/cancel", response={200: OrderOut, **WRITE})
def cancel_order(request: HttpRequest, id: int, payload: OrderCancelIn) -> Order:
    """Cancel with a reason; refused for a locked order or one with posted deliveries."""
    membership = _membership(request)
    order = _order(membership, id)
    require_perm(membership, CHANGE, "order")
    _call(
        svc.cancel_order,
        membership,
        order=order,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return _order(membership, id)


@router.post("/orders/{id}/split", response={201: OrderSplitOut, **WRITE})
def split_order(request: HttpRequest, id: int, payload: OrderSplitIn) -> Status[dict[str, Any]]:
    """Move quantities of lines (`line_id`, `quantity`) into a new order."""
    membership = _membership(request)
    order = _order(membership, id)
    require_perm(membership, CHANGE, "order")
    require_perm(membership, ADD, "order")
    quantities: dict[Any, Any] = {}
    for line in payload.lines:
        quantities[line.line_id] = quantities.get(line.line_id, Decimal("0")) + line.quantity
    new = _call(
        svc.split_order,
        membership,
        order=order,
        quantities=quantities,
        expected_version=payload.version,
    )
    return Status(201, {"order": _order(membership, id), "new_order": _order(membership, new.pk)})


@router.post("/orders/{id}/lock", response={200: OrderOut, **WRITE})
def lock_order(request: HttpRequest, id: int, payload: DocumentVersionIn) -> Order:
    """Lock: no edit, cancel or delete until unlocked."""
    membership = _membership(request)
    order = _order(membership, id)
    require_perm(membership, CHANGE, "order")
    svc.set_order_lock(membership, order=order, locked=True, expected_version=payload.version)
    return _order(membership, id)


@router.post("/orders/{id}/unlock", response={200: OrderOut, **WRITE})
def unlock_order(request: HttpRequest, id: int, payload: DocumentVersionIn) -> Order:
    membership = _membership(request)
    order = _order(membership, id)
    require_perm(membership, CHANGE, "order")
    svc.set_order_lock(membership, order=order, locked=False, expected_version=payload.version)
    return _order(membership, id)


@router.get(
    "/orders/{id}/pdf",
    response={200: None, **error_responses(*AUTH_ERRORS, 404, 422, 503)},
    openapi_extra=PDF_RESPONSE,
)
def order_pdf(request: HttpRequest, id: int) -> HttpResponse:
    return _pdf_response(_order(_membership(request), id))


# --- purchase orders ------------------------------------------------------------------------


@router.get(
    "/purchase-orders",
    response={200: list[PurchaseOrderSummaryOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate(SortedKeysetPagination, sorts=sel.PURCHASE_ORDER_SORTS)
def list_purchase_orders(
    request: HttpRequest, filters: Query[PurchaseOrderFilterIn]
) -> QuerySet[PurchaseOrder]:
    membership = _membership(request)
    require_perm(membership, VIEW, "purchase_order")
    return sel.purchase_order_list(
        membership,
        sel.DocumentFilters(
            q=filters.q or "",
            status=filters.status or "",
            party=filters.supplier,
            date_from=filters.date_from,
            date_to=filters.date_to,
            mine=filters.mine,
        ),
    )


@router.post(
    "/purchase-orders", response={201: PurchaseOrderOut, **error_responses(*AUTH_ERRORS, 422)}
)
def create_purchase_order(request: HttpRequest, payload: PurchaseOrderIn) -> Status[PurchaseOrder]:
    membership = _membership(request)
    require_perm(membership, ADD, "purchase_order")
    data = _header(membership, payload.dict(exclude_unset=True), role="supplier")
    supplier = data.pop("supplier")
    po = _call(
        svc.create_purchase_order,
        membership,
        supplier,
        _line_rows(payload.lines, purchase=True) or [],
        data=data,
    )
    return Status(201, _po(membership, po.pk))


@router.get("/purchase-orders/{id}", response={200: PurchaseOrderOut, **READ})
def get_purchase_order(request: HttpRequest, id: int) -> PurchaseOrder:
    return _po(_membership(request), id)


@router.patch("/purchase-orders/{id}", response={200: PurchaseOrderOut, **WRITE})
def patch_purchase_order(
    request: HttpRequest, id: int, payload: PurchaseOrderPatch
) -> PurchaseOrder:
    membership = _membership(request)
    po = _po(membership, id)
    require_perm(membership, CHANGE, "purchase_order")
    lines = payload.lines if "lines" in payload.model_fields_set else None
    _call(
        svc.update_purchase_order,
        membership,
        purchase_order=po,
        data=_header(membership, payload.dict(exclude_unset=True), role="supplier"),
        lines=_line_rows(lines, purchase=True) if lines is not None else None,
        expected_version=payload.version,
    )
    return _po(membership, id)


@router.delete("/purchase-orders/{id}", response={204: None, **WRITE})
def delete_purchase_order(request: HttpRequest, id: int) -> Status[None]:
    membership = _membership(request)
    po = _po(membership, id)
    require_perm(membership, DELETE, "purchase_order")
    svc.delete_purchase_order(membership, purchase_order=po)
    return Status(204, None)


@router.post("/purchase-orders/{id}/confirm", response={200: PurchaseOrderOut, **WRITE})
def confirm_purchase_order(
    request: HttpRequest, id: int, payload: DocumentVersionIn
) -> PurchaseOrder:
    membership = _membership(request)
    po = _po(membership, id)
    require_perm(membership, CHANGE, "purchase_order")
    svc.confirm_purchase_order(membership, purchase_order=po, expected_version=payload.version)
    return _po(membership, id)


@router.post("/purchase-orders/{id}/cancel", response={200: PurchaseOrderOut, **WRITE})
def cancel_purchase_order(
    request: HttpRequest, id: int, payload: DocumentVersionIn
) -> PurchaseOrder:
    membership = _membership(request)
    po = _po(membership, id)
    require_perm(membership, CHANGE, "purchase_order")
    svc.cancel_purchase_order(membership, purchase_order=po, expected_version=payload.version)
    return _po(membership, id)


@router.get(
    "/purchase-orders/{id}/pdf",
    response={200: None, **error_responses(*AUTH_ERRORS, 404, 422, 503)},
    openapi_extra=PDF_RESPONSE,
)
def purchase_order_pdf(request: HttpRequest, id: int) -> HttpResponse:
    return _pdf_response(_po(_membership(request), id))
