"""The activities API: the timeline's activities (B10–B12) and the caller's notifications (G3).

Same rules as the pages: the same services and selectors, so an activity the caller may
not see is a 404, a customer or contact they may not see cannot be referred to (a field
error, the same as one that does not exist), and an edit from an old `version` is a 409.
"""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from guanxi.activities.models import MAX_AMOUNT, Activity, Notification
from guanxi.activities.selectors import (
    ActivityFilters,
    filtered_activities,
    get_activity_for_user,
    get_notification_for_user,
    notifications_of,
)
from guanxi.activities.services import (
    cancel_activity,
    complete_activity,
    create_activity,
    delete_activity,
    mark_all_notifications_read,
    mark_notification_read,
    update_activity,
)
from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.api.pagination import paginate_keyset
from guanxi.core.permissions import ADD, CHANGE, DELETE, VIEW, require_perm
from guanxi.parties.selectors import visible_contacts, visible_parties

router = Router(tags=["activities"])


# Choices as inline enums: a named enum would become an OpenAPI component called "Kind" or
# "Status", and other apps' enums of the same class name would overwrite it.
def _choices(choices: Any) -> Any:
    return Literal[tuple(choices.values)]


if TYPE_CHECKING:  # to a type checker they are strings
    ActivityKind = str
    ActivityStatus = str
    ActivityPriority = str
    ActivityDirection = str
    ActivityChannel = str
    ActivityCareType = str
    ActivityExpenseCategory = str
    ActivityReminderChannel = str
    NotificationKind = str
    NotificationEmailStatus = str
else:
    ActivityKind = _choices(Activity.Kind)
    ActivityStatus = _choices(Activity.Status)
    ActivityPriority = _choices(Activity.Priority)
    ActivityDirection = _choices(Activity.Direction)
    ActivityChannel = _choices(Activity.Channel)
    ActivityCareType = _choices(Activity.CareType)
    ActivityExpenseCategory = _choices(Activity.ExpenseCategory)
    ActivityReminderChannel = _choices(Activity.ReminderChannel)
    NotificationKind = _choices(Notification.Kind)
    NotificationEmailStatus = _choices(Notification.EmailStatus)


# --- schemas ---------------------------------------------------------------------------


class RecordRefOut(Schema):
    id: int
    name: str


class OwnerRefOut(Schema):
    id: int
    username: str
    display_name: str


class ActivityOut(Schema):
    id: int
    kind: ActivityKind
    subject: str
    body: str = Field(description="Free text details.")
    status: ActivityStatus
    priority: ActivityPriority
    party: RecordRefOut | None = Field(description="The customer (or other party).")
    contact: RecordRefOut | None
    opportunity: RecordRefOut | None = Field(description="The deal this activity is about.")
    owner: OwnerRefOut | None
    start_at: datetime.datetime | None = Field(
        description="A meeting's start; the time of a call, record, note, care or expense."
    )
    end_at: datetime.datetime | None = Field(description="A meeting's end.")
    due_at: datetime.datetime | None = Field(description="A task's due time.")
    timeline_at: datetime.datetime = Field(description="The time the timeline sorts by.")
    completed_at: datetime.datetime | None
    location: str
    direction: ActivityDirection
    channel: ActivityChannel
    outcome: str
    care_type: ActivityCareType
    follow_up_on: datetime.date | None = Field(description="A care record's follow-up day.")
    amount: Decimal | None = Field(description="An expense's amount, two decimals.")
    currency: str = Field(description="ISO 4217 code of an expense's amount.")
    expense_category: ActivityExpenseCategory
    remind_at: datetime.datetime | None
    reminder_channel: ActivityReminderChannel
    reminded_at: datetime.datetime | None = Field(description="When the reminder was sent.")
    created_at: datetime.datetime
    updated_at: datetime.datetime
    version: int = Field(description="Send back with an edit (optimistic locking).")


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    # A time without an offset is a time in the organisation's time zone.
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


class _ActivityFields(Schema):
    body: str | None = Field(None, max_length=20000)
    party_id: int | None = Field(None, description="A customer the caller may see.")
    contact_id: int | None = Field(None, description="A contact of that customer.")
    opportunity_id: int | None = Field(
        None, description="An opportunity of that customer the caller may see."
    )
    owner_id: int | None = Field(
        None, description="An active member's user id; the caller when left out on create."
    )
    status: ActivityStatus | None = None
    priority: ActivityPriority | None = None
    start_at: datetime.datetime | None = Field(
        None, description="Without an offset, a time in the organisation's time zone."
    )
    end_at: datetime.datetime | None = None
    due_at: datetime.datetime | None = None
    location: str | None = Field(None, max_length=200)
    direction: ActivityDirection | None = None
    channel: ActivityChannel | None = None
    outcome: str | None = Field(None, max_length=20000)
    care_type: ActivityCareType | None = None
    follow_up_on: datetime.date | None = None
    amount: Decimal | None = Field(None, ge=0, le=MAX_AMOUNT, max_digits=12, decimal_places=2)
    expense_category: ActivityExpenseCategory | None = None
    remind_at: datetime.datetime | None = None
    reminder_channel: ActivityReminderChannel | None = None

    @field_validator("start_at", "end_at", "due_at", "remind_at")
    @classmethod
    def _in_org_time_zone(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        return _aware(value)


class ActivityIn(_ActivityFields):
    """Fields left out take their defaults; fields another kind uses are ignored."""

    kind: ActivityKind
    subject: str = Field(min_length=1, max_length=200)

    @field_validator("subject")
    @classmethod
    def _subject_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(_("This field is required."))
        return value.strip()


class ActivityPatch(_ActivityFields):
    """Fields left out keep their value; `version` is the one the edit started from."""

    version: int = Field(ge=1)
    subject: str | None = Field(None, min_length=1, max_length=200)


class CompleteIn(Schema):
    outcome: str | None = Field(None, max_length=20000, description="What came of it.")


class ActivityFilterIn(Schema):
    party: int | None = Field(None, description="Activities of this customer.")
    contact: int | None = Field(None, description="Activities with this contact.")
    kind: ActivityKind | None = None
    status: ActivityStatus | None = None
    owner: int | None = Field(None, description="Activities this member (user id) owns.")
    date_from: datetime.date | None = Field(
        None, description="From this day (organisation's time zone), on `timeline_at`."
    )
    date_to: datetime.date | None = Field(None, description="Up to and including this day.")
    q: str | None = Field(None, max_length=100, description="Text in the subject.")


class NotificationOut(Schema):
    id: int
    kind: NotificationKind
    title: str
    body: str
    url: str = Field(description="Where the notification points, a path in guanxi.")
    activity_id: int | None
    contact_id: int | None
    is_read: bool
    read_at: datetime.datetime | None
    created_at: datetime.datetime
    email_status: NotificationEmailStatus


class NotificationReadIn(Schema):
    read: bool = Field(True, description="False marks the notification unread again.")


class ReadAllOut(Schema):
    updated: int = Field(description="How many notifications were marked read.")


# --- helpers ---------------------------------------------------------------------------


def _membership(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


# Service field names and the API's.
_API_FIELD = {
    "party": "party_id",
    "contact": "contact_id",
    "opportunity": "opportunity_id",
    "owner": "owner_id",
}


def _service_data(request: HttpRequest, payload: dict[str, Any]) -> dict[str, Any]:
    """Turn the API's ids into records the caller may see; a field error for the others."""
    membership = _membership(request)
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in payload.items():
        if key == "party_id":
            party = None
            if value is not None:
                party = visible_parties(membership, role=None).filter(pk=value).first()
                if party is None:
                    errors["party_id"] = [_("Choose a customer you may see.")]
            data["party"] = party
        elif key == "contact_id":
            contact = None
            if value is not None:
                contact = visible_contacts(membership).filter(pk=value).first()
                if contact is None:
                    errors["contact_id"] = [_("Choose a contact you may see.")]
            data["contact"] = contact
        elif key == "opportunity_id":
            opportunity = None
            if value is not None:
                from guanxi.sales.pipeline_selectors import visible_opportunities

                opportunity = visible_opportunities(membership).filter(pk=value).first()
                if opportunity is None:
                    errors["opportunity_id"] = [_("Choose an opportunity you may see.")]
            data["opportunity"] = opportunity
        elif key == "owner_id":
            data["owner"] = value
        elif value is None and key in {
            "body",
            "location",
            "outcome",
            "direction",
            "channel",
            "care_type",
            "expense_category",
        }:
            data[key] = ""
        elif value is None and key in {"status", "priority", "reminder_channel"}:
            continue
        else:
            data[key] = value
    if errors:
        raise ValidationError(errors)
    return data


def _renamed(error: ValidationError) -> ValidationError:
    return ValidationError(
        {_API_FIELD.get(field, field): messages for field, messages in error.message_dict.items()}
    )


# --- activities ------------------------------------------------------------------------


@router.get(
    "/activities", response={200: list[ActivityOut], **error_responses(*AUTH_ERRORS, 400, 422)}
)
@paginate_keyset("-timeline_at", "-id")
def list_activities(request: HttpRequest, filters: Query[ActivityFilterIn]) -> QuerySet[Activity]:
    """The activities the caller may see, newest first (a customer's timeline with `party`)."""
    membership = _membership(request)
    require_perm(membership, VIEW, "activity")
    return filtered_activities(
        membership,
        ActivityFilters(
            kind=filters.kind,
            status=filters.status,
            owner_id=filters.owner,
            party_id=filters.party,
            contact_id=filters.contact,
            date_from=filters.date_from,
            date_to=filters.date_to,
            query=(filters.q or "").strip(),
        ),
    )


@router.get(
    "/activities/{id}", response={200: ActivityOut, **error_responses(*AUTH_ERRORS, 404, 422)}
)
def get_activity(request: HttpRequest, id: int) -> Activity:
    return get_activity_for_user(_membership(request), id)


@router.post("/activities", response={201: ActivityOut, **error_responses(*AUTH_ERRORS, 400, 422)})
def post_activity(request: HttpRequest, payload: ActivityIn) -> Status[Activity]:
    """Add an activity. Calls, contact records, notes, care records and expenses are
    logged as done unless `status` says otherwise; tasks and meetings start planned."""
    membership = _membership(request)
    require_perm(membership, ADD, "activity")
    data = _service_data(request, payload.model_dump(exclude_unset=True))
    if "owner" not in data or data["owner"] is None:
        data["owner"] = request.user
    try:
        activity = create_activity(org=membership.org, actor=request.user, data=data)
    except ValidationError as error:
        raise _renamed(error) from error
    return Status(201, get_activity_for_user(membership, activity.pk))


@router.patch(
    "/activities/{id}",
    response={200: ActivityOut, **error_responses(*AUTH_ERRORS, 404, 409, 422)},
)
def patch_activity(request: HttpRequest, id: int, payload: ActivityPatch) -> Activity:
    """Change an activity. Answers 409 `stale_edit`, changing nothing, when `version` is
    not the stored one."""
    membership = _membership(request)
    activity = get_activity_for_user(membership, id)
    require_perm(membership, CHANGE, "activity")
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    data = _service_data(request, changes)
    try:
        update_activity(activity=activity, actor=request.user, data=data, expected_version=version)
    except ValidationError as error:
        raise _renamed(error) from error
    return get_activity_for_user(membership, id)


@router.delete(
    "/activities/{id}", response={204: None, **error_responses(*AUTH_ERRORS, 404, 409, 422)}
)
def delete_activity_op(request: HttpRequest, id: int) -> Status[None]:
    """Move an activity to the recycle bin (restorable for 30 days)."""
    membership = _membership(request)
    activity = get_activity_for_user(membership, id)
    require_perm(membership, DELETE, "activity")
    delete_activity(activity=activity, actor=request.user)
    return Status(204, None)


@router.post(
    "/activities/{id}/complete",
    response={200: ActivityOut, **error_responses(*AUTH_ERRORS, 404, 422)},
)
def complete_activity_op(
    request: HttpRequest, id: int, payload: CompleteIn | None = None
) -> Activity:
    """Mark an activity done, with an optional outcome; done again changes nothing."""
    membership = _membership(request)
    activity = get_activity_for_user(membership, id)
    require_perm(membership, CHANGE, "activity")
    complete_activity(
        activity=activity, actor=request.user, outcome=payload.outcome if payload else None
    )
    return get_activity_for_user(membership, id)


@router.post(
    "/activities/{id}/cancel",
    response={200: ActivityOut, **error_responses(*AUTH_ERRORS, 400, 404, 422)},
)
def cancel_activity_op(request: HttpRequest, id: int) -> Activity:
    """Mark a planned activity cancelled (its reminder is not sent); 400 when it is done."""
    membership = _membership(request)
    activity = get_activity_for_user(membership, id)
    require_perm(membership, CHANGE, "activity")
    cancel_activity(activity=activity, actor=request.user)
    return get_activity_for_user(membership, id)


# --- notifications ------------------------------------------------------------------------


@router.get(
    "/notifications",
    response={200: list[NotificationOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset("-created_at", "-id")
def list_notifications(request: HttpRequest, unread: bool = False) -> QuerySet[Notification]:
    """The caller's own notifications, newest first; `unread=true` for the unread ones."""
    return notifications_of(_membership(request), unread_only=unread)


@router.post("/notifications/read-all", response={200: ReadAllOut, **error_responses(*AUTH_ERRORS)})
def read_all_notifications(request: HttpRequest) -> dict[str, int]:
    """Mark all the caller's notifications read."""
    membership = _membership(request)
    return {"updated": mark_all_notifications_read(org=membership.org_id, user=request.user)}


@router.post(
    "/notifications/{id}/read",
    response={200: NotificationOut, **error_responses(*AUTH_ERRORS, 404, 422)},
)
def read_notification(
    request: HttpRequest, id: int, payload: NotificationReadIn | None = None
) -> Notification:
    """Mark one of the caller's notifications read (or, with `read: false`, unread)."""
    notification = get_notification_for_user(_membership(request), id)
    return mark_notification_read(
        notification=notification,
        actor=request.user,
        read=payload.read if payload is not None else True,
    )
