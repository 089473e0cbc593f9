"""Sales targets (C4): per person or team and month/quarter/year; attainment from confirmed
orders; the targets page, the overview and who may see and change what."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from guanxi.core.exceptions import StaleEdit
from guanxi.sales.models import Order, SalesTarget
from guanxi.sales.pipeline_selectors import (
    attainment_for,
    attainments_of,
    people_overview,
    period_bounds,
)
from guanxi.sales.pipeline_services import create_target, delete_target, update_target
from tests.conftest import login
from tests.factories import make_member
from tests.sales.pipeline_factories import make_customer

pytestmark = pytest.mark.django_db


def make_order(org, owner, day, total, status="confirmed", number=None):
    party = make_customer(org, owner, name=f"订单客户{day}{total}{status}")
    with scopes_disabled():
        return Order.objects.create(
            org=org,
            number=number or f"SO-{day}-{total}-{status}",
            date=day,
            party=party,
            owner=owner,
            status=status,
            total=Decimal(total),
        )


def test_period_bounds():
    assert period_bounds("month", 2026, 12) == (
        datetime.date(2026, 12, 1),
        datetime.date(2027, 1, 1),
    )
    assert period_bounds("quarter", 2026, 4) == (
        datetime.date(2026, 10, 1),
        datetime.date(2027, 1, 1),
    )
    assert period_bounds("quarter", 2026, 2) == (
        datetime.date(2026, 4, 1),
        datetime.date(2026, 7, 1),
    )
    assert period_bounds("year", 2026, 1) == (datetime.date(2026, 1, 1), datetime.date(2027, 1, 1))


def test_create_validates_subject_period_and_duplicates(
    org, other_org, admin_member, sales_member, team
):
    user = admin_member.user
    target = create_target(
        org=org,
        actor=user,
        data={
            "user": sales_member.user,
            "period": "month",
            "year": 2026,
            "number": 3,
            "amount": "50000",
        },
    )
    assert target.amount == Decimal("50000")
    with pytest.raises(ValidationError) as caught:
        create_target(
            org=org,
            actor=user,
            data={
                "user": sales_member.user,
                "period": "month",
                "year": 2026,
                "number": 3,
                "amount": "1",
            },
        )
    assert "amount" in caught.value.message_dict
    for bad in (
        {"period": "month", "year": 2026, "number": 13, "amount": "1", "team": team},
        {"period": "week", "year": 2026, "amount": "1", "team": team},
        {"period": "year", "year": 1999, "amount": "1", "team": team},
        {"period": "year", "year": 2026, "amount": "-1", "team": team},
        {"period": "year", "year": 2026, "amount": "1"},
        {"period": "year", "year": 2026, "amount": "1", "team": team, "user": sales_member.user},
        {"period": "year", "year": 2026, "amount": "1", "user": make_member(other_org).user},
    ):
        with pytest.raises(ValidationError):
            create_target(org=org, actor=user, data=bad)
    with scopes_disabled():
        assert SalesTarget.objects.count() == 1


def test_update_and_delete(org, admin_member, team):
    target = create_target(
        org=org, actor=None, data={"team": team, "period": "year", "year": 2026, "amount": "9"}
    )
    update_target(target=target, actor=None, data={"amount": "10"}, expected_version=1)
    with pytest.raises(StaleEdit):
        update_target(target=target, actor=None, data={"amount": "11"}, expected_version=1)
    delete_target(target=target, actor=None)
    with scopes_disabled():
        assert not SalesTarget.objects.exists()


def test_attainment_counts_confirmed_and_completed_orders_in_the_period(org, sales_member, team):
    rep = sales_member.user
    mate = make_member(org, "sales", team=team, username="mate").user
    outsider = make_member(org, "sales", username="outsider").user
    make_order(org, rep, datetime.date(2026, 3, 1), "1000")
    make_order(org, rep, datetime.date(2026, 3, 31), "500.50", status="completed")
    make_order(org, rep, datetime.date(2026, 3, 15), "9999", status="draft")
    make_order(org, rep, datetime.date(2026, 3, 20), "8888", status="cancelled")
    make_order(org, rep, datetime.date(2026, 4, 1), "7777")
    make_order(org, mate, datetime.date(2026, 2, 10), "300")
    make_order(org, outsider, datetime.date(2026, 3, 10), "100000")
    person = create_target(
        org=org,
        actor=None,
        data={"user": rep, "period": "month", "year": 2026, "number": 3, "amount": "2000"},
    )
    team_target = create_target(
        org=org,
        actor=None,
        data={"team": team, "period": "quarter", "year": 2026, "number": 1, "amount": "1000"},
    )
    with scopes_disabled():
        rows = attainments_of(org.pk, [person, team_target])
    assert [(r.attained, r.gap, r.percent) for r in rows] == [
        (Decimal("1500.50"), Decimal("499.50"), 75),
        (Decimal("1800.50"), Decimal("0"), 180),
    ]
    year = attainment_for(org.pk, user_id=rep.pk, period="year", year=2026, number=1)
    assert (year.attained, year.target, year.percent) == (Decimal("9277.50"), None, None)


def test_people_overview_uses_a_fixed_number_of_queries(
    org, sales_member, team, django_assert_max_num_queries
):
    manager = make_member(org, "manager", username="mgr")
    for index in range(5):
        make_member(org, "sales", team=team, username=f"rep{index}")
    make_order(org, sales_member.user, timezone.localdate(), "100")
    with scopes_disabled(), django_assert_max_num_queries(8):
        rows = people_overview(manager, timezone.localdate())
    assert len(rows) >= 6
    mine = next(r for r in rows if r.membership.user_id == sales_member.user_id)
    assert mine.month.attained == Decimal("100.00")


def test_targets_page_manager_sets_rep_views_own(client, org, sales_member, team):
    manager = make_member(org, "manager", username="mgr")
    login(client, manager)
    response = client.post(
        "/sales/targets/?year=2026",
        {
            "subject": f"user:{sales_member.user_id}",
            "period": "month",
            "year": "2026",
            "number": "5",
            "amount": "60000",
        },
    )
    assert response.status_code == 302
    response = client.post(
        "/sales/targets/?year=2026",
        {
            "subject": f"team:{team.pk}",
            "period": "quarter",
            "year": "2026",
            "number": "9",
            "amount": "1",
        },
    )
    assert response.status_code == 200
    assert "A month is 1–12, a quarter 1–4." in response.content.decode()
    other = make_member(org, "sales", username="other")
    create_target(
        org=org,
        actor=None,
        data={"user": other.user, "period": "year", "year": 2026, "amount": "5"},
    )
    page = client.get("/sales/targets/?year=2026").content.decode()
    assert page.count('data-testid="target-row"') == 2

    from django.test import Client

    rep = Client()
    login(rep, sales_member)
    page = rep.get("/sales/targets/?year=2026").content.decode()
    assert page.count('data-testid="target-row"') == 1
    assert 'data-testid="target-form"' not in page
    with scopes_disabled():
        theirs = SalesTarget.objects.get(user=other.user)
        mine = SalesTarget.objects.get(user=sales_member.user)
    assert rep.post("/sales/targets/", {"amount": "1"}).status_code == 403
    assert rep.get(f"/sales/targets/{theirs.pk}/").status_code == 404
    assert (
        rep.post(f"/sales/targets/{mine.pk}/", {"amount": "1", "version": "1"}).status_code == 403
    )
    response = client.post(f"/sales/targets/{mine.pk}/", {"amount": "70000", "version": "1"})
    assert response.status_code == 302
    with scopes_disabled():
        assert SalesTarget.objects.get(pk=mine.pk).amount == Decimal("70000")
    assert client.post(f"/sales/targets/{mine.pk}/delete/").status_code == 302


def test_overview_shows_my_attainment_against_my_target(sales_client, org, sales_member):
    today = timezone.localdate()
    create_target(
        org=org,
        actor=None,
        data={
            "user": sales_member.user,
            "period": "month",
            "year": today.year,
            "number": today.month,
            "amount": "4000",
        },
    )
    make_order(org, sales_member.user, today, "1000")
    page = sales_client.get("/sales/").content.decode()
    assert 'data-testid="attainment-month"' in page
    assert "25%" in page
    assert "3,000.00" in page  # the gap
