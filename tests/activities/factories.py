"""Rows for the activity tests: customers and contacts through the parties services,
activities through the activities service (or in bulk, for query-count tests)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django_scopes import scope, scopes_disabled

from guanxi.activities.models import Activity
from guanxi.activities.services import create_activity
from guanxi.parties.services import create_contact, create_party


def make_party(org, owner=None, name: str = "上海华联贸易有限公司", **data: Any):
    data.setdefault("name", name)
    if owner is not None:
        data.setdefault("owner", owner)
    return create_party(org=org, actor=owner, data=data)


def make_contact(party, name: str = "王芳", **data: Any):
    return create_contact(party=party, actor=None, data={"name": name, **data})


def make_activity(org, actor, kind: str = Activity.Kind.TASK, **data: Any) -> Activity:
    data.setdefault("subject", f"{kind} subject")
    if kind == Activity.Kind.MEETING:
        data.setdefault("start_at", timezone.now() + datetime.timedelta(days=1))
    if kind == Activity.Kind.EXPENSE:
        data.setdefault("amount", "100.00")
        data.setdefault("expense_category", Activity.ExpenseCategory.TRAVEL)
    if kind == Activity.Kind.CARE:
        data.setdefault("care_type", Activity.CareType.FESTIVAL)
    return create_activity(org=org, actor=actor, data={"kind": kind, **data})


def bulk_activities(org, owner, count: int, *, party=None, contact=None) -> None:
    """Many activities at once (no history), for lists that must not grow in queries."""
    now = timezone.now()
    kinds = list(Activity.Kind.values)
    rows = [
        Activity(
            org=org,
            kind=kinds[i % len(kinds)],
            subject=f"活动 {i}",
            party=party,
            contact=contact,
            owner=owner,
            status=Activity.Status.PLANNED if i % 2 else Activity.Status.DONE,
            start_at=now - datetime.timedelta(hours=i),
            timeline_at=now - datetime.timedelta(hours=i),
            due_at=now + datetime.timedelta(hours=i) if kinds[i % len(kinds)] == "task" else None,
            amount=10 if kinds[i % len(kinds)] == "expense" else None,
            currency="CNY",
        )
        for i in range(count)
    ]
    with scope(org=org.pk):
        Activity.objects.bulk_create(rows)


def count_activities(org) -> int:
    with scopes_disabled():
        return Activity.all_objects.filter(org=org).count()
