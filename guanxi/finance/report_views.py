"""Receivables and payables pages (应收款 / 应付款): the ageing summary per party, a
party's account (open items with ageing, and the statement with a running balance), and
the receivables/payables tab of the customer and supplier 360° page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from guanxi.activities.selectors import keyset_page
from guanxi.core.permissions import ADD, VIEW, has_perm, require_perm
from guanxi.finance.forms import DATE_WIDGET, members_choices, parse_date
from guanxi.finance.openitems import BOOKS, BUCKETS, ZERO, party_open_items, today
from guanxi.finance.reports import (
    ROLE_OF_BOOK,
    STATEMENT_ORDER,
    SummaryFilters,
    ageing_summary,
    balance_before,
    statement_entries,
    statement_rows,
)
from guanxi.parties.models import PartyCategory
from guanxi.parties.selectors import get_party_for_user
from guanxi.web.forms import StyledFormMixin

TYPE = "money_document"
BUCKET_LABELS = {
    "b0_30": _("0–30 days"),
    "b31_60": _("31–60 days"),
    "b61_90": _("61–90 days"),
    "b90": _("Over 90 days"),
}
BOOK_TITLES = {"receivable": _("Receivables"), "payable": _("Payables")}


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted)


def _book(book: str) -> str:
    if book not in BOOKS:
        raise Http404
    return book


class SummaryForm(StyledFormMixin, forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False, widget=DATE_WIDGET)
    q = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, pinyin…")}),
    )
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    category = forms.TypedChoiceField(
        label=_("Category"), coerce=int, required=False, empty_value=None
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, membership: Any, role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("Any owner")), *members_choices(membership)]  # type: ignore[attr-defined]
        categories = PartyCategory.objects.filter(tree=role).order_by("path")
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", _("Any category")),
            *[(str(c.pk), "· " * (c.depth - 1) + c.name) for c in categories],
        ]

    def filters(self) -> SummaryFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return SummaryFilters(
            as_of=data.get("as_of"),
            owner_id=data.get("owner"),
            category_id=data.get("category"),
            query=(data.get("q") or "").strip(),
            sort=(data.get("sort") or "-balance"),
        )


@login_required
@require_GET
def summary(request: HttpRequest, book: str) -> HttpResponse:
    book = _book(book)
    membership = _membership(request)
    require_perm(membership, VIEW, TYPE)
    form = SummaryForm(request.GET, membership=membership, role=ROLE_OF_BOOK[book])
    filters = form.filters()
    result = ageing_summary(
        membership,
        book,
        filters,
        cursor=request.GET.get("cursor"),
        limit=settings.GUANXI_PAGE_SIZE,
    )
    account_url = reverse("finance:party_account", args=[book, 0])
    for row in result.rows:
        row.extra["url"] = account_url.replace("/0/", f"/{row.party_id}/")
    sort = filters.sort
    columns = [
        ("name", _("Name")),
        ("balance", _("Balance")),
        *[(key, BUCKET_LABELS[key]) for key, _low, _high in BUCKETS],
        ("overdue", _("Overdue")),
    ]
    context = {
        "book": book,
        "title": BOOK_TITLES[book],
        "form": form,
        "summary": result,
        "as_of": filters.as_of or today(),
        "sort": sort,
        "columns": columns,
    }
    if _is_htmx(request):
        return render(request, "finance/summary.html#table", context)
    return render(request, "finance/summary.html", context)


def _account_context(request: HttpRequest, book: str, party: Any) -> dict[str, Any]:
    as_of = parse_date(request.GET.get("as_of"), today()) or today()
    items = [i for i in party_open_items(party.pk, book, as_of) if i.open_amount != 0]
    buckets = {key: ZERO for key, _low, _high in BUCKETS}
    overdue = ZERO
    for item in items:
        buckets[item.bucket] += item.open_amount
        if item.days_overdue > 0:
            overdue += item.open_amount
    balance = sum((i.open_amount for i in items), ZERO)
    membership = _membership(request)
    kind = "receipt" if book == "receivable" else "payment"
    return {
        "book": book,
        "title": BOOK_TITLES[book],
        "party": party,
        "as_of": as_of,
        "items": items,
        "buckets": [(BUCKET_LABELS[k], v) for k, v in buckets.items()],
        "overdue": overdue,
        "balance": balance,
        "credit_limit": party.credit_limit if book == "receivable" else None,
        "money_kind": kind,
        "can_add_money": has_perm(membership, ADD, TYPE),
    }


@login_required
@require_GET
def party_account(request: HttpRequest, book: str, party_pk: int) -> HttpResponse:
    """A party's account: its open items with ageing as of a day, and its statement."""
    book = _book(book)
    membership = _membership(request)
    require_perm(membership, VIEW, TYPE)
    party = get_party_for_user(membership, party_pk)
    if not getattr(party, BOOKS[book].party_flag):
        raise Http404
    context = _account_context(request, book, party)
    return render(request, "finance/party_account.html", context)


@login_required
@require_GET
def party_statement(request: HttpRequest, book: str, party_pk: int) -> HttpResponse:
    """The statement: every ledger entry, oldest first, with the running balance; each
    row links to its source document (htmx partial, paged by cursor)."""
    book = _book(book)
    membership = _membership(request)
    require_perm(membership, VIEW, TYPE)
    party = get_party_for_user(membership, party_pk)
    date_from = parse_date(request.GET.get("from"))
    date_to = parse_date(request.GET.get("to"))
    cursor = request.GET.get("cursor")
    page = keyset_page(
        statement_entries(party, book, date_from=date_from, date_to=date_to),
        STATEMENT_ORDER,
        cursor,
        settings.GUANXI_PAGE_SIZE,
    )
    first = page.items[0] if page.items else None
    opening = balance_before(party, book, date_from=date_from, first=first)
    rows = statement_rows(page.items, opening)
    context = {
        "book": book,
        "party": party,
        "rows": rows,
        "page": page,
        "opening": opening,
        "closing": rows[-1].balance if rows else opening,
        "first_page": not cursor,
        "date_from": date_from,
        "date_to": date_to,
        "statement_url": reverse("finance:party_statement", args=[book, party.pk]),
    }
    if _is_htmx(request) and cursor:
        return render(request, "finance/statement.html#rows", context)
    return render(request, "finance/statement.html", context)


# --- the 360° page tab ---------------------------------------------------------------------


@login_required
@require_GET
def party_tab(request: HttpRequest, book: str, party_pk: int) -> HttpResponse:
    """The receivables (payables) tab of the 360° page: balance, ageing, open items."""
    book = _book(book)
    membership = _membership(request)
    require_perm(membership, VIEW, TYPE)
    party = get_party_for_user(membership, party_pk)
    context = _account_context(request, book, party)
    return render(request, "finance/tabs/account.html", context)
