"""The custom-fields API: definitions, edit schemes (layouts) and tags."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership, Role
from guanxi.core.models import Tag
from guanxi.parties.models import PartyTag
from guanxi.parties.services import create_party
from tests.api.conftest import API, issue_token, token_client
from tests.core.fields_helpers import (
    exists,
    fields_of,
    fresh,
    layouts_of,
    make_field,
    make_layout,
    make_tag,
    tag_names,
)
from tests.factories import UserFactory

JSON = "application/json"


@pytest.fixture
def admin_api(admin_member):
    return token_client(issue_token(admin_member))


@pytest.fixture
def sales_api(sales_member):
    return token_client(issue_token(sales_member))


@pytest.fixture
def customers_only_api(org):
    """A member whose role may view customers but not contacts."""
    with scopes_disabled():
        role = Role.objects.create(
            org=org, name="Customers only", permissions={"party": ["view"], "contact": []}
        )
        user = UserFactory()
        member = Membership.objects.create(org=org, user=user, role=role)
    return token_client(issue_token(member))


def errors(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


# --- custom fields: reading --------------------------------------------------------------


def test_list_pages_by_keyset_in_form_order(admin_api, org):
    for name in ("Alpha", "Beta", "Gamma"):
        make_field(org, name)
    make_field(org, "Hobby", target="contact")

    first = admin_api.get(f"{API}/custom-fields", {"target": "party", "limit": 2}).json()
    second = admin_api.get(
        f"{API}/custom-fields", {"target": "party", "limit": 2, "cursor": first["next_cursor"]}
    ).json()

    assert [f["key"] for f in first["items"]] == ["alpha", "beta"]
    assert [f["key"] for f in second["items"]] == ["gamma"]
    assert second["next_cursor"] is None
    assert first["items"][0] == {
        "id": first["items"][0]["id"],
        "target": "party",
        "key": "alpha",
        "label": "Alpha",
        "field_type": "text",
        "choices": [],
        "required": False,
        "help_text": "",
        "position": 1,
        "is_active": True,
        "version": 1,
    }


def test_list_filters_by_active(admin_api, org):
    make_field(org, "Alpha")
    make_field(org, "Beta", is_active=False)

    body = admin_api.get(f"{API}/custom-fields", {"is_active": "false"}).json()

    assert [f["key"] for f in body["items"]] == ["beta"]


def test_members_read_the_definitions_of_records_they_see(customers_only_api, org):
    make_field(org, "Tier")
    make_field(org, "Hobby", target="contact")

    everything = customers_only_api.get(f"{API}/custom-fields").json()
    contacts = customers_only_api.get(f"{API}/custom-fields", {"target": "contact"})

    assert [f["key"] for f in everything["items"]] == ["tier"]
    assert contacts.status_code == 403


def test_list_query_count_stays_flat(admin_api, org, django_assert_num_queries):
    make_field(org, "F0")
    response = admin_api.get(f"{API}/custom-fields")
    assert response.status_code == 200
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        admin_api.get(f"{API}/custom-fields")
    for n in range(1, 30):
        make_field(org, f"F{n}", "choice")
        make_layout(org, f"L{n}", [{"title": "G", "fields": [f"f{n}"]}])
        make_tag(org, f"T{n}")

    for url in ("custom-fields", "field-layouts", "tags"):
        with django_assert_num_queries(len(few)):
            assert admin_api.get(f"{API}/{url}").status_code == 200


# --- custom fields: writing --------------------------------------------------------------


def test_admin_creates_a_field(admin_api, org):
    response = admin_api.post(
        f"{API}/custom-fields",
        {
            "target": "contact",
            "label": " 爱好 ",
            "field_type": "multichoice",
            "choices": ["茶", "高尔夫", "茶"],
            "required": True,
        },
        content_type=JSON,
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["key"], body["label"], body["choices"]) == ("aihao", "爱好", ["茶", "高尔夫"])
    assert fields_of(org, "contact") == [("aihao", 1, True)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": "party", "label": "", "field_type": "text"}, "label"),
        ({"target": "party", "label": "  ", "field_type": "text"}, "label"),
        ({"target": "party", "label": "x" * 61, "field_type": "text"}, "label"),
        ({"target": "party", "label": "T", "field_type": "choice"}, "choices"),
        ({"target": "party", "label": "T", "field_type": "choice", "choices": [" "]}, "choices"),
        ({"target": "party", "label": "T", "field_type": "colour"}, "field_type"),
        ({"target": "planet", "label": "T", "field_type": "text"}, "target"),
        ({"target": "opportunity", "label": "T", "field_type": "text"}, "target"),
        ({"target": "party", "label": "T", "field_type": "text", "key": "9lives"}, "key"),
        ({"target": "party", "label": "T", "field_type": "text", "key": "tier"}, "key"),
    ],
)
def test_bad_definition_is_422_with_the_field_and_saves_nothing(admin_api, org, body, field):
    make_field(org, "Tier")

    response = admin_api.post(f"{API}/custom-fields", body, content_type=JSON)

    assert response.status_code == 422
    assert field in errors(response)
    assert fields_of(org) == [("tier", 1, True)]


def test_patch_changes_what_is_sent_and_keeps_the_rest(admin_api, org):
    field = make_field(org, "Tier", "choice", choices=["A"], help_text="Keep me")

    response = admin_api.patch(
        f"{API}/custom-fields/{field.pk}",
        {"version": 1, "label": "等级", "choices": ["A", "B"], "position": 9},
        content_type=JSON,
    )

    assert response.status_code == 200
    after = fresh(field)
    assert (after.label, after.choices, after.help_text) == ("等级", ["A", "B"], "Keep me")
    assert (after.position, after.version, after.field_type) == (9, 2, "choice")


def test_patch_cannot_change_the_type(admin_api, org):
    field = make_field(org, "Tier")

    response = admin_api.patch(
        f"{API}/custom-fields/{field.pk}",
        {"version": 1, "field_type": "number"},
        content_type=JSON,
    )

    assert response.status_code == 422
    assert "cannot change" in errors(response)["field_type"]
    assert fresh(field).field_type == "text"
    assert fresh(field).version == 1


def test_stale_patch_is_409_and_changes_nothing(admin_api, org):
    field = make_field(org, "Tier")
    url = f"{API}/custom-fields/{field.pk}"
    admin_api.patch(url, {"version": 1, "label": "First"}, content_type=JSON)

    response = admin_api.patch(url, {"version": 1, "label": "Second"}, content_type=JSON)

    assert response.status_code == 409
    assert response.json()["code"] == "stale_edit"
    assert fresh(field).label == "First"


def test_deactivate_and_reactivate(admin_api, org):
    field = make_field(org, "Tier")
    url = f"{API}/custom-fields/{field.pk}"

    off = admin_api.post(f"{url}/deactivate", {"version": 1}, content_type=JSON)
    stale = admin_api.post(f"{url}/reactivate", {"version": 1}, content_type=JSON)
    on = admin_api.post(f"{url}/reactivate", {"version": 2}, content_type=JSON)

    assert (off.status_code, stale.status_code, on.status_code) == (200, 409, 200)
    assert off.json()["is_active"] is False
    assert on.json()["is_active"] is True


def test_sales_member_may_read_but_not_change(sales_api, org):
    field = make_field(org, "Tier")
    url = f"{API}/custom-fields/{field.pk}"

    read = sales_api.get(url)
    responses = [
        sales_api.patch(url, {"version": 1, "label": "X"}, content_type=JSON),
        sales_api.post(f"{url}/deactivate", {"version": 1}, content_type=JSON),
        sales_api.post(
            f"{API}/custom-fields",
            {"target": "party", "label": "X", "field_type": "text"},
            content_type=JSON,
        ),
    ]

    assert read.status_code == 200
    assert [r.status_code for r in responses] == [403, 403, 403]
    assert fields_of(org) == [("tier", 1, True)]


def test_another_organisations_ids_are_404_everywhere(admin_api, other_org):
    field = make_field(other_org, "Theirs")
    layout = make_layout(other_org, "Theirs")
    tag = make_tag(other_org, "Theirs")
    calls = [
        ("get", f"custom-fields/{field.pk}", None),
        ("patch", f"custom-fields/{field.pk}", {"version": 1, "label": "Mine"}),
        ("post", f"custom-fields/{field.pk}/deactivate", {"version": 1}),
        ("post", f"custom-fields/{field.pk}/reactivate", {"version": 1}),
        ("get", f"field-layouts/{layout.pk}", None),
        ("patch", f"field-layouts/{layout.pk}", {"version": 1, "name": "Mine"}),
        ("delete", f"field-layouts/{layout.pk}", None),
        ("get", f"tags/{tag.pk}", None),
        ("patch", f"tags/{tag.pk}", {"version": 1, "name": "Mine"}),
        ("delete", f"tags/{tag.pk}", None),
    ]

    for method, path, body in calls:
        kwargs = {"content_type": JSON} if body is not None else {}
        args = (body,) if body is not None else ()
        response = getattr(admin_api, method)(f"{API}/{path}", *args, **kwargs)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"

    assert (fresh(field).label, fresh(field).is_active) == ("Theirs", True)
    assert fresh(layout).name == "Theirs"
    assert exists(tag) is True
    assert admin_api.get(f"{API}/custom-fields").json()["items"] == []


# --- layouts -----------------------------------------------------------------------------


def test_create_layout_drops_unknown_keys(admin_api, org, other_org):
    make_field(org, "Alpha")
    make_field(org, "Hobby", target="contact")
    make_field(other_org, "Theirs")

    response = admin_api.post(
        f"{API}/field-layouts",
        {
            "target": "party",
            "name": "标准方案",
            "is_default": True,
            "groups": [
                {"title": "基本", "fields": ["alpha", "hobby", "theirs", "alpha", "ghost"]},
                {"title": "", "fields": []},
            ],
        },
        content_type=JSON,
    )

    assert response.status_code == 201
    assert response.json()["groups"] == [{"title": "基本", "fields": ["alpha"]}]
    assert layouts_of(org) == [("标准方案", True, [{"title": "基本", "fields": ["alpha"]}])]


def test_one_default_per_record_type(admin_api, org):
    standard = make_layout(org, "标准方案", is_default=True)
    personal = make_layout(org, "个性方案")
    contact_default = make_layout(org, "联系人", target="contact", is_default=True)

    response = admin_api.patch(
        f"{API}/field-layouts/{personal.pk}", {"version": 1, "is_default": True}, content_type=JSON
    )

    assert response.status_code == 200
    assert fresh(personal).is_default is True
    assert fresh(standard).is_default is False
    assert fresh(contact_default).is_default is True


def test_layout_patch_renames_keeps_groups_and_refuses_stale(admin_api, org):
    make_field(org, "Alpha")
    layout = make_layout(org, "A", [{"title": "G", "fields": ["alpha"]}])
    url = f"{API}/field-layouts/{layout.pk}"

    renamed = admin_api.patch(url, {"version": 1, "name": "B"}, content_type=JSON)
    stale = admin_api.patch(url, {"version": 1, "groups": []}, content_type=JSON)

    assert renamed.status_code == 200
    assert stale.status_code == 409
    assert layouts_of(org) == [("B", False, [{"title": "G", "fields": ["alpha"]}])]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": "party", "name": ""}, "name"),
        ({"target": "party", "name": "n" * 61}, "name"),
        ({"target": "party", "name": "标准方案"}, "name"),
        ({"target": "party", "name": "X", "groups": [{"title": "t" * 61}]}, "groups.0.title"),
        ({"target": "party", "name": "X", "groups": [{"fields": "alpha"}]}, "groups.0.fields"),
        ({"target": "opportunity", "name": "X"}, "target"),
    ],
)
def test_bad_layout_is_422(admin_api, org, body, field):
    make_layout(org, "标准方案")

    response = admin_api.post(f"{API}/field-layouts", body, content_type=JSON)

    assert response.status_code == 422
    assert field in errors(response)
    assert [name for name, _d, _g in layouts_of(org)] == ["标准方案"]


def test_default_layout_cannot_be_deleted(admin_api, org):
    standard = make_layout(org, "标准方案", is_default=True)

    response = admin_api.delete(f"{API}/field-layouts/{standard.pk}")

    assert response.status_code == 409
    assert response.json()["code"] == "default_layout"
    assert exists(standard) is True


# --- tags --------------------------------------------------------------------------------


def test_tags_list_with_record_counts(sales_api, org, admin_member):
    vip = make_tag(org, "VIP", "red")
    make_tag(org, "冷")
    create_party(org=org, actor=admin_member.user, data={"name": "甲"}, tags=[vip])

    body = sales_api.get(f"{API}/tags").json()

    assert [(t["name"], t["color"], t["records"]) for t in body["items"]] == [
        ("VIP", "red", 1),
        ("冷", "blue", 0),
    ]


def test_tag_create_rename_and_delete(admin_api, org, admin_member):
    created = admin_api.post(f"{API}/tags", {"name": "重点", "color": "lime"}, content_type=JSON)
    tag_id = created.json()["id"]
    with scopes_disabled():
        tag = Tag.objects.get(pk=tag_id)
    party = create_party(org=org, actor=admin_member.user, data={"name": "甲"}, tags=[tag])

    renamed = admin_api.patch(
        f"{API}/tags/{tag_id}", {"version": 1, "name": "重点客户"}, content_type=JSON
    )
    stale = admin_api.patch(f"{API}/tags/{tag_id}", {"version": 1, "name": "X"}, content_type=JSON)
    deleted = admin_api.delete(f"{API}/tags/{tag_id}")

    assert created.status_code == 201
    assert renamed.json() == {
        "id": tag_id,
        "name": "重点客户",
        "color": "lime",
        "records": 1,
        "version": 2,
    }
    assert stale.status_code == 409
    assert deleted.status_code == 204
    assert tag_names(org) == []
    with scopes_disabled():
        assert PartyTag.objects.filter(party=party).exists() is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "n" * 41}, "name"),
        ({"name": "vip"}, "name"),
        ({"name": "New", "color": "chartreuse"}, "color"),
    ],
)
def test_bad_tag_is_422(admin_api, org, body, field):
    make_tag(org, "VIP")

    response = admin_api.post(f"{API}/tags", body, content_type=JSON)

    assert response.status_code == 422
    assert field in errors(response)
    assert tag_names(org) == ["VIP"]


def test_sales_member_cannot_change_tags(sales_api, org):
    tag = make_tag(org, "VIP")

    responses = [
        sales_api.post(f"{API}/tags", {"name": "New"}, content_type=JSON),
        sales_api.patch(f"{API}/tags/{tag.pk}", {"version": 1, "name": "X"}, content_type=JSON),
        sales_api.delete(f"{API}/tags/{tag.pk}"),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert tag_names(org) == ["VIP"]


def test_html_in_labels_is_returned_as_text(admin_api, org):
    make_field(org, "<b>级别</b>")

    body = admin_api.get(f"{API}/custom-fields").json()

    assert body["items"][0]["label"] == "<b>级别</b>"
