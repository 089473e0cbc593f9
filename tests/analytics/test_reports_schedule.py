"""Scheduled reports: when they fall due, and the mail each recipient gets through a
real SMTP server (aiosmtpd), with only the rows that recipient may see."""

from __future__ import annotations

import csv
import datetime
import email
import io
from email import policy

import pytest
from django_scopes import scope

from guanxi.analytics.reports import services
from guanxi.analytics.reports.models import ReportSchedule
from guanxi.analytics.reports.tasks import send_due_schedules
from guanxi.core.periodic import periodic_jobs
from tests.analytics.reports_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def _schedule(frequency, time, **fields):
    return ReportSchedule(frequency=frequency, time=datetime.time.fromisoformat(time), **fields)


def test_next_run_daily_weekly_monthly():
    after = datetime.datetime(2026, 1, 30, 1, 0, tzinfo=UTC)  # Friday 09:00 in Shanghai
    daily = services.next_run(_schedule("daily", "08:00"), after, SHANGHAI)
    assert daily == datetime.datetime(2026, 1, 31, 0, 0, tzinfo=UTC)
    later_today = services.next_run(_schedule("daily", "10:00"), after, SHANGHAI)
    assert later_today == datetime.datetime(2026, 1, 30, 2, 0, tzinfo=UTC)
    monday = services.next_run(_schedule("weekly", "08:00", weekday=0), after, SHANGHAI)
    assert monday == datetime.datetime(2026, 2, 2, 0, 0, tzinfo=UTC)
    # the 31st in February falls on its last day
    monthly = services.next_run(_schedule("monthly", "08:00", day=31), after, SHANGHAI)
    assert monthly == datetime.datetime(2026, 1, 31, 0, 0, tzinfo=UTC)
    after_jan = datetime.datetime(2026, 2, 1, 1, 0, tzinfo=UTC)
    assert services.next_run(
        _schedule("monthly", "08:00", day=31), after_jan, SHANGHAI
    ) == datetime.datetime(2026, 2, 28, 0, 0, tzinfo=UTC)


def test_periodic_job_is_registered():
    assert any(job.name == "reports.schedules" for job in periodic_jobs())


def _csv_of(envelope):
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    content = attachments[0].get_content()
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content.lstrip("\ufeff")
    return envelope.rcpt_tos, list(csv.reader(io.StringIO(text)))


def test_due_schedule_mails_each_recipient_their_rows(
    org, admin_member, sales_member, other_member, sales_data, smtp_server
):
    with scope(org=org.pk):
        # sales reps may view but not export stock documents: give them customers instead
        report = services.create_report(
            admin_member,
            definition={"object": "customers", "columns": ["name"], "sort": [{"field": "name"}]},
            data={"name": "客户名单", "sharing": "org"},
        )
        schedule = services.create_schedule(
            admin_member,
            report=report,
            data={
                "frequency": "daily",
                "time": "08:00",
                "file_format": "csv",
                "recipients": [admin_member.pk, sales_member.pk],
            },
        )
    assert schedule.next_run_at is not None
    # not yet due: nothing sent
    assert send_due_schedules(now=schedule.next_run_at - datetime.timedelta(minutes=1)) == 0
    assert smtp_server.envelopes == []
    assert send_due_schedules(now=schedule.next_run_at) == 1
    mails = {}
    for envelope in smtp_server.envelopes:
        to, rows = _csv_of(envelope)
        mails[to[0]] = rows
    admin_rows = mails[admin_member.user.email]
    sales_rows = mails[sales_member.user.email]
    assert [r[0] for r in admin_rows[1:-1]] == sorted(
        ["上海华联贸易有限公司", "广州珠江电器", "北京总部客户"]
    )
    assert [r[0] for r in sales_rows[1:-1]] == ["上海华联贸易有限公司"]
    with scope(org=org.pk):
        schedule.refresh_from_db()
    assert schedule.last_result == "已发送 2 份。"  # in the organisation's language
    assert schedule.next_run_at > schedule.last_run_at
    # the same moment again sends nothing more
    assert send_due_schedules(now=schedule.last_run_at) == 0


def test_recipient_without_export_permission_is_skipped(
    org, admin_member, sales_member, sales_data, smtp_server
):
    with scope(org=org.pk):
        report = services.create_report(
            admin_member,
            definition={"object": "sales_lines", "columns": ["net"]},
            data={"name": "销售", "sharing": "org"},
        )
        schedule = services.create_schedule(
            admin_member,
            report=report,
            data={
                "frequency": "daily",
                "time": "08:00",
                "file_format": "xlsx",
                "recipients": [sales_member.pk],
            },
        )
    send_due_schedules(now=schedule.next_run_at)
    assert smtp_server.envelopes == []
    with scope(org=org.pk):
        schedule.refresh_from_db()
    # written in the organisation's language (zh-Hans here)
    assert schedule.last_result == f"已发送 0 份。 {sales_member.user} 无权导出这些记录。"


def test_the_mail_is_in_the_recipients_language(org, admin_member, sales_data, smtp_server):
    from email import message_from_bytes
    from email.header import decode_header, make_header

    admin_member.user.language = "en"
    admin_member.user.email = "boss@example.com"
    admin_member.user.save()
    with scope(org=org.pk):
        report = services.create_report(
            admin_member,
            definition={"object": "sales_lines", "columns": ["net"]},
            data={"name": "销售", "sharing": "org"},
        )
        schedule = services.create_schedule(
            admin_member,
            report=report,
            data={
                "frequency": "daily",
                "time": "08:00",
                "file_format": "csv",
                "recipients": [admin_member.pk],
            },
        )
    send_due_schedules(now=schedule.next_run_at)
    assert len(smtp_server.envelopes) == 1
    message = message_from_bytes(smtp_server.envelopes[0].content)
    assert str(make_header(decode_header(message["Subject"]))) == "Report: 销售"
    with scope(org=org.pk):
        schedule.refresh_from_db()
    assert schedule.last_result.startswith("已发送 1 份。")


def test_deleted_report_is_not_sent(org, admin_member, sales_data, smtp_server):
    with scope(org=org.pk):
        report = services.create_report(
            admin_member,
            definition={"object": "customers", "columns": ["name"]},
            data={"name": "x"},
        )
        schedule = services.create_schedule(
            admin_member,
            report=report,
            data={"frequency": "daily", "time": "08:00", "recipients": [admin_member.pk]},
        )
        services.delete_report(admin_member, report=report)
    assert send_due_schedules(now=schedule.next_run_at) == 0
    assert smtp_server.envelopes == []
