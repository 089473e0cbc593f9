"""Shared fixtures: organisations, members of each role, signed-in clients."""

from __future__ import annotations

import os

import pytest
from django.test import Client
from django.utils import translation
from django_scopes import scope, scopes_disabled

from tests.factories import TEST_PASSWORD, make_member, make_org, make_team

IN_CI = os.environ.get("GUANXI_CI") == "1"


@pytest.fixture(autouse=True)
def _no_axes_lockout_between_tests(settings):
    settings.AXES_ENABLED = True


@pytest.fixture(autouse=True)
def _english_by_default(request):
    """Assert on English text unless a test chooses a language.

    简体中文 is the product's default, so without this every message a test matches
    would be Chinese. Tests of the default language use a fresh `Client()` or set the
    language cookie themselves; browser tests are not affected.
    """
    if "browser" in request.keywords:
        yield
        return
    with translation.override("en"):
        yield


@pytest.fixture
def client(db):
    """Django's test client, speaking English (see _english_by_default)."""
    from django.conf import settings as django_settings

    test_client = Client()
    test_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return test_client


@pytest.fixture
def org(db):
    return make_org("Acme 贸易")


@pytest.fixture
def other_org(db):
    return make_org("Other Co 其他公司")


@pytest.fixture
def admin_member(org):
    return make_member(org, "admin", username="boss")


@pytest.fixture
def team(org):
    return make_team(org, "华东销售部")


@pytest.fixture
def sales_member(org, team):
    return make_member(org, "sales", team=team, username="sales")


@pytest.fixture
def readonly_member(org):
    return make_member(org, "readonly", username="viewer")


@pytest.fixture
def in_org(org):
    """Run the test body inside the organisation's scope."""
    with scope(org=org.pk):
        yield org


@pytest.fixture
def unscoped():
    with scopes_disabled():
        yield


def login(client: Client, membership) -> Client:
    from django.conf import settings as django_settings

    # English unless the test chose a language (see _english_by_default).
    if django_settings.LANGUAGE_COOKIE_NAME not in client.cookies:
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session["guanxi_org_id"] = membership.org_id
    session.save()
    return client


@pytest.fixture
def admin_client(client, admin_member):
    return login(client, admin_member)


@pytest.fixture
def sales_client(db, sales_member, settings):
    sales = Client()
    sales.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return login(sales, sales_member)


@pytest.fixture
def password():
    return TEST_PASSWORD


_skipped_notices: list[str] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = terminalreporter.stats.get("skipped", [])
    reasons = sorted({str(rep.longrepr[2]) for rep in skipped if isinstance(rep.longrepr, tuple)})
    if reasons:
        terminalreporter.section("guanxi: tests skipped on this machine", sep="!", yellow=True)
        for reason in reasons:
            terminalreporter.write_line(f"  SKIPPED: {reason}")
        if not IN_CI:
            terminalreporter.write_line(
                "  (CI runs these; install chromium / set DATABASE_URL to run them here)"
            )


def pytest_sessionfinish(session, exitstatus):
    """In CI (GUANXI_CI=1) a skipped test is a failure: CI has every browser and database."""
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and session.exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(
                f"GUANXI_CI=1: {len(skipped)} test(s) skipped; CI must run every test",
                red=True,
            )
