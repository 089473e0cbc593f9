"""Calls of the activities API for tests/api/test_schema.py: each answers as documented.

Run in order: later calls depend on the rows earlier ones create or change.
"""

from __future__ import annotations

import datetime

from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership
from guanxi.activities.services import notify
from tests.activities.factories import make_activity, make_party
from tests.api.conftest import API

DUE = datetime.datetime(2030, 1, 1, 1, 0, tzinfo=datetime.UTC)


def activity_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    with scopes_disabled():
        sales = Membership.objects.filter(org=org, role__code="sales").first().user
        stranger = Membership.objects.filter(org=other_org).first().user
    party = make_party(org, sales, name="接口客户")
    task = make_activity(org, sales, subject="接口任务", party=party, due_at=DUE)
    spare = make_activity(org, sales, subject="要删的", party=party)
    theirs = make_activity(other_org, stranger, subject="别家的")
    note = notify(org_id=org.pk, user_id=sales.pk, kind="info", title="通知", dedupe_key="api")
    a, s = task.pk, spare.pk
    new = {"kind": "call", "subject": "接口电话", "party_id": party.pk, "direction": "out"}
    return [
        ("get", "/activities", sales_api, f"{API}/activities?party={party.pk}", None, 200),
        ("get", "/activities", admin_api, f"{API}/activities?kind=x", None, 422),
        ("get", "/activities", admin_api, f"{API}/activities?cursor=bad", None, 400),
        ("get", "/activities/{id}", sales_api, f"{API}/activities/{a}", None, 200),
        ("get", "/activities/{id}", admin_api, f"{API}/activities/{theirs.pk}", None, 404),
        ("post", "/activities", sales_api, f"{API}/activities", new, 201),
        ("post", "/activities", sales_api, f"{API}/activities", {"kind": "task"}, 422),
        (
            "post",
            "/activities",
            admin_api,
            f"{API}/activities",
            {"kind": "expense", "subject": "x", "amount": "-1"},
            422,
        ),
        (
            "patch",
            "/activities/{id}",
            sales_api,
            f"{API}/activities/{a}",
            {"version": 1, "subject": "接口任务（改）"},
            200,
        ),
        (
            "patch",
            "/activities/{id}",
            sales_api,
            f"{API}/activities/{a}",
            {"version": 1, "subject": "Stale"},
            409,
        ),
        ("post", "/activities/{id}/complete", sales_api, f"{API}/activities/{a}/complete", {}, 200),
        ("post", "/activities/{id}/cancel", sales_api, f"{API}/activities/{a}/cancel", None, 400),
        ("post", "/activities/{id}/cancel", sales_api, f"{API}/activities/{s}/cancel", None, 200),
        ("delete", "/activities/{id}", sales_api, f"{API}/activities/{s}", None, 204),
        ("delete", "/activities/{id}", sales_api, f"{API}/activities/{s}", None, 404),
        ("get", "/notifications", sales_api, f"{API}/notifications?unread=true", None, 200),
        (
            "post",
            "/notifications/{id}/read",
            sales_api,
            f"{API}/notifications/{note.pk}/read",
            {"read": True},
            200,
        ),
        (
            "post",
            "/notifications/{id}/read",
            admin_api,
            f"{API}/notifications/{note.pk}/read",
            {},
            404,
        ),
        ("post", "/notifications/read-all", admin_api, f"{API}/notifications/read-all", None, 200),
    ]
