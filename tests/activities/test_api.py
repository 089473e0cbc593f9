"""The activities API: list with filters and cursors, get, create, update, delete,
complete, cancel; notifications. Same rules as the pages."""

from __future__ import annotations

import datetime

import pytest
from django_scopes import scopes_disabled

from guanxi.activities.models import Activity, Notification
from guanxi.activities.services import notify
from guanxi.parties.models import Party
from tests.activities.factories import bulk_activities, make_activity, make_contact
from tests.api.conftest import API, issue_token, token_client


@pytest.fixture
def sales_api(sales_member):
    return token_client(issue_token(sales_member))


@pytest.fixture
def admin_api(admin_member):
    return token_client(issue_token(admin_member))


@pytest.fixture
def readonly_api(readonly_member):
    return token_client(issue_token(readonly_member))


@pytest.fixture
def task(org, sales_member, party):
    return make_activity(
        org,
        sales_member.user,
        subject="给华联报价",
        party=party,
        due_at=datetime.datetime(2030, 1, 1, 1, 0, tzinfo=datetime.UTC),
    )


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def _patch(client, url, body):
    return client.patch(url, body, content_type="application/json")


def _errors(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def _stored(pk) -> Activity:
    with scopes_disabled():
        return Activity.all_objects.get(pk=pk)


# --- list and get --------------------------------------------------------------------------


def test_get_describes_the_activity(sales_api, task, party, sales_member):
    response = sales_api.get(f"{API}/activities/{task.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["subject"] == "给华联报价"
    assert body["kind"] == "task"
    assert body["status"] == "planned"
    assert body["party"] == {"id": party.pk, "name": party.name}
    assert body["owner"]["username"] == "sales"
    assert body["due_at"] == "2030-01-01T01:00:00Z"
    assert body["version"] == 1


def test_list_filters(sales_api, org, sales_member, party, contact, task):
    call = make_activity(org, sales_member.user, kind="call", party=party, contact=contact)
    url = f"{API}/activities"

    def ids(**params):
        response = sales_api.get(url, params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [task.pk, call.pk]  # newest first: the task is due in 2030
    assert ids(kind="call") == [call.pk]
    assert ids(contact=contact.pk) == [call.pk]
    assert ids(party=party.pk, status="planned") == [task.pk]
    assert ids(owner=sales_member.user_id) == [task.pk, call.pk]
    assert ids(date_from="2029-12-31", date_to="2030-01-01") == [task.pk]
    assert ids(q="华联") == [task.pk]


def test_list_pages_by_cursor(sales_api, org, sales_member):
    bulk_activities(org, sales_member.user, 7)

    first = sales_api.get(f"{API}/activities", {"limit": 5}).json()
    second = sales_api.get(f"{API}/activities", {"limit": 5, "cursor": first["next_cursor"]}).json()

    assert len(first["items"]) == 5
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None


def test_list_shows_only_what_the_caller_may_see(
    sales_api, org, other_sales_member, other_party, task
):
    make_activity(org, other_sales_member.user, subject="别人的", party=other_party)

    items = sales_api.get(f"{API}/activities").json()["items"]

    assert [item["subject"] for item in items] == ["给华联报价"]


def test_list_query_count_stays_flat(sales_api, org, sales_member, party, contact):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bulk_activities(org, sales_member.user, 2, party=party, contact=contact)
    sales_api.get(f"{API}/activities")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        sales_api.get(f"{API}/activities")
    bulk_activities(org, sales_member.user, 60, party=party, contact=contact)
    with CaptureQueriesContext(connection) as many:
        sales_api.get(f"{API}/activities")

    assert len(many) == len(few) <= 4


def test_hidden_and_foreign_activities_are_404(
    sales_api, org, other_org, other_sales_member, other_party, foreign_member
):
    hidden = make_activity(org, other_sales_member.user, party=other_party)
    foreign = make_activity(other_org, foreign_member.user)

    for activity in (hidden, foreign):
        assert sales_api.get(f"{API}/activities/{activity.pk}").status_code == 404
        assert (
            _patch(sales_api, f"{API}/activities/{activity.pk}", {"version": 1}).status_code == 404
        )
        assert _post(sales_api, f"{API}/activities/{activity.pk}/complete").status_code == 404
        assert sales_api.delete(f"{API}/activities/{activity.pk}").status_code == 404
    assert _stored(hidden.pk).status == Activity.Status.PLANNED


# --- create ----------------------------------------------------------------------------------


def test_create_a_call_updates_the_customers_last_contact(sales_api, org, party, contact):
    response = _post(
        sales_api,
        f"{API}/activities",
        {
            "kind": "call",
            "subject": "电话回访",
            "party_id": party.pk,
            "contact_id": contact.pk,
            "direction": "in",
            "outcome": "满意",
            "start_at": "2025-06-10T10:00",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "done"
    assert body["start_at"] == "2025-06-10T02:00:00Z"  # 10:00 in the organisation's zone
    assert body["contact"]["id"] == contact.pk
    with scopes_disabled():
        assert Party.objects.get(pk=party.pk).last_contact_at is not None


def test_create_an_expense(sales_api, party):
    response = _post(
        sales_api,
        f"{API}/activities",
        {
            "kind": "expense",
            "subject": "请客户吃饭",
            "party_id": party.pk,
            "amount": "356.50",
            "expense_category": "entertainment",
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "356.50"
    assert response.json()["currency"] == "CNY"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "task"}, "subject"),
        ({"kind": "task", "subject": "   "}, "subject"),
        ({"kind": "nope", "subject": "x"}, "kind"),
        (
            {"kind": "expense", "subject": "x", "amount": "-1", "expense_category": "travel"},
            "amount",
        ),
        (
            {"kind": "expense", "subject": "x", "amount": "1.999", "expense_category": "travel"},
            "amount",
        ),
        ({"kind": "expense", "subject": "x", "expense_category": "travel"}, "amount"),
        ({"kind": "meeting", "subject": "x"}, "start_at"),
        (
            {
                "kind": "meeting",
                "subject": "x",
                "start_at": "2030-01-01T10:00",
                "end_at": "2030-01-01T09:00",
            },
            "end_at",
        ),
        ({"kind": "task", "subject": "x", "due_at": "yesterday"}, "due_at"),
        ({"kind": "task", "subject": "x", "owner_id": 999999}, "owner_id"),
        ({"kind": "task", "subject": "x", "party_id": 999999}, "party_id"),
        ({"kind": "task", "subject": "x" * 201}, "subject"),
    ],
)
def test_create_bad_input_is_422_with_field_errors(sales_api, org, body, field):
    response = _post(sales_api, f"{API}/activities", body)

    assert response.status_code == 422, response.content
    assert field in _errors(response)
    with scopes_disabled():
        assert Activity.all_objects.filter(org=org).count() == 0


def test_create_refuses_hidden_and_foreign_references(
    sales_api, org, other_party, foreign_party, foreign_contact, foreign_member
):
    response = _post(
        sales_api,
        f"{API}/activities",
        {
            "kind": "note",
            "subject": "x",
            "party_id": foreign_party.pk,
            "contact_id": foreign_contact.pk,
            "owner_id": foreign_member.user_id,
        },
    )
    hidden = _post(
        sales_api, f"{API}/activities", {"kind": "note", "subject": "x", "party_id": other_party.pk}
    )

    assert response.status_code == 422
    assert set(_errors(response)) == {"party_id", "contact_id"}
    assert hidden.status_code == 422
    assert _errors(hidden) == {"party_id": "Choose a customer you may see."}


def test_create_refuses_an_owner_of_another_organisation(sales_api, foreign_member):
    response = _post(
        sales_api,
        f"{API}/activities",
        {"kind": "task", "subject": "x", "owner_id": foreign_member.user_id},
    )

    assert response.status_code == 422
    assert "owner_id" in _errors(response)


def test_create_refuses_a_contact_of_another_customer(sales_api, org, sales_member, party):
    second = make_contact(party, "同公司的人")
    with scopes_disabled():
        other = Party.objects.create(
            org=org, name="另一个", short_name="另一个", owner=sales_member.user
        )

    response = _post(
        sales_api,
        f"{API}/activities",
        {"kind": "note", "subject": "x", "party_id": other.pk, "contact_id": second.pk},
    )

    assert response.status_code == 422
    assert _errors(response) == {"contact_id": "This contact does not belong to the customer."}


def test_read_only_member_may_read_but_not_write(readonly_api, task):
    assert readonly_api.get(f"{API}/activities/{task.pk}").status_code == 200
    assert (
        _post(readonly_api, f"{API}/activities", {"kind": "task", "subject": "x"}).status_code
        == 403
    )
    assert _patch(readonly_api, f"{API}/activities/{task.pk}", {"version": 1}).status_code == 403
    assert readonly_api.delete(f"{API}/activities/{task.pk}").status_code == 403


# --- update, complete, cancel, delete ------------------------------------------------------


def test_patch_changes_what_is_sent_and_bumps_the_version(sales_api, task):
    response = _patch(
        sales_api,
        f"{API}/activities/{task.pk}",
        {"version": 1, "priority": "high", "body": "带样品"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["priority"], body["body"], body["subject"], body["version"]) == (
        "high",
        "带样品",
        "给华联报价",
        2,
    )


def test_stale_patch_is_409_and_changes_nothing(sales_api, task):
    _patch(sales_api, f"{API}/activities/{task.pk}", {"version": 1, "subject": "A"})

    response = _patch(sales_api, f"{API}/activities/{task.pk}", {"version": 1, "subject": "B"})

    assert response.status_code == 409
    assert response.json()["code"] == "stale_edit"
    assert _stored(task.pk).subject == "A"


def test_patch_can_clear_the_customer(sales_api, task):
    response = _patch(sales_api, f"{API}/activities/{task.pk}", {"version": 1, "party_id": None})

    assert response.status_code == 200
    assert response.json()["party"] is None


def test_complete_and_cancel(sales_api, org, sales_member, task):
    done = _post(sales_api, f"{API}/activities/{task.pk}/complete", {"outcome": "已报价"})
    refused = _post(sales_api, f"{API}/activities/{task.pk}/cancel")
    other = make_activity(org, sales_member.user)
    cancelled = _post(sales_api, f"{API}/activities/{other.pk}/cancel")
    bare = _post(sales_api, f"{API}/activities/{other.pk}/complete")

    assert done.status_code == 200
    assert (done.json()["status"], done.json()["outcome"]) == ("done", "已报价")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_activity"
    assert cancelled.json()["status"] == "cancelled"
    assert bare.status_code == 200


def test_delete_moves_to_the_recycle_bin(sales_api, task):
    response = sales_api.delete(f"{API}/activities/{task.pk}")

    assert response.status_code == 204
    assert _stored(task.pk).deleted_at is not None
    assert sales_api.get(f"{API}/activities/{task.pk}").status_code == 404


# --- notifications ----------------------------------------------------------------------------


def test_notifications_are_the_callers_own(sales_api, org, sales_member, admin_member):
    mine = [
        notify(
            org_id=org.pk,
            user_id=sales_member.user_id,
            kind="reminder",
            title=f"{i}",
            dedupe_key=f"{i}",
        )
        for i in range(3)
    ]
    theirs = notify(
        org_id=org.pk, user_id=admin_member.user_id, kind="info", title="x", dedupe_key="x"
    )

    listed = sales_api.get(f"{API}/notifications").json()["items"]
    read = _post(sales_api, f"{API}/notifications/{mine[0].pk}/read")
    unread = sales_api.get(f"{API}/notifications", {"unread": "true"}).json()["items"]
    again_unread = _post(sales_api, f"{API}/notifications/{mine[0].pk}/read", {"read": False})
    forbidden = _post(sales_api, f"{API}/notifications/{theirs.pk}/read")
    all_read = _post(sales_api, f"{API}/notifications/read-all")

    assert [n["id"] for n in listed] == [n.pk for n in reversed(mine)]
    assert read.json()["is_read"] is True
    assert len(unread) == 2
    assert again_unread.json()["is_read"] is False
    assert forbidden.status_code == 404
    assert all_read.json() == {"updated": 3}
    with scopes_disabled():
        assert Notification.objects.get(pk=theirs.pk).is_read is False


def test_create_on_an_opportunity_puts_it_on_the_customers_timeline(
    sales_api, org, sales_member, party
):
    from tests.sales.pipeline_factories import make_opportunity

    with scopes_disabled():
        opp = make_opportunity(org, sales_member.user, party=party, name="年度采购")
        other = Party.objects.create(
            org=org, name="另一个", short_name="另一个", owner=sales_member.user
        )
    response = _post(
        sales_api,
        f"{API}/activities",
        {"kind": "note", "subject": "报价思路", "opportunity_id": opp.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["opportunity"] == {"id": opp.pk, "name": "年度采购"}
    assert body["party"]["id"] == party.pk
    # another customer's deal, or one the caller may not see, is refused with nothing saved
    before = _count_activities(org)
    response = _post(
        sales_api,
        f"{API}/activities",
        {"kind": "note", "subject": "x", "party_id": other.pk, "opportunity_id": opp.pk},
    )
    assert response.status_code == 422
    assert _errors(response) == {"opportunity_id": "This opportunity is not one of the customer's."}
    response = _post(
        sales_api, f"{API}/activities", {"kind": "note", "subject": "x", "opportunity_id": 999999}
    )
    assert response.status_code == 422
    assert _errors(response) == {"opportunity_id": "Choose an opportunity you may see."}
    assert _count_activities(org) == before


def _count_activities(org):
    with scopes_disabled():
        return Activity.objects.filter(org=org).count()
