"""The query parameters of the sales analysis, Pareto and funnel pages and their API:
one validation for both (field errors in the user's language; the API answers 422).

Periods: this month, this quarter, this year (each up to today, so last year's same
period is compared like with like), the last 12 months (the 11 whole months before this
one and this month up to today; the default), or custom dates.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guanxi.analytics import sales_selectors as sel
from guanxi.analytics.funnel_selectors import FunnelFilters
from guanxi.core.permissions import MembershipLike
from guanxi.web.forms import StyledFormMixin

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PERIODS = (
    ("last_12_months", _("Last 12 months")),
    ("this_month", _("This month")),
    ("this_quarter", _("This quarter")),
    ("this_year", _("This year")),
    ("custom", _("Custom dates")),
)
GRAINS = (
    ("day", _("Day")),
    ("week", _("Week")),
    ("month", _("Month")),
    ("quarter", _("Quarter")),
    ("year", _("Year")),
)
MEASURES = (
    ("net", _("Net sales")),
    ("profit", _("Gross profit")),
    ("quantity", _("Quantity")),
    ("purchases", _("Number of purchases")),
)
SPLITS = (
    ("", _("No split")),
    ("customer", _("By customer")),
    ("product", _("By product")),
    ("category", _("By product category")),
    ("person", _("By salesperson")),
    ("team", _("By team")),
)
DIMENSIONS = (
    ("product", _("Product")),
    ("category", _("Product category")),
    ("customer_category", _("Customer category")),
    ("customer_group", _("Customer group")),
    ("province", _("Province")),
    ("city", _("City")),
    ("channel", _("Channel (customer source)")),
    ("person", _("Salesperson")),
)
PARETO_SUBJECTS = (("customer", _("Customers")), ("product", _("Products")))
PARETO_MEASURES = (("net", _("Net sales")), ("profit", _("Gross profit")))
MAX_YEARS = 10


def period_dates(period: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The dates of a named period (up to `today`)."""
    if period == "this_month":
        return today.replace(day=1), today
    if period == "this_quarter":
        return datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if period == "this_year":
        return datetime.date(today.year, 1, 1), today
    index = today.year * 12 + today.month - 1 - 11
    return datetime.date(index // 12, index % 12 + 1, 1), today


class PeriodForm(StyledFormMixin, forms.Form):
    """Period and the people filters every analysis shares."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)
    owner = forms.TypedChoiceField(
        label=_("Salesperson"), coerce=int, required=False, empty_value=None
    )
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)

    def __init__(
        self,
        data: Any = None,
        *,
        membership: MembershipLike,
        today: datetime.date | None = None,
        **kwargs: Any,
    ) -> None:
        from guanxi.accounts.models import Membership, Team

        super().__init__(data if data is not None else {}, **kwargs)
        self.membership = membership
        self.today = today or timezone.localdate()
        members = (
            Membership.objects.filter(org_id=membership.org_id)
            .select_related("user")
            .order_by("user__username")
        )
        self.fields["owner"].choices = [  # type: ignore[attr-defined]
            ("", _("Everyone I may see")),
            *[(str(m.user_id), str(m.user)) for m in members],
        ]
        self.fields["team"].choices = [  # type: ignore[attr-defined]
            ("", _("Any team")),
            *[(str(t.pk), t.name) for t in Team.objects.filter(org_id=membership.org_id)],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        period = data.get("period") or ""
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if period == "custom" or (not period and (date_from or date_to)):
            period = "custom"
            if not date_from:
                self.add_error("date_from", gettext("Choose the first day of the period."))
            if not date_to:
                self.add_error("date_to", gettext("Choose the last day of the period."))
            if date_from and date_to:
                if date_from > date_to:
                    self.add_error(
                        "date_to", gettext("The last day cannot be before the first day.")
                    )
                elif (date_to - date_from).days > 366 * MAX_YEARS:
                    self.add_error(
                        "date_to",
                        gettext("Choose a period of at most %(years)d years.")
                        % {"years": MAX_YEARS},
                    )
        else:
            period = period or "last_12_months"
            data["date_from"], data["date_to"] = period_dates(period, self.today)
        data["period"] = period
        return data

    def query(self) -> dict[str, str]:
        """The cleaned parameters as a query string dict (for links that keep them)."""
        data = self.cleaned_data
        out = {}
        for name in self.fields:
            value = data.get(name)
            if value in (None, ""):
                continue
            out[name] = value.isoformat() if isinstance(value, datetime.date) else str(value)
        if out.get("period") != "custom":
            out.pop("date_from", None)
            out.pop("date_to", None)
        return out

    def funnel_filters(self) -> FunnelFilters:
        data = self.cleaned_data
        return FunnelFilters(
            data["date_from"], data["date_to"], data.get("owner"), data.get("team")
        )


class SalesFilterForm(PeriodForm):
    """The slice of sales: period, customer, product, product category, person, team."""

    party = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    product = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    category = forms.TypedChoiceField(
        label=_("Product category"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from guanxi.catalog.models import ProductCategory

        super().__init__(*args, **kwargs)
        categories = ProductCategory.objects.filter(org_id=self.membership.org_id).order_by("path")
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", _("Any category")),
            *[(str(c.pk), "· " * (c.depth - 1) + c.name) for c in categories],
        ]
        self.party_obj: Any = None
        self.product_obj: Any = None

    def clean_party(self) -> int | None:
        from guanxi.parties.selectors import visible_parties

        pk = self.cleaned_data.get("party")
        if pk:
            self.party_obj = visible_parties(self.membership).filter(pk=pk).first()
            if self.party_obj is None:
                raise ValidationError(gettext("Choose a customer you can see."))
        return pk

    def clean_product(self) -> int | None:
        from guanxi.catalog.models import Product

        pk = self.cleaned_data.get("product")
        if pk:
            self.product_obj = Product.all_objects.filter(
                org_id=self.membership.org_id, pk=pk
            ).first()
            if self.product_obj is None:
                raise ValidationError(gettext("Choose a product of this organisation."))
        return pk

    def filters(self) -> sel.SalesFilters:
        data = self.cleaned_data
        return sel.SalesFilters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            party_id=data.get("party"),
            product_id=data.get("product"),
            category_id=data.get("category"),
            owner_id=data.get("owner"),
            team_id=data.get("team"),
        )


class TrendForm(SalesFilterForm):
    grain = forms.ChoiceField(label=_("Group by"), choices=GRAINS, required=False)
    measure = forms.ChoiceField(label=_("Measure"), choices=MEASURES, required=False)
    split = forms.ChoiceField(label=_("Split"), choices=SPLITS, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["grain"] = data.get("grain") or "month"
        data["measure"] = data.get("measure") or "net"
        data["split"] = data.get("split") or ""
        if data.get("date_from") and data.get("date_to") and not self.errors:
            n = sel.bucket_count(data["date_from"], data["date_to"], data["grain"])
            if n > sel.MAX_BUCKETS:
                self.add_error(
                    "grain",
                    gettext(
                        "This period has too many %(grain)s points (%(count)d); "
                        "choose a coarser grouping or a shorter period."
                    )
                    % {"grain": dict(GRAINS)[data["grain"]], "count": n},
                )
        return data


class CompositionForm(SalesFilterForm):
    dimension = forms.ChoiceField(label=_("Share by"), choices=DIMENSIONS, required=False)
    measure = forms.ChoiceField(label=_("Measure"), choices=MEASURES, required=False)
    top = forms.IntegerField(label=_("Show the top"), min_value=1, max_value=50, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["dimension"] = data.get("dimension") or "product"
        data["measure"] = data.get("measure") or "net"
        data["top"] = data.get("top") or 10
        return data


class SalesPageForm(TrendForm):
    """The sales analysis page: trend and composition on one form."""

    dimension = CompositionForm.base_fields["dimension"]
    top = CompositionForm.base_fields["top"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["dimension"] = data.get("dimension") or "product"
        data["top"] = data.get("top") or 10
        return data


class ParetoForm(SalesFilterForm):
    subject = forms.ChoiceField(label=_("Rank"), choices=PARETO_SUBJECTS, required=False)
    measure = forms.ChoiceField(label=_("By"), choices=PARETO_MEASURES, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["subject"] = data.get("subject") or "customer"
        data["measure"] = data.get("measure") or "net"
        return data


class FunnelForm(PeriodForm):
    months = forms.IntegerField(
        label=_("Forecast months"), min_value=1, max_value=24, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["months"] = data.get("months") or 12
        return data


def validated(form: forms.Form) -> dict[str, Any]:
    """The form's cleaned data, or a ValidationError with its field errors (API: 422)."""
    if not form.is_valid():
        raise ValidationError(
            {field: [str(m) for m in messages] for field, messages in form.errors.items()}
        )
    return form.cleaned_data
