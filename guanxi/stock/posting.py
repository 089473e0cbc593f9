"""Posting (过帐): the one writer of the stock ledger, stock levels, serial units and the
party ledger (C8, D4, D6).

`post_document` turns a draft into a posted document in one transaction: it checks the
document, locks the stock levels it touches, re-checks availability inside the lock,
and writes the stock ledger, the levels (moving-average cost), serial units and their
movements, the party ledger (receivable / payable) and the order or purchase-order line
quantities — all of it or nothing. Posting a posted document changes nothing.

A posted document is never edited. `reverse_document` writes a new posted document of
the same kind (`reverses` = the original) whose lines, ledger rows, party-ledger rows and
serial movements are the exact opposite of the original's; `correct_document` reverses
and posts a corrected copy (`corrects` = the original) in one step.

Moving average (decided in docs/decisions.md):

- an incoming movement (receipt, sales return, transfer in, positive adjustment, the
  reversal of an outgoing movement) at cost c: new average =
  (on hand × average + quantity × c) / (on hand + quantity); when on hand ≤ 0 the
  average resets to c;
- an outgoing movement (delivery, purchase return, transfer out, negative adjustment)
  leaves at the current average, which it does not change;
- the reversal of an incoming movement takes its quantity out at the cost it came in
  at, and the average becomes the remaining value over the remaining quantity
  (never below zero; unchanged when nothing remains).
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.catalog.models import Product
from guanxi.core.exceptions import DomainError
from guanxi.core.numbering import next_number
from guanxi.core.scoping import org_scope
from guanxi.finance.models import Allocation, PartyLedgerEntry
from guanxi.sales.models import Order, OrderLine, PurchaseOrder, PurchaseOrderLine
from guanxi.stock.models import (
    SerialMovement,
    SerialUnit,
    StockDocument,
    StockDocumentLine,
    StockLedgerEntry,
    StockLevel,
)

Kind = StockDocument.Kind
Status = StockDocument.Status

ZERO = Decimal("0")
CENT = Decimal("0.01")
COST_STEP = Decimal("0.000001")
DEFAULT_DUE_DAYS = 30

# Which way a line's quantity moves stock, per kind (adjustments carry their own sign;
# transfers move out of `warehouse` and into `to_warehouse`).
STOCK_SIGN: dict[str, int] = {
    Kind.PURCHASE_RECEIPT: 1,
    Kind.SALES_DELIVERY: -1,
    Kind.SALES_RETURN: 1,
    Kind.PURCHASE_RETURN: -1,
    Kind.ADJUSTMENT: 1,
}

# The party role a kind needs, and the book and sign of its party-ledger row.
PARTY_ROLE: dict[str, str] = {
    Kind.PURCHASE_RECEIPT: "supplier",
    Kind.PURCHASE_RETURN: "supplier",
    Kind.SALES_DELIVERY: "customer",
    Kind.SALES_RETURN: "customer",
}
PARTY_BOOK: dict[str, tuple[str, int]] = {
    Kind.SALES_DELIVERY: (PartyLedgerEntry.Book.RECEIVABLE, 1),
    Kind.SALES_RETURN: (PartyLedgerEntry.Book.RECEIVABLE, -1),
    Kind.PURCHASE_RECEIPT: (PartyLedgerEntry.Book.PAYABLE, 1),
    Kind.PURCHASE_RETURN: (PartyLedgerEntry.Book.PAYABLE, -1),
}
# The sign of a line's net amount in the ledger's `sales_amount` (sales or purchases).
AMOUNT_SIGN: dict[str, int] = {
    Kind.SALES_DELIVERY: 1,
    Kind.SALES_RETURN: -1,
    Kind.PURCHASE_RECEIPT: 1,
    Kind.PURCHASE_RETURN: -1,
}
# Kinds whose lines carry the sales or purchase price (transfers and adjustments do not).
PRICED_KINDS = frozenset(PARTY_ROLE)


class PostingRefused(DomainError):
    """The document is not in a state that allows the operation."""

    status_code = 409
    code = "posting_refused"
    default_message = gettext_lazy("This document cannot be posted.")


# --- small helpers ---------------------------------------------------------------------


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def cost(value: Decimal) -> Decimal:
    return value.quantize(COST_STEP, rounding=ROUND_HALF_UP)


def org_today(org: Any) -> datetime.date:
    """Today in the organisation's time zone."""
    try:
        zone = ZoneInfo(org.time_zone)
    except (KeyError, ValueError, AttributeError):
        zone = None
    return timezone.localdate(timezone=zone)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` plus `months` calendar months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def fmt_qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


def is_whole(value: Decimal) -> bool:
    return value == value.to_integral_value()


def default_due_date(document: StockDocument) -> datetime.date | None:
    """When a delivery's receivable or a receipt's payable falls due."""
    days: int | None = None
    if document.kind == Kind.SALES_DELIVERY:
        days = document.order.payment_due_days if document.order_id else DEFAULT_DUE_DAYS  # type: ignore[union-attr]
    elif document.kind == Kind.PURCHASE_RECEIPT:
        days = (
            document.purchase_order.payment_due_days  # type: ignore[union-attr]
            if document.purchase_order_id
            else DEFAULT_DUE_DAYS
        )
    if days is None:
        return None
    return document.date + datetime.timedelta(days=days)


# --- checks ----------------------------------------------------------------------------


def _party_errors(document: StockDocument) -> dict[str, list[str]]:
    role = PARTY_ROLE.get(document.kind)
    party = document.party
    if role is None:
        return {}
    if party is None:
        if role == "customer":
            return {"party": [_("Choose the customer.")]}
        return {"party": [_("Choose the supplier.")]}
    if party.org_id != document.org_id or party.deleted_at is not None:
        return {"party": [_("Choose a customer or supplier of your organisation.")]}
    if role == "customer" and not party.is_customer:
        return {"party": [_("%(party)s is not a customer.") % {"party": party.name}]}
    if role == "supplier" and not party.is_supplier:
        return {"party": [_("%(party)s is not a supplier.") % {"party": party.name}]}
    return {}


def product_errors(product: Product, org_id: int) -> list[str]:
    """Why `product` may not go on a new document (empty when it may): another
    organisation's, voided (作废) or in the recycle bin — the catalog's own rule."""
    from guanxi.catalog.services import ensure_usable

    try:
        ensure_usable(product, org=org_id)
    except DomainError as error:
        return [str(error.message)]
    return []


def serial_list(raw: Any) -> list[str]:
    """The serial numbers of a line as clean strings (blank entries dropped)."""
    if not raw:
        return []
    if isinstance(raw, str):
        raw = raw.replace(",", "\n").replace("，", "\n").splitlines()
    return [str(item).strip() for item in raw if str(item).strip()]


def serial_errors(product: Product, quantity: Decimal, serials: Sequence[str]) -> list[str]:
    """Why a line's serial numbers do not fit its product and quantity."""
    if not (product.serial_tracked and product.is_stocked):
        if serials:
            return [_("%(product)s is not tracked by serial number.") % {"product": product}]
        return []
    count = abs(quantity)
    if not is_whole(count):
        return [_("Serial-numbered products are counted in whole units.")]
    if len(set(serials)) != len(serials):
        return [_("A serial number appears twice.")]
    if any(len(s) > 80 for s in serials):
        return [_("A serial number has at most 80 characters.")]
    if len(serials) != int(count):
        return [
            _("Enter %(count)s serial numbers (one per unit); %(given)s given.")
            % {"count": int(count), "given": len(serials)}
        ]
    return []


def _line_errors(
    document: StockDocument, lines: Sequence[StockDocumentLine]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = defaultdict(list)
    seen_serials: dict[tuple[int, str], int] = {}
    for index, line in enumerate(lines):
        prefix = f"lines.{index}"
        product = line.product
        for message in product_errors(product, document.org_id):
            errors[f"{prefix}.product"].append(message)
        if document.kind == Kind.ADJUSTMENT:
            if line.quantity == 0:
                errors[f"{prefix}.quantity"].append(_("Enter the change: above or below zero."))
        elif line.quantity <= 0:
            errors[f"{prefix}.quantity"].append(_("Enter a quantity above zero."))
        if document.kind in {Kind.TRANSFER, Kind.ADJUSTMENT} and not product.is_stocked:
            errors[f"{prefix}.product"].append(
                _("%(product)s is not a stocked item.") % {"product": product}
            )
        serials = serial_list(line.serials)
        for message in serial_errors(product, line.quantity, serials):
            errors[f"{prefix}.serials"].append(message)
        for serial in serials:
            key = (product.pk, serial)
            if key in seen_serials and seen_serials[key] != index:
                errors[f"{prefix}.serials"].append(
                    _("Serial number %(serial)s is on another line too.") % {"serial": serial}
                )
            seen_serials[key] = index
        if line.order_line_id is not None:
            order_line = line.order_line
            if (
                order_line is None
                or order_line.org_id != document.org_id
                or order_line.product_id != line.product_id
                or (document.order_id is not None and order_line.order_id != document.order_id)
            ):
                errors[f"{prefix}.order_line"].append(_("This line does not match the order."))
        if line.purchase_order_line_id is not None:
            po_line = line.purchase_order_line
            if (
                po_line is None
                or po_line.org_id != document.org_id
                or po_line.product_id != line.product_id
                or (
                    document.purchase_order_id is not None
                    and po_line.purchase_order_id != document.purchase_order_id
                )
            ):
                errors[f"{prefix}.purchase_order_line"].append(
                    _("This line does not match the purchase order.")
                )
    return dict(errors)


def _header_errors(document: StockDocument) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    warehouse = document.warehouse
    if warehouse.org_id != document.org_id:
        errors["warehouse"] = [_("Choose a warehouse of your organisation.")]
    elif not warehouse.is_active:
        errors["warehouse"] = [_("This warehouse is no longer in use.")]
    if document.kind == Kind.TRANSFER:
        target = document.to_warehouse
        if target is None:
            errors["to_warehouse"] = [_("Choose the warehouse the stock goes to.")]
        elif target.org_id != document.org_id or not target.is_active:
            errors["to_warehouse"] = [_("Choose an active warehouse of your organisation.")]
        elif target.pk == warehouse.pk:
            errors["to_warehouse"] = [_("Choose a different warehouse to move the stock to.")]
    errors.update(_party_errors(document))
    if document.order_id is not None and document.order is not None:
        order = document.order
        if order.status in {Order.Status.DRAFT, Order.Status.CANCELLED}:
            errors["order"] = [_("Only confirmed orders can be delivered or returned.")]
        elif document.party_id is not None and order.party_id != document.party_id:
            errors["order"] = [_("The order belongs to another customer.")]
    if (
        document.return_of_id is not None
        and document.return_of is not None
        and document.return_of.status != Status.POSTED
    ):
        errors["return_of"] = [_("The document returned against is no longer posted.")]
    if document.purchase_order_id is not None and document.purchase_order is not None:
        po = document.purchase_order
        if po.status in {PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.CANCELLED}:
            errors["purchase_order"] = [
                _("Only confirmed purchase orders can be received or returned.")
            ]
        elif document.party_id is not None and po.supplier_id != document.party_id:
            errors["purchase_order"] = [_("The purchase order belongs to another supplier.")]
    return errors


def _remaining_errors(
    document: StockDocument, lines: Sequence[StockDocumentLine]
) -> dict[str, list[str]]:
    """Deliveries and receipts stay within their order lines; returns within what they
    take back."""
    errors: dict[str, list[str]] = {}
    if document.kind == Kind.SALES_DELIVERY:
        wanted: dict[int, Decimal] = defaultdict(Decimal)
        for line in lines:
            if line.order_line_id is not None:
                wanted[line.order_line_id] += line.quantity
        open_lines = {
            ol.pk: ol for ol in OrderLine.objects.filter(pk__in=list(wanted)).select_for_update()
        }
        for index, line in enumerate(lines):
            ol = open_lines.get(line.order_line_id or 0)
            if ol is not None and wanted[ol.pk] > ol.quantity - ol.delivered_quantity:
                errors[f"lines.{index}.quantity"] = [
                    _("Only %(open)s left to deliver on this order line.")
                    % {"open": fmt_qty(max(ol.quantity - ol.delivered_quantity, ZERO))}
                ]
    if document.kind == Kind.PURCHASE_RECEIPT:
        wanted = defaultdict(Decimal)
        for line in lines:
            if line.purchase_order_line_id is not None:
                wanted[line.purchase_order_line_id] += line.quantity
        po_lines = {
            pl.pk: pl
            for pl in PurchaseOrderLine.objects.filter(pk__in=list(wanted)).select_for_update()
        }
        for index, line in enumerate(lines):
            pl = po_lines.get(line.purchase_order_line_id or 0)
            if pl is not None and wanted[pl.pk] > pl.quantity - pl.received_quantity:
                errors[f"lines.{index}.quantity"] = [
                    _("Only %(open)s left to receive on this purchase order line.")
                    % {"open": fmt_qty(max(pl.quantity - pl.received_quantity, ZERO))}
                ]
    if document.kind in {Kind.SALES_RETURN, Kind.PURCHASE_RETURN}:
        sources = [line.source_line_id for line in lines if line.source_line_id is not None]
        if sources:
            returned = dict(
                StockDocumentLine.objects.filter(
                    source_line_id__in=sources, document__status=Status.POSTED
                )
                .values_list("source_line_id")
                .annotate(total=Sum("quantity"))
            )
            source_quantity = dict(
                StockDocumentLine.objects.filter(pk__in=sources).values_list("pk", "quantity")
            )
            wanted = defaultdict(Decimal)
            for line in lines:
                if line.source_line_id is not None:
                    wanted[line.source_line_id] += line.quantity
            for index, line in enumerate(lines):
                if line.source_line_id is None:
                    continue
                left = source_quantity.get(line.source_line_id, ZERO) - returned.get(
                    line.source_line_id, ZERO
                )
                if wanted[line.source_line_id] > left:
                    errors[f"lines.{index}.quantity"] = [
                        _("Only %(open)s left to return from that document.")
                        % {"open": fmt_qty(max(left, ZERO))}
                    ]
    return errors


# --- stock movements -------------------------------------------------------------------


@dataclass
class Movement:
    """One signed change of one product in one warehouse."""

    index: int  # the line's position in the document (for error messages)
    line: StockDocumentLine
    product: Product
    warehouse_id: int
    quantity: Decimal
    # The cost the movement carries; None: the current average of its level.
    fixed_cost: Decimal | None = None
    # A reversal of an incoming movement takes value out at `fixed_cost`.
    remove_at_cost: bool = False
    # Deliveries may not take stock another order holds (reserved).
    respects_reservations: bool = False
    # Fill the next movement's cost with this one's (a transfer's two halves).
    carries_cost_to_next: bool = False


def _lock_levels(org_id: int, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    """Lock (creating when missing) the stock levels of `keys`, in a fixed order so two
    postings never wait on each other in a cycle."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    StockLevel.objects.bulk_create(
        [StockLevel(org_id=org_id, product_id=p, warehouse_id=w) for p, w in wanted],
        ignore_conflicts=True,
    )
    product_ids = sorted({p for p, _w in wanted})
    warehouse_ids = sorted({w for _p, w in wanted})
    rows = (
        StockLevel.objects.select_for_update()
        .filter(product_id__in=product_ids, warehouse_id__in=warehouse_ids)
        .order_by("product_id", "warehouse_id")
    )
    wanted_set = set(wanted)
    return {
        (row.product_id, row.warehouse_id): row
        for row in rows
        if (row.product_id, row.warehouse_id) in wanted_set
    }


def _current_cost(level: StockLevel, product: Product) -> Decimal:
    if level.average_cost > 0 or level.on_hand > 0:
        return level.average_cost
    return Decimal(product.cost_price)


def _unit_name(product: Product) -> str:
    return product.unit or ""


def _apply_movements(
    document: StockDocument,
    movements: Sequence[Movement],
    levels: dict[tuple[int, int], StockLevel],
    *,
    warehouse_names: dict[int, str],
) -> list[StockLedgerEntry]:
    """Apply the movements to the locked levels in order and return the ledger rows.

    Raise ValidationError when a movement would take stock below zero (or, for a
    delivery, into stock other orders hold) and the product does not allow backorders.
    """
    errors: dict[str, list[str]] = {}
    entries: list[StockLedgerEntry] = []
    carried: Decimal | None = None
    for movement in movements:
        level = levels[(movement.product.pk, movement.warehouse_id)]
        quantity = movement.quantity
        if movement.fixed_cost is not None:
            unit_cost = movement.fixed_cost
        elif carried is not None:
            unit_cost = carried
        else:
            unit_cost = cost(_current_cost(level, movement.product))
        carried = unit_cost if movement.carries_cost_to_next else None
        before, average = level.on_hand, level.average_cost
        after = before + quantity
        if quantity > 0:
            if before <= 0:
                average = unit_cost
            else:
                average = cost((before * average + quantity * unit_cost) / after)
        elif movement.remove_at_cost and after > 0:
            average = cost(max(before * average + quantity * unit_cost, ZERO) / after)
        if quantity < 0 and not movement.product.allow_backorder:
            floor = level.reserved if movement.respects_reservations else ZERO
            if after < floor:
                available = max(before - floor, ZERO)
                errors.setdefault(f"lines.{movement.index}.quantity", []).append(
                    _("Only %(available)s %(unit)s of %(product)s available in %(warehouse)s.")
                    % {
                        "available": fmt_qty(available),
                        "unit": _unit_name(movement.product),
                        "product": movement.product,
                        "warehouse": warehouse_names.get(movement.warehouse_id, ""),
                    }
                )
        level.on_hand, level.average_cost = after, average
        movement.line.unit_cost = unit_cost
        amount_sign = AMOUNT_SIGN.get(document.kind, 0)
        entries.append(
            StockLedgerEntry(
                org_id=document.org_id,
                document=document,
                line=movement.line,
                product_id=movement.product.pk,
                warehouse_id=movement.warehouse_id,
                party_id=document.party_id,
                kind=document.kind,
                date=document.date,
                quantity=quantity,
                unit_cost=unit_cost,
                value=money(quantity * unit_cost),
                sales_amount=amount_sign * movement.line.net_amount,
            )
        )
    if errors:
        raise ValidationError(errors)
    return entries


def _movements_for_posting(
    document: StockDocument, lines: Sequence[StockDocumentLine]
) -> list[Movement]:
    movements: list[Movement] = []
    for index, line in enumerate(lines):
        product = line.product
        if not product.is_stocked:
            continue
        if document.kind == Kind.TRANSFER:
            target = document.to_warehouse_id or document.warehouse_id  # checked before
            movements.append(
                Movement(
                    index,
                    line,
                    product,
                    document.warehouse_id,
                    -line.quantity,
                    carries_cost_to_next=True,
                )
            )
            movements.append(Movement(index, line, product, target, line.quantity))
            continue
        quantity = STOCK_SIGN[document.kind] * line.quantity
        fixed: Decimal | None = None
        if document.kind == Kind.PURCHASE_RECEIPT:
            fixed = cost(line.net_amount / line.quantity)
        elif document.kind == Kind.SALES_RETURN and line.source_line_id is not None:
            fixed = line.source_line.unit_cost  # type: ignore[union-attr]
        movements.append(
            Movement(
                index,
                line,
                product,
                document.warehouse_id,
                quantity,
                fixed_cost=fixed,
                respects_reservations=document.kind == Kind.SALES_DELIVERY,
            )
        )
    return movements


def _movements_for_reversal(
    reversal: StockDocument,
    original_entries: Sequence[StockLedgerEntry],
    line_map: dict[int, StockDocumentLine],
    products: dict[int, Product],
) -> list[Movement]:
    movements = []
    positions = {line.pk: i for i, line in enumerate(line_map.values())}
    for entry in original_entries:
        line = line_map[entry.line_id]
        movements.append(
            Movement(
                positions[line.pk],
                line,
                products[entry.product_id],
                entry.warehouse_id,
                -entry.quantity,
                fixed_cost=entry.unit_cost,
                remove_at_cost=entry.quantity > 0,
            )
        )
    return movements


# --- serial numbers --------------------------------------------------------------------

_STATE_FIELDS = (
    "status",
    "warehouse_id",
    "supplier_id",
    "customer_id",
    "received_on",
    "sale_date",
    "warranty_type",
    "warranty_end",
)
_DATE_FIELDS = {"received_on", "sale_date", "warranty_end"}
# A unit a reversed receipt brought in and nothing else ever did.
CANCELLED_STATE: dict[str, Any] = {
    "status": SerialUnit.Status.CANCELLED,
    "warehouse_id": None,
    "supplier_id": None,
    "customer_id": None,
    "received_on": None,
    "sale_date": None,
    "warranty_type": "",
    "warranty_end": None,
}


def _state(unit: SerialUnit) -> dict[str, Any]:
    state = {}
    for name in _STATE_FIELDS:
        value = getattr(unit, name)
        state[name] = value.isoformat() if isinstance(value, datetime.date) else value
    return state


def _restore(unit: SerialUnit, state: dict[str, Any]) -> None:
    for name in _STATE_FIELDS:
        value = (state or CANCELLED_STATE).get(name, CANCELLED_STATE[name])
        if name in _DATE_FIELDS and isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        setattr(unit, name, value)


def _serial_effects(
    document: StockDocument, lines: Sequence[StockDocumentLine]
) -> tuple[list[SerialUnit], list[SerialUnit], list[SerialMovement]]:
    """Check and apply the serial numbers of a document being posted.

    Return (new units, changed units, movements); raise ValidationError for a serial
    that is not where the document says it is.
    """
    wanted: dict[tuple[int, str], int] = {}
    for index, line in enumerate(lines):
        if line.product.serial_tracked and line.product.is_stocked:
            for serial in serial_list(line.serials):
                wanted[(line.product_id, serial)] = index
    if not wanted:
        return [], [], []
    product_ids = sorted({p for p, _s in wanted})
    serials = sorted({s for _p, s in wanted})
    existing = {
        (u.product_id, u.serial): u
        for u in SerialUnit.objects.select_for_update().filter(
            product_id__in=product_ids, serial__in=serials
        )
    }
    errors: dict[str, list[str]] = defaultdict(list)
    created: list[SerialUnit] = []
    changed: list[SerialUnit] = []
    pending: list[tuple[SerialUnit, dict[str, Any], int]] = []
    kind = document.kind
    for index, line in enumerate(lines):
        product = line.product
        if not (product.serial_tracked and product.is_stocked):
            continue
        incoming = kind in {Kind.PURCHASE_RECEIPT, Kind.SALES_RETURN} or (
            kind == Kind.ADJUSTMENT and line.quantity > 0
        )
        field = f"lines.{index}.serials"
        for serial in serial_list(line.serials):
            unit = existing.get((product.pk, serial))
            label = {"serial": serial}
            if kind == Kind.PURCHASE_RECEIPT or (kind == Kind.ADJUSTMENT and incoming):
                if unit is not None and unit.status == SerialUnit.Status.IN_STOCK:
                    errors[field].append(_("Serial number %(serial)s is already in stock.") % label)
                    continue
                if unit is not None and unit.status == SerialUnit.Status.SOLD:
                    errors[field].append(
                        _(
                            "Serial number %(serial)s was sold to a customer; take it back "
                            "with a sales return."
                        )
                        % label
                    )
                    continue
                previous = _state(unit) if unit is not None else {}
                if unit is None:
                    unit = SerialUnit(org_id=document.org_id, product=product, serial=serial)
                    created.append(unit)
                else:
                    changed.append(unit)
                _restore(unit, CANCELLED_STATE)
                unit.status = SerialUnit.Status.IN_STOCK
                unit.warehouse_id = document.warehouse_id
                unit.received_on = document.date
                if kind == Kind.PURCHASE_RECEIPT:
                    unit.supplier_id = document.party_id
                pending.append((unit, previous, 1))
                continue
            if unit is None:
                errors[field].append(_("Serial number %(serial)s is not known.") % label)
                continue
            if kind == Kind.SALES_RETURN:
                if unit.status != SerialUnit.Status.SOLD:
                    errors[field].append(
                        _("Serial number %(serial)s was not sold, so it cannot be returned.")
                        % label
                    )
                    continue
                if unit.customer_id != document.party_id:
                    errors[field].append(
                        _("Serial number %(serial)s was sold to another customer.") % label
                    )
                    continue
                previous = _state(unit)
                unit.status = SerialUnit.Status.IN_STOCK
                unit.warehouse_id = document.warehouse_id
                unit.customer_id = None
                unit.sale_date = None
                unit.warranty_type = ""
                unit.warranty_end = None
                changed.append(unit)
                pending.append((unit, previous, 1))
                continue
            # Everything else takes the unit out of (or across) the document's warehouse.
            if (
                unit.status != SerialUnit.Status.IN_STOCK
                or unit.warehouse_id != document.warehouse_id
            ):
                errors[field].append(
                    _("Serial number %(serial)s is not in stock in %(warehouse)s.")
                    % {"serial": serial, "warehouse": document.warehouse.name}
                )
                continue
            previous = _state(unit)
            direction = -1
            if kind == Kind.SALES_DELIVERY:
                unit.status = SerialUnit.Status.SOLD
                unit.warehouse_id = None
                unit.customer_id = document.party_id
                unit.sale_date = document.date
                unit.warranty_type = product.warranty_type
                unit.warranty_end = (
                    add_months(document.date, product.warranty_months)
                    if product.warranty_months
                    else None
                )
            elif kind == Kind.PURCHASE_RETURN:
                unit.status = SerialUnit.Status.RETURNED_TO_SUPPLIER
                unit.warehouse_id = None
            elif kind == Kind.TRANSFER:
                unit.warehouse_id = document.to_warehouse_id
                direction = 0
            else:  # a negative adjustment
                unit.status = SerialUnit.Status.WRITTEN_OFF
                unit.warehouse_id = None
            changed.append(unit)
            pending.append((unit, previous, direction))
    if errors:
        raise ValidationError(dict(errors))
    movements = [
        SerialMovement(
            org_id=document.org_id,
            unit=unit,
            document=document,
            date=document.date,
            direction=direction,
            previous_state=previous,
        )
        for unit, previous, direction in pending
    ]
    return created, changed, movements


def _serial_reversal(
    original: StockDocument, reversal: StockDocument
) -> tuple[list[SerialUnit], list[SerialMovement]]:
    """Put every unit the original moved back as it was; refuse when a unit has moved
    since (reverse the later documents first)."""
    moved = list(
        SerialMovement.objects.filter(document=original).select_related("unit").order_by("id")
    )
    if not moved:
        return [], []
    unit_ids = [m.unit_id for m in moved]
    units = {u.pk: u for u in SerialUnit.objects.select_for_update().filter(pk__in=unit_ids)}
    latest = dict(
        SerialMovement.objects.filter(unit_id__in=unit_ids)
        .values_list("unit_id")
        .annotate(last=Max("id"))
    )
    errors = []
    changed: list[SerialUnit] = []
    movements: list[SerialMovement] = []
    for movement in moved:
        unit = units[movement.unit_id]
        if latest.get(unit.pk) != movement.pk:
            errors.append(
                _(
                    "Serial number %(serial)s has moved since this document was posted; "
                    "reverse the later documents first."
                )
                % {"serial": unit.serial}
            )
            continue
        current = _state(unit)
        _restore(unit, movement.previous_state)
        changed.append(unit)
        movements.append(
            SerialMovement(
                org_id=reversal.org_id,
                unit=unit,
                document=reversal,
                date=reversal.date,
                direction=-movement.direction,
                previous_state=current,
            )
        )
    if errors:
        raise ValidationError({"lines": errors})
    return changed, movements


def _save_units(created: list[SerialUnit], changed: list[SerialUnit]) -> None:
    """Insert the new units; update the changed ones with one UPDATE per distinct new
    state (a delivery sells all its units of a product to one customer on one day)."""
    if created:
        SerialUnit.objects.bulk_create(created, batch_size=500)
    if not changed:
        return
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for unit in changed:
        groups[tuple(getattr(unit, name) for name in _STATE_FIELDS)].append(unit.pk)
    now = timezone.now()
    for state, pks in groups.items():
        values = dict(zip(_STATE_FIELDS, state, strict=True))
        for start in range(0, len(pks), 500):
            SerialUnit.objects.filter(pk__in=pks[start : start + 500]).update(
                **values, updated_at=now, version=F("version") + 1
            )


# --- order and purchase-order lines --------------------------------------------------


def _refresh_order(order_ids: Iterable[int]) -> None:
    ids = sorted(set(order_ids))
    if not ids:
        return
    from guanxi.sales import documents_services

    for order in Order.objects.filter(pk__in=ids):
        documents_services.refresh_delivery_status(order)


def _refresh_purchase_orders(po_ids: Iterable[int]) -> None:
    ids = sorted(set(po_ids))
    if not ids:
        return
    from guanxi.sales import documents_services

    for po in PurchaseOrder.objects.filter(pk__in=ids):
        documents_services.refresh_receipt_status(po)


def _line_effects(
    document: StockDocument, lines: Sequence[StockDocumentLine]
) -> tuple[set[int], set[int]]:
    """Move the order lines' delivered / reserved and the purchase-order lines' received
    quantities by what the document's lines say (a reversal's lines are negative).

    Return the orders and purchase orders touched.
    """
    orders: set[int] = set()
    purchase_orders: set[int] = set()
    delivered: dict[int, Decimal] = defaultdict(Decimal)
    received: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.order_line_id is not None:
            if document.kind == Kind.SALES_DELIVERY:
                delivered[line.order_line_id] += line.quantity
            elif document.kind == Kind.SALES_RETURN:
                delivered[line.order_line_id] -= line.quantity
        if line.purchase_order_line_id is not None:
            if document.kind == Kind.PURCHASE_RECEIPT:
                received[line.purchase_order_line_id] += line.quantity
            elif document.kind == Kind.PURCHASE_RETURN:
                received[line.purchase_order_line_id] -= line.quantity
    for pk, change in delivered.items():
        if change:
            OrderLine.objects.filter(pk=pk).update(
                delivered_quantity=F("delivered_quantity") + change
            )
    for pk, change in received.items():
        if change:
            PurchaseOrderLine.objects.filter(pk=pk).update(
                received_quantity=F("received_quantity") + change
            )
    if delivered:
        orders.update(
            OrderLine.objects.filter(pk__in=list(delivered)).values_list("order_id", flat=True)
        )
    if received:
        purchase_orders.update(
            PurchaseOrderLine.objects.filter(pk__in=list(received)).values_list(
                "purchase_order_id", flat=True
            )
        )
    return orders, purchase_orders


def reservation_warehouse_id(order: Order) -> int:
    from guanxi.stock.reservations import reservation_warehouse_id as where

    return where(order)


def _consume_reservations(
    document: StockDocument,
    lines: Sequence[StockDocumentLine],
    levels: dict[tuple[int, int], StockLevel],
) -> None:
    """A pre-order's delivery uses up the stock reserved for it (before availability is
    checked, so the reserved units are this delivery's to take)."""
    if document.kind != Kind.SALES_DELIVERY:
        return
    order_line_ids = [
        line.order_line_id
        for line in lines
        if line.order_line_id is not None and line.product.is_stocked
    ]
    if not order_line_ids:
        return
    order_lines = {
        ol.pk: ol
        for ol in OrderLine.objects.select_for_update()
        .select_related("order")
        .filter(pk__in=order_line_ids, reserved_quantity__gt=0)
    }
    for line in lines:
        ol = order_lines.get(line.order_line_id or 0)
        if ol is None:
            continue
        take = min(line.quantity, ol.reserved_quantity)
        if take <= 0:
            continue
        warehouse_id = reservation_warehouse_id(ol.order)
        level = levels.get((line.product_id, warehouse_id))
        if level is None:
            level = _lock_levels(document.org_id, [(line.product_id, warehouse_id)])[
                (line.product_id, warehouse_id)
            ]
            levels[(line.product_id, warehouse_id)] = level
        level.reserved = max(level.reserved - take, ZERO)
        ol.reserved_quantity -= take
        line.reservation_consumed = take
        OrderLine.objects.filter(pk=ol.pk).update(reserved_quantity=ol.reserved_quantity)


def _restore_reservations(
    original: StockDocument,
    reversal_lines: Sequence[StockDocumentLine],
    levels: dict[tuple[int, int], StockLevel],
) -> None:
    """Undo what the original's delivery lines consumed of a pre-order's reservation.

    The reversal's lines carry the negated `reservation_consumed`, so "consume" them:
    a negative amount gives the reservation back (and the reversal of a reversal takes
    it again, never below zero).
    """
    touched = [line for line in reversal_lines if line.reservation_consumed and line.order_line_id]
    if not touched:
        return
    order_lines = {
        ol.pk: ol
        for ol in OrderLine.objects.select_for_update()
        .select_related("order")
        .filter(pk__in=[line.order_line_id for line in touched])
    }
    for line in touched:
        ol = order_lines[line.order_line_id]  # type: ignore[index]
        warehouse_id = reservation_warehouse_id(ol.order)
        key = (line.product_id, warehouse_id)
        if key not in levels:
            levels.update(_lock_levels(original.org_id, [key]))
        levels[key].reserved = max(levels[key].reserved - line.reservation_consumed, ZERO)
        ol.reserved_quantity = max(ol.reserved_quantity - line.reservation_consumed, ZERO)
        OrderLine.objects.filter(pk=ol.pk).update(reserved_quantity=ol.reserved_quantity)


# --- the party ledger ------------------------------------------------------------------


def _party_entry(document: StockDocument) -> PartyLedgerEntry | None:
    book = PARTY_BOOK.get(document.kind)
    if book is None or document.party_id is None:
        return None
    name, sign = book
    return PartyLedgerEntry(
        org_id=document.org_id,
        party_id=document.party_id,
        book=name,
        date=document.date,
        due_date=document.due_date or document.date,
        amount=sign * document.total,
        stock_document=document,
    )


# --- writing ---------------------------------------------------------------------------


def _save_levels(levels: Iterable[StockLevel]) -> None:
    """Write the locked levels back: one plain UPDATE per row, sent in one batch (a
    Django bulk_update builds a CASE per column, which costs more than it saves here)."""
    rows = [(row.on_hand, row.reserved, row.average_cost, row.pk) for row in levels]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {StockLevel._meta.db_table} "  # noqa: S608 (the model's own table)
                "SET on_hand = %s, reserved = %s, average_cost = %s WHERE id = %s",
                rows,
            )


def _save_line_costs(lines: Iterable[StockDocumentLine]) -> None:
    rows = [(line.unit_cost, line.reservation_consumed, line.pk) for line in lines]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {StockDocumentLine._meta.db_table} "  # noqa: S608 (the model's own table)
                "SET unit_cost = %s, reservation_consumed = %s WHERE id = %s",
                rows,
            )


def _load_lines(document: StockDocument) -> list[StockDocumentLine]:
    return list(
        # Order, purchase-order and source lines load on first use (most lines have none).
        StockDocumentLine.objects.filter(document=document)
        .select_related("product")
        .order_by("position", "id")
    )


def _warehouse_names(document: StockDocument) -> dict[int, str]:
    names = {document.warehouse_id: document.warehouse.name}
    if document.to_warehouse_id is not None and document.to_warehouse is not None:
        names[document.to_warehouse_id] = document.to_warehouse.name
    return names


def _lock_document(document: StockDocument) -> StockDocument:
    return (
        StockDocument.objects.select_for_update(of=("self",))
        .select_related("warehouse", "to_warehouse", "party")
        .get(pk=document.pk)
    )


def document_cost(lines: Iterable[StockDocumentLine]) -> Decimal:
    """The cost of goods of posted lines: Σ round(quantity × unit_cost, 2)."""
    return sum((money(line.quantity * line.unit_cost) for line in lines), ZERO)


def _mark_posted(doc: StockDocument, user: Any, lines: Iterable[StockDocumentLine]) -> None:
    doc.cost_total = document_cost(lines)
    doc.status = Status.POSTED
    doc.posted_at = timezone.now()
    doc.posted_by = user if getattr(user, "pk", None) else None
    doc.version += 1
    doc.save(
        update_fields=[
            "status",
            "posted_at",
            "posted_by",
            "due_date",
            "cost_total",
            "version",
            "updated_at",
        ]
    )


def _sync(target: StockDocument, source: StockDocument) -> None:
    for name in (
        "status", "posted_at", "posted_by_id", "due_date", "cost_total", "version", "updated_at",
    ):  # fmt: skip
        setattr(target, name, getattr(source, name))


def post_document(document: StockDocument, *, user: Any) -> StockDocument:
    """Post a draft (过帐): write its stock ledger, levels, serials and party ledger.

    Idempotent: a document that is already posted (or reversed) is returned unchanged.
    Raise ValidationError (field-keyed: "lines.0.quantity", "party" …) when the document
    may not be posted; nothing is written then.
    """
    with org_scope(document.org_id), transaction.atomic():
        doc = _lock_document(document)
        if doc.status != Status.DRAFT:
            _sync(document, doc)
            return doc
        lines = _load_lines(doc)
        _post_locked(doc, lines, user=user)
        _sync(document, doc)
        return doc


def _post_locked(doc: StockDocument, lines: list[StockDocumentLine], *, user: Any) -> None:
    errors: dict[str, list[str]] = {}
    if not lines:
        errors["lines"] = [_("Add at least one line before posting.")]
    errors.update(_header_errors(doc))
    errors.update(_line_errors(doc, lines))
    if errors:
        raise ValidationError(errors)
    errors.update(_remaining_errors(doc, lines))
    if errors:
        raise ValidationError(errors)

    movements = _movements_for_posting(doc, lines)
    levels = _lock_levels(doc.org_id, ((m.product.pk, m.warehouse_id) for m in movements))
    _consume_reservations(doc, lines, levels)
    entries = _apply_movements(doc, movements, levels, warehouse_names=_warehouse_names(doc))
    created, changed, serial_moves = _serial_effects(doc, lines)

    if doc.kind in PARTY_BOOK and doc.due_date is None:
        doc.due_date = default_due_date(doc) or doc.date
    _save_levels(levels.values())
    StockLedgerEntry.objects.bulk_create(entries)
    _save_line_costs(lines)
    _save_units(created, changed)
    SerialMovement.objects.bulk_create(serial_moves)
    party_entry = _party_entry(doc)
    if party_entry is not None:
        party_entry.save()
    orders, purchase_orders = _line_effects(doc, lines)
    _mark_posted(doc, user, lines)
    _refresh_order(orders)
    _refresh_purchase_orders(purchase_orders)


# --- reversal and correction ----------------------------------------------------------


def _reversal_refusal(doc: StockDocument) -> str | None:
    if doc.status == Status.DRAFT:
        return _("Only posted documents can be reversed; a draft can be changed or deleted.")
    if doc.status == Status.REVERSED:
        return _("This document has already been reversed.")
    if StockDocument.objects.filter(return_of=doc, status=Status.POSTED).exists():
        return _("Posted returns were made against this document; reverse them first.")
    return None


def reverse_document(
    document: StockDocument,
    *,
    user: Any,
    reason: str = "",
    on: datetime.date | None = None,
) -> StockDocument:
    """Cancel a posted document with a new posted document of the same kind whose every
    effect is the exact opposite (`reverses` = the original; the original becomes
    "reversed"). A reversal can itself be reversed, which restores the original's effects.

    Allocations of money to the original are deleted (the money goes back on account).
    Raise PostingRefused when the document is not posted or already reversed, and
    ValidationError when the reversal would take stock below zero or a serial-numbered
    unit has moved on since.
    """
    with org_scope(document.org_id), transaction.atomic():
        original = _lock_document(document)
        reversal = _reverse_locked(original, user=user, reason=reason, on=on)
        Allocation.objects.filter(stock_document=original).delete()
        _sync(document, original)
        return reversal


def _reverse_locked(
    original: StockDocument, *, user: Any, reason: str, on: datetime.date | None
) -> StockDocument:
    refusal = _reversal_refusal(original)
    if refusal:
        raise PostingRefused(refusal)
    day = on or org_today(original.org)
    if day < original.date:
        raise ValidationError({"date": [_("A reversal cannot be dated before the document.")]})
    original_lines = _load_lines(original)
    reversal = StockDocument(
        org_id=original.org_id,
        number=next_number(org=original.org, kind=original.kind, on=day),
        kind=original.kind,
        status=Status.DRAFT,
        date=day,
        party_id=original.party_id,
        warehouse_id=original.warehouse_id,
        to_warehouse_id=original.to_warehouse_id,
        order_id=original.order_id,
        purchase_order_id=original.purchase_order_id,
        return_of_id=original.return_of_id,
        reverses=original,
        due_date=original.due_date,
        notes=reason,
        owner=user if getattr(user, "pk", None) else original.owner,
        subtotal=-original.subtotal,
        discount_total=-original.discount_total,
        tax_total=-original.tax_total,
        total=-original.total,
    )
    reversal.warehouse = original.warehouse
    reversal.to_warehouse = original.to_warehouse
    reversal.save()
    new_lines = [
        StockDocumentLine(
            org_id=original.org_id,
            document=reversal,
            position=line.position,
            product_id=line.product_id,
            description=line.description,
            quantity=-line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
            net_amount=-line.net_amount,
            tax_amount=-line.tax_amount,
            total_amount=-line.total_amount,
            order_line_id=line.order_line_id,
            purchase_order_line_id=line.purchase_order_line_id,
            unit_cost=line.unit_cost,
            reservation_consumed=-line.reservation_consumed,
            serials=list(line.serials or []),
        )
        for line in original_lines
    ]
    StockDocumentLine.objects.bulk_create(new_lines)
    line_map = {old.pk: new for old, new in zip(original_lines, new_lines, strict=True)}
    products = {line.product_id: line.product for line in original_lines}
    for new, old in zip(new_lines, original_lines, strict=True):
        new.product = old.product

    original_entries = list(StockLedgerEntry.objects.filter(document=original).order_by("id"))
    movements = _movements_for_reversal(reversal, original_entries, line_map, products)
    levels = _lock_levels(original.org_id, ((m.product.pk, m.warehouse_id) for m in movements))
    _restore_reservations(original, new_lines, levels)
    entries = _apply_movements(
        reversal, movements, levels, warehouse_names=_warehouse_names(original)
    )
    # The ledger rows carry the original's sales amounts, negated.
    original_amounts = [entry.sales_amount for entry in original_entries]
    for entry, amount in zip(entries, original_amounts, strict=True):
        entry.sales_amount = -amount
    changed, serial_moves = _serial_reversal(original, reversal)

    _save_levels(levels.values())
    StockLedgerEntry.objects.bulk_create(entries)
    if changed:
        _save_units([], changed)
    SerialMovement.objects.bulk_create(serial_moves)
    party_rows = [
        PartyLedgerEntry(
            org_id=row.org_id,
            party_id=row.party_id,
            book=row.book,
            date=day,
            due_date=row.due_date,
            amount=-row.amount,
            stock_document=reversal,
        )
        for row in PartyLedgerEntry.objects.filter(stock_document=original).order_by("id")
    ]
    PartyLedgerEntry.objects.bulk_create(party_rows)
    orders, purchase_orders = _line_effects(reversal, new_lines)
    _mark_posted(reversal, user, new_lines)
    original.status = Status.REVERSED
    original.version += 1
    original.save(update_fields=["status", "version", "updated_at"])
    _refresh_order(orders)
    _refresh_purchase_orders(purchase_orders)
    return reversal


def correct_document(
    document: StockDocument,
    *,
    user: Any,
    lines: Sequence[dict[str, Any]],
    header: dict[str, Any] | None = None,
    reason: str = "",
    on: datetime.date | None = None,
) -> StockDocument:
    """ "Edit" a posted document: reverse it and post a corrected copy (`corrects` = the
    original) in one transaction. `lines` and `header` are what the draft services take.

    Allocations of money to the original move to the correction, up to its total; what
    does not fit is deleted (the money goes back on account).
    Return the correction. Raise PostingRefused / ValidationError like
    `reverse_document` and `post_document`; nothing is written then.
    """
    from guanxi.stock import services

    with org_scope(document.org_id), transaction.atomic():
        original = _lock_document(document)
        if original.reverses_id is not None:
            raise PostingRefused(
                _("A reversal cannot be edited; reverse it to restore the original.")
            )
        _reverse_locked(
            original,
            user=user,
            reason=reason or _("Corrected"),
            on=on,
        )
        data = {
            "kind": original.kind,
            "date": original.date,
            "party": original.party,
            "warehouse": original.warehouse,
            "to_warehouse": original.to_warehouse,
            "order": original.order,
            "purchase_order": original.purchase_order,
            "return_of": original.return_of,
            "notes": original.notes,
            "due_date": original.due_date,
        }
        data.update(header or {})
        correction = services.build_draft(
            org=original.org, user=user, data=data, lines=lines, corrects=original
        )
        _post_locked(correction, _load_lines(correction), user=user)
        _move_allocations(original, correction)
        _sync(document, original)
        return correction


def _move_allocations(original: StockDocument, correction: StockDocument) -> None:
    room = max(correction.total, ZERO)
    for allocation in Allocation.objects.filter(stock_document=original).order_by("id"):
        if room <= 0:
            allocation.delete()
            continue
        amount = min(allocation.amount, room)
        room -= amount
        Allocation.objects.filter(pk=allocation.pk).update(stock_document=correction, amount=amount)


__all__ = [
    "PostingRefused",
    "correct_document",
    "post_document",
    "reverse_document",
]
