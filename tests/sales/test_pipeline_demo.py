"""The pipeline's demo seeder: stages, leads, ~150 opportunities, targets; idempotent and
deterministic; works without customers and without products."""

from __future__ import annotations

import pytest
from django_scopes import scope

from guanxi.core.demo import DemoContext
from guanxi.sales.models import (
    Lead,
    Opportunity,
    OpportunityLine,
    PipelineStage,
    SalesTarget,
    StageChange,
)
from guanxi.sales.pipeline_demo import OPPORTUNITIES, seed_pipeline
from tests.factories import make_member
from tests.sales.pipeline_factories import make_customer, make_product

pytestmark = pytest.mark.django_db


def _ctx(org, users):
    return DemoContext(org=org, users=users, log=lambda _m: None)


def _summary(org):
    with scope(org=org.pk):
        return (
            PipelineStage.objects.count(),
            Lead.objects.count(),
            sorted(set(Lead.objects.values_list("status", flat=True))),
            Opportunity.objects.count(),
            sorted(set(Opportunity.objects.values_list("status", flat=True))),
            SalesTarget.objects.count(),
        )


def test_seeds_everything_once(org, admin_member):
    users = {"admin": admin_member.user}
    for name in ("sales1", "sales2"):
        users[name] = make_member(org, "sales", username=name).user
    for index in range(12):
        make_customer(org, users["sales1"] if index % 2 else None, name=f"演示客户{index}")
    make_product(org, code="D-1", name="演示产品")
    with scope(org=org.pk):
        seed_pipeline(_ctx(org, users))
        first = _summary(org)
        seed_pipeline(_ctx(org, users))
        assert _summary(org) == first
        assert first[0] == 6
        assert first[1] >= 30
        assert first[2] == ["converted", "disqualified", "new", "qualified"]
        assert first[3] == OPPORTUNITIES
        assert first[4] == ["lost", "open", "won"]
        assert first[5] == 24
        assert OpportunityLine.objects.exists()
        # every opportunity's history starts with its creation and ends in its stage
        for opp in Opportunity.objects.all()[:20]:
            changes = list(StageChange.objects.filter(opportunity=opp).order_by("changed_at", "id"))
            assert changes[0].from_stage_id is None
            assert changes[-1].to_stage_id == opp.stage_id
        closed = Opportunity.objects.exclude(status="open")
        assert all(o.closed_at is not None for o in closed)


def test_without_customers_only_the_stages(org, admin_member):
    with scope(org=org.pk):
        seed_pipeline(_ctx(org, {"admin": admin_member.user}))
    assert _summary(org)[0] == 6
    assert _summary(org)[3] == 0
