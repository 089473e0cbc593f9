"""Helpers that make pipeline records for the tests (through the services)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django_scopes import scopes_disabled

from guanxi.parties.models import Contact, Party
from guanxi.parties.services import create_contact, create_party
from guanxi.sales.models import PipelineStage
from guanxi.sales.pipeline_services import create_lead, create_opportunity, ensure_default_stages


def make_customer(org, owner=None, *, name: str = "华东机械有限公司", **data: Any) -> Party:
    with scopes_disabled():
        return create_party(
            org=org, actor=owner, data={"name": name, "owner": owner, "is_customer": True, **data}
        )


def make_contact(party: Party, name: str = "王经理", **data: Any) -> Contact:
    with scopes_disabled():
        return create_contact(party=party, actor=None, data={"name": name, **data})


def stage(org, outcome: str = "open", index: int = 0) -> PipelineStage:
    stages = [s for s in ensure_default_stages(org) if s.outcome == outcome]
    return stages[index]


def make_opportunity(org, owner, party: Party | None = None, **data: Any):
    party = party or make_customer(org, owner)
    lines = data.pop("lines", None)
    with scopes_disabled():
        return create_opportunity(
            org=org,
            actor=owner,
            data={"name": "年度采购", "party": party, "amount": Decimal("10000"), **data},
            lines=lines,
        )


def make_lead(org, owner, **data: Any):
    with scopes_disabled():
        return create_lead(
            org=org,
            actor=owner,
            data={
                "title": "咨询批量采购",
                "company": "苏州博远机电有限公司",
                "person_name": "周敏",
                "phone": "13912345678",
                **data,
            },
        )


def make_product(org, code: str = "P-001", name: str = "办公椅", price: str = "500", **data: Any):
    from guanxi.catalog.models import Product

    with scopes_disabled():
        return Product.objects.create(
            org=org,
            code=code,
            name=name,
            list_price=Decimal(price),
            tax_rate=Decimal(data.pop("tax_rate", "13")),
            **data,
        )
