"""Scheduled reports by e-mail: a periodic job sends every schedule that fell due.

Each recipient gets the report run as *them*: only the rows their role lets them see,
and only if their role may export the report's records. Mail goes through the
organisation's SMTP settings (the sales settings' server, else the installation's).
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled
from django_tasks import task

from guanxi.analytics.reports.exporting import CONTENT_TYPES, export_csv, export_xlsx
from guanxi.analytics.reports.models import ReportSchedule
from guanxi.analytics.reports.selectors import report_definition
from guanxi.analytics.reports.services import mark_schedule_run
from guanxi.core.permissions import EXPORT, has_perm

logger = logging.getLogger("guanxi.analytics")


def send_schedule(schedule: ReportSchedule, *, now: Any = None) -> tuple[int, list[str]]:
    """Send one schedule to its recipients; return (mails sent, problems)."""
    from guanxi.sales.mail import mail_settings, smtp_connection

    now = now or timezone.now()
    report = schedule.report
    org = schedule.org
    sent = 0
    problems: list[str] = []
    with scope(org=schedule.org_id), translation.override(org.language):
        connection = smtp_connection(org)
        sender = mail_settings(org).from_email
        recipients = list(
            schedule.recipients.select_related("membership__user", "membership__role")
        )
        for recipient in recipients:
            member = recipient.membership
            user = member.user
            if not member.is_active or not user.email:
                problems.append(_("%(user)s has no e-mail address.") % {"user": user})
                continue
            try:
                definition = report_definition(report)
            except ValidationError as error:
                problems.append(
                    _("The report no longer runs: %(error)s") % {"error": "; ".join(error.messages)}
                )
                break
            if not has_perm(member, EXPORT, definition.obj.object_type):
                problems.append(_("%(user)s may not export these records.") % {"user": user})
                continue
            # Each recipient reads the mail and the file in their own language.
            with translation.override(getattr(user, "language", "") or org.language or "zh-hans"):
                sent += _send_one(
                    schedule, report, definition, member, user, sender, connection, now, problems
                )
    return sent, problems


def _send_one(
    schedule: Any,
    report: Any,
    definition: Any,
    member: Any,
    user: Any,
    sender: str,
    connection: Any,
    now: Any,
    problems: list[str],
) -> int:
    """Mail one recipient the report as they may see it; 1 when sent, else 0 (the
    reason added to `problems`)."""
    total = _("Total")
    if schedule.file_format == ReportSchedule.Format.CSV:
        content = export_csv(definition, member, total)
    else:
        content = export_xlsx(definition, member, total, report.display_name)
    filename = f"{report.display_name}-{timezone.localdate(now):%Y%m%d}.{schedule.file_format}"
    mail = EmailMessage(
        subject=_("Report: %(name)s") % {"name": report.display_name},
        body=_("Attached is the report “%(name)s” as of %(date)s, with the records you may see.")
        % {"name": report.display_name, "date": timezone.localdate(now).isoformat()},
        from_email=sender,
        to=[user.email],
        connection=connection,
    )
    mail.attach(filename, content, CONTENT_TYPES[schedule.file_format].split(";")[0])
    try:
        mail.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("Sending report schedule %s failed: %s", schedule.pk, error)
        problems.append(
            _("The mail server did not accept the message: %(error)s") % {"error": error}
        )
        return 0
    return 1


def send_due_schedules(now: Any = None) -> int:
    """Send every active schedule whose time has come (all organisations); return how many
    schedules ran."""
    now = now or timezone.now()
    with scopes_disabled():
        due = list(
            ReportSchedule.objects.filter(
                is_active=True, next_run_at__lte=now, report__deleted_at__isnull=True
            ).select_related("report", "org")
        )
    for schedule in due:
        # The schedule's last result is written in the organisation's language.
        with translation.override(schedule.org.language or "zh-hans"):
            try:
                sent, problems = send_schedule(schedule, now=now)
                result = _("%(count)d sent.") % {"count": sent}
                if problems:
                    result += " " + " ".join(problems)
            except Exception as error:  # one bad schedule must not stop the others
                logger.exception("Report schedule %s failed", schedule.pk)
                result = str(error)
        mark_schedule_run(schedule, now=now, result=result)
    return len(due)


@task()
def send_report_schedules() -> int:
    """The periodic job: send the scheduled reports that are due."""
    return send_due_schedules()
