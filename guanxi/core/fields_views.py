"""Settings pages for custom fields (B4), edit schemes (编辑方案, layouts) and tags.

Every page asks for the "customfield" object type (administrators by default): a member
without it gets 403 on every page; a record of another organisation, or of another record
type than the one in the address, is a 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.core.custom_fields import (
    FieldTarget,
    delete_layout,
    field_target,
    field_targets,
    reorder_custom_fields,
    save_custom_field,
    save_layout,
    set_custom_field_active,
)
from guanxi.core.exceptions import DomainError, StaleEdit
from guanxi.core.fields_forms import (
    CustomFieldForm,
    LayoutEditor,
    LayoutForm,
    PreviewForm,
    TagForm,
)
from guanxi.core.models import CustomField, FieldLayout, Tag
from guanxi.core.permissions import (
    ADD,
    CHANGE,
    DELETE,
    VIEW,
    get_visible_or_404,
    has_perm,
    require_perm,
)
from guanxi.core.tags import delete_tag, save_tag, tag_usage, tags_with_usage

OBJECT_TYPE = "customfield"
GET_POST = require_http_methods(["GET", "POST"])


# --- helpers ---------------------------------------------------------------------------


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _require(request: HttpRequest, action: str) -> None:
    require_perm(_membership(request), action, OBJECT_TYPE)


def _may(request: HttpRequest, action: str) -> bool:
    return has_perm(_membership(request), action, OBJECT_TYPE)


def _target_or_404(key: str) -> FieldTarget:
    target = field_target(key)
    if target is None:
        raise Http404
    return target


def _field_or_404(request: HttpRequest, target: FieldTarget, pk: int) -> CustomField:
    queryset = CustomField.objects.filter(target=target.key)
    return get_visible_or_404(queryset, _membership(request), OBJECT_TYPE, pk=pk)


def _layout_or_404(request: HttpRequest, target: FieldTarget, pk: int) -> FieldLayout:
    queryset = FieldLayout.objects.filter(target=target.key)
    return get_visible_or_404(queryset, _membership(request), OBJECT_TYPE, pk=pk)


def _tag_or_404(request: HttpRequest, pk: int) -> Tag:
    return get_visible_or_404(tags_with_usage(), _membership(request), OBJECT_TYPE, pk=pk)


def _report(request: HttpRequest, form: forms.BaseForm, error: DomainError) -> None:
    """Show a refused operation: on its field, on the form for a stale edit, else as a message."""
    if error.field and error.field in form.fields:
        form.add_error(error.field, str(error.message))
    elif isinstance(error, StaleEdit):
        form.add_error(None, str(error.message))
    else:
        messages.error(request, str(error.message))


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.boosted


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _tabs(current: FieldTarget, url_name: str) -> list[dict[str, Any]]:
    return [
        {
            "key": t.key,
            "label": t.label,
            "url": reverse(url_name, args=[t.key]),
            "active": t.key == current.key,
        }
        for t in field_targets()
    ]


def _first_target_or_404() -> FieldTarget:
    targets = field_targets()
    if not targets:
        raise Http404
    return targets[0]


# --- custom field definitions ----------------------------------------------------------


@login_required
def field_home(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    return redirect("core:field_list", target=_first_target_or_404().key)


def _field_rows(target: FieldTarget) -> list[CustomField]:
    return list(CustomField.objects.filter(target=target.key).order_by("position", "id"))


@login_required
def field_list(request: HttpRequest, target: str) -> HttpResponse:
    _require(request, VIEW)
    record_type = _target_or_404(target)
    template = "core/fields/field_list.html"
    return render(
        request,
        f"{template}#rows" if _is_htmx(request) else template,
        {
            "target": record_type,
            "tabs": _tabs(record_type, "core:field_list"),
            "fields": _field_rows(record_type),
            "can_add": _may(request, ADD),
            "can_change": _may(request, CHANGE),
        },
    )


@login_required
@GET_POST
def field_create(request: HttpRequest, target: str) -> HttpResponse:
    _require(request, ADD)
    record_type = _target_or_404(target)
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = save_custom_field(
                org=request.org,  # type: ignore[attr-defined]
                actor=request.user,
                field=None,
                target=record_type.key,
                label=data["label"],
                field_type=data["field_type"],
                choices=data["choices"],
                required=data["required"],
                help_text=data["help_text"],
                key=data["key"],
            )
        except DomainError as error:
            _report(request, form, error)
        else:
            messages.success(
                request, _("The field “%(label)s” has been added.") % {"label": created.label}
            )
            return redirect("core:field_list", target=record_type.key)
    return render(
        request,
        "core/fields/field_form.html",
        {"form": form, "field": None, "target": record_type, "can_change": True},
    )


@login_required
@GET_POST
def field_edit(request: HttpRequest, target: str, pk: int) -> HttpResponse:
    _require(request, VIEW)
    record_type = _target_or_404(target)
    custom = _field_or_404(request, record_type, pk)
    can_change = _may(request, CHANGE)
    if request.method == "POST":
        _require(request, CHANGE)
        form = CustomFieldForm(request.POST, instance=custom)
        form.fields["version"].required = True
        if form.is_valid():
            data = form.cleaned_data
            try:
                save_custom_field(
                    org=request.org,  # type: ignore[attr-defined]
                    actor=request.user,
                    field=custom,
                    target=record_type.key,
                    label=data["label"],
                    field_type=custom.field_type,
                    choices=data["choices"],
                    required=data["required"],
                    help_text=data["help_text"],
                    is_active=custom.is_active,
                    expected_version=data["version"],
                )
            except DomainError as error:
                _report(request, form, error)
                custom = _field_or_404(request, record_type, pk)
            else:
                messages.success(
                    request, _("The field “%(label)s” has been saved.") % {"label": custom.label}
                )
                return redirect("core:field_list", target=record_type.key)
    else:
        form = CustomFieldForm(instance=custom)
    return render(
        request,
        "core/fields/field_form.html",
        {"form": form, "field": custom, "target": record_type, "can_change": can_change},
    )


@login_required
@GET_POST
def field_toggle_active(request: HttpRequest, target: str, pk: int) -> HttpResponse:
    _require(request, CHANGE)
    record_type = _target_or_404(target)
    custom = _field_or_404(request, record_type, pk)
    if request.method == "POST":
        active = request.POST.get("active") == "1"
        try:
            set_custom_field_active(
                field=custom,
                actor=request.user,
                active=active,
                expected_version=_int_or_none(request.POST.get("version")),
            )
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            if active:
                text = _("The field “%(label)s” is active again.")
            else:
                text = _("The field “%(label)s” has been deactivated; its values are kept.")
            messages.success(request, text % {"label": custom.label})
        return redirect("core:field_list", target=record_type.key)
    return render(
        request, "core/fields/field_toggle_active.html", {"field": custom, "target": record_type}
    )


@login_required
@require_POST
def field_reorder(request: HttpRequest, target: str) -> HttpResponse:
    """Store the order of the rows: dragged (htmx posts every row's id in its new place)
    or moved one step by an up/down button (`move` = "<id>:up" or "<id>:down")."""
    _require(request, CHANGE)
    record_type = _target_or_404(target)
    order = [pk for pk in map(_int_or_none, request.POST.getlist("order")) if pk is not None]
    if not order:
        order = [f.pk for f in _field_rows(record_type)]
    moved, _sep, direction = str(request.POST.get("move") or "").partition(":")
    moved_pk = _int_or_none(moved)
    if moved_pk in order and direction in ("up", "down"):
        at = order.index(moved_pk)
        other = at - 1 if direction == "up" else at + 1
        if 0 <= other < len(order):
            order[at], order[other] = order[other], order[at]
    reorder_custom_fields(
        org=request.org,  # type: ignore[attr-defined]
        actor=request.user,
        target=record_type.key,
        order=order,
    )
    if _is_htmx(request):
        return render(
            request,
            "core/fields/field_list.html#rows",
            {
                "target": record_type,
                "fields": _field_rows(record_type),
                "can_change": True,
            },
        )
    return redirect("core:field_list", target=record_type.key)


# --- edit schemes (layouts) ------------------------------------------------------------


@login_required
def layout_home(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    return redirect("core:layout_list", target=_first_target_or_404().key)


@login_required
def layout_list(request: HttpRequest, target: str) -> HttpResponse:
    _require(request, VIEW)
    record_type = _target_or_404(target)
    layouts = list(FieldLayout.objects.filter(target=record_type.key).order_by("name", "id"))
    rows = [
        {
            "layout": layout,
            "groups": len(layout.groups or []),
            "fields": sum(len(g.get("fields", [])) for g in layout.groups or []),
        }
        for layout in layouts
    ]
    return render(
        request,
        "core/fields/layout_list.html",
        {
            "target": record_type,
            "tabs": _tabs(record_type, "core:layout_list"),
            "rows": rows,
            "has_default": any(layout.is_default for layout in layouts),
            "can_add": _may(request, ADD),
            "can_change": _may(request, CHANGE),
            "can_delete": _may(request, DELETE),
        },
    )


@login_required
@GET_POST
def layout_create(request: HttpRequest, target: str) -> HttpResponse:
    _require(request, ADD)
    record_type = _target_or_404(target)
    if request.method == "POST":
        form = LayoutForm(request.POST)
        if form.is_valid():
            try:
                layout = save_layout(
                    org=request.org,  # type: ignore[attr-defined]
                    actor=request.user,
                    layout=None,
                    target=record_type.key,
                    name=form.cleaned_data["name"],
                    groups=[],
                    is_default=form.cleaned_data["is_default"],
                )
            except DomainError as error:
                _report(request, form, error)
            else:
                messages.success(
                    request,
                    _("The edit scheme “%(name)s” has been created. Now arrange its groups.")
                    % {"name": layout.name},
                )
                return redirect("core:layout_edit", target=record_type.key, pk=layout.pk)
    else:
        existing = FieldLayout.objects.filter(target=record_type.key)
        first = not existing.exists()
        form = LayoutForm(
            initial={
                # The first scheme of a record type is its standard one (标准方案).
                "name": _("Standard scheme") if first else "",
                "is_default": not existing.filter(is_default=True).exists(),
            }
        )
    return render(request, "core/fields/layout_create.html", {"form": form, "target": record_type})


def _editor_context(
    request: HttpRequest,
    record_type: FieldTarget,
    layout: FieldLayout,
    editor: LayoutEditor,
    form: LayoutForm,
) -> dict[str, Any]:
    return {
        "target": record_type,
        "layout": layout,
        "editor": editor,
        "form": form,
        "preview": PreviewForm(editor.preview()),
        "can_change": _may(request, CHANGE),
        "can_delete": _may(request, DELETE) and not layout.is_default,
    }


@login_required
@GET_POST
def layout_edit(request: HttpRequest, target: str, pk: int) -> HttpResponse:
    """The editor of one edit scheme: name, default flag, and its groups of fields."""
    _require(request, VIEW)
    record_type = _target_or_404(target)
    layout = _layout_or_404(request, record_type, pk)
    fields = _field_rows(record_type)
    template = "core/fields/layout_edit.html"
    if request.method != "POST":
        editor = LayoutEditor.for_layout(layout, fields)
        form = LayoutForm(
            initial={
                "name": layout.name,
                "is_default": layout.is_default,
                "version": layout.version,
            }
        )
        return render(
            request, template, _editor_context(request, record_type, layout, editor, form)
        )

    _require(request, CHANGE)
    editor = LayoutEditor.from_post(request.POST, layout, fields)
    op = str(request.POST.get("op") or "save")
    if op == "preview" and _is_htmx(request):
        context = _editor_context(request, record_type, layout, editor, LayoutForm())
        return render(request, f"{template}#preview", context)
    if op != "save":
        form = LayoutForm.unbound_from(request.POST)
        return render(
            request, template, _editor_context(request, record_type, layout, editor, form)
        )

    form = LayoutForm(request.POST)
    form.fields["version"].required = True
    if form.is_valid() and not editor.errors:
        data = form.cleaned_data
        try:
            saved = save_layout(
                org=request.org,  # type: ignore[attr-defined]
                actor=request.user,
                layout=layout,
                target=record_type.key,
                name=data["name"],
                groups=editor.to_store(),
                is_default=data["is_default"],
                expected_version=data["version"],
            )
        except DomainError as error:
            _report(request, form, error)
            layout = _layout_or_404(request, record_type, pk)
        else:
            messages.success(
                request, _("The edit scheme “%(name)s” has been saved.") % {"name": saved.name}
            )
            return redirect("core:layout_edit", target=record_type.key, pk=saved.pk)
    return render(request, template, _editor_context(request, record_type, layout, editor, form))


@login_required
@require_POST
def layout_make_default(request: HttpRequest, target: str, pk: int) -> HttpResponse:
    _require(request, CHANGE)
    record_type = _target_or_404(target)
    layout = _layout_or_404(request, record_type, pk)
    try:
        save_layout(
            org=request.org,  # type: ignore[attr-defined]
            actor=request.user,
            layout=layout,
            target=record_type.key,
            name=layout.name,
            groups=layout.groups,
            is_default=True,
            expected_version=_int_or_none(request.POST.get("version")),
        )
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("“%(name)s” is now the default edit scheme.") % {"name": layout.name},
        )
    return redirect("core:layout_list", target=record_type.key)


@login_required
@GET_POST
def layout_delete(request: HttpRequest, target: str, pk: int) -> HttpResponse:
    _require(request, DELETE)
    record_type = _target_or_404(target)
    layout = _layout_or_404(request, record_type, pk)
    if request.method == "POST":
        try:
            delete_layout(layout=layout, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect("core:layout_edit", target=record_type.key, pk=layout.pk)
        messages.success(
            request, _("The edit scheme “%(name)s” has been deleted.") % {"name": layout.name}
        )
        return redirect("core:layout_list", target=record_type.key)
    return render(
        request,
        "accounts/settings/confirm_delete.html",
        {
            "object": layout,
            "title": _("Delete edit scheme"),
            "question": _(
                "Delete the edit scheme “%(name)s”? The fields and their values stay; only "
                "this arrangement goes."
            )
            % {"name": layout.name},
            "cancel_url": reverse("core:layout_edit", args=[record_type.key, layout.pk]),
        },
    )


# --- tags ------------------------------------------------------------------------------


@login_required
def tag_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    query = str(request.GET.get("q") or "").strip()[:100]
    tags = tags_with_usage()
    if query:
        tags = tags.filter(name__icontains=query)
    page = Paginator(tags, settings.GUANXI_PAGE_SIZE).get_page(request.GET.get("page"))
    template = "core/fields/tag_list.html"
    return render(
        request,
        f"{template}#rows" if _is_htmx(request) else template,
        {
            "page": page,
            "q": query,
            "form": TagForm() if _may(request, ADD) else None,
            "can_add": _may(request, ADD),
            "can_change": _may(request, CHANGE),
            "can_delete": _may(request, DELETE),
        },
    )


@login_required
@GET_POST
def tag_create(request: HttpRequest) -> HttpResponse:
    _require(request, ADD)
    form = TagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tag = save_tag(
                org=request.org,  # type: ignore[attr-defined]
                actor=request.user,
                tag=None,
                name=form.cleaned_data["name"],
                color=form.cleaned_data["color"],
            )
        except DomainError as error:
            _report(request, form, error)
        else:
            messages.success(request, _("The tag “%(name)s” has been added.") % {"name": tag.name})
            return redirect("core:tag_list")
    return render(request, "core/fields/tag_form.html", {"form": form, "tag": None})


@login_required
@GET_POST
def tag_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, VIEW)
    tag = _tag_or_404(request, pk)
    can_change = _may(request, CHANGE)
    if request.method == "POST":
        _require(request, CHANGE)
        form = TagForm(request.POST)
        form.fields["version"].required = True
        if form.is_valid():
            try:
                save_tag(
                    org=request.org,  # type: ignore[attr-defined]
                    actor=request.user,
                    tag=tag,
                    name=form.cleaned_data["name"],
                    color=form.cleaned_data["color"],
                    expected_version=form.cleaned_data["version"],
                )
            except DomainError as error:
                _report(request, form, error)
                tag = _tag_or_404(request, pk)
            else:
                messages.success(
                    request, _("The tag “%(name)s” has been saved.") % {"name": tag.name}
                )
                return redirect("core:tag_list")
    else:
        form = TagForm(initial={"name": tag.name, "color": tag.color, "version": tag.version})
    return render(
        request,
        "core/fields/tag_form.html",
        {
            "form": form,
            "tag": tag,
            "can_change": can_change,
            "can_delete": _may(request, DELETE),
        },
    )


@login_required
@GET_POST
def tag_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, DELETE)
    tag = _tag_or_404(request, pk)
    if request.method == "POST":
        removed = delete_tag(tag=tag, actor=request.user)
        messages.success(
            request,
            ngettext(
                "The tag “%(name)s” has been deleted and taken off %(count)s record.",
                "The tag “%(name)s” has been deleted and taken off %(count)s records.",
                removed,
            )
            % {"name": tag.name, "count": removed},
        )
        return redirect("core:tag_list")
    usage = tag_usage(tag)
    return render(
        request,
        "accounts/settings/confirm_delete.html",
        {
            "object": tag,
            "title": _("Delete tag"),
            "question": ngettext(
                "Delete the tag “%(name)s”? It is taken off the %(count)s record that carries "
                "it. This cannot be undone.",
                "Delete the tag “%(name)s”? It is taken off the %(count)s records that carry "
                "it. This cannot be undone.",
                usage,
            )
            % {"name": tag.name, "count": usage},
            "cancel_url": reverse("core:tag_edit", args=[tag.pk]),
        },
    )
