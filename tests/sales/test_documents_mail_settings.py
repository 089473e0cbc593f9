"""The quotes' mail server on the sales settings page (SalesSettings.smtp_*)."""

from __future__ import annotations

from guanxi.sales.mail import mail_settings
from guanxi.sales.settings_services import sales_settings
from tests.sales.documents_fixtures import *  # noqa: F403

BASE = {"credit_check": "warn", "big_deal_threshold": "", "quote_valid_days": "30"}


def test_admin_sets_the_mail_server(admin_client, org):
    page = admin_client.get("/sales/settings/")
    assert b"smtp_host" in page.content
    response = admin_client.post(
        "/sales/settings/",
        {
            **BASE,
            "smtp_host": "smtp.example.test",
            "smtp_port": "587",
            "smtp_username": "sales",
            "smtp_password": "s3cret",
            "smtp_use_tls": "on",
            "smtp_from": "sales@acme.example",
        },
    )
    assert response.status_code == 302
    row = sales_settings(org)
    assert (row.smtp_host, row.smtp_port, row.smtp_use_tls) == ("smtp.example.test", 587, True)
    assert row.smtp_password == "s3cret"
    assert b"s3cret" not in admin_client.get("/sales/settings/").content
    found = mail_settings(org)
    assert found.own_server
    assert found.from_email == "sales@acme.example"
    # an empty password keeps the saved one; an empty port is 25
    admin_client.post(
        "/sales/settings/", {**BASE, "smtp_host": "smtp.example.test", "smtp_password": ""}
    )
    row = sales_settings(org)
    assert row.smtp_password == "s3cret"
    assert row.smtp_port == 25


def test_bad_sender_address(admin_client, org):
    response = admin_client.post("/sales/settings/", {**BASE, "smtp_from": "not an address"})
    assert response.status_code == 200
    assert sales_settings(org).smtp_from == ""


def test_without_a_server_the_installation_sends(org, settings):
    settings.DEFAULT_FROM_EMAIL = "crm@install.example"
    found = mail_settings(org)
    assert not found.own_server
    assert found.from_email == "crm@install.example"
