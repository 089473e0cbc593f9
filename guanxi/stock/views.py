"""Stock pages other than the documents: warehouses, stock on hand, a product's stock
ledger, serial-numbered units, reorder suggestions, and the panels other pages load
(the product page's stock tab, the customer page's deliveries tab)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from guanxi.catalog.selectors import get_product_for_user
from guanxi.core.exceptions import DomainError, StaleEdit
from guanxi.core.permissions import ADD, CHANGE, VIEW, has_perm, require_perm
from guanxi.parties.selectors import get_party_for_user, visible_parties
from guanxi.stock import selectors, services
from guanxi.stock.forms import (
    LevelFilterForm,
    ReorderFilterForm,
    SerialFilterForm,
    WarehouseForm,
)
from guanxi.stock.models import SerialUnit, StockDocument
from guanxi.stock.reorder import create_purchase_orders

GET_POST = require_http_methods(["GET", "POST"])
DOCUMENT = "stock_document"
WAREHOUSE = "warehouse"
PANEL_SIZE = 10


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted)


def _report(form: Any, error: Exception) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, field_messages in error.message_dict.items():
            for message in field_messages:
                form.add_error(field if field in form.fields else None, message)
    elif isinstance(error, DomainError):
        form.add_error(None, str(error.message))
    else:
        form.add_error(None, "; ".join(getattr(error, "messages", [str(error)])))


# --- warehouses -------------------------------------------------------------------------


@login_required
def warehouse_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, WAREHOUSE)
    services.ensure_default_warehouse(membership.org_id)
    rows = list(selectors.warehouses(membership.org_id))
    return render(
        request,
        "stock/warehouse_list.html",
        {
            "warehouses": rows,
            "can_add": has_perm(membership, ADD, WAREHOUSE),
            "can_change": has_perm(membership, CHANGE, WAREHOUSE),
        },
    )


@login_required
@GET_POST
def warehouse_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, ADD, WAREHOUSE)
    form = WarehouseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            warehouse = services.create_warehouse(
                org=membership.org_id, actor=request.user, data=form.cleaned_data
            )
        except (ValidationError, DomainError) as error:
            _report(form, error)
        else:
            messages.success(request, _("Warehouse %(name)s added.") % {"name": warehouse.name})
            return redirect("stock:warehouse_list")
    status = 422 if request.method == "POST" else 200
    return render(request, "stock/warehouse_form.html", {"form": form}, status=status)


@login_required
@GET_POST
def warehouse_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, WAREHOUSE)
    warehouse = selectors.get_warehouse(membership.org_id, pk)
    require_perm(membership, CHANGE, WAREHOUSE)
    if request.method == "POST":
        form = WarehouseForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version", None) or 0
            try:
                services.update_warehouse(
                    warehouse=warehouse, actor=request.user, data=data, expected_version=version
                )
            except (ValidationError, DomainError) as error:
                if isinstance(error, StaleEdit):
                    form.add_error(None, str(error.message))
                else:
                    _report(form, error)
            else:
                messages.success(request, _("Warehouse %(name)s saved.") % {"name": warehouse.name})
                return redirect("stock:warehouse_list")
        return render(
            request, "stock/warehouse_form.html", {"form": form, "warehouse": warehouse}, status=422
        )
    form = WarehouseForm(
        initial={
            "code": warehouse.code,
            "name": warehouse.name,
            "address": warehouse.address,
            "is_default": warehouse.is_default,
            "is_active": warehouse.is_active,
            "version": warehouse.version,
        }
    )
    return render(request, "stock/warehouse_form.html", {"form": form, "warehouse": warehouse})


# --- stock on hand ----------------------------------------------------------------------


@login_required
def stock_on_hand(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    form = LevelFilterForm(request.GET or None, org_id=membership.org_id)
    filters = selectors.LevelFilters()
    if form.is_valid():
        filters.q = form.cleaned_data.get("q") or ""
        filters.warehouse_id = form.cleaned_data.get("warehouse")
        filters.category = form.selected_category()
        filters.nonzero = not form.cleaned_data.get("show_zero")
    qs = selectors.stock_levels(membership.org_id, filters)
    page = selectors.keyset_page(
        qs, selectors.LEVEL_ORDER, request.GET.get("cursor"), settings.GUANXI_PAGE_SIZE
    )
    context = {
        "filter_form": form,
        "page": page,
        "totals": selectors.level_totals(qs),
    }
    if _is_htmx(request):
        return render(request, "stock/stock_on_hand.html#rows", context)
    return render(request, "stock/stock_on_hand.html", context)


@login_required
def stock_ageing(request: HttpRequest) -> HttpResponse:
    """How long the stock on hand has been in (库龄), first in first out."""
    from guanxi.stock.posting import org_today

    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    warehouses = list(selectors.warehouses(membership.org_id))
    warehouse = None
    raw = request.GET.get("warehouse", "")
    if raw.isdigit():
        warehouse = next((w for w in warehouses if w.pk == int(raw)), None)
    today = org_today(request.org)  # type: ignore[attr-defined]
    rows = selectors.stock_ageing(
        membership.org_id, as_of=today, warehouse_id=warehouse.pk if warehouse else None
    )
    totals = [sum((row.buckets[i] for row in rows), Decimal("0")) for i in range(4)]
    return render(
        request,
        "stock/stock_ageing.html",
        {
            "rows": rows,
            "totals": totals,
            "total_value": sum((row.value for row in rows), Decimal("0")),
            "warehouses": warehouses,
            "warehouse": warehouse,
            "today": today,
        },
    )


@login_required
def product_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    """Every stock movement of one product, newest first, each linking to its document."""
    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    product = get_product_for_user(membership, pk)
    warehouse_id = request.GET.get("warehouse")
    filters = selectors.LedgerFilters(product_id=product.pk)
    warehouse = None
    if warehouse_id and warehouse_id.isdigit():
        warehouse = selectors.warehouses(membership.org_id).filter(pk=int(warehouse_id)).first()
        filters.warehouse_id = warehouse.pk if warehouse else None
    base = selectors.ledger_entries(membership.org_id, filters)
    page = selectors.keyset_page(
        base, selectors.LEDGER_ORDER, request.GET.get("cursor"), settings.GUANXI_PAGE_SIZE
    )
    rows = selectors.with_running_balance(page, base.order_by())
    shown = selectors.visible_document_ids(membership, (entry.document_id for entry, _b in rows))
    context = {
        "product": product,
        "rows": rows,
        "page": page,
        "shown": shown,
        "levels": selectors.product_levels(product),
        "warehouse": warehouse,
        "warehouses": list(selectors.warehouses(membership.org_id)),
    }
    if _is_htmx(request):
        return render(request, "stock/product_ledger.html#rows", context)
    return render(request, "stock/product_ledger.html", context)


@login_required
@require_GET
def product_stock_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The product page's stock tab: levels per warehouse and the latest movements."""
    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    product = get_product_for_user(membership, pk)
    base = selectors.ledger_entries(
        membership.org_id, selectors.LedgerFilters(product_id=product.pk)
    )
    page = selectors.keyset_page(base, selectors.LEDGER_ORDER, None, PANEL_SIZE)
    rows = selectors.with_running_balance(page, base.order_by())
    shown = selectors.visible_document_ids(membership, (entry.document_id for entry, _b in rows))
    levels = selectors.product_levels(product)
    return render(
        request,
        "stock/panels/product_stock.html",
        {
            "product": product,
            "levels": levels,
            "rows": rows,
            "shown": shown,
            "totals": selectors.level_totals(
                selectors.stock_levels(
                    membership.org_id, selectors.LevelFilters(product_id=product.pk, nonzero=False)
                )
            ),
        },
    )


# --- serial-numbered units --------------------------------------------------------------


@login_required
def serial_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    form = SerialFilterForm(request.GET or None)
    filters = selectors.SerialFilters()
    if form.is_valid():
        filters.q = form.cleaned_data.get("q") or ""
        filters.status = form.cleaned_data.get("status") or None
    page = selectors.keyset_page(
        selectors.serial_units(membership.org_id, filters),
        selectors.SERIAL_ORDER,
        request.GET.get("cursor"),
        settings.GUANXI_PAGE_SIZE,
    )
    context = {"filter_form": form, "page": page}
    if _is_htmx(request):
        return render(request, "stock/serial_list.html#rows", context)
    return render(request, "stock/serial_list.html", context)


@login_required
def serial_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    unit = selectors.get_serial_unit(membership.org_id, pk)
    history = selectors.serial_history(unit, membership)
    visible_party_ids = set(
        visible_parties(membership, None)
        .filter(pk__in=[p for p in (unit.customer_id, unit.supplier_id) if p])
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "stock/serial_detail.html",
        {
            "unit": unit,
            "history": history,
            "visible_party_ids": visible_party_ids,
            "in_warranty": unit.warranty_end is not None
            and unit.status == SerialUnit.Status.SOLD
            and unit.warranty_end >= services.org_today(request.org),  # type: ignore[attr-defined]
        },
    )


# --- reorder suggestions (D6) ------------------------------------------------------------


@login_required
@GET_POST
def reorder_suggestions(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    can_order = has_perm(membership, ADD, "purchase_order")
    form = ReorderFilterForm(request.GET or None, org_id=membership.org_id)
    category = form.selected_category() if form.is_valid() else None
    q = form.cleaned_data.get("q", "") if form.is_valid() else ""
    errors: list[str] = []
    row_errors: dict[int, list[str]] = {}
    if request.method == "POST":
        require_perm(membership, ADD, "purchase_order")
        selected = request.POST.getlist("product")
        rows = []
        for product_id in selected:
            rows.append(
                {
                    "product": product_id,
                    "quantity": request.POST.get(f"quantity-{product_id}", ""),
                    "supplier": request.POST.get(f"supplier-{product_id}") or None,
                }
            )
        try:
            created = create_purchase_orders(membership, rows)
        except ValidationError as error:
            for key, field_messages in error.message_dict.items():
                parts = key.split(".")
                if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(rows):
                    product_key = _int(rows[int(parts[1])]["product"])
                    row_errors.setdefault(product_key or 0, []).extend(field_messages)
                else:
                    errors.extend(field_messages)
        else:
            numbers = ", ".join(po.number for po in created)
            messages.success(
                request,
                _("Purchase orders created: %(numbers)s.") % {"numbers": numbers},
            )
            if len(created) == 1:
                return redirect(created[0].get_absolute_url())
            return redirect("stock:reorder_suggestions")
    page = selectors.keyset_page(
        selectors.reorder_candidates(membership.org_id, category=category, q=q),
        selectors.REORDER_ORDER,
        request.GET.get("cursor"),
        settings.GUANXI_PAGE_SIZE,
    )
    suppliers = list(
        visible_parties(membership, "supplier").order_by("name").only("pk", "name")[:500]
    )
    context = {
        "filter_form": form,
        "page": page,
        "suppliers": suppliers,
        "can_order": can_order,
        "errors": errors,
        "row_errors": row_errors,
        "posted": request.POST if request.method == "POST" else None,
    }
    status = 422 if (errors or row_errors) else 200
    return render(request, "stock/reorder.html", context, status=status)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


# --- the customer page's deliveries tab --------------------------------------------------


@login_required
@require_GET
def party_documents_panel(request: HttpRequest, party_pk: int) -> HttpResponse:
    membership = _membership(request)
    party = get_party_for_user(membership, party_pk)
    require_perm(membership, VIEW, DOCUMENT)
    page = selectors.keyset_page(
        selectors.party_documents(membership, party.pk),
        selectors.DOCUMENT_ORDER,
        request.GET.get("cursor"),
        PANEL_SIZE,
    )
    return render(
        request,
        "stock/panels/party_documents.html",
        {
            "party": party,
            "page": page,
            "list_url": f"{reverse('stock:document_list')}?kind={StockDocument.Kind.SALES_DELIVERY}&party={party.pk}",
            "can_add": has_perm(membership, ADD, DOCUMENT),
        },
    )
