"""Who may call the API: session (with CSRF for writes) or personal token, one organisation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from guanxi.accounts.models import ApiToken, Membership, Role
from tests.api.conftest import API, english, issue_token, token_client
from tests.conftest import login
from tests.factories import make_member, make_team

UNAUTHENTICATED = {
    "detail": "Sign in, or send a valid API token in the Authorization header.",
    "code": "not_authenticated",
    "errors": [],
}
INVALID_TOKEN = {"detail": "Invalid or revoked API token.", "code": "invalid_token", "errors": []}


def test_session_member_can_read(admin_client, admin_member):
    response = admin_client.get(f"{API}/me")

    assert response.status_code == 200
    assert response.json()["user"]["username"] == admin_member.user.username


def test_anonymous_request_gets_401_with_the_error_body(db):
    response = english(Client()).get(f"{API}/me")

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_session_patch_without_csrf_token_is_refused_and_changes_nothing(admin_member, org):
    client = english(login(Client(enforce_csrf_checks=True), admin_member))

    response = client.patch(
        f"{API}/organisations/current",
        {"version": 1, "name": "Hijacked"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": "The CSRF check failed. Reload the page and try again.",
        "code": "csrf_failed",
        "errors": [],
    }
    org.refresh_from_db()
    assert org.name == "Acme 贸易"
    assert org.version == 1


def test_session_patch_with_csrf_token_works(admin_member, org):
    # given: a browser that loaded a page, and so holds the CSRF cookie
    client = english(login(Client(enforce_csrf_checks=True), admin_member))
    client.get(reverse("accounts:token_list"))
    csrf_token = client.cookies["csrftoken"].value

    # when
    response = client.patch(
        f"{API}/organisations/current",
        {"version": 1, "name": "Acme Trading"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token},
    )

    # then
    assert response.status_code == 200
    org.refresh_from_db()
    assert org.name == "Acme Trading"


def test_session_reads_need_no_csrf_token(admin_member):
    client = english(login(Client(enforce_csrf_checks=True), admin_member))

    assert client.get(f"{API}/organisations/current").status_code == 200


def test_token_auth_works(admin_api, org):
    response = admin_api.get(f"{API}/me")

    assert response.status_code == 200
    assert response.json()["organisation"]["id"] == org.pk


def test_token_writes_need_no_csrf_token(admin_member, admin_token, org):
    client = token_client(admin_token, enforce_csrf_checks=True)

    response = client.patch(
        f"{API}/organisations/current",
        {"version": 1, "currency": "USD"},
        content_type="application/json",
    )

    assert response.status_code == 200
    org.refresh_from_db()
    assert org.currency == "USD"


@pytest.mark.parametrize(
    "make_secret",
    [
        pytest.param(lambda m: "gx_" + "x" * 43, id="garbage"),
        pytest.param(lambda m: "not-even-a-guanxi-token", id="foreign"),
        pytest.param(
            lambda m: issue_token(m, expires_at=timezone.now() - timedelta(minutes=1)),
            id="expired",
        ),
    ],
)
def test_unusable_token_gets_401_with_the_error_body(admin_member, org, make_secret):
    response = token_client(make_secret(admin_member)).get(f"{API}/me")

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_revoked_token_gets_401(admin_member, admin_token, org):
    with scopes_disabled():
        ApiToken.objects.update(revoked_at=timezone.now())

    response = token_client(admin_token).get(f"{API}/me")

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_token_of_a_deactivated_member_gets_401(admin_member, admin_token):
    with scopes_disabled():
        Membership.objects.filter(pk=admin_member.pk).update(is_active=False)

    response = token_client(admin_token).get(f"{API}/me")

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_token_use_is_recorded(admin_api, admin_member):
    admin_api.get(f"{API}/me")

    with scopes_disabled():
        token = ApiToken.objects.get(user=admin_member.user)
    assert token.last_used_at is not None


# --- one organisation per token ---------------------------------------------------------


@pytest.fixture
def org_b_records(other_org):
    """Records of organisation B: a member only there, a team, and its roles."""
    member = make_member(other_org, "sales", username="b-only")
    team = make_team(other_org, "B team")
    with scopes_disabled():
        role_ids = list(Role.objects.filter(org=other_org).values_list("pk", flat=True))
    return {"user": member.user_id, "team": team.pk, "roles": role_ids}


def test_token_of_org_a_never_sees_org_b(admin_api, org_b_records):
    paths = [
        f"{API}/users/{org_b_records['user']}",
        f"{API}/teams/{org_b_records['team']}",
        *(f"{API}/roles/{pk}" for pk in org_b_records["roles"]),
    ]

    for path in paths:
        response = admin_api.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found.", "code": "not_found", "errors": []}

    listed_users = {u["id"] for u in admin_api.get(f"{API}/users?limit=200").json()["items"]}
    listed_teams = {t["id"] for t in admin_api.get(f"{API}/teams?limit=200").json()["items"]}
    listed_roles = {r["id"] for r in admin_api.get(f"{API}/roles?limit=200").json()["items"]}
    assert org_b_records["user"] not in listed_users
    assert org_b_records["team"] not in listed_teams
    assert listed_roles.isdisjoint(org_b_records["roles"])


def test_token_of_a_member_of_two_organisations_stays_in_its_own(
    admin_member, org, other_org, org_b_records
):
    # given: the admin also belongs to B, and holds a token made in A
    make_member(other_org, "admin", user=admin_member.user)
    client = token_client(issue_token(admin_member))

    # when
    organisations = client.get(f"{API}/organisations").json()
    me = client.get(f"{API}/me").json()

    # then
    assert [o["id"] for o in organisations] == [org.pk]
    assert me["organisation"]["id"] == org.pk
    assert client.get(f"{API}/users/{org_b_records['user']}").status_code == 404


def test_session_lists_every_organisation_of_the_user(admin_member, admin_client, org, other_org):
    elsewhere = make_member(other_org, "readonly", user=admin_member.user)

    response = admin_client.get(f"{API}/organisations")

    assert response.status_code == 200
    assert sorted(response.json(), key=lambda o: o["id"]) == [
        {"id": org.pk, "name": org.name, "role": admin_member.role.name, "is_current": True},
        {
            "id": other_org.pk,
            "name": other_org.name,
            "role": elsewhere.role.name,
            "is_current": False,
        },
    ]
