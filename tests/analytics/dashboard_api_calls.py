"""Calls of the dashboard API for tests/api/test_schema.py: each answers as documented."""

from __future__ import annotations

from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership
from tests.api.conftest import API


def dashboard_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    with scopes_disabled():
        sales = Membership.objects.filter(org=org, role__code="sales").first()
        admin = Membership.objects.filter(org=org, role__code="admin").first()
    custom = "period=custom&start=2026-01-01&end=2026-03-31"
    person = "/analytics/people/{user_id}"
    return [
        ("get", "/analytics/dashboard", sales_api, f"{API}/analytics/dashboard", None, 200),
        (
            "get",
            "/analytics/dashboard",
            admin_api,
            f"{API}/analytics/dashboard?{custom}",
            None,
            200,
        ),
        (
            "get",
            "/analytics/dashboard",
            admin_api,
            f"{API}/analytics/dashboard?period=custom&start=2026-03-01&end=2026-01-01",
            None,
            422,
        ),
        (
            "get",
            "/analytics/dashboard",
            admin_api,
            f"{API}/analytics/dashboard?period=fortnight",
            None,
            422,
        ),
        ("get", person, sales_api, f"{API}/analytics/people/{sales.user_id}", None, 200),
        ("get", person, sales_api, f"{API}/analytics/people/{admin.user_id}", None, 404),
        (
            "get",
            person,
            admin_api,
            f"{API}/analytics/people/{sales.user_id}?period=year",
            None,
            200,
        ),
        ("get", person, admin_api, f"{API}/analytics/people/999999", None, 404),
    ]
