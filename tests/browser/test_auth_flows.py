"""Sign-in, forced password change, language switch and organisation choice, in Chromium."""

from __future__ import annotations

import re

from django.utils import translation
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from guanxi.accounts.forms import LoginForm
from guanxi.accounts.models import User
from tests.factories import TEST_PASSWORD, UserFactory, make_member, make_org

LOGIN = "/accounts/login/"
NEW_PASSWORD = "Lantern-Harbour-Maple-73"


def _path(path: str) -> re.Pattern[str]:
    """Match the page URL by path (and no query string), whatever the live server's port."""
    return re.compile(rf"^https?://[^/]+{re.escape(path)}$")


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto(LOGIN)
    page.locator("input[name='username']").fill(username)
    page.locator("input[name='password']").fill(password)
    page.get_by_test_id("login-submit").click()


def sign_out(page: Page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(_path(LOGIN))


def choose_language(page: Page, code: str) -> None:
    page.get_by_test_id("language-menu").click()
    page.get_by_test_id(f"language-{code}").click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def expect_home(page: Page, org_name: str) -> None:
    expect(page).to_have_url(_path("/"))
    expect(page.get_by_test_id("home-role")).to_be_visible()
    expect(page.locator(".page-pretitle")).to_have_text(org_name)


def test_first_login_forces_a_password_change(page: Page):
    org = make_org("Acme 贸易")
    user = UserFactory(username="newbie", must_change_password=True)
    make_member(org, "sales", user=user)

    sign_in(page, "newbie", TEST_PASSWORD)
    expect(page).to_have_url(_path("/accounts/password/"))
    expect(page.get_by_test_id("must-change-password")).to_be_visible()

    # Any other page sends the user back here until the password is changed.
    page.goto("/")
    expect(page).to_have_url(_path("/accounts/password/"))

    # Too weak: short and all digits. The page shows it on the field, nothing is saved.
    page.locator("input[name='old_password']").fill(TEST_PASSWORD)
    page.locator("input[name='new_password1']").fill("1234")
    page.locator("input[name='new_password2']").fill("1234")
    page.get_by_test_id("password-submit").click()
    expect(page).to_have_url(_path("/accounts/password/"))
    field_error = page.locator(".invalid-feedback[data-field='new_password1']")
    expect(field_error.first).to_be_visible()
    expect(field_error.first).not_to_be_empty()
    expect(page.locator("input[name='new_password1']")).to_have_class(re.compile(r"is-invalid"))

    page.locator("input[name='old_password']").fill(TEST_PASSWORD)
    page.locator("input[name='new_password1']").fill(NEW_PASSWORD)
    page.locator("input[name='new_password2']").fill(NEW_PASSWORD)
    page.get_by_test_id("password-submit").click()
    expect_home(page, org.name)

    user.refresh_from_db()
    assert not user.must_change_password
    assert user.check_password(NEW_PASSWORD)

    # Next time: the new password works and nobody asks to change it again.
    sign_out(page)
    sign_in(page, "newbie", NEW_PASSWORD)
    expect_home(page, org.name)
    expect(page.get_by_test_id("must-change-password")).to_have_count(0)


def test_wrong_password_shows_a_clear_message(page: Page):
    make_member(make_org("Acme 贸易"), "admin", username="boss")

    sign_in(page, "boss", "not-the-password")
    expect(page).to_have_url(_path(LOGIN))
    with translation.override("zh-hans"):
        message_zh = str(LoginForm.error_messages["invalid_login"])
    expect(page.get_by_test_id("form-errors")).to_have_text(message_zh)
    # The user name stays filled in; the password does not.
    expect(page.locator("input[name='username']")).to_have_value("boss")
    expect(page.locator("input[name='password']")).to_have_value("")

    choose_language(page, "en")
    sign_in(page, "boss", "not-the-password")
    expect(page.get_by_test_id("form-errors")).to_have_text(
        "Wrong username or password. Both are case-sensitive."
    )

    sign_in(page, "boss", TEST_PASSWORD)
    expect(page).to_have_url(_path("/"))


def test_language_switch_is_remembered_across_pages(page: Page):
    org = make_org("Acme 贸易")
    make_member(org, "admin", username="boss")

    # 简体中文 by default, although the browser asks for English (context locale en-US).
    page.goto(LOGIN)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("language-menu")).to_contain_text("简体中文")
    expect(page.get_by_test_id("login-submit")).to_have_text("登录")

    choose_language(page, "en")
    expect(page).to_have_url(_path(LOGIN))
    expect(page.get_by_test_id("login-submit")).to_have_text("Sign in")
    expect(page.get_by_test_id("language-menu")).to_contain_text("English")

    sign_in(page, "boss", TEST_PASSWORD)
    expect_home(page, org.name)
    expect(page.locator("h2.page-title")).to_contain_text("Welcome")
    expect(page).to_have_title(re.compile(r"^Home · "))

    # Still English on the next pages, reached through the user menu and the address bar.
    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="Change password").click()
    expect(page).to_have_url(_path("/accounts/password/"))
    expect(page.get_by_test_id("password-submit")).to_have_text("Change password")
    page.goto("/search/")
    expect(page.locator("h2.page-title")).to_have_text("Search")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # And back to Chinese, which also lasts after signing out.
    choose_language(page, "zh-hans")
    expect(page).to_have_url(_path("/search/"))
    expect(page.get_by_test_id("language-menu")).to_contain_text("简体中文")
    expect(page.locator("h2.page-title")).not_to_have_text("Search")
    sign_out(page)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("login-submit")).to_have_text("登录")

    with scopes_disabled():
        assert User.objects.get(username="boss").language == "zh-hans"


def test_member_of_two_organisations_chooses_and_switches(page: Page):
    acme = make_org("Acme 贸易")
    other = make_org("Other Co 其他公司")
    user = UserFactory(username="consultant")
    make_member(acme, "admin", user=user)
    make_member(other, "sales", user=user)

    sign_in(page, "consultant", TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/organisations/"))
    expect(page.get_by_test_id(f"choose-org-{acme.pk}")).to_contain_text(acme.name)
    page.get_by_test_id(f"choose-org-{other.pk}").click()
    expect_home(page, other.name)

    page.get_by_test_id("user-menu").click()
    expect(page.get_by_test_id(f"switch-org-{other.pk}")).to_have_class(re.compile(r"\bactive\b"))
    page.get_by_test_id(f"switch-org-{acme.pk}").click()
    expect_home(page, acme.name)

    # The choice sticks to the session: another page is still in Acme.
    page.goto("/search/")
    expect(page.locator("footer")).to_contain_text(acme.name)
    expect(page.locator("footer")).not_to_contain_text(other.name)


def test_user_without_organisation_sees_the_no_organisation_page(page: Page):
    make_org("Acme 贸易")
    UserFactory(username="loner")

    sign_in(page, "loner", TEST_PASSWORD)
    expect(page).to_have_url(_path("/accounts/no-organisation/"))
    expect(page.get_by_test_id("no-organisation")).to_be_visible()

    # Nothing else is reachable without an organisation.
    page.goto("/search/")
    expect(page).to_have_url(_path("/accounts/no-organisation/"))
    expect(page.get_by_test_id("no-organisation")).to_be_visible()
