"""Business operations on activities and notifications. The only code that writes them.

Pages, the API, the demo seeder and the reminder jobs call these functions, so the same
rules hold whichever way an activity changes: times in order, amounts not negative, the
contact belonging to the customer, every reference inside the organisation, and a
finished call, contact record, meeting or care record counting as the customer's latest
contact.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.activities.models import MAX_AMOUNT, Activity, Notification, NotificationPreference
from guanxi.core.exceptions import DomainError
from guanxi.core.models import Organisation
from guanxi.core.recycle_bin import move_to_recycle_bin
from guanxi.core.scoping import org_scope
from guanxi.core.versioning import save_versioned
from guanxi.parties.models import Contact, Party
from guanxi.parties.services import touch_last_contact

# Times outside these bounds are typing mistakes (a year 20255 or 1025), not plans.
EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(2100, 12, 31, 23, 59, tzinfo=datetime.UTC)

# Fields a caller may set through create_activity / update_activity.
ACTIVITY_FIELDS: frozenset[str] = frozenset(
    {
        "kind",
        "subject",
        "body",
        "party",
        "contact",
        "opportunity",
        "owner",
        "status",
        "priority",
        "start_at",
        "end_at",
        "due_at",
        "location",
        "direction",
        "channel",
        "outcome",
        "care_type",
        "follow_up_on",
        "amount",
        "currency",
        "expense_category",
        "remind_at",
        "reminder_channel",
    }
)
# Kind-specific fields and the blank value they take when a kind does not use them.
_KIND_SPECIFIC: dict[str, Any] = {
    "start_at": None,
    "end_at": None,
    "due_at": None,
    "location": "",
    "direction": "",
    "channel": "",
    "outcome": "",
    "care_type": "",
    "follow_up_on": None,
    "amount": None,
    "currency": "",
    "expense_category": "",
    "remind_at": None,
    "reminder_channel": Activity.ReminderChannel.IN_APP,
    "priority": Activity.Priority.NORMAL,
}
_TEXT_KEEPS_SPACES = frozenset({"body", "outcome"})


class InvalidActivity(DomainError):
    code = "invalid_activity"


# --- references ----------------------------------------------------------------------


def _member_user_ids(org_id: int) -> set[int]:
    from guanxi.accounts.models import Membership

    return set(
        Membership.objects.filter(org_id=org_id, is_active=True).values_list("user_id", flat=True)
    )


def _resolve(org_id: int, model: Any, value: Any) -> Any:
    """Return the instance `value` names (an instance or a key) in the organisation, or
    a sentinel when it is of another organisation, deleted or missing."""
    if value is None or value == "":
        return None
    if isinstance(value, model):
        if value.org_id != org_id or getattr(value, "deleted_at", None) is not None:
            return _FOREIGN
        return value
    try:
        return model.objects.get(org_id=org_id, pk=int(value))
    except (model.DoesNotExist, TypeError, ValueError):
        return _FOREIGN


_FOREIGN = object()


def _resolve_owner(org_id: int, value: Any) -> Any:
    from guanxi.accounts.models import User

    if value is None or value == "":
        return None
    user_id = getattr(value, "pk", value)
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return _FOREIGN
    if user_id not in _member_user_ids(org_id):
        return _FOREIGN
    return value if isinstance(value, User) else User.objects.get(pk=user_id)


# --- validation ----------------------------------------------------------------------


def _check_time(errors: dict[str, list[str]], field: str, value: Any) -> None:
    if isinstance(value, datetime.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        if not (EARLIEST <= value <= LATEST):
            errors.setdefault(field, []).append(_("Enter a date between 1970 and 2100."))
    elif isinstance(value, datetime.date) and not (EARLIEST.date() <= value <= LATEST.date()):
        errors.setdefault(field, []).append(_("Enter a date between 1970 and 2100."))


def validate_activity(activity: Activity) -> None:
    """Check one activity's fields and their combinations.

    Raise django.core.exceptions.ValidationError with messages per field.
    """
    errors: dict[str, list[str]] = {}
    try:
        activity.full_clean(
            exclude=["org", "party", "contact", "owner", "deleted_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    if not activity.subject.strip() and "subject" not in errors:
        errors["subject"] = [_("This field is required.")]
    for field in ("start_at", "end_at", "due_at", "remind_at", "follow_up_on"):
        _check_time(errors, field, getattr(activity, field))
    kind = activity.kind
    if kind == Activity.Kind.MEETING and activity.start_at is None:
        errors.setdefault("start_at", []).append(_("A meeting needs its start time."))
    if (
        activity.start_at is not None
        and activity.end_at is not None
        and activity.end_at <= activity.start_at
        and "end_at" not in errors
    ):
        errors.setdefault("end_at", []).append(_("The end must be after the start."))
    if kind == Activity.Kind.EXPENSE:
        if activity.amount is None and "amount" not in errors:
            errors.setdefault("amount", []).append(_("An expense needs its amount."))
        if not activity.expense_category and "expense_category" not in errors:
            errors.setdefault("expense_category", []).append(_("Choose a category."))
    if activity.amount is not None and "amount" not in errors:
        if activity.amount < 0:
            errors.setdefault("amount", []).append(_("The amount cannot be negative."))
        elif activity.amount > MAX_AMOUNT:
            errors.setdefault("amount", []).append(
                _("The amount can be at most %(max)s.") % {"max": MAX_AMOUNT}
            )
    if kind == Activity.Kind.CARE and not activity.care_type and "care_type" not in errors:
        errors.setdefault("care_type", []).append(_("Choose the kind of care."))
    when = activity.due_at if kind == Activity.Kind.TASK else activity.start_at
    if (
        activity.remind_at is not None
        and when is not None
        and activity.remind_at > when
        and "remind_at" not in errors
    ):
        errors.setdefault("remind_at", []).append(
            _("The reminder must not come after the time it reminds of.")
        )
    if (
        activity.follow_up_on is not None
        and activity.start_at is not None
        and "follow_up_on" not in errors
        and activity.follow_up_on < timezone.localtime(activity.start_at).date()
    ):
        errors.setdefault("follow_up_on", []).append(
            _("The follow-up cannot be before the care itself.")
        )
    if errors:
        raise ValidationError(errors)


def _clean_value(key: str, value: Any) -> Any:
    if isinstance(value, str) and key not in _TEXT_KEEPS_SPACES:
        value = value.strip()
    if key == "amount":
        if value in (None, ""):
            return None
        try:
            return Decimal(str(value))
        except (InvalidOperation, ValueError):
            return value  # full_clean reports it on the field
    return value


def _merge(errors: dict[str, list[str]], error: ValidationError) -> None:
    for field, messages in error.message_dict.items():
        known = errors.setdefault(field, [])
        known.extend(m for m in messages if m not in known)


def _apply(activity: Activity, data: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    """Copy `data` onto the activity, resolving party, contact and owner in its organisation."""
    unknown = set(data) - ACTIVITY_FIELDS
    if unknown:
        raise InvalidActivity(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    org_id = activity.org_id
    for key, value in data.items():
        if key == "party":
            party = _resolve(org_id, Party, value)
            if party is _FOREIGN:
                errors.setdefault("party", []).append(_("Choose a customer of your organisation."))
            else:
                activity.party = party
        elif key == "contact":
            contact = _resolve(org_id, Contact, value)
            if contact is _FOREIGN:
                errors.setdefault("contact", []).append(_("Choose a contact of your organisation."))
            else:
                activity.contact = contact
        elif key == "opportunity":
            from guanxi.sales.models import Opportunity

            opportunity = _resolve(org_id, Opportunity, value)
            if opportunity is _FOREIGN:
                errors.setdefault("opportunity", []).append(
                    _("Choose an opportunity of your organisation.")
                )
            else:
                activity.opportunity = opportunity
        elif key == "owner":
            owner = _resolve_owner(org_id, value)
            if owner is _FOREIGN:
                errors.setdefault("owner", []).append(
                    _("Choose an active member of your organisation.")
                )
            else:
                activity.owner = owner
        else:
            setattr(activity, key, _clean_value(key, value))


def _normalise(activity: Activity) -> None:
    """Blank the fields the kind does not use, fill derived fields, keep contact and party together."""
    used = Activity.KIND_FIELDS.get(activity.kind, frozenset())
    for field, blank in _KIND_SPECIFIC.items():
        if field not in used:
            setattr(activity, field, blank)
    if activity.kind == Activity.Kind.EXPENSE and not activity.currency:
        # Money is kept in the organisation's currency (ARCHITECTURE rule 5).
        activity.currency = Organisation.objects.get(pk=activity.org_id).currency
    if activity.kind != Activity.Kind.MEETING and "start_at" in used and activity.start_at is None:
        # A call, a note, an expense … without a time happened now.
        activity.start_at = timezone.now()
    if activity.contact_id is not None and activity.party_id is None:
        activity.party = activity.contact.party  # type: ignore[union-attr]
    if activity.opportunity_id is not None and activity.party_id is None:
        # An activity on a deal is also on its customer's timeline.
        activity.party_id = activity.opportunity.party_id  # type: ignore[union-attr]
    activity.timeline_at = (
        activity.start_at or activity.due_at or activity.timeline_at or timezone.now()
    )
    if activity.status == Activity.Status.DONE:
        activity.completed_at = activity.completed_at or timezone.now()
    else:
        activity.completed_at = None


def _check_references(activity: Activity, errors: dict[str, list[str]]) -> None:
    contact = activity.contact
    if (
        contact is not None
        and activity.party_id is not None
        and (contact.party_id != activity.party_id)
    ):
        errors.setdefault("contact", []).append(_("This contact does not belong to the customer."))
    opportunity = activity.opportunity
    if (
        opportunity is not None
        and activity.party_id is not None
        and opportunity.party_id != activity.party_id
    ):
        errors.setdefault("opportunity", []).append(
            _("This opportunity is not one of the customer's.")
        )
    if activity.owner_id is None and "owner" not in errors:
        errors.setdefault("owner", []).append(_("Choose who is responsible."))


def _touch_party(activity: Activity) -> None:
    """A finished contact with the customer is its latest follow-up (last contact)."""
    if (
        activity.party_id is None
        or activity.status != Activity.Status.DONE
        or activity.kind not in Activity.CONTACT_KINDS
    ):
        return
    now = timezone.now()
    when = min(activity.start_at or now, now)
    touch_last_contact(party=activity.party, when=when)  # type: ignore[arg-type]


# --- activities ----------------------------------------------------------------------


@transaction.atomic
def create_activity(*, org: Organisation, actor: Any, data: Mapping[str, Any]) -> Activity:
    """Add an activity to the timeline of a customer, of a contact, or of nobody (an own task).

    The owner defaults to the actor. Tasks and meetings start planned; calls, contact
    records, notes, care records and expenses record what happened, so they start done
    (unless `data` says otherwise). Raise ValidationError with field messages (a customer,
    contact or member of another organisation, a contact of another customer, an end
    before the start, a negative amount …); nothing is saved then. Raise InvalidActivity
    for a field that does not exist.
    """
    with org_scope(org):
        activity = Activity(org=org)
        if "owner" not in data and getattr(actor, "pk", None) is not None:
            data = {**data, "owner": actor}
        if data.get("kind") not in Activity.PLANNED_KINDS:
            activity.status = Activity.Status.DONE
        errors: dict[str, list[str]] = {}
        _apply(activity, data, errors)
        return _save_checked(activity, errors, expected_version=None)


@transaction.atomic
def update_activity(
    *, activity: Activity, actor: Any, data: Mapping[str, Any], expected_version: int
) -> Activity:
    """Change an activity. A changed reminder (or follow-up) time is reminded of again.

    Raise ValidationError (as create_activity does), StaleEdit when someone else saved it
    since `expected_version`.
    """
    with org_scope(activity.org_id):
        old_remind_at, old_follow_up = activity.remind_at, activity.follow_up_on
        errors: dict[str, list[str]] = {}
        _apply(activity, data, errors)
        if activity.remind_at != old_remind_at:
            activity.reminded_at = None
        if activity.follow_up_on != old_follow_up:
            activity.follow_up_reminded_at = None
        return _save_checked(activity, errors, expected_version=expected_version)


def _save_checked(
    activity: Activity, errors: dict[str, list[str]], *, expected_version: int | None
) -> Activity:
    if not activity.kind:
        errors.setdefault("kind", []).append(_("This field is required."))
    elif activity.kind in Activity.KIND_FIELDS and not errors:
        _normalise(activity)
        _check_references(activity, errors)
    try:
        validate_activity(activity)
    except ValidationError as error:
        _merge(errors, error)
    if errors:
        raise ValidationError(errors)
    if expected_version is None:
        activity.save()
    else:
        save_versioned(activity, expected_version=expected_version)
    _touch_party(activity)
    return activity


def _set_status(activity: Activity, status: str, outcome: str | None) -> Activity:
    with org_scope(activity.org_id):
        activity.status = status
        if outcome:
            activity.outcome = outcome.strip()
        activity.completed_at = timezone.now() if status == Activity.Status.DONE else None
        activity.version += 1
        activity.save(update_fields=["status", "outcome", "completed_at", "version", "updated_at"])
        _touch_party(activity)
        return activity


@transaction.atomic
def complete_activity(*, activity: Activity, actor: Any, outcome: str | None = None) -> Activity:
    """Mark an activity done (with an optional outcome). Done calls, contact records,
    meetings and care records update the customer's last contact. Completing a done
    activity again changes nothing."""
    if activity.status == Activity.Status.DONE:
        return activity
    return _set_status(activity, Activity.Status.DONE, outcome)


@transaction.atomic
def cancel_activity(*, activity: Activity, actor: Any) -> Activity:
    """Mark a planned activity cancelled; its reminder is not sent any more.

    Raise InvalidActivity when the activity is already done.
    """
    if activity.status == Activity.Status.DONE:
        raise InvalidActivity(_("A finished activity cannot be cancelled."), field="status")
    if activity.status == Activity.Status.CANCELLED:
        return activity
    return _set_status(activity, Activity.Status.CANCELLED, None)


@transaction.atomic
def reopen_activity(*, activity: Activity, actor: Any) -> Activity:
    """Put a done or cancelled activity back to planned."""
    if activity.status == Activity.Status.PLANNED:
        return activity
    return _set_status(activity, Activity.Status.PLANNED, None)


@transaction.atomic
def delete_activity(*, activity: Activity, actor: Any) -> Activity:
    """Move an activity to the recycle bin (restorable for 30 days)."""
    with org_scope(activity.org_id):
        return move_to_recycle_bin(obj=activity, actor=actor)  # type: ignore[return-value]


# --- notifications -------------------------------------------------------------------


def wants_email(*, org_id: int, user_id: int) -> bool:
    """Whether the member asked for every reminder by e-mail too."""
    return NotificationPreference.objects.filter(
        org_id=org_id, user_id=user_id, email_reminders=True
    ).exists()


@transaction.atomic
def set_notification_preferences(
    *, org: Any, user: Any, email_reminders: bool
) -> NotificationPreference:
    """Save a member's reminder preferences (one row per member and organisation)."""
    with org_scope(org):
        preference, _created = NotificationPreference.objects.update_or_create(
            org_id=getattr(org, "pk", org),
            user=user,
            defaults={"email_reminders": email_reminders},
        )
        return preference


def notify(
    *,
    org_id: int,
    user_id: int,
    kind: str,
    title: str,
    dedupe_key: str,
    body: str = "",
    url: str = "",
    activity: Activity | None = None,
    contact: Contact | None = None,
    email: bool = False,
    now: datetime.datetime | None = None,
) -> Notification | None:
    """Create a notification for one member unless one with `dedupe_key` exists.

    Return the new notification, or None when the member already had it (so a job that
    runs twice, or two workers at once, notify once). With `email` the notification waits
    in the outbox to be sent (guanxi.activities.reminders.deliver_emails).
    """
    from django.db import IntegrityError

    with org_scope(org_id):
        if Notification.objects.filter(user_id=user_id, dedupe_key=dedupe_key).exists():
            return None
        try:
            with transaction.atomic():
                return Notification.objects.create(
                    org_id=org_id,
                    user_id=user_id,
                    kind=kind,
                    title=title[:200],
                    body=body,
                    url=url[:500],
                    activity=activity,
                    contact=contact,
                    dedupe_key=dedupe_key[:200],
                    created_at=now or timezone.now(),
                    email_status=(
                        Notification.EmailStatus.PENDING
                        if email
                        else Notification.EmailStatus.NOT_WANTED
                    ),
                )
        except IntegrityError:
            # Another worker created it between the check and the insert.
            return None


@transaction.atomic
def mark_notification_read(
    *, notification: Notification, actor: Any, read: bool = True
) -> Notification:
    """Mark one of the actor's notifications read (or unread again)."""
    with org_scope(notification.org_id):
        notification.is_read = read
        notification.read_at = timezone.now() if read else None
        notification.save(update_fields=["is_read", "read_at"])
        return notification


@transaction.atomic
def mark_all_notifications_read(*, org: Any, user: Any) -> int:
    """Mark every unread notification of the member read; return how many changed."""
    with org_scope(org):
        return Notification.objects.filter(
            org_id=getattr(org, "pk", org), user=user, is_read=False
        ).update(is_read=True, read_at=timezone.now())
