"""The pipeline services: stages, opportunities, moves, closing, lines, alerts, activities."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django_scopes import scopes_disabled

from guanxi.activities.models import Activity, Notification
from guanxi.core.exceptions import StaleEdit
from guanxi.sales.models import Opportunity, OpportunityLine, PipelineStage, StageChange
from guanxi.sales.pipeline_services import (
    StageInUse,
    add_opportunity_activity,
    close_opportunity,
    create_stage,
    delete_opportunity,
    ensure_default_stages,
    move_opportunity,
    move_stage,
    update_opportunity,
    update_stage,
)
from guanxi.sales.settings_services import update_sales_settings
from tests.factories import make_member
from tests.sales.pipeline_factories import (
    make_contact,
    make_customer,
    make_opportunity,
    make_product,
    stage,
)

pytestmark = pytest.mark.django_db


def test_default_stages_are_created_once(org):
    stages = ensure_default_stages(org)
    assert [(s.probability, s.outcome) for s in stages] == [
        (10, "open"),
        (25, "open"),
        (50, "open"),
        (75, "open"),
        (100, "won"),
        (0, "lost"),
    ]
    assert [s.pk for s in ensure_default_stages(org.pk)] == [s.pk for s in stages]


def test_default_stages_are_per_organisation(org, other_org):
    mine = ensure_default_stages(org)
    theirs = ensure_default_stages(other_org)
    assert {s.org_id for s in mine} == {org.pk}
    assert {s.org_id for s in theirs} == {other_org.pk}


def test_stage_add_rename_reorder_and_deactivate(org, admin_member):
    user = admin_member.user
    new = create_stage(org=org, actor=user, data={"name": "样品测试", "probability": 40})
    assert new.position == max(s.position for s in ensure_default_stages(org))
    renamed = update_stage(
        stage=new, actor=user, data={"name": "样品验证", "probability": 45}, expected_version=1
    )
    assert (renamed.name, renamed.probability, renamed.version) == ("样品验证", 45, 2)
    move_stage(stage=renamed, actor=user, direction="up")
    order = [s.name for s in ensure_default_stages(org)]
    assert order.index("样品验证") == len(order) - 2
    update_stage(stage=renamed, actor=user, data={"is_active": False}, expected_version=3)
    with scopes_disabled():
        assert not PipelineStage.objects.get(pk=new.pk).is_active


def test_stage_bad_input_is_refused(org, admin_member):
    user = admin_member.user
    first = ensure_default_stages(org)[0]
    with pytest.raises(ValidationError) as caught:
        create_stage(org=org, actor=user, data={"name": first.name, "probability": 140})
    assert set(caught.value.message_dict) == {"name", "probability"}
    with pytest.raises(StaleEdit):
        update_stage(stage=first, actor=user, data={"probability": 5}, expected_version=9)


def test_stage_with_open_deals_or_last_of_its_outcome_stays_active(org, sales_member):
    opp = make_opportunity(org, sales_member.user)
    with pytest.raises(StageInUse):
        update_stage(stage=opp.stage, actor=None, data={"is_active": False}, expected_version=1)
    won = stage(org, "won")
    with pytest.raises(StageInUse):
        update_stage(stage=won, actor=None, data={"is_active": False}, expected_version=1)
    with pytest.raises(StageInUse):
        update_stage(stage=opp.stage, actor=None, data={"outcome": "won"}, expected_version=1)


def test_create_defaults_stage_probability_and_owner_and_records_the_start(org, sales_member):
    opp = make_opportunity(org, sales_member.user)
    first = ensure_default_stages(org)[0]
    assert (opp.stage_id, opp.probability, opp.status) == (first.pk, 10, "open")
    assert opp.owner_id == sales_member.user_id
    with scopes_disabled():
        change = StageChange.objects.get(opportunity=opp)
    assert (change.from_stage_id, change.to_stage_id) == (None, first.pk)


def test_lines_price_the_amount_when_no_amount_is_given(org, sales_member):
    chair = make_product(org, price="500.00", tax_rate="13")
    desk = make_product(org, code="P-002", name="办公桌", price="1200")
    opp = make_opportunity(
        org,
        sales_member.user,
        amount=None,
        lines=[
            {"product": chair, "quantity": "10", "discount_percent": "10"},
            {"product": desk.pk, "quantity": 2, "unit_price": "1000"},
        ],
    )
    with scopes_disabled():
        lines = list(OpportunityLine.objects.filter(opportunity=opp).order_by("position"))
    # 10 × 500 × 0.9 = 4500 net, 585 tax; 2 × 1000 = 2000 net, 260 tax
    assert [(line.net_amount, line.tax_amount, line.total_amount) for line in lines] == [
        (Decimal("4500.00"), Decimal("585.00"), Decimal("5085.00")),
        (Decimal("2000.00"), Decimal("260.00"), Decimal("2260.00")),
    ]
    assert opp.amount == Decimal("7345.00")


def test_bad_lines_are_refused_per_row_and_nothing_is_written(org, other_org, sales_member):
    chair = make_product(org)
    foreign = make_product(other_org, code="X")
    voided = make_product(org, code="V", is_voided=True)
    party = make_customer(org, sales_member.user)
    with pytest.raises(ValidationError) as caught:
        make_opportunity(
            org,
            sales_member.user,
            party=party,
            lines=[
                {"product": chair, "quantity": "-1"},
                {"product": chair, "quantity": "1", "discount_percent": "120"},
                {"product": foreign, "quantity": "1"},
                {"product": voided, "quantity": "1"},
            ],
        )
    assert set(caught.value.message_dict) == {
        "lines.0.quantity",
        "lines.1.discount_percent",
        "lines.2.product",
        "lines.3.product",
    }
    with scopes_disabled():
        assert not Opportunity.objects.filter(org=org).exists()


def test_bad_opportunity_input_gives_field_errors(org, other_org, sales_member):
    party = make_customer(org, sales_member.user)
    other = make_customer(org, sales_member.user, name="另一家客户")
    stranger = make_customer(other_org, None, name="别家客户")
    with pytest.raises(ValidationError) as caught:
        make_opportunity(
            org,
            sales_member.user,
            party=party,
            name=" ",
            amount="-5",
            probability=150,
            contact=make_contact(other),
        )
    assert {"name", "amount", "probability", "contact"} <= set(caught.value.message_dict)
    with pytest.raises(ValidationError) as caught:
        make_opportunity(org, sales_member.user, party=stranger, stage=stage(other_org))
    assert {"party", "stage"} <= set(caught.value.message_dict)


def test_move_records_the_change_and_takes_the_stage_probability(org, sales_member):
    opp = make_opportunity(org, sales_member.user)
    third = stage(org, "open", 2)
    moved = move_opportunity(sales_member, opp, third, opp.version)
    assert (moved.stage_id, moved.probability, moved.status, moved.version) == (
        third.pk,
        50,
        "open",
        2,
    )
    with scopes_disabled():
        changes = list(StageChange.objects.filter(opportunity=opp).order_by("id"))
    assert [(c.from_stage_id, c.to_stage_id) for c in changes][-1] == (opp.stage_id, third.pk)
    assert changes[-1].changed_by_id == sales_member.user_id


def test_move_to_won_closes_and_back_to_open_reopens(org, sales_member):
    opp = make_opportunity(org, sales_member.user)
    won = move_opportunity(sales_member, opp, stage(org, "won"), 1, reason="价格合适")
    assert (won.status, won.probability, won.close_reason) == ("won", 100, "价格合适")
    assert won.closed_at is not None
    reopened = move_opportunity(sales_member, won, stage(org, "open", 1), won.version)
    assert (reopened.status, reopened.closed_at, reopened.close_reason) == ("open", None, "")


def test_a_stale_move_is_refused_and_changes_nothing(org, sales_member):
    opp = make_opportunity(org, sales_member.user)
    move_opportunity(sales_member, opp, stage(org, "open", 1), 1)
    with pytest.raises(StaleEdit):
        move_opportunity(sales_member, opp, stage(org, "open", 3), 1)
    with scopes_disabled():
        current = Opportunity.objects.get(pk=opp.pk)
        assert StageChange.objects.filter(opportunity=opp).count() == 2
    assert (current.stage_id, current.version) == (stage(org, "open", 1).pk, 2)


def test_lost_needs_a_reason(org, sales_member):
    opp = make_opportunity(org, sales_member.user)
    with pytest.raises(ValidationError) as caught:
        move_opportunity(sales_member, opp, stage(org, "lost"), 1)
    assert "reason" in caught.value.message_dict
    lost = close_opportunity(sales_member, opp, outcome="lost", reason="预算取消", version=1)
    assert (lost.status, lost.probability, lost.close_reason) == ("lost", 0, "预算取消")


def test_move_respects_visibility_and_permissions(org, sales_member, readonly_member):
    colleague = make_member(org, "sales", username="colleague")
    theirs = make_opportunity(org, colleague.user)
    with pytest.raises(Http404):
        move_opportunity(sales_member, theirs, stage(org, "open", 1), 1)
    with pytest.raises(PermissionDenied):
        move_opportunity(readonly_member, theirs, stage(org, "open", 1), 1)


def test_move_refuses_another_organisations_stage(org, other_org, sales_member):
    opp = make_opportunity(org, sales_member.user)
    with pytest.raises(ValidationError):
        move_opportunity(sales_member, opp, stage(other_org, "open", 1), 1)


def test_update_with_a_new_stage_is_a_move_and_stale_edits_are_refused(org, sales_member):
    opp = make_opportunity(org, sales_member.user)
    updated = update_opportunity(
        opp=opp,
        actor=sales_member.user,
        data={"stage": stage(org, "open", 3), "amount": "20000"},
        expected_version=1,
    )
    assert (updated.probability, updated.amount) == (75, Decimal("20000"))
    with scopes_disabled():
        assert StageChange.objects.filter(opportunity=opp).count() == 2
    with pytest.raises(StaleEdit):
        update_opportunity(opp=opp, actor=sales_member.user, data={"name": "x"}, expected_version=1)


def _alerts(org):
    with scopes_disabled():
        return list(Notification.objects.filter(org=org).values_list("user_id", flat=True))


def test_big_deals_alert_the_managers_on_create_and_on_a_raise(org, admin_member, sales_member):
    manager = make_member(org, "manager", username="mgr")
    update_sales_settings(
        org=org, actor=admin_member.user, data={"big_deal_threshold": Decimal("100000")}
    )
    small = make_opportunity(org, sales_member.user, amount=Decimal("99999.99"))
    assert _alerts(org) == []
    make_opportunity(org, sales_member.user, amount=Decimal("100000"))
    assert sorted(_alerts(org)) == sorted([admin_member.user_id, manager.user_id])
    update_opportunity(
        opp=small, actor=sales_member.user, data={"amount": "150000"}, expected_version=1
    )
    assert len(_alerts(org)) == 4
    update_opportunity(
        opp=small, actor=sales_member.user, data={"amount": "120000"}, expected_version=2
    )
    assert len(_alerts(org)) == 4


def test_an_activity_added_to_an_opportunity_is_on_the_customers_timeline(org, sales_member):
    party = make_customer(org, sales_member.user)
    contact = make_contact(party)
    opp = make_opportunity(org, sales_member.user, party=party, contact=contact)
    activity = add_opportunity_activity(
        opp=opp,
        actor=sales_member.user,
        data={"kind": "call", "subject": "电话确认需求", "direction": "out"},
    )
    with scopes_disabled():
        stored = Activity.objects.get(pk=activity.pk)
    assert (stored.opportunity_id, stored.party_id, stored.contact_id) == (
        opp.pk,
        party.pk,
        contact.pk,
    )
    with pytest.raises(ValidationError):
        add_opportunity_activity(opp=opp, actor=sales_member.user, data={"kind": "meeting"})


def test_deleted_opportunities_go_to_the_recycle_bin(org, sales_member):
    opp = make_opportunity(org, sales_member.user)
    delete_opportunity(opp=opp, actor=sales_member.user)
    with scopes_disabled():
        assert not Opportunity.objects.filter(pk=opp.pk).exists()
        assert Opportunity.all_objects.filter(pk=opp.pk).exists()
