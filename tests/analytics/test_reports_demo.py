"""The report designer's demo seeder: the ready-made reports and one shared grouped
report, idempotent; names in the organisation's language."""

from __future__ import annotations

import pytest
from django_scopes import scope

from guanxi.analytics.reports.demo import seed_reports
from guanxi.analytics.reports.models import SavedReport
from guanxi.core.demo import DemoContext, demo_seeders

pytestmark = pytest.mark.django_db


def test_seeder_is_registered_after_finance():
    orders = {s.name: s.order for s in demo_seeders()}
    assert orders["reports"] == 90 > orders.get("finance", 0)


def test_seed_twice_leaves_the_same_reports(org, admin_member):
    ctx = DemoContext(org=org, users={"boss": admin_member.user}, log=lambda _m: None)
    seed_reports(ctx)
    seed_reports(ctx)
    with scope(org=org.pk):
        reports = list(SavedReport.objects.all())
    assert len([r for r in reports if r.builtin_key]) == 8
    assert len([r for r in reports if not r.builtin_key]) == 1
    names = {r.builtin_key: r.name for r in reports}
    assert all(names.values())
