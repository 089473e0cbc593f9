"""The accounts endpoints: me, organisations, users, roles, teams."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from guanxi.accounts.models import Role, Team
from tests.api.conftest import API
from tests.factories import make_member, make_team

VALIDATION_DETAIL = "Some fields are not valid."


# --- me ----------------------------------------------------------------------------------


def test_me_describes_the_caller(sales_client, sales_member, team, org):
    response = sales_client.get(f"{API}/me")

    assert response.status_code == 200
    body = response.json()
    user = sales_member.user
    assert body["user"] == {
        "id": user.pk,
        "username": "sales",
        "display_name": user.display_name,
        "email": user.email,
        "language": "",
    }
    assert body["organisation"] == {
        "id": org.pk,
        "name": org.name,
        "currency": "CNY",
        "time_zone": "Asia/Shanghai",
        "language": "zh-hans",
        "version": 1,
    }
    assert body["role"] == {"id": sales_member.role_id, "name": sales_member.role.name}
    assert body["is_admin"] is False
    assert body["team"] == {"id": team.pk, "name": team.name}
    assert body["permissions"]["member"] == ["view"]
    assert body["permissions"]["organisation"] == []
    assert body["permissions"]["role"] == []


def test_me_of_an_administrator_allows_everything(admin_client):
    body = admin_client.get(f"{API}/me").json()

    assert body["is_admin"] is True
    assert body["team"] is None
    assert body["permissions"]["organisation"] == ["change", "view"]
    assert body["permissions"]["role"] == ["add", "change", "delete", "view"]


# --- organisation ------------------------------------------------------------------------


def test_every_member_reads_the_current_organisation(sales_client, org):
    response = sales_client.get(f"{API}/organisations/current")

    assert response.status_code == 200
    assert response.json()["id"] == org.pk


def test_administrator_changes_the_organisation(admin_api, org):
    response = admin_api.patch(
        f"{API}/organisations/current",
        {
            "version": 1,
            "name": "  Acme Trading  ",
            "currency": "usd",
            "time_zone": "Europe/Berlin",
            "language": "en",
        },
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "id": org.pk,
        "name": "Acme Trading",
        "currency": "USD",
        "time_zone": "Europe/Berlin",
        "language": "en",
        "version": 2,
    }
    org.refresh_from_db()
    assert (org.name, org.currency, org.time_zone, org.language, org.version) == (
        "Acme Trading",
        "USD",
        "Europe/Berlin",
        "en",
        2,
    )


def test_patch_leaves_unsent_fields_alone(admin_api, org):
    response = admin_api.patch(
        f"{API}/organisations/current",
        {"version": 1, "currency": "HKD"},
        content_type="application/json",
    )

    assert response.status_code == 200
    org.refresh_from_db()
    assert (org.name, org.currency, org.time_zone) == ("Acme 贸易", "HKD", "Asia/Shanghai")


def test_stale_patch_is_refused_with_409_and_changes_nothing(admin_api, org):
    # given: someone saved the organisation after this client read version 1
    admin_api.patch(
        f"{API}/organisations/current",
        {"version": 1, "name": "First"},
        content_type="application/json",
    )

    # when
    response = admin_api.patch(
        f"{API}/organisations/current",
        {"version": 1, "name": "Second", "currency": "EUR"},
        content_type="application/json",
    )

    # then
    assert response.status_code == 409
    assert response.json()["code"] == "stale_edit"
    assert response.json()["errors"] == []
    org.refresh_from_db()
    assert (org.name, org.currency, org.version) == ("First", "CNY", 2)


def test_non_administrator_patch_is_refused_with_403_and_changes_nothing(sales_api, org):
    response = sales_api.patch(
        f"{API}/organisations/current",
        {"version": 1, "name": "Mine now"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": "You do not have permission to do this.",
        "code": "permission_denied",
        "errors": [],
    }
    org.refresh_from_db()
    assert (org.name, org.version) == ("Acme 贸易", 1)


def test_invalid_patch_names_each_field_and_changes_nothing(admin_api, org):
    response = admin_api.patch(
        f"{API}/organisations/current",
        {"name": " ", "currency": "yuan", "time_zone": "Mars/Olympus", "language": "fr"},
        content_type="application/json",
    )

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == VALIDATION_DETAIL
    assert body["code"] == "validation_error"
    assert body["errors"] == [
        {"field": "version", "message": "This field is required."},
        {"field": "name", "message": "This field is required."},
        {
            "field": "currency",
            "message": "yuan is not an ISO 4217 currency code (such as CNY or USD).",
        },
        {"field": "time_zone", "message": "Choose a time zone such as Asia/Shanghai."},
        {"field": "language", "message": "Select one of: 'zh-hans' or 'en'."},
    ]
    org.refresh_from_db()
    assert (org.name, org.currency, org.version) == ("Acme 贸易", "CNY", 1)


def test_body_that_is_not_json_is_refused(admin_api):
    response = admin_api.patch(
        f"{API}/organisations/current", "{oops", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


# --- users -------------------------------------------------------------------------------


def test_users_are_listed_by_username(sales_client, admin_member, sales_member, team):
    response = sales_client.get(f"{API}/users")

    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": admin_member.user_id,
                "username": "boss",
                "display_name": admin_member.user.display_name,
                "email": "boss@example.test",
                "role": {"id": admin_member.role_id, "name": admin_member.role.name},
                "team": None,
                "is_active": True,
            },
            {
                "id": sales_member.user_id,
                "username": "sales",
                "display_name": sales_member.user.display_name,
                "email": "sales@example.test",
                "role": {"id": sales_member.role_id, "name": sales_member.role.name},
                "team": {"id": team.pk, "name": team.name},
                "is_active": True,
            },
        ],
        "next_cursor": None,
    }


def test_users_are_paged_by_cursor(admin_api, org, admin_member):
    for name in ["carol", "alice", "dave", "bob"]:
        make_member(org, "sales", username=name)

    seen, cursor = [], None
    for _ in range(10):
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = admin_api.get(f"{API}/users{query}").json()
        seen.append([u["username"] for u in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == [["alice", "bob"], ["boss", "carol"], ["dave"]]


def test_tampered_cursor_gets_400_naming_the_cursor(admin_api):
    response = admin_api.get(f"{API}/users?cursor=eyJub3QiOiAiYSBsaXN0In0")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "This cursor is not valid. Start again from the first page.",
        "code": "invalid_cursor",
        "errors": [
            {
                "field": "cursor",
                "message": "This cursor is not valid. Start again from the first page.",
            }
        ],
    }


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("0", "greater than or equal to 1"),
        ("201", "less than or equal to 200"),
        ("many", "whole number"),
    ],
)
def test_out_of_range_limit_is_a_validation_error(admin_api, limit, message):
    response = admin_api.get(f"{API}/users?limit={limit}")

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "limit"
    assert message in error["message"]


def test_user_list_uses_the_same_queries_for_few_and_many_rows(
    admin_api, org, team, django_assert_num_queries
):
    make_member(org, "sales", username="one", team=team)
    admin_api.get(f"{API}/me")  # the token's first use also records it; not part of a list
    with django_assert_num_queries(QUERIES_PER_LIST):
        assert len(admin_api.get(f"{API}/users").json()["items"]) == 2

    for index in range(30):
        make_member(org, "sales", username=f"user-{index:02}", team=team)
    with django_assert_num_queries(QUERIES_PER_LIST):
        assert len(admin_api.get(f"{API}/users").json()["items"]) == 32


# Token lookup, its memberships (one query with org, role, team), and the page itself.
QUERIES_PER_LIST = 3


def test_user_detail(admin_client, sales_member):
    response = admin_client.get(f"{API}/users/{sales_member.user_id}")

    assert response.status_code == 200
    assert response.json()["username"] == "sales"


def test_user_of_another_organisation_is_not_found(admin_client, other_org):
    stranger = make_member(other_org, "admin", username="stranger")

    response = admin_client.get(f"{API}/users/{stranger.user_id}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found", "errors": []}


def test_non_numeric_id_is_a_validation_error(admin_client):
    response = admin_client.get(f"{API}/users/abc")

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "id", "message": "Enter a whole number."}]


# --- roles and teams ---------------------------------------------------------------------


def test_roles_are_listed_with_their_effective_permissions(admin_client, org):
    response = admin_client.get(f"{API}/roles")

    assert response.status_code == 200
    items = response.json()["items"]
    with scopes_disabled():
        expected_names = sorted(Role.objects.filter(org=org).values_list("name", flat=True))
    assert [role["name"] for role in items] == expected_names
    sales = next(role for role in items if role["code"] == "sales")
    assert sales["is_admin"] is False
    assert sales["visibility"] == "own"
    assert sales["permissions"]["member"] == ["view"]
    assert sales["permissions"]["role"] == []


def test_role_detail(admin_client, sales_member):
    response = admin_client.get(f"{API}/roles/{sales_member.role_id}")

    assert response.status_code == 200
    assert response.json()["code"] == "sales"


def test_member_without_view_on_roles_may_not_list_them(sales_client):
    response = sales_client.get(f"{API}/roles")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_role_hidden_from_a_member_is_not_found(sales_client, sales_member):
    response = sales_client.get(f"{API}/roles/{sales_member.role_id}")

    assert response.status_code == 404


def test_teams_are_listed_with_their_leader(sales_client, org, team, admin_member):
    with scopes_disabled():
        Team.objects.filter(pk=team.pk).update(leader=admin_member.user)
    other = make_team(org, "Alpha")

    response = sales_client.get(f"{API}/teams")

    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {"id": other.pk, "name": "Alpha", "leader": None, "version": 1},
            {
                "id": team.pk,
                "name": team.name,
                "leader": {
                    "id": admin_member.user_id,
                    "username": "boss",
                    "display_name": admin_member.user.display_name,
                },
                "version": 1,
            },
        ],
        "next_cursor": None,
    }


def test_team_detail(sales_client, team):
    response = sales_client.get(f"{API}/teams/{team.pk}")

    assert response.status_code == 200
    assert response.json()["name"] == team.name


# --- the API root ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_address_answers_the_error_body(admin_client, method):
    response = getattr(admin_client, method)(f"{API}/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found", "errors": []}


def test_api_root_answers_the_error_body(admin_client):
    response = admin_client.get(f"{API}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_wrong_method_answers_the_error_body(admin_client):
    response = admin_client.delete(f"{API}/me")

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert response.json() == {
        "detail": "This method is not allowed here.",
        "code": "method_not_allowed",
        "errors": [],
    }
