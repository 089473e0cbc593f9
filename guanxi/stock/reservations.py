"""Stock reserved for pre-orders (C12).

A confirmed pre-order holds stock for its customer: `reserve_order` raises the
warehouse's `StockLevel.reserved` and each line's `OrderLine.reserved_quantity`;
`release_order` gives it back (cancellation). A delivery against the pre-order
consumes its reservation (see `guanxi.stock.posting`). Available to promise =
on hand − reserved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.scoping import org_scope
from guanxi.sales.models import Order, OrderLine
from guanxi.stock.models import StockLevel, Warehouse

ZERO = Decimal("0")


def reservation_warehouse_id(order: Order) -> int:
    """Where a pre-order's stock is held: its warehouse, else the default one."""
    if order.warehouse_id is not None:
        return order.warehouse_id
    from guanxi.stock.services import ensure_default_warehouse

    return ensure_default_warehouse(order.org_id).pk


def _lock(org_id: int, keys: list[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    from guanxi.stock.posting import _lock_levels

    return _lock_levels(org_id, keys)


def reserve_order(order: Order) -> list[OrderLine]:
    """Reserve what a confirmed pre-order still needs (ordered − delivered − reserved) of
    each stocked line in its warehouse.

    Refused (ValidationError keyed "lines.N.quantity", nothing reserved) when a line
    needs more than is available (on hand − reserved) and its product does not allow
    backorders. Orders that are not pre-orders are left alone. Return the lines changed.
    """
    if order.kind != Order.Kind.PREORDER:
        return []
    with org_scope(order.org_id), transaction.atomic():
        warehouse_id = reservation_warehouse_id(order)
        lines = list(
            OrderLine.objects.select_for_update()
            .select_related("product")
            .filter(order_id=order.pk)
            .order_by("position", "id")
        )
        stocked = [line for line in lines if line.product.is_stocked]
        levels = _lock(order.org_id, [(line.product_id, warehouse_id) for line in stocked])
        warehouse = Warehouse.objects.get(pk=warehouse_id)
        errors: dict[str, list[str]] = {}
        changed: list[OrderLine] = []
        for index, line in enumerate(lines):
            if line not in stocked:
                continue
            need = line.quantity - line.delivered_quantity - line.reserved_quantity
            if need <= 0:
                continue
            level = levels[(line.product_id, warehouse_id)]
            available = level.on_hand - level.reserved
            if need > available and not line.product.allow_backorder:
                errors[f"lines.{index}.quantity"] = [
                    _(
                        "Only %(available)s %(unit)s of %(product)s can be reserved in "
                        "%(warehouse)s."
                    )
                    % {
                        "available": f"{max(available, ZERO).normalize():f}",
                        "unit": line.product.unit,
                        "product": line.product,
                        "warehouse": warehouse.name,
                    }
                ]
                continue
            level.reserved += need
            line.reserved_quantity += need
            changed.append(line)
        if errors:
            raise ValidationError(errors)
        StockLevel.objects.bulk_update(list(levels.values()), ["reserved"])
        OrderLine.objects.bulk_update(changed, ["reserved_quantity"])
        return changed


def release_order(order: Order) -> list[OrderLine]:
    """Give back everything a pre-order still holds (on cancellation). Return the lines
    changed."""
    with org_scope(order.org_id), transaction.atomic():
        lines = list(
            OrderLine.objects.select_for_update()
            .filter(order_id=order.pk, reserved_quantity__gt=0)
            .order_by("id")
        )
        if not lines:
            return []
        warehouse_id = reservation_warehouse_id(order)
        levels = _lock(order.org_id, [(line.product_id, warehouse_id) for line in lines])
        for line in lines:
            level = levels[(line.product_id, warehouse_id)]
            level.reserved = max(level.reserved - line.reserved_quantity, ZERO)
            line.reserved_quantity = ZERO
        StockLevel.objects.bulk_update(list(levels.values()), ["reserved"])
        OrderLine.objects.bulk_update(lines, ["reserved_quantity"])
        return lines


def available_to_promise(level: StockLevel | Any) -> Decimal:
    """On hand − reserved (never below zero)."""
    return max(Decimal(level.on_hand) - Decimal(level.reserved), ZERO)
