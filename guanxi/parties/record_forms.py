"""Forms of the customer record pages: add/edit a party, contacts, restricted records.

The forms parse and shape input; the services validate the business rules (Chinese
phone numbers, WeChat IDs, roles, credit limits) and their field errors are put back on
these forms by `add_service_errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.core.custom_fields import form_field, from_json, layout_groups, to_json
from guanxi.core.models import CustomField, Tag
from guanxi.parties.models import ROLE_FLAG, Contact, Party, PartyCategory, PartyRole
from guanxi.parties.restricted import SENSITIVE_FIELDS
from guanxi.web.forms import StyledFormMixin

CUSTOM_PREFIX = "cf_"
MAX_ADHOC_ROWS = 30
ADHOC_LABEL_MAX = 60
ADHOC_VALUE_MAX = 500

# The grouped sections of the customer form (B1, B17), in the lab manual's order.
PARTY_SECTIONS: list[tuple[str, Promise, list[str]]] = [
    ("identity", _("Name"), ["name", "short_name", "code", "kind"]),
    (
        "classification",
        _("Classification"),
        [
            "roles",
            "customer_type",
            "level",
            "source",
            "owner",
            "settlement_type",
            "credit_limit",
            "category",
            "supplier_category",
            "competitor_category",
            "channel_category",
            "tags",
        ],
    ),
    (
        "personal",
        _("Personal information"),
        ["gender", "birthday", "mobile", "phone", "email", "wechat", "qq"],
    ),
    (
        "company",
        _("Company information"),
        [
            "company_name",
            "department",
            "job_title",
            "industry",
            "company_size",
            "website",
            "fax",
            "country",
            "province",
            "city",
            "district",
            "address",
            "postcode",
        ],
    ),
    (
        "family",
        _("Family information"),
        ["home_address", "home_phone", "spouse", "children", "family_notes"],
    ),
    (
        "other",
        _("Other information"),
        [
            "background",
            "decision_makers",
            "budget",
            "purchase_timeline",
            "interests",
            "upstream_partners",
            "downstream_partners",
            "notes",
        ],
    ),
]
# Fields passed to the services as `data` (roles become flags; tags go separately).
MODEL_FIELDS = [
    name
    for _key, _title, names in PARTY_SECTIONS
    for name in names
    if name not in {"roles", "tags"}
]
FOREIGN_KEYS = {"owner", "category", "supplier_category", "competitor_category", "channel_category"}
TEXTAREAS = {
    "family_notes",
    "background",
    "decision_makers",
    "interests",
    "upstream_partners",
    "downstream_partners",
    "notes",
}
# Service error keys that belong to another form field.
ERROR_FIELD_ALIASES = {**dict.fromkeys(ROLE_FLAG.values(), "roles")}


@dataclass
class FormSection:
    key: str
    title: str | Promise
    fields: list[Any]  # bound fields
    wide: set[str] = field(default_factory=set)


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (unknown keys on the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        target = ERROR_FIELD_ALIASES.get(key, key)
        if target.endswith("_id"):
            target = target[:-3]
        if target in form.fields:
            form.add_error(target, messages)
        elif target == "__all__":
            form.add_error(None, messages)
        else:
            form.add_error(None, [f"{target}: {m}" for m in messages])


class _ServiceValidatedModelForm(StyledFormMixin, forms.ModelForm):
    """A ModelForm that only parses: the service validates the record and saves it."""

    def _post_clean(self) -> None:
        # No construct_instance/full_clean here: the service runs the model's
        # validation (with the product's messages) inside its transaction.
        return


class _CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return "\u3000" * max(obj.depth - 1, 0) + obj.name


class _OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class CustomFieldsMixin:
    """Adds the organisation's custom fields (B4) as `cf_<key>` form fields."""

    custom_target = CustomField.Target.PARTY
    fields: dict[str, forms.Field]
    initial: dict[str, Any]
    cleaned_data: dict[str, Any]

    def add_custom_fields(self, org: Any, stored: dict[str, Any]) -> None:
        self.custom_groups = layout_groups(org, self.custom_target)
        self.custom_defs = {f.key: f for g in self.custom_groups for f in g.fields}
        for definition in self.custom_defs.values():
            name = CUSTOM_PREFIX + definition.key
            self.fields[name] = form_field(definition)
            if definition.key in stored:
                self.initial[name] = from_json(definition, stored[definition.key])

    def custom_data(self, stored: dict[str, Any]) -> dict[str, Any]:
        """Return the stored values updated with the form's; values of other fields stay."""
        values = dict(stored or {})
        for key, definition in self.custom_defs.items():
            values[key] = to_json(definition, self.cleaned_data.get(CUSTOM_PREFIX + key))
        return values

    def custom_sections(self) -> list[FormSection]:
        return [
            FormSection(
                key=f"custom-{index}",
                title=group.title,
                fields=[self[CUSTOM_PREFIX + f.key] for f in group.fields],  # type: ignore[index]
            )
            for index, group in enumerate(self.custom_groups, start=1)
        ]


class PartyForm(CustomFieldsMixin, _ServiceValidatedModelForm):
    """Add or edit a customer (or supplier, competitor, channel)."""

    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=PartyRole.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("One company may be a customer and a supplier at once."),
    )
    tags = forms.ModelMultipleChoiceField(label=_("Tags"), queryset=None, required=False)
    # Declared rather than generated: a generated field would query its (org-scoped)
    # model when the class is built, outside any organisation.
    owner = _OwnerChoiceField(label=_("owner"), queryset=None, required=False)
    category = _CategoryChoiceField(label=_("customer category"), queryset=None, required=False)
    supplier_category = _CategoryChoiceField(
        label=_("supplier category"), queryset=None, required=False
    )
    competitor_category = _CategoryChoiceField(
        label=_("competitor category"), queryset=None, required=False
    )
    channel_category = _CategoryChoiceField(
        label=_("channel category"), queryset=None, required=False
    )
    website = forms.URLField(
        label=_("website"), max_length=200, required=False, assume_scheme="https"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Party
        fields = [name for name in MODEL_FIELDS if name not in FOREIGN_KEYS | {"website"}]
        widgets = {
            "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "credit_limit": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "mobile": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel"}),
            "home_phone": forms.TextInput(attrs={"inputmode": "tel"}),
            "fax": forms.TextInput(attrs={"inputmode": "tel"}),
            "email": forms.EmailInput(),
            **{name: forms.Textarea(attrs={"rows": 3}) for name in TEXTAREAS},
        }

    def __init__(
        self,
        *args: Any,
        org: Any,
        actor: Any = None,
        role: str | None = None,
        sensitive_editable: bool = True,
        revealed: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        instance: Party = self.instance
        self.org = org
        self.sensitive_hidden = bool(
            instance.pk and instance.is_restricted and not sensitive_editable
        )
        if instance.pk:
            self.initial.setdefault(
                "roles", [r for r, flag in ROLE_FLAG.items() if getattr(instance, flag)]
            )
            self.initial.setdefault("tags", [t.pk for t in instance.tags.all()])
            self.initial.setdefault("version", instance.version)
        else:
            self.initial.setdefault("roles", [role if role in ROLE_FLAG else PartyRole.CUSTOMER])
            if getattr(actor, "pk", None):
                self.initial.setdefault("owner", actor.pk)
        if instance.pk and instance.is_restricted:
            if self.sensitive_hidden:
                for name in SENSITIVE_FIELDS:
                    self.fields.pop(name, None)
            else:
                for name, value in (revealed or {}).items():
                    self.initial[name] = value
        self.fields["owner"].queryset = User.objects.filter(
            memberships__org=org, memberships__is_active=True
        ).order_by("display_name", "username")
        self.fields["tags"].queryset = Tag.objects.filter(org=org).order_by("name")
        self._limit_categories(org)
        self.add_custom_fields(org, instance.custom_data or {})
        self.adhoc_rows, self.adhoc_errors = self._read_adhoc(instance)

    def _limit_categories(self, org: Any) -> None:
        trees = set(PartyCategory.objects.filter(org=org).values_list("tree", flat=True).distinct())
        for role, name in (
            (PartyRole.CUSTOMER, "category"),
            (PartyRole.SUPPLIER, "supplier_category"),
            (PartyRole.COMPETITOR, "competitor_category"),
            (PartyRole.CHANNEL, "channel_category"),
        ):
            if role not in trees:
                # No tree for this role yet: a select with nothing to choose is noise.
                self.fields.pop(name, None)
                continue
            self.fields[name].queryset = PartyCategory.objects.filter(org=org, tree=role)

    # --- ad-hoc fields (B4: fields on this one record) -------------------------------

    def _read_adhoc(self, instance: Party) -> tuple[list[dict[str, str]], list[str]]:
        if not self.is_bound:
            stored = [
                {"label": str(r.get("label", "")), "value": str(r.get("value", ""))}
                for r in (instance.adhoc_fields or [])
                if isinstance(r, dict)
            ]
            return stored, []
        labels = self.data.getlist("adhoc_label") if hasattr(self.data, "getlist") else []
        values = self.data.getlist("adhoc_value") if hasattr(self.data, "getlist") else []
        rows: list[dict[str, str]] = []
        errors: list[str] = []
        for index in range(max(len(labels), len(values))):
            label = (labels[index] if index < len(labels) else "").strip()
            value = (values[index] if index < len(values) else "").strip()
            if not label and not value:
                continue
            rows.append({"label": label, "value": value})
            number = len(rows)
            if not label:
                errors.append(gettext("Extra field %(n)d: give it a name.") % {"n": number})
            if len(label) > ADHOC_LABEL_MAX:
                errors.append(
                    gettext("Extra field %(n)d: the name has at most %(max)d characters.")
                    % {"n": number, "max": ADHOC_LABEL_MAX}
                )
            if len(value) > ADHOC_VALUE_MAX:
                errors.append(
                    gettext("Extra field %(n)d: the value has at most %(max)d characters.")
                    % {"n": number, "max": ADHOC_VALUE_MAX}
                )
        if len(rows) > MAX_ADHOC_ROWS:
            errors.append(
                gettext("At most %(max)d extra fields per record.") % {"max": MAX_ADHOC_ROWS}
            )
        return rows, errors

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for message in self.adhoc_errors:
            self.add_error(None, message)
        return cleaned

    # --- output ---------------------------------------------------------------------

    def party_data(self) -> dict[str, Any]:
        """Return the service's `data` from the cleaned form."""
        cleaned = self.cleaned_data
        data: dict[str, Any] = {
            name: cleaned[name] for name in MODEL_FIELDS if name in self.fields and name in cleaned
        }
        for name in ("source", "gender"):
            if name in data and data[name] is None:
                data[name] = ""
        roles = set(cleaned.get("roles") or [])
        for role, flag in ROLE_FLAG.items():
            data[flag] = role in roles
        data["custom_data"] = self.custom_data(self.instance.custom_data or {})
        data["adhoc_fields"] = self.adhoc_rows
        return data

    def sections(self) -> list[FormSection]:
        result = []
        for key, title, names in PARTY_SECTIONS:
            bound = [self[name] for name in names if name in self.fields]
            if bound:
                result.append(
                    FormSection(key=key, title=title, fields=bound, wide=TEXTAREAS | {"roles"})
                )
        return result


class ContactForm(CustomFieldsMixin, _ServiceValidatedModelForm):
    """Add or edit a contact (B9), with a solar or lunar birthday and its reminder."""

    custom_target = CustomField.Target.CONTACT
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Contact
        fields = [
            "name",
            "gender",
            "role",
            "department",
            "is_primary",
            "mobile",
            "phone",
            "email",
            "wechat",
            "qq",
            "address",
            "notes",
            "birthday_calendar",
            "birthday",
            "lunar_birth_year",
            "lunar_birth_month",
            "lunar_birth_day",
            "lunar_birth_leap",
            "birthday_reminder",
            "reminder_days_before",
        ]
        widgets = {
            "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "mobile": forms.TextInput(attrs={"inputmode": "tel"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel"}),
            "birthday_calendar": forms.RadioSelect,
            "lunar_birth_month": forms.Select(choices=[("", "—"), *[(m, m) for m in range(1, 13)]]),
            "lunar_birth_day": forms.Select(choices=[("", "—"), *[(d, d) for d in range(1, 31)]]),
            "lunar_birth_year": forms.NumberInput(attrs={"min": 1900, "max": 2100}),
            "reminder_days_before": forms.NumberInput(attrs={"min": 0, "max": 60}),
        }

    def __init__(self, *args: Any, org: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lunar_birth_month"].widget.choices = [
            ("", "—"),
            *[(m, _lunar_month_label(m)) for m in range(1, 13)],
        ]
        self.fields["lunar_birth_day"].widget.choices = [
            ("", "—"),
            *[(d, _lunar_day_label(d)) for d in range(1, 31)],
        ]
        if self.instance.pk:
            self.initial.setdefault("version", self.instance.version)
        self.add_custom_fields(org, self.instance.custom_data or {})

    def contact_data(self) -> dict[str, Any]:
        cleaned = self.cleaned_data
        data = {name: cleaned[name] for name in self.Meta.fields if name in cleaned}
        if data.get("gender") is None:
            data["gender"] = ""
        if data.get("reminder_days_before") is None:
            data["reminder_days_before"] = 3
        data["custom_data"] = self.custom_data(self.instance.custom_data or {})
        return data

    def groups(self) -> list[FormSection]:
        def pick(*names: str) -> list[Any]:
            return [self[n] for n in names if n in self.fields]

        return [
            FormSection(
                "contact",
                _("Contact"),
                pick("name", "gender", "role", "department", "is_primary"),
            ),
            FormSection(
                "reach",
                _("Phones and addresses"),
                pick("mobile", "phone", "email", "wechat", "qq", "address", "notes"),
                wide={"notes"},
            ),
            FormSection(
                "birthday",
                _("Birthday and reminder"),
                pick(
                    "birthday_calendar",
                    "birthday",
                    "lunar_birth_month",
                    "lunar_birth_day",
                    "lunar_birth_leap",
                    "lunar_birth_year",
                    "birthday_reminder",
                    "reminder_days_before",
                ),
            ),
            *self.custom_sections(),
        ]


def _lunar_month_label(month: int) -> str:
    from lunar_python.util import LunarUtil

    return f"{LunarUtil.MONTH[month]}月"


def _lunar_day_label(day: int) -> str:
    from lunar_python.util import LunarUtil

    return str(LunarUtil.DAY[day])


def lunar_birthday_label(contact: Contact) -> str:
    """Return e.g. "农历 闰二月初五" (with the year when known)."""
    if not (contact.lunar_birth_month and contact.lunar_birth_day):
        return ""
    if not (1 <= contact.lunar_birth_month <= 12 and 1 <= contact.lunar_birth_day <= 30):
        return ""
    leap = "闰" if contact.lunar_birth_leap else ""
    text = (
        f"{leap}{_lunar_month_label(contact.lunar_birth_month)}"
        f"{_lunar_day_label(contact.lunar_birth_day)}"
    )
    if contact.lunar_birth_year:
        text = gettext("%(year)d, lunar %(date)s") % {
            "year": contact.lunar_birth_year,
            "date": text,
        }
    else:
        text = gettext("lunar %(date)s") % {"date": text}
    return text


class UnlockRestrictedForm(StyledFormMixin, forms.Form):
    password = forms.CharField(
        label=_("Restricted-records password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        strip=False,
    )


class RestrictedPasswordForm(StyledFormMixin, forms.Form):
    current_password = forms.CharField(
        label=_("Current password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        strip=False,
        required=False,
    )
    new_password = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )
    confirm_password = forms.CharField(
        label=_("New password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def __init__(self, *args: Any, has_password: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not has_password:
            del self.fields["current_password"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        new, again = cleaned.get("new_password"), cleaned.get("confirm_password")
        if new and again and new != again:
            self.add_error("confirm_password", gettext("The two passwords differ."))
        return cleaned
