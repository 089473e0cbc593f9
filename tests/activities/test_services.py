"""The activity services: validation, references inside the organisation, versions,
status changes, the recycle bin and the customer's last contact."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from guanxi.activities.models import Activity, Notification
from guanxi.activities.services import (
    InvalidActivity,
    cancel_activity,
    complete_activity,
    delete_activity,
    mark_all_notifications_read,
    mark_notification_read,
    notify,
    reopen_activity,
    set_notification_preferences,
    update_activity,
)
from guanxi.core.exceptions import StaleEdit
from guanxi.parties.models import Party
from tests.activities.factories import count_activities, make_activity, make_contact
from tests.factories import make_member


def _errors(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def _last_contact(party):
    with scopes_disabled():
        return Party.all_objects.get(pk=party.pk).last_contact_at


# --- creating ------------------------------------------------------------------------


def test_task_is_planned_owned_by_the_actor_and_sorted_by_its_due_time(org, sales_member, party):
    due = timezone.now() + datetime.timedelta(days=2)

    task = make_activity(org, sales_member.user, subject="  寄样品给王总 ", party=party, due_at=due)

    assert task.subject == "寄样品给王总"
    assert task.status == Activity.Status.PLANNED
    assert task.owner == sales_member.user
    assert task.timeline_at == due
    assert task.version == 1
    assert task.history.count() == 1


def test_logged_call_is_done_and_happened_now(org, sales_member, party):
    before = timezone.now()

    call = make_activity(
        org, sales_member.user, kind="call", party=party, direction="out", outcome="同意报价"
    )

    assert call.status == Activity.Status.DONE
    assert call.completed_at is not None
    assert before <= call.start_at <= timezone.now()
    assert call.timeline_at == call.start_at


def test_contact_without_party_files_the_activity_on_the_contacts_customer(
    org, sales_member, party, contact
):
    note = make_activity(org, sales_member.user, kind="note", contact=contact)

    assert note.party_id == party.pk


def test_fields_of_other_kinds_are_cleared(org, sales_member):
    task = make_activity(
        org,
        sales_member.user,
        due_at=timezone.now(),
        amount="50",
        location="会议室",
        care_type="gift",
    )

    assert task.amount is None
    assert task.location == ""
    assert task.care_type == ""


def test_expense_keeps_two_decimals_in_the_organisations_currency(org, sales_member, party):
    expense = make_activity(org, sales_member.user, kind="expense", party=party, amount="88.5")

    expense.refresh_from_db()
    assert expense.amount == Decimal("88.50")
    assert expense.currency == "CNY"


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("task", {"subject": "   "}, "subject"),
        ("task", {"subject": "x" * 201}, "subject"),
        ("bogus", {}, "kind"),
        ("meeting", {"start_at": None}, "start_at"),
        (
            "meeting",
            {
                "start_at": timezone.now(),
                "end_at": timezone.now() - datetime.timedelta(hours=1),
            },
            "end_at",
        ),
        ("task", {"due_at": datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)}, "due_at"),
        ("task", {"due_at": datetime.datetime(2999, 1, 1, tzinfo=datetime.UTC)}, "due_at"),
        ("expense", {"amount": "-1"}, "amount"),
        ("expense", {"amount": "10000000000"}, "amount"),
        ("expense", {"amount": "1.234"}, "amount"),
        ("expense", {"amount": "abc"}, "amount"),
        ("expense", {"amount": None}, "amount"),
        ("expense", {"expense_category": ""}, "expense_category"),
        ("care", {"care_type": ""}, "care_type"),
        ("care", {"care_type": "nonsense"}, "care_type"),
        ("task", {"status": "maybe"}, "status"),
        (
            "task",
            {
                "due_at": timezone.now(),
                "remind_at": timezone.now() + datetime.timedelta(hours=1),
            },
            "remind_at",
        ),
        (
            "care",
            {
                "start_at": timezone.now(),
                "follow_up_on": timezone.localdate() - datetime.timedelta(days=10),
            },
            "follow_up_on",
        ),
    ],
)
def test_bad_input_gets_a_field_error_and_saves_nothing(org, sales_member, kind, data, field):
    with pytest.raises(ValidationError) as excinfo:
        make_activity(org, sales_member.user, kind=kind, **data)

    assert field in _errors(excinfo)
    assert count_activities(org) == 0


def test_unknown_field_is_refused(org, sales_member):
    with pytest.raises(InvalidActivity, match="version"):
        make_activity(org, sales_member.user, version=3)


def test_other_organisations_references_are_refused(
    org, sales_member, foreign_party, foreign_contact, foreign_member
):
    with pytest.raises(ValidationError) as excinfo:
        make_activity(
            org,
            sales_member.user,
            party=foreign_party,
            contact=foreign_contact.pk,
            owner=foreign_member.user,
        )

    assert set(_errors(excinfo)) == {"party", "contact", "owner"}
    assert count_activities(org) == 0


def test_unknown_and_deleted_references_are_refused(org, sales_member, party):
    with scope(org=org.pk):
        party.deleted_at = timezone.now()
        party.save()

    with pytest.raises(ValidationError) as excinfo:
        make_activity(org, sales_member.user, party=party.pk, contact=999999)

    assert set(_errors(excinfo)) == {"party", "contact"}


def test_contact_of_another_customer_is_refused(org, sales_member, party, other_party):
    stranger = make_contact(other_party, "李雷")

    with pytest.raises(ValidationError) as excinfo:
        make_activity(org, sales_member.user, party=party, contact=stranger)

    assert _errors(excinfo)["contact"] == ["This contact does not belong to the customer."]


def test_owner_must_be_an_active_member(org, sales_member, other_sales_member):
    with scopes_disabled():
        other_sales_member.is_active = False
        other_sales_member.save()

    with pytest.raises(ValidationError) as excinfo:
        make_activity(org, sales_member.user, owner=other_sales_member.user.pk)

    assert "owner" in _errors(excinfo)


# --- last contact ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["call", "contact_record", "care"])
def test_logging_a_contact_updates_the_customers_last_contact(org, sales_member, party, kind):
    when = timezone.now() - datetime.timedelta(hours=3)

    make_activity(org, sales_member.user, kind=kind, party=party, start_at=when)

    assert _last_contact(party) == when


@pytest.mark.parametrize("kind", ["task", "note", "expense"])
def test_other_kinds_leave_the_last_contact_alone(org, sales_member, party, kind):
    make_activity(org, sales_member.user, kind=kind, party=party, status="done")

    assert _last_contact(party) is None


def test_meeting_counts_once_it_is_done(org, sales_member, party):
    start = timezone.now() - datetime.timedelta(hours=2)
    meeting = make_activity(org, sales_member.user, kind="meeting", party=party, start_at=start)
    assert _last_contact(party) is None

    complete_activity(activity=meeting, actor=sales_member.user, outcome="谈妥交货期")

    assert _last_contact(party) == start
    assert meeting.outcome == "谈妥交货期"
    assert meeting.status == Activity.Status.DONE


def test_future_contact_counts_as_now_and_never_moves_last_contact_back(org, sales_member, party):
    make_activity(org, sales_member.user, kind="call", party=party, start_at=timezone.now())
    latest = _last_contact(party)

    make_activity(
        org,
        sales_member.user,
        kind="call",
        party=party,
        start_at=timezone.now() - datetime.timedelta(days=30),
    )
    future = make_activity(
        org,
        sales_member.user,
        kind="call",
        party=party,
        start_at=timezone.now() + datetime.timedelta(days=30),
    )

    assert _last_contact(party) >= latest
    assert _last_contact(party) < future.start_at


# --- updating ------------------------------------------------------------------------------


def test_update_bumps_the_version_and_refuses_a_stale_edit(org, sales_member):
    task = make_activity(org, sales_member.user, subject="A")
    update_activity(activity=task, actor=None, data={"subject": "B"}, expected_version=1)

    with pytest.raises(StaleEdit):
        update_activity(activity=task, actor=None, data={"subject": "C"}, expected_version=1)

    with scope(org=org.pk):
        stored = Activity.objects.get(pk=task.pk)
    assert stored.subject == "B"
    assert stored.version == 2


def test_update_validates_like_create(org, sales_member, foreign_party):
    meeting = make_activity(org, sales_member.user, kind="meeting")

    with pytest.raises(ValidationError) as excinfo:
        update_activity(
            activity=meeting,
            actor=None,
            data={
                "end_at": meeting.start_at - datetime.timedelta(minutes=1),
                "party": foreign_party,
            },
            expected_version=1,
        )

    assert set(_errors(excinfo)) == {"party", "end_at"}
    with scope(org=org.pk):
        assert Activity.objects.get(pk=meeting.pk).version == 1


def test_changing_the_reminder_time_reminds_again(org, sales_member):
    due = timezone.now() + datetime.timedelta(days=1)
    task = make_activity(
        org, sales_member.user, due_at=due, remind_at=due - datetime.timedelta(hours=1)
    )
    with scope(org=org.pk):
        Activity.objects.filter(pk=task.pk).update(reminded_at=timezone.now())
    task.refresh_from_db()

    update_activity(
        activity=task,
        actor=None,
        data={"remind_at": due - datetime.timedelta(hours=2)},
        expected_version=task.version,
    )

    task.refresh_from_db()
    assert task.reminded_at is None


# --- status and deletion ------------------------------------------------------------------


def test_cancel_then_reopen(org, sales_member):
    task = make_activity(org, sales_member.user)

    cancel_activity(activity=task, actor=None)
    assert task.status == Activity.Status.CANCELLED
    assert task.version == 2

    reopen_activity(activity=task, actor=None)
    assert task.status == Activity.Status.PLANNED
    assert task.completed_at is None


def test_done_activity_cannot_be_cancelled(org, sales_member):
    task = make_activity(org, sales_member.user)
    complete_activity(activity=task, actor=None)

    with pytest.raises(InvalidActivity, match="cannot be cancelled"):
        cancel_activity(activity=task, actor=None)

    task.refresh_from_db()
    assert task.status == Activity.Status.DONE


def test_completing_twice_changes_nothing(org, sales_member):
    task = make_activity(org, sales_member.user)
    complete_activity(activity=task, actor=None)
    completed_at, version = task.completed_at, task.version

    complete_activity(activity=task, actor=None)

    assert (task.completed_at, task.version) == (completed_at, version)


def test_delete_moves_to_the_recycle_bin(org, sales_member):
    task = make_activity(org, sales_member.user)

    delete_activity(activity=task, actor=sales_member.user)

    with scope(org=org.pk):
        assert Activity.objects.filter(pk=task.pk).exists() is False
        assert Activity.all_objects.get(pk=task.pk).deleted_by == sales_member.user


def test_activity_survives_its_contacts_deletion_for_good(org, sales_member, party, contact):
    note = make_activity(org, sales_member.user, kind="note", party=party, contact=contact)

    with scopes_disabled():
        contact.delete()

    note.refresh_from_db()
    assert note.contact_id is None
    assert note.party_id == party.pk


# --- notifications -------------------------------------------------------------------------


def test_notify_twice_with_one_key_makes_one_notification(org, sales_member):
    first = notify(
        org_id=org.pk, user_id=sales_member.user_id, kind="info", title="A", dedupe_key="k"
    )
    second = notify(
        org_id=org.pk, user_id=sales_member.user_id, kind="info", title="A", dedupe_key="k"
    )

    assert first is not None
    assert second is None
    with scope(org=org.pk):
        assert Notification.objects.count() == 1


def test_same_key_for_another_member_is_another_notification(org, sales_member, admin_member):
    for member in (sales_member, admin_member):
        notify(org_id=org.pk, user_id=member.user_id, kind="info", title="A", dedupe_key="k")

    with scope(org=org.pk):
        assert Notification.objects.count() == 2


def test_mark_read_and_all_read(org, sales_member, admin_member):
    made = [
        notify(org_id=org.pk, user_id=sales_member.user_id, kind="info", title=t, dedupe_key=t)
        for t in "abc"
    ]
    notify(org_id=org.pk, user_id=admin_member.user_id, kind="info", title="x", dedupe_key="x")

    mark_notification_read(notification=made[0], actor=sales_member.user)
    assert made[0].is_read is True
    assert made[0].read_at is not None

    changed = mark_all_notifications_read(org=org, user=sales_member.user)

    assert changed == 2
    with scope(org=org.pk):
        assert Notification.objects.filter(is_read=False).count() == 1  # the admin's


def test_preferences_are_one_row_per_member(org, sales_member):
    set_notification_preferences(org=org, user=sales_member.user, email_reminders=True)
    preference = set_notification_preferences(
        org=org, user=sales_member.user, email_reminders=False
    )

    assert preference.email_reminders is False
    with scope(org=org.pk):
        assert preference.__class__.objects.count() == 1


def test_activity_for_a_member_of_two_organisations_stays_in_its_own(org, other_org, sales_member):
    member_elsewhere = make_member(other_org, "sales", user=sales_member.user)
    task = make_activity(org, member_elsewhere.user)

    assert task.org_id == org.pk
    with scope(org=other_org.pk):
        assert Activity.objects.filter(pk=task.pk).exists() is False
