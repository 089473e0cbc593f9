"""Business operations on warehouses and draft stock documents. Posting, reversal and
correction live in `guanxi.stock.posting`; reservations in `guanxi.stock.reservations`.

Pages, the API and the demo seeder call these functions, so the same rules hold
whichever way a document is written.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from guanxi.catalog.models import Product
from guanxi.core.exceptions import DomainError
from guanxi.core.models import Organisation
from guanxi.core.numbering import next_number
from guanxi.core.scoping import org_pk, org_scope
from guanxi.core.versioning import save_versioned
from guanxi.parties.models import Party
from guanxi.sales.models import Order, OrderLine, PurchaseOrder, PurchaseOrderLine
from guanxi.sales.pricing import document_totals, line_errors, price_line, to_decimal
from guanxi.stock.models import StockDocument, StockDocumentLine, StockLevel, Warehouse
from guanxi.stock.posting import (
    PARTY_ROLE,
    PRICED_KINDS,
    PostingRefused,
    org_today,
    product_errors,
    serial_list,
)

Kind = StockDocument.Kind
Status = StockDocument.Status
ZERO = Decimal("0")

DEFAULT_WAREHOUSE_CODE = "WH01"
DEFAULT_WAREHOUSE_NAME = "主仓库"

# What a return takes back: the kind of document it is made against.
RETURN_OF_KIND: dict[str, str] = {
    Kind.SALES_RETURN: Kind.SALES_DELIVERY,
    Kind.PURCHASE_RETURN: Kind.PURCHASE_RECEIPT,
}

HEADER_FIELDS: frozenset[str] = frozenset(
    {
        "kind",
        "date",
        "party",
        "warehouse",
        "to_warehouse",
        "order",
        "purchase_order",
        "return_of",
        "due_date",
        "notes",
        "owner",
    }
)
LINE_FIELDS: frozenset[str] = frozenset(
    {
        "id",
        "product",
        "description",
        "quantity",
        "unit_price",
        "discount_percent",
        "tax_rate",
        "serials",
        "order_line",
        "purchase_order_line",
        "source_line",
    }
)


class WarehouseRefused(DomainError):
    status_code = 409
    code = "warehouse_refused"


# --- warehouses ----------------------------------------------------------------------


def ensure_default_warehouse(org: Organisation | int) -> Warehouse:
    """Return the organisation's default warehouse, creating "主仓库" when it has none.

    When warehouses exist but none is the default, the first active one becomes it.
    Safe to call concurrently: the one-default constraint settles a race.
    """
    with org_scope(org), transaction.atomic():
        current = Warehouse.objects.filter(is_default=True).first()
        if current is not None:
            return current
        candidate = Warehouse.objects.filter(is_active=True).order_by("code", "id").first()
        try:
            with transaction.atomic():
                if candidate is not None:
                    Warehouse.objects.filter(pk=candidate.pk).update(is_default=True)
                    candidate.is_default = True
                    return candidate
                code = DEFAULT_WAREHOUSE_CODE
                n = 1
                while Warehouse.objects.filter(code=code).exists():
                    n += 1
                    code = f"WH{n:02d}"
                return Warehouse.objects.create(
                    org_id=org_pk(org), code=code, name=DEFAULT_WAREHOUSE_NAME, is_default=True
                )
        except IntegrityError:
            return Warehouse.objects.get(is_default=True)


def _warehouse_errors(warehouse: Warehouse) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    warehouse.code = (warehouse.code or "").strip()
    warehouse.name = (warehouse.name or "").strip()
    warehouse.address = (warehouse.address or "").strip()
    if not warehouse.code:
        errors["code"] = [_("Enter a code.")]
    elif len(warehouse.code) > 20:
        errors["code"] = [_("Use at most 20 characters.")]
    elif Warehouse.objects.filter(code=warehouse.code).exclude(pk=warehouse.pk).exists():
        errors["code"] = [_("Another warehouse already has this code.")]
    if not warehouse.name:
        errors["name"] = [_("Enter a name.")]
    elif len(warehouse.name) > 100:
        errors["name"] = [_("Use at most 100 characters.")]
    if len(warehouse.address) > 200:
        errors["address"] = [_("Use at most 200 characters.")]
    return errors


def _make_default(warehouse: Warehouse) -> None:
    Warehouse.objects.filter(is_default=True).exclude(pk=warehouse.pk).update(is_default=False)


def create_warehouse(*, org: Organisation | int, actor: Any, data: Mapping[str, Any]) -> Warehouse:
    """Add a warehouse. `data`: code, name, address, is_default. Raise ValidationError."""
    with org_scope(org), transaction.atomic():
        warehouse = Warehouse(
            org_id=org_pk(org),
            code=str(data.get("code") or ""),
            name=str(data.get("name") or ""),
            address=str(data.get("address") or ""),
            is_default=bool(data.get("is_default")),
        )
        errors = _warehouse_errors(warehouse)
        if errors:
            raise ValidationError(errors)
        if warehouse.is_default:
            _make_default(warehouse)
        elif not Warehouse.objects.filter(is_default=True).exists():
            warehouse.is_default = True
        warehouse.save()
        return warehouse


def update_warehouse(
    *, warehouse: Warehouse, actor: Any, data: Mapping[str, Any], expected_version: int
) -> Warehouse:
    """Change a warehouse's code, name, address, default flag or active flag.

    The default warehouse cannot be deactivated or stop being the default (make another
    one the default instead); a warehouse holding stock cannot be deactivated.
    Raise ValidationError, StaleEdit.
    """
    with org_scope(warehouse.org_id), transaction.atomic():
        for key in ("code", "name", "address"):
            if key in data:
                setattr(warehouse, key, str(data[key] or ""))
        errors = _warehouse_errors(warehouse)
        was_default = Warehouse.objects.filter(pk=warehouse.pk, is_default=True).exists()
        if "is_default" in data:
            wants_default = bool(data["is_default"])
            if was_default and not wants_default:
                errors["is_default"] = [_("Make another warehouse the default instead.")]
            warehouse.is_default = wants_default or was_default
        if "is_active" in data:
            active = bool(data["is_active"])
            if not active:
                if warehouse.is_default:
                    errors["is_active"] = [_("The default warehouse cannot be deactivated.")]
                elif holds_stock(warehouse):
                    errors["is_active"] = [
                        _("This warehouse still holds stock; move it out first.")
                    ]
            warehouse.is_active = active
        if errors:
            raise ValidationError(errors)
        if warehouse.is_default and not was_default:
            _make_default(warehouse)
        return save_versioned(warehouse, expected_version=expected_version)


def holds_stock(warehouse: Warehouse) -> bool:
    return StockLevel.objects.filter(warehouse=warehouse).exclude(on_hand=0).exists()


def deactivate_warehouse(*, warehouse: Warehouse, actor: Any, expected_version: int) -> Warehouse:
    return update_warehouse(
        warehouse=warehouse,
        actor=actor,
        data={"is_active": False},
        expected_version=expected_version,
    )


# --- reading the input ---------------------------------------------------------------


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _fetch(model: Any, value: Any, org_id: int, manager: str = "objects") -> Any:
    """The org's row of `model` named by an instance or a key; None when not found."""
    if value in (None, ""):
        return None
    key = _pk(value)
    try:
        key = int(key)
    except (TypeError, ValueError):
        return None
    try:
        return getattr(model, manager).filter(org_id=org_id).get(pk=key)
    except model.DoesNotExist:
        return None


def _as_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _decimal(value: Any) -> Decimal | None:
    try:
        number = to_decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


# --- the header ----------------------------------------------------------------------


def _apply_header(
    document: StockDocument, data: Mapping[str, Any], errors: dict[str, list[str]]
) -> None:
    org_id = document.org_id
    kind = document.kind
    if "date" in data or document.date is None:
        day = _as_date(data.get("date")) if data.get("date") not in (None, "") else None
        if data.get("date") not in (None, "") and day is None:
            errors["date"] = [_("Enter a valid date.")]
        document.date = day or document.date or org_today(document.org)
    if "due_date" in data:
        raw = data.get("due_date")
        due = _as_date(raw)
        if raw not in (None, "") and due is None:
            errors["due_date"] = [_("Enter a valid date.")]
        document.due_date = due
    if "notes" in data:
        document.notes = str(data.get("notes") or "").strip()
    if "owner" in data and data["owner"] not in (None, ""):
        from guanxi.accounts.models import Membership

        owner_id = _pk(data["owner"])
        if not Membership.objects.filter(org_id=org_id, user_id=owner_id, is_active=True).exists():
            errors["owner"] = [_("Choose a member of your organisation.")]
        else:
            document.owner_id = owner_id
    if "warehouse" in data or document.warehouse_id is None:
        raw = data.get("warehouse")
        if raw in (None, ""):
            warehouse = ensure_default_warehouse(org_id)
        else:
            warehouse = _fetch(Warehouse, raw, org_id)
        if warehouse is None or not warehouse.is_active:
            errors["warehouse"] = [_("Choose an active warehouse of your organisation.")]
        else:
            document.warehouse = warehouse
    if kind == Kind.TRANSFER:
        if "to_warehouse" in data or document.to_warehouse_id is None:
            target = _fetch(Warehouse, data.get("to_warehouse"), org_id)
            if target is None or not target.is_active:
                errors["to_warehouse"] = [_("Choose the warehouse the stock goes to.")]
            elif document.warehouse_id == target.pk:
                errors["to_warehouse"] = [_("Choose a different warehouse to move the stock to.")]
            else:
                document.to_warehouse = target
    else:
        document.to_warehouse = None
    role = PARTY_ROLE.get(kind)
    if role is None:
        document.party = None
    elif "party" in data or document.party_id is None:
        party = _fetch(Party, data.get("party"), org_id)
        if party is None:
            errors["party"] = [
                _("Choose the customer.") if role == "customer" else _("Choose the supplier.")
            ]
        elif role == "customer" and not party.is_customer:
            errors["party"] = [_("%(party)s is not a customer.") % {"party": party.name}]
        elif role == "supplier" and not party.is_supplier:
            errors["party"] = [_("%(party)s is not a supplier.") % {"party": party.name}]
        else:
            document.party = party
    if "order" in data:
        order = None
        if data.get("order") not in (None, ""):
            order = _fetch(Order, data.get("order"), org_id)
            if kind not in {Kind.SALES_DELIVERY, Kind.SALES_RETURN}:
                errors["order"] = [_("Only deliveries and sales returns refer to an order.")]
            elif order is None:
                errors["order"] = [_("Choose an order of your organisation.")]
            elif order.status in {Order.Status.DRAFT, Order.Status.CANCELLED}:
                errors["order"] = [_("Only confirmed orders can be delivered or returned.")]
            elif document.party_id is not None and order.party_id != document.party_id:
                errors["order"] = [_("The order belongs to another customer.")]
        document.order = order
    if "purchase_order" in data:
        po = None
        if data.get("purchase_order") not in (None, ""):
            po = _fetch(PurchaseOrder, data.get("purchase_order"), org_id)
            if kind not in {Kind.PURCHASE_RECEIPT, Kind.PURCHASE_RETURN}:
                errors["purchase_order"] = [
                    _("Only purchase receipts and returns refer to a purchase order.")
                ]
            elif po is None:
                errors["purchase_order"] = [_("Choose a purchase order of your organisation.")]
            elif po.status in {PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.CANCELLED}:
                errors["purchase_order"] = [
                    _("Only confirmed purchase orders can be received or returned.")
                ]
            elif document.party_id is not None and po.supplier_id != document.party_id:
                errors["purchase_order"] = [_("The purchase order belongs to another supplier.")]
        document.purchase_order = po
    if "return_of" in data:
        source = None
        if data.get("return_of") not in (None, ""):
            source = _fetch(StockDocument, data.get("return_of"), org_id)
            expected = RETURN_OF_KIND.get(kind)
            if expected is None:
                errors["return_of"] = [_("Only returns are made against another document.")]
            elif source is None or source.kind != expected:
                errors["return_of"] = [
                    _("Choose a delivery to return.")
                    if kind == Kind.SALES_RETURN
                    else _("Choose a purchase receipt to return.")
                ]
            elif source.status != Status.POSTED:
                errors["return_of"] = [_("Only posted documents can be returned against.")]
            elif document.party_id is not None and source.party_id != document.party_id:
                errors["return_of"] = [_("That document belongs to another customer or supplier.")]
        document.return_of = source


# --- lines ---------------------------------------------------------------------------


def _prepare_lines(
    document: StockDocument, rows: Sequence[Mapping[str, Any]], errors: dict[str, list[str]]
) -> list[StockDocumentLine]:
    """Turn the caller's line dicts into priced, unsaved lines; add field errors
    ("lines.0.quantity") to `errors`."""
    org_id = document.org_id
    kind = document.kind
    priced = kind in PRICED_KINDS
    if not isinstance(rows, Sequence) or isinstance(rows, str | bytes):
        errors["lines"] = [_("Enter a list of lines.")]
        return []
    products = {
        p.pk: p
        for p in Product.all_objects.filter(
            org_id=org_id,
            pk__in=[
                _pk(r.get("product"))
                for r in rows
                if isinstance(r, Mapping) and str(_pk(r.get("product")) or "").isdigit()
            ],
        )
    }
    lines: list[StockDocumentLine] = []
    for index, row in enumerate(rows):
        prefix = f"lines.{index}"
        if not isinstance(row, Mapping):
            errors[prefix] = [_("Enter an object.")]
            continue
        unknown = set(row) - LINE_FIELDS
        if unknown:
            errors[prefix] = [
                _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
            ]
            continue
        raw_product = _pk(row.get("product"))
        product = products.get(int(raw_product)) if str(raw_product or "").isdigit() else None
        if product is None:
            errors[f"{prefix}.product"] = [_("Choose a product of your organisation.")]
            continue
        problems = product_errors(product, org_id)
        if problems:
            errors[f"{prefix}.product"] = problems
        if kind in {Kind.TRANSFER, Kind.ADJUSTMENT} and not product.is_stocked:
            errors.setdefault(f"{prefix}.product", []).append(
                _("%(product)s is not a stocked item.") % {"product": product}
            )
        line = StockDocumentLine(org_id=org_id, product=product, position=index)
        line.description = str(row.get("description") or "").strip()[:200]

        source: StockDocumentLine | None = None
        if row.get("source_line") not in (None, ""):
            source = _fetch(StockDocumentLine, row.get("source_line"), org_id)
            if (
                source is None
                or document.return_of_id is None
                or source.document_id != document.return_of_id
                or source.product_id != product.pk
            ):
                errors[f"{prefix}.source_line"] = [
                    _("This line is not on the document being returned.")
                ]
                source = None
        line.source_line = source

        quantity = _decimal(row.get("quantity"))
        if quantity is None:
            errors[f"{prefix}.quantity"] = [_("Enter a number.")]
            continue
        if kind == Kind.ADJUSTMENT:
            if quantity == 0:
                errors[f"{prefix}.quantity"] = [_("Enter the change: above or below zero.")]
        elif quantity <= 0:
            errors[f"{prefix}.quantity"] = [
                _("The quantity cannot be negative.")
                if quantity < 0
                else _("Enter a quantity above zero.")
            ]
        if priced:
            default_price = (
                source.unit_price
                if source is not None
                else (
                    product.list_price
                    if kind in {Kind.SALES_DELIVERY, Kind.SALES_RETURN}
                    else product.cost_price
                )
            )
            unit_price = row.get("unit_price")
            discount = row.get("discount_percent")
            tax_rate = row.get("tax_rate")
            unit_price = default_price if unit_price in (None, "") else unit_price
            if discount in (None, ""):
                discount = source.discount_percent if source is not None else ZERO
            if tax_rate in (None, ""):
                tax_rate = source.tax_rate if source is not None else product.tax_rate
        else:
            unit_price, discount, tax_rate = ZERO, ZERO, ZERO
        problems_by_field = line_errors(
            abs(quantity), unit_price, discount, tax_rate, allow_zero_quantity=True
        )
        for field, messages in problems_by_field.items():
            errors.setdefault(f"{prefix}.{field}", []).extend(messages)
        if problems_by_field:
            continue
        line.quantity = quantity
        line.unit_price = to_decimal(unit_price)
        line.discount_percent = to_decimal(discount)
        line.tax_rate = to_decimal(tax_rate)
        amounts = price_line(abs(quantity), unit_price, discount, tax_rate)
        sign = -1 if quantity < 0 else 1
        line.net_amount = sign * amounts.net
        line.tax_amount = sign * amounts.tax
        line.total_amount = sign * amounts.total
        line._amounts = amounts  # type: ignore[attr-defined]

        serials = serial_list(row.get("serials"))
        if serials and not (product.serial_tracked and product.is_stocked):
            errors[f"{prefix}.serials"] = [
                _("%(product)s is not tracked by serial number.") % {"product": product}
            ]
        elif len(set(serials)) != len(serials):
            errors[f"{prefix}.serials"] = [_("A serial number appears twice.")]
        elif any(len(s) > 80 for s in serials):
            errors[f"{prefix}.serials"] = [_("A serial number has at most 80 characters.")]
        line.serials = serials

        order_line = None
        if row.get("order_line") not in (None, ""):
            order_line = _fetch(OrderLine, row.get("order_line"), org_id)
            if (
                order_line is None
                or document.order_id is None
                or order_line.order_id != document.order_id
                or order_line.product_id != product.pk
            ):
                errors[f"{prefix}.order_line"] = [_("This line is not on the order.")]
                order_line = None
        elif source is not None:
            order_line = source.order_line
        line.order_line = order_line

        po_line = None
        if row.get("purchase_order_line") not in (None, ""):
            po_line = _fetch(PurchaseOrderLine, row.get("purchase_order_line"), org_id)
            if (
                po_line is None
                or document.purchase_order_id is None
                or po_line.purchase_order_id != document.purchase_order_id
                or po_line.product_id != product.pk
            ):
                errors[f"{prefix}.purchase_order_line"] = [
                    _("This line is not on the purchase order.")
                ]
                po_line = None
        elif source is not None:
            po_line = source.purchase_order_line
        line.purchase_order_line = po_line
        if order_line is not None and kind not in {Kind.SALES_DELIVERY, Kind.SALES_RETURN}:
            line.order_line = None
        if po_line is not None and kind not in {Kind.PURCHASE_RECEIPT, Kind.PURCHASE_RETURN}:
            line.purchase_order_line = None
        lines.append(line)
    return lines


def _set_totals(document: StockDocument, lines: Sequence[StockDocumentLine]) -> None:
    amounts = [line._amounts for line in lines]  # type: ignore[attr-defined]
    totals = document_totals(amounts)
    negative = document.kind == Kind.ADJUSTMENT
    if negative:
        # Adjustments carry no price: their totals stay zero.
        document.subtotal = document.discount_total = document.tax_total = document.total = ZERO
        return
    document.subtotal = totals.subtotal
    document.discount_total = totals.discount_total
    document.tax_total = totals.tax_total
    document.total = totals.total


def _write_lines(document: StockDocument, lines: Sequence[StockDocumentLine]) -> None:
    for position, line in enumerate(lines):
        line.document = document
        line.position = position
    StockDocumentLine.objects.bulk_create(lines)


def _check_unknown(data: Mapping[str, Any]) -> None:
    unknown = set(data) - HEADER_FIELDS
    if unknown:
        raise ValidationError(
            {"__all__": [_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}]}
        )


def build_draft(
    *,
    org: Organisation | int,
    user: Any,
    data: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]] = (),
    corrects: StockDocument | None = None,
) -> StockDocument:
    """Create a draft document (numbered now) with its priced lines.

    `data`: kind (required), date, party, warehouse, to_warehouse, order,
    purchase_order, return_of, due_date, notes, owner (instances or keys).
    Each line: product, quantity (signed for adjustments), unit_price, discount_percent,
    tax_rate, description, serials, order_line, purchase_order_line, source_line.
    Raise ValidationError with field keys ("party", "lines.0.quantity"); nothing is saved.
    """
    _check_unknown(data)
    with org_scope(org), transaction.atomic():
        organisation = org if isinstance(org, Organisation) else Organisation.objects.get(pk=org)
        kind = data.get("kind")
        if kind not in Kind.values:
            raise ValidationError({"kind": [_("Choose a kind of stock document.")]})
        document = StockDocument(org=organisation, kind=kind, status=Status.DRAFT)
        if getattr(user, "pk", None):
            document.owner_id = user.pk
        errors: dict[str, list[str]] = {}
        _apply_header(document, {**data}, errors)
        prepared = _prepare_lines(document, lines, errors)
        if errors:
            raise ValidationError(errors)
        _set_totals(document, prepared)
        document.corrects = corrects
        document.number = next_number(org=organisation, kind=kind, on=document.date)
        document.save()
        _write_lines(document, prepared)
        return document


def create_draft(
    *,
    org: Organisation | int,
    user: Any,
    data: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]] = (),
) -> StockDocument:
    """A new draft stock document; see `build_draft`."""
    return build_draft(org=org, user=user, data=data, lines=lines)


def update_draft(
    *,
    document: StockDocument,
    user: Any,
    data: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]] | None,
    expected_version: int,
) -> StockDocument:
    """Change a draft's header and (when `lines` is given) replace its lines.

    Raise PostingRefused for a posted document (edit it by correcting it), StaleEdit,
    ValidationError.
    """
    _check_unknown(data)
    if "kind" in data and data["kind"] != document.kind:
        raise ValidationError({"kind": [_("The kind of a document cannot change.")]})
    with org_scope(document.org_id), transaction.atomic():
        fresh = StockDocument.objects.select_for_update().get(pk=document.pk)
        if fresh.status != Status.DRAFT:
            raise PostingRefused(
                _("A posted document cannot be changed; use “Edit (reverse and re-post)”.")
            )
        errors: dict[str, list[str]] = {}
        _apply_header(document, {k: v for k, v in data.items() if k != "kind"}, errors)
        prepared: list[StockDocumentLine] | None = None
        if lines is not None:
            prepared = _prepare_lines(document, lines, errors)
        if errors:
            raise ValidationError(errors)
        if prepared is not None:
            _set_totals(document, prepared)
        document = save_versioned(document, expected_version=expected_version)
        if prepared is not None:
            StockDocumentLine.objects.filter(document=document).delete()
            _write_lines(document, prepared)
        return document


def delete_draft(*, document: StockDocument, user: Any) -> None:
    """Delete a draft (posted documents are reversed, never deleted)."""
    with org_scope(document.org_id), transaction.atomic():
        fresh = StockDocument.objects.select_for_update().get(pk=document.pk)
        if fresh.status != Status.DRAFT:
            raise PostingRefused(_("Posted documents are reversed, not deleted."))
        from guanxi.finance.models import Allocation

        if Allocation.objects.filter(stock_document=fresh).exists():
            raise PostingRefused(_("Money is allocated to this document; remove that first."))
        StockDocumentLine.objects.filter(document=fresh).delete()
        fresh.delete()


# --- drafts made from other documents --------------------------------------------------


def delivery_lines_for_order(order: Order) -> list[dict[str, Any]]:
    """The lines a delivery against `order` starts with: every line's undelivered quantity."""
    rows = []
    for line in order.lines.select_related("product").order_by("position", "id"):
        left = line.quantity - line.delivered_quantity
        if left <= 0:
            continue
        rows.append(
            {
                "product": line.product,
                "description": line.description,
                "quantity": left,
                "unit_price": line.unit_price,
                "discount_percent": line.discount_percent,
                "tax_rate": line.tax_rate,
                "order_line": line,
                "serials": [],
            }
        )
    return rows


def receipt_lines_for_purchase_order(po: PurchaseOrder) -> list[dict[str, Any]]:
    """The lines a receipt against `po` starts with: every line's unreceived quantity."""
    rows = []
    for line in po.lines.select_related("product").order_by("position", "id"):
        left = line.quantity - line.received_quantity
        if left <= 0:
            continue
        rows.append(
            {
                "product": line.product,
                "description": line.description,
                "quantity": left,
                "unit_price": line.unit_price,
                "discount_percent": line.discount_percent,
                "tax_rate": line.tax_rate,
                "purchase_order_line": line,
                "serials": [],
            }
        )
    return rows


def returnable_lines(source: StockDocument) -> list[dict[str, Any]]:
    """The lines a return against a posted delivery or receipt starts with: what is left
    to return of each line, and the serial numbers still out with the customer (or in
    stock, for a purchase receipt)."""
    from guanxi.stock.models import SerialMovement, SerialUnit

    lines = list(source.lines.select_related("product").order_by("position", "id"))
    returned = dict(
        StockDocumentLine.objects.filter(source_line__in=lines, document__status=Status.POSTED)
        .values_list("source_line_id")
        .annotate(total=Sum("quantity"))
    )
    serial_state: dict[tuple[int, str], SerialUnit] = {}
    tracked = [line for line in lines if line.product.serial_tracked]
    if tracked:
        moved = SerialMovement.objects.filter(document=source).select_related("unit")
        for movement in moved:
            serial_state[(movement.unit.product_id, movement.unit.serial)] = movement.unit
    rows = []
    for line in lines:
        left = line.quantity - returned.get(line.pk, ZERO)
        if left <= 0:
            continue
        serials: list[str] = []
        if line.product.serial_tracked:
            wanted_status = (
                SerialUnit.Status.SOLD
                if source.kind == Kind.SALES_DELIVERY
                else SerialUnit.Status.IN_STOCK
            )
            serials = [
                s
                for s in serial_list(line.serials)
                if (unit := serial_state.get((line.product_id, s))) is not None
                and unit.status == wanted_status
            ]
        rows.append(
            {
                "product": line.product,
                "description": line.description,
                "quantity": left,
                "unit_price": line.unit_price,
                "discount_percent": line.discount_percent,
                "tax_rate": line.tax_rate,
                "source_line": line,
                "serials": serials,
            }
        )
    return rows


def _as_line_input(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {key: _pk(value) if hasattr(value, "pk") else value for key, value in row.items()}
        for row in rows
    ]


def create_delivery_from_order(
    *, order: Order, user: Any, warehouse: Warehouse | None = None, date: Any = None
) -> StockDocument:
    """A draft delivery of everything not yet delivered on a confirmed order."""
    with org_scope(order.org_id):
        rows = delivery_lines_for_order(order)
        if not rows:
            raise PostingRefused(_("Everything on this order has been delivered."))
        data = {
            "kind": Kind.SALES_DELIVERY,
            "party": order.party_id,
            "order": order.pk,
            "warehouse": warehouse.pk if warehouse else order.warehouse_id,
        }
        if date is not None:
            data["date"] = date
        return build_draft(org=order.org_id, user=user, data=data, lines=_as_line_input(rows))


def create_receipt_from_purchase_order(
    *,
    purchase_order: PurchaseOrder,
    user: Any,
    warehouse: Warehouse | None = None,
    date: Any = None,
) -> StockDocument:
    """A draft receipt of everything not yet received on a confirmed purchase order."""
    with org_scope(purchase_order.org_id):
        rows = receipt_lines_for_purchase_order(purchase_order)
        if not rows:
            raise PostingRefused(_("Everything on this purchase order has been received."))
        data = {
            "kind": Kind.PURCHASE_RECEIPT,
            "party": purchase_order.supplier_id,
            "purchase_order": purchase_order.pk,
            "warehouse": warehouse.pk if warehouse else purchase_order.warehouse_id,
        }
        if date is not None:
            data["date"] = date
        return build_draft(
            org=purchase_order.org_id, user=user, data=data, lines=_as_line_input(rows)
        )


def create_return_of(*, source: StockDocument, user: Any, date: Any = None) -> StockDocument:
    """A draft sales return of a posted delivery (or purchase return of a posted receipt)
    with everything still returnable."""
    kinds = {v: k for k, v in RETURN_OF_KIND.items()}
    if source.kind not in kinds:
        raise PostingRefused(_("Only deliveries and purchase receipts can be returned."))
    if source.status != Status.POSTED:
        raise PostingRefused(_("Only posted documents can be returned against."))
    with org_scope(source.org_id):
        rows = returnable_lines(source)
        if not rows:
            raise PostingRefused(_("Everything on this document has been returned."))
        data = {
            "kind": kinds[source.kind],
            "party": source.party_id,
            "warehouse": source.warehouse_id,
            "order": source.order_id,
            "purchase_order": source.purchase_order_id,
            "return_of": source.pk,
        }
        if date is not None:
            data["date"] = date
        return build_draft(org=source.org_id, user=user, data=data, lines=_as_line_input(rows))


def line_input(document: StockDocument) -> list[dict[str, Any]]:
    """A document's lines in the shape the draft services take (for edit forms and
    corrections)."""
    return [
        {
            "product": line.product_id,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "tax_rate": line.tax_rate,
            "serials": list(line.serials or []),
            "order_line": line.order_line_id,
            "purchase_order_line": line.purchase_order_line_id,
            "source_line": line.source_line_id,
        }
        for line in document.lines.order_by("position", "id")
    ]
