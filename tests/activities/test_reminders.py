"""The reminder jobs: due reminders, care follow-ups and birthdays become notifications, once."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from guanxi.activities.models import Activity, Notification
from guanxi.activities.reminders import (
    run_birthday_reminders,
    run_reminders,
    send_activity_reminders,
    send_birthday_reminders,
    send_care_follow_ups,
)
from guanxi.activities.services import complete_activity, set_notification_preferences
from guanxi.activities.tasks import send_birthday_reminders as birthday_task
from guanxi.activities.tasks import send_reminders as reminders_task
from guanxi.core.periodic import periodic_jobs
from guanxi.parties.services import assign_owner
from tests.activities.factories import make_activity, make_contact, make_party

NOW = datetime.datetime(2025, 6, 10, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _english_organisation(org):
    """Notifications are written in the recipient's language, else the organisation's."""
    with scopes_disabled():
        org.language = "en"
        org.save()


def _notifications(org, **filters):
    with scope(org=org.pk):
        return list(Notification.objects.filter(**filters).order_by("id"))


def _refresh(activity):
    with scopes_disabled():
        return Activity.all_objects.get(pk=activity.pk)


# --- task and meeting reminders ------------------------------------------------------------


@pytest.fixture
def task_due(org, sales_member, party):
    return make_activity(
        org,
        sales_member.user,
        subject="给华联报价",
        party=party,
        due_at=NOW + datetime.timedelta(hours=2),
        remind_at=NOW - datetime.timedelta(minutes=1),
    )


def test_due_reminder_notifies_the_owner_once(org, sales_member, task_due):
    # when: the job runs twice, and once more later
    created = [
        send_activity_reminders(org_id=org.pk, now=NOW),
        send_activity_reminders(org_id=org.pk, now=NOW),
        send_activity_reminders(org_id=org.pk, now=NOW + datetime.timedelta(hours=1)),
    ]

    # then
    assert created == [1, 0, 0]
    [notification] = _notifications(org)
    assert notification.user == sales_member.user
    assert notification.kind == Notification.Kind.REMINDER
    assert notification.title == "Reminder: 给华联报价"
    assert "上海华联贸易有限公司" in notification.body
    assert notification.url == f"/activities/{task_due.pk}/"
    assert notification.email_status == Notification.EmailStatus.NOT_WANTED
    assert _refresh(task_due).reminded_at == NOW


def test_reminder_not_yet_due_waits(org, task_due):
    assert send_activity_reminders(org_id=org.pk, now=NOW - datetime.timedelta(minutes=5)) == 0
    assert _notifications(org) == []
    assert _refresh(task_due).reminded_at is None


def test_a_run_twice_at_once_still_notifies_once(org, task_due):
    # A second worker that read the activity before the first one marked it reminded.
    send_activity_reminders(org_id=org.pk, now=NOW)
    with scopes_disabled():
        Activity.all_objects.filter(pk=task_due.pk).update(reminded_at=None)

    assert send_activity_reminders(org_id=org.pk, now=NOW) == 0
    assert len(_notifications(org)) == 1


def test_done_or_cancelled_activities_are_not_reminded(org, sales_member, task_due):
    complete_activity(activity=task_due, actor=sales_member.user)

    assert send_activity_reminders(org_id=org.pk, now=NOW) == 0
    assert _notifications(org) == []
    assert _refresh(task_due).reminded_at == NOW  # looked at, and not again


def test_inactive_owner_is_not_reminded(org, sales_member, task_due):
    with scopes_disabled():
        sales_member.is_active = False
        sales_member.save()

    assert send_activity_reminders(org_id=org.pk, now=NOW) == 0


def test_moved_reminder_reminds_again(org, sales_member, task_due):
    from guanxi.activities.services import update_activity

    send_activity_reminders(org_id=org.pk, now=NOW)
    task = _refresh(task_due)
    update_activity(
        activity=task,
        actor=None,
        data={"remind_at": NOW + datetime.timedelta(minutes=30)},
        expected_version=task.version,
    )

    assert send_activity_reminders(org_id=org.pk, now=NOW + datetime.timedelta(hours=1)) == 1
    assert len(_notifications(org)) == 2


def test_meeting_reminder_by_email_waits_in_the_outbox(org, sales_member, party):
    make_activity(
        org,
        sales_member.user,
        kind="meeting",
        subject="拜访华联",
        party=party,
        start_at=NOW + datetime.timedelta(hours=1),
        location="南京西路 1266 号",
        remind_at=NOW,
        reminder_channel="email",
    )

    send_activity_reminders(org_id=org.pk, now=NOW)

    [notification] = _notifications(org)
    assert notification.email_status == Notification.EmailStatus.PENDING
    assert "南京西路 1266 号" in notification.body


def test_members_preference_asks_for_email(org, sales_member, task_due):
    set_notification_preferences(org=org, user=sales_member.user, email_reminders=True)

    send_activity_reminders(org_id=org.pk, now=NOW)

    assert _notifications(org)[0].email_status == Notification.EmailStatus.PENDING


def test_reminder_text_is_in_the_recipients_language(org, sales_member, task_due):
    with scopes_disabled():
        sales_member.user.language = "zh-hans"
        sales_member.user.save()

    send_activity_reminders(org_id=org.pk, now=NOW)

    assert _notifications(org)[0].title.startswith("提醒")


def test_other_organisations_are_untouched(org, other_org, task_due):
    assert send_activity_reminders(org_id=other_org.pk, now=NOW) == 0
    assert _refresh(task_due).reminded_at is None


# --- customer-care follow-ups -----------------------------------------------------------


@pytest.fixture
def care(org, sales_member, party, contact):
    return make_activity(
        org,
        sales_member.user,
        kind="care",
        subject="中秋送月饼",
        party=party,
        contact=contact,
        care_type="gift",
        start_at=NOW - datetime.timedelta(days=7),
        follow_up_on=datetime.date(2025, 6, 12),
    )


def test_care_follow_up_is_reminded_on_its_day_once(org, sales_member, care):
    before = send_care_follow_ups(org_id=org.pk, now=NOW, today=datetime.date(2025, 6, 11))
    on_the_day = [
        send_care_follow_ups(org_id=org.pk, now=NOW, today=datetime.date(2025, 6, 12))
        for _run in range(2)
    ]
    later = send_care_follow_ups(org_id=org.pk, now=NOW, today=datetime.date(2025, 6, 13))

    assert (before, on_the_day, later) == (0, [1, 0], 0)
    [notification] = _notifications(org)
    assert notification.kind == Notification.Kind.CARE_FOLLOW_UP
    assert notification.user == sales_member.user
    assert "王芳" in notification.body
    assert notification.activity_id == care.pk


def test_follow_up_day_is_the_organisations_day(org, care):
    # 16:30 UTC on 11 June is already 12 June in Shanghai.
    evening = datetime.datetime(2025, 6, 11, 16, 30, tzinfo=datetime.UTC)

    assert send_care_follow_ups(org_id=org.pk, now=evening) == 1


def test_run_reminders_does_tasks_and_follow_ups(org, task_due, care):
    run = run_reminders(org_id=org.pk, now=datetime.datetime(2025, 6, 13, tzinfo=datetime.UTC))

    assert (run.reminders, run.follow_ups, run.notifications) == (1, 1, 2)


# --- birthdays ------------------------------------------------------------------------------


def _birthday_contact(party, name="王芳", days_before=3, **birthday):
    return make_contact(
        party, name, birthday_reminder=True, reminder_days_before=days_before, **birthday
    )


def _birthdays(org, day, *, now=NOW):
    return send_birthday_reminders(org_id=org.pk, today=day, now=now)


def test_solar_birthday_is_reminded_n_days_before_once(org, sales_member, party):
    contact = _birthday_contact(party, birthday=datetime.date(1980, 9, 3), days_before=3)

    runs = [
        _birthdays(org, datetime.date(2025, 8, 30)),  # 4 days before: not yet
        _birthdays(org, datetime.date(2025, 8, 31)),  # 3 days before
        _birthdays(org, datetime.date(2025, 8, 31)),  # the same run again
        _birthdays(org, datetime.date(2025, 9, 2)),  # a later run of the window
        _birthdays(org, datetime.date(2025, 9, 4)),  # the day after
    ]

    assert runs == [0, 1, 0, 0, 0]
    [notification] = _notifications(org)
    assert notification.kind == Notification.Kind.BIRTHDAY
    assert notification.user == sales_member.user
    assert notification.contact_id == contact.pk
    assert notification.title.startswith("王芳's birthday is in 3 days")
    assert notification.dedupe_key == f"birthday:{contact.pk}:2025-09-03"


def test_birthday_comes_again_next_year(org, party):
    _birthday_contact(party, birthday=datetime.date(1980, 9, 3), days_before=0)

    assert _birthdays(org, datetime.date(2025, 9, 3)) == 1
    assert _birthdays(org, datetime.date(2026, 9, 3)) == 1
    assert len(_notifications(org)) == 2


def test_birthday_today_says_today(org, party):
    _birthday_contact(party, birthday=datetime.date(1990, 6, 10), days_before=0)

    _birthdays(org, datetime.date(2025, 6, 10))

    assert _notifications(org)[0].title == "王芳's birthday is today"


def test_29_february_birthday_is_on_28_february_in_a_common_year(org, party):
    contact = _birthday_contact(party, birthday=datetime.date(1988, 2, 29), days_before=2)

    assert _birthdays(org, datetime.date(2025, 2, 25)) == 0
    assert _birthdays(org, datetime.date(2025, 2, 26)) == 1
    assert _notifications(org)[0].dedupe_key == f"birthday:{contact.pk}:2025-02-28"


def test_29_february_birthday_in_a_leap_year(org, party):
    contact = _birthday_contact(party, birthday=datetime.date(1988, 2, 29), days_before=0)

    assert _birthdays(org, datetime.date(2028, 2, 28)) == 0
    assert _birthdays(org, datetime.date(2028, 2, 29)) == 1
    assert _notifications(org)[0].dedupe_key == f"birthday:{contact.pk}:2028-02-29"


def _lunar(party, month, day, leap=False, days_before=3, name="李老师"):
    return _birthday_contact(
        party,
        name,
        days_before=days_before,
        birthday_calendar="lunar",
        lunar_birth_month=month,
        lunar_birth_day=day,
        lunar_birth_leap=leap,
    )


def test_lunar_birthday_is_converted_to_this_years_solar_date(org, party):
    # 八月十五 is 6 October 2025 and 25 September 2026.
    contact = _lunar(party, 8, 15, days_before=1)

    assert _birthdays(org, datetime.date(2025, 10, 5)) == 1
    assert _birthdays(org, datetime.date(2026, 9, 24)) == 1
    keys = [n.dedupe_key for n in _notifications(org)]
    assert keys == [f"birthday:{contact.pk}:2025-10-06", f"birthday:{contact.pk}:2026-09-25"]


def test_leap_month_birthday_in_a_year_with_and_without_the_leap_month(org, party):
    # Born in 闰二月 (初一): 22 March 2023 (a leap-2 year), 10 March 2024 (ordinary 二月).
    contact = _lunar(party, 2, 1, leap=True, days_before=2)

    assert _birthdays(org, datetime.date(2023, 2, 18)) == 0  # the ordinary 二月初一 is 20 Feb
    assert _birthdays(org, datetime.date(2023, 3, 20)) == 1
    assert _birthdays(org, datetime.date(2024, 3, 8)) == 1
    keys = [n.dedupe_key for n in _notifications(org)]
    assert keys == [f"birthday:{contact.pk}:2023-03-22", f"birthday:{contact.pk}:2024-03-10"]
    assert "leap month 2, day 1" in _notifications(org)[0].body


def test_lunar_day_30_in_a_29_day_month(org, party):
    # 2024's 三月 has 29 days: 三月三十 is celebrated on 三月廿九, 7 May 2024.
    contact = _lunar(party, 3, 30, days_before=0)

    assert _birthdays(org, datetime.date(2024, 5, 7)) == 1
    assert _notifications(org)[0].dedupe_key == f"birthday:{contact.pk}:2024-05-07"


def test_lunar_twelfth_month_birthday_across_the_solar_new_year(org, party):
    # 腊月二十 of lunar 2024 is 19 January 2025.
    contact = _lunar(party, 12, 20, days_before=15)

    assert _birthdays(org, datetime.date(2025, 1, 5)) == 1
    assert _notifications(org)[0].dedupe_key == f"birthday:{contact.pk}:2025-01-19"


def test_no_reminder_without_the_switch_an_owner_or_a_live_contact(org, sales_member, party):
    make_contact(party, "关掉提醒", birthday=datetime.date(1980, 9, 3))
    deleted = _birthday_contact(party, "已删除", birthday=datetime.date(1980, 9, 3))
    with scopes_disabled():
        deleted.deleted_at = timezone.now()
        deleted.save()
    pool_party = make_party(party.org, None, name="公海客户")
    with scopes_disabled():
        assign_owner(parties=[pool_party], actor=None, owner=None)
    _birthday_contact(pool_party, "无人跟进", birthday=datetime.date(1980, 9, 3))

    assert _birthdays(org, datetime.date(2025, 9, 1)) == 0


def test_birthday_reminders_go_to_the_customers_current_owner(org, party, other_sales_member):
    _birthday_contact(party, birthday=datetime.date(1980, 9, 3))
    with scopes_disabled():
        assign_owner(parties=[party], actor=None, owner=other_sales_member.user)

    _birthdays(org, datetime.date(2025, 9, 1))

    assert _notifications(org)[0].user == other_sales_member.user


def test_birthday_run_sends_mail_for_those_who_asked(org, sales_member, party, smtp_server):
    set_notification_preferences(org=org, user=sales_member.user, email_reminders=True)
    _birthday_contact(party, birthday=datetime.date(1980, 9, 3))

    run = run_birthday_reminders(org_id=org.pk, today=datetime.date(2025, 9, 1), now=NOW)

    assert (run.birthdays, run.emails_sent, run.emails_failed) == (1, 1, 0)
    assert len(smtp_server.envelopes) == 1


# --- the background tasks and their schedule ----------------------------------------------


def test_jobs_are_scheduled():
    jobs = {job.name: job for job in periodic_jobs()}

    assert jobs["activities.reminders"].cron == "*/5 * * * *"
    assert jobs["activities.reminders"].task is reminders_task
    assert jobs["activities.birthdays"].task is birthday_task


def test_enqueued_task_runs_for_every_organisation(org, other_org, task_due, foreign_member):
    foreign_task = make_activity(
        other_org,
        foreign_member.user,
        due_at=timezone.now() + datetime.timedelta(hours=1),
        remind_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    # The test settings run tasks at once (django-tasks' immediate backend).
    result = reminders_task.enqueue()

    assert result.return_value == 2
    assert _refresh(task_due).reminded_at is not None
    assert _refresh(foreign_task).reminded_at is not None
    assert reminders_task.enqueue().return_value == 0


def test_birthday_task_runs(org, party):
    today = timezone.localdate()  # Shanghai, as the organisation
    _birthday_contact(party, birthday=datetime.date(1988, today.month, today.day), days_before=0)

    assert birthday_task.enqueue().return_value == 1
    assert birthday_task.enqueue().return_value == 0


def test_one_failing_organisation_does_not_stop_the_others(org, other_org, task_due, monkeypatch):
    from guanxi.activities import reminders

    real = reminders.send_activity_reminders

    def broken_for_other_org(*, org_id, now):
        if org_id == other_org.pk:
            raise RuntimeError("boom")
        return real(org_id=org_id, now=now)

    monkeypatch.setattr(reminders, "send_activity_reminders", broken_for_other_org)

    run = reminders.for_every_organisation(reminders.run_reminders, now=timezone.now())

    assert run.reminders == 1


def test_a_run_with_nothing_due_is_cheap(org, django_assert_num_queries):
    # Every five minutes for every organisation: the due reminders, the organisation (its
    # time zone), the due follow-ups and the e-mail outbox — nothing else.
    with django_assert_num_queries(4):
        run_reminders(org_id=org.pk, now=NOW)
