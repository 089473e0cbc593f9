"""The API tokens pages: the secret is shown once, tokens are the member's own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from guanxi.accounts.models import ApiToken
from guanxi.accounts.services import create_api_token, hash_token
from tests.api.conftest import API, token_client
from tests.factories import make_member


def issue(membership, name="ERP sync", **kwargs):
    with scopes_disabled():
        return create_api_token(org=membership.org, user=membership.user, name=name, **kwargs)


def tokens_of(user):
    with scopes_disabled():
        return list(ApiToken.objects.filter(user=user))


def test_list_shows_own_tokens_but_never_their_secret(admin_client, admin_member):
    issued = issue(admin_member)
    revoked = issue(admin_member, name="Revoked one").token
    with scopes_disabled():
        ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())

    response = admin_client.get(reverse("accounts:token_list"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "ERP sync" in body
    assert f"{issued.token.prefix}…" in body
    assert issued.secret not in body
    assert body.count('data-testid="token-row"') == 2
    assert body.count('data-testid="token-revoke"') == 1


def test_list_hides_other_peoples_tokens(admin_client, sales_member):
    issue(sales_member, name="Sales robot")

    response = admin_client.get(reverse("accounts:token_list"))

    assert "Sales robot" not in response.content.decode()


def test_create_form_page(admin_client):
    response = admin_client.get(reverse("accounts:token_create"))

    assert response.status_code == 200
    assert 'name="name"' in response.content.decode()
    assert 'name="expires_in_days"' in response.content.decode()


def test_create_shows_the_secret_once(admin_client, admin_member):
    # when
    response = admin_client.post(
        reverse("accounts:token_create"), {"name": "Reporting", "expires_in_days": "30"}
    )

    # then: the page shows the secret, uncached
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("gx_")
    assert secret in response.content.decode()
    assert 'data-testid="token-copy-hint"' in response.content.decode()
    assert "no-store" in response.headers["Cache-Control"]
    # only its hash is stored
    [token] = tokens_of(admin_member.user)
    assert token.name == "Reporting"
    assert token.key_hash == hash_token(secret)
    assert secret not in {token.prefix, token.key_hash, token.name}
    expected_expiry = timezone.now() + timedelta(days=30)
    assert abs((token.expires_at - expected_expiry).total_seconds()) < 60
    # and never again
    listing = admin_client.get(reverse("accounts:token_list")).content.decode()
    assert secret not in listing
    # the secret works on the API
    assert token_client(secret).get(f"{API}/me").status_code == 200


def test_create_without_expiry(admin_client, admin_member):
    admin_client.post(reverse("accounts:token_create"), {"name": "Forever"})

    [token] = tokens_of(admin_member.user)
    assert token.expires_at is None


@pytest.mark.parametrize(
    "data",
    [{"name": ""}, {"name": "   "}, {"name": "x" * 61}, {"name": "ok", "expires_in_days": "0"}],
)
def test_invalid_create_shows_errors_and_creates_nothing(admin_client, admin_member, data):
    response = admin_client.post(reverse("accounts:token_create"), data)

    assert response.status_code == 200
    assert response.context["form"].is_valid() is False
    assert "secret" not in response.context
    assert tokens_of(admin_member.user) == []


def test_revoke_asks_first(admin_client, admin_member):
    issued = issue(admin_member)

    response = admin_client.get(reverse("accounts:token_revoke", args=[issued.token.pk]))

    assert response.status_code == 200
    assert 'data-testid="confirm"' in response.content.decode()
    [token] = tokens_of(admin_member.user)
    assert token.revoked_at is None


def test_revoke_stops_the_token(admin_client, admin_member):
    issued = issue(admin_member)

    response = admin_client.post(reverse("accounts:token_revoke", args=[issued.token.pk]))

    assert response.status_code == 302
    assert response.url == reverse("accounts:token_list")
    [token] = tokens_of(admin_member.user)
    assert token.revoked_at is not None
    assert token_client(issued.secret).get(f"{API}/me").status_code == 401


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_users_token_is_not_found(admin_client, sales_member, method):
    issued = issue(sales_member)

    response = getattr(admin_client, method)(
        reverse("accounts:token_revoke", args=[issued.token.pk])
    )

    assert response.status_code == 404
    [token] = tokens_of(sales_member.user)
    assert token.revoked_at is None


def test_own_token_of_another_organisation_is_not_found(admin_client, admin_member, other_org):
    elsewhere = make_member(other_org, "admin", user=admin_member.user)
    issued = issue(elsewhere)

    response = admin_client.post(reverse("accounts:token_revoke", args=[issued.token.pk]))

    assert response.status_code == 404
    with scopes_disabled():
        assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is None


def test_tokens_page_is_in_the_user_menu(sales_client):
    response = sales_client.get(reverse("web:home"))

    assert f'href="{reverse("accounts:token_list")}"' in response.content.decode()


def test_tokens_pages_need_sign_in(client, db):
    response = client.get(reverse("accounts:token_list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_tokens_page_renders_in_both_languages(admin_client, admin_member, settings, language):
    issue(admin_member)
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = admin_client.get(reverse("accounts:token_list"))

    assert response.status_code == 200
    assert response["Content-Language"] == language
