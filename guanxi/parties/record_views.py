"""One customer, all of it: add/edit, the 360° page and its tabs, contacts, lock,
restricted records and the history (B1, B4, B6, B7, B9, A5).

Views parse the request, call one service or selector and render. Records come through
the permission service: another organisation's record, or one the member may not see,
is a 404; a visible record the member may not change is a 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from guanxi.accounts.models import User
from guanxi.core.attachments import attachments_of
from guanxi.core.custom_fields import display_value, layout_groups
from guanxi.core.exceptions import DeletionRefused, DomainError
from guanxi.core.history import history_entries
from guanxi.core.models import CustomField
from guanxi.core.permissions import (
    ADD,
    CHANGE,
    DELETE,
    MembershipLike,
    get_visible_or_404,
    has_perm,
    is_org_admin,
    require_perm,
    visible,
)
from guanxi.parties.models import (
    ROLE_FLAG,
    Contact,
    Party,
    PartyCategory,
    PartyRole,
    RestrictedReveal,
)
from guanxi.parties.record_forms import (
    PARTY_SECTIONS,
    ContactForm,
    PartyForm,
    RestrictedPasswordForm,
    UnlockRestrictedForm,
    add_service_errors,
    lunar_birthday_label,
)
from guanxi.parties.restricted import (
    SENSITIVE_FIELDS,
    ElevationRequired,
    RestrictedError,
    drop_elevation,
    elevation_expires,
    grant_elevation,
    has_restricted_password,
    is_elevated,
    restrict_party,
    reveal_restricted,
    reveals_of,
    set_restricted_password,
    unrestrict_party,
    update_restricted_party,
)
from guanxi.parties.selectors import get_contact_for_user, visible_contacts
from guanxi.parties.services import (
    create_contact,
    create_party,
    delete_contact,
    delete_party,
    restore_contact_version,
    restore_party_version,
    set_party_lock,
    update_contact,
    update_party,
)

try:  # B3: written by the lists' engineer; the page works without it.
    from guanxi.parties import visits as _visits
except ImportError:  # pragma: no cover - until visits.py lands
    _visits = None  # type: ignore[assignment]

GET_POST = require_http_methods(["GET", "POST"])

PARTY = "party"
CONTACT = "contact"


# --- value badges (analytics fills them) ------------------------------------------------


@dataclass(frozen=True)
class ValueBadge:
    label: str | Promise
    color: str = "blue"
    title: str | Promise = ""


# Apps append callables(party) -> iterable of ValueBadge; the 360° header shows them.
VALUE_BADGE_PROVIDERS: list[Callable[[Party], Iterable[ValueBadge]]] = []


def value_badges(party: Party) -> list[ValueBadge]:
    return [badge for provider in VALUE_BADGE_PROVIDERS for badge in provider(party)]


# --- tabs other apps add to the 360° page ------------------------------------------------


@dataclass(frozen=True)
class Tab:
    key: str
    label: str | Promise
    url: str
    count: int | None = None


@dataclass(frozen=True)
class PartyTabProvider:
    """A tab another app adds to the 360° page (opportunities, orders, receivables …).

    `tab(request, party)` returns the Tab (its url serves the htmx-loaded panel) or None
    when the user may not see it; `order` places it among the built-in tabs (timeline
    is 30, attachments 80).
    """

    key: str
    order: int
    tab: Callable[[HttpRequest, Party], Tab | None]


PARTY_TAB_PROVIDERS: list[PartyTabProvider] = []


def register_party_tab(provider: PartyTabProvider) -> PartyTabProvider:
    PARTY_TAB_PROVIDERS[:] = [p for p in PARTY_TAB_PROVIDERS if p.key != provider.key]
    PARTY_TAB_PROVIDERS.append(provider)
    return provider


def _extra_tabs(request: HttpRequest, party: Party) -> list[tuple[int, Tab]]:
    found = []
    for provider in sorted(PARTY_TAB_PROVIDERS, key=lambda p: p.order):
        tab = provider.tab(request, party)
        if tab is not None:
            found.append((provider.order, tab))
    return found


# --- helpers --------------------------------------------------------------------------


def _membership(request: HttpRequest) -> MembershipLike | None:
    return getattr(request, "membership", None)


def _is_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def _party_or_404(membership: MembershipLike | None, pk: Any) -> Party:
    """The visible party `pk` with what its header shows (one query)."""
    queryset = Party.objects.select_related(
        "owner", "category", "supplier_category", "competitor_category", "channel_category"
    )
    return get_visible_or_404(queryset, membership, PARTY, pk=pk)


def _contact_or_404(membership: MembershipLike | None, pk: Any) -> Contact:
    return get_contact_for_user(membership, pk)


def _reverse_or_none(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _list_url(party: Party | None = None) -> str:
    """The list the party belongs in (customers first), or home before the lists exist."""
    names = {
        PartyRole.CUSTOMER: "party_list",
        PartyRole.SUPPLIER: "supplier_list",
        PartyRole.COMPETITOR: "competitor_list",
        PartyRole.CHANNEL: "channel_list",
    }
    role = PartyRole.CUSTOMER
    if party is not None:
        role = next((r for r, flag in ROLE_FLAG.items() if getattr(party, flag)), role)
    return _reverse_or_none(f"parties:{names[role]}") or reverse("web:home")


def _report(request: HttpRequest, form: Any, error: DomainError) -> None:
    """Show a refused operation on its field, on the form (stale edits), else as a message."""
    if error.field and form is not None and error.field in form.fields:
        form.add_error(error.field, str(error.message))
    elif form is not None:
        form.add_error(None, str(error.message))
    else:
        messages.error(request, str(error.message))


def _detail_url(party: Party, tab: str | None = None) -> str:
    url = reverse("parties:party_detail", args=[party.pk])
    return f"{url}?tab={tab}" if tab else url


def _after_save_url(membership: MembershipLike | None, party: Party) -> str:
    """The saved party's page, or its list when the member may no longer see it."""
    if visible(Party.objects.filter(pk=party.pk), membership, PARTY).exists():
        return _detail_url(party)
    return _list_url(party)


# --- add / edit ------------------------------------------------------------------------


_NEW_TITLES: dict[str, Promise] = {
    PartyRole.CUSTOMER: gettext_lazy("New customer"),
    PartyRole.SUPPLIER: gettext_lazy("New supplier"),
    PartyRole.COMPETITOR: gettext_lazy("New competitor"),
    PartyRole.CHANNEL: gettext_lazy("New channel / distributor"),
}


def _form_context(form: PartyForm, **extra: Any) -> dict[str, Any]:
    return {
        "form": form,
        "sections": form.sections(),
        "custom_sections": form.custom_sections(),
        **extra,
    }


@login_required
@GET_POST
def party_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, ADD, PARTY)
    org = request.org  # type: ignore[attr-defined]
    role = request.GET.get("role") or request.POST.get("role_hint") or PartyRole.CUSTOMER
    if role not in _NEW_TITLES:
        role = PartyRole.CUSTOMER
    form = PartyForm(
        request.POST if request.method == "POST" else None,
        org=org,
        actor=request.user,
        role=role,
    )
    if request.method == "POST" and form.is_valid():
        try:
            party = create_party(
                org=org,
                actor=request.user,
                data=form.party_data(),
                tags=form.cleaned_data.get("tags") or [],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except DomainError as error:
            _report(request, form, error)
        else:
            messages.success(request, _("“%(name)s” has been saved.") % {"name": party})
            return redirect(_after_save_url(membership, party))
    return render(
        request,
        "parties/record/party_form.html",
        _form_context(form, party=None, title=_NEW_TITLES[role], role=role, cancel_url=_list_url()),
    )


@login_required
@GET_POST
def party_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    party = _party_or_404(membership, pk)
    require_perm(membership, CHANGE, PARTY)
    org = request.org  # type: ignore[attr-defined]
    elevated = party.is_restricted and is_elevated(request.session, org=party.org_id)
    if request.method == "POST":
        form = PartyForm(request.POST, instance=party, org=org, sensitive_editable=elevated)
        lapsed = (
            party.is_restricted
            and not elevated
            and any(f in request.POST for f in SENSITIVE_FIELDS)
        )
        if form.is_valid() and lapsed:
            # The password was entered when the page opened but has lapsed since: refuse
            # rather than drop the restricted fields' changes silently.
            form.add_error(None, str(ElevationRequired.default_message))
        elif form.is_valid():
            data = form.party_data()
            version = form.cleaned_data.get("version") or 0
            tags = form.cleaned_data.get("tags") or []
            try:
                if party.is_restricted and elevated:
                    sensitive = {f: data.pop(f) for f in SENSITIVE_FIELDS if f in data}
                    update_restricted_party(
                        party=party,
                        actor=request.user,
                        data=data,
                        sensitive=sensitive,
                        expected_version=version,
                        tags=tags,
                    )
                else:
                    update_party(
                        party=party,
                        actor=request.user,
                        data=data,
                        expected_version=version,
                        tags=tags,
                    )
            except ValidationError as error:
                add_service_errors(form, error)
            except DomainError as error:
                _report(request, form, error)
            else:
                messages.success(request, _("“%(name)s” has been saved.") % {"name": party})
                return redirect(_after_save_url(membership, party))
    else:
        revealed = None
        if party.is_restricted and elevated:
            revealed = reveal_restricted(
                party=party, actor=request.user, purpose=RestrictedReveal.Purpose.EDIT
            )
        form = PartyForm(instance=party, org=org, sensitive_editable=elevated, revealed=revealed)
    return render(
        request,
        "parties/record/party_form.html",
        _form_context(
            form,
            party=party,
            title=_("Edit %(name)s") % {"name": party},
            role=None,
            cancel_url=_detail_url(party),
        ),
    )


@login_required
@require_GET
def adhoc_row(request: HttpRequest) -> HttpResponse:
    """One empty "extra field" row for the customer form."""
    return render(request, "parties/record/party_form.html#adhoc-row", {"row": {}})


# --- the 360° page ------------------------------------------------------------------------


@login_required
@require_GET
def party_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    party = _party_or_404(membership, pk)
    pinned = None
    if _visits is not None:
        _visits.record_visit(user=request.user, party=party)
        if _reverse_or_none("parties:party_pin", party.pk):
            pinned = _visits.is_pinned(user=request.user, party=party)
    # The activities app serves the timeline; its tab shows once that page exists.
    timeline_url = _reverse_or_none("activities:party_timeline", party.pk)
    contact_count = Contact.objects.filter(party=party).count()
    attachment_count = attachments_of(party).count()
    tabs = [
        Tab("profile", _("Profile"), reverse("parties:party_profile_tab", args=[pk])),
        Tab(
            "contacts",
            _("Contacts"),
            reverse("parties:party_contacts_tab", args=[pk]),
            contact_count,
        ),
    ]
    if timeline_url:
        tabs.append(Tab("timeline", _("Timeline"), timeline_url))
    extra = _extra_tabs(request, party)
    tabs += [tab for order, tab in extra if order < 80]
    tabs.append(
        Tab(
            "attachments",
            _("Attachments"),
            reverse("core:attachment_panel", args=["parties.party", pk]),
            attachment_count,
        )
    )
    tabs += [tab for order, tab in extra if order >= 80]
    tabs += [
        Tab("custom", _("Custom fields"), reverse("parties:party_custom_fields_tab", args=[pk])),
        Tab("history", _("History"), reverse("parties:party_history_tab", args=[pk])),
    ]
    active = request.GET.get("tab") or "profile"
    if active not in {t.key for t in tabs}:
        active = "profile"
    return render(
        request,
        "parties/record/party_detail.html",
        {
            "party": party,
            "tags": list(party.tags.all()),
            "tabs": tabs,
            "active_tab": active,
            "value_badges": value_badges(party),
            "pinned": pinned,
            "can_change": has_perm(membership, CHANGE, PARTY),
            "can_delete": has_perm(membership, DELETE, PARTY),
            "delete_blocker": party.deletion_blocker(),
            "elevated": party.is_restricted and is_elevated(request.session, org=party.org_id),
            "roles": [
                label for role, label in PartyRole.choices if getattr(party, ROLE_FLAG[role])
            ],
        },
    )


@login_required
@require_GET
def party_profile_tab(request: HttpRequest, pk: int) -> HttpResponse:
    party = _party_or_404(_membership(request), pk)
    sections = []
    for key, title, names in PARTY_SECTIONS:
        if key in {"identity", "classification"}:
            continue
        rows = []
        for name in names:
            model_field = Party._meta.get_field(name)
            restricted = party.is_restricted and name in SENSITIVE_FIELDS
            value = "" if restricted else _field_display(party, model_field)
            rows.append(
                {
                    "name": name,
                    "label": model_field.verbose_name,
                    "value": value,
                    "restricted": restricted,
                    "multiline": isinstance(model_field, models.TextField),
                }
            )
        sections.append({"key": key, "title": title, "rows": rows})
    return render(
        request,
        "parties/record/tabs/profile.html",
        {"party": party, "sections": sections},
    )


def _field_display(obj: models.Model, model_field: Any) -> str:
    value = getattr(obj, model_field.attname)
    if value in (None, ""):
        return ""
    if model_field.choices:
        return str(getattr(obj, f"get_{model_field.name}_display")())
    return str(value)


def _contacts_context(request: HttpRequest, party: Party) -> dict[str, Any]:
    membership = _membership(request)
    contacts = list(visible_contacts(membership).filter(party=party))
    return {
        "party": party,
        "contacts": contacts,
        "can_add_contact": has_perm(membership, ADD, CONTACT),
        "can_change_contact": has_perm(membership, CHANGE, CONTACT),
        "can_delete_contact": has_perm(membership, DELETE, CONTACT),
    }


@login_required
@require_GET
def party_contacts_tab(request: HttpRequest, pk: int) -> HttpResponse:
    party = _party_or_404(_membership(request), pk)
    return render(request, "parties/record/tabs/contacts.html", _contacts_context(request, party))


@login_required
@require_GET
def party_custom_fields_tab(request: HttpRequest, pk: int) -> HttpResponse:
    party = _party_or_404(_membership(request), pk)
    return render(
        request,
        "parties/record/tabs/custom_fields.html",
        {
            "party": party,
            "groups": _custom_values(party.org_id, CustomField.Target.PARTY, party.custom_data),
            "adhoc": [r for r in (party.adhoc_fields or []) if isinstance(r, dict)],
        },
    )


def _custom_values(org_id: int, target: str, stored: dict[str, Any] | None) -> list[dict[str, Any]]:
    stored = stored or {}
    return [
        {
            "title": group.title,
            "rows": [
                {"label": f.label, "value": display_value(f, stored.get(f.key))}
                for f in group.fields
            ],
        }
        for group in layout_groups(org_id, target)
    ]


# --- history (A5) ------------------------------------------------------------------------

# Derived or secret columns: never shown; a change of the encrypted data is named only.
_HISTORY_SKIPPED = {"search_text", "index_letter", "restricted_phone_index", "deleted_by"}
_HISTORY_SECRET = {"restricted_payload"}
_HISTORY_TYPES = {
    "+": gettext_lazy("Created"),
    "~": gettext_lazy("Changed"),
    "-": gettext_lazy("Deleted"),
}


@dataclass
class HistoryChange:
    label: Any
    old: str
    new: str
    secret: bool = False


@dataclass
class HistoryRow:
    when: Any
    who: Any
    title: Any
    changes: list[HistoryChange] = field(default_factory=list)
    history_id: int | None = None
    restorable: bool = False
    reveal: bool = False
    reason: str = ""


def _history_rows(obj: models.Model, reveals: Iterable[RestrictedReveal] = ()) -> list[HistoryRow]:
    entries = history_entries(obj)
    # Names for the foreign keys that changed, fetched in one query per model.
    wanted: dict[type[models.Model], set[Any]] = {}
    for entry in entries:
        for change in entry.changes:
            model_field = obj._meta.get_field(change.field)
            if model_field.is_relation and model_field.related_model is not None:
                ids = wanted.setdefault(model_field.related_model, set())
                ids.update(v for v in (change.old, change.new) if v is not None)
    names: dict[tuple[type[models.Model], Any], str] = {}
    for model, ids in wanted.items():
        if model is User or model is PartyCategory:
            for row in model._default_manager.filter(pk__in=ids):
                names[(model, row.pk)] = str(row)
    rows = []
    for index, entry in enumerate(entries):
        record = entry.record
        changes = []
        for change in entry.changes:
            if change.field in _HISTORY_SKIPPED:
                continue
            model_field = obj._meta.get_field(change.field)
            if change.field in _HISTORY_SECRET:
                changes.append(HistoryChange(_("Restricted data"), "", "", secret=True))
                continue
            changes.append(
                HistoryChange(
                    model_field.verbose_name,
                    _history_value(model_field, change.old, names),
                    _history_value(model_field, change.new, names),
                )
            )
        if record.history_type == "~" and not changes and index < len(entries) - 1:
            continue  # a save that changed nothing a user would see
        rows.append(
            HistoryRow(
                when=record.history_date,
                who=record.history_user,
                title=_HISTORY_TYPES.get(record.history_type, record.history_type),
                changes=changes,
                history_id=record.history_id,
                restorable=index > 0 and record.history_type != "-",
                reason=record.history_change_reason or "",
            )
        )
    for reveal in reveals:
        rows.append(
            HistoryRow(
                when=reveal.revealed_at,
                who=reveal.user,
                title=_("Restricted fields revealed: %(purpose)s")
                % {"purpose": reveal.get_purpose_display()},
                reveal=True,
            )
        )
    rows.sort(key=lambda r: r.when, reverse=True)
    return rows


def _history_value(model_field: Any, value: Any, names: dict[Any, str]) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if model_field.is_relation and model_field.related_model is not None:
        return names.get((model_field.related_model, value), f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return "; ".join(
            f"{r.get('label', '')}: {r.get('value', '')}" if isinstance(r, dict) else str(r)
            for r in value
        )
    if isinstance(value, dict):
        return "; ".join(
            f"{k}: {display}" for k, display in value.items() if display not in (None, "")
        )
    return str(value)


def _restore(request: HttpRequest, restore: Any) -> None:
    """Run a history restore with the version the page was showing; report the outcome.

    A version that is not the record's answers 404; a stale page or a refused restore
    becomes a message, never a 500.
    """
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        restore(version)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The earlier version has been restored."))


@login_required
@require_GET
def party_history_tab(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    party = _party_or_404(membership, pk)
    return render(
        request,
        "parties/record/tabs/history.html",
        {
            "object": party,
            "rows": _history_rows(party, reveals_of(party)),
            "can_restore": has_perm(membership, CHANGE, PARTY),
            "restore_url_name": "parties:party_history_restore",
        },
    )


@login_required
@require_POST
def party_history_restore(request: HttpRequest, pk: int, history_id: int) -> HttpResponse:
    membership = _membership(request)
    party = _party_or_404(membership, pk)
    require_perm(membership, CHANGE, PARTY)
    _restore(
        request,
        lambda version: restore_party_version(
            party=party, actor=request.user, history_id=history_id, expected_version=version
        ),
    )
    return redirect(_detail_url(party, "history"))


# --- lock, delete (B6) ----------------------------------------------------------------------


@login_required
@require_POST
def party_lock(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    party = _party_or_404(membership, pk)
    require_perm(membership, CHANGE, PARTY)
    locked = request.POST.get("locked") in {"1", "true", "on"}
    set_party_lock(party=party, actor=request.user, locked=locked)
    if locked:
        messages.success(
            request,
            _("“%(name)s” is locked: it cannot be deleted or merged away.") % {"name": party},
        )
    else:
        messages.success(request, _("“%(name)s” is unlocked.") % {"name": party})
    return redirect(_detail_url(party))


@login_required
@GET_POST
def party_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    party = _party_or_404(membership, pk)
    require_perm(membership, DELETE, PARTY)
    if request.method == "POST":
        try:
            delete_party(party=party, actor=request.user)
        except DeletionRefused as error:
            messages.error(request, str(error.message))
            return redirect(_detail_url(party))
        messages.success(
            request,
            _("“%(name)s” has been moved to the recycle bin.") % {"name": party},
        )
        return redirect(_list_url(party))
    return render(
        request,
        "parties/record/party_delete.html",
        {
            "party": party,
            "blocker": party.deletion_blocker(),
            "keep_days": settings.GUANXI_RECYCLE_BIN_DAYS,
        },
    )


# --- restricted records (B7) ------------------------------------------------------------------


@login_required
@require_POST
def party_restrict(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    party = _party_or_404(membership, pk)
    require_perm(membership, CHANGE, PARTY)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    restrict = request.POST.get("restricted") in {"1", "true", "on"}
    try:
        if restrict:
            restrict_party(party=party, actor=request.user, expected_version=version)
            messages.success(
                request,
                _("“%(name)s” is restricted: its sensitive fields are encrypted.")
                % {"name": party},
            )
        elif not is_elevated(request.session, org=party.org_id):
            messages.error(request, str(ElevationRequired.default_message))
            unlock = reverse("parties:restricted_unlock")
            return redirect(f"{unlock}?next={_detail_url(party)}")
        else:
            unrestrict_party(party=party, actor=request.user, expected_version=version)
            messages.success(request, _("“%(name)s” is no longer restricted.") % {"name": party})
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect(_detail_url(party))


@login_required
@require_POST
def party_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a restricted customer's sensitive fields (asking for the password first)."""
    party = _party_or_404(_membership(request), pk)
    template = "parties/record/restricted_box.html"
    partial = _is_partial(request)
    if not is_elevated(request.session, org=party.org_id):
        form = UnlockRestrictedForm(request.POST if "password" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                grant_elevation(
                    request.session,
                    org=party.org_id,
                    user=request.user,
                    password=form.cleaned_data["password"],
                )
            except RestrictedError as error:
                form.add_error("password", str(error.message))
        if not is_elevated(request.session, org=party.org_id):
            return render(
                request,
                f"{template}#unlock" if partial else template,
                {"party": party, "form": form, "mode": "unlock"},
            )
    values = reveal_restricted(party=party, actor=request.user)
    rows = [
        {"label": Party._meta.get_field(name).verbose_name, "value": values.get(name, "")}
        for name in SENSITIVE_FIELDS
    ]
    return render(
        request,
        f"{template}#values" if partial else template,
        {
            "party": party,
            "rows": rows,
            "mode": "values",
            "expires": elevation_expires(request.session, org=party.org_id),
        },
    )


@login_required
@GET_POST
def restricted_unlock(request: HttpRequest) -> HttpResponse:
    """Enter the restricted-records password: restricted fields show for a few minutes."""
    org = request.org  # type: ignore[attr-defined]
    next_url = _safe_next(request, reverse("web:home"))
    if request.method == "POST" and request.POST.get("action") == "forget":
        drop_elevation(request.session, org=org)
        messages.success(request, _("Restricted records are hidden again."))
        return redirect(next_url)
    form = UnlockRestrictedForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            grant_elevation(
                request.session, org=org, user=request.user, password=form.cleaned_data["password"]
            )
        except RestrictedError as error:
            form.add_error("password", str(error.message))
        else:
            messages.success(
                request, _("Restricted records can be revealed for the next few minutes.")
            )
            return redirect(next_url)
    return render(
        request,
        "parties/record/restricted_unlock.html",
        {
            "form": form,
            "next": next_url,
            "expires": elevation_expires(request.session, org=org),
            "has_password": has_restricted_password(org),
        },
    )


@login_required
@GET_POST
def restricted_settings(request: HttpRequest) -> HttpResponse:
    """Set or change the organisation's restricted-records password (administrators)."""
    membership = _membership(request)
    if not is_org_admin(membership):
        raise PermissionDenied
    org = request.org  # type: ignore[attr-defined]
    has_password = has_restricted_password(org)
    form = RestrictedPasswordForm(
        request.POST if request.method == "POST" else None, has_password=has_password
    )
    if request.method == "POST" and form.is_valid():
        try:
            set_restricted_password(
                org=org,
                actor=request.user,
                new_password=form.cleaned_data["new_password"],
                current_password=form.cleaned_data.get("current_password") or "",
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except DomainError as error:
            _report(request, form, error)
        else:
            messages.success(request, _("The restricted-records password has been saved."))
            return redirect("parties:restricted_settings")
    return render(
        request,
        "parties/record/restricted_settings.html",
        {"form": form, "has_password": has_password},
    )


# --- contacts (B9) ---------------------------------------------------------------------------


def _contacts_tab_response(request: HttpRequest, party: Party) -> HttpResponse:
    response = render(
        request, "parties/record/tabs/contacts.html", _contacts_context(request, party)
    )
    return reswap(retarget(response, "#party-contacts"), "outerHTML")


def _contact_form_response(
    request: HttpRequest, form: ContactForm, party: Party, contact: Contact | None
) -> HttpResponse:
    template = "parties/record/contact_form.html"
    if _is_partial(request):
        template += "#form"
    return render(
        request,
        template,
        {
            "form": form,
            "party": party,
            "contact": contact,
            "groups": form.groups(),
            "inline": _is_partial(request),
        },
    )


@login_required
@GET_POST
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    party = _party_or_404(membership, pk)
    require_perm(membership, ADD, CONTACT)
    org = request.org  # type: ignore[attr-defined]
    form = ContactForm(request.POST if request.method == "POST" else None, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            contact = create_contact(party=party, actor=request.user, data=form.contact_data())
        except ValidationError as error:
            add_service_errors(form, error)
        except DomainError as error:
            _report(request, form, error)
        else:
            messages.success(request, _("Contact “%(name)s” has been added.") % {"name": contact})
            if _is_partial(request):
                return _contacts_tab_response(request, party)
            return redirect(_detail_url(party, "contacts"))
    return _contact_form_response(request, form, party, None)


@login_required
@GET_POST
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    contact = _contact_or_404(membership, pk)
    require_perm(membership, CHANGE, CONTACT)
    org = request.org  # type: ignore[attr-defined]
    form = ContactForm(
        request.POST if request.method == "POST" else None, instance=contact, org=org
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_contact(
                contact=contact,
                actor=request.user,
                data=form.contact_data(),
                expected_version=form.cleaned_data.get("version") or 0,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except DomainError as error:
            _report(request, form, error)
        else:
            messages.success(request, _("Contact “%(name)s” has been saved.") % {"name": contact})
            if _is_partial(request):
                return _contacts_tab_response(request, contact.party)
            return redirect(contact.get_absolute_url())
    return _contact_form_response(request, form, contact.party, contact)


@login_required
@GET_POST
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    contact = _contact_or_404(membership, pk)
    require_perm(membership, DELETE, CONTACT)
    party = contact.party
    if request.method == "POST":
        try:
            delete_contact(contact=contact, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _("Contact “%(name)s” has been moved to the recycle bin.") % {"name": contact},
            )
        if _is_partial(request):
            return _contacts_tab_response(request, party)
        return redirect(_detail_url(party, "contacts"))
    return render(request, "parties/record/contact_delete.html", {"contact": contact})


@login_required
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    contact = _contact_or_404(membership, pk)
    tabs = [
        Tab(
            "attachments",
            _("Attachments"),
            reverse("core:attachment_panel", args=["parties.contact", pk]),
        ),
        Tab("history", _("History"), reverse("parties:contact_history_tab", args=[pk])),
    ]
    timeline_url = _reverse_or_none("activities:contact_timeline", pk)
    if timeline_url:
        tabs.insert(0, Tab("timeline", _("Timeline"), timeline_url))
    active = request.GET.get("tab") or tabs[0].key
    if active not in {t.key for t in tabs}:
        active = tabs[0].key
    return render(
        request,
        "parties/record/contact_detail.html",
        {
            "contact": contact,
            "party": contact.party,
            "lunar_birthday": lunar_birthday_label(contact),
            "custom_groups": _custom_values(
                contact.org_id, CustomField.Target.CONTACT, contact.custom_data
            ),
            "tabs": tabs,
            "active_tab": active,
            "can_change": has_perm(membership, CHANGE, CONTACT),
            "can_delete": has_perm(membership, DELETE, CONTACT),
        },
    )


@login_required
@require_GET
def contact_history_tab(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    contact = _contact_or_404(membership, pk)
    return render(
        request,
        "parties/record/tabs/history.html",
        {
            "object": contact,
            "rows": _history_rows(contact),
            "can_restore": has_perm(membership, CHANGE, CONTACT),
            "restore_url_name": "parties:contact_history_restore",
        },
    )


@login_required
@require_POST
def contact_history_restore(request: HttpRequest, pk: int, history_id: int) -> HttpResponse:
    membership = _membership(request)
    contact = _contact_or_404(membership, pk)
    require_perm(membership, CHANGE, CONTACT)
    _restore(
        request,
        lambda version: restore_contact_version(
            contact=contact, actor=request.user, history_id=history_id, expected_version=version
        ),
    )
    return redirect(f"{contact.get_absolute_url()}?tab=history")
