"""Calls of the pipeline API for tests/api/test_schema.py: each answers as documented.

Run in order: later calls depend on the rows earlier ones create or change.
"""

from __future__ import annotations

from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership, Team
from guanxi.sales.models import Lead, Opportunity, SalesTarget
from tests.api.conftest import API
from tests.sales.pipeline_factories import (
    make_customer,
    make_lead,
    make_opportunity,
    make_product,
    stage,
)


def pipeline_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    with scopes_disabled():
        sales = Membership.objects.filter(org=org, role__code="sales").first().user
        stranger = Membership.objects.filter(org=other_org).first()
        team = Team.objects.filter(org=org).first()
    party = make_customer(org, sales, name="接口机会客户")
    product = make_product(org, code="PIPE-API-1", name="接口产品", price="100")
    lead = make_lead(org, sales, title="接口线索", company="接口线索公司", phone="13600000000")
    spare = make_lead(org, sales, title="要转的", company="另一家新公司", phone="13600000001")
    twin = make_lead(org, sales, title="重名的", company="接口机会客户", phone="")
    opp = make_opportunity(org, sales, party=party, name="接口机会")
    theirs = make_opportunity(
        other_org,
        stranger.user if stranger else None,
        name="别家机会",
        party=make_customer(other_org, None, name="别家"),
    )
    second, lost = stage(org, "open", 1), stage(org, "lost")
    with scopes_disabled():
        target = SalesTarget.objects.create(
            org=org, user=sales, period="month", year=2030, number=1, amount="1000"
        )
    lid, o, t = lead.pk, opp.pk, target.pk
    new_opp = {
        "name": "接口新机会",
        "party_id": party.pk,
        "close_date": "2030-03-31",
        "lines": [{"product_id": product.pk, "quantity": "3", "discount_percent": "10"}],
    }
    return [
        # leads
        ("get", "/leads", sales_api, f"{API}/leads?status=new&q=接口", None, 200),
        ("get", "/leads", sales_api, f"{API}/leads?status=x", None, 422),
        ("get", "/leads", sales_api, f"{API}/leads?cursor=bad", None, 400),
        (
            "post",
            "/leads",
            sales_api,
            f"{API}/leads",
            {"title": "新线索", "company": "新公司"},
            201,
        ),
        ("post", "/leads", sales_api, f"{API}/leads", {"title": "x", "phone": "12"}, 422),
        ("get", "/leads/{id}", sales_api, f"{API}/leads/{lid}", None, 200),
        ("get", "/leads/{id}", admin_api, f"{API}/leads/999999", None, 404),
        (
            "patch",
            "/leads/{id}",
            sales_api,
            f"{API}/leads/{lid}",
            {"version": 1, "notes": "备注"},
            200,
        ),
        (
            "patch",
            "/leads/{id}",
            sales_api,
            f"{API}/leads/{lid}",
            {"version": 1, "notes": "旧"},
            409,
        ),
        (
            "post",
            "/leads/{id}/qualify",
            sales_api,
            f"{API}/leads/{lid}/qualify",
            {"version": 2},
            200,
        ),
        (
            "post",
            "/leads/{id}/qualify",
            sales_api,
            f"{API}/leads/{lid}/qualify",
            {"version": 2},
            409,
        ),
        (
            "post",
            "/leads/{id}/disqualify",
            sales_api,
            f"{API}/leads/{lid}/disqualify",
            {"version": 3, "reason": "预算不足"},
            200,
        ),
        (
            "post",
            "/leads/{id}/disqualify",
            sales_api,
            f"{API}/leads/{lid}/disqualify",
            {"version": 4, "reason": ""},
            422,
        ),
        (
            "post",
            "/leads/{id}/convert",
            sales_api,
            f"{API}/leads/{lid}/convert",
            {"version": 4},
            400,
        ),
        (
            "post",
            "/leads/{id}/convert",
            sales_api,
            f"{API}/leads/{twin.pk}/convert",
            {"version": 1},
            409,
        ),
        (
            "post",
            "/leads/{id}/convert",
            sales_api,
            f"{API}/leads/{spare.pk}/convert",
            {"version": 1, "opportunity": {"amount": "5000", "stage_id": second.pk}},
            201,
        ),
        # stages
        ("get", "/pipeline-stages", sales_api, f"{API}/pipeline-stages", None, 200),
        (
            "post",
            "/pipeline-stages",
            admin_api,
            f"{API}/pipeline-stages",
            {"name": "样品测试", "probability": 40},
            201,
        ),
        (
            "post",
            "/pipeline-stages",
            sales_api,
            f"{API}/pipeline-stages",
            {"name": "x", "probability": 40},
            403,
        ),
        (
            "post",
            "/pipeline-stages",
            admin_api,
            f"{API}/pipeline-stages",
            {"name": "样品测试", "probability": 40},
            422,
        ),
        (
            "patch",
            "/pipeline-stages/{id}",
            admin_api,
            f"{API}/pipeline-stages/{second.pk}",
            {"version": 1, "probability": 30, "position": 0},
            200,
        ),
        (
            "patch",
            "/pipeline-stages/{id}",
            admin_api,
            f"{API}/pipeline-stages/{lost.pk}",
            {"version": 1, "is_active": False},
            409,
        ),
        (
            "patch",
            "/pipeline-stages/{id}",
            admin_api,
            f"{API}/pipeline-stages/999999",
            {"version": 1},
            404,
        ),
        # opportunities
        (
            "get",
            "/opportunities",
            sales_api,
            f"{API}/opportunities?status=open&close_month=2030-03",
            None,
            200,
        ),
        ("get", "/opportunities", sales_api, f"{API}/opportunities?close_month=2030-13", None, 422),
        ("get", "/opportunities", sales_api, f"{API}/opportunities?cursor=bad", None, 400),
        ("post", "/opportunities", admin_api, f"{API}/opportunities", new_opp, 201),
        (
            "post",
            "/opportunities",
            sales_api,
            f"{API}/opportunities",
            {**new_opp, "lines": [{"product_id": 999999, "quantity": "1"}]},
            422,
        ),
        ("get", "/opportunities/{id}", sales_api, f"{API}/opportunities/{o}", None, 200),
        ("get", "/opportunities/{id}", admin_api, f"{API}/opportunities/{theirs.pk}", None, 404),
        (
            "patch",
            "/opportunities/{id}",
            sales_api,
            f"{API}/opportunities/{o}",
            {"version": 1, "amount": "25000.50"},
            200,
        ),
        (
            "patch",
            "/opportunities/{id}",
            sales_api,
            f"{API}/opportunities/{o}",
            {"version": 1, "name": "旧版本"},
            409,
        ),
        (
            "post",
            "/opportunities/{id}/move",
            sales_api,
            f"{API}/opportunities/{o}/move",
            {"stage_id": second.pk, "version": 2},
            200,
        ),
        (
            "post",
            "/opportunities/{id}/move",
            sales_api,
            f"{API}/opportunities/{o}/move",
            {"stage_id": second.pk, "version": 2},
            409,
        ),
        (
            "post",
            "/opportunities/{id}/move",
            sales_api,
            f"{API}/opportunities/{o}/move",
            {"stage_id": lost.pk, "version": 3},
            422,
        ),
        (
            "post",
            "/opportunities/{id}/close",
            sales_api,
            f"{API}/opportunities/{o}/close",
            {"outcome": "lost", "reason": "价格高", "version": 3},
            200,
        ),
        (
            "post",
            "/opportunities/{id}/close",
            sales_api,
            f"{API}/opportunities/{o}/close",
            {"outcome": "won", "version": 3},
            409,
        ),
        # targets
        ("get", "/sales-targets", sales_api, f"{API}/sales-targets?year=2030", None, 200),
        ("get", "/sales-targets", sales_api, f"{API}/sales-targets?cursor=bad", None, 400),
        (
            "post",
            "/sales-targets",
            admin_api,
            f"{API}/sales-targets",
            {"team_id": team.pk, "period": "quarter", "year": 2030, "number": 1, "amount": "9000"},
            201,
        ),
        (
            "post",
            "/sales-targets",
            admin_api,
            f"{API}/sales-targets",
            {"user_id": sales.pk, "period": "month", "year": 2030, "number": 1, "amount": "1"},
            422,
        ),
        (
            "post",
            "/sales-targets",
            sales_api,
            f"{API}/sales-targets",
            {"user_id": sales.pk, "period": "year", "year": 2030, "amount": "1"},
            403,
        ),
        (
            "patch",
            "/sales-targets/{id}",
            admin_api,
            f"{API}/sales-targets/{t}",
            {"version": 1, "amount": "2000"},
            200,
        ),
        (
            "patch",
            "/sales-targets/{id}",
            admin_api,
            f"{API}/sales-targets/{t}",
            {"version": 1, "amount": "3000"},
            409,
        ),
        (
            "get",
            "/sales-targets/{id}/attainment",
            sales_api,
            f"{API}/sales-targets/{t}/attainment",
            None,
            200,
        ),
        (
            "get",
            "/sales-targets/{id}/attainment",
            sales_api,
            f"{API}/sales-targets/999999/attainment",
            None,
            404,
        ),
        ("delete", "/sales-targets/{id}", admin_api, f"{API}/sales-targets/{t}", None, 204),
        ("delete", "/sales-targets/{id}", admin_api, f"{API}/sales-targets/{t}", None, 404),
    ]


__all__ = ["Lead", "Opportunity", "pipeline_calls"]
