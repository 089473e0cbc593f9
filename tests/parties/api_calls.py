"""Calls of the customers API for tests/api/test_schema.py: each answers as documented.

Run in order: later calls depend on the rows earlier ones create or change.
"""

from __future__ import annotations

from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership
from guanxi.parties import group_services
from guanxi.parties.services import create_contact, set_party_lock
from tests.api.conftest import API
from tests.parties.list_helpers import make_category, make_party


def party_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    with scopes_disabled():
        sales = Membership.objects.filter(org=org, role__code="sales").first().user
        boss = Membership.objects.filter(org=org, role__code="admin").first().user
    party = make_party(org, sales, name="接口客户", mobile="13800138000")
    spare = make_party(org, sales, name="要删的客户")
    locked = make_party(org, sales, name="锁定客户")
    set_party_lock(party=locked, actor=None, locked=True)
    theirs = make_party(other_org, None, name="别家的客户")
    contact = create_contact(party=party, actor=None, data={"name": "王芳"})
    spare_contact = create_contact(party=party, actor=None, data={"name": "要删的联系人"})
    east = make_category(org, "华东区")
    shanghai = make_category(org, "上海", parent=east)
    spare_category = make_category(org, "要删的分类")
    group = group_services.create_group(org=org, actor=boss, name="接口分组")
    spare_group = group_services.create_group(org=org, actor=boss, name="要删的分组")
    segment = group_services.create_segment(
        org=org, actor=boss, name="重点客户", filters={"level": "key"}
    )
    spare_segment = group_services.create_segment(org=org, actor=boss, name="要删的", filters={})
    p, c, g, s = party.pk, contact.pk, group.pk, segment.pk
    return [
        ("get", "/parties", sales_api, f"{API}/parties?limit=2&sort=-created", None, 200),
        ("get", "/parties", admin_api, f"{API}/parties?q=jiekou&level=normal", None, 200),
        ("get", "/parties", admin_api, f"{API}/parties?sort=password", None, 422),
        ("get", "/parties", admin_api, f"{API}/parties?cursor=bad", None, 400),
        ("post", "/parties", admin_api, f"{API}/parties", {"name": "接口新客户"}, 201),
        ("post", "/parties", admin_api, f"{API}/parties", {"name": ""}, 422),
        ("get", "/parties/{id}", sales_api, f"{API}/parties/{p}", None, 200),
        ("get", "/parties/{id}", admin_api, f"{API}/parties/{theirs.pk}", None, 404),
        (
            "patch",
            "/parties/{id}",
            sales_api,
            f"{API}/parties/{p}",
            {"version": 1, "city": "上海"},
            200,
        ),
        (
            "patch",
            "/parties/{id}",
            sales_api,
            f"{API}/parties/{p}",
            {"version": 1, "city": "x"},
            409,
        ),
        (
            "patch",
            "/parties/{id}",
            sales_api,
            f"{API}/parties/{p}",
            {"version": 2, "mobile": "1"},
            422,
        ),
        ("delete", "/parties/{id}", admin_api, f"{API}/parties/{spare.pk}", None, 204),
        ("delete", "/parties/{id}", admin_api, f"{API}/parties/{locked.pk}", None, 409),
        ("get", "/parties/{id}/contacts", admin_api, f"{API}/parties/{p}/contacts", None, 200),
        (
            "get",
            "/parties/{id}/contacts",
            admin_api,
            f"{API}/parties/{theirs.pk}/contacts",
            None,
            404,
        ),
        (
            "post",
            "/parties/{id}/contacts",
            admin_api,
            f"{API}/parties/{p}/contacts",
            {"name": "李雷"},
            201,
        ),
        (
            "post",
            "/parties/{id}/contacts",
            admin_api,
            f"{API}/parties/{p}/contacts",
            {"name": "x", "mobile": "1"},
            422,
        ),
        ("get", "/contacts", admin_api, f"{API}/contacts?q=wangfang", None, 200),
        ("get", "/contacts/{id}", admin_api, f"{API}/contacts/{c}", None, 200),
        (
            "patch",
            "/contacts/{id}",
            admin_api,
            f"{API}/contacts/{c}",
            {"version": 1, "role": "经理"},
            200,
        ),
        ("delete", "/contacts/{id}", admin_api, f"{API}/contacts/{spare_contact.pk}", None, 204),
        ("get", "/party-categories", sales_api, f"{API}/party-categories?tree=customer", None, 200),
        (
            "post",
            "/party-categories",
            admin_api,
            f"{API}/party-categories",
            {"name": "华南区"},
            201,
        ),
        ("post", "/party-categories", admin_api, f"{API}/party-categories", {"name": " "}, 400),
        (
            "patch",
            "/party-categories/{id}",
            admin_api,
            f"{API}/party-categories/{shanghai.pk}",
            {"name": "上海市"},
            200,
        ),
        (
            "post",
            "/party-categories/{id}/move",
            admin_api,
            f"{API}/party-categories/{shanghai.pk}/move",
            {"target_id": east.pk, "position": "first-child"},
            200,
        ),
        (
            "delete",
            "/party-categories/{id}",
            admin_api,
            f"{API}/party-categories/{east.pk}",
            None,
            400,
        ),
        (
            "delete",
            "/party-categories/{id}",
            admin_api,
            f"{API}/party-categories/{spare_category.pk}",
            None,
            204,
        ),
        ("get", "/groups", sales_api, f"{API}/groups", None, 200),
        ("post", "/groups", admin_api, f"{API}/groups", {"name": "新分组"}, 201),
        ("post", "/groups", admin_api, f"{API}/groups", {"name": "接口分组"}, 422),
        ("get", "/groups/{id}", sales_api, f"{API}/groups/{g}", None, 200),
        (
            "patch",
            "/groups/{id}",
            admin_api,
            f"{API}/groups/{g}",
            {"version": 1, "description": "d"},
            200,
        ),
        ("delete", "/groups/{id}", admin_api, f"{API}/groups/{spare_group.pk}", None, 204),
        (
            "post",
            "/groups/{id}/members",
            admin_api,
            f"{API}/groups/{g}/members",
            {"party_ids": [p]},
            200,
        ),
        (
            "post",
            "/groups/{id}/members",
            admin_api,
            f"{API}/groups/{g}/members",
            {"party_ids": [theirs.pk]},
            404,
        ),
        ("get", "/groups/{id}/members", sales_api, f"{API}/groups/{g}/members", None, 200),
        (
            "delete",
            "/groups/{id}/members/{party_id}",
            admin_api,
            f"{API}/groups/{g}/members/{p}",
            None,
            204,
        ),
        ("get", "/segments", admin_api, f"{API}/segments", None, 200),
        (
            "post",
            "/segments",
            admin_api,
            f"{API}/segments",
            {"name": "新细分", "filters": {"city": "上海"}},
            201,
        ),
        ("get", "/segments/{id}", admin_api, f"{API}/segments/{s}", None, 200),
        (
            "patch",
            "/segments/{id}",
            admin_api,
            f"{API}/segments/{s}",
            {"version": 1, "is_shared": True},
            200,
        ),
        ("get", "/segments/{id}/members", sales_api, f"{API}/segments/{s}/members", None, 200),
        ("delete", "/segments/{id}", admin_api, f"{API}/segments/{spare_segment.pk}", None, 204),
    ]
