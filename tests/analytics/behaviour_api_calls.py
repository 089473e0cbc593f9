"""Calls of the behavioural types API for tests/api/test_schema.py."""

from __future__ import annotations

from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership
from tests.api.conftest import API
from tests.sales.pipeline_factories import make_customer


def behaviour_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    with scopes_disabled():
        sales = Membership.objects.filter(org=org, role__code="sales").first().user
        admin = Membership.objects.filter(org=org, role__code="admin").first().user
    mine = make_customer(org, sales, name="类型接口客户")
    boss = make_customer(org, admin, name="老板的类型客户")
    theirs = make_customer(other_org, None, name="别家类型客户")
    one = "/parties/{id}/behaviour-types"
    return [
        (
            "get",
            "/analytics/behaviour-types",
            sales_api,
            f"{API}/analytics/behaviour-types",
            None,
            200,
        ),
        ("get", one, sales_api, f"{API}/parties/{mine.pk}/behaviour-types", None, 200),
        ("get", one, sales_api, f"{API}/parties/{boss.pk}/behaviour-types", None, 404),
        ("get", one, admin_api, f"{API}/parties/{theirs.pk}/behaviour-types", None, 404),
        (
            "put",
            one,
            sales_api,
            f"{API}/parties/{mine.pk}/behaviour-types",
            {"types": ["rational", "relationship"]},
            200,
        ),
        (
            "put",
            one,
            sales_api,
            f"{API}/parties/{mine.pk}/behaviour-types",
            {"types": ["rational", "bogus"]},
            422,
        ),
        ("put", one, sales_api, f"{API}/parties/{mine.pk}/behaviour-types", {"types": 3}, 422),
        (
            "put",
            one,
            sales_api,
            f"{API}/parties/{boss.pk}/behaviour-types",
            {"types": ["rational"]},
            404,
        ),
        ("put", one, admin_api, f"{API}/parties/{mine.pk}/behaviour-types", {"types": []}, 200),
    ]
