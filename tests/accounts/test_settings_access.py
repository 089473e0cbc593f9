"""Who may open which settings page: admins everything, others 403/read-only, foreign ids 404."""

import pytest
from django.urls import reverse

from tests.accounts.settings_helpers import client_for, role
from tests.factories import make_member, make_team

PAGES = [
    "accounts:settings_home",
    "accounts:org_settings",
    "accounts:member_list",
    "accounts:member_create",
    "accounts:role_list",
    "accounts:role_create",
    "accounts:team_list",
    "accounts:team_create",
    "core:recycle_bin",
]


@pytest.mark.parametrize("url_name", PAGES)
def test_admin_opens_every_settings_page(admin_client, url_name):
    response = admin_client.get(reverse(url_name))

    assert response.status_code == 200


def _detail_urls(org, admin_member, sales_member, team):
    member = admin_member
    sales_role = role(org, "sales")
    return {
        "member_edit": reverse("accounts:member_edit", args=[member.pk]),
        "member_toggle_active": reverse("accounts:member_toggle_active", args=[sales_member.pk]),
        "member_reset_password": reverse("accounts:member_reset_password", args=[member.pk]),
        "role_edit": reverse("accounts:role_edit", args=[sales_role.pk]),
        "role_delete": reverse("accounts:role_delete", args=[sales_role.pk]),
        "team_edit": reverse("accounts:team_edit", args=[team.pk]),
        "team_delete": reverse("accounts:team_delete", args=[team.pk]),
    }


def test_admin_opens_every_detail_page(admin_client, org, admin_member, sales_member, team):
    for name, url in _detail_urls(org, admin_member, sales_member, team).items():
        assert admin_client.get(url).status_code == 200, name


@pytest.mark.parametrize(
    ("url_name", "status"),
    [
        ("accounts:org_settings", 403),
        ("accounts:member_list", 200),  # everyone may see who else works here
        ("accounts:member_create", 403),
        ("accounts:role_list", 403),
        ("accounts:role_create", 403),
        ("accounts:team_list", 200),
        ("accounts:team_create", 403),
        ("core:recycle_bin", 200),
        ("accounts:settings_home", 200),
    ],
)
def test_sales_member_is_kept_from_admin_pages(sales_client, url_name, status):
    assert sales_client.get(reverse(url_name)).status_code == status


def test_sales_member_cannot_change_anything(sales_client, org, admin_member, sales_member, team):
    urls = _detail_urls(org, admin_member, sales_member, team)
    # Visible records the member may not change: 403 on the change pages …
    for name in ("member_toggle_active", "member_reset_password", "team_delete"):
        assert sales_client.get(urls[name]).status_code == 403, name
        assert sales_client.post(urls[name], {}).status_code == 403, name
    for name in ("member_edit", "team_edit"):
        assert sales_client.post(urls[name], {}).status_code == 403, name
    # … and roles are a kind of record sales may not see at all, so they do not exist.
    assert sales_client.get(urls["role_edit"]).status_code == 404
    assert sales_client.post(urls["role_delete"]).status_code == 404
    assert sales_client.post(reverse("accounts:org_settings"), {}).status_code == 403


def test_viewers_see_read_only_pages(sales_client, admin_member, team):
    for url in (
        reverse("accounts:member_edit", args=[admin_member.pk]),
        reverse("accounts:team_edit", args=[team.pk]),
    ):
        response = sales_client.get(url)
        assert response.status_code == 200
        assert 'data-testid="read-only"' in response.content.decode()
        assert 'data-testid="save"' not in response.content.decode()


def test_manager_reads_organisation_settings_but_cannot_save(org):
    client, _manager = client_for(org, "manager")

    response = client.get(reverse("accounts:org_settings"))

    assert response.status_code == 200
    assert 'data-testid="read-only"' in response.content.decode()
    assert client.post(reverse("accounts:org_settings"), {"name": "x"}).status_code == 403


def test_ids_of_another_organisation_are_not_found(admin_client, other_org):
    # given: records of another organisation
    foreign_admin = make_member(other_org, "admin")
    foreign_sales = make_member(other_org, "sales")
    foreign_team = make_team(other_org, "别人的团队")
    foreign_role = role(other_org, "sales")
    urls = [
        reverse("accounts:member_edit", args=[foreign_admin.pk]),
        reverse("accounts:member_toggle_active", args=[foreign_sales.pk]),
        reverse("accounts:member_reset_password", args=[foreign_sales.pk]),
        reverse("accounts:role_edit", args=[foreign_role.pk]),
        reverse("accounts:role_delete", args=[foreign_role.pk]),
        reverse("accounts:team_edit", args=[foreign_team.pk]),
        reverse("accounts:team_delete", args=[foreign_team.pk]),
    ]

    for url in urls:
        assert admin_client.get(url).status_code == 404, url
        assert admin_client.post(url, {"active": "0"}).status_code == 404, url


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(reverse("accounts:member_list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_settings_menu_lists_what_the_member_may_use(admin_client, sales_client):
    admin_keys = [e.key for e in admin_client.get("/").context["nav_settings"]]
    sales_keys = [e.key for e in sales_client.get("/").context["nav_settings"]]

    mine = ["org_settings", "members", "roles", "teams", "recycle_bin"]
    assert [key for key in admin_keys if key in mine] == mine
    assert {"org_settings", "roles"} & set(sales_keys) == set()
    assert {"members", "teams", "recycle_bin"} <= set(sales_keys)


def test_settings_home_shows_a_card_per_page(admin_client):
    body = admin_client.get(reverse("accounts:settings_home")).content.decode()

    for key in ("org_settings", "members", "roles", "teams", "recycle_bin"):
        assert f'data-testid="settings-card-{key}"' in body
