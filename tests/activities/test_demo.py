"""The demo seeder: a year of activities when there are customers, nothing when there are none."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_scopes import scope, scopes_disabled

from guanxi.activities.demo import seed_activities
from guanxi.activities.models import Activity
from guanxi.core.demo import DemoContext, demo_seeders
from guanxi.parties.models import Party
from tests.activities.factories import make_contact, make_party


def _context(org, sales_member, admin_member, log):
    return DemoContext(
        org=org, users={"sales1": sales_member.user, "admin": admin_member.user}, log=log.append
    )


def test_seeder_runs_after_the_customers():
    orders = {seeder.name: seeder.order for seeder in demo_seeders()}

    assert orders["activities.timeline"] == 40
    assert orders["activities.timeline"] > orders.get("parties.customers", 20)


def test_no_customers_no_activities(org, sales_member, admin_member):
    log: list[str] = []

    with scope(org=org.pk):
        seed_activities(_context(org, sales_member, admin_member, log))
        assert Activity.all_objects.count() == 0

    assert log == ["no customers yet: no demo activities"]


def test_a_year_of_activities_consistent_with_the_last_contact(org, sales_member, admin_member):
    last_contact = timezone.now() - datetime.timedelta(days=20)
    customers = [make_party(org, sales_member.user, name=f"演示客户{i}") for i in range(6)]
    pool = make_party(org, None, name="公海客户")
    for party in customers:
        make_contact(party, "联系人")
    with scopes_disabled():
        Party.objects.filter(pk__in=[p.pk for p in customers]).update(last_contact_at=last_contact)
        Party.objects.filter(pk=pool.pk).update(owner=None)
    log: list[str] = []

    with scope(org=org.pk):
        seed_activities(_context(org, sales_member, admin_member, log))
        activities = list(Activity.objects.all())
        seed_activities(_context(org, sales_member, admin_member, log))  # idempotent
        assert Activity.objects.count() == len(activities)
        latest_contact = {
            p.pk: p.last_contact_at for p in Party.objects.filter(pk__in=[c.pk for c in customers])
        }

    assert len(activities) >= 6 * 4
    assert {a.kind for a in activities} >= {"call", "contact_record", "note", "expense"}
    year_ago = timezone.now() - datetime.timedelta(days=366)
    assert all(a.timeline_at > year_ago for a in activities)
    contacts = [a for a in activities if a.kind in Activity.CONTACT_KINDS and a.status == "done"]
    assert all(a.timeline_at <= last_contact for a in contacts if a.party_id != pool.pk)
    assert set(latest_contact.values()) == {last_contact}  # untouched
    assert all(a.amount >= 0 for a in activities if a.kind == "expense")
    assert all(a.history.count() == 1 for a in activities[:5])
    assert log[-1] == "demo activities already there"
