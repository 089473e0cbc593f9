"""Calls of the report designer API for tests/api/test_schema.py: each answers as documented.

Run in order: later calls depend on the rows earlier ones create or change.
"""

from __future__ import annotations

from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership
from guanxi.analytics.reports import services
from tests.api.conftest import API

R = f"{API}/analytics/reports"
BY_CUSTOMER = {
    "object": "sales_lines",
    "group_by": [{"field": "customer"}],
    "aggregates": [{"func": "sum", "field": "net"}, {"func": "count"}],
    "chart": "bar",
}


def reports_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    with scopes_disabled():
        admin = Membership.objects.filter(org=org, role__code="admin").first()
        stranger = Membership.objects.filter(org=other_org).first()
    mine = services.create_report(
        admin, definition=BY_CUSTOMER, data={"name": "接口报表", "sharing": "org"}
    )
    spare = services.create_report(
        admin, definition={"object": "customers", "columns": ["name"]}, data={"name": "要删的"}
    )
    theirs = (
        services.create_report(
            stranger, definition={"object": "customers", "columns": ["name"]}, data={"name": "别家"}
        )
        if stranger is not None
        else spare
    )
    m, s, t = mine.pk, spare.pk, theirs.pk
    body = {"name": "接口新报表", "sharing": "private", "definition": BY_CUSTOMER}
    bad = {"name": "", "definition": {"object": "customers", "columns": ["owner__password"]}}
    return [
        ("get", "/analytics/reports/objects", sales_api, f"{R}/objects", None, 200),
        ("get", "/analytics/reports", sales_api, R, None, 200),
        ("post", "/analytics/reports", admin_api, R, body, 201),
        ("post", "/analytics/reports", admin_api, R, bad, 422),
        ("get", "/analytics/reports/{id}", sales_api, f"{R}/{m}", None, 200),
        ("get", "/analytics/reports/{id}", admin_api, f"{R}/{t}", None, 404),
        (
            "put",
            "/analytics/reports/{id}",
            admin_api,
            f"{R}/{m}",
            {**body, "sharing": "org", "version": 1},
            200,
        ),
        ("put", "/analytics/reports/{id}", admin_api, f"{R}/{m}", {**body, "version": 1}, 409),
        ("put", "/analytics/reports/{id}", admin_api, f"{R}/{m}", {**bad, "version": 2}, 422),
        ("put", "/analytics/reports/{id}", admin_api, f"{R}/999999", {**body, "version": 1}, 404),
        ("post", "/analytics/reports/run", sales_api, f"{R}/run", {"definition": BY_CUSTOMER}, 200),
        (
            "post",
            "/analytics/reports/run",
            sales_api,
            f"{R}/run",
            {"definition": bad["definition"]},
            422,
        ),
        ("post", "/analytics/reports/{id}/run", sales_api, f"{R}/{m}/run", {"limit": 10}, 200),
        ("post", "/analytics/reports/{id}/run", sales_api, f"{R}/{m}/run", {"limit": 0}, 422),
        ("post", "/analytics/reports/{id}/run", sales_api, f"{R}/{t}/run", {}, 404),
        (
            "get",
            "/analytics/reports/{id}/export",
            admin_api,
            f"{R}/{m}/export?format=xlsx",
            None,
            200,
        ),
        (
            "get",
            "/analytics/reports/{id}/export",
            admin_api,
            f"{R}/{m}/export?format=pdf",
            None,
            422,
        ),
        (
            "get",
            "/analytics/reports/{id}/export",
            sales_api,
            f"{R}/{m}/export?format=csv",
            None,
            403,
        ),
        ("get", "/analytics/reports/{id}/export", admin_api, f"{R}/{t}/export", None, 404),
        ("delete", "/analytics/reports/{id}", admin_api, f"{R}/{s}", None, 204),
        ("delete", "/analytics/reports/{id}", admin_api, f"{R}/{s}", None, 404),
    ]
