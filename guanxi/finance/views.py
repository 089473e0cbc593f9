"""Receipt and payment pages (收款单 / 付款单): list, add, edit a draft, allocate, post,
reverse, delete a draft. Views are thin: guanxi.finance.services writes, selectors read.

A document the member may not see (another organisation's, another rep's with "own"
visibility, a customer they may not see) is a 404; an action the role does not grant
is a 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.activities.selectors import keyset_page
from guanxi.core.exceptions import DomainError, StaleEdit
from guanxi.core.history import history_entries
from guanxi.core.permissions import ADD, CHANGE, DELETE, POST, has_perm, require_perm
from guanxi.finance import services
from guanxi.finance.forms import (
    MoneyDocumentForm,
    MoneyFilterForm,
    ReverseForm,
    allocations_from,
    parse_money,
    row_errors,
)
from guanxi.finance.models import MoneyDocument, PartyLedgerEntry
from guanxi.finance.openitems import (
    BOOK_OF_MONEY_KIND,
    LATEST,
    Candidate,
    allocation_candidates,
    live_allocations,
)
from guanxi.finance.selectors import (
    MONEY_ORDER,
    allocation_rows,
    filtered_money_documents,
    get_money_document_for_user,
    parties_of_kind,
)
from guanxi.parties.selectors import visible_parties

GET_POST = require_http_methods(["GET", "POST"])
TYPE = "money_document"


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted)


def _kind(value: Any) -> str:
    return value if value in MoneyDocument.Kind.values else MoneyDocument.Kind.RECEIPT


def _perms(membership: Any) -> dict[str, bool]:
    return {
        "can_add": has_perm(membership, ADD, TYPE),
        "can_change": has_perm(membership, CHANGE, TYPE),
        "can_delete": has_perm(membership, DELETE, TYPE),
        "can_post": has_perm(membership, POST, TYPE),
    }


def _report(form: Any, error: Exception) -> None:
    """Put a refused save on the form's fields, or on the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, field_messages in error.message_dict.items():
            target = field if field in form.fields else None
            if field.startswith("allocations."):
                continue  # shown on the allocation rows
            for message in field_messages:
                form.add_error(target, message)
    elif isinstance(error, DomainError):
        target = error.field if error.field in form.fields else None
        form.add_error(target, str(error.message))
    else:
        form.add_error(None, "; ".join(getattr(error, "messages", [str(error)])))


# --- list --------------------------------------------------------------------------------------


@login_required
@require_GET
def money_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, "view", TYPE)
    filter_form = MoneyFilterForm(request.GET)
    filters = filter_form.filters()
    page = keyset_page(
        filtered_money_documents(membership, filters),
        MONEY_ORDER,
        request.GET.get("cursor"),
        settings.GUANXI_PAGE_SIZE,
    )
    party = None
    if filters.party_id:
        party = visible_parties(membership, None).filter(pk=filters.party_id).first()
    context = {"filter_form": filter_form, "page": page, "party": party, **_perms(membership)}
    if _is_htmx(request):
        return render(request, "finance/money_list.html#rows", context)
    return render(request, "finance/money_list.html", context)


# --- allocation rows (htmx) -----------------------------------------------------------------


def _candidates(
    kind: str,
    party: Any,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    suggest_amount: Any = None,
    org: Any = None,
) -> list[Candidate]:
    """The party's open documents, with what the member typed (or a suggestion)."""
    if party is None:
        return []
    spec = BOOK_OF_MONEY_KIND[kind]
    rows = allocation_candidates(spec, party.pk)
    typed = dict(typed or {})
    if suggest_amount is not None:
        typed = {}
        for item in services.suggest_oldest_first(
            org=org, kind=kind, party=party, amount=suggest_amount
        ):
            typed[f"{item.target}-{item.target_id}"] = str(item.amount)
    known = {row.key for row in rows}
    for row in rows:
        value = typed.get(row.key, "")
        row.amount = parse_money(value) if value else None
        row.error = (errors or {}).get(row.key, "")
    # A typed row that is no longer open still shows, with its error.
    for key, message in (errors or {}).items():
        if key not in known:
            rows.append(
                Candidate(
                    key,
                    key.split("-")[0],
                    0,
                    "?",
                    "",
                    timezone.localdate(),
                    None,
                    services.ZERO,
                    services.ZERO,
                    "",
                    False,
                    None,
                    message,
                )
            )
    return rows


@login_required
@require_GET
def allocation_rows_view(request: HttpRequest) -> HttpResponse:
    """The allocation table of the receipt/payment form for the chosen party; with
    `suggest=1`, filled in oldest first up to the amount."""
    membership = _membership(request)
    require_perm(membership, ADD, TYPE)
    kind = _kind(request.GET.get("kind"))
    raw = request.GET.get("party") or ""
    party = parties_of_kind(membership, kind).filter(pk=int(raw)).first() if raw.isdigit() else None
    _, _, typed = allocations_from(request.GET)
    suggest = None
    if request.GET.get("suggest"):
        suggest = parse_money(request.GET.get("amount") or "")
        if suggest is None or suggest <= 0:
            suggest = None
    rows = _candidates(kind, party, typed=typed, suggest_amount=suggest, org=request.org)  # type: ignore[attr-defined]
    return render(
        request,
        "finance/money_form.html#allocation-rows",
        {"rows": rows, "party": party, "kind": kind},
    )


@login_required
@require_GET
def party_options(request: HttpRequest) -> HttpResponse:
    """<option>s of the visible customers (suppliers) matching `q`, at most 20, and the
    allocation rows of the first of them (swapped in out of band)."""
    membership = _membership(request)
    kind = _kind(request.GET.get("kind"))
    query = (request.GET.get("party_q") or "").strip()[:100]
    parties: list[Any] = []
    if query:
        base = parties_of_kind(membership, kind)
        parties = list(
            base.filter(search_text__icontains=query.lower()).order_by("short_name", "id")[:20]
        )
        if not parties:
            parties = list(base.filter(name__icontains=query).order_by("short_name", "id")[:20])
    rows = _candidates(kind, parties[0] if parties else None)
    return render(
        request,
        "finance/money_form.html#party-options",
        {"parties": parties, "q": query, "rows": rows, "kind": kind, "oob": True},
    )


# --- add, edit -------------------------------------------------------------------------------


def _form_context(
    request: HttpRequest,
    form: MoneyDocumentForm,
    kind: str,
    document: MoneyDocument | None,
    rows: list[Candidate],
) -> dict[str, Any]:
    allocation_errors = []
    if form.errors and "__allocations__" in form.errors:
        allocation_errors = form.errors["__allocations__"]
    return {
        "form": form,
        "kind": kind,
        "kind_label": MoneyDocument.Kind(kind).label,
        "document": document,
        "rows": rows,
        "party": form.party,
        "allocation_errors": allocation_errors,
    }


def _save(
    request: HttpRequest, form: MoneyDocumentForm, kind: str, document: MoneyDocument | None
) -> tuple[MoneyDocument | None, list[Candidate], list[str]]:
    """Validate and save; return the document, or None with the rows and their errors."""
    allocations, keys, typed = allocations_from(request.POST)
    post_now = request.POST.get("post") == "1"
    if form.is_valid():
        try:
            if post_now:
                require_perm(_membership(request), POST, TYPE)
            if document is None:
                saved = services.create_money_document(
                    org=request.org,  # type: ignore[attr-defined]
                    actor=request.user,
                    data=form.service_data(),
                    allocations=allocations,
                    post=post_now,
                )
            else:
                saved = services.update_money_document(
                    document=document,
                    actor=request.user,
                    data=form.service_data(),
                    allocations=allocations,
                    expected_version=form.cleaned_data.get("version") or 0,
                )
                if post_now:
                    saved = services.post_money_document(document=saved, actor=request.user)
            return saved, [], []
        except ValidationError as error:
            _report(form, error)
            error_dict = error.message_dict if hasattr(error, "error_dict") else {}
            rows = _candidates(kind, form.party, typed=typed, errors=row_errors(error_dict, keys))
            return None, rows, [str(m) for m in error_dict.get("allocations", [])]
        except (StaleEdit, DomainError) as error:
            _report(form, error)
    return None, _candidates(kind, form.party, typed=typed), []


@login_required
@GET_POST
def money_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, ADD, TYPE)
    kind = _kind(request.POST.get("kind") or request.GET.get("kind"))
    party = None
    raw = request.GET.get("party") or ""
    if raw.isdigit():
        party = parties_of_kind(membership, kind).filter(pk=int(raw)).first()
        if party is None:
            raise Http404
    if request.method == "POST":
        form = MoneyDocumentForm(request.POST, kind=kind, membership=membership)
        saved, rows, allocation_errors = _save(request, form, kind, None)
        if saved is not None:
            if saved.status == MoneyDocument.Status.POSTED:
                messages.success(
                    request, _("%(number)s has been posted.") % {"number": saved.number}
                )
            else:
                messages.success(
                    request, _("%(number)s has been saved as a draft.") % {"number": saved.number}
                )
            return redirect(saved.get_absolute_url())
    else:
        form = MoneyDocumentForm(
            kind=kind,
            membership=membership,
            party=party,
            initial={
                "party": party.pk if party else None,
                "date": timezone.localdate(),
                "method": MoneyDocument.Method.BANK,
                "owner": request.user.pk,
            },
        )
        rows, allocation_errors = _candidates(kind, party), []
    context = _form_context(request, form, kind, None, rows)
    context["allocation_errors"] = allocation_errors
    return render(request, "finance/money_form.html", context)


@login_required
@GET_POST
def money_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    document = get_money_document_for_user(membership, pk)
    require_perm(membership, CHANGE, TYPE)
    if document.status != MoneyDocument.Status.DRAFT:
        messages.error(
            request, _("Only a draft can be changed; reverse a posted document instead.")
        )
        return redirect(document.get_absolute_url())
    kind = document.kind
    if request.method == "POST":
        form = MoneyDocumentForm(request.POST, kind=kind, membership=membership)
        saved, rows, allocation_errors = _save(request, form, kind, document)
        if saved is not None:
            messages.success(request, _("%(number)s has been saved.") % {"number": saved.number})
            return redirect(saved.get_absolute_url())
    else:
        form = MoneyDocumentForm(
            kind=kind,
            membership=membership,
            party=document.party,
            initial=MoneyDocumentForm.initial_for(document),
        )
        typed = {
            f"{target}-{getattr(a, f'{target}_id')}": str(a.amount)
            for a in document.allocations.all()
            for target in services.TARGET_FIELDS
            if getattr(a, f"{target}_id")
        }
        rows, allocation_errors = _candidates(kind, document.party, typed=typed), []
    context = _form_context(request, form, kind, document, rows)
    context["allocation_errors"] = allocation_errors
    return render(request, "finance/money_form.html", context)


# --- detail and actions ------------------------------------------------------------------------


@login_required
@require_GET
def money_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    document = get_money_document_for_user(membership, pk)
    spec = BOOK_OF_MONEY_KIND[document.kind]
    allocated = services.ZERO
    if document.status == MoneyDocument.Status.POSTED and document.reverses_id is None:
        allocated = sum(
            live_allocations(LATEST)
            .filter(money_document=document)
            .values_list("amount", flat=True),
            services.ZERO,
        )
    else:
        allocated = sum((a.amount for a in document.allocations.all()), services.ZERO)
    reversal = (
        document.reversals.first() if document.status == MoneyDocument.Status.REVERSED else None
    )
    entries = list(
        PartyLedgerEntry.objects.filter(
            money_document__in=[document.pk, *([reversal.pk] if reversal else [])]
        ).order_by("date", "id")
    )
    return render(
        request,
        "finance/money_detail.html",
        {
            "document": document,
            "allocations": allocation_rows(document),
            "allocated": allocated,
            "on_account": document.amount - allocated
            if document.status == MoneyDocument.Status.POSTED and document.reverses_id is None
            else None,
            "reversal": reversal,
            "entries": entries,
            "book": spec.book,
            "reverse_form": ReverseForm(),
            "history": history_entries(document, limit=20),
            **_perms(membership),
        },
    )


@login_required
@require_POST
def money_post(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    document = get_money_document_for_user(membership, pk)
    require_perm(membership, POST, TYPE)
    try:
        posted = services.post_money_document(document=document, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("finance:money_edit", pk=document.pk)
    if document.status == MoneyDocument.Status.DRAFT:
        messages.success(request, _("%(number)s has been posted.") % {"number": posted.number})
    return redirect(posted.get_absolute_url())


@login_required
@require_POST
def money_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    document = get_money_document_for_user(membership, pk)
    require_perm(membership, POST, TYPE)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for message in errors:
                messages.error(
                    request,
                    f"{form.fields[field].label}: {message}" if field in form.fields else message,
                )
        return redirect(document.get_absolute_url())
    try:
        reversal = services.reverse_money_document(
            document=document,
            actor=request.user,
            date=form.cleaned_data["date"],
            reason=form.cleaned_data.get("reason") or "",
        )
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(document.get_absolute_url())
    messages.success(
        request,
        _("%(number)s has been reversed by %(reversal)s.")
        % {"number": document.number, "reversal": reversal.number},
    )
    return redirect(document.get_absolute_url())


@login_required
@require_POST
def money_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    document = get_money_document_for_user(membership, pk)
    require_perm(membership, DELETE, TYPE)
    try:
        services.delete_money_document(document=document, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(document.get_absolute_url())
    messages.success(request, _("Draft %(number)s has been deleted.") % {"number": document.number})
    return redirect("finance:money_list")


@login_required
@GET_POST
def money_allocate(request: HttpRequest, pk: int) -> HttpResponse:
    """Allocate the on-account remainder of a posted receipt or payment."""
    membership = _membership(request)
    document = get_money_document_for_user(membership, pk)
    require_perm(membership, CHANGE, TYPE)
    if document.status != MoneyDocument.Status.POSTED or document.reverses_id is not None:
        raise PermissionDenied
    allocated = sum(
        live_allocations(LATEST).filter(money_document=document).values_list("amount", flat=True),
        services.ZERO,
    )
    remainder = document.amount - allocated
    errors: list[str] = []
    if request.method == "POST":
        allocations, keys, typed = allocations_from(request.POST)
        try:
            services.allocate_on_account(
                document=document, actor=request.user, allocations=allocations
            )
        except ValidationError as error:
            error_dict = error.message_dict if hasattr(error, "error_dict") else {}
            rows = _candidates(
                document.kind, document.party, typed=typed, errors=row_errors(error_dict, keys)
            )
            errors = [str(m) for m in error_dict.get("allocations", [])]
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect(document.get_absolute_url())
        else:
            messages.success(
                request,
                _("The allocation of %(number)s has been saved.") % {"number": document.number},
            )
            return redirect(document.get_absolute_url())
    else:
        suggest = request.GET.get("suggest")
        rows = _candidates(
            document.kind,
            document.party,
            suggest_amount=remainder if suggest else None,
            org=request.org,  # type: ignore[attr-defined]
        )
    return render(
        request,
        "finance/money_allocate.html",
        {
            "document": document,
            "rows": rows,
            "remainder": remainder,
            "allocation_errors": errors,
            "kind": document.kind,
            "party": document.party,
        },
    )
