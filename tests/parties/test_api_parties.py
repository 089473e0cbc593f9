"""The customers API: parties, contacts, category trees, groups and segments."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from guanxi.core.models import CustomField, Tag
from guanxi.parties import group_services
from guanxi.parties.models import Contact, Party, PartyCategory, PartyGroupMember
from guanxi.parties.services import create_contact, set_party_lock
from tests.api.conftest import issue_token, token_client
from tests.factories import make_member
from tests.parties.list_helpers import make_category, make_party

API = "/api/v1"


@pytest.fixture
def api(admin_member):
    return token_client(issue_token(admin_member))


@pytest.fixture
def other_api(other_org):
    return token_client(issue_token(make_member(other_org, "admin", username="them")))


@pytest.fixture
def sales_api(sales_member):
    return token_client(issue_token(sales_member))


@pytest.fixture
def readonly_api(readonly_member):
    return token_client(issue_token(readonly_member))


def fresh(party):
    with scope(org=party.org_id):
        return Party.all_objects.get(pk=party.pk)


def field_errors(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


# --- list ------------------------------------------------------------------------------


def test_list_filters_sorts_and_pages(api, org, admin_member):
    for name, level in (
        ("Alpha", "key"),
        ("Bravo", "normal"),
        ("Charlie", "key"),
        ("Delta", "key"),
    ):
        make_party(org, admin_member.user, name=name, level=level)

    first = api.get(f"{API}/parties", {"level": "key", "sort": "-name", "limit": 2})
    body = first.json()

    assert first.status_code == 200
    assert [p["short_name"] for p in body["items"]] == ["Delta", "Charlie"]
    second = api.get(
        f"{API}/parties",
        {"level": "key", "sort": "-name", "limit": 2, "cursor": body["next_cursor"]},
    ).json()
    assert [p["short_name"] for p in second["items"]] == ["Alpha"]
    assert second["next_cursor"] is None


def test_list_searches_like_the_page(api, org, admin_member):
    make_party(org, admin_member.user, name="东方明珠", mobile="13800138000")
    make_party(org, admin_member.user, name="西湖龙井")

    names = [p["short_name"] for p in api.get(f"{API}/parties", {"q": "dfmz"}).json()["items"]]
    phone = [p["short_name"] for p in api.get(f"{API}/parties", {"q": "8000"}).json()["items"]]

    assert names == ["东方明珠"]
    assert phone == ["东方明珠"]


def test_list_takes_custom_field_filters(api, org, admin_member):
    with scope(org=org.pk):
        CustomField.objects.create(
            org=org,
            target="party",
            key="region",
            label="Region",
            field_type="choice",
            choices=["华东", "华南"],
        )
    make_party(org, admin_member.user, name="East", custom_data={"region": "华东"})
    make_party(org, admin_member.user, name="South", custom_data={"region": "华南"})

    body = api.get(f"{API}/parties", {"cf_region": "华南"}).json()

    assert [p["short_name"] for p in body["items"]] == ["South"]


def test_list_roles(api, org):
    make_party(org, None, name="Buyer")
    make_party(org, None, name="Maker", is_customer=False, is_supplier=True)

    body = api.get(f"{API}/parties", {"role": "supplier"}).json()

    assert [p["short_name"] for p in body["items"]] == ["Maker"]


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "password"},
        {"limit": 0},
        {"limit": 201},
        {"created_from": "yesterday"},
        {"role": "enemy"},
        {"level": "gold"},
        {"group": "abc"},
    ],
)
def test_bad_list_parameters_are_422(api, params):
    response = api.get(f"{API}/parties", params)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_another_organisations_group_as_filter_is_422(api, other_org):
    theirs = group_services.create_group(org=other_org, actor=None, name="T")

    response = api.get(f"{API}/parties", {"group": theirs.pk})

    assert response.status_code == 422
    assert "group" in field_errors(response)


def test_bad_cursor_is_400(api):
    response = api.get(f"{API}/parties", {"cursor": "garbage"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_list_respects_visibility(sales_api, org, sales_member, admin_member):
    make_party(org, sales_member.user, name="Mine")
    make_party(org, admin_member.user, name="Boss's")

    body = sales_api.get(f"{API}/parties").json()

    assert [p["short_name"] for p in body["items"]] == ["Mine"]


def test_list_query_count_is_flat(api, org, admin_member):
    with scope(org=org.pk):
        tag = Tag.objects.create(org=org, name="VIP")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(f"{API}/parties", {"limit": 200}).status_code == 200
        return len(queries.captured_queries)

    count()  # the token's first use of the day records itself once
    for i in range(5):
        make_party(org, admin_member.user, name=f"P{i}", tags=[tag])
    few = count()
    for i in range(40):
        make_party(org, admin_member.user, name=f"Q{i}", tags=[tag])
    many = count()

    assert many == few


# --- one party -------------------------------------------------------------------------


def test_create_get_patch_delete(api, org, admin_member):
    category = make_category(org, "华东")
    with scope(org=org.pk):
        tag = Tag.objects.create(org=org, name="VIP")

    created = api.post(
        f"{API}/parties",
        {
            "name": "上海东方贸易有限公司",
            "short_name": "东方贸易",
            "mobile": "13800138000",
            "category_id": category.pk,
            "level": "key",
            "tag_ids": [tag.pk],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["index_letter"] == "D"
    assert body["owner"]["id"] == admin_member.user_id
    assert body["tag_ids"] == [tag.pk]
    party_id = body["id"]

    got = api.get(f"{API}/parties/{party_id}").json()
    assert got["category_id"] == category.pk

    patched = api.patch(
        f"{API}/parties/{party_id}",
        {"version": got["version"], "city": "上海", "tag_ids": []},
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert (patched.json()["city"], patched.json()["tag_ids"]) == ("上海", [])
    assert patched.json()["version"] == got["version"] + 1

    deleted = api.delete(f"{API}/parties/{party_id}")
    assert deleted.status_code == 204
    assert api.get(f"{API}/parties/{party_id}").status_code == 404


def test_stale_patch_is_409_and_changes_nothing(api, org, admin_member):
    party = make_party(org, admin_member.user, name="A")
    api.patch(
        f"{API}/parties/{party.pk}", {"version": 1, "city": "北京"}, content_type="application/json"
    )

    stale = api.patch(
        f"{API}/parties/{party.pk}", {"version": 1, "city": "上海"}, content_type="application/json"
    )

    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_edit"
    assert fresh(party).city == "北京"


def test_deleting_a_locked_party_is_409_with_the_reason(api, org, admin_member):
    party = make_party(org, admin_member.user, name="Locked")
    set_party_lock(party=party, actor=None, locked=True)

    response = api.delete(f"{API}/parties/{party.pk}")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "deletion_refused"
    assert "lock" in body["detail"].lower()
    assert fresh(party).deleted_at is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "A", "mobile": "12345"}, "mobile"),
        ({"name": "A", "email": "nope"}, "email"),
        ({"name": "A", "level": "gold"}, "level"),
        ({"name": "A", "settlement_type": "credit"}, "credit_limit"),
        ({"name": "A", "owner_id": 999999}, "owner_id"),
        ({"name": "A", "category_id": 999999}, "category_id"),
        ({"name": "A", "tag_ids": [999999]}, "tag_ids"),
        ({"name": "A", "custom_data": {"nope": 1}}, "custom_data.nope"),
        ({}, "name"),
    ],
)
def test_bad_party_input_is_422_with_field_errors(api, org, payload, field):
    response = api.post(f"{API}/parties", payload, content_type="application/json")

    assert response.status_code == 422
    assert field in field_errors(response)
    with scope(org=org.pk):
        assert Party.all_objects.exists() is False


def test_a_supplier_category_cannot_be_a_customer_category(api, org):
    supplier_category = make_category(org, "原料", role="supplier")

    response = api.post(
        f"{API}/parties",
        {"name": "A", "category_id": supplier_category.pk},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert "category_id" in field_errors(response)


def test_custom_data_is_validated_and_merged(api, org, admin_member):
    with scope(org=org.pk):
        for key, kind in (("size", "number"), ("note", "text")):
            CustomField.objects.create(org=org, target="party", key=key, label=key, field_type=kind)
    party = make_party(org, admin_member.user, name="A")

    bad = api.patch(
        f"{API}/parties/{party.pk}",
        {"version": 1, "custom_data": {"size": "many"}},
        content_type="application/json",
    )
    good = api.patch(
        f"{API}/parties/{party.pk}",
        {"version": 1, "custom_data": {"size": "12"}},
        content_type="application/json",
    )
    merged = api.patch(
        f"{API}/parties/{party.pk}",
        {"version": 2, "custom_data": {"note": "hi"}},
        content_type="application/json",
    )

    assert bad.status_code == 422
    assert "custom_data.size" in field_errors(bad)
    assert good.status_code == 200
    assert merged.json()["custom_data"] == {"size": "12", "note": "hi"}


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_another_organisations_party_is_404(other_api, org, admin_member, method):
    party = make_party(org, admin_member.user, name="Ours")

    response = getattr(other_api, method)(
        f"{API}/parties/{party.pk}", {"version": 1, "name": "x"}, content_type="application/json"
    )

    assert response.status_code == 404
    assert fresh(party).name == "Ours"
    assert fresh(party).deleted_at is None


def test_a_hidden_party_is_404_for_a_rep(sales_api, org, admin_member):
    party = make_party(org, admin_member.user, name="Boss's")

    assert sales_api.get(f"{API}/parties/{party.pk}").status_code == 404


def test_readonly_member_may_read_but_not_write(readonly_api, org, admin_member):
    party = make_party(org, admin_member.user, name="A")

    assert readonly_api.get(f"{API}/parties/{party.pk}").status_code == 200
    assert (
        readonly_api.post(
            f"{API}/parties", {"name": "B"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert readonly_api.delete(f"{API}/parties/{party.pk}").status_code == 403


def test_html_is_returned_as_data(api, org, admin_member):
    make_party(org, admin_member.user, name="<script>x</script>")

    body = api.get(f"{API}/parties").json()

    assert body["items"][0]["name"] == "<script>x</script>"


# --- contacts --------------------------------------------------------------------------


def test_contacts_nested_and_flat(api, org, admin_member):
    party = make_party(org, admin_member.user, name="A")

    created = api.post(
        f"{API}/parties/{party.pk}/contacts",
        {"name": "王芳", "mobile": "13900001111", "is_primary": True},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    contact_id = created.json()["id"]

    listed = api.get(f"{API}/parties/{party.pk}/contacts").json()
    assert [c["name"] for c in listed["items"]] == ["王芳"]
    assert api.get(f"{API}/contacts", {"q": "wangfang"}).json()["items"][0]["id"] == contact_id

    patched = api.patch(
        f"{API}/contacts/{contact_id}",
        {"version": 1, "role": "采购经理"},
        content_type="application/json",
    )
    assert patched.json()["role"] == "采购经理"
    stale = api.patch(
        f"{API}/contacts/{contact_id}", {"version": 1, "role": "x"}, content_type="application/json"
    )
    assert stale.status_code == 409

    assert api.delete(f"{API}/contacts/{contact_id}").status_code == 204
    assert api.get(f"{API}/contacts/{contact_id}").status_code == 404


def test_bad_contact_input_is_422(api, org, admin_member):
    party = make_party(org, admin_member.user, name="A")

    response = api.post(
        f"{API}/parties/{party.pk}/contacts",
        {"name": "X", "mobile": "12"},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert "mobile" in field_errors(response)
    with scope(org=org.pk):
        assert Contact.objects.exists() is False


def test_another_organisations_contacts_are_404(other_api, org, admin_member):
    party = make_party(org, admin_member.user, name="A")
    contact = create_contact(party=party, actor=None, data={"name": "王芳"})

    assert other_api.get(f"{API}/parties/{party.pk}/contacts").status_code == 404
    assert other_api.get(f"{API}/contacts/{contact.pk}").status_code == 404
    assert (
        other_api.post(
            f"{API}/parties/{party.pk}/contacts", {"name": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert other_api.delete(f"{API}/contacts/{contact.pk}").status_code == 404
    assert other_api.get(f"{API}/contacts").json()["items"] == []


# --- category trees --------------------------------------------------------------------


def test_category_tree_crud(api, org):
    root = api.post(
        f"{API}/party-categories", {"name": "华东"}, content_type="application/json"
    ).json()
    child = api.post(
        f"{API}/party-categories",
        {"name": "上海", "parent_id": root["id"]},
        content_type="application/json",
    ).json()
    other = api.post(
        f"{API}/party-categories", {"name": "华南"}, content_type="application/json"
    ).json()
    supplier = api.post(
        f"{API}/party-categories",
        {"name": "原料", "tree": "supplier"},
        content_type="application/json",
    ).json()

    tree = api.get(f"{API}/party-categories").json()
    assert [(c["name"], c["depth"], c["parent_id"]) for c in tree] == [
        ("华东", 1, None),
        ("上海", 2, root["id"]),
        ("华南", 1, None),
    ]
    assert [c["name"] for c in api.get(f"{API}/party-categories", {"tree": "supplier"}).json()] == [
        "原料"
    ]

    renamed = api.patch(
        f"{API}/party-categories/{child['id']}", {"name": "上海市"}, content_type="application/json"
    )
    assert renamed.json()["name"] == "上海市"
    moved = api.post(
        f"{API}/party-categories/{child['id']}/move",
        {"target_id": other["id"], "position": "last-child"},
        content_type="application/json",
    )
    assert moved.json()["parent_id"] == other["id"]
    cross = api.post(
        f"{API}/party-categories/{child['id']}/move",
        {"target_id": supplier["id"]},
        content_type="application/json",
    )
    assert cross.status_code == 404

    not_empty = api.delete(f"{API}/party-categories/{other['id']}")
    assert not_empty.status_code == 400
    assert not_empty.json()["code"] == "category_not_empty"
    assert api.delete(f"{API}/party-categories/{child['id']}").status_code == 204


def test_another_organisations_category_is_404(other_api, org):
    category = make_category(org, "Ours")

    assert (
        other_api.patch(
            f"{API}/party-categories/{category.pk}", {"name": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert other_api.delete(f"{API}/party-categories/{category.pk}").status_code == 404
    assert other_api.get(f"{API}/party-categories").json() == []
    with scope(org=org.pk):
        assert PartyCategory.objects.get(pk=category.pk).name == "Ours"


# --- groups and segments ---------------------------------------------------------------


def test_groups_crud_and_members(api, org, admin_member):
    a = make_party(org, admin_member.user, name="Alpha")
    b = make_party(org, admin_member.user, name="Bravo")

    group = api.post(f"{API}/groups", {"name": "Fair"}, content_type="application/json").json()
    added = api.post(
        f"{API}/groups/{group['id']}/members",
        {"party_ids": [a.pk, b.pk, a.pk]},
        content_type="application/json",
    )
    assert added.json() == {"count": 2}
    members = api.get(f"{API}/groups/{group['id']}/members").json()
    assert [m["short_name"] for m in members["items"]] == ["Alpha", "Bravo"]
    assert api.get(f"{API}/parties", {"group": group["id"]}).json()["items"][0]["id"] == a.pk

    assert api.delete(f"{API}/groups/{group['id']}/members/{a.pk}").status_code == 204
    patched = api.patch(
        f"{API}/groups/{group['id']}",
        {"version": 1, "name": "Fair 2026"},
        content_type="application/json",
    )
    assert patched.json()["name"] == "Fair 2026"
    assert [g["name"] for g in api.get(f"{API}/groups").json()["items"]] == ["Fair 2026"]
    duplicate = api.post(f"{API}/groups", {"name": "Fair 2026"}, content_type="application/json")
    assert duplicate.status_code == 422
    assert field_errors(duplicate) == {"name": field_errors(duplicate)["name"]}
    assert api.delete(f"{API}/groups/{group['id']}").status_code == 204


def test_group_member_ids_of_another_organisation_are_404(api, org, other_org):
    group = group_services.create_group(org=org, actor=None, name="Ours")
    theirs = make_party(other_org, None, name="Theirs")

    response = api.post(
        f"{API}/groups/{group.pk}/members",
        {"party_ids": [theirs.pk]},
        content_type="application/json",
    )

    assert response.status_code == 404
    with scope(org=org.pk):
        assert PartyGroupMember.objects.exists() is False


def test_another_organisations_group_is_404(other_api, org):
    group = group_services.create_group(org=org, actor=None, name="Ours")

    assert other_api.get(f"{API}/groups/{group.pk}").status_code == 404
    assert other_api.get(f"{API}/groups/{group.pk}/members").status_code == 404
    assert other_api.delete(f"{API}/groups/{group.pk}").status_code == 404


def test_segments(api, org, admin_member):
    make_party(org, admin_member.user, name="Key", level="key")
    make_party(org, admin_member.user, name="Plain")

    created = api.post(
        f"{API}/segments",
        {"name": "Keys", "filters": {"level": "key", "sort": "name"}},
        content_type="application/json",
    )
    assert created.status_code == 201
    segment = created.json()
    assert segment["filters"] == {"level": "key"}
    members = api.get(f"{API}/segments/{segment['id']}/members").json()
    assert [m["short_name"] for m in members["items"]] == ["Key"]
    assert api.delete(f"{API}/segments/{segment['id']}").status_code == 204
