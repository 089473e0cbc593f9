"""Activity pages: my activities, add/edit/done/delete, the timeline partials, notifications.

Every page asks the permission service; an activity, customer or contact of another
organisation (or one the member may not see) is a 404, an action the role does not
grant a 403. The timeline is an htmx partial the customer and contact pages load.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.activities import selectors
from guanxi.activities.forms import (
    ActivityFilterForm,
    ActivityForm,
    CompleteForm,
    NotificationPreferenceForm,
)
from guanxi.activities.models import Activity
from guanxi.activities.selectors import (
    TIMELINE_ORDER,
    filtered_activities,
    get_activity_for_user,
    get_notification_for_user,
    keyset_page,
    my_open_tasks,
    notifications_of,
    overdue_activities,
    preference_of,
    todays_meetings,
    unread_count,
)
from guanxi.activities.services import (
    cancel_activity,
    complete_activity,
    create_activity,
    delete_activity,
    mark_all_notifications_read,
    mark_notification_read,
    reopen_activity,
    set_notification_preferences,
    update_activity,
)
from guanxi.core.exceptions import DomainError, StaleEdit
from guanxi.core.history import history_entries
from guanxi.core.permissions import ADD, CHANGE, DELETE, VIEW, has_perm, require_perm
from guanxi.parties.selectors import (
    get_contact_for_user,
    get_party_for_user,
    visible_contacts,
    visible_parties,
)

GET_POST = require_http_methods(["GET", "POST"])
TIMELINE_PAGE_SIZE = 20
SUMMARY_SIZE = 10


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted)


def _safe_next(request: HttpRequest, value: str | None) -> str | None:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None


def _current_page(request: HttpRequest) -> str:
    """The page the member is on: for an htmx partial, the page that loaded it."""
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.current_url_abs_path:
        return str(htmx.current_url_abs_path)
    return request.get_full_path()


def _url_of(obj: Any) -> str | None:
    try:
        return str(obj.get_absolute_url())
    except (NoReverseMatch, AttributeError):
        return None


def _perms(membership: Any) -> dict[str, bool]:
    return {
        "can_add": has_perm(membership, ADD, "activity"),
        "can_change": has_perm(membership, CHANGE, "activity"),
        "can_delete": has_perm(membership, DELETE, "activity"),
    }


def _report(request: HttpRequest, form: Any, error: Exception) -> None:
    """Show a refused save on the form's fields (or on the form, or as a message)."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, field_messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in field_messages:
                form.add_error(target, message)
    elif isinstance(error, StaleEdit):
        form.add_error(None, str(error.message))
    elif isinstance(error, DomainError):
        if error.field and error.field in form.fields:
            form.add_error(error.field, str(error.message))
        else:
            form.add_error(None, str(error.message))
    else:
        form.add_error(None, "; ".join(getattr(error, "messages", [str(error)])))


def _kinds() -> list[tuple[str, str, str]]:
    return [(value, str(label), Activity.ICONS[value]) for value, label in Activity.Kind.choices]


# --- my activities ----------------------------------------------------------------------


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, "activity")
    filter_form = ActivityFilterForm(request.GET)
    filters = filter_form.filters(membership)
    page = keyset_page(
        filtered_activities(membership, filters),
        TIMELINE_ORDER,
        request.GET.get("cursor"),
        settings.GUANXI_PAGE_SIZE,
    )
    context: dict[str, Any] = {
        "filter_form": filter_form,
        "page": page,
        "kinds": _kinds(),
        **_perms(membership),
    }
    if _is_htmx(request):
        return render(request, "activities/activity_list.html#rows", context)
    context.update(
        overdue=list(overdue_activities(membership, limit=SUMMARY_SIZE)),
        meetings=list(todays_meetings(membership)[:SUMMARY_SIZE]),
        open_tasks=list(my_open_tasks(membership, limit=SUMMARY_SIZE)),
    )
    return render(request, "activities/activity_list.html", context)


# --- add, edit, detail ----------------------------------------------------------------


def _initial_references(request: HttpRequest) -> tuple[Any, Any]:
    """The customer and contact named in the query string (404 when not visible)."""
    membership = _membership(request)
    party = contact = None
    if request.GET.get("contact"):
        contact = get_contact_for_user(membership, request.GET["contact"])
        party = contact.party
    if request.GET.get("party"):
        party = get_party_for_user(membership, request.GET["party"])
        if contact is not None and contact.party_id != party.pk:
            contact = None
    return party, contact


@login_required
@GET_POST
def activity_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, ADD, "activity")
    kind = request.POST.get("kind") or request.GET.get("kind") or Activity.Kind.TASK
    if kind not in Activity.Kind.values:
        kind = Activity.Kind.TASK
    party, contact = _initial_references(request)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        form = ActivityForm(
            request.POST, kind=kind, membership=membership, party=party, contact=contact
        )
        if form.is_valid():
            try:
                activity = create_activity(
                    org=request.org,  # type: ignore[attr-defined]
                    actor=request.user,
                    data=form.service_data(),
                )
            except (ValidationError, DomainError) as error:
                _report(request, form, error)
            else:
                messages.success(
                    request,
                    _("%(kind)s “%(subject)s” has been saved.")
                    % {"kind": activity.get_kind_display(), "subject": activity.subject},
                )
                return redirect(
                    next_url
                    or (_url_of(activity.party) if activity.party_id else None)
                    or activity.get_absolute_url()
                )
    else:
        initial: dict[str, Any] = {
            "owner": request.user.pk,
            "status": Activity.Status.PLANNED
            if kind in Activity.PLANNED_KINDS
            else Activity.Status.DONE,
            "priority": Activity.Priority.NORMAL,
            "party": party.pk if party else None,
            "contact": contact.pk if contact else None,
        }
        form = ActivityForm(
            initial=initial, kind=kind, membership=membership, party=party, contact=contact
        )
    return render(
        request,
        "activities/activity_form.html",
        {
            "form": form,
            "activity": None,
            "kind": kind,
            "kind_label": Activity.Kind(kind).label,
            "kinds": _kinds(),
            "party": party,
            "contact": contact,
            "next": next_url or "",
        },
    )


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    activity = get_activity_for_user(membership, pk)
    return render(
        request,
        "activities/activity_detail.html",
        {
            "activity": activity,
            "party_url": _url_of(activity.party) if activity.party_id else None,
            "contact_url": _url_of(activity.contact) if activity.contact_id else None,
            "history": history_entries(activity, limit=20),
            **_perms(membership),
        },
    )


@login_required
@GET_POST
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    activity = get_activity_for_user(membership, pk)
    require_perm(membership, CHANGE, "activity")
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        form = ActivityForm(
            request.POST,
            kind=activity.kind,
            membership=membership,
            party=activity.party,
            contact=activity.contact,
        )
        if form.is_valid():
            try:
                update_activity(
                    activity=activity,
                    actor=request.user,
                    data={k: v for k, v in form.service_data().items() if k != "kind"},
                    expected_version=form.cleaned_data.get("version") or 0,
                )
            except (ValidationError, DomainError) as error:
                _report(request, form, error)
                activity = get_activity_for_user(membership, pk)
            else:
                messages.success(
                    request, _("“%(subject)s” has been saved.") % {"subject": activity.subject}
                )
                return redirect(next_url or activity.get_absolute_url())
    else:
        form = ActivityForm(
            initial=ActivityForm.initial_for(activity),
            kind=activity.kind,
            membership=membership,
            party=activity.party,
            contact=activity.contact,
        )
    return render(
        request,
        "activities/activity_form.html",
        {
            "form": form,
            "activity": activity,
            "kind": activity.kind,
            "kind_label": activity.get_kind_display(),
            "party": activity.party,
            "contact": activity.contact,
            "next": next_url or "",
        },
    )


def _after_action(request: HttpRequest, activity: Activity) -> HttpResponse:
    """An htmx action gets the refreshed timeline item; a plain form goes back."""
    if _is_htmx(request):
        membership = _membership(request)
        return render(
            request,
            "activities/timeline.html#item",
            {
                "activity": get_activity_for_user(membership, activity.pk),
                "next": _current_page(request),
                **_perms(membership),
            },
        )
    next_url = _safe_next(request, request.POST.get("next"))
    return redirect(next_url or activity.get_absolute_url())


@login_required
@require_POST
def activity_complete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    activity = get_activity_for_user(membership, pk)
    require_perm(membership, CHANGE, "activity")
    form = CompleteForm(request.POST)
    outcome = form.cleaned_data["outcome"] if form.is_valid() else None
    complete_activity(activity=activity, actor=request.user, outcome=outcome)
    if not _is_htmx(request):
        messages.success(request, _("“%(subject)s” is done.") % {"subject": activity.subject})
    return _after_action(request, activity)


@login_required
@require_POST
def activity_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    activity = get_activity_for_user(membership, pk)
    require_perm(membership, CHANGE, "activity")
    try:
        cancel_activity(activity=activity, actor=request.user)
    except DomainError as error:
        if _is_htmx(request):
            response = HttpResponse(status=409)
            response["X-Guanxi-Message"] = _quote(str(error.message))
            return response
        messages.error(request, str(error.message))
    return _after_action(request, activity)


@login_required
@require_POST
def activity_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    activity = get_activity_for_user(membership, pk)
    require_perm(membership, CHANGE, "activity")
    reopen_activity(activity=activity, actor=request.user)
    return _after_action(request, activity)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


@login_required
@GET_POST
def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    activity = get_activity_for_user(membership, pk)
    require_perm(membership, DELETE, "activity")
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    fallback = (_url_of(activity.party) if activity.party_id else None) or reverse(
        "activities:activity_list"
    )
    if request.method == "POST":
        try:
            delete_activity(activity=activity, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect(activity.get_absolute_url())
        messages.success(
            request,
            _("“%(subject)s” has been moved to the recycle bin.") % {"subject": activity.subject},
        )
        return redirect(next_url or fallback)
    return render(
        request,
        "activities/activity_confirm_delete.html",
        {
            "activity": activity,
            "next": next_url or "",
            "cancel_url": next_url or activity.get_absolute_url(),
            "keep_days": settings.GUANXI_RECYCLE_BIN_DAYS,
        },
    )


# --- timelines (htmx partials) ------------------------------------------------------------


def _timeline(request: HttpRequest, qs: Any, *, party: Any, contact: Any, url: str) -> HttpResponse:
    membership = _membership(request)
    kind = request.GET.get("kind") or ""
    if kind not in Activity.Kind.values:
        kind = ""
    cursor = request.GET.get("cursor")
    page = keyset_page(
        qs.filter(kind=kind) if kind else qs, TIMELINE_ORDER, cursor, TIMELINE_PAGE_SIZE
    )
    context = {
        "page": page,
        "party": party,
        "contact": contact,
        "kind": kind,
        "kinds": _kinds(),
        "timeline_url": url,
        "next": _current_page(request),
        **_perms(membership),
    }
    if _is_htmx(request):
        partial = "items" if cursor else "timeline"
        return render(request, f"activities/timeline.html#{partial}", context)
    return render(request, "activities/timeline_page.html", context)


@login_required
def party_timeline(request: HttpRequest, party_pk: int) -> HttpResponse:
    membership = _membership(request)
    party = get_party_for_user(membership, party_pk)
    require_perm(membership, VIEW, "activity")
    return _timeline(
        request,
        selectors.party_timeline(membership, party),
        party=party,
        contact=None,
        url=reverse("activities:party_timeline", args=[party.pk]),
    )


@login_required
def contact_timeline(request: HttpRequest, contact_pk: int) -> HttpResponse:
    membership = _membership(request)
    contact = get_contact_for_user(membership, contact_pk)
    require_perm(membership, VIEW, "activity")
    return _timeline(
        request,
        selectors.contact_timeline(membership, contact),
        party=contact.party,
        contact=contact,
        url=reverse("activities:contact_timeline", args=[contact.pk]),
    )


# --- pickers for the form (htmx) ----------------------------------------------------------


@login_required
def party_options(request: HttpRequest) -> HttpResponse:
    """<option>s of the visible customers matching `q` (name, pinyin, phone …), at most 20,
    and the contacts of the first of them."""
    membership = _membership(request)
    query = (request.GET.get("party_q") or request.GET.get("q") or "").strip()[:100]
    parties: list[Any] = []
    if query:
        parties = list(
            visible_parties(membership, role=None)
            .filter(search_text__icontains=query.lower())
            .order_by("short_name", "id")[:20]
        )
        if not parties:
            parties = list(
                visible_parties(membership, role=None)
                .filter(name__icontains=query)
                .order_by("short_name", "id")[:20]
            )
    # The first match is selected, so its contacts come along (an out-of-band swap of the
    # contact list): one request per search, and no second one racing the member's choice.
    contacts = (
        list(visible_contacts(membership).filter(party_id=parties[0].pk)[:200]) if parties else []
    )
    return render(
        request,
        "activities/activity_form.html#party-options",
        {"parties": parties, "q": query, "contacts": contacts, "chosen": ""},
    )


@login_required
def contact_options(request: HttpRequest) -> HttpResponse:
    """<option>s of the contacts of the chosen customer."""
    membership = _membership(request)
    contacts: list[Any] = []
    raw = request.GET.get("party") or ""
    if raw.isdigit():
        party = visible_parties(membership, role=None).filter(pk=int(raw)).first()
        if party is not None:
            contacts = list(visible_contacts(membership).filter(party_id=party.pk)[:200])
    chosen = request.GET.get("contact") or ""
    return render(
        request,
        "activities/activity_form.html#contact-options",
        {"contacts": contacts, "chosen": chosen},
    )


# --- notifications ------------------------------------------------------------------------


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    unread_only = request.GET.get("show") == "unread"
    page = keyset_page(
        notifications_of(membership, unread_only=unread_only),
        ("-created_at", "-id"),
        request.GET.get("cursor"),
        settings.GUANXI_PAGE_SIZE,
    )
    context = {"page": page, "unread_only": unread_only, "unread": unread_count(membership)}
    if _is_htmx(request):
        return render(request, "activities/notification_list.html#rows", context)
    return render(request, "activities/notification_list.html", context)


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go where it points."""
    notification = get_notification_for_user(_membership(request), pk)
    if not notification.is_read:
        mark_notification_read(notification=notification, actor=request.user)
    target = _safe_next(request, notification.url)
    return redirect(target or "activities:notification_list")


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_notification_for_user(_membership(request), pk)
    mark_notification_read(
        notification=notification, actor=request.user, read=request.POST.get("read", "1") == "1"
    )
    if _is_htmx(request):
        # The row, and the header's badge swapped out of band with the new count.
        row = render_to_string(
            "activities/notification_list.html#row", {"notification": notification}, request
        )
        badge = render_to_string(
            "activities/components/notification_badge.html",
            {"count": unread_count(_membership(request)), "oob": True},
            request,
        )
        response = HttpResponse(row + badge)
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect("activities:notification_list")


@login_required
@require_POST
def notification_mark_all_read(request: HttpRequest) -> HttpResponse:
    changed = mark_all_notifications_read(org=request.org, user=request.user)  # type: ignore[attr-defined]
    if changed:
        messages.success(request, _("All notifications are marked read."))
    return redirect("activities:notification_list")


@login_required
def notification_badge(request: HttpRequest) -> HttpResponse:
    """The header's bell badge: the unread count, refreshed by htmx."""
    membership = _membership(request)
    count = unread_count(membership) if membership is not None else 0
    return render(request, "activities/components/notification_badge.html", {"count": count})


@login_required
@GET_POST
def notification_preferences(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    preference = preference_of(membership)
    if request.method == "POST":
        form = NotificationPreferenceForm(request.POST)
        if form.is_valid():
            set_notification_preferences(
                org=request.org,  # type: ignore[attr-defined]
                user=request.user,
                email_reminders=form.cleaned_data["email_reminders"],
            )
            messages.success(request, _("Your reminder settings have been saved."))
            return redirect("activities:notification_preferences")
    else:
        form = NotificationPreferenceForm(initial={"email_reminders": preference.email_reminders})
    return render(
        request,
        "activities/notification_preferences.html",
        {"form": form, "email": request.user.email},  # type: ignore[union-attr]
    )
