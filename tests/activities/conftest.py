"""Fixtures of the activity tests: customers, contacts, members and a real SMTP server."""

from __future__ import annotations

import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from tests.activities.factories import make_contact, make_party
from tests.browser.conftest import browser, page  # noqa: F401 (for test_browser.py)
from tests.factories import make_member


@pytest.fixture(autouse=True)
def _english():
    """Messages in English, outside requests (services) and inside them (the cookie below)."""
    with translation.override("en"):
        yield


def english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def manager_member(org, team):
    return make_member(org, "manager", team=team, username="manager")


@pytest.fixture
def other_sales_member(org):
    """A sales rep of the same organisation, in no team."""
    return make_member(org, "sales", username="sales-other")


@pytest.fixture
def party(org, sales_member):
    """A customer owned by the sales rep."""
    return make_party(org, sales_member.user, name="上海华联贸易有限公司")


@pytest.fixture
def contact(party):
    return make_contact(party, "王芳")


@pytest.fixture
def other_party(org, other_sales_member):
    """A customer of the same organisation owned by another rep."""
    return make_party(org, other_sales_member.user, name="深圳远景科技有限公司")


@pytest.fixture
def foreign_member(other_org):
    return make_member(other_org, "admin", username="foreign-admin")


@pytest.fixture
def foreign_party(other_org, foreign_member):
    return make_party(other_org, foreign_member.user, name="北京其他公司")


@pytest.fixture
def foreign_contact(foreign_party):
    return make_contact(foreign_party, "外人")


class _Inbox:
    """What the SMTP server received: aiosmtpd envelopes."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on 127.0.0.1; Django's SMTP backend sends to it."""
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield inbox
    finally:
        controller.stop()
