"""Members: list with filters, create, edit, deactivate, reset password."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership, Role, User
from tests.accounts.settings_helpers import errors_of, fresh, role
from tests.conftest import login
from tests.factories import TEST_PASSWORD, UserFactory, make_member, make_team

LIST = reverse("accounts:member_list")
CREATE = reverse("accounts:member_create")
NEW_PASSWORD = "Blue-Lantern-77"


def _rows(response):
    return [m.user.username for m in response.context["page"]]


# --- list ------------------------------------------------------------------------------


def test_list_shows_members_with_their_details(admin_client, admin_member, sales_member):
    response = admin_client.get(LIST)

    assert response.status_code == 200
    assert _rows(response) == ["boss", "sales"]
    body = response.content.decode()
    assert sales_member.user.email in body
    assert "华东销售部" in body


def test_list_filters_by_role_team_status_and_search(admin_client, org, admin_member, team):
    make_member(org, "sales", team=team, username="li.lei", display_name="Lily 李")
    make_member(org, "sales", username="han.meimei", email="hmm@example.test")
    gone = make_member(org, "service", username="gone")
    with scopes_disabled():
        Membership.objects.filter(pk=gone.pk).update(is_active=False)

    assert _rows(admin_client.get(LIST, {"role": role(org, "sales").pk})) == [
        "han.meimei",
        "li.lei",
    ]
    assert _rows(admin_client.get(LIST, {"team": team.pk})) == ["li.lei"]
    assert _rows(admin_client.get(LIST, {"active": "0"})) == ["gone"]
    assert _rows(admin_client.get(LIST, {"q": "lily 李"})) == ["li.lei"]
    assert _rows(admin_client.get(LIST, {"q": "hmm@"})) == ["han.meimei"]
    # a nonsense filter is ignored rather than failing the page
    assert len(_rows(admin_client.get(LIST, {"role": "nope", "active": "9"}))) == 4


def test_htmx_request_gets_only_the_rows(admin_client, admin_member):
    response = admin_client.get(LIST, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert 'id="member-rows"' in body
    assert "<html" not in body


def test_list_query_count_stays_flat(admin_client, org, admin_member):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    teams = [make_team(org, f"Team {i}") for i in range(3)]
    for i in range(2):
        make_member(org, "sales", team=teams[i % 3])
    few = count_queries()
    for i in range(17):
        make_member(org, "service", team=teams[i % 3])
    many = count_queries()

    assert few == many


# --- create ----------------------------------------------------------------------------


def _create(client, org, **changes):
    data = {
        "username": "wang.wu",
        "display_name": "王五",
        "email": "wang.wu@example.test",
        "password": NEW_PASSWORD,
        "role": role(org, "sales").pk,
        "team": "",
        **changes,
    }
    return client.post(CREATE, data)


def test_admin_creates_a_member_who_must_change_the_password(admin_client, org, team):
    response = _create(admin_client, org, team=team.pk)

    assert response.status_code == 302
    with scopes_disabled():
        member = Membership.objects.select_related("user").get(user__username="wang.wu")
    assert member.org_id == org.pk
    assert member.role.code == "sales"
    assert member.team_id == team.pk
    assert member.user.display_name == "王五"
    assert member.user.check_password(NEW_PASSWORD) is True
    assert member.user.must_change_password is True


def test_weak_password_is_refused_with_field_errors(admin_client, org):
    response = _create(admin_client, org, password="12345678")

    assert response.status_code == 200
    assert len(errors_of(response, "password")) >= 1
    assert User.objects.filter(username="wang.wu").exists() is False


def test_password_like_the_username_is_refused(admin_client, org):
    response = _create(admin_client, org, username="qingdao2024", password="qingdao2024")

    assert response.status_code == 200
    assert errors_of(response, "password") != []
    assert User.objects.filter(username="qingdao2024").exists() is False


def test_bad_username_and_missing_role_are_field_errors(admin_client, org):
    response = _create(admin_client, org, username="wang wu!", role="")

    assert response.status_code == 200
    assert errors_of(response, "username") != []
    assert errors_of(response, "role") != []
    assert User.objects.filter(username="wang wu!").exists() is False


def test_role_of_another_organisation_is_refused(admin_client, org, other_org):
    response = _create(admin_client, org, role=role(other_org, "sales").pk)

    assert response.status_code == 200
    assert errors_of(response, "role") != []
    assert User.objects.filter(username="wang.wu").exists() is False


def test_existing_member_username_is_refused(admin_client, org, sales_member):
    response = _create(admin_client, org, username="sales")

    assert response.status_code == 200
    assert errors_of(response, "username") != []
    with scopes_disabled():
        assert Membership.objects.filter(org=org).count() == 2


def test_user_of_another_organisation_is_added_not_duplicated(admin_client, org, other_org):
    outsider = make_member(other_org, "admin", username="outsider").user

    response = _create(admin_client, org, username="outsider")

    assert response.status_code == 302
    assert User.objects.filter(username="outsider").count() == 1
    with scopes_disabled():
        assert Membership.objects.filter(org=org, user=outsider).exists() is True
    outsider.refresh_from_db()
    assert outsider.check_password(TEST_PASSWORD) is True  # kept their own password
    assert outsider.must_change_password is False


def test_new_member_is_sent_to_change_the_password_at_first_login(admin_client, org):
    _create(admin_client, org)
    client = Client()

    response = client.post(
        reverse("accounts:login"), {"username": "wang.wu", "password": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert client.get("/").url == reverse("accounts:password_change")


# --- edit ------------------------------------------------------------------------------


def _edit(client, member, **changes):
    data = {
        "display_name": member.user.display_name,
        "email": member.user.email,
        "role": member.role_id,
        "team": member.team_id or "",
        "version": member.version,
        **changes,
    }
    return client.post(reverse("accounts:member_edit", args=[member.pk]), data)


def test_admin_edits_role_team_and_name(admin_client, org, admin_member, sales_member):
    other_team = make_team(org, "华南")

    response = _edit(
        admin_client,
        sales_member,
        role=role(org, "manager").pk,
        team=other_team.pk,
        display_name="销售经理",
        email="new@example.test",
    )

    assert response.status_code == 302
    after = fresh(sales_member)
    assert after.role.code == "manager"
    assert after.team_id == other_team.pk
    assert after.version == 2
    after.user.refresh_from_db()
    assert (after.user.display_name, after.user.email) == ("销售经理", "new@example.test")


def test_bad_email_is_a_field_error_and_changes_nothing(admin_client, sales_member):
    response = _edit(admin_client, sales_member, email="not-an-email", display_name="X")

    assert response.status_code == 200
    assert errors_of(response, "email") != []
    after = fresh(sales_member)
    assert after.version == 1
    assert after.user.display_name == sales_member.user.display_name


def test_stale_member_edit_is_refused_and_changes_nothing(admin_client, org, sales_member):
    assert _edit(admin_client, sales_member, role=role(org, "service").pk).status_code == 302

    response = _edit(admin_client, sales_member, role=role(org, "manager").pk, version=1)

    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    assert fresh(sales_member).role.code == "service"


def test_last_administrator_cannot_lose_the_role(admin_client, org, admin_member):
    response = _edit(admin_client, admin_member, role=role(org, "sales").pk, follow=True)

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["An organisation needs at least one active administrator."]
    after = fresh(admin_member)
    assert after.role.code == "admin"
    assert after.version == 1


def test_email_of_an_account_shared_with_another_organisation_is_kept(admin_client, org, other_org):
    shared = make_member(org, "sales", username="shared")
    make_member(other_org, "admin", user=shared.user)

    response = _edit(admin_client, shared, email="takeover@example.test")

    assert response.status_code == 200
    assert errors_of(response, "email") != []
    shared.user.refresh_from_db()
    assert shared.user.email == "shared@example.test"


# --- deactivate / reactivate -------------------------------------------------------------


def test_deactivate_then_reactivate(admin_client, sales_member):
    url = reverse("accounts:member_toggle_active", args=[sales_member.pk])
    assert admin_client.get(url).status_code == 200  # the confirmation

    assert admin_client.post(url, {"active": "0"}).status_code == 302
    assert fresh(sales_member).is_active is False

    assert admin_client.post(url, {"active": "1"}).status_code == 302
    assert fresh(sales_member).is_active is True


def test_deactivated_member_can_no_longer_work_in_the_organisation(
    admin_client, sales_client, sales_member
):
    admin_client.post(
        reverse("accounts:member_toggle_active", args=[sales_member.pk]), {"active": "0"}
    )

    response = sales_client.get("/")

    assert response.status_code == 302
    assert response.url == reverse("accounts:no_organisation")


def test_you_cannot_deactivate_yourself(admin_client, org, admin_member):
    make_member(org, "admin", username="second.admin")  # so this is not the last-admin rule
    url = reverse("accounts:member_toggle_active", args=[admin_member.pk])

    response = admin_client.post(url, {"active": "0"}, follow=True)

    assert [str(m) for m in response.context["messages"]] == ["You cannot deactivate yourself."]
    assert fresh(admin_member).is_active is True


def _personnel_officer(org):
    """A member who may change members without being an administrator."""
    with scopes_disabled():
        hr = Role.objects.create(
            org=org, name="HR", visibility="org", permissions={"member": ["view", "add", "change"]}
        )
        member = Membership.objects.create(org=org, user=UserFactory(), role=hr)
    return login(Client(), member)


def test_last_active_administrator_cannot_be_deactivated(org, admin_member):
    client = _personnel_officer(org)
    url = reverse("accounts:member_toggle_active", args=[admin_member.pk])

    response = client.post(url, {"active": "0"}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "An organisation needs at least one active administrator."
    ]
    assert fresh(admin_member).is_active is True


def test_an_administrator_may_go_while_another_stays(admin_client, org):
    second = make_member(org, "admin", username="second.admin")
    url = reverse("accounts:member_toggle_active", args=[second.pk])

    assert admin_client.post(url, {"active": "0"}).status_code == 302
    assert fresh(second).is_active is False


def test_members_manager_cannot_gain_or_touch_administrator_rights(org, admin_member):
    # given: someone who may change members, but is not an administrator
    client = _personnel_officer(org)
    hr = client.get("/").context["current_membership"]
    admin_role = role(org, "admin")
    second_admin = make_member(org, "admin", username="second.admin")

    # when: they try to make themselves an administrator, create one, or take one over
    promote = _edit(client, hr, role=admin_role.pk)
    create = _create(client, org, role=admin_role.pk)
    deactivate = client.post(
        reverse("accounts:member_toggle_active", args=[second_admin.pk]), {"active": "0"}
    )
    reset = client.post(
        reverse("accounts:member_reset_password", args=[second_admin.pk]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    # then: every attempt is refused and nothing changed
    assert promote.status_code == 200
    assert errors_of(promote, "role") != []
    assert create.status_code == 200
    assert errors_of(create, "role") != []
    assert deactivate.status_code == 302
    assert reset.status_code == 200
    assert fresh(hr).role.name == "HR"
    assert User.objects.filter(username="wang.wu").exists() is False
    assert fresh(second_admin).is_active is True
    second_admin.user.refresh_from_db()
    assert second_admin.user.check_password(TEST_PASSWORD) is True


def test_last_administrator_cannot_lose_the_role_to_someone_else(org, admin_member):
    client = _personnel_officer(org)

    response = _edit(client, admin_member, role=role(org, "sales").pk, follow=True)

    assert response.status_code == 200
    assert fresh(admin_member).role.code == "admin"


# --- password reset --------------------------------------------------------------------


def test_admin_resets_a_password_that_must_be_changed(admin_client, sales_member):
    url = reverse("accounts:member_reset_password", args=[sales_member.pk])

    response = admin_client.post(
        url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    sales_member.user.refresh_from_db()
    assert sales_member.user.check_password(NEW_PASSWORD) is True
    assert sales_member.user.must_change_password is True


def test_weak_or_mismatched_reset_password_is_refused(admin_client, sales_member):
    url = reverse("accounts:member_reset_password", args=[sales_member.pk])

    weak = admin_client.post(url, {"new_password1": "123", "new_password2": "123"})
    differ = admin_client.post(
        url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}
    )

    assert weak.status_code == 200
    assert errors_of(weak, "new_password1") != []
    assert differ.status_code == 200
    assert errors_of(differ, "new_password2") != []
    sales_member.user.refresh_from_db()
    assert sales_member.user.check_password(TEST_PASSWORD) is True
    assert sales_member.user.must_change_password is False


def test_password_of_an_account_shared_with_another_organisation_cannot_be_reset(
    admin_client, org, other_org
):
    shared = make_member(org, "sales", username="shared")
    make_member(other_org, "admin", user=shared.user)
    url = reverse("accounts:member_reset_password", args=[shared.pk])

    page = admin_client.get(url)
    response = admin_client.post(
        url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert 'data-testid="shared-account"' in page.content.decode()
    assert response.status_code == 200
    shared.user.refresh_from_db()
    assert shared.user.check_password(TEST_PASSWORD) is True
