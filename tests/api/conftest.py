"""API fixtures: token clients, and a helper that reads the JSON body."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django_scopes import scopes_disabled

from guanxi.accounts.services import create_api_token
from tests.factories import make_member

API = "/api/v1"


def issue_token(membership, **kwargs) -> str:
    """Return the secret of a new personal API token of `membership`."""
    with scopes_disabled():
        return create_api_token(
            org=membership.org, user=membership.user, name="test", **kwargs
        ).secret


def english(client: Client) -> Client:
    """Ask for English (the language switch's cookie), whatever the organisation's default."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def token_client(secret: str, **kwargs) -> Client:
    return english(Client(headers={"Authorization": f"Bearer {secret}"}, **kwargs))


@pytest.fixture
def admin_client(admin_client) -> Client:
    return english(admin_client)


@pytest.fixture
def sales_client(sales_client) -> Client:
    return english(sales_client)


@pytest.fixture
def admin_token(admin_member) -> str:
    return issue_token(admin_member)


@pytest.fixture
def admin_api(admin_token) -> Client:
    return token_client(admin_token)


@pytest.fixture
def sales_api(sales_member) -> Client:
    return token_client(issue_token(sales_member))


@pytest.fixture
def other_admin_member(other_org):
    return make_member(other_org, "admin", username="other-boss")


@pytest.fixture
def other_api(other_admin_member) -> Client:
    return token_client(issue_token(other_admin_member))
