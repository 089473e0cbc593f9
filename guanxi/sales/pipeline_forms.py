"""Forms of the pipeline pages: leads, conversion, opportunities and their lines, moves,
stages, targets and the opportunity's "add activity". They parse and offer choices; the
rules live in guanxi.sales.pipeline_services."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import MembershipLike
from guanxi.parties.models import Party
from guanxi.sales.models import Lead, Opportunity, PipelineStage, SalesTarget
from guanxi.web.forms import StyledFormMixin

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MONEY_WIDGET = forms.NumberInput(attrs={"step": "0.01", "min": "0"})
SOURCE_CHOICES = [("", _("—")), *Party.Source.choices]


def member_choices(org_id: int) -> list[tuple[str, str]]:
    from guanxi.accounts.models import Membership

    rows = (
        Membership.objects.filter(org_id=org_id, is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    return [(str(m.user_id), str(m.user)) for m in rows]


def stage_choices(org_id: int, *, include: int | None = None) -> list[tuple[str, str]]:
    from guanxi.sales.pipeline_services import ensure_default_stages

    return [
        (str(s.pk), f"{s.name} ({s.probability}%)")
        for s in ensure_default_stages(org_id)
        if s.is_active or s.pk == include
    ]


class LeadForm(StyledFormMixin, forms.Form):
    title = forms.CharField(
        label=_("Subject"),
        max_length=200,
        help_text=_("What the lead is about, e.g. “50 office chairs for the new branch”."),
    )
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    person_name = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    source = forms.ChoiceField(label=_("Source"), choices=SOURCE_CHOICES, required=False)
    estimated_amount = forms.DecimalField(
        label=_("Estimated amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        widget=MONEY_WIDGET,
    )
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = member_choices(org_id)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("company") or data.get("person_name")) and not self.errors:
            raise ValidationError(_("Give the company or the contact person (or both)."))
        return data

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}

    @staticmethod
    def initial_for(lead: Lead) -> dict[str, Any]:
        return {
            "title": lead.title,
            "company": lead.company,
            "person_name": lead.person_name,
            "phone": lead.phone,
            "email": lead.email,
            "source": lead.source,
            "estimated_amount": lead.estimated_amount,
            "owner": lead.owner_id,
            "notes": lead.notes,
            "version": lead.version,
        }


class LeadFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False, choices=[("", ""), *Lead.Status.choices])


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ConvertForm(StyledFormMixin, forms.Form):
    """Convert a lead: pick an existing customer (among the matches) or create a new one."""

    NEW = "new"

    customer = forms.ChoiceField(label=_("Customer"), widget=forms.RadioSelect)
    opportunity_name = forms.CharField(label=_("Opportunity"), max_length=200)
    amount = forms.DecimalField(
        label=_("Expected amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        widget=MONEY_WIDGET,
    )
    close_date = forms.DateField(label=_("Expected close date"), required=False, widget=DATE_WIDGET)
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int)
    add_contact = forms.BooleanField(
        label=_("Add the contact person to the customer's contacts"), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, org_id: int, matches: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(m.party_id), m.name) for m in matches if m.visible]
        choices.append((self.NEW, str(_("Create a new customer from the lead"))))
        self.fields["customer"].choices = choices  # type: ignore[attr-defined]
        self.fields["stage"].choices = stage_choices(org_id)  # type: ignore[attr-defined]


class OpportunityForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    party = forms.IntegerField(label=_("Customer"), widget=forms.Select)
    contact = forms.IntegerField(label=_("Contact"), required=False, widget=forms.Select)
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int)
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("Leave empty for the stage's default."),
    )
    amount = forms.DecimalField(
        label=_("Expected amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        widget=MONEY_WIDGET,
        help_text=_("Leave empty to use the total of the products below."),
    )
    close_date = forms.DateField(label=_("Expected close date"), required=False, widget=DATE_WIDGET)
    source = forms.ChoiceField(label=_("Source"), choices=SOURCE_CHOICES, required=False)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        membership: MembershipLike,
        party: Party | None = None,
        opportunity: Opportunity | None = None,
        **kwargs: Any,
    ) -> None:
        from guanxi.parties.selectors import visible_contacts, visible_parties

        super().__init__(*args, **kwargs)
        self.membership = membership
        self.fields["owner"].choices = member_choices(membership.org_id)  # type: ignore[attr-defined]
        self.fields["stage"].choices = stage_choices(  # type: ignore[attr-defined]
            membership.org_id, include=opportunity.stage_id if opportunity else None
        )
        if self.is_bound:
            raw = self.data.get(self.add_prefix("party"))
            if raw and str(raw).isdigit():
                party = visible_parties(membership).filter(pk=int(raw)).first() or party
        party_widget = self.fields["party"].widget
        party_widget.choices = [("", _("— choose a customer —"))] + (  # type: ignore[attr-defined]
            [(str(party.pk), str(party))] if party is not None else []
        )
        party_widget.attrs.update(
            {
                "hx-get": reverse("sales:contact_options"),
                "hx-trigger": "change",
                "hx-target": "#id_contact",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
                "data-testid": "party-select",
            }
        )
        contacts = (
            list(visible_contacts(membership).filter(party_id=party.pk)[:200]) if party else []
        )
        self.fields["contact"].widget.choices = [("", _("— no contact —"))] + [  # type: ignore[attr-defined]
            (str(c.pk), str(c)) for c in contacts
        ]

    def clean_party(self) -> Party:
        from guanxi.parties.selectors import visible_parties

        pk = self.cleaned_data.get("party")
        party = visible_parties(self.membership).filter(pk=pk).first() if pk else None
        if party is None:
            raise ValidationError(_("Choose a customer you may see."))
        return party

    def clean_contact(self) -> Any:
        from guanxi.parties.selectors import visible_contacts

        pk = self.cleaned_data.get("contact")
        if pk is None:
            return None
        contact = visible_contacts(self.membership).filter(pk=pk).first()
        if contact is None:
            raise ValidationError(_("Choose a contact you may see."))
        return contact

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}

    @staticmethod
    def initial_for(opp: Opportunity) -> dict[str, Any]:
        return {
            "name": opp.name,
            "party": opp.party_id,
            "contact": opp.contact_id,
            "stage": opp.stage_id,
            "probability": opp.probability,
            "amount": opp.amount,
            "close_date": opp.close_date,
            "source": opp.source,
            "owner": opp.owner_id,
            "description": opp.description,
            "version": opp.version,
        }


class LineForm(StyledFormMixin, forms.Form):
    product = forms.TypedChoiceField(label=_("Product"), coerce=int, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), required=False, max_digits=14, decimal_places=3, min_value=0
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        help_text=_("Empty: the list price."),
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
    )

    def __init__(self, *args: Any, product_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", _("— product —")), *product_choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("product") and data.get("quantity") in (None, ""):
            self.add_error("quantity", _("Enter the quantity."))
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, product_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        self.product_choices = product_choices
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "product_choices": self.product_choices}

    def lines(self) -> list[dict[str, Any]]:
        """The filled rows, in order, as the services take them."""
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data.get("product") or data.get("DELETE"):
                continue
            rows.append(
                {
                    "product": data["product"],
                    "quantity": data.get("quantity"),
                    "unit_price": data.get("unit_price"),
                    "discount_percent": data.get("discount_percent") or 0,
                }
            )
        return rows


LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=3, can_delete=True, max_num=200
)


def product_choices(org_id: int, *, include: list[int] | None = None) -> list[tuple[str, str]]:
    """Products that may go on an opportunity (and the ones already on it)."""
    from guanxi.catalog.models import Product
    from guanxi.catalog.selectors import product_choices_for_documents
    from guanxi.core.scoping import org_scope

    with org_scope(org_id):
        rows = list(product_choices_for_documents(org_id)[:500])
        if include:
            known = {p.pk for p in rows}
            rows += list(Product.objects.filter(pk__in=[pk for pk in include if pk not in known]))
        return [(str(p.pk), f"{p.code} {p.name}".strip()) for p in rows]


class MoveForm(forms.Form):
    stage = forms.IntegerField()
    version = forms.IntegerField()
    reason = forms.CharField(required=False, max_length=200)


class CloseForm(StyledFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (PipelineStage.Outcome.WON, _("Won")),
            (PipelineStage.Outcome.LOST, _("Lost")),
        ],
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class OpportunityFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    stage = forms.IntegerField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", ""), *Opportunity.Status.choices])
    owner = forms.CharField(required=False, max_length=20)
    party = forms.IntegerField(required=False)
    close_month = forms.CharField(required=False, max_length=7)
    sort = forms.CharField(required=False, max_length=20)

    def close_month_date(self) -> datetime.date | None:
        raw = (self.cleaned_data.get("close_month") or "").strip() if self.is_valid() else ""
        try:
            year, month = (int(part) for part in raw.split("-", 1))
            return datetime.date(year, month, 1)
        except (ValueError, TypeError):
            return None


class StageForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    probability = forms.IntegerField(label=_("Probability (%)"), min_value=0, max_value=100)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=PipelineStage.Outcome.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TargetForm(StyledFormMixin, forms.Form):
    subject = forms.ChoiceField(label=_("Person or team"))
    period = forms.ChoiceField(label=_("Period"), choices=SalesTarget.Period.choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    number = forms.IntegerField(
        label=_("Month or quarter"),
        min_value=1,
        max_value=12,
        required=False,
        help_text=_("1–12 for a month, 1–4 for a quarter; ignored for a year."),
    )
    amount = forms.DecimalField(
        label=_("Target amount"), max_digits=14, decimal_places=2, min_value=0, widget=MONEY_WIDGET
    )

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        from guanxi.accounts.models import Team

        super().__init__(*args, **kwargs)
        people = [(f"user:{pk}", name) for pk, name in member_choices(org_id)]
        teams = [
            (f"team:{t.pk}", str(t)) for t in Team.objects.filter(org_id=org_id).order_by("name")
        ]
        self.fields["subject"].choices = [  # type: ignore[attr-defined]
            (_("People"), people),
            (_("Teams"), teams),
        ]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        kind, _sep, pk = data.pop("subject").partition(":")
        data["user"] = int(pk) if kind == "user" else None
        data["team"] = int(pk) if kind == "team" else None
        data["number"] = data.get("number") or 1
        return data


class TargetAmountForm(StyledFormMixin, forms.Form):
    amount = forms.DecimalField(
        label=_("Target amount"), max_digits=14, decimal_places=2, min_value=0, widget=MONEY_WIDGET
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


ACTIVITY_KINDS = ("call", "contact_record", "meeting", "task", "note")


class OpportunityActivityForm(StyledFormMixin, forms.Form):
    """A small "add activity" form on the opportunity's timeline."""

    kind = forms.ChoiceField(label=_("Kind"))
    subject = forms.CharField(label=_("Subject"), max_length=200)
    when = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=DATETIME_WIDGET,
        help_text=_("A task's due time, a meeting's start; empty for now."),
    )
    body = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from guanxi.activities.models import Activity

        super().__init__(*args, **kwargs)
        labels = dict(Activity.Kind.choices)
        self.fields["kind"].choices = [(k, labels[k]) for k in ACTIVITY_KINDS]  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        from guanxi.activities.models import Activity

        data = self.cleaned_data
        result: dict[str, Any] = {
            "kind": data["kind"],
            "subject": data["subject"],
            "body": data.get("body") or "",
        }
        when = data.get("when")
        if data["kind"] == Activity.Kind.TASK:
            result["due_at"] = when
        elif when is not None or data["kind"] == Activity.Kind.MEETING:
            result["start_at"] = when
        return result
