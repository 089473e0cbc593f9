"""Calls of the customer-metrics API for tests/api/test_schema.py: each answers as documented.

Run in order: later calls depend on the rows earlier ones create or change.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership
from guanxi.analytics.metrics_services import refresh_now
from guanxi.analytics.models import MetricsRun
from tests.analytics.metrics_fixtures import AS_OF, build_dataset
from tests.api.conftest import API


def metrics_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    with scopes_disabled():
        admin = Membership.objects.filter(org=org, role__code="admin").first().user
        sales = Membership.objects.filter(org=org, role__code="sales").first().user
        foreign_run = MetricsRun.objects.create(org=other_org)
        own_run = MetricsRun.objects.create(org=org)
    parties = build_dataset(org, owner=admin, other_owner=sales)
    refresh_now(org, as_of=AS_OF, with_clv=False)
    a, c = parties["A"].pk, parties["C"].pk
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    return [
        ("get", "/analytics/metrics", admin_api, f"{API}/analytics/metrics?tier=vip", None, 200),
        ("get", "/analytics/metrics", sales_api, f"{API}/analytics/metrics?limit=1", None, 200),
        ("get", "/analytics/metrics", admin_api, f"{API}/analytics/metrics?stage=x", None, 422),
        ("get", "/analytics/metrics", admin_api, f"{API}/analytics/metrics?cursor=bad", None, 400),
        (
            "get",
            "/analytics/metrics/customers/{customer_id}",
            admin_api,
            f"{API}/analytics/metrics/customers/{a}",
            None,
            200,
        ),
        (
            "get",
            "/analytics/metrics/customers/{customer_id}",
            sales_api,
            f"{API}/analytics/metrics/customers/{a}",
            None,
            404,
        ),
        ("get", "/analytics/churn-risk", sales_api, f"{API}/analytics/churn-risk", None, 200),
        (
            "get",
            "/analytics/churn-risk",
            admin_api,
            f"{API}/analytics/churn-risk?tier=x",
            None,
            422,
        ),
        (
            "post",
            "/analytics/churn-risk/plan-visits",
            admin_api,
            f"{API}/analytics/churn-risk/plan-visits",
            {"customer_ids": [c], "due_date": tomorrow, "note": "回访"},
            201,
        ),
        (
            "post",
            "/analytics/churn-risk/plan-visits",
            sales_api,
            f"{API}/analytics/churn-risk/plan-visits",
            {"customer_ids": [a], "due_date": "2000-01-01"},
            422,
        ),
        (
            "get",
            "/analytics/metrics/settings",
            sales_api,
            f"{API}/analytics/metrics/settings",
            None,
            200,
        ),
        (
            "put",
            "/analytics/metrics/settings",
            admin_api,
            f"{API}/analytics/metrics/settings",
            {"lapse_days": 150, "churn_threshold": 0.4},
            200,
        ),
        (
            "put",
            "/analytics/metrics/settings",
            admin_api,
            f"{API}/analytics/metrics/settings",
            {"tier_vip_percent": "90"},
            422,
        ),
        (
            "put",
            "/analytics/metrics/settings",
            sales_api,
            f"{API}/analytics/metrics/settings",
            {"lapse_days": 100},
            403,
        ),
        (
            "post",
            "/analytics/metrics/refresh",
            admin_api,
            f"{API}/analytics/metrics/refresh",
            None,
            202,
        ),
        (
            "post",
            "/analytics/metrics/refresh",
            sales_api,
            f"{API}/analytics/metrics/refresh",
            None,
            403,
        ),
        (
            "get",
            "/analytics/metrics/runs/{run_id}",
            admin_api,
            f"{API}/analytics/metrics/runs/{own_run.pk}",
            None,
            200,
        ),
        (
            "get",
            "/analytics/metrics/runs/{run_id}",
            admin_api,
            f"{API}/analytics/metrics/runs/{foreign_run.pk}",
            None,
            404,
        ),
    ]


__all__ = ["metrics_calls"]
