"""The sales analysis test data (small, hand-computed) and the calls of the sales
analysis API for tests/api/test_schema.py.

`build_sales(org)` writes posted sales documents directly (status and amounts as posting
leaves them) so every total is known by hand; `build_funnel(org)` writes opportunities
with their stage changes at chosen times, and leads. The expected figures are in
tests/analytics/test_sales_selectors.py and test_funnel_selectors.py.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django_scopes import scopes_disabled

from tests.factories import make_member, make_team

SHANGHAI = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


@dataclass
class SalesWorld:
    org: Any
    admin: Any  # memberships
    seller: Any  # sales role, own visibility, in `team`
    other: Any  # sales role, no team
    team: Any
    customers: dict[str, Any]
    products: dict[str, Any]
    categories: dict[str, Any]
    documents: dict[str, Any]


def _doc(org, warehouse, kind, date, party, owner, lines, *, status="posted", reverses=None):
    from guanxi.stock.models import StockDocument, StockDocumentLine

    net = sum((Decimal(n) for _p, _q, n, _c in lines), Decimal("0"))
    doc = StockDocument.objects.create(
        org=org,
        number=f"T{next(_numbers):05d}",
        kind=kind,
        status=status,
        date=date,
        party=party,
        warehouse=warehouse,
        owner=owner,
        subtotal=net,
        tax_total=(net * Decimal("0.13")).quantize(Decimal("0.01")),
        total=net + (net * Decimal("0.13")).quantize(Decimal("0.01")),
        reverses=reverses,
    )
    for i, (product, quantity, amount, unit_cost) in enumerate(lines):
        q, n = Decimal(quantity), Decimal(amount)
        StockDocumentLine.objects.create(
            org=org,
            document=doc,
            position=i,
            product=product,
            quantity=q,
            unit_price=(n / q).quantize(Decimal("0.01")) if q else Decimal("0"),
            net_amount=n,
            tax_amount=(n * Decimal("0.13")).quantize(Decimal("0.01")),
            total_amount=n + (n * Decimal("0.13")).quantize(Decimal("0.01")),
            unit_cost=Decimal(unit_cost),
        )
    return doc


def build_sales(org, *, admin=None, suffix: str = "") -> SalesWorld:
    """Customers A–E, products P1 (category 办公家具) and P2 (category 电子产品).

    | doc | date       | kind     | customer | owner  | product | qty | net   | unit cost |
    |-----|------------|----------|----------|--------|---------|-----|-------|-----------|
    | d1  | 2025-01-10 | delivery | A        | seller | P1      | 2   | 200   | 60        |
    | d2  | 2026-01-15 | delivery | A        | seller | P1      | 3   | 300   | 60        |
    | d3  | 2026-01-20 | delivery | B        | other  | P2      | 1   | 1000  | 700       |
    | d4  | 2026-02-05 | return   | A        | seller | P1      | 1   | 100   | 60        |
    | d5  | 2026-02-10 | delivery | C        | admin  | P2      | 2   | 500   | 100  (reversed) |
    | d6  | 2026-02-12 | reversal of d5            | P2      | -2  | -500  | 100       |
    | d7  | 2026-02-12 | delivery | C        | admin  | P2      | 2   | 400   | 100       |
    | d8  | 2026-03-01 | delivery | D        | other  | P1      | 10  | 2000  | 60        |
    | d9  | 2026-03-02 | delivery | E (draft, not a sale)       | P1 | 5 | 999 | 60    |
    """
    from guanxi.catalog.models import Product
    from guanxi.parties.models import PartyGroup, PartyGroupMember
    from guanxi.stock.models import StockDocument, Warehouse
    from tests.catalog.factories import make_category
    from tests.sales.pipeline_factories import make_customer

    K, S = StockDocument.Kind, StockDocument.Status
    team = make_team(org, f"华东组{suffix}")
    admin = admin or make_member(org, "admin", username=f"boss{next(_numbers)}")
    seller = make_member(org, "sales", team=team, username=f"seller{next(_numbers)}")
    other = make_member(org, "sales", username=f"other{next(_numbers)}")
    customers = {
        "A": make_customer(
            org,
            seller.user,
            name=f"甲公司{suffix}",
            province="江苏",
            city="南京",
            source="referral",
        ),
        "B": make_customer(
            org, other.user, name=f"乙公司{suffix}", province="浙江", city="杭州", source="website"
        ),
        "C": make_customer(
            org, admin.user, name=f"丙公司{suffix}", province="江苏", city="苏州", source="referral"
        ),
        "D": make_customer(
            org, other.user, name=f"丁公司{suffix}", province="上海", city="上海", source=""
        ),
        "E": make_customer(org, other.user, name=f"戊公司{suffix}"),
    }
    with scopes_disabled():
        furniture = make_category(org, f"办公家具{suffix}")
        electronics = make_category(org, f"电子产品{suffix}")
        p1 = Product.objects.create(
            org=org,
            code=f"P1-{next(_numbers)}",
            name="办公椅",
            list_price=Decimal("100"),
            category=furniture,
        )
        p2 = Product.objects.create(
            org=org,
            code=f"P2-{next(_numbers)}",
            name="投影仪",
            list_price=Decimal("500"),
            category=electronics,
        )
        group = PartyGroup.objects.create(org=org, name=f"重点客户{suffix}")
        PartyGroupMember.objects.create(org=org, group=group, party=customers["A"])
        PartyGroupMember.objects.create(org=org, group=group, party=customers["D"])
        wh = Warehouse.objects.create(org=org, code=f"W{next(_numbers)}", name="主仓")
        su, ou, au = seller.user, other.user, admin.user
        D = datetime.date
        docs = {
            "d1": _doc(
                org, wh, K.SALES_DELIVERY, D(2025, 1, 10), customers["A"], su, [(p1, 2, 200, 60)]
            ),
            "d2": _doc(
                org, wh, K.SALES_DELIVERY, D(2026, 1, 15), customers["A"], su, [(p1, 3, 300, 60)]
            ),
            "d3": _doc(
                org, wh, K.SALES_DELIVERY, D(2026, 1, 20), customers["B"], ou, [(p2, 1, 1000, 700)]
            ),
            "d4": _doc(
                org, wh, K.SALES_RETURN, D(2026, 2, 5), customers["A"], su, [(p1, 1, 100, 60)]
            ),
            "d5": _doc(
                org,
                wh,
                K.SALES_DELIVERY,
                D(2026, 2, 10),
                customers["C"],
                au,
                [(p2, 2, 500, 100)],
                status=S.REVERSED,
            ),
        }
        docs["d6"] = _doc(
            org,
            wh,
            K.SALES_DELIVERY,
            D(2026, 2, 12),
            customers["C"],
            au,
            [(p2, -2, -500, 100)],
            reverses=docs["d5"],
        )
        docs["d7"] = _doc(
            org, wh, K.SALES_DELIVERY, D(2026, 2, 12), customers["C"], au, [(p2, 2, 400, 100)]
        )
        docs["d8"] = _doc(
            org, wh, K.SALES_DELIVERY, D(2026, 3, 1), customers["D"], ou, [(p1, 10, 2000, 60)]
        )
        docs["d9"] = _doc(
            org,
            wh,
            K.SALES_DELIVERY,
            D(2026, 3, 2),
            customers["E"],
            ou,
            [(p1, 5, 999, 60)],
            status=S.DRAFT,
        )
    return SalesWorld(
        org=org,
        admin=admin,
        seller=seller,
        other=other,
        team=team,
        customers=customers,
        products={"P1": p1, "P2": p2},
        categories={"furniture": furniture, "electronics": electronics, "group": group},
        documents=docs,
    )


def at(day: str, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


@dataclass
class FunnelWorld:
    org: Any
    admin: Any
    seller: Any
    stages: list[Any]  # the four open stages, then won, then lost
    opportunities: dict[str, Any]


def build_funnel(org, *, admin=None, seller=None) -> FunnelWorld:
    """Opportunities O1–O4 and leads L1–L3 (see test_funnel_selectors.py for the figures).

    O1 (seller): created 01-05; s1 01-05, s2 01-15, s3 01-20, won 01-25.
    O2 (seller): created 01-10; s1 01-10, s2 01-14, lost 01-30.
    O3 (seller): created 02-01; s1 02-01; open, 10,000 at 10%, close 2026-04-15.
    O4 (admin):  created 2025-12-01; s1 2025-12-01, s2 2026-02-01; open, 20,000 at 25%,
                 close 2026-05-10.
    Leads (seller, created in January): L1 converted to a customer with a delivery,
    L2 converted to a customer without one, L3 new.
    """
    from guanxi.sales.models import Lead, Opportunity, StageChange
    from guanxi.sales.pipeline_services import ensure_default_stages
    from guanxi.stock.models import StockDocument, Warehouse
    from tests.sales.pipeline_factories import make_customer, make_lead, make_opportunity

    admin = admin or make_member(org, "admin", username=f"fboss{next(_numbers)}")
    seller = seller or make_member(org, "sales", username=f"fseller{next(_numbers)}")
    with scopes_disabled():
        stages = ensure_default_stages(org)
        opens = [s for s in stages if s.outcome == "open"]
        won = next(s for s in stages if s.outcome == "won")
        lost = next(s for s in stages if s.outcome == "lost")
    plan = {
        "O1": (
            seller,
            "2026-01-05",
            [
                (opens[0], "2026-01-05"),
                (opens[1], "2026-01-15"),
                (opens[2], "2026-01-20"),
                (won, "2026-01-25"),
            ],
            "won",
            0,
            None,
        ),
        "O2": (
            seller,
            "2026-01-10",
            [(opens[0], "2026-01-10"), (opens[1], "2026-01-14"), (lost, "2026-01-30")],
            "lost",
            0,
            None,
        ),
        "O3": (
            seller,
            "2026-02-01",
            [(opens[0], "2026-02-01")],
            "open",
            10000,
            datetime.date(2026, 4, 15),
        ),
        "O4": (
            admin,
            "2025-12-01",
            [(opens[0], "2025-12-01"), (opens[1], "2026-02-01")],
            "open",
            20000,
            datetime.date(2026, 5, 10),
        ),
    }
    opportunities = {}
    for name, (member, created, moves, status, amount, close) in plan.items():
        opp = make_opportunity(org, member.user, name=name, amount=Decimal(amount or 5000))
        last = moves[-1][0]
        with scopes_disabled():
            StageChange.objects.filter(opportunity=opp).delete()
            previous = None
            for stage, when in moves:
                StageChange.objects.create(
                    org=org,
                    opportunity=opp,
                    from_stage=previous,
                    to_stage=stage,
                    changed_at=at(when),
                )
                previous = stage
            Opportunity.all_objects.filter(pk=opp.pk).update(
                created_at=at(created, 9),
                stage=last,
                status=status,
                probability=last.probability,
                amount=Decimal(amount or 5000),
                close_date=close,
                stage_entered_at=at(moves[-1][1]),
            )
        opportunities[name] = opp
    buyer = make_customer(org, seller.user, name="线索转来的买家")
    idle = make_customer(org, seller.user, name="线索转来的闲客")
    l1 = make_lead(org, seller.user, title="L1", company="线索一", phone="13900000001")
    l2 = make_lead(org, seller.user, title="L2", company="线索二", phone="13900000002")
    l3 = make_lead(org, seller.user, title="L3", company="线索三", phone="13900000003")
    with scopes_disabled():
        Lead.all_objects.filter(pk=l1.pk).update(
            status="converted",
            party=buyer,
            converted_at=at("2026-01-08"),
            created_at=at("2026-01-03"),
        )
        Lead.all_objects.filter(pk=l2.pk).update(
            status="converted",
            party=idle,
            converted_at=at("2026-01-09"),
            created_at=at("2026-01-04"),
        )
        Lead.all_objects.filter(pk=l3.pk).update(created_at=at("2026-01-05"))
        wh = Warehouse.objects.create(org=org, code=f"FW{next(_numbers)}", name="漏斗仓")
        _doc(
            org,
            wh,
            StockDocument.Kind.SALES_DELIVERY,
            datetime.date(2026, 2, 1),
            buyer,
            seller.user,
            [],
        )
    return FunnelWorld(org, admin, seller, [*opens, won, lost], opportunities)


def sales_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    """(method, path template, client, url, body, expected status) for the schema test."""
    from tests.api.conftest import API

    build_sales(org)
    q = "period=custom&date_from=2026-01-01&date_to=2026-03-31"
    return [
        (
            "get",
            "/analytics/sales/trend",
            admin_api,
            f"{API}/analytics/sales/trend?{q}&split=product",
            None,
            200,
        ),
        (
            "get",
            "/analytics/sales/trend",
            admin_api,
            f"{API}/analytics/sales/trend?grain=hour",
            None,
            422,
        ),
        (
            "get",
            "/analytics/sales/composition",
            admin_api,
            f"{API}/analytics/sales/composition?{q}&dimension=category",
            None,
            200,
        ),
        (
            "get",
            "/analytics/sales/composition",
            admin_api,
            f"{API}/analytics/sales/composition?dimension=planet",
            None,
            422,
        ),
        (
            "get",
            "/analytics/sales/pareto",
            sales_api,
            f"{API}/analytics/sales/pareto?{q}",
            None,
            200,
        ),
        (
            "get",
            "/analytics/sales/pareto",
            admin_api,
            f"{API}/analytics/sales/pareto?date_from=2026-02-01&date_to=2026-01-01",
            None,
            422,
        ),
        ("get", "/analytics/funnel", admin_api, f"{API}/analytics/funnel?{q}", None, 200),
        ("get", "/analytics/funnel", admin_api, f"{API}/analytics/funnel?period=decade", None, 422),
        ("get", "/analytics/forecast", admin_api, f"{API}/analytics/forecast?months=6", None, 200),
        ("get", "/analytics/forecast", admin_api, f"{API}/analytics/forecast?months=99", None, 422),
    ]
