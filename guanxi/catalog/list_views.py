"""The product list (商品管理) and what surrounds it: category tree, search, filters,
sortable columns, keyset paging, bulk actions; the brands page.

Views are thin: selectors and filters read, services write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.catalog.filters import (
    NONE,
    SORT_COLUMNS,
    InvalidCursor,
    Status,
    active_filter_count,
    apply_filters,
    keyset_page,
    parse_sort,
    product_filter_form,
)
from guanxi.catalog.forms import BrandForm
from guanxi.catalog.models import Brand, Product, ProductCategory
from guanxi.catalog.selectors import PRODUCT, visible_products
from guanxi.catalog.services import (
    create_brand,
    delete_brand,
    delete_product,
    file_products_in_category,
    rename_brand,
    restore_product,
    void_product,
)
from guanxi.core.categories import (
    CategoryNotEmpty,
    InvalidMove,
    add_category,
    delete_category,
    move_category,
    rename_category,
)
from guanxi.core.exceptions import DeletionRefused, DomainError
from guanxi.core.permissions import ADD, CHANGE, DELETE, EXPORT, VIEW, has_perm, require_perm

PAGE_SIZE = 50
_PK = "987654321"


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _is_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not getattr(htmx, "boosted", False)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _list_url(request: HttpRequest, base: str, **changes: Any) -> str:
    """The current list URL with some parameters changed (None drops one)."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    params.pop("cursor", None)
    params.pop("panel", None)
    query = params.urlencode()
    return base + (f"?{query}" if query else "")


# --- the category tree -------------------------------------------------------------------


@dataclass
class TreeNode:
    category: ProductCategory
    url: str
    active: bool
    rename_url: str
    move_url: str
    delete_url: str

    @property
    def indent(self) -> str:
        return "\u3000" * (self.category.depth - 1)


def _tree_labels() -> dict[str, str]:
    """The tree menu's words, translated once per page rather than once per category."""
    return {
        "actions": _("Category actions"),
        "add_child": _("Add subcategory (small class)"),
        "child_prompt": _("Name of the new subcategory"),
        "add_sibling": _("Add category after this one"),
        "sibling_prompt": _("Name of the new category"),
        "rename": _("Rename"),
        "rename_prompt": _("New name"),
        "up": _("Move up"),
        "down": _("Move down"),
        "indent": _("Make it a subcategory of the one above"),
        "outdent": _("Move out of its parent"),
        "delete": _("Delete"),
        "delete_confirm": _("Delete this category? Only an empty category can be deleted."),
    }


def _tree_context(request: HttpRequest, active: str | None) -> dict[str, Any]:
    list_url = reverse("catalog:product_list")
    rename, move, delete = (
        reverse(f"catalog:category_{action}", args=[_PK]) for action in ("rename", "move", "delete")
    )
    nodes = [
        TreeNode(
            c,
            f"{list_url}?{urlencode({'category': c.pk})}",
            str(c.pk) == active,
            rename.replace(_PK, str(c.pk)),
            move.replace(_PK, str(c.pk)),
            delete.replace(_PK, str(c.pk)),
        )
        for c in ProductCategory.objects.order_by("path")
    ]
    can_change = has_perm(_membership(request), CHANGE, PRODUCT)
    return {
        "tree": nodes,
        "tree_labels": _tree_labels() if can_change else {},
        "add_url": reverse("catalog:category_add"),
        "active_category": active or "",
        "all_url": list_url,
        "none_url": f"{list_url}?{urlencode({'category': NONE})}",
        "can_change": can_change,
    }


# --- the list ----------------------------------------------------------------------------


def _row_labels() -> dict[str, str]:
    return {
        "select": _("Select"),
        "voided": _("Voided"),
        "service": _("Service"),
        "serial": _("Serial numbers"),
    }


def _decorate(rows: list[Product]) -> None:
    detail = reverse("catalog:product_detail", args=[_PK])
    for row in rows:
        row.detail_url = detail.replace(_PK, str(row.pk))  # type: ignore[attr-defined]


@login_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, PRODUCT)
    list_url = reverse("catalog:product_list")
    form = product_filter_form(request.GET, org_id=membership.org_id)
    if _is_partial(request) and request.GET.get("panel") == "filters":
        return render(
            request,
            "catalog/product_list.html#filters",
            {"filter_form": form, "list_url": list_url},
        )
    base = visible_products(membership).select_related("category", "brand")
    queryset = apply_filters(base, form)
    sort, descending = parse_sort(request.GET.get("sort"))
    cursor = request.GET.get("cursor") or None
    try:
        page = keyset_page(queryset, sort=request.GET.get("sort"), cursor=cursor, limit=PAGE_SIZE)
    except InvalidCursor:
        cursor = None
        page = keyset_page(queryset, sort=request.GET.get("sort"), limit=PAGE_SIZE)
    rows = page.rows
    _decorate(rows)
    next_url = None
    if page.next_cursor:
        params = request.GET.copy()
        params["cursor"] = page.next_cursor
        next_url = f"{list_url}?{params.urlencode()}"
    columns = []
    for key, column in SORT_COLUMNS.items():
        if key == "updated":
            continue
        is_current = key == sort
        next_sort = f"-{key}" if is_current and not descending else key
        columns.append(
            {
                "key": key,
                "label": column.label,
                "url": _list_url(request, list_url, sort=next_sort),
                "current": is_current,
                "descending": descending,
                "numeric": column.numeric,
            }
        )
    cleaned = form.cleaned_data if form.is_valid() else {}
    status = cleaned.get("status") or Status.ACTIVE
    status_tabs = [
        {
            "key": key,
            "label": label,
            "url": _list_url(request, list_url, status=None if key == Status.ACTIVE else key),
            "active": key == status,
        }
        for key, label in Status.CHOICES
    ]
    query_string = request.GET.copy()
    query_string.pop("cursor", None)
    query_string.pop("panel", None)
    filter_count = active_filter_count(form)
    context: dict[str, Any] = {
        **_tree_context(request, request.GET.get("category") or ""),
        "filter_form": form,
        "filter_count": filter_count,
        "show_filters": filter_count > 0,
        "filters_url": _list_url(request, list_url, panel="filters"),
        "rows": rows,
        "labels": _row_labels(),
        "next_url": next_url,
        "is_next_page": bool(cursor),
        "columns": columns,
        "status_tabs": status_tabs,
        "status": status,
        "list_url": list_url,
        "current_url": request.get_full_path(),
        "query_string": query_string.urlencode(),
        "can_add": has_perm(membership, ADD, PRODUCT),
        "can_change": has_perm(membership, CHANGE, PRODUCT),
        "can_delete": has_perm(membership, DELETE, PRODUCT),
        "can_export": has_perm(membership, EXPORT, PRODUCT),
    }
    if _is_partial(request):
        if cursor:
            return render(request, "catalog/product_list.html#rows", context)
        return render(request, "catalog/product_list.html#results", context)
    return render(request, "catalog/product_list.html", context)


# --- bulk actions ------------------------------------------------------------------------

BULK_ACTIONS = ("move_category", "void", "restore", "delete")


def _parse_ids(values: list[str]) -> list[int] | None:
    ids = []
    for value in values:
        value = value.strip()
        if not value.isdigit():
            return None
        ids.append(int(value))
    return list(dict.fromkeys(ids))[:1000]


@login_required
@require_POST
def product_bulk(request: HttpRequest) -> HttpResponse:
    """Apply one bulk action to the selected products, then go back to the list."""
    membership = _membership(request)
    back = _safe_next(request, reverse("catalog:product_list"))
    action = request.POST.get("action") or ""
    ids = _parse_ids(request.POST.getlist("ids"))
    if action not in BULK_ACTIONS:
        messages.error(request, _("Choose an action."))
        return redirect(back)
    if not ids:
        messages.error(request, _("Select at least one product first."))
        return redirect(back)
    require_perm(membership, DELETE if action == "delete" else CHANGE, PRODUCT)
    products = list(visible_products(membership).filter(pk__in=ids))
    if len(products) != len(ids):
        raise Http404
    if action == "move_category":
        raw = (request.POST.get("category") or "").strip()
        category = None
        if raw != NONE:
            if not raw.isdigit():
                messages.error(request, _("Choose a category."))
                return redirect(back)
            category = get_object_or_404(ProductCategory, pk=int(raw))
        count = file_products_in_category(products=products, category=category, actor=request.user)
        messages.success(
            request,
            ngettext("%(count)d product filed.", "%(count)d products filed.", count)
            % {"count": count},
        )
    elif action in ("void", "restore"):
        service = void_product if action == "void" else restore_product
        changed = 0
        for product in products:
            if product.is_voided != (action == "void"):
                service(product=product, actor=request.user)
                changed += 1
        text = (
            ngettext("%(count)d product voided.", "%(count)d products voided.", changed)
            if action == "void"
            else ngettext("%(count)d product restored.", "%(count)d products restored.", changed)
        )
        messages.success(request, text % {"count": changed})
    else:
        deleted, refused = 0, []
        for product in products:
            try:
                delete_product(product=product, actor=request.user)
            except DeletionRefused as error:
                refused.append(f"{product.code}: {error.message}")
            else:
                deleted += 1
        if deleted:
            messages.success(
                request,
                ngettext(
                    "%(count)d product moved to the recycle bin.",
                    "%(count)d products moved to the recycle bin.",
                    deleted,
                )
                % {"count": deleted},
            )
        if refused:
            messages.error(request, "; ".join(refused))
    return redirect(back)


# --- category tree operations --------------------------------------------------------------


def _tree_response(
    request: HttpRequest, error: str | None = None, status: int = 200
) -> HttpResponse:
    active = request.POST.get("active") or request.GET.get("active") or ""
    context = _tree_context(request, active)
    context["tree_error"] = error
    return render(request, "catalog/product_list.html#tree", context, status=status)


def _name_input(request: HttpRequest) -> str:
    htmx = getattr(request, "htmx", None)
    prompt = htmx.prompt if htmx else None
    return (request.POST.get("name") or prompt or "").strip()


@login_required
@require_POST
def category_add(request: HttpRequest) -> HttpResponse:
    """Add a category: at the root (a big class), under `parent`, or after `sibling`."""
    require_perm(_membership(request), CHANGE, PRODUCT)
    parent = sibling = None
    for key in ("parent", "sibling"):
        raw = (request.POST.get(key) or "").strip()
        if raw:
            if not raw.isdigit():
                raise Http404
            node = get_object_or_404(ProductCategory, pk=int(raw))
            if key == "parent":
                parent = node
            else:
                sibling = node
    try:
        add_category(
            model=ProductCategory,
            org=request.org,  # type: ignore[attr-defined]
            name=_name_input(request),
            parent=parent,
            sibling_of=sibling,
            actor=request.user,
        )
    except DomainError as error:
        return _tree_response(request, str(error.message))
    return _tree_response(request)


@login_required
@require_POST
def category_rename(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(_membership(request), CHANGE, PRODUCT)
    category = get_object_or_404(ProductCategory, pk=pk)
    try:
        rename_category(category=category, name=_name_input(request), actor=request.user)
    except DomainError as error:
        return _tree_response(request, str(error.message))
    return _tree_response(request)


def _siblings(category: ProductCategory) -> list[ProductCategory]:
    parent_path = category.path[: -category.steplen]
    return list(
        ProductCategory.objects.filter(depth=category.depth, path__startswith=parent_path).order_by(
            "path"
        )
    )


@login_required
@require_POST
def category_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a category up, down, in (under the one above) or out (after its parent)."""
    require_perm(_membership(request), CHANGE, PRODUCT)
    category = get_object_or_404(ProductCategory, pk=pk)
    direction = request.POST.get("direction")
    if direction not in {"up", "down", "indent", "outdent"}:
        return _tree_response(request, _("Unknown move."), status=400)
    siblings = _siblings(category)
    index = next(i for i, s in enumerate(siblings) if s.pk == category.pk)
    before = siblings[index - 1] if index > 0 else None
    after = siblings[index + 1] if index + 1 < len(siblings) else None
    target: ProductCategory | None = None
    position = "left"
    if direction == "up":
        target, position = before, "left"
    elif direction == "down":
        target, position = after, "right"
    elif direction == "indent":
        target, position = before, "last-child"
    elif direction == "outdent" and category.depth > 1:
        target = ProductCategory.objects.get(path=category.path[: -category.steplen])
        position = "right"
    if target is None:
        return _tree_response(request, _("This category cannot move that way."))
    try:
        move_category(category=category, target=target, position=position, actor=request.user)  # type: ignore[arg-type]
    except InvalidMove as error:
        return _tree_response(request, str(error.message))
    return _tree_response(request)


@login_required
@require_POST
def category_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(_membership(request), CHANGE, PRODUCT)
    category = get_object_or_404(ProductCategory, pk=pk)
    try:
        delete_category(category=category, actor=request.user)
    except CategoryNotEmpty as error:
        return _tree_response(request, str(error.message))
    return _tree_response(request)


# --- brands --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def brand_list(request: HttpRequest) -> HttpResponse:
    """The organisation's brands: add one, rename or delete (when no product uses it)."""
    membership = _membership(request)
    require_perm(membership, VIEW, PRODUCT)
    can_change = has_perm(membership, CHANGE, PRODUCT)
    form = BrandForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        require_perm(membership, CHANGE, PRODUCT)
        if form.is_valid():
            try:
                brand = create_brand(
                    org=request.org,  # type: ignore[attr-defined]
                    actor=request.user,
                    name=form.cleaned_data["name"],
                )
            except ValidationError as error:
                form.add_error("name", error.message_dict.get("name", error.messages))
            else:
                messages.success(
                    request, _("The brand “%(name)s” has been added.") % {"name": brand}
                )
                return redirect("catalog:brand_list")
    from django.db.models import Count, Q

    brands = Brand.objects.annotate(
        product_count=Count("products", filter=Q(products__deleted_at__isnull=True))
    ).order_by("name", "id")
    return render(
        request,
        "catalog/brand_list.html",
        {"brands": brands, "form": form, "can_change": can_change},
    )


@login_required
@require_POST
def brand_rename(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(_membership(request), CHANGE, PRODUCT)
    brand = get_object_or_404(Brand, pk=pk)
    form = BrandForm(request.POST)
    if form.is_valid():
        try:
            rename_brand(
                brand=brand,
                actor=request.user,
                name=form.cleaned_data["name"],
                expected_version=form.cleaned_data.get("version") or 0,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The brand has been renamed."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
    return redirect("catalog:brand_list")


@login_required
@require_POST
def brand_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(_membership(request), CHANGE, PRODUCT)
    brand = get_object_or_404(Brand, pk=pk)
    try:
        delete_brand(brand=brand, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The brand has been deleted."))
    return redirect("catalog:brand_list")
