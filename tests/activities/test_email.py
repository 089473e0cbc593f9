"""Reminder e-mails go through Django's SMTP backend to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime
import email
from email import policy

import pytest
from django_scopes import scope, scopes_disabled

from guanxi.activities.models import Notification
from guanxi.activities.reminders import MAX_EMAIL_ATTEMPTS, deliver_emails, run_reminders
from guanxi.activities.services import set_notification_preferences
from tests.activities.factories import make_activity

NOW = datetime.datetime(2025, 6, 10, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _english_organisation(org):
    with scopes_disabled():
        org.language = "en"
        org.save()


@pytest.fixture
def reminder(org, sales_member, party):
    set_notification_preferences(org=org, user=sales_member.user, email_reminders=True)
    return make_activity(
        org,
        sales_member.user,
        subject="给华联寄样品",
        party=party,
        due_at=NOW + datetime.timedelta(hours=3),
        remind_at=NOW,
    )


def _parsed(envelope):
    return email.message_from_bytes(envelope.original_content, policy=policy.default)


def _notification(org):
    with scope(org=org.pk):
        return Notification.objects.get()


def test_reminder_email_reaches_the_owner(org, sales_member, reminder, smtp_server):
    run = run_reminders(org_id=org.pk, now=NOW)

    assert (run.reminders, run.emails_sent, run.emails_failed) == (1, 1, 0)
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == [sales_member.user.email]
    message = _parsed(envelope)
    assert message["Subject"] == "[guanxi] Reminder: 给华联寄样品"
    assert message["To"] == sales_member.user.email
    body = message.get_content()
    assert "上海华联贸易有限公司" in body
    assert f"/activities/{reminder.pk}/" in body
    notification = _notification(org)
    assert notification.email_status == Notification.EmailStatus.SENT
    assert notification.emailed_at == NOW


def test_a_second_run_sends_nothing_again(org, reminder, smtp_server):
    run_reminders(org_id=org.pk, now=NOW)
    run_reminders(org_id=org.pk, now=NOW + datetime.timedelta(minutes=5))

    assert len(smtp_server.envelopes) == 1


def test_email_in_the_recipients_language(org, sales_member, reminder, smtp_server):
    with scopes_disabled():
        sales_member.user.language = "zh-hans"
        sales_member.user.save()

    run_reminders(org_id=org.pk, now=NOW)

    subject = _parsed(smtp_server.envelopes[0])["Subject"]
    assert subject.startswith("[guanxi] 提醒")


def test_no_email_unless_asked(org, sales_member, party, smtp_server):
    make_activity(org, sales_member.user, due_at=NOW + datetime.timedelta(hours=1), remind_at=NOW)

    run_reminders(org_id=org.pk, now=NOW)

    assert smtp_server.envelopes == []
    assert _notification(org).email_status == Notification.EmailStatus.NOT_WANTED


def test_member_without_an_address_gets_no_email(org, sales_member, reminder, smtp_server):
    with scopes_disabled():
        sales_member.user.email = ""
        sales_member.user.save()

    run = run_reminders(org_id=org.pk, now=NOW)

    assert (run.emails_sent, smtp_server.envelopes) == (0, [])
    assert _notification(org).email_status == Notification.EmailStatus.NO_ADDRESS


def test_unreachable_server_is_tried_again_then_given_up(org, reminder, settings):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2

    first = run_reminders(org_id=org.pk, now=NOW)
    assert (first.reminders, first.emails_sent, first.emails_failed) == (1, 0, 1)
    assert _notification(org).email_status == Notification.EmailStatus.PENDING

    for _attempt in range(MAX_EMAIL_ATTEMPTS - 1):
        deliver_emails(org_id=org.pk, now=NOW)

    notification = _notification(org)
    assert notification.email_status == Notification.EmailStatus.FAILED
    assert notification.email_attempts == MAX_EMAIL_ATTEMPTS
    assert deliver_emails(org_id=org.pk, now=NOW) == (0, 0)  # given up: not tried again
