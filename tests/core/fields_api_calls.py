"""Calls of the custom-fields API for tests/api/test_schema.py: each answers as documented.

Run in order: later calls depend on the rows earlier ones create or change.
"""

from __future__ import annotations

from tests.api.conftest import API
from tests.core.fields_helpers import make_field, make_layout, make_tag


def custom_field_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    field = make_field(org, "客户级别", "choice", choices=["金牌", "银牌"])
    layout = make_layout(org, "标准方案", [{"title": "基本", "fields": [field.key]}])
    spare = make_layout(org, "个性方案")
    tag = make_tag(org, "VIP", "red")
    spare_tag = make_tag(org, "Spare")
    theirs = make_field(other_org, "Theirs")
    new_field = {"target": "party", "label": "预算", "field_type": "number"}
    new_layout = {"target": "contact", "name": "标准方案", "is_default": True}
    f, lay, t = field.pk, layout.pk, tag.pk
    return [
        ("get", "/custom-fields", admin_api, f"{API}/custom-fields?target=party", None, 200),
        ("get", "/custom-fields", sales_api, f"{API}/custom-fields", None, 200),
        ("get", "/custom-fields", admin_api, f"{API}/custom-fields?target=x", None, 422),
        ("get", "/custom-fields/{id}", admin_api, f"{API}/custom-fields/{f}", None, 200),
        ("get", "/custom-fields/{id}", admin_api, f"{API}/custom-fields/{theirs.pk}", None, 404),
        ("post", "/custom-fields", admin_api, f"{API}/custom-fields", new_field, 201),
        ("post", "/custom-fields", sales_api, f"{API}/custom-fields", new_field, 403),
        ("post", "/custom-fields", admin_api, f"{API}/custom-fields", {"label": ""}, 422),
        (
            "patch",
            "/custom-fields/{id}",
            admin_api,
            f"{API}/custom-fields/{f}",
            {"version": 1, "label": "等级"},
            200,
        ),
        (
            "patch",
            "/custom-fields/{id}",
            admin_api,
            f"{API}/custom-fields/{f}",
            {"version": 1, "label": "Stale"},
            409,
        ),
        (
            "post",
            "/custom-fields/{id}/deactivate",
            admin_api,
            f"{API}/custom-fields/{f}/deactivate",
            {"version": 2},
            200,
        ),
        (
            "post",
            "/custom-fields/{id}/reactivate",
            admin_api,
            f"{API}/custom-fields/{f}/reactivate",
            {"version": 3},
            200,
        ),
        ("get", "/field-layouts", sales_api, f"{API}/field-layouts?target=party", None, 200),
        ("get", "/field-layouts/{id}", admin_api, f"{API}/field-layouts/{lay}", None, 200),
        ("post", "/field-layouts", admin_api, f"{API}/field-layouts", new_layout, 201),
        (
            "patch",
            "/field-layouts/{id}",
            admin_api,
            f"{API}/field-layouts/{lay}",
            {"version": 1, "is_default": True},
            200,
        ),
        ("delete", "/field-layouts/{id}", admin_api, f"{API}/field-layouts/{lay}", None, 409),
        (
            "delete",
            "/field-layouts/{id}",
            admin_api,
            f"{API}/field-layouts/{spare.pk}",
            None,
            204,
        ),
        ("get", "/tags", sales_api, f"{API}/tags", None, 200),
        ("get", "/tags/{id}", admin_api, f"{API}/tags/{t}", None, 200),
        ("post", "/tags", admin_api, f"{API}/tags", {"name": "重点"}, 201),
        ("post", "/tags", admin_api, f"{API}/tags", {"name": "vip"}, 422),
        (
            "patch",
            "/tags/{id}",
            admin_api,
            f"{API}/tags/{t}",
            {"version": 1, "color": "green"},
            200,
        ),
        ("delete", "/tags/{id}", admin_api, f"{API}/tags/{spare_tag.pk}", None, 204),
    ]
