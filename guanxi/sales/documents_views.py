"""Pages of the sales documents: quotes (C5), orders and pre-orders (C6, C12) and purchase
orders (C7) — lists, the line editor, detail pages with their actions, print view, PDF,
sending a quote by e-mail — and the customer page's tabs.

Views are thin: they check permissions (guanxi.core.permissions; a record the member
may not see is a 404), parse forms, call one service, and put its field errors back on
the form and the line rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.activities.selectors import keyset_page
from guanxi.core.exceptions import DomainError
from guanxi.core.history import history_entries
from guanxi.core.permissions import (
    ADD,
    CHANGE,
    DELETE,
    VIEW,
    get_visible_or_404,
    has_perm,
    require_perm,
)
from guanxi.parties.models import Party
from guanxi.parties.selectors import get_party_for_user, visible_contacts, visible_parties
from guanxi.sales import documents_selectors as sel
from guanxi.sales import documents_services as services
from guanxi.sales.documents_forms import (
    LINES_PREFIX,
    CancelOrderForm,
    DocumentFilterForm,
    LineFormSet,
    OrderForm,
    PurchaseLineFormSet,
    PurchaseOrderForm,
    QuoteForm,
    SendQuoteForm,
    copied_line_initial,
    formset_rows,
    line_initial,
    put_line_errors,
)
from guanxi.sales.models import Opportunity, Order, PurchaseOrder, Quote
from guanxi.sales.pricing import (
    discounted_unit_price,
    document_totals,
    line_errors,
    price_line,
)
from guanxi.web.navigation import nav_entries

GET_POST = require_http_methods(["GET", "POST"])
T = "sales/documents"
TAB_LIMIT = 50


# --- helpers ------------------------------------------------------------------------------


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted)


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {"sales_nav": nav_entries(request, "sales"), **extra}


def _report(form: Any, error: Exception) -> None:
    """Put a refused save's message on the form's fields, else on the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, field_messages in error.message_dict.items():
            target = name if name in form.fields else None
            for message in field_messages:
                form.add_error(target, message)
    elif isinstance(error, DomainError):
        field = error.field if error.field in form.fields else None
        form.add_error(field, str(error.message))
    else:
        form.add_error(None, "; ".join(getattr(error, "messages", [str(error)])))


def _report_document(form: Any, formset: Any, index: list[int], error: Exception) -> list[str]:
    """Spread a service's errors over the header form and the line rows; return the
    messages about the lines as a whole."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        rest, general = put_line_errors(formset, error.message_dict, index)
        if rest:
            _report(form, ValidationError(rest))
        return general
    _report(form, error)
    return []


def _action_error(request: HttpRequest, error: Exception) -> None:
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
    elif isinstance(error, DomainError):
        messages.error(request, str(error.message))
    else:  # pragma: no cover - only the two kinds are caught
        messages.error(request, str(error))


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version")
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        return None


def _sort_links(request: HttpRequest, sorts: dict[str, Any], current: str) -> dict[str, str]:
    """Query strings that sort the list by each column (again: the other direction)."""
    links = {}
    params = request.GET.copy()
    params.pop("cursor", None)
    for key in sorts:
        if key.startswith("-"):
            continue
        params["sort"] = f"-{key}" if current == key else key
        links[key] = "?" + params.urlencode()
    return links


def _line_formset(purchase: bool) -> Any:
    return PurchaseLineFormSet if purchase else LineFormSet


def _document_list(
    request: HttpRequest,
    *,
    type_key: str,
    queryset: Callable[[Any, Any], Any],
    sorts: dict[str, tuple[str, ...]],
    statuses: Any,
    template: str,
    kinds: Any = None,
    search_placeholder: Any = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, type_key)
    form = DocumentFilterForm(
        request.GET, statuses=statuses, kinds=kinds, search_placeholder=search_placeholder
    )
    filters = form.filters()
    sort = request.GET.get("sort") or sel.DEFAULT_SORT
    if sort not in sorts:
        sort = sel.DEFAULT_SORT
    page = keyset_page(
        queryset(membership, filters),
        sel.ordering_for(sorts, sort),
        request.GET.get("cursor"),
        settings.GUANXI_PAGE_SIZE,
    )
    context = _context(
        request,
        filter_form=form,
        page=page,
        sort=sort,
        sort_links=_sort_links(request, sorts, sort),
        can_add=has_perm(membership, ADD, type_key),
        **(extra or {}),
    )
    if _is_htmx(request):
        return render(request, f"{template}#rows", context)
    return render(request, template, context)


# --- the line editor's helpers -------------------------------------------------------------


@login_required
@require_POST
def price_preview(request: HttpRequest) -> JsonResponse:
    """Price the editor's rows as the service will (guanxi.sales.pricing): each row's
    amounts or its field errors, and the totals of the valid rows. Writes nothing."""
    purchase = request.POST.get("purchase") == "1"
    formset = _line_formset(purchase)(request.POST, prefix=LINES_PREFIX)
    rows: dict[str, Any] = {}
    amounts = []
    if formset.is_valid():
        for number, form in enumerate(formset.forms):
            if formset._should_delete_form(form) or form.is_blank():
                continue
            data = form.service_row()
            price_key = "list_price" if purchase else "unit_price"
            errors = line_errors(
                data["quantity"] or "0",
                data[price_key] or "0",
                data["discount_percent"] or "0",
                data["tax_rate"] or "0",
                allow_zero_quantity=True,
            )
            if errors:
                rows[str(number)] = {"errors": {k: v[0] for k, v in errors.items()}}
                continue
            line = price_line(
                data["quantity"] or "0",
                data[price_key] or "0",
                data["discount_percent"] or "0",
                data["tax_rate"] or "0",
            )
            amounts.append(line)
            row: dict[str, Any] = {
                "net": f"{line.net:.2f}",
                "tax": f"{line.tax:.2f}",
                "total": f"{line.total:.2f}",
                "discount": f"{line.discount:.2f}",
            }
            if purchase:
                unit = discounted_unit_price(
                    data[price_key] or "0", data["discount_percent"] or "0"
                )
                row["unit_price"] = f"{unit:.2f}"
            row["display"] = {key: _shown(value) for key, value in row.items()}
            rows[str(number)] = row
    totals = document_totals(amounts)
    total_values = {
        "subtotal": f"{totals.subtotal:.2f}",
        "discount_total": f"{totals.discount_total:.2f}",
        "tax_total": f"{totals.tax_total:.2f}",
        "total": f"{totals.total:.2f}",
    }
    return JsonResponse(
        {
            "lines": rows,
            "totals": total_values,
            "totals_display": {key: _shown(value) for key, value in total_values.items()},
        }
    )


def _shown(value: str) -> str:
    """An amount as the pages show it in the member's language (like floatformat:"2g")."""
    return number_format(Decimal(value), decimal_pos=2, force_grouping=True)


@login_required
def party_options(request: HttpRequest) -> HttpResponse:
    """<option>s of the visible customers (or suppliers: role=supplier) matching `q`."""
    membership = _membership(request)
    role = "supplier" if request.GET.get("role") == "supplier" else "customer"
    query = (request.GET.get("party_q") or request.GET.get("q") or "").strip()[:100]
    parties: list[Any] = []
    if query:
        base = visible_parties(membership, role=role)
        parties = list(
            base.filter(search_text__icontains=query.lower()).order_by("short_name", "id")[:20]
        )
        if not parties:
            parties = list(base.filter(name__icontains=query).order_by("short_name", "id")[:20])
    contacts = (
        list(visible_contacts(membership).filter(party_id=parties[0].pk)[:200])
        if parties and role == "customer"
        else []
    )
    return render(
        request,
        f"{T}/options.html#party-options",
        {"parties": parties, "q": query, "contacts": contacts, "role": role},
    )


@login_required
def contact_options(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    contacts: list[Any] = []
    raw = request.GET.get("party") or ""
    if raw.isdigit():
        party = visible_parties(membership, role=None).filter(pk=int(raw)).first()
        if party is not None:
            contacts = list(visible_contacts(membership).filter(party_id=party.pk)[:200])
    return render(
        request,
        f"{T}/options.html#contact-options",
        {"contacts": contacts, "chosen": request.GET.get("contact") or ""},
    )


def _editor_context(purchase: bool) -> dict[str, Any]:
    return {
        "preview_url": reverse("sales:document_price_preview"),
        "product_search_url": sel.optional_url("catalog:product_search") or "",
        "purchase": purchase,
    }


def _render_editor(
    request: HttpRequest,
    *,
    template: str,
    form: Any,
    formset: Any,
    document: Any,
    line_messages: list[str],
    kind: str,
    purchase: bool = False,
    **extra: Any,
) -> HttpResponse:
    back_urls = {
        "quote": "sales:quote_list",
        "order": "sales:order_list",
        "purchase_order": "sales:purchase_order_list",
    }
    return render(
        request,
        template,
        _context(
            request,
            kind=kind,
            back_url=document.get_absolute_url() if document else reverse(back_urls[kind]),
            form=form,
            formset=formset,
            document=document,
            line_messages=line_messages,
            **_editor_context(purchase),
            **extra,
        ),
    )


def _initial_party(request: HttpRequest, role: str = "customer") -> Party | None:
    raw = request.GET.get("party") or request.GET.get("supplier")
    if not raw:
        return None
    membership = _membership(request)
    party = visible_parties(membership, role=role).filter(pk=raw if str(raw).isdigit() else -1)
    found = party.first()
    if found is None:
        raise Http404
    return found


def _initial_opportunity(request: HttpRequest) -> Opportunity | None:
    raw = request.GET.get("opportunity")
    if not raw:
        return None
    return get_visible_or_404(
        Opportunity.objects.select_related("party", "contact").prefetch_related("lines__product"),
        _membership(request),
        "opportunity",
        pk=raw,
    )


def _save_document(
    request: HttpRequest,
    *,
    form: Any,
    formset: Any,
    save: Callable[[dict[str, Any], list[dict[str, Any]]], Any],
) -> tuple[Any, list[str]]:
    """Validate the form and the rows and call `save(data, rows)`; return the saved
    document (None when refused) and the messages about the lines as a whole."""
    form_ok = form.is_valid()
    rows_ok = formset.is_valid()
    if not (form_ok and rows_ok):
        general = [str(e) for e in formset.non_form_errors()]
        return None, general
    rows, index = formset_rows(formset)
    try:
        return save(form.service_data(), rows), []
    except (ValidationError, DomainError) as error:
        return None, _report_document(form, formset, index, error)


# --- quotes ----------------------------------------------------------------------------


def _quote_perms(membership: Any) -> dict[str, bool]:
    return {
        "can_add": has_perm(membership, ADD, "quote"),
        "can_change": has_perm(membership, CHANGE, "quote"),
        "can_delete": has_perm(membership, DELETE, "quote"),
        "can_add_order": has_perm(membership, ADD, "order"),
    }


@login_required
def quote_list(request: HttpRequest) -> HttpResponse:
    return _document_list(
        request,
        type_key="quote",
        queryset=sel.quote_list,
        sorts=sel.QUOTE_SORTS,
        statuses=Quote.Status.choices,
        template=f"{T}/quote_list.html",
    )


@login_required
@GET_POST
def quote_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, ADD, "quote")
    if request.method == "POST":
        form = QuoteForm(request.POST, membership=membership)
        formset = LineFormSet(request.POST, prefix=LINES_PREFIX)
        quote, line_messages = _save_document(
            request,
            form=form,
            formset=formset,
            save=lambda data, rows: services.create_quote(membership, data=data, lines=rows),
        )
        if quote is not None:
            messages.success(
                request, _("Quote %(number)s has been saved.") % {"number": quote.number}
            )
            return redirect(quote.get_absolute_url())
    else:
        party = _initial_party(request)
        opportunity = _initial_opportunity(request)
        today = timezone.localdate()
        from guanxi.sales.settings_services import sales_settings

        days = sales_settings(membership.org_id).quote_valid_days
        initial: dict[str, Any] = {
            "date": today,
            "valid_until": today + datetime.timedelta(days=days),
            "party": party.pk if party else None,
        }
        rows: list[dict[str, Any]] = [{}]
        if opportunity is not None:
            initial.update(
                party=opportunity.party_id,
                contact=opportunity.contact_id,
                opportunity=opportunity.pk,
            )
            rows = [copied_line_initial(line) for line in opportunity.lines.all()] or [{}]
        form = QuoteForm(initial=initial, membership=membership)
        formset = LineFormSet(initial=rows, prefix=LINES_PREFIX)
        line_messages = []
    return _render_editor(
        request,
        template=f"{T}/document_form.html",
        kind="quote",
        form=form,
        formset=formset,
        document=None,
        line_messages=line_messages,
    )


@login_required
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    quote = sel.get_quote_for_user(membership, pk)
    return render(
        request,
        f"{T}/quote_detail.html",
        _context(
            request,
            quote=quote,
            document=quote,
            lines=list(quote.lines.all()),
            orders=sel.orders_of_quote(membership, quote),
            history=history_entries(quote, limit=20),
            editable=quote.status in services.QUOTE_EDITABLE,
            **_quote_perms(membership),
        ),
    )


@login_required
@GET_POST
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    quote = sel.get_quote_for_user(membership, pk)
    require_perm(membership, CHANGE, "quote")
    if quote.status not in services.QUOTE_EDITABLE:
        messages.error(request, _("Only draft and sent quotes can be edited."))
        return redirect(quote.get_absolute_url())
    if request.method == "POST":
        form = QuoteForm(request.POST, membership=membership)
        formset = LineFormSet(request.POST, prefix=LINES_PREFIX)
        saved, line_messages = _save_document(
            request,
            form=form,
            formset=formset,
            save=lambda data, rows: services.update_quote(
                membership,
                quote=quote,
                data={k: v for k, v in data.items() if k != "opportunity"},
                lines=rows,
                expected_version=form.cleaned_data.get("version") or 0,
            ),
        )
        if saved is not None:
            messages.success(
                request, _("Quote %(number)s has been saved.") % {"number": quote.number}
            )
            return redirect(quote.get_absolute_url())
    else:
        form = QuoteForm(initial=QuoteForm.initial_for(quote), membership=membership)
        formset = LineFormSet(
            initial=[line_initial(line) for line in quote.lines.all()], prefix=LINES_PREFIX
        )
        line_messages = []
    return _render_editor(
        request,
        template=f"{T}/document_form.html",
        kind="quote",
        form=form,
        formset=formset,
        document=quote,
        line_messages=line_messages,
    )


@login_required
@require_POST
def quote_status(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    quote = sel.get_quote_for_user(membership, pk)
    require_perm(membership, CHANGE, "quote")
    status = request.POST.get("status", "")
    try:
        services.set_quote_status(
            membership, quote=quote, status=status, expected_version=_version(request)
        )
    except (ValidationError, DomainError) as error:
        _action_error(request, error)
    else:
        messages.success(
            request,
            _("Quote %(number)s is now “%(status)s”.")
            % {"number": quote.number, "status": quote.get_status_display()},
        )
    return redirect(quote.get_absolute_url())


@login_required
@require_POST
def quote_convert(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    quote = sel.get_quote_for_user(membership, pk)
    require_perm(membership, CHANGE, "quote")
    require_perm(membership, ADD, "order")
    try:
        order = services.convert_quote(membership, quote=quote, expected_version=_version(request))
    except (ValidationError, DomainError) as error:
        _action_error(request, error)
        return redirect(quote.get_absolute_url())
    messages.success(
        request,
        _("Quote %(quote)s has been converted to order %(order)s.")
        % {"quote": quote.number, "order": order.number},
    )
    return redirect(order.get_absolute_url())


@login_required
@require_POST
def quote_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    quote = sel.get_quote_for_user(membership, pk)
    require_perm(membership, DELETE, "quote")
    try:
        services.delete_quote(membership, quote=quote)
    except DomainError as error:
        _action_error(request, error)
        return redirect(quote.get_absolute_url())
    messages.success(
        request,
        _("Quote %(number)s has been moved to the recycle bin.") % {"number": quote.number},
    )
    return redirect("sales:quote_list")


@login_required
@require_POST
def quote_from_opportunity(request: HttpRequest, opportunity_pk: int) -> HttpResponse:
    """Create a quote copying an opportunity's products at once (the opportunity page's
    "Quote" button)."""
    membership = _membership(request)
    require_perm(membership, ADD, "quote")
    opportunity = get_visible_or_404(
        Opportunity.objects.all(), membership, "opportunity", pk=opportunity_pk
    )
    try:
        quote = services.create_quote_from_opportunity(membership, opportunity=opportunity)
    except (ValidationError, DomainError) as error:
        _action_error(request, error)
        return redirect(f"{reverse('sales:quote_create')}?opportunity={opportunity.pk}")
    messages.success(request, _("Quote %(number)s has been created.") % {"number": quote.number})
    return redirect(quote.get_absolute_url())


@login_required
@GET_POST
def quote_send(request: HttpRequest, pk: int) -> HttpResponse:
    from guanxi.sales import mail
    from guanxi.sales.pdf import pdf_available

    membership = _membership(request)
    quote = sel.get_quote_for_user(membership, pk)
    require_perm(membership, CHANGE, "quote")
    if request.method == "POST":
        form = SendQuoteForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                mail.send_quote(
                    membership,
                    quote=quote,
                    to=mail.split_addresses(data["to"]),
                    cc=mail.split_addresses(data.get("cc") or ""),
                    subject=data["subject"],
                    message=data["message"],
                    attach=data["attach"],
                )
            except (ValidationError, DomainError) as error:
                _report(form, error)
            else:
                messages.success(
                    request,
                    _("Quote %(number)s has been sent to %(to)s.")
                    % {"number": quote.number, "to": data["to"]},
                )
                return redirect(quote.get_absolute_url())
    else:
        contact = quote.contact
        to = contact.email if contact is not None and contact.email else quote.party.email
        form = SendQuoteForm(
            initial={
                "to": to,
                "subject": mail.default_subject(quote),
                "message": mail.default_message(quote, request.user),
                "attach": "pdf" if pdf_available() else "html",
            }
        )
    return render(
        request,
        f"{T}/quote_send.html",
        _context(
            request,
            quote=quote,
            form=form,
            pdf_available=pdf_available(),
            mail_settings=mail.mail_settings(membership.org_id),
        ),
    )


# --- print and PDF (all three kinds) ------------------------------------------------------

_GETTERS: dict[str, tuple[Callable[[Any, Any], Any], str]] = {
    "quote": (sel.get_quote_for_user, "quote"),
    "order": (sel.get_order_for_user, "order"),
    "purchase_order": (sel.get_purchase_order_for_user, "purchase_order"),
}


def _printable(request: HttpRequest, kind: str, pk: int) -> Any:
    getter, _type_key = _GETTERS[kind]
    return getter(_membership(request), pk)


@login_required
def document_print(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The clean A4 print view (the browser prints it or saves it as PDF)."""
    from guanxi.sales.pdf import pdf_available, print_context

    if kind not in _GETTERS:
        raise Http404
    document = _printable(request, kind, pk)
    context = print_context(document)
    context.update(
        for_pdf=False,
        pdf_url=reverse("sales:document_pdf", args=[kind, pk]) if pdf_available() else "",
        back_url=document.get_absolute_url(),
    )
    return render(request, f"{T}/print.html", context)


@login_required
def document_pdf(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The PDF download; without WeasyPrint, a page that says so and offers the print view."""
    from guanxi.sales.pdf import PdfUnavailable, document_html, render_pdf

    if kind not in _GETTERS:
        raise Http404
    document = _printable(request, kind, pk)
    try:
        pdf = render_pdf(document_html(document))
    except PdfUnavailable as error:
        return render(
            request,
            f"{T}/pdf_unavailable.html",
            _context(
                request,
                document=document,
                message=str(error.message),
                print_url=reverse("sales:document_print", args=[kind, pk]),
            ),
            status=503,
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "inline" if request.GET.get("inline") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{document.number}.pdf"'
    return response


# --- orders -------------------------------------------------------------------------------


def _order_perms(membership: Any) -> dict[str, bool]:
    return {
        "can_add": has_perm(membership, ADD, "order"),
        "can_change": has_perm(membership, CHANGE, "order"),
        "can_delete": has_perm(membership, DELETE, "order"),
    }


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    return _document_list(
        request,
        type_key="order",
        queryset=sel.order_list,
        sorts=sel.ORDER_SORTS,
        statuses=Order.Status.choices,
        kinds=Order.Kind.choices,
        template=f"{T}/order_list.html",
    )


@login_required
@GET_POST
def order_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, ADD, "order")
    if request.method == "POST":
        form = OrderForm(request.POST, membership=membership)
        formset = LineFormSet(request.POST, prefix=LINES_PREFIX)
        order, line_messages = _save_document(
            request,
            form=form,
            formset=formset,
            save=lambda data, rows: services.create_order(membership, data=data, lines=rows),
        )
        if order is not None:
            messages.success(
                request, _("Order %(number)s has been saved.") % {"number": order.number}
            )
            return redirect(order.get_absolute_url())
    else:
        party = _initial_party(request)
        opportunity = _initial_opportunity(request)
        initial: dict[str, Any] = {
            "date": timezone.localdate(),
            "party": party.pk if party else None,
            "kind": request.GET.get("kind")
            if request.GET.get("kind") in Order.Kind.values
            else Order.Kind.ORDER,
            "payment_due_days": 30,
        }
        rows: list[dict[str, Any]] = [{}]
        if opportunity is not None:
            initial.update(
                party=opportunity.party_id,
                contact=opportunity.contact_id,
                opportunity=opportunity.pk,
            )
            rows = [copied_line_initial(line) for line in opportunity.lines.all()] or [{}]
        form = OrderForm(initial=initial, membership=membership)
        formset = LineFormSet(initial=rows, prefix=LINES_PREFIX)
        line_messages = []
    return _render_editor(
        request,
        template=f"{T}/document_form.html",
        kind="order",
        form=form,
        formset=formset,
        document=None,
        line_messages=line_messages,
    )


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    order = sel.get_order_for_user(membership, pk)
    open_order = order.status in (Order.Status.DRAFT, Order.Status.CONFIRMED)
    deliver_url = None
    if (
        order.status == Order.Status.CONFIRMED
        and order.delivery_status != Order.Delivery.FULL
        and has_perm(membership, VIEW, "stock_document")
    ):
        deliver_url = sel.optional_url("stock:delivery_from_order", order.pk)
    return render(
        request,
        f"{T}/order_detail.html",
        _context(
            request,
            order=order,
            document=order,
            lines=list(order.lines.all()),
            split_orders=sel.split_orders_of(membership, order),
            stock_documents=sel.stock_documents_of(order),
            history=history_entries(order, limit=20),
            deliver_url=deliver_url,
            can_split=open_order and not order.is_locked,
            **_order_perms(membership),
        ),
    )


@login_required
@GET_POST
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    order = sel.get_order_for_user(membership, pk)
    require_perm(membership, CHANGE, "order")
    if order.is_locked or order.status != Order.Status.DRAFT:
        messages.error(
            request,
            _("This order is locked. Unlock it first.")
            if order.is_locked
            else _("Only draft orders can be edited."),
        )
        return redirect(order.get_absolute_url())
    if request.method == "POST":
        form = OrderForm(request.POST, membership=membership)
        formset = LineFormSet(request.POST, prefix=LINES_PREFIX)
        saved, line_messages = _save_document(
            request,
            form=form,
            formset=formset,
            save=lambda data, rows: services.update_order(
                membership,
                order=order,
                data={k: v for k, v in data.items() if k != "opportunity"},
                lines=rows,
                expected_version=form.cleaned_data.get("version") or 0,
            ),
        )
        if saved is not None:
            messages.success(
                request, _("Order %(number)s has been saved.") % {"number": order.number}
            )
            return redirect(order.get_absolute_url())
    else:
        form = OrderForm(initial=OrderForm.initial_for(order), membership=membership)
        formset = LineFormSet(
            initial=[line_initial(line) for line in order.lines.all()], prefix=LINES_PREFIX
        )
        line_messages = []
    return _render_editor(
        request,
        template=f"{T}/document_form.html",
        kind="order",
        form=form,
        formset=formset,
        document=order,
        line_messages=line_messages,
    )


@login_required
@require_POST
def order_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    order = sel.get_order_for_user(membership, pk)
    require_perm(membership, CHANGE, "order")
    try:
        result = services.confirm_order(membership, order=order, expected_version=_version(request))
    except (ValidationError, DomainError) as error:
        _action_error(request, error)
    else:
        for warning in result.warnings:
            messages.warning(request, warning)
        messages.success(
            request, _("Order %(number)s has been confirmed.") % {"number": order.number}
        )
    return redirect(order.get_absolute_url())


@login_required
@GET_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    order = sel.get_order_for_user(membership, pk)
    require_perm(membership, CHANGE, "order")
    if request.method == "POST":
        form = CancelOrderForm(request.POST)
        if form.is_valid():
            try:
                services.cancel_order(
                    membership,
                    order=order,
                    reason=form.cleaned_data["cancel_reason"],
                    expected_version=form.cleaned_data.get("version"),
                )
            except ValidationError as error:
                _report(form, error)
            except DomainError as error:
                _action_error(request, error)
                return redirect(order.get_absolute_url())
            else:
                messages.success(
                    request, _("Order %(number)s has been cancelled.") % {"number": order.number}
                )
                return redirect(order.get_absolute_url())
    else:
        form = CancelOrderForm(initial={"version": order.version})
    return render(request, f"{T}/order_cancel.html", _context(request, order=order, form=form))


@login_required
@GET_POST
def order_split(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    order = sel.get_order_for_user(membership, pk)
    require_perm(membership, CHANGE, "order")
    require_perm(membership, ADD, "order")
    lines = list(order.lines.all())
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    entered: dict[str, str] = {}
    if request.method == "POST":
        quantities = {}
        for line in lines:
            raw = (request.POST.get(f"move-{line.pk}") or "").strip()
            entered[str(line.pk)] = raw
            if raw:
                quantities[line.pk] = raw
        try:
            new_order = services.split_order(
                membership, order=order, quantities=quantities, expected_version=_version(request)
            )
        except ValidationError as error:
            for key, field_messages in error.message_dict.items():
                if key.startswith("lines."):
                    errors[key.split(".", 1)[1]] = field_messages
                else:
                    general.extend(field_messages)
        except DomainError as error:
            _action_error(request, error)
            return redirect(order.get_absolute_url())
        else:
            messages.success(
                request,
                _("Order %(number)s has been split: the moved lines are now on %(new)s.")
                % {"number": order.number, "new": new_order.number},
            )
            return redirect(new_order.get_absolute_url())
    rows = [
        {
            "line": line,
            "movable": line.quantity - line.delivered_quantity,
            "entered": entered.get(str(line.pk), ""),
            "errors": errors.get(str(line.pk), []),
        }
        for line in lines
    ]
    return render(
        request,
        f"{T}/order_split.html",
        _context(request, order=order, rows=rows, general=general),
    )


@login_required
@require_POST
def order_lock(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    order = sel.get_order_for_user(membership, pk)
    require_perm(membership, CHANGE, "order")
    locked = request.POST.get("locked") == "1"
    try:
        services.set_order_lock(
            membership, order=order, locked=locked, expected_version=_version(request)
        )
    except DomainError as error:
        _action_error(request, error)
    else:
        messages.success(
            request,
            (_("Order %(number)s is locked.") if locked else _("Order %(number)s is unlocked."))
            % {"number": order.number},
        )
    return redirect(order.get_absolute_url())


@login_required
@require_POST
def order_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    order = sel.get_order_for_user(membership, pk)
    require_perm(membership, DELETE, "order")
    try:
        services.delete_order(membership, order=order)
    except DomainError as error:
        _action_error(request, error)
        return redirect(order.get_absolute_url())
    messages.success(
        request,
        _("Order %(number)s has been moved to the recycle bin.") % {"number": order.number},
    )
    return redirect("sales:order_list")


# --- purchase orders ----------------------------------------------------------------------


def _po_perms(membership: Any) -> dict[str, bool]:
    return {
        "can_add": has_perm(membership, ADD, "purchase_order"),
        "can_change": has_perm(membership, CHANGE, "purchase_order"),
        "can_delete": has_perm(membership, DELETE, "purchase_order"),
    }


@login_required
def purchase_order_list(request: HttpRequest) -> HttpResponse:
    return _document_list(
        request,
        type_key="purchase_order",
        queryset=sel.purchase_order_list,
        sorts=sel.PURCHASE_ORDER_SORTS,
        statuses=PurchaseOrder.Status.choices,
        template=f"{T}/purchase_order_list.html",
        search_placeholder=_("Number or supplier…"),
    )


@login_required
@GET_POST
def purchase_order_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, ADD, "purchase_order")
    if request.method == "POST":
        form = PurchaseOrderForm(request.POST, membership=membership)
        formset = PurchaseLineFormSet(request.POST, prefix=LINES_PREFIX)
        po, line_messages = _save_document(
            request,
            form=form,
            formset=formset,
            save=lambda data, rows: services.create_purchase_order(
                membership, form.cleaned_data["supplier"], rows, data=data
            ),
        )
        if po is not None:
            messages.success(
                request,
                _("Purchase order %(number)s has been saved.") % {"number": po.number},
            )
            return redirect(po.get_absolute_url())
    else:
        supplier = _initial_party(request, role="supplier")
        form = PurchaseOrderForm(
            initial={
                "date": timezone.localdate(),
                "supplier": supplier.pk if supplier else None,
                "payment_due_days": 30,
            },
            membership=membership,
        )
        formset = PurchaseLineFormSet(initial=[{}], prefix=LINES_PREFIX)
        line_messages = []
    return _render_editor(
        request,
        template=f"{T}/document_form.html",
        kind="purchase_order",
        form=form,
        formset=formset,
        document=None,
        line_messages=line_messages,
        purchase=True,
    )


@login_required
def purchase_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    po = sel.get_purchase_order_for_user(membership, pk)
    receive_url = None
    if po.status in (
        PurchaseOrder.Status.CONFIRMED,
        PurchaseOrder.Status.PARTIAL,
    ) and has_perm(membership, VIEW, "stock_document"):
        receive_url = sel.optional_url("stock:receipt_from_purchase_order", po.pk)
    return render(
        request,
        f"{T}/purchase_order_detail.html",
        _context(
            request,
            po=po,
            document=po,
            lines=list(po.lines.all()),
            stock_documents=sel.stock_documents_of(po),
            history=history_entries(po, limit=20),
            receive_url=receive_url,
            **_po_perms(membership),
        ),
    )


@login_required
@GET_POST
def purchase_order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    po = sel.get_purchase_order_for_user(membership, pk)
    require_perm(membership, CHANGE, "purchase_order")
    if po.status != PurchaseOrder.Status.DRAFT:
        messages.error(request, _("Only draft purchase orders can be edited."))
        return redirect(po.get_absolute_url())
    if request.method == "POST":
        form = PurchaseOrderForm(request.POST, membership=membership)
        formset = PurchaseLineFormSet(request.POST, prefix=LINES_PREFIX)
        saved, line_messages = _save_document(
            request,
            form=form,
            formset=formset,
            save=lambda data, rows: services.update_purchase_order(
                membership,
                purchase_order=po,
                data={**data, "supplier": form.cleaned_data["supplier"]},
                lines=rows,
                expected_version=form.cleaned_data.get("version") or 0,
            ),
        )
        if saved is not None:
            messages.success(
                request,
                _("Purchase order %(number)s has been saved.") % {"number": po.number},
            )
            return redirect(po.get_absolute_url())
    else:
        form = PurchaseOrderForm(initial=PurchaseOrderForm.initial_for(po), membership=membership)
        formset = PurchaseLineFormSet(
            initial=[line_initial(line, purchase=True) for line in po.lines.all()],
            prefix=LINES_PREFIX,
        )
        line_messages = []
    return _render_editor(
        request,
        template=f"{T}/document_form.html",
        kind="purchase_order",
        form=form,
        formset=formset,
        document=po,
        line_messages=line_messages,
        purchase=True,
    )


@login_required
@require_POST
def purchase_order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    membership = _membership(request)
    po = sel.get_purchase_order_for_user(membership, pk)
    if action == "delete":
        require_perm(membership, DELETE, "purchase_order")
        try:
            services.delete_purchase_order(membership, purchase_order=po)
        except DomainError as error:
            _action_error(request, error)
            return redirect(po.get_absolute_url())
        messages.success(
            request,
            _("Purchase order %(number)s has been moved to the recycle bin.")
            % {"number": po.number},
        )
        return redirect("sales:purchase_order_list")
    require_perm(membership, CHANGE, "purchase_order")
    actions = {
        "confirm": (services.confirm_purchase_order, _("Purchase order %(number)s is confirmed.")),
        "cancel": (services.cancel_purchase_order, _("Purchase order %(number)s is cancelled.")),
    }
    if action not in actions:
        raise Http404
    service, done = actions[action]
    try:
        service(membership, purchase_order=po, expected_version=_version(request))
    except (ValidationError, DomainError) as error:
        _action_error(request, error)
    else:
        messages.success(request, done % {"number": po.number})
    return redirect(po.get_absolute_url())


# --- the customer page's tabs ----------------------------------------------------------


def _party_tab(
    request: HttpRequest,
    party_pk: int,
    type_key: str,
    rows: Callable[[Any, Any], Any],
    **extra: Any,
) -> HttpResponse:
    membership = _membership(request)
    party = get_party_for_user(membership, party_pk)
    require_perm(membership, VIEW, type_key)
    documents = list(rows(membership, party)[: TAB_LIMIT + 1])
    return render(
        request,
        f"{T}/party_tab.html",
        {
            "party": party,
            "documents": documents[:TAB_LIMIT],
            "more": len(documents) > TAB_LIMIT,
            "type_key": type_key,
            "can_add": has_perm(membership, ADD, type_key),
            **extra,
        },
    )


@login_required
def party_quotes_tab(request: HttpRequest, party_pk: int) -> HttpResponse:
    return _party_tab(
        request,
        party_pk,
        "quote",
        sel.party_quotes,
        list_url=reverse("sales:quote_list"),
        add_url=reverse("sales:quote_create"),
    )


@login_required
def party_orders_tab(request: HttpRequest, party_pk: int) -> HttpResponse:
    return _party_tab(
        request,
        party_pk,
        "order",
        sel.party_orders,
        list_url=reverse("sales:order_list"),
        add_url=reverse("sales:order_create"),
    )


@login_required
def party_purchase_orders_tab(request: HttpRequest, party_pk: int) -> HttpResponse:
    return _party_tab(
        request,
        party_pk,
        "purchase_order",
        sel.party_purchase_orders,
        list_url=reverse("sales:purchase_order_list"),
        add_url=reverse("sales:purchase_order_create"),
    )
