"""Forms of the finance pages. They parse what a member typed and offer only what the
member may pick; the rules live in guanxi.finance.services."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import MembershipLike
from guanxi.finance.models import MoneyDocument
from guanxi.finance.selectors import MoneyFilters, parties_of_kind
from guanxi.web.forms import StyledFormMixin

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ALLOCATION_FIELD = re.compile(r"^alloc_(stock_document|order|purchase_order)_(\d+)$")


def members_choices(membership: MembershipLike) -> list[tuple[str, str]]:
    from guanxi.accounts.models import Membership

    rows = (
        Membership.objects.filter(org_id=membership.org_id, is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    return [(str(m.user_id), f"{m.user} ({m.user.username})") for m in rows]


class MoneyDocumentForm(StyledFormMixin, forms.Form):
    """The header of a receipt or payment; allocations come as `alloc_<target>_<id>`."""

    party = forms.IntegerField(label=_("Customer"), widget=forms.Select)
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    method = forms.ChoiceField(label=_("Method"), choices=MoneyDocument.Method.choices)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        help_text=_("Bank slip, transaction or cheque number."),
    )
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        kind: str,
        membership: MembershipLike,
        party: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.membership = membership
        self.fields["party"].label = (
            _("Customer") if kind == MoneyDocument.Kind.RECEIPT else _("Supplier")
        )
        self.fields["owner"].choices = [("", "—"), *members_choices(membership)]  # type: ignore[attr-defined]
        self.party = self._bound_party() or party
        self.fields["party"].widget.choices = (  # type: ignore[attr-defined]
            [(str(self.party.pk), str(self.party))] if self.party is not None else [("", "—")]
        )

    def _bound_party(self) -> Any:
        raw = self.data.get("party") if self.is_bound else None
        if not raw or not str(raw).isdigit():
            return None
        return parties_of_kind(self.membership, self.kind).filter(pk=int(raw)).first()

    def clean_party(self) -> Any:
        value = self.cleaned_data.get("party")
        party = parties_of_kind(self.membership, self.kind).filter(pk=value).first()
        if party is None:
            raise forms.ValidationError(
                _("Choose a customer you may see.")
                if self.kind == MoneyDocument.Kind.RECEIPT
                else _("Choose a supplier you may see.")
            )
        return party

    def service_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data.get(k) for k in ("party", "date", "amount", "method")}
        data["reference"] = self.cleaned_data.get("reference") or ""
        data["notes"] = self.cleaned_data.get("notes") or ""
        data["owner"] = self.cleaned_data.get("owner") or None
        data["kind"] = self.kind
        return data

    @classmethod
    def initial_for(cls, document: MoneyDocument) -> dict[str, Any]:
        return {
            "party": document.party_id,
            "date": document.date,
            "amount": document.amount,
            "method": document.method,
            "reference": document.reference,
            "owner": document.owner_id,
            "notes": document.notes,
            "version": document.version,
        }


def allocations_from(data: QueryDict) -> tuple[list[dict[str, Any]], list[str], dict[str, str]]:
    """Read `alloc_<target>_<id>` inputs: the allocations (non-empty ones, in order),
    the row key of each, and what was typed per row key (to show again)."""
    allocations: list[dict[str, Any]] = []
    keys: list[str] = []
    typed: dict[str, str] = {}
    for name in data:
        match = ALLOCATION_FIELD.match(name)
        if not match:
            continue
        value = (data.get(name) or "").strip().replace(",", "")
        key = f"{match.group(1)}-{match.group(2)}"
        typed[key] = value
        if not value:
            continue
        allocations.append({match.group(1): int(match.group(2)), "amount": value})
        keys.append(key)
    return allocations, keys, typed


def row_errors(error_dict: dict[str, list[str]], keys: list[str]) -> dict[str, str]:
    """Map the service's `allocations.N.…` errors to the row key of allocation N."""
    result: dict[str, str] = {}
    for field, messages in error_dict.items():
        match = re.match(r"^allocations\.(\d+)\.", field)
        if match and int(match.group(1)) < len(keys):
            result[keys[int(match.group(1))]] = " ".join(str(m) for m in messages)
    return result


class MoneyFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Number or reference"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number or reference…")}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Receipts and payments")), *MoneyDocument.Kind.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *MoneyDocument.Status.choices],
    )
    party = forms.IntegerField(required=False, widget=forms.HiddenInput)
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)

    def filters(self) -> MoneyFilters:
        if not self.is_valid():
            return MoneyFilters()
        data = self.cleaned_data
        return MoneyFilters(
            kind=data.get("kind") or None,
            status=data.get("status") or None,
            party_id=data.get("party") or None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            query=(data.get("q") or "").strip()[:100],
        )


class ReverseForm(StyledFormMixin, forms.Form):
    date = forms.DateField(label=_("Reversal date"), widget=DATE_WIDGET)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)


def parse_money(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def parse_date(value: Any, default: datetime.date | None = None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return default
