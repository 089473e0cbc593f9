"""Forms of the activity pages: add/edit an activity, the list's filters, preferences.

The forms only parse and check what a member may pick (customers and contacts they may
see, active members as owners); the rules live in guanxi.activities.services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.activities.models import MAX_AMOUNT, Activity
from guanxi.core.permissions import MembershipLike
from guanxi.parties.models import Contact, Party
from guanxi.parties.selectors import visible_contacts, visible_parties
from guanxi.web.forms import StyledFormMixin

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The fields every kind has, in form order; kind-specific ones follow in FIELD_ORDER.
COMMON_FIELDS = ("subject", "party", "contact", "owner", "status")
FIELD_ORDER = (
    "subject",
    "care_type",
    "expense_category",
    "amount",
    "start_at",
    "end_at",
    "due_at",
    "location",
    "channel",
    "direction",
    "party",
    "contact",
    "owner",
    "status",
    "priority",
    "body",
    "outcome",
    "follow_up_on",
    "remind_at",
    "reminder_channel",
    "version",
)


def members_choices(membership: MembershipLike) -> list[tuple[str, str]]:
    """The organisation's active members, as (user id, name) choices."""
    from guanxi.accounts.models import Membership

    rows = (
        Membership.objects.filter(org_id=membership.org_id, is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    return [(str(m.user_id), f"{m.user} ({m.user.username})") for m in rows]


class ActivityForm(StyledFormMixin, forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    party = forms.IntegerField(label=_("Customer"), required=False, widget=forms.Select)
    contact = forms.IntegerField(label=_("Contact"), required=False, widget=forms.Select)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    status = forms.ChoiceField(label=_("Status"), choices=Activity.Status.choices)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Activity.Priority.choices, required=False
    )
    start_at = forms.DateTimeField(label=_("Time"), required=False, widget=DATETIME_WIDGET)
    end_at = forms.DateTimeField(label=_("End"), required=False, widget=DATETIME_WIDGET)
    due_at = forms.DateTimeField(label=_("Due"), required=False, widget=DATETIME_WIDGET)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Activity.Direction.choices, required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=Activity.Channel.choices, required=False
    )
    outcome = forms.CharField(
        label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    care_type = forms.ChoiceField(
        label=_("Kind of care"), choices=Activity.CareType.choices, required=False
    )
    follow_up_on = forms.DateField(
        label=_("Follow up on"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("You are reminded on this day."),
    )
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=0,
        max_value=MAX_AMOUNT,
    )
    expense_category = forms.ChoiceField(
        label=_("Expense category"), choices=Activity.ExpenseCategory.choices, required=False
    )
    remind_at = forms.DateTimeField(
        label=_("Remind me at"),
        required=False,
        widget=DATETIME_WIDGET,
        help_text=_("Leave empty for no reminder."),
    )
    reminder_channel = forms.ChoiceField(
        label=_("Remind by"), choices=Activity.ReminderChannel.choices, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        kind: str,
        membership: MembershipLike,
        party: Party | None = None,
        contact: Contact | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.membership = membership
        used = Activity.KIND_FIELDS.get(kind, frozenset())
        for name in list(self.fields):
            if name not in COMMON_FIELDS and name not in used and name not in {"body", "version"}:
                del self.fields[name]
        self.order_fields(FIELD_ORDER)
        if kind == Activity.Kind.MEETING:
            self.fields["start_at"].label = _("Start")
            self.fields["start_at"].required = True
        elif kind == Activity.Kind.EXPENSE:
            self.fields["start_at"].label = _("Date")
            self.fields["amount"].required = True
            self.fields["expense_category"].required = True
        elif kind == Activity.Kind.CARE:
            self.fields["care_type"].required = True
            self.fields["outcome"].label = _("Customer's response")
        if kind in {Activity.Kind.CALL, Activity.Kind.CONTACT_RECORD}:
            self.fields["outcome"].label = _("Result")
        self.fields["owner"].choices = members_choices(membership)  # type: ignore[attr-defined]
        self._set_reference_widgets(party, contact)

    def _set_reference_widgets(self, party: Party | None, contact: Contact | None) -> None:
        """The customer select lists only the chosen one; typing in the search box beside it
        loads matches (activities:party_options). The contact select lists its contacts."""
        bound_party = self._bound_reference("party", visible_parties(self.membership, role=None))
        party = bound_party if bound_party is not None else party
        party_widget = self.fields["party"].widget
        party_widget.choices = [("", _("— no customer —"))] + (  # type: ignore[attr-defined]
            [(str(party.pk), str(party))] if party is not None else []
        )
        party_widget.attrs.update(
            {
                "hx-get": reverse("activities:contact_options"),
                "hx-trigger": "change",
                "hx-target": "#id_contact",
                "hx-swap": "innerHTML",
                # The chosen contact travels along, so reloading the list keeps it chosen.
                "hx-include": "#id_contact",
                "hx-sync": "this:replace",
                "data-testid": "party-select",
            }
        )
        contacts: list[Contact] = []
        if party is not None:
            contacts = list(visible_contacts(self.membership).filter(party_id=party.pk)[:200])
        elif contact is not None:
            contacts = [contact]
        self.fields["contact"].widget.choices = [("", _("— no contact —"))] + [  # type: ignore[attr-defined]
            (str(c.pk), str(c)) for c in contacts
        ]

    def _bound_reference(self, name: str, queryset: Any) -> Any:
        if not self.is_bound:
            return None
        raw = self.data.get(self.add_prefix(name))
        if not raw:
            return None
        try:
            return queryset.filter(pk=int(raw)).first()
        except (TypeError, ValueError):
            return None

    def clean_party(self) -> Party | None:
        pk = self.cleaned_data.get("party")
        if pk is None:
            return None
        party = visible_parties(self.membership, role=None).filter(pk=pk).first()
        if party is None:
            raise ValidationError(_("Choose a customer you may see."), code="invalid")
        return party

    def clean_contact(self) -> Contact | None:
        pk = self.cleaned_data.get("contact")
        if pk is None:
            return None
        contact = visible_contacts(self.membership).filter(pk=pk).first()
        if contact is None:
            raise ValidationError(_("Choose a contact you may see."), code="invalid")
        return contact

    def service_data(self) -> dict[str, Any]:
        """The cleaned fields, as create_activity / update_activity take them."""
        data = {name: value for name, value in self.cleaned_data.items() if name not in {"version"}}
        for name in ("direction", "channel", "care_type", "expense_category"):
            if name in data and data[name] is None:
                data[name] = ""
        if "priority" in data and not data["priority"]:
            data["priority"] = Activity.Priority.NORMAL
        if "reminder_channel" in data and not data["reminder_channel"]:
            data["reminder_channel"] = Activity.ReminderChannel.IN_APP
        data["kind"] = self.kind
        return data

    @classmethod
    def initial_for(cls, activity: Activity) -> dict[str, Any]:
        fields = set(FIELD_ORDER) - {"party", "contact", "owner", "version"}
        initial = {name: getattr(activity, name) for name in fields}
        initial.update(
            party=activity.party_id,
            contact=activity.contact_id,
            owner=activity.owner_id,
            version=activity.version,
        )
        return initial


class CompleteForm(forms.Form):
    outcome = forms.CharField(required=False, max_length=5000)


class ActivityFilterForm(StyledFormMixin, forms.Form):
    SCOPE_MINE = "mine"
    SCOPE_ALL = "all"

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Subject…"), "type": "search"}),
    )
    scope = forms.ChoiceField(
        label=_("Whose"),
        required=False,
        choices=((SCOPE_MINE, _("Mine")), (SCOPE_ALL, _("All I can see"))),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Activity.Kind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Activity.Status.choices],
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)

    def filters(self, membership: MembershipLike) -> Any:
        from guanxi.activities.selectors import ActivityFilters

        data = self.cleaned_data if self.is_valid() else {}
        mine = data.get("scope", self.SCOPE_MINE) != self.SCOPE_ALL
        return ActivityFilters(
            kind=data.get("kind") or None,
            status=data.get("status") or None,
            owner_id=membership.user_id if mine else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            query=(data.get("q") or "").strip(),
        )


class NotificationPreferenceForm(StyledFormMixin, forms.Form):
    email_reminders = forms.BooleanField(
        label=_("Also send me every reminder by e-mail"),
        required=False,
        help_text=_(
            "Task and meeting reminders, birthdays and care follow-ups. In-app notifications "
            "are always on."
        ),
    )
