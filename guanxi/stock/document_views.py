"""Stock document pages: the list per kind, drafts with the line editor, posting (过帐),
reversal, correction ("edit" of a posted document), and drafts made from an order, a
purchase order or a document to return against.

Views parse the request and call one service; the services decide. A document the
member may not see is a 404; an action the role does not grant is a 403.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.core.exceptions import DomainError, StaleEdit
from guanxi.core.permissions import (
    ADD,
    CHANGE,
    DELETE,
    POST,
    VIEW,
    get_visible_or_404,
    has_perm,
    require_perm,
)
from guanxi.finance.models import PartyLedgerEntry
from guanxi.sales.models import Order, PurchaseOrder
from guanxi.stock import selectors, services
from guanxi.stock.forms import (
    CorrectionReasonForm,
    DocumentFilterForm,
    DocumentForm,
    LineFormSet,
    ReverseForm,
    is_priced,
    line_initial,
)
from guanxi.stock.models import StockDocument, StockLedgerEntry
from guanxi.stock.posting import (
    PARTY_ROLE,
    correct_document,
    org_today,
    post_document,
    reverse_document,
)

GET_POST = require_http_methods(["GET", "POST"])
DOCUMENT = "stock_document"
Kind = StockDocument.Kind
Status = StockDocument.Status

# The tabs of the document list, in the order users know them.
KIND_TABS = [
    (Kind.PURCHASE_RECEIPT, "truck-delivery"),
    (Kind.SALES_DELIVERY, "package-export"),
    (Kind.SALES_RETURN, "arrow-back-up"),
    (Kind.PURCHASE_RETURN, "truck-return"),
    (Kind.TRANSFER, "arrows-exchange"),
    (Kind.ADJUSTMENT, "adjustments"),
]


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted)


def _perms(membership: Any) -> dict[str, bool]:
    return {
        "can_add": has_perm(membership, ADD, DOCUMENT),
        "can_change": has_perm(membership, CHANGE, DOCUMENT),
        "can_delete": has_perm(membership, DELETE, DOCUMENT),
        "can_post": has_perm(membership, POST, DOCUMENT),
    }


def _kind_or_default(value: Any) -> str:
    return value if value in Kind.values else Kind.SALES_DELIVERY


# --- the list -----------------------------------------------------------------------------


@login_required
def document_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, DOCUMENT)
    kind = _kind_or_default(request.GET.get("kind"))
    form = DocumentFilterForm(request.GET or None, org_id=membership.org_id)
    filters = selectors.DocumentFilters(kind=kind)
    if form.is_valid():
        data = form.cleaned_data
        filters.q = data.get("q") or ""
        filters.status = data.get("status") or None
        filters.warehouse_id = data.get("warehouse")
        filters.date_from = data.get("date_from")
        filters.date_to = data.get("date_to")
        filters.party_id = data.get("party")
    page = selectors.keyset_page(
        selectors.filtered_documents(membership, filters),
        selectors.DOCUMENT_ORDER,
        request.GET.get("cursor"),
        settings.GUANXI_PAGE_SIZE,
    )
    context = {
        "kind": kind,
        "kind_label": Kind(kind).label,
        "tabs": [(value, Kind(value).label, icon) for value, icon in KIND_TABS],
        "filter_form": form,
        "page": page,
        "priced": is_priced(kind),
        "has_party": kind in PARTY_ROLE,
        **_perms(membership),
    }
    if _is_htmx(request):
        return render(request, "stock/document_list.html#rows", context)
    return render(request, "stock/document_list.html", context)


# --- the editor ---------------------------------------------------------------------------


def _put_errors(
    error: Exception, form: DocumentForm, formset: Any, indexes: list[int]
) -> list[str]:
    """Put a service's errors on the header fields and line rows; return the rest."""
    leftovers: list[str] = []
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for key, field_messages in error.message_dict.items():
            parts = key.split(".")
            if parts[0] == "lines" and len(parts) >= 2 and parts[1].isdigit():
                position = int(parts[1])
                field = parts[2] if len(parts) > 2 else None
                if position < len(indexes):
                    row = formset.forms[indexes[position]]
                    target = {"product": "product_search"}.get(field or "", field)
                    if target not in row.fields:
                        target = None
                    for message in field_messages:
                        row.add_error(target, message)
                    continue
            if key in form.fields:
                for message in field_messages:
                    form.add_error(key, message)
            else:
                leftovers.extend(field_messages)
    elif isinstance(error, DomainError):
        leftovers.append(str(error.message))
    else:
        leftovers.extend(getattr(error, "messages", [str(error)]))
    return leftovers


def _editor_context(
    *,
    kind: str,
    form: DocumentForm,
    formset: Any,
    document: StockDocument | None = None,
    source: Any = None,
    errors: list[str] | None = None,
    action: str,
    mode: str = "create",
    reason_form: Any = None,
) -> dict[str, Any]:
    for row in formset.forms:
        initial = row.initial or {}
        product_id = row["product"].value()
        row.serial_tracked = initial.get("_serial_tracked", False)
        row.unit = initial.get("_unit", "")
        row.product_id = product_id
    return {
        "kind": kind,
        "kind_label": Kind(kind).label,
        "form": form,
        "formset": formset,
        "document": document,
        "source": source,
        "errors": errors or [],
        "priced": is_priced(kind),
        "signed": kind == Kind.ADJUSTMENT,
        "action": action,
        "mode": mode,
        "reason_form": reason_form,
        "purchase": kind in {Kind.PURCHASE_RECEIPT, Kind.PURCHASE_RETURN},
    }


def _initial_header(request: HttpRequest, document: StockDocument | None = None) -> dict[str, Any]:
    if document is not None:
        return {
            "date": document.date,
            "party": document.party_id,
            "warehouse": document.warehouse_id,
            "to_warehouse": document.to_warehouse_id,
            "due_date": document.due_date,
            "notes": document.notes,
            "version": document.version,
        }
    org = request.org  # type: ignore[attr-defined]
    return {
        "date": org_today(org),
        "warehouse": services.ensure_default_warehouse(org).pk,
    }


def _editor(
    request: HttpRequest,
    *,
    kind: str,
    initial: dict[str, Any],
    lines: list[dict[str, Any]],
    fixed: dict[str, Any] | None = None,
    fixed_party: Any = None,
    source: Any = None,
    action: str,
    heading: str | None = None,
) -> HttpResponse:
    """The new-draft page: GET shows the form (prefilled), POST creates the draft and, with
    "save and post", posts it in the same step."""
    membership = _membership(request)
    org_id = membership.org_id
    fixed = fixed or {}
    if request.method == "POST":
        form = DocumentForm(request.POST, kind=kind, membership=membership, fixed_party=fixed_party)
        formset = LineFormSet(request.POST, prefix="lines", org_id=org_id)
        if form.is_valid() & formset.is_valid():
            rows, indexes = formset.service_rows()
            data = {"kind": kind, **form.service_data(), **fixed}
            try:
                document = services.create_draft(
                    org=request.org,  # type: ignore[attr-defined]
                    user=request.user,
                    data=data,
                    lines=rows,
                )
            except (ValidationError, DomainError) as error:
                leftovers = _put_errors(error, form, formset, indexes)
            else:
                return _after_save(request, document)
            context = _editor_context(
                kind=kind,
                form=form,
                formset=formset,
                source=source,
                errors=leftovers,
                action=action,
            )
            context["heading"] = heading
            return render(request, "stock/document_form.html", context, status=422)
        context = _editor_context(
            kind=kind, form=form, formset=formset, source=source, action=action
        )
        context["heading"] = heading
        return render(request, "stock/document_form.html", context, status=422)
    form = DocumentForm(initial=initial, kind=kind, membership=membership, fixed_party=fixed_party)
    formset = LineFormSet(
        prefix="lines", org_id=org_id, initial=[line_initial(row) for row in lines] or [{}]
    )
    context = _editor_context(kind=kind, form=form, formset=formset, source=source, action=action)
    context["heading"] = heading
    return render(request, "stock/document_form.html", context)


def _after_save(request: HttpRequest, document: StockDocument) -> HttpResponse:
    membership = _membership(request)
    if request.POST.get("then") == "post":
        if not has_perm(membership, POST, DOCUMENT):
            messages.warning(request, _("Saved as a draft: you may not post documents."))
            return redirect(document.get_absolute_url())
        try:
            post_document(document, user=request.user)
        except ValidationError as error:
            messages.error(
                request,
                _("Saved as a draft, but it cannot be posted yet: %(reasons)s")
                % {"reasons": " ".join(_flat_messages(error))},
            )
            return redirect(document.get_absolute_url())
        messages.success(request, _("%(number)s is posted.") % {"number": document.number})
        return redirect(document.get_absolute_url())
    messages.success(request, _("Draft %(number)s saved.") % {"number": document.number})
    return redirect(document.get_absolute_url())


def _flat_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for msgs in error.message_dict.values() for m in msgs]
    return list(error.messages)


@login_required
@GET_POST
def document_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, ADD, DOCUMENT)
    kind = _kind_or_default(request.POST.get("kind") or request.GET.get("kind"))
    return _editor(
        request,
        kind=kind,
        initial=_initial_header(request),
        lines=[],
        action=f"{reverse('stock:document_create')}?kind={kind}",
    )


@login_required
@GET_POST
def delivery_from_order(request: HttpRequest, order_pk: int) -> HttpResponse:
    """A delivery of what is still to deliver on an order (partial deliveries: lower the
    quantities or remove lines before saving)."""
    membership = _membership(request)
    require_perm(membership, ADD, DOCUMENT)
    order = get_visible_or_404(
        Order.objects.select_related("party"), membership, "order", pk=order_pk
    )
    if order.status not in {Order.Status.CONFIRMED, Order.Status.COMPLETED}:
        messages.error(request, _("Only confirmed orders can be delivered."))
        return redirect(order.get_absolute_url())
    lines = services.delivery_lines_for_order(order)
    if not lines and request.method == "GET":
        messages.info(request, _("Everything on this order has been delivered."))
        return redirect(order.get_absolute_url())
    initial = _initial_header(request)
    initial["party"] = order.party_id
    if order.warehouse_id:
        initial["warehouse"] = order.warehouse_id
    return _editor(
        request,
        kind=Kind.SALES_DELIVERY,
        initial=initial,
        lines=lines,
        fixed={"order": order.pk, "party": order.party_id},
        fixed_party=order.party,
        source=order,
        action=reverse("stock:delivery_from_order", args=[order.pk]),
        heading=_("Delivery for order %(number)s") % {"number": order.number},
    )


@login_required
@GET_POST
def receipt_from_purchase_order(request: HttpRequest, po_pk: int) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, ADD, DOCUMENT)
    po = get_visible_or_404(
        PurchaseOrder.objects.select_related("supplier"), membership, "purchase_order", pk=po_pk
    )
    if po.status not in {
        PurchaseOrder.Status.CONFIRMED,
        PurchaseOrder.Status.PARTIAL,
        PurchaseOrder.Status.RECEIVED,
    }:
        messages.error(request, _("Only confirmed purchase orders can be received."))
        return redirect(po.get_absolute_url())
    lines = services.receipt_lines_for_purchase_order(po)
    if not lines and request.method == "GET":
        messages.info(request, _("Everything on this purchase order has been received."))
        return redirect(po.get_absolute_url())
    initial = _initial_header(request)
    initial["party"] = po.supplier_id
    if po.warehouse_id:
        initial["warehouse"] = po.warehouse_id
    return _editor(
        request,
        kind=Kind.PURCHASE_RECEIPT,
        initial=initial,
        lines=lines,
        fixed={"purchase_order": po.pk, "party": po.supplier_id},
        fixed_party=po.supplier,
        source=po,
        action=reverse("stock:receipt_from_purchase_order", args=[po.pk]),
        heading=_("Receipt for purchase order %(number)s") % {"number": po.number},
    )


@login_required
@GET_POST
def return_from_document(request: HttpRequest, pk: int) -> HttpResponse:
    """A sales return against a posted delivery, or a purchase return against a receipt."""
    membership = _membership(request)
    require_perm(membership, ADD, DOCUMENT)
    source = selectors.get_document_for_user(membership, pk)
    kind = {
        Kind.SALES_DELIVERY: Kind.SALES_RETURN,
        Kind.PURCHASE_RECEIPT: Kind.PURCHASE_RETURN,
    }.get(source.kind)
    if kind is None or source.status != Status.POSTED:
        messages.error(request, _("Only posted deliveries and purchase receipts can be returned."))
        return redirect(source.get_absolute_url())
    lines = services.returnable_lines(source)
    if not lines and request.method == "GET":
        messages.info(request, _("Everything on this document has been returned."))
        return redirect(source.get_absolute_url())
    initial = _initial_header(request)
    initial["party"] = source.party_id
    initial["warehouse"] = source.warehouse_id
    fixed: dict[str, Any] = {"return_of": source.pk, "party": source.party_id}
    if source.order_id:
        fixed["order"] = source.order_id
    if source.purchase_order_id:
        fixed["purchase_order"] = source.purchase_order_id
    return _editor(
        request,
        kind=kind,
        initial=initial,
        lines=lines,
        fixed=fixed,
        fixed_party=source.party,
        source=source,
        action=reverse("stock:return_from_document", args=[source.pk]),
        heading=_("Return against %(number)s") % {"number": source.number},
    )


@login_required
@GET_POST
def document_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft (a posted document is corrected instead)."""
    membership = _membership(request)
    document = selectors.get_document_for_user(membership, pk)
    require_perm(membership, CHANGE, DOCUMENT)
    if document.status != Status.DRAFT:
        return redirect(reverse("stock:document_correct", args=[document.pk]))
    kind = document.kind
    org_id = membership.org_id
    fixed_party = (
        document.party
        if (document.order_id or document.purchase_order_id or document.return_of_id)
        else None
    )
    action = reverse("stock:document_edit", args=[document.pk])
    if request.method == "POST":
        form = DocumentForm(request.POST, kind=kind, membership=membership, fixed_party=fixed_party)
        formset = LineFormSet(request.POST, prefix="lines", org_id=org_id)
        leftovers: list[str] = []
        if form.is_valid() & formset.is_valid():
            rows, indexes = formset.service_rows()
            try:
                document = services.update_draft(
                    document=document,
                    user=request.user,
                    data=form.service_data(),
                    lines=rows,
                    expected_version=form.cleaned_data.get("version") or 0,
                )
            except (ValidationError, DomainError) as error:
                if isinstance(error, StaleEdit):
                    leftovers = [str(error.message)]
                else:
                    leftovers = _put_errors(error, form, formset, indexes)
            else:
                return _after_save(request, document)
        context = _editor_context(
            kind=kind,
            form=form,
            formset=formset,
            document=document,
            errors=leftovers,
            action=action,
            mode="edit",
        )
        return render(request, "stock/document_form.html", context, status=422)
    form = DocumentForm(
        initial=_initial_header(request, document),
        kind=kind,
        membership=membership,
        fixed_party=fixed_party,
    )
    formset = LineFormSet(
        prefix="lines",
        org_id=org_id,
        initial=[line_initial(row) for row in services.line_input(document)] or [{}],
    )
    context = _editor_context(
        kind=kind, form=form, formset=formset, document=document, action=action, mode="edit"
    )
    return render(request, "stock/document_form.html", context)


@login_required
@GET_POST
def document_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Edit" a posted document: the same editor; saving reverses it and posts the
    corrected copy, both kept in the document's history."""
    membership = _membership(request)
    document = selectors.get_document_for_user(membership, pk)
    require_perm(membership, POST, DOCUMENT)
    if document.status != Status.POSTED or document.reverses_id:
        messages.error(
            request, _("Only a posted document that is not a reversal can be corrected.")
        )
        return redirect(document.get_absolute_url())
    kind = document.kind
    org_id = membership.org_id
    action = reverse("stock:document_correct", args=[document.pk])
    if request.method == "POST":
        form = DocumentForm(request.POST, kind=kind, membership=membership)
        formset = LineFormSet(request.POST, prefix="lines", org_id=org_id)
        reason_form = CorrectionReasonForm(request.POST)
        leftovers: list[str] = []
        if form.is_valid() & formset.is_valid() & reason_form.is_valid():
            rows, indexes = formset.service_rows()
            if form.cleaned_data.get("version") not in (None, document.version):
                leftovers = [str(StaleEdit.default_message)]
            else:
                try:
                    correction = correct_document(
                        document,
                        user=request.user,
                        lines=rows,
                        header=form.service_data(),
                        reason=reason_form.cleaned_data["reason"],
                    )
                except (ValidationError, DomainError) as error:
                    leftovers = _put_errors(error, form, formset, indexes)
                else:
                    messages.success(
                        request,
                        _("%(old)s was reversed and %(new)s posted in its place.")
                        % {"old": document.number, "new": correction.number},
                    )
                    return redirect(correction.get_absolute_url())
        context = _editor_context(
            kind=kind,
            form=form,
            formset=formset,
            document=document,
            errors=leftovers,
            action=action,
            mode="correct",
            reason_form=reason_form,
        )
        return render(request, "stock/document_form.html", context, status=422)
    form = DocumentForm(
        initial=_initial_header(request, document), kind=kind, membership=membership
    )
    formset = LineFormSet(
        prefix="lines",
        org_id=org_id,
        initial=[line_initial(row) for row in services.line_input(document)],
    )
    context = _editor_context(
        kind=kind,
        form=form,
        formset=formset,
        document=document,
        action=action,
        mode="correct",
        reason_form=CorrectionReasonForm(),
    )
    return render(request, "stock/document_form.html", context)


# --- one document ---------------------------------------------------------------------------


@login_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    document = selectors.get_document_for_user(membership, pk)
    lines = selectors.document_lines(document)
    entries = list(
        StockLedgerEntry.objects.filter(document=document)
        .select_related("product", "warehouse")
        .order_by("id")
    )
    party_entries = list(PartyLedgerEntry.objects.filter(stock_document=document).order_by("id"))
    chain = selectors.document_chain(membership, document)
    returns = selectors.returns_of(membership, document)
    perms = _perms(membership)
    context = {
        "document": document,
        "lines": lines,
        "entries": entries,
        "party_entries": party_entries,
        "chain": chain if len(chain) > 1 else [],
        "returns": returns,
        "priced": is_priced(document.kind),
        "can_return": (
            perms["can_add"]
            and document.status == Status.POSTED
            and document.kind in {Kind.SALES_DELIVERY, Kind.PURCHASE_RECEIPT}
            and not document.reverses_id
        ),
        "can_correct": perms["can_post"]
        and document.status == Status.POSTED
        and not document.reverses_id,
        "reverse_form": ReverseForm(),
        **perms,
    }
    return render(request, "stock/document_detail.html", context)


@login_required
@require_POST
def document_post(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    document = selectors.get_document_for_user(membership, pk)
    require_perm(membership, POST, DOCUMENT)
    if document.status != Status.DRAFT:
        messages.info(request, _("%(number)s is already posted.") % {"number": document.number})
        return redirect(document.get_absolute_url())
    try:
        post_document(document, user=request.user)
    except ValidationError as error:
        for message in _flat_messages(error):
            messages.error(request, message)
        return redirect(document.get_absolute_url())
    messages.success(request, _("%(number)s is posted.") % {"number": document.number})
    return redirect(document.get_absolute_url())


@login_required
@GET_POST
def document_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    document = selectors.get_document_for_user(membership, pk)
    require_perm(membership, POST, DOCUMENT)
    form = ReverseForm(request.POST or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            reversal = reverse_document(
                document,
                user=request.user,
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data.get("date"),
            )
        except (ValidationError, DomainError) as error:
            errors = (
                _flat_messages(error)
                if isinstance(error, ValidationError)
                else [str(error.message)]
            )
        else:
            messages.success(
                request,
                _("%(old)s is reversed by %(new)s.")
                % {"old": document.number, "new": reversal.number},
            )
            return redirect(reversal.get_absolute_url())
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "stock/document_reverse.html",
        {"document": document, "form": form, "errors": errors},
        status=status,
    )


@login_required
@require_POST
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    document = selectors.get_document_for_user(membership, pk)
    require_perm(membership, DELETE, DOCUMENT)
    try:
        services.delete_draft(document=document, user=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(document.get_absolute_url())
    messages.success(request, _("Draft %(number)s deleted.") % {"number": document.number})
    return redirect(f"{reverse('stock:document_list')}?kind={document.kind}")


def _date_or_none(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


__all__ = [
    "PermissionDenied",
    "delivery_from_order",
    "document_correct",
    "document_create",
    "document_delete",
    "document_detail",
    "document_edit",
    "document_list",
    "document_post",
    "document_reverse",
    "receipt_from_purchase_order",
    "return_from_document",
]
