"""The query centre (查询中心): sales and purchase detail ledgers with totals and export,
and price history per product and per customer/supplier (pages and 360° tabs)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from guanxi.activities.selectors import keyset_page
from guanxi.catalog.models import Product, ProductCategory
from guanxi.core.permissions import EXPORT, VIEW, has_perm, require_perm
from guanxi.finance import exporting
from guanxi.finance.forms import DATE_WIDGET, members_choices
from guanxi.finance.ledgers import (
    LEDGER_ORDER,
    LedgerFilters,
    ledger_lines,
    ledger_totals,
    price_lines,
    price_summary,
)
from guanxi.parties.selectors import get_party_for_user, visible_parties
from guanxi.web.forms import StyledFormMixin

TYPE = "stock_document"
LEDGER_TITLES = {"sales": _("Sales detail ledger"), "purchases": _("Purchase detail ledger")}
PRICE_ORDER = ("-document__date", "-id")


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted)


class LedgerFilterForm(StyledFormMixin, forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)
    party_q = forms.CharField(
        label=_("Customer or supplier"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, pinyin…")}),
    )
    product_q = forms.CharField(
        label=_("Product"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Code or name…")}),
    )
    category = forms.TypedChoiceField(
        label=_("Product category"), coerce=int, required=False, empty_value=None
    )
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    party = forms.IntegerField(required=False, widget=forms.HiddenInput)
    product = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, membership: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("Any owner")), *members_choices(membership)]  # type: ignore[attr-defined]
        categories = ProductCategory.objects.order_by("path")
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", _("Any category")),
            *[(str(c.pk), "· " * (c.depth - 1) + c.name) for c in categories],
        ]

    def filters(self) -> LedgerFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return LedgerFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            party_id=data.get("party"),
            product_id=data.get("product"),
            category_id=data.get("category"),
            owner_id=data.get("owner"),
            party_query=(data.get("party_q") or "").strip(),
            product_query=(data.get("product_q") or "").strip(),
        )


def _ledger(ledger: str) -> str:
    if ledger not in LEDGER_TITLES:
        raise Http404
    return ledger


@login_required
@require_GET
def ledger_view(request: HttpRequest, ledger: str) -> HttpResponse:
    ledger = _ledger(ledger)
    membership = _membership(request)
    require_perm(membership, VIEW, TYPE)
    form = LedgerFilterForm(request.GET, membership=membership)
    lines = ledger_lines(membership, ledger, form.filters())
    page = keyset_page(lines, LEDGER_ORDER, request.GET.get("cursor"), settings.GUANXI_PAGE_SIZE)
    context = {
        "ledger": ledger,
        "title": LEDGER_TITLES[ledger],
        "form": form,
        "page": page,
        "totals": ledger_totals(lines),
        "can_export": has_perm(membership, EXPORT, TYPE),
    }
    if _is_htmx(request):
        return render(request, "finance/ledger.html#rows", context)
    return render(request, "finance/ledger.html", context)


@login_required
@require_GET
def ledger_export(request: HttpRequest, ledger: str, file_format: str) -> HttpResponse:
    ledger = _ledger(ledger)
    membership = _membership(request)
    require_perm(membership, EXPORT, TYPE)
    form = LedgerFilterForm(request.GET, membership=membership)
    lines = ledger_lines(membership, ledger, form.filters())
    if file_format == "csv":
        return exporting.csv_response(lines, ledger)
    if file_format == "xlsx":
        return exporting.xlsx_response(lines, ledger)
    raise Http404


# --- price history -------------------------------------------------------------------------


def _price_context(
    request: HttpRequest, *, product: Any = None, party: Any = None, base_url: str
) -> dict[str, Any]:
    membership = _membership(request)
    side = request.GET.get("side") or ""
    if side not in ("sales", "purchases"):
        side = ""
    lines = price_lines(
        membership,
        side=side or None,
        product_id=product.pk if product else None,
        party_id=party.pk if party else None,
    )
    page = keyset_page(lines, PRICE_ORDER, request.GET.get("cursor"), settings.GUANXI_PAGE_SIZE)
    group = "document__party" if product is not None else "product"
    return {
        "product": product,
        "party": party,
        "side": side,
        "page": page,
        "summary": price_summary(lines, group) if not request.GET.get("cursor") else [],
        "group": group,
        "base_url": base_url,
    }


@login_required
@require_GET
def price_history(request: HttpRequest) -> HttpResponse:
    """Price history of a product (by customer and supplier) or of a customer/supplier
    (by product): `?product=` or `?party=`."""
    from django.urls import reverse

    membership = _membership(request)
    require_perm(membership, VIEW, TYPE)
    product = party = None
    raw_product, raw_party = request.GET.get("product") or "", request.GET.get("party") or ""
    if raw_product.isdigit():
        require_perm(membership, VIEW, "product")
        product = Product.all_objects.filter(pk=int(raw_product)).first()
        if product is None:
            raise Http404
    if raw_party.isdigit():
        party = get_party_for_user(membership, int(raw_party))
    context = _price_context(
        request, product=product, party=party, base_url=reverse("finance:price_history")
    )
    context["parties"] = []
    if product is None and party is None:
        query = (request.GET.get("q") or "").strip()[:100]
        context["q"] = query
        if query:
            context["products"] = list(
                Product.objects.filter(name__icontains=query).order_by("code")[:20]
            ) + list(Product.objects.filter(code__icontains=query).order_by("code")[:20])
            context["parties"] = list(
                visible_parties(membership, None).filter(name__icontains=query)[:20]
            )
    if _is_htmx(request):
        return render(request, "finance/price_history.html#history", context)
    return render(request, "finance/price_history.html", context)


@login_required
@require_GET
def party_price_tab(request: HttpRequest, party_pk: int) -> HttpResponse:
    from django.urls import reverse

    membership = _membership(request)
    require_perm(membership, VIEW, TYPE)
    party = get_party_for_user(membership, party_pk)
    context = _price_context(
        request, party=party, base_url=reverse("finance:party_price_tab", args=[party.pk])
    )
    return render(request, "finance/price_history.html#history", context)


@login_required
@require_GET
def product_price_tab(request: HttpRequest, product_pk: int) -> HttpResponse:
    from django.urls import reverse

    membership = _membership(request)
    require_perm(membership, VIEW, TYPE)
    require_perm(membership, VIEW, "product")
    product = Product.all_objects.filter(pk=product_pk).first()
    if product is None:
        raise Http404
    context = _price_context(
        request, product=product, base_url=reverse("finance:product_price_tab", args=[product.pk])
    )
    return render(request, "finance/price_history.html#history", context)
