"""Pages of the sales pipeline: the sales overview, leads (with conversion), opportunities
(list, add/edit, detail with tabs, moves and closing), the kanban, pipeline stages and
targets, and the customer page's opportunities tab.

Views parse the request, call one service or selector and render. Records come through
the permission service: another organisation's record, or one the member may not see,
is a 404; a visible record the member may not change is a 403.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.core.exceptions import DomainError
from guanxi.core.history import history_entries
from guanxi.core.permissions import (
    ADD,
    CHANGE,
    DELETE,
    VIEW,
    get_visible_or_404,
    has_perm,
    is_org_admin,
    require_perm,
)
from guanxi.core.scoping import org_scope
from guanxi.sales import pipeline_selectors as sel
from guanxi.sales import pipeline_services as svc
from guanxi.sales.models import Lead, Opportunity, PipelineStage, SalesTarget
from guanxi.sales.pipeline_forms import (
    CloseForm,
    ConvertForm,
    LeadFilterForm,
    LeadForm,
    LineFormSet,
    MoveForm,
    OpportunityActivityForm,
    OpportunityFilterForm,
    OpportunityForm,
    ReasonForm,
    StageForm,
    TargetAmountForm,
    TargetForm,
    member_choices,
    product_choices,
)
from guanxi.web.navigation import nav_entries

GET_POST = require_http_methods(["GET", "POST"])
T = "sales/pipeline"
LEAD, OPP, TARGET = "lead", "opportunity", "sales_target"


# --- helpers -----------------------------------------------------------------------------------


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _report(form: Any, error: Exception, *, rename: dict[str, str] | None = None) -> None:
    """Show a refused save on the form's fields, else on the form."""
    rename = rename or {}
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, field_messages in error.message_dict.items():
            name = rename.get(name, name)
            target = name if name in form.fields else None
            for message in field_messages:
                form.add_error(target, message)
    elif isinstance(error, DomainError):
        name = rename.get(error.field or "", error.field)
        form.add_error(name if name in form.fields else None, str(error.message))
    else:
        form.add_error(None, "; ".join(getattr(error, "messages", [str(error)])))


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    """The page's context with the sales area's switcher (the overview, at the area's
    root, is active on its own page only)."""
    overview_url = reverse("sales:overview")
    entries = [
        replace(entry, active=request.path == overview_url) if entry.url == overview_url else entry
        for entry in nav_entries(request, "sales")
    ]
    return {"sales_nav": entries, **extra}


def _label_sources(rows: Any) -> None:
    """Give each lead or opportunity its source's label (`source_label`)."""
    from guanxi.parties.models import Party

    labels = dict(Party.Source.choices)
    for row in rows:
        row.source_label = labels.get(row.source, row.source)


# --- the sales overview ------------------------------------------------------------------------


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, OPP)
    today = timezone.localdate()
    board = sel.pipeline_board(membership, sel.OpportunityFilters(), per_column=0)
    mine = sel.my_attainments(membership, today)
    people = []
    if is_org_admin(membership) or membership.role.visibility != "own":
        people = sel.people_overview(membership, today)
    won = [zone.totals for zone in board.won]
    return render(
        request,
        f"{T}/overview.html",
        _context(
            request,
            board=board,
            mine=mine,
            people=people,
            won_count=sum(t.count for t in won),
            won_amount=sum((t.amount for t in won), sel.ZERO),
            today=today,
            can_edit_targets=sel.may_edit_targets(membership),
        ),
    )


# --- leads -----------------------------------------------------------------------------------------


@login_required
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, LEAD)
    form = LeadFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status") or ""
    query = (data.get("q") or "").strip()
    page = sel.keyset_page(
        sel.filtered_leads(membership, status=status or None, query=query),
        sel.LEAD_ORDER,
        request.GET.get("cursor"),
        settings.GUANXI_PAGE_SIZE,
    )
    params = {k: v for k, v in (("status", status), ("q", query)) if v}
    counts = sel.lead_status_counts(membership)
    _label_sources(page.items)
    context = _context(
        request,
        page=page,
        status=status,
        query=query,
        counts=counts,
        statuses=[(value, label, counts.get(value, 0)) for value, label in Lead.Status.choices],
        more_url=f"?{urlencode({**params, 'cursor': page.next_cursor})}"
        if page.next_cursor
        else "",
        can_add=has_perm(membership, ADD, LEAD),
    )
    if _is_htmx(request) and request.GET.get("cursor"):
        return render(request, f"{T}/lead_list.html#rows", context)
    return render(request, f"{T}/lead_list.html", context)


@login_required
@GET_POST
def lead_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, ADD, LEAD)
    if request.method == "POST":
        form = LeadForm(request.POST, org_id=membership.org_id)
        if form.is_valid():
            try:
                lead = svc.create_lead(
                    org=request.org,  # type: ignore[attr-defined]
                    actor=request.user,
                    data=form.service_data(),
                )
            except (ValidationError, DomainError) as error:
                _report(form, error)
            else:
                messages.success(request, _("Lead “%(title)s” has been saved.") % {"title": lead})
                return redirect("sales:lead_detail", lead.pk)
    else:
        form = LeadForm(org_id=membership.org_id, initial={"owner": request.user.pk})
    return render(request, f"{T}/lead_form.html", _context(request, form=form, lead=None))


@login_required
@GET_POST
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    lead = sel.get_lead_for_user(membership, pk)
    require_perm(membership, CHANGE, LEAD)
    if request.method == "POST":
        form = LeadForm(request.POST, org_id=membership.org_id)
        if form.is_valid():
            try:
                svc.update_lead(
                    lead=lead,
                    actor=request.user,
                    data=form.service_data(),
                    expected_version=form.cleaned_data.get("version") or 0,
                )
            except (ValidationError, DomainError) as error:
                _report(form, error)
            else:
                messages.success(request, _("Lead “%(title)s” has been saved.") % {"title": lead})
                return redirect("sales:lead_detail", lead.pk)
    else:
        form = LeadForm(org_id=membership.org_id, initial=LeadForm.initial_for(lead))
    return render(request, f"{T}/lead_form.html", _context(request, form=form, lead=lead))


@login_required
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    lead = sel.get_lead_for_user(membership, pk)
    _label_sources([lead])
    matches = []
    if lead.status in {Lead.Status.NEW, Lead.Status.QUALIFIED}:
        matches = svc.lead_matches(lead, membership)
    return render(
        request,
        f"{T}/lead_detail.html",
        _context(
            request,
            lead=lead,
            matches=matches,
            history=history_entries(lead, limit=20),
            can_change=has_perm(membership, CHANGE, LEAD),
            can_delete=has_perm(membership, DELETE, LEAD),
            can_convert=has_perm(membership, CHANGE, LEAD) and has_perm(membership, ADD, OPP),
        ),
    )


@login_required
@require_POST
def lead_qualify(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    lead = sel.get_lead_for_user(membership, pk)
    require_perm(membership, CHANGE, LEAD)
    try:
        svc.qualify_lead(
            lead=lead, actor=request.user, expected_version=_int(request.POST.get("version"))
        )
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The lead is qualified."))
    return redirect("sales:lead_detail", lead.pk)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@GET_POST
def lead_disqualify(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    lead = sel.get_lead_for_user(membership, pk)
    require_perm(membership, CHANGE, LEAD)
    if request.method == "POST":
        form = ReasonForm(request.POST)
        if form.is_valid():
            try:
                svc.disqualify_lead(
                    lead=lead,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data.get("version") or lead.version,
                )
            except (ValidationError, DomainError) as error:
                _report(form, error)
            else:
                messages.success(request, _("The lead is disqualified."))
                return redirect("sales:lead_detail", lead.pk)
    else:
        form = ReasonForm(initial={"version": lead.version})
    return render(request, f"{T}/lead_disqualify.html", _context(request, form=form, lead=lead))


@login_required
@GET_POST
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    """Convert a lead into customer + contact + opportunity, choosing an existing customer
    when one with the same name, phone or e-mail exists."""
    membership = _membership(request)
    lead = sel.get_lead_for_user(membership, pk)
    require_perm(membership, CHANGE, LEAD)
    require_perm(membership, ADD, OPP)
    if lead.status == Lead.Status.CONVERTED:
        messages.info(request, _("This lead has already been converted."))
        return redirect("sales:lead_detail", lead.pk)
    matches = svc.lead_matches(lead, membership)
    form_kwargs = {"org_id": membership.org_id, "matches": matches}
    if request.method == "POST":
        form = ConvertForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            party = None
            if data["customer"] != ConvertForm.NEW:
                from guanxi.parties.selectors import get_party_for_user

                party = get_party_for_user(membership, data["customer"])
            try:
                result = svc.convert_lead(
                    lead=lead,
                    membership=membership,
                    actor=request.user,
                    expected_version=data["version"],
                    party=party,
                    create_new=data["customer"] == ConvertForm.NEW,
                    add_contact=data["add_contact"],
                    opportunity={
                        "name": data["opportunity_name"],
                        "amount": data.get("amount"),
                        "close_date": data.get("close_date"),
                        "stage": data["stage"],
                    },
                )
            except (ValidationError, DomainError) as error:
                _report(form, error, rename={"party": "customer", "name": "opportunity_name"})
            else:
                messages.success(
                    request,
                    _("The lead is converted: customer “%(party)s” and opportunity “%(opp)s”.")
                    % {"party": result.party, "opp": result.opportunity},
                )
                return redirect("sales:opportunity_detail", result.opportunity.pk)
    else:
        visible_matches = [m for m in matches if m.visible]
        form = ConvertForm(
            initial={
                "customer": str(visible_matches[0].party_id)
                if visible_matches
                else ConvertForm.NEW,
                "opportunity_name": lead.title,
                "amount": lead.estimated_amount,
                "add_contact": bool(lead.person_name),
                "version": lead.version,
            },
            **form_kwargs,
        )
    return render(
        request,
        f"{T}/lead_convert.html",
        _context(
            request,
            form=form,
            lead=lead,
            matches=matches,
            hidden_matches=[m for m in matches if not m.visible],
            customer_name=svc.lead_customer_name(lead),
        ),
    )


@login_required
@require_POST
def lead_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    lead = sel.get_lead_for_user(membership, pk)
    require_perm(membership, DELETE, LEAD)
    try:
        svc.delete_lead(lead=lead, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("sales:lead_detail", lead.pk)
    messages.success(request, _("“%(title)s” has been moved to the recycle bin.") % {"title": lead})
    return redirect("sales:lead_list")


# --- pickers -------------------------------------------------------------------------------------


@login_required
@require_GET
def customer_options(request: HttpRequest) -> HttpResponse:
    """<option>s of the visible customers matching `party_q` (name, pinyin, phone …), and
    the contacts of the first (swapped out of band into the contact select)."""
    from guanxi.parties.selectors import visible_contacts, visible_parties

    membership = _membership(request)
    query = (request.GET.get("party_q") or "").strip()[:100]
    parties: list[Any] = []
    if query:
        qs = visible_parties(membership).order_by("short_name", "id")
        parties = list(qs.filter(search_text__icontains=query.lower())[:20]) or list(
            qs.filter(name__icontains=query)[:20]
        )
    contacts = (
        list(visible_contacts(membership).filter(party_id=parties[0].pk)[:200]) if parties else []
    )
    return render(
        request,
        f"{T}/options.html#party-options",
        {"parties": parties, "q": query, "contacts": contacts},
    )


@login_required
@require_GET
def contact_options(request: HttpRequest) -> HttpResponse:
    from guanxi.parties.selectors import visible_contacts, visible_parties

    membership = _membership(request)
    contacts: list[Any] = []
    raw = request.GET.get("party") or ""
    if raw.isdigit():
        party = visible_parties(membership).filter(pk=int(raw)).first()
        if party is not None:
            contacts = list(visible_contacts(membership).filter(party_id=party.pk)[:200])
    return render(request, f"{T}/options.html#contact-options", {"contacts": contacts})


# --- opportunities -------------------------------------------------------------------------------


def _filters(
    request: HttpRequest, membership: Any
) -> tuple[sel.OpportunityFilters, dict[str, str]]:
    form = OpportunityFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    owner = data.get("owner") or ""
    owner_id = membership.user_id if owner == "me" else _int(owner)
    filters = sel.OpportunityFilters(
        stage_id=data.get("stage"),
        status=data.get("status") or None,
        owner_id=owner_id,
        party_id=data.get("party"),
        close_month=form.close_month_date(),
        query=(data.get("q") or "").strip(),
    )
    params = {
        key: str(value)
        for key, value in (
            ("q", filters.query),
            ("stage", data.get("stage") or ""),
            ("status", filters.status or ""),
            ("owner", owner),
            ("party", data.get("party") or ""),
            ("close_month", data.get("close_month") or ""),
        )
        if value
    }
    return filters, params


@login_required
@require_GET
def opportunity_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, OPP)
    filters, params = _filters(request, membership)
    sort = request.GET.get("sort") or sel.DEFAULT_SORT
    if sort not in sel.OPPORTUNITY_SORTS:
        sort = sel.DEFAULT_SORT
    page = sel.keyset_page(
        sel.filtered_opportunities(membership, filters),
        sel.OPPORTUNITY_SORTS[sort],
        request.GET.get("cursor"),
        settings.GUANXI_PAGE_SIZE,
    )
    query = {**params, "sort": sort}
    context = _context(
        request,
        page=page,
        filters=filters,
        params=params,
        sort=sort,
        query_string=urlencode(params),
        more_url=f"?{urlencode({**query, 'cursor': page.next_cursor})}" if page.next_cursor else "",
        stages=sel.stages_of(membership.org_id),
        statuses=Opportunity.Status.choices,
        owners=member_choices(membership.org_id),
        sorts=_sort_links(params, sort),
        can_add=has_perm(membership, ADD, OPP),
    )
    if _is_htmx(request) and request.GET.get("cursor"):
        return render(request, f"{T}/opportunity_list.html#rows", context)
    return render(request, f"{T}/opportunity_list.html", context)


def _sort_links(params: dict[str, str], current: str) -> dict[str, str]:
    """For each sortable column, the URL that sorts by it (toggling the direction)."""
    links = {}
    for column in ("created", "close_date", "amount", "name"):
        ascending = column if column != "created" else "created"
        descending = f"-{column}"
        wanted = descending if current == ascending else ascending
        if column == "name":
            wanted = "name"
        if wanted not in sel.OPPORTUNITY_SORTS:
            wanted = ascending if ascending in sel.OPPORTUNITY_SORTS else sel.DEFAULT_SORT
        links[column] = f"?{urlencode({**params, 'sort': wanted})}"
    return links


def _opportunity_form_context(
    request: HttpRequest, form: Any, formset: Any, opp: Opportunity | None, **extra: Any
) -> dict[str, Any]:
    return _context(request, form=form, formset=formset, opp=opp, **extra)


@login_required
@GET_POST
def opportunity_create(request: HttpRequest) -> HttpResponse:
    from guanxi.parties.selectors import get_party_for_user

    membership = _membership(request)
    require_perm(membership, ADD, OPP)
    party = (
        get_party_for_user(membership, request.GET["party"]) if request.GET.get("party") else None
    )
    choices = product_choices(membership.org_id)
    if request.method == "POST":
        form = OpportunityForm(request.POST, membership=membership, party=party)
        formset = LineFormSet(request.POST, prefix="lines", product_choices=choices)
        if form.is_valid() and formset.is_valid():
            try:
                opp = svc.create_opportunity(
                    org=request.org,  # type: ignore[attr-defined]
                    actor=request.user,
                    data=form.service_data(),
                    lines=formset.lines(),
                )
            except (ValidationError, DomainError) as error:
                _report_lines(form, formset, error)
            else:
                messages.success(
                    request, _("Opportunity “%(name)s” has been saved.") % {"name": opp}
                )
                return redirect(opp.get_absolute_url())
    else:
        stages = [s for s in svc.ensure_default_stages(membership.org_id) if s.is_active]
        form = OpportunityForm(
            membership=membership,
            party=party,
            initial={
                "owner": request.user.pk,
                "party": party.pk if party else None,
                "stage": stages[0].pk if stages else None,
            },
        )
        formset = LineFormSet(prefix="lines", product_choices=choices)
    return render(
        request,
        f"{T}/opportunity_form.html",
        _opportunity_form_context(request, form, formset, None),
    )


def _report_lines(form: Any, formset: Any, error: Exception) -> None:
    """Field errors of lines (`lines.<n>.<field>`) go on that row of the formset."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        rest: dict[str, list[str]] = {}
        for name, field_messages in error.message_dict.items():
            parts = name.split(".")
            if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit():
                index = int(parts[1])
                filled = [f for f in formset.forms if (f.cleaned_data or {}).get("product")]
                row = filled[index] if index < len(filled) else None
                if row is not None:
                    for message in field_messages:
                        row.add_error(parts[2] if parts[2] in row.fields else None, message)
                    continue
            rest[name] = field_messages
        if rest:
            _report(form, ValidationError(rest))
        return
    _report(form, error)


@login_required
@GET_POST
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    opp = sel.get_opportunity_for_user(membership, pk)
    require_perm(membership, CHANGE, OPP)
    current_lines = list(opp.lines.all())
    choices = product_choices(
        membership.org_id, include=[line.product_id for line in current_lines]
    )
    if request.method == "POST":
        form = OpportunityForm(
            request.POST, membership=membership, party=opp.party, opportunity=opp
        )
        formset = LineFormSet(request.POST, prefix="lines", product_choices=choices)
        if form.is_valid() and formset.is_valid():
            try:
                svc.update_opportunity(
                    opp=opp,
                    actor=request.user,
                    data=form.service_data(),
                    expected_version=form.cleaned_data.get("version") or 0,
                    lines=formset.lines(),
                )
            except (ValidationError, DomainError) as error:
                _report_lines(form, formset, error)
                opp = sel.get_opportunity_for_user(membership, pk)
            else:
                messages.success(
                    request, _("Opportunity “%(name)s” has been saved.") % {"name": opp}
                )
                return redirect(opp.get_absolute_url())
    else:
        form = OpportunityForm(
            membership=membership,
            party=opp.party,
            opportunity=opp,
            initial=OpportunityForm.initial_for(opp),
        )
        formset = LineFormSet(
            prefix="lines",
            product_choices=choices,
            initial=[
                {
                    "product": line.product_id,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "discount_percent": line.discount_percent,
                }
                for line in current_lines
            ],
        )
    return render(
        request,
        f"{T}/opportunity_form.html",
        _opportunity_form_context(request, form, formset, opp),
    )


@login_required
@require_GET
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    opp = sel.get_opportunity_for_user(membership, pk)
    _label_sources([opp])
    stages = [s for s in sel.stages_of(membership.org_id) if s.is_active or s.pk == opp.stage_id]
    activities = list(sel.opportunity_activities(membership, opp)[:50])
    lines = list(opp.lines.select_related("product"))
    tab = request.GET.get("tab") or "overview"
    return render(
        request,
        f"{T}/opportunity_detail.html",
        _context(
            request,
            opp=opp,
            stages=stages,
            open_stages=[s for s in stages if s.outcome == PipelineStage.Outcome.OPEN],
            lines=lines,
            lines_total=sum((line.total_amount for line in lines), sel.ZERO),
            activities=activities,
            stage_changes=sel.stage_changes_of(opp),
            history=history_entries(opp, limit=30),
            tab=tab if tab in {"overview", "products", "timeline", "history"} else "overview",
            can_change=has_perm(membership, CHANGE, OPP),
            can_delete=has_perm(membership, DELETE, OPP),
            can_add_activity=has_perm(membership, ADD, "activity"),
            can_add_quote=has_perm(membership, ADD, "quote"),
            can_add_order=has_perm(membership, ADD, "order"),
            documents=_opportunity_documents(membership, opp),
            close_form=CloseForm(initial={"version": opp.version}),
            weighted=(opp.amount * opp.probability / 100).quantize(sel.CENT),
        ),
    )


def _opportunity_documents(membership: Any, opp: Opportunity) -> list[Any]:
    """The quotes and orders made from the opportunity that the member may see, newest first."""
    from guanxi.sales.documents_selectors import visible_orders, visible_quotes

    quotes = list(visible_quotes(membership).filter(opportunity=opp).order_by("-date", "-id")[:20])
    orders = list(visible_orders(membership).filter(opportunity=opp).order_by("-date", "-id")[:20])
    return sorted(quotes + orders, key=lambda doc: (doc.date, doc.created_at), reverse=True)


def _move_response(
    request: HttpRequest, membership: Any, opp: Opportunity | None, error: Exception | None
) -> HttpResponse:
    """JSON for the kanban's drag (the card, the columns' totals or the refusal), a
    redirect with a message for a plain form."""
    if _wants_json(request):
        if error is not None:
            status = getattr(error, "status_code", 400)
            if isinstance(error, ValidationError):
                status = 422
                message = " ".join(error.messages)
            else:
                message = str(getattr(error, "message", error))
            return JsonResponse(
                {"ok": False, "message": message, "code": getattr(error, "code", "invalid")},
                status=status,
            )
        if opp is None:  # pragma: no cover - a success always has its opportunity
            raise Http404
        card = render_to_string(
            f"{T}/board.html#card",
            {"opp": sel.get_opportunity_for_user(membership, opp.pk), "can_change": True},
            request,
        )
        totals = sel.stage_totals(membership, sel.OpportunityFilters())
        return JsonResponse(
            {
                "ok": True,
                "card": card,
                "version": opp.version,
                "status": opp.status,
                "message": _("“%(name)s” is now in “%(stage)s”.")
                % {"name": opp.name, "stage": opp.stage},
                "columns": {str(pk): value.as_dict() for pk, value in totals.items()},
            }
        )
    if error is not None:
        messages.error(
            request, " ".join(getattr(error, "messages", [str(getattr(error, "message", error))]))
        )
    elif opp is not None:
        messages.success(
            request,
            _("“%(name)s” is now in “%(stage)s”.") % {"name": opp.name, "stage": opp.stage},
        )
    return redirect(
        _safe_next(request, reverse("sales:opportunity_detail", args=[opp.pk if opp else 0]))
    )


@login_required
@require_POST
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move to a stage (kanban drag or the detail page's stage buttons), refused when stale."""
    membership = _membership(request)
    opp = sel.get_opportunity_for_user(membership, pk)
    require_perm(membership, CHANGE, OPP)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _move_response(
            request, membership, opp, ValidationError(_("Choose a stage and send the version."))
        )
    try:
        moved = svc.move_opportunity(
            membership,
            opp,
            form.cleaned_data["stage"],
            form.cleaned_data["version"],
            actor=request.user,
            reason=form.cleaned_data.get("reason") or "",
        )
    except (ValidationError, DomainError) as error:
        if not _wants_json(request):
            return _move_response(request, membership, opp, error)
        return _move_response(request, membership, None, error)
    return _move_response(request, membership, moved, None)


@login_required
@require_POST
def opportunity_close(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    opp = sel.get_opportunity_for_user(membership, pk)
    require_perm(membership, CHANGE, OPP)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _move_response(request, membership, opp, ValidationError(_("Choose won or lost.")))
    try:
        closed = svc.close_opportunity(
            membership,
            opp,
            outcome=form.cleaned_data["outcome"],
            reason=form.cleaned_data.get("reason") or "",
            version=form.cleaned_data["version"],
            actor=request.user,
        )
    except (ValidationError, DomainError) as error:
        return _move_response(request, membership, opp, error)
    return _move_response(request, membership, closed, None)


@login_required
@GET_POST
def opportunity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    opp = sel.get_opportunity_for_user(membership, pk)
    require_perm(membership, DELETE, OPP)
    if request.method == "POST":
        try:
            svc.delete_opportunity(opp=opp, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect(opp.get_absolute_url())
        messages.success(
            request, _("“%(name)s” has been moved to the recycle bin.") % {"name": opp.name}
        )
        return redirect("sales:opportunity_list")
    return render(
        request,
        f"{T}/opportunity_delete.html",
        _context(request, opp=opp, keep_days=settings.GUANXI_RECYCLE_BIN_DAYS),
    )


@login_required
@GET_POST
def opportunity_activity_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a call, meeting, task … on the opportunity (and so on its customer's timeline)."""
    membership = _membership(request)
    opp = sel.get_opportunity_for_user(membership, pk)
    require_perm(membership, ADD, "activity")
    if request.method == "POST":
        form = OpportunityActivityForm(request.POST)
        if form.is_valid():
            try:
                activity = svc.add_opportunity_activity(
                    opp=opp, actor=request.user, data=form.service_data()
                )
            except (ValidationError, DomainError) as error:
                _report(form, error, rename={"start_at": "when", "due_at": "when"})
            else:
                messages.success(
                    request,
                    _("%(kind)s “%(subject)s” has been saved.")
                    % {"kind": activity.get_kind_display(), "subject": activity.subject},
                )
                return redirect(f"{opp.get_absolute_url()}?tab=timeline")
    else:
        form = OpportunityActivityForm(initial={"kind": request.GET.get("kind") or "call"})
    return render(request, f"{T}/activity_form.html", _context(request, form=form, opp=opp))


# --- the kanban --------------------------------------------------------------------------------


@login_required
@require_GET
def pipeline(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, OPP)
    filters, params = _filters(request, membership)
    if "owner" not in request.GET and membership.role.visibility != "own":
        params["owner"] = ""
    board = sel.pipeline_board(membership, filters)
    return render(
        request,
        f"{T}/board.html",
        _context(
            request,
            board=board,
            params=params,
            filters=filters,
            owners=member_choices(membership.org_id),
            list_url=reverse("sales:opportunity_list"),
            can_change=has_perm(membership, CHANGE, OPP),
            can_add=has_perm(membership, ADD, OPP),
        ),
    )


# --- pipeline stages (settings) -------------------------------------------------------------


def _require_admin(membership: Any) -> None:
    if not is_org_admin(membership):
        raise PermissionDenied


@login_required
@GET_POST
def stage_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    _require_admin(membership)
    form = StageForm(request.POST or None, initial={"probability": 10, "outcome": "open"})
    if request.method == "POST" and form.is_valid():
        try:
            stage = svc.create_stage(
                org=membership.org_id,
                actor=request.user,
                data={k: v for k, v in form.cleaned_data.items() if k != "version"},
            )
        except (ValidationError, DomainError) as error:
            _report(form, error)
        else:
            messages.success(request, _("Stage “%(name)s” has been added.") % {"name": stage})
            return redirect("sales:stage_list")
    stages = svc.ensure_default_stages(membership.org_id)
    with org_scope(membership.org_id):
        counts = dict(
            Opportunity.objects.filter(status=Opportunity.Status.OPEN)
            .order_by()
            .values_list("stage_id")
            .annotate(n=_count())
        )
    return render(
        request,
        f"{T}/stages.html",
        {"stages": stages, "form": form, "counts": counts},
    )


def _count() -> Any:
    from django.db.models import Count

    return Count("id")


@login_required
@GET_POST
def stage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    _require_admin(membership)
    with org_scope(membership.org_id):
        stage = PipelineStage.objects.filter(org_id=membership.org_id, pk=pk).first()
    if stage is None:
        raise Http404
    if request.method == "POST":
        form = StageForm(request.POST)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                svc.update_stage(
                    stage=stage,
                    actor=request.user,
                    data=data,
                    expected_version=form.cleaned_data.get("version") or 0,
                )
            except (ValidationError, DomainError) as error:
                _report(form, error)
            else:
                messages.success(request, _("Stage “%(name)s” has been saved.") % {"name": stage})
                return redirect("sales:stage_list")
    else:
        form = StageForm(
            initial={
                "name": stage.name,
                "probability": stage.probability,
                "outcome": stage.outcome,
                "is_active": stage.is_active,
                "version": stage.version,
            }
        )
    return render(request, f"{T}/stage_form.html", {"form": form, "stage": stage})


@login_required
@require_POST
def stage_move(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    _require_admin(membership)
    with org_scope(membership.org_id):
        stage = PipelineStage.objects.filter(org_id=membership.org_id, pk=pk).first()
    if stage is None:
        raise Http404
    try:
        svc.move_stage(stage=stage, actor=request.user, direction=request.POST.get("direction", ""))
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("sales:stage_list")


# --- targets -------------------------------------------------------------------------------------


@login_required
@GET_POST
def target_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, TARGET)
    today = timezone.localdate()
    year = _int(request.GET.get("year")) or today.year
    year = min(max(year, 2000), 2100)
    can_add = has_perm(membership, ADD, TARGET)
    form = None
    if can_add:
        form = TargetForm(
            request.POST or None,
            org_id=membership.org_id,
            initial={"period": SalesTarget.Period.MONTH, "year": year, "number": today.month},
        )
        if request.method == "POST" and form.is_valid():
            try:
                svc.create_target(
                    org=membership.org_id, actor=request.user, data=form.service_data()
                )
            except (ValidationError, DomainError) as error:
                _report(form, error, rename={"user": "subject", "team": "subject"})
            else:
                messages.success(request, _("The target has been saved."))
                return redirect(f"{reverse('sales:target_list')}?year={year}")
    elif request.method == "POST":
        raise PermissionDenied
    with org_scope(membership.org_id):
        targets = list(
            sel.visible_targets(membership)
            .filter(year=year)
            .order_by("period", "number", "user__username", "team__name", "id")
        )
        rows = sel.attainments_of(membership.org_id, targets)
    return render(
        request,
        f"{T}/targets.html",
        _context(
            request,
            rows=rows,
            year=year,
            years=[year - 1, year, year + 1],
            form=form,
            can_change=has_perm(membership, CHANGE, TARGET),
            can_delete=has_perm(membership, DELETE, TARGET),
        ),
    )


def _target_or_404(membership: Any, pk: int) -> SalesTarget:
    with org_scope(membership.org_id):
        target = sel.visible_targets(membership).filter(pk=pk).first()
    if target is None:
        raise Http404
    return target


@login_required
@GET_POST
def target_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    target = _target_or_404(membership, pk)
    require_perm(membership, CHANGE, TARGET)
    if request.method == "POST":
        form = TargetAmountForm(request.POST)
        if form.is_valid():
            try:
                svc.update_target(
                    target=target,
                    actor=request.user,
                    data={"amount": form.cleaned_data["amount"]},
                    expected_version=form.cleaned_data["version"],
                )
            except (ValidationError, DomainError) as error:
                _report(form, error)
            else:
                messages.success(request, _("The target has been saved."))
                return redirect(f"{reverse('sales:target_list')}?year={target.year}")
    else:
        form = TargetAmountForm(initial={"amount": target.amount, "version": target.version})
    return render(request, f"{T}/target_form.html", _context(request, form=form, target=target))


@login_required
@require_POST
def target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    target = _target_or_404(membership, pk)
    require_perm(membership, DELETE, TARGET)
    year = target.year
    svc.delete_target(target=target, actor=request.user)
    messages.success(request, _("The target has been deleted."))
    return redirect(f"{reverse('sales:target_list')}?year={year}")


# --- the customer page's tab ------------------------------------------------------------------


@login_required
@require_GET
def party_opportunities_tab(request: HttpRequest, party_pk: int) -> HttpResponse:
    from guanxi.parties.models import Party

    membership = _membership(request)
    party = get_visible_or_404(Party.objects.all(), membership, "party", pk=party_pk)
    require_perm(membership, VIEW, OPP)
    opportunities = list(sel.party_opportunities(membership, party)[:100])
    return render(
        request,
        f"{T}/party_tab.html",
        {
            "party": party,
            "opportunities": opportunities,
            "can_add": has_perm(membership, ADD, OPP),
        },
    )
