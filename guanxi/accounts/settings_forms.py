"""Forms of the settings pages: organisation, members, roles and teams."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.currencies import COMMON_CURRENCIES, ISO_4217_CODES
from guanxi.accounts.models import Role, Team, User
from guanxi.core.models import Organisation
from guanxi.core.permissions import (
    DEFAULT_ACTIONS,
    ObjectType,
    Visibility,
    action_label,
    object_types,
)
from guanxi.web.forms import StyledFormMixin

# Offered first in the time-zone select; any other valid zoneinfo name is accepted too.
COMMON_TIME_ZONES = (
    "Asia/Shanghai",
    "Asia/Urumqi",
    "Asia/Hong_Kong",
    "Asia/Macau",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Asia/Bangkok",
    "Asia/Ho_Chi_Minh",
    "Asia/Jakarta",
    "Asia/Manila",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/Moscow",
    "Europe/Istanbul",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/London",
    "Africa/Johannesburg",
    "Africa/Lagos",
    "Africa/Nairobi",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "UTC",
)


class TimeZoneField(forms.ChoiceField):
    """A select of common time zones that accepts any valid IANA (zoneinfo) name."""

    default_error_messages = {
        "invalid_choice": _("%(value)s is not a time zone. Use a name such as Asia/Shanghai."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[(tz, tz) for tz in COMMON_TIME_ZONES], **kwargs)

    def valid_value(self, value: Any) -> bool:
        return isinstance(value, str) and value in zoneinfo.available_timezones()


class OrganisationSettingsForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        help_text=_("ISO 4217 code, for example CNY, USD or EUR."),
        widget=forms.TextInput(attrs={"list": "currency-codes", "autocomplete": "off"}),
    )
    time_zone = TimeZoneField(label=_("Time zone"))
    language = forms.ChoiceField(label=_("Default language"), choices=Organisation.Language)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    common_currencies = COMMON_CURRENCIES

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keep a valid zone that is not among the common ones selectable, and selected.
        current = self.data.get("time_zone") if self.is_bound else self.initial.get("time_zone")
        field = self.fields["time_zone"]
        if (
            isinstance(current, str)
            and current not in COMMON_TIME_ZONES
            and field.valid_value(current)  # type: ignore[attr-defined]
        ):
            field.choices = [(current, current), *field.choices]  # type: ignore[attr-defined]
        if read_only:
            for bound_field in self.fields.values():
                bound_field.disabled = True

    @classmethod
    def for_organisation(cls, org: Organisation, **kwargs: Any) -> OrganisationSettingsForm:
        initial = {
            "name": org.name,
            "currency": org.currency,
            "time_zone": org.time_zone,
            "language": org.language,
            "version": org.version,
        }
        return cls(initial=initial, **kwargs)

    def clean_name(self) -> str:
        value = self.cleaned_data["name"].strip()
        if not value:
            raise forms.ValidationError(_("Enter the organisation's name."))
        return value

    def clean_currency(self) -> str:
        value = self.cleaned_data["currency"].strip().upper()
        if value not in ISO_4217_CODES:
            raise forms.ValidationError(
                _("%(value)s is not an ISO 4217 currency code (such as CNY or USD)."),
                params={"value": value},
            )
        return value


class MemberFilterForm(StyledFormMixin, forms.Form):
    """The filters above the member list; every field is optional."""

    ACTIVE_CHOICES = (("", _("Active and inactive")), ("1", _("Active")), ("0", _("Inactive")))

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Username, name or email")}
        ),
    )
    role = forms.ModelChoiceField(
        label=_("Role"), queryset=Role.objects.none(), required=False, empty_label=_("All roles")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All teams")
    )
    active = forms.ChoiceField(label=_("Status"), choices=ACTIVE_CHOICES, required=False)

    def __init__(self, *args: Any, roles: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = roles  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """Return the valid filters; an invalid one is ignored rather than failing the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        active = data.get("active")
        return {
            "query": data.get("q", ""),
            "role": data.get("role"),
            "team": data.get("team"),
            "active": {"1": True, "0": False}.get(active or ""),
        }


class _MemberFieldsMixin(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.none())
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("No team")
    )

    def _limit_choices(self, org: Organisation) -> None:
        self.fields["role"].queryset = Role.objects.filter(org=org).order_by("name")  # type: ignore[attr-defined]
        self.fields["team"].queryset = Team.objects.filter(org=org).order_by("name")  # type: ignore[attr-defined]


class MemberCreateForm(StyledFormMixin, _MemberFieldsMixin):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @/./+/-/_ only. Used to sign in."),
    )
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("The new member must replace it with their own when they first sign in."),
    )

    field_order = ("username", "display_name", "email", "password", "role", "team")

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limit_choices(org)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            candidate = User(
                username=data.get("username", ""),
                email=data.get("email", ""),
                display_name=data.get("display_name", ""),
            )
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class MemberEditForm(StyledFormMixin, _MemberFieldsMixin):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, org: Organisation, read_only: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._limit_choices(org)
        if read_only:
            for field in self.fields.values():
                field.disabled = True


class PasswordResetForm(StyledFormMixin, forms.Form):
    """A temporary password an administrator sets for a member; validators run in clean."""

    new_password1 = forms.CharField(
        label=_("Temporary password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("The member must replace it with their own at their next sign-in."),
    )
    new_password2 = forms.CharField(
        label=_("Temporary password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new1, new2 = data.get("new_password1"), data.get("new_password2")
        if new1 and new2:
            if new1 != new2:
                self.add_error("new_password2", _("The two passwords differ."))
            else:
                try:
                    password_validation.validate_password(new1, self.user)
                except forms.ValidationError as error:
                    self.add_error("new_password1", error)
        return data


# --- Roles -----------------------------------------------------------------------------


def permission_field_name(type_key: str, action: str) -> str:
    return f"perm__{type_key}__{action}"


def matrix_actions() -> list[str]:
    """Return the columns of the permission matrix: the usual actions, then any others."""
    actions = list(DEFAULT_ACTIONS)
    for object_type_ in object_types():
        actions.extend(a for a in object_type_.actions if a not in actions)
    return actions


@dataclass(frozen=True)
class MatrixCell:
    action: str
    field: forms.BoundField | None  # None: the object type has no such action


@dataclass(frozen=True)
class MatrixRow:
    object_type: ObjectType
    cells: list[MatrixCell]
    follows_default: bool


class RoleForm(StyledFormMixin, forms.Form):
    """A role's name, visibility and administrator flag, plus one checkbox per granted action.

    Initial checkboxes show the role's effective rights: its own setting for an object
    type, else the built-in default for its code (see core.permissions.allowed_actions).
    """

    name = forms.CharField(label=_("Name"), max_length=60)
    visibility = forms.ChoiceField(
        label=_("Record visibility"),
        choices=Visibility.CHOICES,
        help_text=_("Which records of owned types (such as customers) members with this role see."),
    )
    is_admin = forms.BooleanField(
        label=_("Administrator"),
        required=False,
        help_text=_(
            "Administrators may do everything, including these settings; "
            "the permission matrix does not apply to them."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(
        self, *args: Any, role: Role | None = None, read_only: bool = False, **kwargs: Any
    ) -> None:
        self.role = role
        stored = role.permissions if role is not None and isinstance(role.permissions, dict) else {}
        code = role.code if role is not None else ""
        initial = kwargs.setdefault("initial", {})
        if role is not None:
            initial.update(
                name=role.name,
                visibility=role.visibility,
                is_admin=role.is_admin,
                version=role.version,
            )
        else:
            initial.setdefault("visibility", Visibility.OWN)
        super().__init__(*args, **kwargs)
        self.object_types = object_types()
        self.defaults_followed: set[str] = set()
        for object_type_ in self.object_types:
            granted = stored.get(object_type_.key)
            if granted is None:
                granted = object_type_.defaults.get(code or "", ())
                self.defaults_followed.add(object_type_.key)
            for action in object_type_.actions:
                name = permission_field_name(object_type_.key, action)
                self.fields[name] = forms.BooleanField(
                    label=f"{object_type_.label}: {action_label(action)}",
                    required=False,
                    initial=action in granted,
                )
        if role is not None and role.code == Role.Code.ADMIN:
            self.fields["is_admin"].disabled = True
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    def visible_fields(self) -> list[forms.BoundField]:
        # The matrix is rendered by the template, not with the plain fields.
        return [f for f in super().visible_fields() if not f.name.startswith("perm__")]

    def matrix_actions(self) -> list[tuple[str, str | Promise]]:
        return [(action, action_label(action)) for action in matrix_actions()]

    def matrix(self) -> list[MatrixRow]:
        columns = matrix_actions()
        rows = []
        for object_type_ in self.object_types:
            cells = [
                MatrixCell(
                    action=action,
                    field=self[permission_field_name(object_type_.key, action)]
                    if action in object_type_.actions
                    else None,
                )
                for action in columns
            ]
            rows.append(
                MatrixRow(
                    object_type=object_type_,
                    cells=cells,
                    follows_default=object_type_.key in self.defaults_followed
                    and bool(self.role is not None and self.role.code),
                )
            )
        return rows

    def permissions(self) -> dict[str, list[str]]:
        """Return the granted actions per object type, from the cleaned checkboxes."""
        return {
            object_type_.key: [
                action
                for action in object_type_.actions
                if self.cleaned_data.get(permission_field_name(object_type_.key, action))
            ]
            for object_type_ in self.object_types
        }


# --- Teams -----------------------------------------------------------------------------


class TeamForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    leader = forms.ModelChoiceField(
        label=_("Leader"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("No leader"),
        help_text=_("Chosen among the organisation's active members."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(
        self,
        *args: Any,
        org: Organisation,
        team: Team | None = None,
        read_only: bool = False,
        **kwargs: Any,
    ) -> None:
        if team is not None:
            kwargs.setdefault("initial", {}).update(
                name=team.name, leader=team.leader_id, version=team.version
            )
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(memberships__org=org, memberships__is_active=True)
            .distinct()
            .order_by("display_name", "username")
        )
        self.fields["leader"].label_from_instance = _leader_label  # type: ignore[attr-defined]
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    def clean_name(self) -> str:
        value = self.cleaned_data["name"].strip()
        if not value:
            raise forms.ValidationError(_("Enter the team's name."))
        return value


def _leader_label(user: User) -> str:
    return f"{user} ({user.username})" if str(user) != user.username else user.username
