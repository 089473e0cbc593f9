"""The reminder jobs (G3): what falls due becomes a notification, and e-mail when asked.

Three sources, each reminded of once:

- **task, meeting and call reminders**: an activity still planned whose `remind_at` has
  come; its owner is told, and the activity remembers that it was (`reminded_at`);
- **customer-care follow-ups**: a care record whose `follow_up_on` day has come (in the
  organisation's time zone); its owner is told (`follow_up_reminded_at`);
- **contact birthdays**: a contact with the birthday reminder on, `reminder_days_before`
  days (at most 60) before each birthday — solar, or lunar converted to this year's solar
  date (guanxi.activities.birthdays); the owner of the contact's customer is told. A
  customer in the shared pool has no owner, so nobody is reminded of its contacts.

Every function takes the moment it works for (`now`, `today`), so tests and a catching-up
scheduler decide what "now" is. Every notification has a dedupe key, unique per member,
so running a job twice (or two workers at once) notifies once. A notification the member
wants by e-mail waits in the outbox (`email_status = pending`) until `deliver_emails`
sends it through the configured SMTP server; a failed send is tried again on the next
run, three times in all.
"""

from __future__ import annotations

import datetime
import logging
import os
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import NoReverseMatch
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from guanxi.activities.birthdays import next_birthday
from guanxi.activities.models import Activity, Notification, NotificationPreference
from guanxi.activities.services import notify
from guanxi.core.models import Organisation
from guanxi.core.scoping import org_scope
from guanxi.parties.models import Contact

logger = logging.getLogger(__name__)

# The most days before a birthday a reminder may come (the contact form allows 0–60).
MAX_LEAD_DAYS = 60
# How often a failed e-mail is tried before it is given up.
MAX_EMAIL_ATTEMPTS = 3
# Mails sent per run and organisation; the rest wait for the next run.
EMAIL_BATCH = 200


@dataclass
class ReminderRun:
    """What one run created and sent, for logs and tests."""

    reminders: int = 0
    follow_ups: int = 0
    birthdays: int = 0
    emails_sent: int = 0
    emails_failed: int = 0

    def __add__(self, other: ReminderRun) -> ReminderRun:
        return ReminderRun(
            *(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__)
        )

    @property
    def notifications(self) -> int:
        return self.reminders + self.follow_ups + self.birthdays


# --- context: organisation, recipients, language ------------------------------------------


@dataclass(frozen=True)
class _Context:
    org: Organisation
    tz: datetime.tzinfo
    members: dict[int, Any]  # user id -> User of the active members
    email_wanted: frozenset[int]  # user ids who asked for e-mail

    def language_of(self, user_id: int) -> str:
        user = self.members.get(user_id)
        supported = {code for code, _name in settings.LANGUAGES}
        for candidate in (getattr(user, "language", ""), self.org.language):
            if candidate in supported:
                return str(candidate)
        return str(settings.LANGUAGE_CODE)

    def when(self, moment: datetime.datetime | None) -> str:
        if moment is None:
            return ""
        return str(formats.date_format(moment.astimezone(self.tz), "SHORT_DATETIME_FORMAT"))

    def day(self, value: datetime.date | None) -> str:
        if value is None:
            return ""
        return str(formats.date_format(value, "SHORT_DATE_FORMAT"))


def _org_tz(org: Organisation) -> datetime.tzinfo:
    try:
        return zoneinfo.ZoneInfo(org.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _context(org_id: int) -> _Context:
    from guanxi.accounts.models import Membership

    org = Organisation.objects.get(pk=org_id)
    members = {
        m.user_id: m.user
        for m in Membership.objects.filter(org_id=org_id, is_active=True).select_related("user")
        if m.user.is_active
    }
    wanted = frozenset(
        NotificationPreference.objects.filter(org_id=org_id, email_reminders=True).values_list(
            "user_id", flat=True
        )
    )
    return _Context(org=org, tz=_org_tz(org), members=members, email_wanted=wanted)


def org_today(org: Organisation, now: datetime.datetime | None = None) -> datetime.date:
    """The date it is in the organisation's time zone."""
    return (now or timezone.now()).astimezone(_org_tz(org)).date()


def _url(obj: Any) -> str:
    try:
        return str(obj.get_absolute_url())
    except (NoReverseMatch, AttributeError):
        return ""


# --- task, meeting and call reminders ---------------------------------------------------


def send_activity_reminders(*, org_id: int, now: datetime.datetime) -> int:
    """Notify owners of planned activities whose reminder time has come; return how many."""
    created = 0
    with org_scope(org_id):
        due = list(
            Activity.objects.filter(
                org_id=org_id,
                remind_at__isnull=False,
                remind_at__lte=now,
                reminded_at__isnull=True,
            )
            .select_related("party")
            .order_by("remind_at", "id")
        )
        if not due:
            return 0  # the usual case: one indexed query per organisation and run
        ctx = _context(org_id)
        for activity in due:
            if activity.status == Activity.Status.PLANNED and activity.owner_id in ctx.members:
                created += _remind_of_activity(ctx, activity, now) is not None
            # Bookkeeping, not an edit: no new version, no history row.
            Activity.objects.filter(pk=activity.pk).update(reminded_at=now)
    return created


def _remind_of_activity(ctx: _Context, activity: Activity, now: datetime.datetime) -> Any:
    user_id = int(activity.owner_id or 0)
    with translation.override(ctx.language_of(user_id)):
        kind = str(activity.get_kind_display())
        if activity.kind == Activity.Kind.TASK and activity.due_at:
            timing = _("Due %(when)s.") % {"when": ctx.when(activity.due_at)}
        elif activity.start_at:
            timing = _("Starts %(when)s.") % {"when": ctx.when(activity.start_at)}
        else:
            timing = ""
        lines = [f"{kind}: {activity.subject}", timing]
        if activity.party_id is not None:
            lines.append(_("Customer: %(name)s") % {"name": activity.party})
        if activity.location:
            lines.append(_("Location: %(place)s") % {"place": activity.location})
        title = _("Reminder: %(subject)s") % {"subject": activity.subject}
    return notify(
        org_id=ctx.org.pk,
        user_id=user_id,
        kind=Notification.Kind.REMINDER,
        title=title,
        body="\n".join(line for line in lines if line),
        url=_url(activity),
        activity=activity,
        dedupe_key=f"activity:{activity.pk}:remind:{activity.remind_at.isoformat()}",  # type: ignore[union-attr]
        email=(
            activity.reminder_channel == Activity.ReminderChannel.EMAIL
            or user_id in ctx.email_wanted
        ),
        now=now,
    )


# --- customer-care follow-ups -----------------------------------------------------------


def send_care_follow_ups(
    *, org_id: int, now: datetime.datetime, today: datetime.date | None = None
) -> int:
    """Notify owners of care records whose follow-up day has come; return how many."""
    created = 0
    with org_scope(org_id):
        today = today or org_today(Organisation.objects.get(pk=org_id), now)
        due = list(
            Activity.objects.filter(
                org_id=org_id,
                kind=Activity.Kind.CARE,
                follow_up_on__isnull=False,
                follow_up_on__lte=today,
                follow_up_reminded_at__isnull=True,
            )
            .select_related("party", "contact")
            .order_by("follow_up_on", "id")
        )
        if not due:
            return 0
        ctx = _context(org_id)
        for activity in due:
            user_id = activity.owner_id
            if activity.status != Activity.Status.CANCELLED and user_id in ctx.members:
                with translation.override(ctx.language_of(user_id)):
                    who = str(activity.contact or activity.party or "")
                    title = _("Care follow-up: %(subject)s") % {"subject": activity.subject}
                    body = _("Follow up on %(care)s with %(who)s (planned for %(day)s).") % {
                        "care": activity.get_care_type_display() or activity.get_kind_display(),
                        "who": who or "—",
                        "day": ctx.day(activity.follow_up_on),
                    }
                made = notify(
                    org_id=org_id,
                    user_id=user_id,
                    kind=Notification.Kind.CARE_FOLLOW_UP,
                    title=title,
                    body=body,
                    url=_url(activity),
                    activity=activity,
                    dedupe_key=f"care:{activity.pk}:follow-up:{activity.follow_up_on}",
                    email=user_id in ctx.email_wanted,
                    now=now,
                )
                created += made is not None
            Activity.objects.filter(pk=activity.pk).update(follow_up_reminded_at=now)
    return created


# --- birthdays ----------------------------------------------------------------------------


def _lunar_months_between(start: datetime.date, end: datetime.date) -> set[int]:
    """The lunar month numbers (leap or not) the days from `start` to `end` fall in."""
    from lunar_python import Solar

    first = abs(Solar.fromYmd(start.year, start.month, start.day).getLunar().getMonth())
    last = abs(Solar.fromYmd(end.year, end.month, end.day).getLunar().getMonth())
    months = {first}
    month = first
    while month != last:
        month = month % 12 + 1
        months.add(month)
    return months


def birthday_candidates(org_id: int, today: datetime.date) -> list[Contact]:
    """Contacts with the reminder on whose birthday may fall within the longest lead time.

    A cheap filter on the birthday's month (solar, or lunar); the exact check follows.
    """
    end = today + datetime.timedelta(days=MAX_LEAD_DAYS)
    solar_months = {
        (today + datetime.timedelta(days=offset)).month for offset in range(MAX_LEAD_DAYS + 1)
    }
    base = Contact.objects.filter(
        org_id=org_id,
        birthday_reminder=True,
        party__deleted_at__isnull=True,
        party__owner__isnull=False,
    ).select_related("party")
    solar = base.exclude(birthday_calendar=Contact.BirthdayCalendar.LUNAR).filter(
        birthday__isnull=False, birthday__month__in=sorted(solar_months)
    )
    lunar = base.filter(
        birthday_calendar=Contact.BirthdayCalendar.LUNAR,
        lunar_birth_day__isnull=False,
        lunar_birth_month__in=sorted(_lunar_months_between(today, end)),
    )
    return [*solar.order_by("id"), *lunar.order_by("id")]


def send_birthday_reminders(
    *, org_id: int, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> int:
    """Notify customer owners of their contacts' coming birthdays; return how many.

    A contact's owner is told once per birthday, on the first run within
    `reminder_days_before` days of it (so a scheduler that was down catches up).
    """
    now = now or timezone.now()
    created = 0
    with org_scope(org_id):
        ctx = _context(org_id)
        today = today or now.astimezone(ctx.tz).date()
        for contact in birthday_candidates(org_id, today):
            owner_id = contact.party.owner_id
            if owner_id not in ctx.members:
                continue
            birthday = next_birthday(contact, today)
            if birthday is None:
                continue
            days = (birthday - today).days
            if days > min(contact.reminder_days_before, MAX_LEAD_DAYS):
                continue
            made = notify(
                org_id=org_id,
                user_id=owner_id,
                kind=Notification.Kind.BIRTHDAY,
                dedupe_key=f"birthday:{contact.pk}:{birthday.isoformat()}",
                url=_url(contact) or _url(contact.party),
                contact=contact,
                email=owner_id in ctx.email_wanted,
                now=now,
                **_birthday_text(ctx, contact, birthday, days, owner_id),  # type: ignore[arg-type]
            )
            created += made is not None
    return created


def _birthday_text(
    ctx: _Context, contact: Contact, birthday: datetime.date, days: int, user_id: int
) -> dict[str, str]:
    with translation.override(ctx.language_of(user_id)):
        values = {"name": contact.name, "party": str(contact.party), "day": ctx.day(birthday)}
        if days == 0:
            title = _("%(name)s's birthday is today") % values
        elif days == 1:
            title = _("%(name)s's birthday is tomorrow (%(day)s)") % values
        else:
            title = _("%(name)s's birthday is in %(days)s days (%(day)s)") % {
                **values,
                "days": days,
            }
        lines = [_("%(name)s of %(party)s has a birthday on %(day)s.") % values]
        if contact.birthday_calendar == Contact.BirthdayCalendar.LUNAR:
            month = {"month": contact.lunar_birth_month, "day": contact.lunar_birth_day}
            lines.append(
                _("Lunar birthday: leap month %(month)s, day %(day)s.") % month
                if contact.lunar_birth_leap
                else _("Lunar birthday: month %(month)s, day %(day)s.") % month
            )
        lines.append(_("A good moment for a greeting or a small gift (customer care)."))
    return {"title": title, "body": "\n".join(lines)}


# --- e-mail -----------------------------------------------------------------------------


def _base_url() -> str:
    base = getattr(settings, "GUANXI_BASE_URL", "") or os.environ.get("GUANXI_BASE_URL", "")
    return str(base).rstrip("/")


def _email_for(ctx: _Context, notification: Notification) -> EmailMessage:
    user = notification.user
    with translation.override(ctx.language_of(user.pk)):
        parts = [notification.body or notification.title]
        if notification.url:
            parts.append(_("Open in guanxi: %(url)s") % {"url": f"{_base_url()}{notification.url}"})
        parts.append(
            "-- \n"
            + _(
                "You receive this e-mail because you asked guanxi (%(org)s) to send reminders "
                "by e-mail. Change it under Settings › Reminders and notifications."
            )
            % {"org": ctx.org.name}
        )
        subject = _("[guanxi] %(title)s") % {"title": notification.title}
    return EmailMessage(
        subject=subject,
        body="\n\n".join(parts),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )


def deliver_emails(*, org_id: int, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Send the organisation's notifications waiting in the outbox; return (sent, failed).

    One SMTP connection per run. A message the server refuses is tried again on the next
    run, and given up (`failed`) after three attempts.
    """
    now = now or timezone.now()
    sent = failed = 0
    with org_scope(org_id):
        pending = list(
            Notification.objects.filter(
                org_id=org_id, email_status=Notification.EmailStatus.PENDING
            )
            .select_related("user")
            .order_by("created_at", "id")[:EMAIL_BATCH]
        )
        if not pending:
            return 0, 0
        ctx = _context(org_id)
        connection = get_connection()
        try:
            connection.open()
        except Exception:
            logger.exception("reminder e-mail: cannot reach the mail server")
            for notification in pending:
                failed += _record_failure(notification)
            return 0, failed
        try:
            for notification in pending:
                if not notification.user.email:
                    notification.email_status = Notification.EmailStatus.NO_ADDRESS
                    notification.save(update_fields=["email_status"])
                    continue
                message = _email_for(ctx, notification)
                message.connection = connection
                try:
                    message.send()
                except Exception:
                    logger.exception("reminder e-mail %s: could not be sent", notification.pk)
                    failed += _record_failure(notification)
                else:
                    notification.email_status = Notification.EmailStatus.SENT
                    notification.emailed_at = now
                    notification.email_attempts += 1
                    notification.save(
                        update_fields=["email_status", "emailed_at", "email_attempts"]
                    )
                    sent += 1
        finally:
            connection.close()
    return sent, failed


def _record_failure(notification: Notification) -> int:
    notification.email_attempts += 1
    gave_up = notification.email_attempts >= MAX_EMAIL_ATTEMPTS
    if gave_up:
        notification.email_status = Notification.EmailStatus.FAILED
    notification.save(update_fields=["email_status", "email_attempts"])
    return 1


# --- the runs -----------------------------------------------------------------------------


def run_reminders(*, org_id: int, now: datetime.datetime | None = None) -> ReminderRun:
    """Every five minutes: activity reminders, care follow-ups, then the e-mails."""
    now = now or timezone.now()
    run = ReminderRun(
        reminders=send_activity_reminders(org_id=org_id, now=now),
        follow_ups=send_care_follow_ups(org_id=org_id, now=now),
    )
    run.emails_sent, run.emails_failed = deliver_emails(org_id=org_id, now=now)
    return run


def run_birthday_reminders(
    *, org_id: int, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> ReminderRun:
    """Every hour: birthdays (once a day would do; hourly reaches every time zone early)."""
    now = now or timezone.now()
    run = ReminderRun(birthdays=send_birthday_reminders(org_id=org_id, today=today, now=now))
    run.emails_sent, run.emails_failed = deliver_emails(org_id=org_id, now=now)
    return run


def for_every_organisation(job: Any, **kwargs: Any) -> ReminderRun:
    """Run `job(org_id=…, **kwargs)` for each organisation; one failing does not stop the rest."""
    total = ReminderRun()
    for org_id in Organisation.objects.order_by("pk").values_list("pk", flat=True):
        try:
            total = total + job(org_id=org_id, **kwargs)
        except Exception:
            logger.exception("reminders: organisation %s failed", org_id)
    return total
