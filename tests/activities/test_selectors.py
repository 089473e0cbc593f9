"""Who sees which activity, and the timeline, task and meeting reads."""

from __future__ import annotations

import datetime

import pytest
from django.http import Http404
from django.utils import timezone
from django_scopes import scope

from guanxi.activities.selectors import (
    ActivityFilters,
    contact_timeline,
    filtered_activities,
    get_activity_for_user,
    get_notification_for_user,
    keyset_page,
    my_open_tasks,
    notifications_of,
    overdue_activities,
    party_timeline,
    todays_meetings,
    upcoming_meetings,
    visible_activities,
)
from guanxi.activities.services import notify
from tests.activities.factories import bulk_activities, make_activity, make_contact
from tests.factories import make_member, make_org


@pytest.fixture
def world(org, team, sales_member, other_sales_member, party, other_party, admin_member):
    """Activities of two reps: on their own customers, and one on the other's customer."""
    mine = make_activity(org, sales_member.user, subject="mine on mine", party=party)
    theirs = make_activity(
        org, other_sales_member.user, subject="theirs on theirs", party=other_party
    )
    theirs_on_mine = make_activity(
        org, other_sales_member.user, subject="theirs on mine", party=party
    )
    mine_on_theirs = make_activity(
        org, sales_member.user, subject="mine on theirs", party=other_party
    )
    own_task = make_activity(org, sales_member.user, subject="own task")
    return {
        "mine": mine,
        "theirs": theirs,
        "theirs_on_mine": theirs_on_mine,
        "mine_on_theirs": mine_on_theirs,
        "own_task": own_task,
    }


def _subjects(qs) -> set[str]:
    return set(qs.values_list("subject", flat=True))


def test_sales_rep_sees_own_activities_and_those_on_own_customers(org, sales_member, world):
    with scope(org=org.pk):
        seen = _subjects(visible_activities(sales_member))

    assert seen == {"mine on mine", "theirs on mine", "mine on theirs", "own task"}


def test_administrator_sees_everything(org, admin_member, world):
    with scope(org=org.pk):
        assert len(_subjects(visible_activities(admin_member))) == 5


def test_team_visibility_sees_the_teams_work(org, team, manager_member, world):
    # The manager role sees the organisation; a team-visibility role sees the team's.
    from guanxi.accounts.models import Role

    with scope(org=org.pk):
        Role.objects.filter(pk=manager_member.role_id).update(visibility="team")
        manager_member.role.refresh_from_db()
        seen = _subjects(visible_activities(manager_member))

    # The team is the manager and the first rep: their activities and customers.
    assert seen == {"mine on mine", "theirs on mine", "mine on theirs", "own task"}


def test_readonly_member_sees_by_role_visibility(org, readonly_member, world):
    # The built-in read-only role sees the whole organisation, and may change nothing.
    with scope(org=org.pk):
        assert len(_subjects(visible_activities(readonly_member))) == 5


def test_role_without_activity_permission_sees_nothing(org, sales_member, world):
    from guanxi.accounts.models import Role

    with scope(org=org.pk):
        role = Role.objects.get(pk=sales_member.role_id)
        role.permissions = {"activity": []}
        role.save()
        sales_member.role.refresh_from_db()
        assert visible_activities(sales_member).exists() is False


def test_hidden_and_foreign_activities_are_404(org, other_org, sales_member, foreign_member, world):
    foreign = make_activity(other_org, foreign_member.user)
    with scope(org=org.pk):
        assert get_activity_for_user(sales_member, world["mine"].pk) == world["mine"]
        for pk in (world["theirs"].pk, foreign.pk, "abc", None):
            with pytest.raises(Http404):
                get_activity_for_user(sales_member, pk)


def test_deleted_activity_is_404(org, sales_member, world):
    from guanxi.activities.services import delete_activity

    delete_activity(activity=world["mine"], actor=sales_member.user)

    with scope(org=org.pk), pytest.raises(Http404):
        get_activity_for_user(sales_member, world["mine"].pk)


def test_party_timeline_has_its_and_its_contacts_activities_newest_first(
    org, sales_member, party, contact, other_party
):
    now = timezone.now()
    old = make_activity(
        org, sales_member.user, kind="call", party=party, start_at=now - datetime.timedelta(days=2)
    )
    on_contact = make_activity(
        org,
        sales_member.user,
        kind="note",
        contact=contact,
        start_at=now - datetime.timedelta(days=1),
    )
    newest = make_activity(org, sales_member.user, party=party, due_at=now)
    make_activity(org, sales_member.user, party=other_party)

    with scope(org=org.pk):
        timeline = list(party_timeline(sales_member, party))
        calls = list(party_timeline(sales_member, party, kind="call"))
        of_contact = list(contact_timeline(sales_member, contact))

    assert timeline == [newest, on_contact, old]
    assert calls == [old]
    assert of_contact == [on_contact]


def test_contact_moved_to_another_customer_keeps_its_activities_on_both_timelines(
    org, sales_member, party, other_party
):
    contact = make_contact(other_party, "调岗的联系人")
    note = make_activity(org, sales_member.user, kind="note", contact=contact)
    with scope(org=org.pk):
        contact.party = party
        contact.save()
        assert list(party_timeline(sales_member, party)) == [note]


def test_open_tasks_overdue_and_meetings(org, sales_member, other_sales_member):
    now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    late = make_activity(
        org, sales_member.user, subject="late", due_at=now - datetime.timedelta(hours=1)
    )
    soon = make_activity(
        org, sales_member.user, subject="soon", due_at=now + datetime.timedelta(hours=1)
    )
    undated = make_activity(org, sales_member.user, subject="undated")
    done = make_activity(org, sales_member.user, subject="done", status="done", due_at=now)
    make_activity(org, other_sales_member.user, subject="not mine", due_at=now)
    in_an_hour = make_activity(
        org,
        sales_member.user,
        kind="meeting",
        subject="meeting",
        start_at=now + datetime.timedelta(minutes=1),
    )
    missed = make_activity(
        org,
        sales_member.user,
        kind="meeting",
        subject="missed",
        start_at=now - datetime.timedelta(minutes=1),
    )

    with scope(org=org.pk):
        open_tasks = list(my_open_tasks(sales_member))
        overdue = list(overdue_activities(sales_member, now=now))
        upcoming = list(
            upcoming_meetings(sales_member, start=now, end=now + datetime.timedelta(days=1))
        )
        today = list(todays_meetings(sales_member, now=now))

    assert late in open_tasks
    assert soon in open_tasks
    assert undated in open_tasks
    assert done not in open_tasks
    assert open_tasks.index(late) < open_tasks.index(soon)
    assert overdue == [late, missed]
    assert upcoming == [in_an_hour]
    assert today == [missed, in_an_hour]


def test_filters(org, sales_member, party):
    call = make_activity(org, sales_member.user, kind="call", party=party, start_at=timezone.now())
    make_activity(org, sales_member.user, kind="note", subject="备忘", party=party)
    today = timezone.localdate()

    with scope(org=org.pk):
        by_kind = list(filtered_activities(sales_member, ActivityFilters(kind="call")))
        by_text = list(filtered_activities(sales_member, ActivityFilters(query="备忘")))
        by_date = filtered_activities(
            sales_member, ActivityFilters(date_from=today, date_to=today, status="done")
        ).count()
        none = filtered_activities(
            sales_member, ActivityFilters(date_to=today - datetime.timedelta(days=1))
        ).count()

    assert by_kind == [call]
    assert [a.subject for a in by_text] == ["备忘"]
    assert (by_date, none) == (2, 0)


def test_keyset_pages_walk_the_whole_list(org, sales_member, party):
    bulk_activities(org, sales_member.user, 25, party=party)

    seen, cursor = [], None
    with scope(org=org.pk):
        for _page in range(4):
            page = keyset_page(
                party_timeline(sales_member, party), ("-timeline_at", "-id"), cursor, 10
            )
            seen.extend(a.pk for a in page)
            cursor = page.next_cursor
            if cursor is None:
                break
        restart = keyset_page(
            party_timeline(sales_member, party), ("-timeline_at", "-id"), "bad!", 10
        )

    assert len(seen) == len(set(seen)) == 25
    assert [a.pk for a in restart] == seen[:10]


def test_notifications_are_private(org, sales_member, admin_member):
    mine = notify(
        org_id=org.pk, user_id=sales_member.user_id, kind="info", title="m", dedupe_key="m"
    )
    theirs = notify(
        org_id=org.pk, user_id=admin_member.user_id, kind="info", title="t", dedupe_key="t"
    )
    elsewhere = make_member(make_org("X"), "admin", user=sales_member.user)

    with scope(org=org.pk):
        assert list(notifications_of(sales_member)) == [mine]
        assert get_notification_for_user(sales_member, mine.pk) == mine
        with pytest.raises(Http404):
            get_notification_for_user(sales_member, theirs.pk)
    with scope(org=elsewhere.org_id):
        assert list(notifications_of(elsewhere)) == []
