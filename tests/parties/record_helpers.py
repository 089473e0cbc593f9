"""Helpers for the customer record page tests: parties and contacts made through the services."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from guanxi.parties.models import Contact, Party
from guanxi.parties.services import create_contact, create_party


def make_party(org, actor=None, **data: Any) -> Party:
    data.setdefault("name", "上海申达贸易有限公司")
    return create_party(org=org, actor=actor, data=data)


def make_contact(party: Party, actor=None, **data: Any) -> Contact:
    data.setdefault("name", "王芳")
    return create_contact(party=party, actor=actor, data=data)


def full_party_form(**overrides: Any) -> dict[str, Any]:
    """POST data of the customer form with all four information sections filled."""
    data: dict[str, Any] = {
        # name and classification
        "name": "杭州西湖茶业有限公司",
        "short_name": "西湖茶业",
        "code": "C-0001",
        "kind": "company",
        "roles": ["customer"],
        "customer_type": "enterprise",
        "level": "important",
        "source": "exhibition",
        "settlement_type": "credit",
        "credit_limit": "50000.00",
        # personal (个人信息)
        "gender": "female",
        "birthday": "1985-03-12",
        "mobile": "138 0013 8000",
        "phone": "0571-8765 4321",
        "email": "li.na@xihutea.example",
        "wechat": "lina_tea88",
        "qq": "123456789",
        # company (单位信息)
        "company_name": "杭州西湖茶业有限公司",
        "department": "采购部",
        "job_title": "采购经理",
        "industry": "茶叶",
        "company_size": "50-200",
        "website": "https://xihutea.example",
        "fax": "0571-8765 4322",
        "country": "中国",
        "province": "浙江",
        "city": "杭州",
        "district": "西湖区",
        "address": "龙井路 1 号",
        "postcode": "310000",
        # family (家庭信息)
        "home_address": "杭州市西湖区曙光路 88 号",
        "home_phone": "0571-8888 6666",
        "spouse": "张伟",
        "children": "一子",
        "family_notes": "喜欢周末爬山",
        # other (其它信息, B17)
        "background": "三家门店，计划开第四家",
        "decision_makers": "总经理李娜",
        "budget": "20 万",
        "purchase_timeline": "明年春茶季",
        "interests": "茶道、书法",
        "upstream_partners": "龙井茶农合作社",
        "downstream_partners": "本地茶馆",
        "notes": "重要客户",
        "adhoc_label": ["Favourite tea", ""],
        "adhoc_value": ["龙井", ""],
    }
    data.update(overrides)
    return data


def edit_form(client: Client, party: Party, **overrides: Any) -> dict[str, Any]:
    """The edit page's own initial data (as a browser would post it back), with changes."""
    response = client.get(reverse("parties:party_edit", args=[party.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
            continue
        data[name] = (
            field.widget.format_value(value) if hasattr(field.widget, "format_value") else value
        )
    data["adhoc_label"] = [r["label"] for r in form.adhoc_rows]
    data["adhoc_value"] = [r["value"] for r in form.adhoc_rows]
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
