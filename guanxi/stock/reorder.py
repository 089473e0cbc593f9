"""Reorder suggestions turned into purchase orders (D6).

`guanxi.stock.selectors.reorder_candidates` finds the products at or below their reorder
level; `create_purchase_orders` turns the lines a member selected into one draft
purchase order per supplier, through the sales app's purchase-order service.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.catalog.models import Product
from guanxi.core.scoping import org_scope
from guanxi.parties.models import Party
from guanxi.sales.models import PurchaseOrder
from guanxi.stock.posting import product_errors
from guanxi.stock.services import ensure_default_warehouse


def create_purchase_orders(
    membership: Any, rows: Sequence[Mapping[str, Any]]
) -> list[PurchaseOrder]:
    """One draft purchase order per supplier for the selected suggestion lines.

    Each row: `product` (key), `quantity`, optional `supplier` (key; defaults to the
    product's preferred supplier). Raise ValidationError keyed "lines.N.field" (nothing
    is created) for a missing supplier, a bad quantity or an unusable product.
    """
    org_id = membership.org_id
    with org_scope(org_id), transaction.atomic():
        if not rows:
            raise ValidationError({"lines": [_("Select at least one product.")]})
        products = {
            p.pk: p
            for p in Product.objects.filter(
                pk__in=[_key(r.get("product")) for r in rows if _key(r.get("product"))]
            ).select_related("preferred_supplier")
        }
        supplier_ids = {k for r in rows if (k := _key(r.get("supplier"))) is not None}
        suppliers = {p.pk: p for p in Party.objects.filter(pk__in=supplier_ids, is_supplier=True)}
        errors: dict[str, list[str]] = {}
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        supplier_of: dict[int, Party] = {}
        for index, row in enumerate(rows):
            product = products.get(_key(row.get("product")) or 0)
            if product is None or not product.is_stocked:
                errors[f"lines.{index}.product"] = [
                    _("Choose a stocked product of your organisation.")
                ]
                continue
            problems = product_errors(product, org_id)
            if problems:
                errors[f"lines.{index}.product"] = problems
                continue
            try:
                quantity = Decimal(str(row.get("quantity", "")).strip())
            except (InvalidOperation, ValueError):
                quantity = Decimal("-1")
            if not quantity.is_finite() or quantity <= 0:
                errors[f"lines.{index}.quantity"] = [_("Enter a quantity above zero.")]
                continue
            supplier = suppliers.get(_key(row.get("supplier")) or 0) or product.preferred_supplier
            if supplier is None or not supplier.is_supplier or supplier.deleted_at is not None:
                errors[f"lines.{index}.supplier"] = [
                    _("%(product)s has no preferred supplier; choose one.") % {"product": product}
                ]
                continue
            supplier_of[supplier.pk] = supplier
            grouped[supplier.pk].append(
                {
                    "product": product.pk,
                    "quantity": str(quantity),
                    "list_price": str(product.cost_price),
                }
            )
        if errors:
            raise ValidationError(errors)
        from guanxi.sales.documents_services import create_purchase_order

        warehouse = ensure_default_warehouse(org_id)
        created = []
        for supplier_id in sorted(grouped):
            created.append(
                create_purchase_order(
                    membership,
                    supplier_of[supplier_id],
                    grouped[supplier_id],
                    data={
                        "warehouse": warehouse.pk,
                        "notes": _("Created from the reorder suggestions."),
                    },
                )
            )
        return created


def _key(value: Any) -> int | None:
    value = getattr(value, "pk", value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
