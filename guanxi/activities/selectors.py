"""Reads of activities and notifications, narrowed by the permission service (rule 2).

Who sees which activity: a member whose role may view activities sees

- with organisation visibility (or as an administrator): every activity;
- with own or team visibility: the activities they (or their team) own, **and** every
  activity on a customer they may see — whoever logged it. A rep's customer page shows the
  whole history of that customer, including the service agent's care calls, and a
  manager's team view shows the team's work; an activity on a customer nobody in the team
  owns stays hidden unless one of them owns the activity.

Notifications are private: a member sees only their own, whatever their role.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from guanxi.activities.models import Activity, Notification, NotificationPreference
from guanxi.api.pagination import InvalidCursor, KeysetPagination
from guanxi.core.permissions import (
    VIEW,
    MembershipLike,
    Visibility,
    has_perm,
    is_org_admin,
    visible,
)
from guanxi.parties.models import Contact, Party
from guanxi.parties.selectors import visible_parties

TIMELINE_ORDER: tuple[str, ...] = ("-timeline_at", "-id")


def _with_relations(qs: QuerySet[Activity]) -> QuerySet[Activity]:
    return qs.select_related("party", "contact", "opportunity", "owner")


def visible_activities(membership: MembershipLike | None) -> QuerySet[Activity]:
    """The activities the member may see (see the module docstring)."""
    owned = visible(Activity.objects.all(), membership, "activity")
    if membership is None or not has_perm(membership, VIEW, "activity"):
        return owned
    if is_org_admin(membership) or membership.role.visibility == Visibility.ORG:
        return owned
    if not has_perm(membership, VIEW, "party"):
        return owned
    on_visible_customers = Activity.objects.filter(
        org_id=membership.org_id,
        party__in=visible_parties(membership, role=None).values("pk"),
    )
    return owned | on_visible_customers


def get_activity_for_user(membership: MembershipLike | None, pk: Any) -> Activity:
    """Return the visible activity `pk`; Http404 when missing, deleted or not visible."""
    try:
        return _with_relations(visible_activities(membership)).get(pk=pk)
    except (Activity.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def party_timeline(
    membership: MembershipLike | None, party: Party, *, kind: str | None = None
) -> QuerySet[Activity]:
    """A customer's timeline, newest first: its activities and those on its contacts."""
    contact_ids = Contact.all_objects.filter(party_id=party.pk).values("pk")
    qs = visible_activities(membership).filter(Q(party_id=party.pk) | Q(contact_id__in=contact_ids))
    if kind:
        qs = qs.filter(kind=kind)
    return _with_relations(qs).order_by(*TIMELINE_ORDER)


def contact_timeline(
    membership: MembershipLike | None, contact: Contact, *, kind: str | None = None
) -> QuerySet[Activity]:
    """A contact's timeline, newest first."""
    qs = visible_activities(membership).filter(contact_id=contact.pk)
    if kind:
        qs = qs.filter(kind=kind)
    return _with_relations(qs).order_by(*TIMELINE_ORDER)


def _open(qs: QuerySet[Activity]) -> QuerySet[Activity]:
    return qs.filter(status=Activity.Status.PLANNED)


def my_open_tasks(membership: MembershipLike, *, limit: int | None = None) -> QuerySet[Activity]:
    """The member's planned tasks, soonest due first (those without a due time last)."""
    qs = _open(Activity.objects.filter(owner_id=membership.user_id, kind=Activity.Kind.TASK))
    qs = _with_relations(qs).order_by("timeline_at", "id")
    return qs[:limit] if limit else qs


def overdue_activities(
    membership: MembershipLike, *, now: datetime.datetime | None = None, limit: int | None = None
) -> QuerySet[Activity]:
    """The member's planned tasks past their due time and meetings past their start."""
    now = now or timezone.now()
    qs = _open(
        Activity.objects.filter(
            owner_id=membership.user_id,
            kind__in=sorted(Activity.PLANNED_KINDS),
            timeline_at__lt=now,
        )
    ).filter(Q(kind=Activity.Kind.MEETING) | Q(due_at__isnull=False))
    qs = _with_relations(qs).order_by("timeline_at", "id")
    return qs[:limit] if limit else qs


def upcoming_meetings(
    membership: MembershipLike,
    *,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    limit: int | None = None,
) -> QuerySet[Activity]:
    """The member's planned meetings from `start` (now) until `end` (the end of today)."""
    start = start or timezone.now()
    if end is None:
        local = timezone.localtime(start)
        end = local.replace(hour=0, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    qs = _open(
        Activity.objects.filter(
            owner_id=membership.user_id,
            kind=Activity.Kind.MEETING,
            timeline_at__gte=start,
            timeline_at__lt=end,
        )
    )
    qs = _with_relations(qs).order_by("timeline_at", "id")
    return qs[:limit] if limit else qs


def todays_meetings(
    membership: MembershipLike, *, now: datetime.datetime | None = None
) -> QuerySet[Activity]:
    """The member's meetings of today (in the current time zone), planned or not."""
    local = timezone.localtime(now or timezone.now())
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    qs = Activity.objects.filter(
        owner_id=membership.user_id,
        kind=Activity.Kind.MEETING,
        timeline_at__gte=day_start,
        timeline_at__lt=day_start + datetime.timedelta(days=1),
    ).exclude(status=Activity.Status.CANCELLED)
    return _with_relations(qs).order_by("timeline_at", "id")


@dataclass(frozen=True)
class ActivityFilters:
    """The list page's and the API's filters; None means "any"."""

    kind: str | None = None
    status: str | None = None
    owner_id: int | None = None
    party_id: int | None = None
    contact_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    query: str = ""


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def filtered_activities(
    membership: MembershipLike | None, filters: ActivityFilters
) -> QuerySet[Activity]:
    """Visible activities narrowed by `filters`; dates are days in the current time zone."""
    qs = visible_activities(membership)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.owner_id:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.party_id:
        qs = qs.filter(party_id=filters.party_id)
    if filters.contact_id:
        qs = qs.filter(contact_id=filters.contact_id)
    if filters.date_from:
        qs = qs.filter(timeline_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        qs = qs.filter(timeline_at__lt=_start_of(filters.date_to + datetime.timedelta(days=1)))
    if filters.query:
        qs = qs.filter(subject__icontains=filters.query)
    return _with_relations(qs)


# --- keyset pages for the HTML lists ---------------------------------------------------


@dataclass(frozen=True)
class KeysetPage:
    items: list[Any]
    next_cursor: str | None

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def keyset_page(
    qs: QuerySet[Any], ordering: Sequence[str], cursor: str | None, limit: int
) -> KeysetPage:
    """Return `limit` rows of `qs` in `ordering` after `cursor` (the API's cursor format).

    A cursor that does not decode starts again from the first page.
    """
    paginator = KeysetPagination(ordering=ordering)
    try:
        result = paginator.paginate_queryset(
            qs,
            paginator.Input(cursor=cursor or None, limit=limit),
            request=None,  # type: ignore[arg-type]
        )
    except InvalidCursor:
        result = paginator.paginate_queryset(
            qs,
            paginator.Input(cursor=None, limit=limit),
            request=None,  # type: ignore[arg-type]
        )
    return KeysetPage(items=result["items"], next_cursor=result["next_cursor"])


# --- notifications ---------------------------------------------------------------------


def notifications_of(
    membership: MembershipLike, *, unread_only: bool = False
) -> QuerySet[Notification]:
    """The member's own notifications, newest first."""
    qs = Notification.objects.filter(org_id=membership.org_id, user_id=membership.user_id)
    if unread_only:
        qs = qs.filter(is_read=False)
    return qs.order_by("-created_at", "-id")


def unread_count(membership: MembershipLike) -> int:
    return notifications_of(membership, unread_only=True).count()


def get_notification_for_user(membership: MembershipLike, pk: Any) -> Notification:
    """Return one of the member's own notifications; Http404 for anybody else's."""
    try:
        return notifications_of(membership).get(pk=pk)
    except (Notification.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def preference_of(membership: MembershipLike) -> NotificationPreference:
    """The member's reminder preferences (unsaved defaults when they never chose)."""
    found = NotificationPreference.objects.filter(
        org_id=membership.org_id, user_id=membership.user_id
    ).first()
    return found or NotificationPreference(
        org_id=membership.org_id, user_id=membership.user_id, email_reminders=False
    )
