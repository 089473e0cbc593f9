"""Pages of behavioural types (H13): the catalogue with each type's playbook and count,
the customers of one type, and the customer page's "Behavioural type" tab with the form
that sets the types.

The catalogue and lists need VIEW on "analytics"; the tab follows the customer (a
customer the member may not see is a 404) and setting types needs CHANGE on "party".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from guanxi.activities.selectors import keyset_page
from guanxi.analytics.behaviour import selectors as sel
from guanxi.analytics.behaviour.catalogue import get_type
from guanxi.analytics.behaviour.forms import CustomerTypesForm
from guanxi.analytics.behaviour.services import set_customer_types
from guanxi.analytics.navigation import analytics_context
from guanxi.analytics.registrations import ANALYTICS
from guanxi.core.permissions import CHANGE, VIEW, get_visible_or_404, has_perm, require_perm
from guanxi.parties.models import Party

T = "behaviour"


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


@login_required
@require_GET
def type_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    counts = sel.type_counts(membership)
    return render(
        request,
        f"{T}/types.html",
        analytics_context(request, counts=counts, total=sum(c.count for c in counts)),
    )


@login_required
@require_GET
def type_customers(request: HttpRequest, key: str) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    behaviour_type = get_type(key)
    if behaviour_type is None:
        raise Http404
    page = keyset_page(
        sel.customers_of_type(membership, key),
        sel.CUSTOMER_ORDER,
        request.GET.get("cursor"),
        settings.GUANXI_PAGE_SIZE,
    )
    return render(
        request,
        f"{T}/type_customers.html",
        analytics_context(request, type=behaviour_type, page=page),
    )


@login_required
@require_http_methods(["GET", "POST"])
def party_tab(request: HttpRequest, party_pk: int) -> HttpResponse:
    membership = _membership(request)
    party = get_visible_or_404(Party.objects.all(), membership, "party", pk=party_pk)
    can_change = has_perm(membership, CHANGE, "party")
    saved = False
    if request.method == "POST":
        require_perm(membership, CHANGE, "party")
        form = CustomerTypesForm(request.POST)
        if form.is_valid():
            try:
                set_customer_types(
                    org=membership.org_id,
                    actor=request.user,
                    party=party,
                    keys=form.cleaned_data["types"],
                )
                saved = True
            except ValidationError as error:
                for message in error.message_dict.get("types", error.messages):
                    form.add_error("types", message)
        status = 200 if form.is_valid() and not form.errors else 400
    else:
        status = 200
        form = None
    assignments = sel.assignments_of(party)
    if form is None or saved:
        form = CustomerTypesForm(initial={"types": [a.type_key for a in assignments]})
    rows = []
    for assignment in assignments:
        behaviour_type = get_type(assignment.type_key)
        if behaviour_type is not None:
            rows.append((behaviour_type, assignment))
    return render(
        request,
        f"{T}/party_tab.html",
        {
            "party": party,
            "rows": rows,
            "form": form,
            "can_change": can_change,
            "saved": saved,
        },
        status=status,
    )
