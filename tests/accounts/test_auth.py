import pytest
from django.core.management import call_command
from django.urls import reverse
from django_scopes import scopes_disabled

from guanxi.accounts.models import User
from tests.factories import TEST_PASSWORD, UserFactory, make_member, make_org

LOGIN = "/accounts/login/"


def sign_in(client, username, password=TEST_PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_bootstrap_creates_admin_admin_that_must_change_password(db):
    call_command("bootstrap")
    call_command("bootstrap")  # second run changes nothing
    with scopes_disabled():
        admin = User.objects.get(username="admin")
        assert User.objects.count() == 1
        assert admin.memberships.count() == 1
    assert admin.check_password("admin") is True
    assert admin.must_change_password is True


def test_first_login_forces_a_password_change_before_anything_else(client, db):
    call_command("bootstrap")
    response = sign_in(client, "admin", "admin")
    assert response.status_code == 302

    # every page leads to the change form until the password is changed
    assert client.get("/").url == reverse("accounts:password_change")
    assert client.get("/search/?q=x").url == reverse("accounts:password_change")

    # a weak new password is refused with a field error
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "admin", "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "new_password1" in response.context["form"].errors

    # a good one is accepted and the user may go on
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "admin",
            "new_password1": "Lotus-Pond-1987",
            "new_password2": "Lotus-Pond-1987",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    with scopes_disabled():
        admin = User.objects.get(username="admin")
    assert admin.must_change_password is False
    assert admin.check_password("Lotus-Pond-1987") is True


def test_password_change_rejects_wrong_current_password(admin_client, admin_member):
    response = admin_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "nope",
            "new_password1": "Lotus-Pond-1987",
            "new_password2": "Lotus-Pond-1987",
        },
    )
    assert "old_password" in response.context["form"].errors
    admin_member.user.refresh_from_db()
    assert admin_member.user.check_password(TEST_PASSWORD) is True


def test_wrong_password_gets_a_clear_message(client, admin_member, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = sign_in(client, admin_member.user.username, "wrong")
    assert response.status_code == 200
    assert "Wrong username or password" in response.content.decode()


def test_repeated_failures_lock_the_address_out(client, admin_member, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        sign_in(client, admin_member.user.username, "wrong")
    # even the right password is refused while the address is locked
    response = sign_in(client, admin_member.user.username)
    assert response.status_code == 429
    assert 'data-testid="locked-out"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_other_address_is_not_locked(client, admin_member, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        sign_in(client, admin_member.user.username, "wrong", REMOTE_ADDR="10.0.0.9")
    response = sign_in(client, admin_member.user.username, REMOTE_ADDR="10.0.0.10")
    assert response.status_code == 302


def test_member_of_one_organisation_lands_in_it(client, admin_member, org):
    sign_in(client, admin_member.user.username)
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["current_org"] == org


def test_member_of_several_organisations_chooses_and_switches(client, db):
    first, second = make_org("甲公司"), make_org("乙公司")
    user = UserFactory(username="both")
    make_member(first, "sales", user=user)
    make_member(second, "admin", user=user)

    sign_in(client, "both")
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:choose_organisation"))

    client.post(reverse("accounts:choose_organisation"), {"org": second.pk, "next": "/"})
    assert client.get("/").context["current_org"] == second

    client.post(reverse("accounts:choose_organisation"), {"org": first.pk})
    assert client.get("/").context["current_org"] == first


def test_cannot_switch_into_an_organisation_one_does_not_belong_to(client, db):
    mine, foreign = make_org("Mine"), make_org("Foreign")
    member = make_member(mine, "sales", username="me")
    sign_in(client, member.user.username)
    client.post(reverse("accounts:choose_organisation"), {"org": foreign.pk})
    assert client.get("/").context["current_org"] == mine


def test_user_without_organisation_sees_a_clear_page(client, db):
    UserFactory(username="lonely")
    sign_in(client, "lonely")
    response = client.get("/")
    assert response.url == reverse("accounts:no_organisation")
    page = client.get(response.url)
    assert page.status_code == 403
    assert 'data-testid="no-organisation"' in page.content.decode()


def test_deactivated_membership_loses_access(client, admin_member, org, sales_member):
    sales_member.is_active = False
    with scopes_disabled():
        sales_member.save()
    sign_in(client, sales_member.user.username)
    assert client.get("/").url == reverse("accounts:no_organisation")


@pytest.mark.parametrize(("language", "text"), [("en", "Welcome"), ("zh-hans", "欢迎")])
def test_language_switch_is_remembered(admin_client, admin_member, language, text):
    response = admin_client.post(reverse("web:set_language"), {"language": language, "next": "/"})
    assert response.status_code == 302
    assert text in admin_client.get("/").content.decode()
    admin_member.user.refresh_from_db()
    assert admin_member.user.language == language


def test_unknown_language_is_ignored(admin_client, admin_member):
    admin_client.post(reverse("web:set_language"), {"language": "xx", "next": "/"})
    admin_member.user.refresh_from_db()
    assert admin_member.user.language == ""


def test_organisation_default_language_applies_without_a_choice(client, admin_member, org):
    org.language = "en"
    org.save()
    from tests.conftest import login

    login(client, admin_member)
    assert "Welcome" in client.get("/").content.decode()


def test_open_redirect_is_refused(admin_client):
    response = admin_client.post(
        reverse("web:set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response.url == "/"


def test_logout_needs_post_and_ends_the_session(admin_client):
    response = admin_client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert admin_client.get("/").status_code == 302
