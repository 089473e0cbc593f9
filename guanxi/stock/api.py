"""REST API of the stock app: warehouses, stock documents (drafts, post, reverse, correct,
drafts made from orders, purchase orders and documents to return against), stock levels,
the stock ledger, serial-numbered units and reorder suggestions.

Same rules as the pages, through the same services and selectors: a document the caller
may not see is a 404; a customer, supplier, order or document they may not use, a
product of another organisation or a voided one, a negative quantity or a discount over
100% is a 422 with field paths (`lines.0.quantity`) and nothing is written; posting a
document that cannot be posted (empty, not enough stock, serial numbers missing) is a
422; reversing a document twice is a 409; an edit from an old `version` is a 409.
"""

import datetime
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.api.pagination import paginate_keyset
from guanxi.catalog.models import ProductCategory
from guanxi.core.exceptions import StaleEdit
from guanxi.core.permissions import (
    ADD,
    CHANGE,
    DELETE,
    POST,
    VIEW,
    get_visible_or_404,
    require_perm,
    visible,
)
from guanxi.parties.selectors import visible_parties
from guanxi.sales.models import Order, PurchaseOrder
from guanxi.stock import selectors, services
from guanxi.stock.models import SerialUnit, StockDocument, StockLedgerEntry, StockLevel, Warehouse
from guanxi.stock.posting import correct_document, post_document, reverse_document
from guanxi.stock.reorder import create_purchase_orders

router = Router(tags=["stock"])

DOCUMENT = "stock_document"
WAREHOUSE = "warehouse"
READ = error_responses(*AUTH_ERRORS, 404)
WRITE = error_responses(*AUTH_ERRORS, 404, 409, 422)


def _literal(values: Any) -> Any:
    return Literal[tuple(values)]


if TYPE_CHECKING:
    DocumentKind = str
    DocumentStatus = str
    SerialStatus = str
else:
    DocumentKind = _literal(StockDocument.Kind.values)
    DocumentStatus = _literal(StockDocument.Status.values)
    SerialStatus = _literal(SerialUnit.Status.values)


# --- schemas ------------------------------------------------------------------------------


class StockRefOut(Schema):
    id: int
    name: str


class StockProductRefOut(Schema):
    id: int
    code: str
    name: str
    unit: str


class StockDocumentRefOut(Schema):
    id: int
    number: str


class WarehouseOut(Schema):
    id: int
    code: str
    name: str
    address: str
    is_default: bool
    is_active: bool
    version: int = Field(description="Send back with an edit (optimistic locking).")


class WarehouseIn(Schema):
    code: str = Field(max_length=20)
    name: str = Field(max_length=100)
    address: str = Field("", max_length=200)
    is_default: bool = False


class WarehousePatch(Schema):
    version: int
    code: str | None = Field(None, max_length=20)
    name: str | None = Field(None, max_length=100)
    address: str | None = Field(None, max_length=200)
    is_default: bool | None = None
    is_active: bool | None = Field(
        None, description="false deactivates (refused while it holds stock)."
    )


class StockLineOut(Schema):
    id: int
    position: int
    product: StockProductRefOut
    description: str
    quantity: Decimal = Field(description="Signed on adjustments and reversals.")
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    unit_cost: Decimal = Field(description="The cost the posting used (moving average).")
    serials: list[str]
    order_line_id: int | None
    purchase_order_line_id: int | None
    source_line_id: int | None = Field(description="On a return: the line it takes back.")


class StockDocumentSummaryOut(Schema):
    id: int
    number: str
    kind: DocumentKind
    status: DocumentStatus
    date: datetime.date
    party: StockRefOut | None = Field(description="The customer or supplier.")
    warehouse: StockRefOut
    to_warehouse: StockRefOut | None
    total: Decimal
    order_id: int | None
    purchase_order_id: int | None
    return_of_id: int | None
    reverses_id: int | None
    corrects_id: int | None
    version: int


class StockDocumentOut(StockDocumentSummaryOut):
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    due_date: datetime.date | None
    notes: str
    posted_at: datetime.datetime | None
    lines: list[StockLineOut]

    @staticmethod
    def resolve_lines(obj: StockDocument) -> list[Any]:
        return selectors.document_lines(obj)


class StockLineIn(Schema):
    product_id: int
    quantity: Decimal = Field(
        description="Above zero; on adjustments the signed change (−2: two short)."
    )
    unit_price: Decimal | None = Field(
        None, description="Without tax; defaults to the list price (sales) or cost (purchases)."
    )
    discount_percent: Decimal | None = None
    tax_rate: Decimal | None = Field(None, description="Defaults to the product's rate.")
    description: str = Field("", max_length=200)
    serials: list[str] = Field(
        default_factory=list, description="One per unit, for serial-numbered products."
    )
    order_line_id: int | None = None
    purchase_order_line_id: int | None = None
    source_line_id: int | None = Field(None, description="On a return: the line it takes back.")


class _HeaderFields(Schema):
    date: datetime.date | None = None
    party_id: int | None = Field(None, description="The customer or supplier.")
    warehouse_id: int | None = Field(None, description="Defaults to the default warehouse.")
    to_warehouse_id: int | None = Field(None, description="Transfers: where the stock goes.")
    due_date: datetime.date | None = None
    notes: str | None = Field(None, max_length=5000)


class StockDocumentIn(_HeaderFields):
    kind: DocumentKind
    order_id: int | None = None
    purchase_order_id: int | None = None
    return_of_id: int | None = Field(None, description="Returns: the delivery or receipt.")
    lines: list[StockLineIn] = Field(default_factory=list)


class StockDocumentPatch(_HeaderFields):
    version: int
    lines: list[StockLineIn] | None = Field(None, description="When given, replace the lines.")


class ReverseIn(Schema):
    reason: str = Field(min_length=1, max_length=500)
    date: datetime.date | None = Field(None, description="Defaults to today.")


class CorrectIn(_HeaderFields):
    version: int = Field(description="The posted document's version.")
    reason: str = Field(min_length=1, max_length=500)
    lines: list[StockLineIn]


class FromSourceIn(Schema):
    warehouse_id: int | None = None
    date: datetime.date | None = None


class StockLevelOut(Schema):
    product: StockProductRefOut
    warehouse: StockRefOut
    on_hand: Decimal
    reserved: Decimal = Field(description="Held for pre-orders.")
    available: Decimal = Field(description="On hand − reserved.")
    average_cost: Decimal = Field(description="Moving-average unit cost.")
    value: Decimal = Field(description="On hand × average cost.")

    @staticmethod
    def resolve_value(obj: StockLevel) -> Decimal:
        return Decimal(obj.stock_value).quantize(Decimal("0.01"))  # type: ignore[attr-defined]


class LedgerEntryOut(Schema):
    id: int
    date: datetime.date
    kind: DocumentKind
    document: StockDocumentRefOut | None = Field(
        description="null when the caller may not see the document."
    )
    product: StockProductRefOut
    warehouse: StockRefOut
    party: StockRefOut | None
    quantity: Decimal = Field(description="+ in, − out.")
    unit_cost: Decimal
    value: Decimal
    sales_amount: Decimal = Field(description="Net sales or purchase amount, without tax.")

    @staticmethod
    def resolve_document(obj: StockLedgerEntry) -> Any:
        return obj.document if getattr(obj, "document_visible", False) else None

    @staticmethod
    def resolve_party(obj: StockLedgerEntry) -> Any:
        return obj.party if getattr(obj, "document_visible", False) else None


class SerialUnitOut(Schema):
    id: int
    serial: str
    product: StockProductRefOut
    status: SerialStatus
    warehouse: StockRefOut | None
    supplier: StockRefOut | None
    customer: StockRefOut | None
    received_on: datetime.date | None
    sale_date: datetime.date | None
    warranty_type: str
    warranty_end: datetime.date | None


class SerialHistoryOut(Schema):
    date: datetime.date
    label: str
    detail: str
    url: str | None


class SerialUnitDetailOut(SerialUnitOut):
    history: list[SerialHistoryOut]


class ReorderOut(Schema):
    product: StockProductRefOut
    on_hand: Decimal
    reserved: Decimal
    on_order: Decimal = Field(description="Still to come on open purchase orders.")
    available: Decimal = Field(description="On hand − reserved + on order.")
    reorder_level: Decimal
    suggested: Decimal
    preferred_supplier: StockRefOut | None

    @staticmethod
    def resolve_product(obj: Any) -> Any:
        return obj

    @staticmethod
    def resolve_available(obj: Any) -> Decimal:
        return Decimal(obj.available_qty)


class ReorderLineIn(Schema):
    product_id: int
    quantity: Decimal
    supplier_id: int | None = Field(None, description="Defaults to the preferred supplier.")


class ReorderOrdersIn(Schema):
    lines: list[ReorderLineIn] = Field(min_length=1)


class CreatedPurchaseOrderOut(Schema):
    id: int
    number: str
    supplier: StockRefOut
    total: Decimal


# --- helpers ------------------------------------------------------------------------------


def _membership(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


_RENAMES = {
    "party": "party_id",
    "warehouse": "warehouse_id",
    "to_warehouse": "to_warehouse_id",
    "order": "order_id",
    "purchase_order": "purchase_order_id",
    "return_of": "return_of_id",
}
_LINE_RENAMES = {
    "product": "product_id",
    "order_line": "order_line_id",
    "purchase_order_line": "purchase_order_line_id",
    "source_line": "source_line_id",
    "supplier": "supplier_id",
}


def _renamed(error: ValidationError) -> ValidationError:
    result: dict[str, list[str]] = {}
    for name, messages in error.message_dict.items():
        match = re.match(r"^lines\.(\d+)\.(\w+)$", name)
        if match:
            field = _LINE_RENAMES.get(match.group(2), match.group(2))
            name = f"lines.{match.group(1)}.{field}"
        result.setdefault(_RENAMES.get(name, name), []).extend(messages)
    return ValidationError(result)


def _call(func: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise _renamed(error) from error
        raise


def _rows(lines: list[StockLineIn] | None) -> list[dict[str, Any]] | None:
    if lines is None:
        return None
    rows = []
    for line in lines:
        row: dict[str, Any] = {
            "product": line.product_id,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "tax_rate": line.tax_rate,
            "description": line.description,
            "serials": line.serials,
        }
        for key in ("order_line", "purchase_order_line", "source_line"):
            value = getattr(line, f"{key}_id")
            if value is not None:
                row[key] = value
        rows.append(row)
    return rows


def _header(membership: Any, body: dict[str, Any]) -> dict[str, Any]:
    """The service's header data from an API body; references the caller may not use are
    field errors (the same as references that do not exist)."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    for key in ("kind", "date", "due_date"):
        if key in body:
            data[key] = body[key]
    if "notes" in body:
        data["notes"] = body["notes"] or ""
    for key in ("warehouse", "to_warehouse"):
        if f"{key}_id" in body:
            data[key] = body[f"{key}_id"]
    if "party_id" in body:
        party_id = body["party_id"]
        if (
            party_id is not None
            and not visible_parties(membership, None).filter(pk=party_id).exists()
        ):
            errors["party_id"] = [_("Choose a customer or supplier you can see.")]
        data["party"] = party_id
    refs = (
        ("order", Order.objects.all(), "order"),
        ("purchase_order", PurchaseOrder.objects.all(), "purchase_order"),
        ("return_of", StockDocument.objects.all(), DOCUMENT),
    )
    for key, queryset, type_key in refs:
        if f"{key}_id" in body:
            value = body[f"{key}_id"]
            if (
                value is not None
                and not visible(queryset, membership, type_key).filter(pk=value).exists()
            ):
                errors[f"{key}_id"] = [_("Choose a document you can see.")]
            data[key] = value
    if errors:
        raise ValidationError(errors)
    return data


def _document(membership: Any, pk: int) -> StockDocument:
    return selectors.get_document_for_user(membership, pk)


# --- warehouses ---------------------------------------------------------------------------


@router.get(
    "/stock/warehouses",
    response={200: list[WarehouseOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset(*selectors.WAREHOUSE_ORDER)
def list_warehouses(request: HttpRequest) -> QuerySet[Warehouse]:
    """The organisation's warehouses (the default one is created when there is none)."""
    membership = _membership(request)
    require_perm(membership, VIEW, WAREHOUSE)
    services.ensure_default_warehouse(membership.org_id)
    return selectors.warehouses(membership.org_id)


@router.post(
    "/stock/warehouses", response={201: WarehouseOut, **error_responses(*AUTH_ERRORS, 422)}
)
def create_warehouse(request: HttpRequest, payload: WarehouseIn) -> Status[Warehouse]:
    membership = _membership(request)
    require_perm(membership, ADD, WAREHOUSE)
    warehouse = services.create_warehouse(
        org=membership.org_id, actor=membership.user, data=payload.dict()
    )
    return Status(201, warehouse)


@router.get("/stock/warehouses/{id}", response={200: WarehouseOut, **READ})
def get_warehouse(request: HttpRequest, id: int) -> Warehouse:
    membership = _membership(request)
    require_perm(membership, VIEW, WAREHOUSE)
    return selectors.get_warehouse(membership.org_id, id)


@router.patch("/stock/warehouses/{id}", response={200: WarehouseOut, **WRITE})
def patch_warehouse(request: HttpRequest, id: int, payload: WarehousePatch) -> Warehouse:
    membership = _membership(request)
    require_perm(membership, VIEW, WAREHOUSE)
    warehouse = selectors.get_warehouse(membership.org_id, id)
    require_perm(membership, CHANGE, WAREHOUSE)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    return services.update_warehouse(
        warehouse=warehouse, actor=membership.user, data=data, expected_version=version
    )


# --- documents ----------------------------------------------------------------------------


class DocumentFilterIn(Schema):
    kind: DocumentKind | None = None
    status: DocumentStatus | None = None
    q: str | None = Field(None, description="Number, customer or supplier name, notes.")
    party: int | None = None
    warehouse: int | None = None
    order: int | None = None
    purchase_order: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


@router.get(
    "/stock/documents",
    response={200: list[StockDocumentSummaryOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset(*selectors.DOCUMENT_ORDER)
def list_documents(
    request: HttpRequest, filters: Query[DocumentFilterIn]
) -> QuerySet[StockDocument]:
    """The stock documents the caller may see, newest first."""
    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    return selectors.filtered_documents(
        membership,
        selectors.DocumentFilters(
            kind=filters.kind,
            status=filters.status,
            q=filters.q or "",
            party_id=filters.party,
            warehouse_id=filters.warehouse,
            order_id=filters.order,
            purchase_order_id=filters.purchase_order,
            date_from=filters.date_from,
            date_to=filters.date_to,
        ),
    )


@router.post(
    "/stock/documents", response={201: StockDocumentOut, **error_responses(*AUTH_ERRORS, 422)}
)
def create_document(request: HttpRequest, payload: StockDocumentIn) -> Status[StockDocument]:
    """Create a draft (numbered now). Post it with `POST /stock/documents/{id}/post`."""
    membership = _membership(request)
    require_perm(membership, ADD, DOCUMENT)
    body = payload.dict(exclude_unset=True)
    body["kind"] = payload.kind
    data = _header(membership, body)
    document = _call(
        services.create_draft,
        org=membership.org_id,
        user=membership.user,
        data=data,
        lines=_rows(payload.lines) or [],
    )
    return Status(201, _document(membership, document.pk))


@router.get("/stock/documents/{id}", response={200: StockDocumentOut, **READ})
def get_document(request: HttpRequest, id: int) -> StockDocument:
    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    return _document(membership, id)


@router.patch("/stock/documents/{id}", response={200: StockDocumentOut, **WRITE})
def patch_document(request: HttpRequest, id: int, payload: StockDocumentPatch) -> StockDocument:
    """Change a draft; `lines`, when given, replace its lines. A posted document is
    corrected instead (409 here)."""
    membership = _membership(request)
    document = _document(membership, id)
    require_perm(membership, CHANGE, DOCUMENT)
    body = payload.dict(exclude_unset=True)
    body.pop("lines", None)
    version = body.pop("version")
    _call(
        services.update_draft,
        document=document,
        user=membership.user,
        data=_header(membership, body),
        lines=_rows(payload.lines) if "lines" in payload.model_fields_set else None,
        expected_version=version,
    )
    return _document(membership, id)


@router.delete("/stock/documents/{id}", response={204: None, **WRITE})
def delete_document(request: HttpRequest, id: int) -> Status[None]:
    """Delete a draft (posted documents are reversed, never deleted)."""
    membership = _membership(request)
    document = _document(membership, id)
    require_perm(membership, DELETE, DOCUMENT)
    services.delete_draft(document=document, user=membership.user)
    return Status(204, None)


@router.post("/stock/documents/{id}/post", response={200: StockDocumentOut, **WRITE})
def post_stock_document(request: HttpRequest, id: int) -> StockDocument:
    """Post (过帐) a draft: stock ledger, levels, serial numbers and the party ledger in
    one transaction. Posting a posted document changes nothing."""
    membership = _membership(request)
    document = _document(membership, id)
    require_perm(membership, POST, DOCUMENT)
    _call(post_document, document, user=membership.user)
    return _document(membership, id)


@router.post("/stock/documents/{id}/reverse", response={201: StockDocumentOut, **WRITE})
def reverse_stock_document(
    request: HttpRequest, id: int, payload: ReverseIn
) -> Status[StockDocument]:
    """Reverse a posted document: answers the new reversal document."""
    membership = _membership(request)
    document = _document(membership, id)
    require_perm(membership, POST, DOCUMENT)
    reversal = _call(
        reverse_document, document, user=membership.user, reason=payload.reason, on=payload.date
    )
    return Status(201, _document(membership, reversal.pk))


@router.post("/stock/documents/{id}/correct", response={201: StockDocumentOut, **WRITE})
def correct_stock_document(
    request: HttpRequest, id: int, payload: CorrectIn
) -> Status[StockDocument]:
    """ "Edit" a posted document: reverse it and post the corrected copy (answered)."""
    membership = _membership(request)
    document = _document(membership, id)
    require_perm(membership, POST, DOCUMENT)
    if payload.version != document.version:
        raise StaleEdit()
    body = payload.dict(exclude_unset=True)
    for key in ("version", "reason", "lines"):
        body.pop(key, None)
    correction = _call(
        correct_document,
        document,
        user=membership.user,
        lines=_rows(payload.lines) or [],
        header=_header(membership, body),
        reason=payload.reason,
    )
    return Status(201, _document(membership, correction.pk))


@router.post("/stock/documents/from-order/{order_id}", response={201: StockDocumentOut, **WRITE})
def delivery_from_order(
    request: HttpRequest, order_id: int, payload: FromSourceIn
) -> Status[StockDocument]:
    """A draft delivery of everything not yet delivered on a confirmed order."""
    membership = _membership(request)
    require_perm(membership, ADD, DOCUMENT)
    order = get_visible_or_404(Order.objects.all(), membership, "order", pk=order_id)
    warehouse = (
        selectors.get_warehouse(membership.org_id, payload.warehouse_id)
        if payload.warehouse_id
        else None
    )
    document = _call(
        services.create_delivery_from_order,
        order=order,
        user=membership.user,
        warehouse=warehouse,
        date=payload.date,
    )
    return Status(201, _document(membership, document.pk))


@router.post(
    "/stock/documents/from-purchase-order/{purchase_order_id}",
    response={201: StockDocumentOut, **WRITE},
)
def receipt_from_purchase_order(
    request: HttpRequest, purchase_order_id: int, payload: FromSourceIn
) -> Status[StockDocument]:
    """A draft receipt of everything not yet received on a confirmed purchase order."""
    membership = _membership(request)
    require_perm(membership, ADD, DOCUMENT)
    po = get_visible_or_404(
        PurchaseOrder.objects.all(), membership, "purchase_order", pk=purchase_order_id
    )
    warehouse = (
        selectors.get_warehouse(membership.org_id, payload.warehouse_id)
        if payload.warehouse_id
        else None
    )
    document = _call(
        services.create_receipt_from_purchase_order,
        purchase_order=po,
        user=membership.user,
        warehouse=warehouse,
        date=payload.date,
    )
    return Status(201, _document(membership, document.pk))


@router.post("/stock/documents/{id}/return", response={201: StockDocumentOut, **WRITE})
def return_document(request: HttpRequest, id: int, payload: FromSourceIn) -> Status[StockDocument]:
    """A draft sales return of a posted delivery (or purchase return of a receipt) with
    everything still returnable."""
    membership = _membership(request)
    source = _document(membership, id)
    require_perm(membership, ADD, DOCUMENT)
    document = _call(
        services.create_return_of, source=source, user=membership.user, date=payload.date
    )
    return Status(201, _document(membership, document.pk))


# --- stock levels and the ledger -----------------------------------------------------------


class LevelFilterIn(Schema):
    warehouse: int | None = None
    product: int | None = None
    category: int | None = Field(None, description="A product category, with its sub-categories.")
    q: str | None = None
    include_zero: bool = False


@router.get(
    "/stock/levels",
    response={200: list[StockLevelOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset(*selectors.LEVEL_ORDER)
def list_levels(request: HttpRequest, filters: Query[LevelFilterIn]) -> QuerySet[StockLevel]:
    """Stock on hand per product and warehouse, with reserved, available and value."""
    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    category = None
    if filters.category is not None:
        category = ProductCategory.objects.filter(
            org_id=membership.org_id, pk=filters.category
        ).first()
        if category is None:
            raise ValidationError({"category": [_("Choose a category of your organisation.")]})
    return selectors.stock_levels(
        membership.org_id,
        selectors.LevelFilters(
            warehouse_id=filters.warehouse,
            product_id=filters.product,
            category=category,
            q=filters.q or "",
            nonzero=not filters.include_zero,
        ),
    )


class LedgerFilterIn(Schema):
    product: int | None = None
    warehouse: int | None = None
    party: int | None = None
    kind: DocumentKind | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


@router.get(
    "/stock/ledger",
    response={200: list[LedgerEntryOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset(*selectors.LEDGER_ORDER)
def list_ledger(request: HttpRequest, filters: Query[LedgerFilterIn]) -> QuerySet[StockLedgerEntry]:
    """The stock ledger, newest first: every movement with its document (when the caller
    may see it)."""
    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    visible_docs = selectors.visible_documents(membership).filter(pk=OuterRef("document_id"))
    return selectors.ledger_entries(
        membership.org_id,
        selectors.LedgerFilters(
            product_id=filters.product,
            warehouse_id=filters.warehouse,
            party_id=filters.party,
            kind=filters.kind,
            date_from=filters.date_from,
            date_to=filters.date_to,
        ),
    ).annotate(document_visible=Exists(visible_docs))


# --- serial-numbered units -------------------------------------------------------------------


class SerialFilterIn(Schema):
    q: str | None = Field(None, description="Serial number (prefix for 1–2 characters).")
    product: int | None = None
    status: SerialStatus | None = None
    party: int | None = Field(None, description="Supplier or customer.")


@router.get(
    "/stock/serials",
    response={200: list[SerialUnitOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset(*selectors.SERIAL_ORDER)
def list_serials(request: HttpRequest, filters: Query[SerialFilterIn]) -> QuerySet[SerialUnit]:
    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    return selectors.serial_units(
        membership.org_id,
        selectors.SerialFilters(
            q=filters.q or "",
            product_id=filters.product,
            status=filters.status,
            party_id=filters.party,
        ),
    )


@router.get("/stock/serials/{id}", response={200: SerialUnitDetailOut, **READ})
def get_serial(request: HttpRequest, id: int) -> dict[str, Any]:
    """One unit with its whole history (documents, and what other apps add: repairs …)."""
    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    unit = selectors.get_serial_unit(membership.org_id, id)
    history = [
        {"date": item.date, "label": str(item.label), "detail": item.detail, "url": item.url}
        for item in selectors.serial_history(unit, membership)
    ]
    return {**SerialUnitOut.from_orm(unit).dict(), "history": history}


# --- reorder suggestions -----------------------------------------------------------------------


class ReorderFilterIn(Schema):
    category: int | None = None
    q: str | None = None


@router.get(
    "/stock/reorder-suggestions",
    response={200: list[ReorderOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset(*selectors.REORDER_ORDER)
def list_reorder_suggestions(request: HttpRequest, filters: Query[ReorderFilterIn]) -> Any:
    """Products at or below their reorder level, with the suggested order quantity."""
    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    category = None
    if filters.category is not None:
        category = ProductCategory.objects.filter(
            org_id=membership.org_id, pk=filters.category
        ).first()
        if category is None:
            raise ValidationError({"category": [_("Choose a category of your organisation.")]})
    return selectors.reorder_candidates(membership.org_id, category=category, q=filters.q or "")


@router.post(
    "/stock/reorder-suggestions/purchase-orders",
    response={201: list[CreatedPurchaseOrderOut], **error_responses(*AUTH_ERRORS, 422)},
)
def order_suggestions(request: HttpRequest, payload: ReorderOrdersIn) -> Status[list[Any]]:
    """Draft purchase orders for the selected lines, one per supplier."""
    membership = _membership(request)
    require_perm(membership, ADD, "purchase_order")
    rows = [
        {"product": line.product_id, "quantity": line.quantity, "supplier": line.supplier_id}
        for line in payload.lines
    ]
    created = _call(create_purchase_orders, membership, rows)
    return Status(
        201,
        [
            {"id": po.pk, "number": po.number, "supplier": po.supplier, "total": po.total}
            for po in created
        ],
    )
