"""Every activity page: GET, POST, bad input, permissions and other organisations' records."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from guanxi.activities.models import Activity, Notification
from guanxi.activities.services import notify
from guanxi.parties.models import Party
from tests.activities.conftest import english
from tests.activities.factories import bulk_activities, make_activity, make_contact
from tests.conftest import login
from tests.factories import make_member

HTMX = {"HX-Request": "true"}


@pytest.fixture
def client_sales(sales_member) -> Client:
    return english(login(Client(), sales_member))


@pytest.fixture
def client_admin(admin_member) -> Client:
    return english(login(Client(), admin_member))


@pytest.fixture
def client_readonly(readonly_member) -> Client:
    return english(login(Client(), readonly_member))


@pytest.fixture
def task(org, sales_member, party):
    return make_activity(
        org,
        sales_member.user,
        subject="给华联报价",
        party=party,
        due_at=timezone.now() + datetime.timedelta(days=1),
    )


@pytest.fixture
def hidden_task(org, other_sales_member, other_party):
    """Another rep's task on that rep's customer: invisible to the first rep."""
    return make_activity(org, other_sales_member.user, subject="别人的任务", party=other_party)


@pytest.fixture
def foreign_task(other_org, foreign_member, foreign_party):
    return make_activity(other_org, foreign_member.user, subject="外部任务", party=foreign_party)


def _stored(activity) -> Activity:
    with scopes_disabled():
        return Activity.all_objects.get(pk=activity.pk)


def _count(org) -> int:
    with scopes_disabled():
        return Activity.all_objects.filter(org=org).count()


def _items(response) -> list[str]:
    """The activity ids of a timeline partial, in order (partials carry no test context)."""
    return re.findall(r'id="activity-(\d+)" data-testid="timeline-item"', response.content.decode())


def _next_cursor(response) -> str | None:
    found = re.search(r'cursor=([A-Za-z0-9_-]+)"', response.content.decode())
    return found.group(1) if found else None


def _field_errors(response) -> dict:
    return response.context["form"].errors


# --- my activities ---------------------------------------------------------------------------


def test_list_shows_overdue_todays_meetings_and_open_tasks(client_sales, org, sales_member, party):
    now = timezone.now()
    make_activity(
        org, sales_member.user, subject="逾期任务", due_at=now - datetime.timedelta(hours=2)
    )
    make_activity(
        org, sales_member.user, subject="明天的任务", due_at=now + datetime.timedelta(days=1)
    )

    response = client_sales.get(reverse("activities:activity_list"))

    assert response.status_code == 200
    assert [a.subject for a in response.context["overdue"]] == ["逾期任务"]
    assert {a.subject for a in response.context["open_tasks"]} == {"逾期任务", "明天的任务"}
    assert response.context["meetings"] == []
    assert len(response.context["page"]) == 2
    assert "逾期任务" in response.content.decode()


def test_list_filters_and_htmx_rows(client_sales, org, sales_member, party, task):
    make_activity(org, sales_member.user, kind="call", subject="回访电话", party=party)

    response = client_sales.get(reverse("activities:activity_list"), {"kind": "call"}, headers=HTMX)

    assert response.status_code == 200
    content = response.content.decode()
    assert "回访电话" in content
    assert "给华联报价" not in content
    assert "<html" not in content  # the rows only


def test_list_scope_mine_or_all_i_can_see(client_sales, org, task, other_sales_member, party):
    theirs = make_activity(
        org, other_sales_member.user, subject="同事在我客户上的记录", party=party
    )
    url = reverse("activities:activity_list")

    mine = client_sales.get(url).context["page"]
    everything = client_sales.get(url, {"scope": "all"}).context["page"]

    assert theirs not in list(mine)
    assert theirs in list(everything)


@pytest.mark.parametrize(
    "params",
    [{"date_from": "not-a-date"}, {"kind": "bogus"}, {"cursor": "%%%"}, {"status": "x" * 500}],
)
def test_list_bad_filters_never_fail(client_sales, task, params):
    response = client_sales.get(reverse("activities:activity_list"), params)

    assert response.status_code == 200


def test_list_pages_by_cursor(client_sales, org, sales_member, settings):
    settings.GUANXI_PAGE_SIZE = 5
    bulk_activities(org, sales_member.user, 12)
    url = reverse("activities:activity_list")

    first = client_sales.get(url)
    second = client_sales.get(url, {"cursor": first.context["page"].next_cursor})

    assert len(first.context["page"]) == 5
    assert {a.pk for a in first.context["page"]}.isdisjoint({a.pk for a in second.context["page"]})


def test_list_needs_the_activity_permission(org, sales_member, client_sales):
    from guanxi.accounts.models import Role

    with scopes_disabled():
        Role.objects.filter(pk=sales_member.role_id).update(permissions={"activity": []})

    assert client_sales.get(reverse("activities:activity_list")).status_code == 403


def test_list_query_count_stays_flat(
    client_sales, org, sales_member, party, contact, django_assert_max_num_queries
):
    bulk_activities(org, sales_member.user, 3, party=party, contact=contact)
    url = reverse("activities:activity_list")
    client_sales.get(url)  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client_sales.get(url)
    bulk_activities(org, sales_member.user, 60, party=party, contact=contact)
    with CaptureQueriesContext(connection) as many:
        client_sales.get(url)

    assert len(many) == len(few)
    assert len(few) <= 12


# --- create ----------------------------------------------------------------------------------


def test_create_form_from_the_customer_page(client_sales, party, contact):
    response = client_sales.get(
        reverse("activities:activity_create"),
        {"party": party.pk, "contact": contact.pk, "kind": "meeting", "next": "/customers/"},
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["party"] == party.pk
    assert form.initial["contact"] == contact.pk
    assert "start_at" in form.fields
    assert "due_at" not in form.fields
    content = response.content.decode()
    assert f'<option value="{party.pk}"' in content
    assert f'<option value="{contact.pk}"' in content


@pytest.mark.parametrize("kind", Activity.Kind.values)
def test_create_form_of_every_kind(client_sales, kind):
    response = client_sales.get(reverse("activities:activity_create"), {"kind": kind})

    assert response.status_code == 200
    assert response.context["kind"] == kind


def test_create_posts_a_call_and_goes_back(client_sales, org, sales_member, party, contact):
    response = client_sales.post(
        reverse("activities:activity_create") + f"?party={party.pk}",
        {
            "kind": "call",
            "subject": "电话确认订单",
            "party": party.pk,
            "contact": contact.pk,
            "owner": sales_member.user_id,
            "status": "done",
            "start_at": "2025-06-10T10:30",
            "direction": "out",
            "outcome": "客户同意下周付款",
            "next": "/customers/",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    with scope(org=org.pk):
        call = Activity.objects.get()
        assert call.contact == contact
        assert timezone.localtime(call.start_at).strftime("%Y-%m-%d %H:%M") == "2025-06-10 10:30"
        assert Party.objects.get(pk=party.pk).last_contact_at == call.start_at


def test_create_a_global_task_without_customer(client_sales, org, sales_member):
    response = client_sales.post(
        reverse("activities:activity_create"),
        {
            "kind": "task",
            "subject": "整理周报",
            "owner": sales_member.user_id,
            "status": "planned",
            "priority": "high",
            "due_at": "2030-01-02T17:00",
            "remind_at": "2030-01-02T16:00",
            "reminder_channel": "email",
        },
    )

    assert response.status_code == 302
    with scope(org=org.pk):
        task = Activity.objects.get()
    assert response["Location"] == f"/activities/{task.pk}/"
    assert task.party is None
    assert task.reminder_channel == "email"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"kind": "meeting", "start_at": "2030-01-01T10:00", "end_at": "2030-01-01T09:00"},
            "end_at",
        ),
        ({"kind": "meeting", "start_at": ""}, "start_at"),
        ({"kind": "expense", "amount": "-5", "expense_category": "travel"}, "amount"),
        ({"kind": "expense", "amount": "1e20", "expense_category": "travel"}, "amount"),
        ({"kind": "task", "subject": ""}, "subject"),
        ({"kind": "task", "due_at": "31/31/2030"}, "due_at"),
        ({"kind": "task", "owner": "999999"}, "owner"),
        ({"kind": "task", "party": "abc"}, "party"),
        ({"kind": "task", "due_at": "3025-01-01T10:00"}, "due_at"),
    ],
)
def test_create_bad_input_shows_field_errors(client_sales, org, sales_member, data, field):
    post = {"subject": "有问题的活动", "owner": sales_member.user_id, "status": "planned", **data}

    response = client_sales.post(reverse("activities:activity_create"), post)

    assert response.status_code == 200
    assert field in _field_errors(response)
    assert _count(org) == 0


def test_create_refuses_another_organisations_customer_and_contact(
    client_sales, org, sales_member, foreign_party, foreign_contact
):
    response = client_sales.post(
        reverse("activities:activity_create"),
        {
            "kind": "note",
            "subject": "x",
            "owner": sales_member.user_id,
            "status": "done",
            "party": foreign_party.pk,
            "contact": foreign_contact.pk,
        },
    )

    assert response.status_code == 200
    assert set(_field_errors(response)) == {"party", "contact"}
    assert _count(org) == 0


def test_create_refuses_a_contact_of_another_customer(client_sales, org, sales_member, party):
    stranger = make_contact(party, "自己的联系人")
    other = make_activity  # noqa: F841 (keeps the import used)
    with scopes_disabled():
        second = Party.objects.create(
            org=org, name="第二客户", short_name="第二客户", owner=sales_member.user
        )

    response = client_sales.post(
        reverse("activities:activity_create"),
        {
            "kind": "note",
            "subject": "x",
            "owner": sales_member.user_id,
            "status": "done",
            "party": second.pk,
            "contact": stranger.pk,
        },
    )

    assert response.status_code == 200
    assert _field_errors(response)["contact"] == ["This contact does not belong to the customer."]


def test_create_for_a_hidden_or_foreign_customer_is_404(client_sales, other_party, foreign_party):
    url = reverse("activities:activity_create")

    assert client_sales.get(url, {"party": other_party.pk}).status_code == 404
    assert client_sales.get(url, {"party": foreign_party.pk}).status_code == 404
    assert client_sales.get(url, {"contact": "abc"}).status_code == 404


def test_read_only_member_may_not_create(client_readonly, org, readonly_member):
    url = reverse("activities:activity_create")

    assert client_readonly.get(url).status_code == 403
    assert client_readonly.post(url, {"kind": "task", "subject": "x"}).status_code == 403
    assert _count(org) == 0


# --- detail, edit, done, cancel, delete ---------------------------------------------------


def test_detail(client_sales, task):
    response = client_sales.get(reverse("activities:activity_detail", args=[task.pk]))

    assert response.status_code == 200
    assert "给华联报价" in response.content.decode()
    assert len(response.context["history"]) == 1


@pytest.mark.parametrize(
    "name",
    [
        "activities:activity_detail",
        "activities:activity_edit",
        "activities:activity_delete",
    ],
)
def test_hidden_and_foreign_activities_are_404(client_sales, hidden_task, foreign_task, name):
    for activity in (hidden_task, foreign_task):
        assert client_sales.get(reverse(name, args=[activity.pk])).status_code == 404
        assert client_sales.post(reverse(name, args=[activity.pk]), {}).status_code == 404


@pytest.mark.parametrize(
    "name",
    ["activities:activity_complete", "activities:activity_cancel", "activities:activity_reopen"],
)
def test_actions_on_hidden_and_foreign_activities_are_404(
    client_sales, hidden_task, foreign_task, name
):
    for activity in (hidden_task, foreign_task):
        assert client_sales.post(reverse(name, args=[activity.pk])).status_code == 404
    assert _stored(hidden_task).status == Activity.Status.PLANNED


def test_edit_saves_a_new_version(client_sales, task, sales_member, party):
    url = reverse("activities:activity_edit", args=[task.pk])
    assert client_sales.get(url).context["form"].initial["subject"] == "给华联报价"

    response = client_sales.post(
        url,
        {
            "subject": "给华联报价（含运费）",
            "party": party.pk,
            "owner": sales_member.user_id,
            "status": "planned",
            "priority": "high",
            "due_at": "2030-03-01T09:00",
            "version": task.version,
        },
    )

    assert response.status_code == 302
    stored = _stored(task)
    assert (stored.subject, stored.priority, stored.version) == ("给华联报价（含运费）", "high", 2)


def test_stale_edit_is_refused_with_a_message(client_sales, task, sales_member):
    data = {
        "subject": "第一个",
        "owner": sales_member.user_id,
        "status": "planned",
        "priority": "normal",
        "version": 1,
    }
    client_sales.post(reverse("activities:activity_edit", args=[task.pk]), data)

    response = client_sales.post(
        reverse("activities:activity_edit", args=[task.pk]), {**data, "subject": "第二个"}
    )

    assert response.status_code == 200
    assert "Someone else changed this record" in str(response.context["form"].non_field_errors())
    assert _stored(task).subject == "第一个"


def test_edit_bad_input(client_sales, org, sales_member):
    meeting = make_activity(org, sales_member.user, kind="meeting")

    response = client_sales.post(
        reverse("activities:activity_edit", args=[meeting.pk]),
        {
            "subject": "会议",
            "owner": sales_member.user_id,
            "status": "planned",
            "priority": "normal",
            "start_at": "2030-01-01T10:00",
            "end_at": "2030-01-01T10:00",
            "version": meeting.version,
        },
    )

    assert response.status_code == 200
    assert "end_at" in _field_errors(response)
    assert _stored(meeting).version == 1


def test_read_only_member_sees_but_may_not_change(client_readonly, task):
    assert (
        client_readonly.get(reverse("activities:activity_detail", args=[task.pk])).status_code
        == 200
    )
    assert (
        client_readonly.get(reverse("activities:activity_edit", args=[task.pk])).status_code == 403
    )
    assert (
        client_readonly.post(reverse("activities:activity_complete", args=[task.pk])).status_code
        == 403
    )
    assert (
        client_readonly.post(reverse("activities:activity_delete", args=[task.pk])).status_code
        == 403
    )
    assert _stored(task).status == Activity.Status.PLANNED


def test_done_by_htmx_answers_the_timeline_item(client_sales, task):
    response = client_sales.post(
        reverse("activities:activity_complete", args=[task.pk]),
        {"outcome": "已发送"},
        headers=HTMX,
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert f'id="activity-{task.pk}"' in content
    assert 'data-status="done"' in content
    assert _stored(task).outcome == "已发送"


def test_done_by_a_plain_form_goes_back(client_sales, task):
    response = client_sales.post(
        reverse("activities:activity_complete", args=[task.pk]), {"next": "/activities/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/activities/"
    assert _stored(task).status == Activity.Status.DONE


def test_done_never_redirects_off_site(client_sales, task):
    response = client_sales.post(
        reverse("activities:activity_complete", args=[task.pk]), {"next": "https://evil.example/"}
    )

    assert response["Location"] == f"/activities/{task.pk}/"


def test_done_needs_post(client_sales, task):
    assert (
        client_sales.get(reverse("activities:activity_complete", args=[task.pk])).status_code == 405
    )


def test_cancel_and_reopen(client_sales, task):
    client_sales.post(reverse("activities:activity_cancel", args=[task.pk]))
    assert _stored(task).status == Activity.Status.CANCELLED

    client_sales.post(reverse("activities:activity_reopen", args=[task.pk]))
    assert _stored(task).status == Activity.Status.PLANNED


def test_cancelling_a_done_activity_is_refused(client_sales, task):
    client_sales.post(reverse("activities:activity_complete", args=[task.pk]))

    plain = client_sales.post(reverse("activities:activity_cancel", args=[task.pk]), follow=True)
    htmx = client_sales.post(reverse("activities:activity_cancel", args=[task.pk]), headers=HTMX)

    assert "cannot be cancelled" in plain.content.decode()
    assert htmx.status_code == 409
    assert "cancelled" in htmx["X-Guanxi-Message"]
    assert _stored(task).status == Activity.Status.DONE


def test_delete_asks_then_moves_to_the_recycle_bin(client_sales, task):
    url = reverse("activities:activity_delete", args=[task.pk])
    assert "recycle bin" in client_sales.get(url).content.decode()

    response = client_sales.post(url, {"next": "/activities/"})

    assert response.status_code == 302
    assert _stored(task).deleted_at is not None
    assert (
        client_sales.get(reverse("activities:activity_detail", args=[task.pk])).status_code == 404
    )


def test_service_agent_may_not_delete(org, team, task, party):
    agent = make_member(org, "service", team=team, username="agent")  # sees the team's work
    client = english(login(Client(), agent))

    assert client.get(reverse("activities:activity_detail", args=[task.pk])).status_code == 200
    assert client.post(reverse("activities:activity_delete", args=[task.pk])).status_code == 403


# --- timelines --------------------------------------------------------------------------------


def test_party_timeline_partial(client_sales, org, sales_member, party, contact, task):
    make_activity(org, sales_member.user, kind="note", subject="联系人备注", contact=contact)

    response = client_sales.get(reverse("activities:party_timeline", args=[party.pk]), headers=HTMX)

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="activity-timeline"' in content
    assert "<html" not in content
    assert content.count('data-testid="timeline-item"') == 2
    assert f"party={party.pk}" in content  # the "new" menu fills the customer in


def test_party_timeline_filters_by_kind_and_pages(client_sales, org, sales_member, party):
    bulk_activities(org, sales_member.user, 50, party=party)
    url = reverse("activities:party_timeline", args=[party.pk])

    calls = client_sales.get(url, {"kind": "call"}, headers=HTMX)
    first = client_sales.get(url, headers=HTMX)
    more = client_sales.get(url, {"cursor": _next_cursor(first)}, headers=HTMX)

    with scope(org=org.pk):
        call_ids = {
            str(pk) for pk in Activity.objects.filter(kind="call").values_list("pk", flat=True)
        }
    assert set(_items(calls)) == call_ids
    assert len(_items(first)) == 20
    assert 'id="activity-timeline"' not in more.content.decode()  # just the next items
    assert len(_items(more)) == 20
    assert set(_items(first)).isdisjoint(_items(more))


def test_party_timeline_as_a_page(client_sales, party, task):
    response = client_sales.get(reverse("activities:party_timeline", args=[party.pk]))

    assert response.status_code == 200
    assert "<html" in response.content.decode()


def test_contact_timeline(client_sales, org, sales_member, party, contact, task):
    make_activity(org, sales_member.user, kind="call", subject="打给王芳", contact=contact)

    response = client_sales.get(
        reverse("activities:contact_timeline", args=[contact.pk]), headers=HTMX
    )

    assert response.status_code == 200
    assert "打给王芳" in response.content.decode()
    assert "给华联报价" not in response.content.decode()
    assert len(_items(response)) == 1


def test_timelines_of_hidden_and_foreign_records_are_404(
    client_sales, other_party, foreign_party, foreign_contact
):
    hidden_contact = make_contact(other_party, "别人的联系人")

    for url in (
        reverse("activities:party_timeline", args=[other_party.pk]),
        reverse("activities:party_timeline", args=[foreign_party.pk]),
        reverse("activities:contact_timeline", args=[hidden_contact.pk]),
        reverse("activities:contact_timeline", args=[foreign_contact.pk]),
    ):
        assert client_sales.get(url, headers=HTMX).status_code == 404


def _queries(client, url, headers=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, headers=headers or {}).status_code == 200
    return len(queries)


def test_timeline_query_count_stays_flat(client_sales, org, sales_member, party, contact):
    url = reverse("activities:party_timeline", args=[party.pk])
    bulk_activities(org, sales_member.user, 2, party=party, contact=contact)
    client_sales.get(url, headers=HTMX)
    few = _queries(client_sales, url, HTMX)

    bulk_activities(org, sales_member.user, 40, party=party, contact=contact)

    assert _queries(client_sales, url, HTMX) == few
    assert few <= 9


# --- pickers -----------------------------------------------------------------------------------


def test_party_options_search_visible_customers_only(client_sales, party, contact, other_party):
    url = reverse("activities:party_options")

    found = client_sales.get(url, {"party_q": "华联"}, headers=HTMX)
    assert f'<option value="{contact.pk}">' in found.content.decode()  # out of band
    by_q = client_sales.get(url, {"q": "华联"}, headers=HTMX)
    hidden = client_sales.get(url, {"q": "深圳远景"}, headers=HTMX)

    assert found.status_code == 200
    assert f'value="{party.pk}"' in found.content.decode()
    assert f'value="{party.pk}"' in by_q.content.decode()
    assert f'value="{other_party.pk}"' not in hidden.content.decode()


def test_contact_options(client_sales, party, contact, other_party):
    hidden = make_contact(other_party, "别人的联系人")
    url = reverse("activities:contact_options")

    mine = client_sales.get(url, {"party": party.pk}, headers=HTMX).content.decode()
    kept = client_sales.get(url, {"party": party.pk, "contact": contact.pk}, headers=HTMX)
    theirs = client_sales.get(url, {"party": other_party.pk}, headers=HTMX).content.decode()
    bad = client_sales.get(url, {"party": "x"}, headers=HTMX)

    assert f'value="{contact.pk}"' in mine
    assert f'value="{contact.pk}" selected' in kept.content.decode()
    assert f'value="{hidden.pk}"' not in theirs
    assert bad.status_code == 200


# --- notifications ------------------------------------------------------------------------------


@pytest.fixture
def notifications(org, sales_member, admin_member, task):
    made = [
        notify(
            org_id=org.pk,
            user_id=sales_member.user_id,
            kind="reminder",
            title=f"提醒 {i}",
            dedupe_key=f"k{i}",
            url=f"/activities/{task.pk}/",
        )
        for i in range(3)
    ]
    notify(
        org_id=org.pk, user_id=admin_member.user_id, kind="info", title="not yours", dedupe_key="x"
    )
    return made


def test_notification_list_and_unread_filter(client_sales, notifications):
    everything = client_sales.get(reverse("activities:notification_list"))
    unread = client_sales.get(reverse("activities:notification_list"), {"show": "unread"})

    assert everything.status_code == 200
    assert len(everything.context["page"]) == 3
    assert everything.context["unread"] == 3
    assert "not yours" not in everything.content.decode()
    assert len(unread.context["page"]) == 3


def test_opening_a_notification_marks_it_read_and_follows_it(client_sales, notifications, task):
    response = client_sales.get(reverse("activities:notification_open", args=[notifications[0].pk]))

    assert response.status_code == 302
    assert response["Location"] == f"/activities/{task.pk}/"
    with scopes_disabled():
        assert Notification.objects.get(pk=notifications[0].pk).is_read is True


def test_notification_with_an_outside_link_stays_in_guanxi(client_sales, org, sales_member):
    bad = notify(
        org_id=org.pk,
        user_id=sales_member.user_id,
        kind="info",
        title="t",
        dedupe_key="evil",
        url="https://evil.example/",
    )

    response = client_sales.get(reverse("activities:notification_open", args=[bad.pk]))

    assert response["Location"] == reverse("activities:notification_list")


def test_mark_read_unread_and_all_read(client_sales, notifications):
    first = notifications[0]
    htmx = client_sales.post(
        reverse("activities:notification_read", args=[first.pk]), {"read": "1"}, headers=HTMX
    )
    assert htmx.status_code == 200
    assert 'data-read="1"' in htmx.content.decode()
    assert 'hx-swap-oob="true"' in htmx.content.decode()
    assert 'data-count="2"' in htmx.content.decode()
    assert htmx["HX-Trigger"] == "notifications-changed"

    client_sales.post(reverse("activities:notification_read", args=[first.pk]), {"read": "0"})
    with scopes_disabled():
        assert Notification.objects.get(pk=first.pk).is_read is False

    response = client_sales.post(reverse("activities:notification_mark_all_read"))
    assert response.status_code == 302
    with scopes_disabled():
        assert Notification.objects.filter(user=first.user, is_read=False).count() == 0
        assert Notification.objects.filter(is_read=False).count() == 1  # the admin's


def test_another_members_notification_is_404(client_sales, admin_member, org):
    theirs = notify(
        org_id=org.pk, user_id=admin_member.user_id, kind="info", title="t", dedupe_key="t"
    )

    assert (
        client_sales.get(reverse("activities:notification_open", args=[theirs.pk])).status_code
        == 404
    )
    assert (
        client_sales.post(reverse("activities:notification_read", args=[theirs.pk])).status_code
        == 404
    )


def test_badge_counts_unread(client_sales, notifications):
    response = client_sales.get(reverse("activities:notification_badge"), headers=HTMX)

    assert response.status_code == 200
    assert 'data-count="3"' in response.content.decode()


def test_notification_list_query_count_stays_flat(client_sales, org, sales_member):
    url = reverse("activities:notification_list")
    for i in range(2):
        notify(
            org_id=org.pk,
            user_id=sales_member.user_id,
            kind="info",
            title=f"{i}",
            dedupe_key=f"a{i}",
        )
    client_sales.get(url)
    few = _queries(client_sales, url)
    for i in range(30):
        notify(
            org_id=org.pk,
            user_id=sales_member.user_id,
            kind="info",
            title=f"{i}",
            dedupe_key=f"b{i}",
        )

    assert _queries(client_sales, url) == few


def test_header_has_the_bell_and_the_new_menu(client_sales, client_readonly):
    home = client_sales.get(reverse("web:home")).content.decode()
    readonly_home = client_readonly.get(reverse("web:home")).content.decode()

    assert 'data-testid="notification-bell"' in home
    assert 'data-testid="new-activity-menu"' in home
    assert reverse("activities:notification_badge") in home
    assert 'data-testid="notification-bell"' in readonly_home
    assert 'data-testid="new-activity-menu"' not in readonly_home


def test_header_adds_no_query_to_pages(client_sales, settings):
    # The badge loads itself (htmx); the rest of the header reads the member's role only.
    url = reverse("web:home")
    client_sales.get(url)
    with_header = _queries(client_sales, url)
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "context_processors": [
                    p
                    for p in settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
                    if "activities" not in p
                ],
            },
        }
    ]

    assert _queries(client_sales, url) == with_header


def test_nav_has_activities(client_sales):
    response = client_sales.get(reverse("web:home"))

    assert any(e.key == "activities" for e in response.context["nav_main"])
    assert any(e.key == "notification_preferences" for e in response.context["nav_settings"])


def test_preferences(client_sales, org, sales_member):
    url = reverse("activities:notification_preferences")
    assert client_sales.get(url).context["form"].initial["email_reminders"] is False

    response = client_sales.post(url, {"email_reminders": "on"})

    assert response.status_code == 302
    assert client_sales.get(url).context["form"].initial["email_reminders"] is True


def test_preferences_warn_without_an_email_address(client_sales, sales_member):
    with scopes_disabled():
        sales_member.user.email = ""
        sales_member.user.save()

    response = client_sales.get(reverse("activities:notification_preferences"))

    assert 'data-testid="no-email"' in response.content.decode()


def test_anonymous_visitors_sign_in_first(client, task):
    for name, args in (
        ("activities:activity_list", []),
        ("activities:activity_detail", [task.pk]),
        ("activities:notification_list", []),
        ("activities:notification_badge", []),
    ):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302
        assert "/accounts/login" in response["Location"]
