"""One product: add/edit, its page with tabs (details, components, attachments, history
and the tabs other apps register), void and restore, delete, and its image.

Views parse the request, call one service or selector and render. Another
organisation's product, or one the member may not see, is a 404; a visible product the
member may not change is a 403.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts.models import User
from guanxi.catalog.forms import PRODUCT_SECTIONS, ComponentForm, ProductForm, add_service_errors
from guanxi.catalog.models import Brand, Product, ProductCategory, ProductComponent
from guanxi.catalog.selectors import PRODUCT, components_of, get_product_for_user, used_in
from guanxi.catalog.services import add_component as add_component_service
from guanxi.catalog.services import (
    create_product,
    delete_product,
    deletion_blocker,
    remove_component,
    restore_product,
    restore_product_version,
    update_product,
    void_product,
)
from guanxi.catalog.services import set_component_quantity as set_quantity_service
from guanxi.catalog.tabs import ProductTab, extra_tabs
from guanxi.core.attachments import attachments_of
from guanxi.core.custom_fields import display_value, layout_groups
from guanxi.core.exceptions import DeletionRefused, DomainError
from guanxi.core.history import history_entries
from guanxi.core.models import CustomField
from guanxi.core.permissions import ADD, CHANGE, DELETE, has_perm, require_perm
from guanxi.parties.models import Party

GET_POST = require_http_methods(["GET", "POST"])


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _is_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def _product_or_404(request: HttpRequest, pk: Any) -> Product:
    return get_product_for_user(_membership(request), pk)


def _detail_url(product: Product, tab: str | None = None) -> str:
    url = reverse("catalog:product_detail", args=[product.pk])
    return f"{url}?tab={tab}" if tab else url


def _report(request: HttpRequest, form: Any, error: DomainError) -> None:
    if error.field and form is not None and error.field in form.fields:
        form.add_error(error.field, str(error.message))
    elif form is not None:
        form.add_error(None, str(error.message))
    else:
        messages.error(request, str(error.message))


# --- add / edit ------------------------------------------------------------------------------


def _form_context(form: ProductForm, **extra: Any) -> dict[str, Any]:
    return {
        "form": form,
        "sections": form.sections(),
        "custom_sections": form.custom_sections(),
        **extra,
    }


@login_required
@GET_POST
def product_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, ADD, PRODUCT)
    org = request.org  # type: ignore[attr-defined]
    initial: dict[str, Any] = {}
    raw_category = request.GET.get("category", "")
    if raw_category.isdigit():
        initial["category"] = int(raw_category)
    form = ProductForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        org=org,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            product = create_product(org=org, actor=request.user, data=form.product_data())
        except ValidationError as error:
            add_service_errors(form, error)
        except DomainError as error:
            _report(request, form, error)
        else:
            messages.success(request, _("“%(name)s” has been saved.") % {"name": product})
            return redirect(_detail_url(product))
    return render(
        request,
        "catalog/product_form.html",
        _form_context(
            form,
            product=None,
            title=_("New product"),
            cancel_url=reverse("catalog:product_list"),
        ),
    )


@login_required
@GET_POST
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    product = _product_or_404(request, pk)
    require_perm(membership, CHANGE, PRODUCT)
    org = request.org  # type: ignore[attr-defined]
    form = ProductForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        instance=product,
        org=org,
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_product(
                product=product,
                actor=request.user,
                data=form.product_data(),
                expected_version=form.cleaned_data.get("version") or 0,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except DomainError as error:
            _report(request, form, error)
        else:
            messages.success(request, _("“%(name)s” has been saved.") % {"name": product})
            return redirect(_detail_url(product))
    return render(
        request,
        "catalog/product_form.html",
        _form_context(
            form,
            product=product,
            title=_("Edit %(name)s") % {"name": product},
            cancel_url=_detail_url(product),
        ),
    )


# --- the product page ---------------------------------------------------------------------------


@login_required
@require_GET
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    product = _product_or_404(request, pk)
    component_count = ProductComponent.objects.filter(parent=product).count()
    tabs: list[ProductTab] = [
        ProductTab("details", _("Details"), reverse("catalog:product_details_tab", args=[pk])),
        ProductTab(
            "components",
            _("Bundle and parts"),
            reverse("catalog:product_components_tab", args=[pk]),
            component_count,
        ),
    ]
    extra = extra_tabs(request, product)
    tabs += [tab for order, tab in extra if order < 80]
    tabs.append(
        ProductTab(
            "attachments",
            _("Attachments"),
            reverse("core:attachment_panel", args=["catalog.product", pk]),
            attachments_of(product).count(),
        )
    )
    tabs += [tab for order, tab in extra if 80 <= order < 90]
    tabs.append(
        ProductTab("history", _("History"), reverse("catalog:product_history_tab", args=[pk]))
    )
    tabs += [tab for order, tab in extra if order >= 90]
    active = request.GET.get("tab") or "details"
    if active not in {t.key for t in tabs}:
        active = "details"
    can_delete = has_perm(membership, DELETE, PRODUCT)
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "tabs": tabs,
            "active_tab": active,
            "can_change": has_perm(membership, CHANGE, PRODUCT),
            "can_delete": can_delete,
            "delete_blocker": deletion_blocker(product) if can_delete else None,
        },
    )


def _field_display(obj: models.Model, model_field: Any) -> str:
    value = getattr(obj, model_field.attname)
    if value in (None, ""):
        return ""
    if model_field.is_relation:
        related = getattr(obj, model_field.name)
        return str(related) if related is not None else ""
    if model_field.choices:
        return str(getattr(obj, f"get_{model_field.name}_display")())
    if isinstance(model_field, models.BooleanField):
        return _("Yes") if value else _("No")
    return str(value)


@login_required
@require_GET
def product_details_tab(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product_or_404(request, pk)
    sections = []
    for key, title, names in PRODUCT_SECTIONS:
        rows = []
        for name in names:
            if name == "image":
                continue
            model_field = Product._meta.get_field(name)
            value = _field_display(product, model_field)
            if name == "tax_rate":
                value = f"{product.tax_rate.normalize():f}%"
            if name == "warranty_months" and not product.warranty_months:
                value = ""
            rows.append(
                {
                    "name": name,
                    "label": model_field.verbose_name,
                    "value": value,
                    "multiline": isinstance(model_field, models.TextField),
                }
            )
        sections.append({"key": key, "title": title, "rows": rows})
    stored = product.custom_data or {}
    custom_groups = [
        {
            "title": group.title,
            "rows": [
                {"label": f.label, "value": display_value(f, stored.get(f.key))}
                for f in group.fields
            ],
        }
        for group in layout_groups(product.org_id, CustomField.Target.PRODUCT)
    ]
    return render(
        request,
        "catalog/tabs/details.html",
        {"product": product, "sections": sections, "custom_groups": custom_groups},
    )


# --- components (bundles and parts, D5) ------------------------------------------------------------


def _components_context(
    request: HttpRequest, product: Product, form: ComponentForm | None = None
) -> dict[str, Any]:
    can_change = has_perm(_membership(request), CHANGE, PRODUCT)
    lines = components_of(product)
    return {
        "product": product,
        "lines": lines,
        "bundle_lines": [
            line for line in lines if line.relation == ProductComponent.Relation.BUNDLE
        ],
        "part_lines": [line for line in lines if line.relation == ProductComponent.Relation.PART],
        "used_in": used_in(product),
        "can_change": can_change,
        "form": form or (ComponentForm(parent=product) if can_change else None),
    }


def _components_response(
    request: HttpRequest, product: Product, form: ComponentForm | None = None, status: int = 200
) -> HttpResponse:
    if _is_partial(request):
        return render(
            request,
            "catalog/tabs/components.html",
            _components_context(request, product, form),
            status=status,
        )
    return redirect(_detail_url(product, "components"))


@login_required
@require_GET
def product_components_tab(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product_or_404(request, pk)
    return render(request, "catalog/tabs/components.html", _components_context(request, product))


@login_required
@require_POST
def component_add(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product_or_404(request, pk)
    require_perm(_membership(request), CHANGE, PRODUCT)
    form = ComponentForm(request.POST, parent=product)
    if form.is_valid():
        try:
            add_component_service(
                parent=product,
                component=form.cleaned_data["component"],
                actor=request.user,
                quantity=form.cleaned_data["quantity"],
                relation=form.cleaned_data["relation"],
            )
        except DomainError as error:
            _report(request, form, error)
        else:
            messages.success(request, _("The component has been added."))
            return _components_response(request, product)
    if not _is_partial(request):
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
    return _components_response(request, product, form, status=200)


def _line_or_404(product: Product, line_id: int) -> ProductComponent:
    line = ProductComponent.objects.filter(parent=product, pk=line_id).first()
    if line is None:
        raise Http404
    return line


@login_required
@require_POST
def component_quantity(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    product = _product_or_404(request, pk)
    require_perm(_membership(request), CHANGE, PRODUCT)
    line = _line_or_404(product, line_id)
    try:
        set_quantity_service(
            line=line, actor=request.user, quantity=request.POST.get("quantity", "")
        )
    except DomainError as error:
        messages.error(request, str(error.message))
    return _components_response(request, product)


@login_required
@require_POST
def component_remove(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    product = _product_or_404(request, pk)
    require_perm(_membership(request), CHANGE, PRODUCT)
    line = _line_or_404(product, line_id)
    remove_component(line=line, actor=request.user)
    messages.success(request, _("The component has been removed."))
    return _components_response(request, product)


# --- history (A5) -------------------------------------------------------------------------------

_HISTORY_SKIPPED = {"search_text", "deleted_by", "voided_by", "voided_at"}
_HISTORY_TYPES = {
    "+": gettext_lazy("Created"),
    "~": gettext_lazy("Changed"),
    "-": gettext_lazy("Deleted"),
}


@dataclass
class HistoryChange:
    label: Any
    old: str
    new: str


@dataclass
class HistoryRow:
    when: Any
    who: Any
    title: Any
    changes: list[HistoryChange] = field(default_factory=list)
    history_id: int | None = None
    restorable: bool = False
    reason: str = ""


_NAMED_MODELS: tuple[type[models.Model], ...] = (User, ProductCategory, Brand, Party)


def history_rows(product: Product) -> list[HistoryRow]:
    entries = history_entries(product)
    wanted: dict[type[models.Model], set[Any]] = {}
    for entry in entries:
        for change in entry.changes:
            model_field = Product._meta.get_field(change.field)
            if model_field.is_relation and model_field.related_model in _NAMED_MODELS:
                ids = wanted.setdefault(model_field.related_model, set())  # type: ignore[arg-type]
                ids.update(v for v in (change.old, change.new) if v is not None)
    names: dict[tuple[Any, Any], str] = {}
    for model, ids in wanted.items():
        manager = getattr(model, "all_objects", None) or model._default_manager
        for row in manager.filter(pk__in=ids):
            names[(model, row.pk)] = str(row)
    custom = {f.key: f.label for f in CustomField.objects.filter(target=CustomField.Target.PRODUCT)}
    rows = []
    for index, entry in enumerate(entries):
        record = entry.record
        changes = []
        for change in entry.changes:
            if change.field in _HISTORY_SKIPPED:
                continue
            model_field = Product._meta.get_field(change.field)
            changes.append(
                HistoryChange(
                    model_field.verbose_name,
                    _history_value(model_field, change.old, names, custom),
                    _history_value(model_field, change.new, names, custom),
                )
            )
        if record.history_type == "~" and not changes and index < len(entries) - 1:
            continue
        rows.append(
            HistoryRow(
                when=record.history_date,
                who=record.history_user,
                title=_HISTORY_TYPES.get(record.history_type, record.history_type),
                changes=changes,
                history_id=record.history_id,
                restorable=index > 0 and record.history_type != "-",
                reason=record.history_change_reason or "",
            )
        )
    return rows


def _history_value(
    model_field: Any, value: Any, names: dict[Any, str], custom: dict[str, str]
) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if model_field.is_relation and model_field.related_model is not None:
        return names.get((model_field.related_model, value), f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return _("Yes") if value else _("No")
    if isinstance(value, dict):
        return "; ".join(
            f"{custom.get(k, k)}: {v}" for k, v in value.items() if v not in (None, "", [])
        )
    return str(value)


@login_required
@require_GET
def product_history_tab(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product_or_404(request, pk)
    return render(
        request,
        "catalog/tabs/history.html",
        {
            "object": product,
            "rows": history_rows(product),
            "can_restore": has_perm(_membership(request), CHANGE, PRODUCT),
        },
    )


@login_required
@require_POST
def product_history_restore(request: HttpRequest, pk: int, history_id: int) -> HttpResponse:
    product = _product_or_404(request, pk)
    require_perm(_membership(request), CHANGE, PRODUCT)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        restore_product_version(
            product=product, actor=request.user, history_id=history_id, expected_version=version
        )
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The earlier version has been restored."))
    return redirect(_detail_url(product, "history"))


# --- void (作废) and restore, delete ------------------------------------------------------------------


def _posted_version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
@require_POST
def product_void(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product_or_404(request, pk)
    require_perm(_membership(request), CHANGE, PRODUCT)
    try:
        void_product(product=product, actor=request.user, expected_version=_posted_version(request))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("“%(name)s” is voided: it stays on old documents but cannot be put on new ones.")
            % {"name": product},
        )
    return redirect(_detail_url(product))


@login_required
@require_POST
def product_restore(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product_or_404(request, pk)
    require_perm(_membership(request), CHANGE, PRODUCT)
    try:
        restore_product(
            product=product, actor=request.user, expected_version=_posted_version(request)
        )
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("“%(name)s” is in use again.") % {"name": product})
    return redirect(_detail_url(product))


@login_required
@GET_POST
def product_delete(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product_or_404(request, pk)
    require_perm(_membership(request), DELETE, PRODUCT)
    if request.method == "POST":
        try:
            delete_product(product=product, actor=request.user)
        except DeletionRefused as error:
            messages.error(request, str(error.message))
            return redirect(_detail_url(product))
        messages.success(
            request, _("“%(name)s” has been moved to the recycle bin.") % {"name": product}
        )
        return redirect("catalog:product_list")
    return render(
        request,
        "catalog/product_delete.html",
        {
            "product": product,
            "blocker": deletion_blocker(product),
            "keep_days": settings.GUANXI_RECYCLE_BIN_DAYS,
        },
    )


# --- the image ----------------------------------------------------------------------------------

_IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


@login_required
@require_GET
def product_image(request: HttpRequest, pk: int) -> HttpResponse:
    """The product's picture, to members who may see the product (never a public URL)."""
    product = _product_or_404(request, pk)
    if not product.image:
        raise Http404
    name = product.image.name.lower()
    suffix = name[name.rfind(".") :] if "." in name else ""
    content_type = _IMAGE_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or ""
    if not content_type.startswith("image/") or content_type == "image/svg+xml":
        raise Http404
    try:
        handle = product.image.open("rb")
    except OSError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
