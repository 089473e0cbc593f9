"""The sales settings page and the big-deal alert function (C11)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from guanxi.activities.models import Notification
from guanxi.parties.models import Party
from guanxi.sales.alerts import notify_big_deal
from guanxi.sales.settings_services import sales_settings, update_sales_settings
from tests.conftest import login
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def _notifications(org):
    with scopes_disabled():
        return list(
            Notification.objects.filter(org=org).order_by("user_id").values_list("user_id", "title")
        )


def test_settings_row_is_created_once(org):
    first = sales_settings(org)
    assert sales_settings(org.pk).pk == first.pk
    assert first.big_deal_threshold is None


def test_update_refuses_bad_values_and_writes_nothing(org, admin_member):
    with pytest.raises(ValidationError) as caught:
        update_sales_settings(
            org=org, actor=admin_member.user, data={"big_deal_threshold": Decimal("-5")}
        )
    assert "big_deal_threshold" in caught.value.message_dict
    with pytest.raises(ValidationError):
        update_sales_settings(org=org, actor=admin_member.user, data={"org": 3})
    assert sales_settings(org).big_deal_threshold is None


def test_admin_saves_the_threshold_on_the_page(admin_client, org):
    response = admin_client.post(
        "/sales/settings/",
        {"credit_check": "block", "big_deal_threshold": "100000", "quote_valid_days": "15"},
    )
    assert response.status_code == 302
    row = sales_settings(org)
    assert (row.credit_check, row.big_deal_threshold, row.quote_valid_days) == (
        "block",
        Decimal("100000.00"),
        15,
    )


def test_bad_input_shows_a_field_error(admin_client, org):
    response = admin_client.post(
        "/sales/settings/",
        {"credit_check": "warn", "big_deal_threshold": "0", "quote_valid_days": "30"},
    )
    assert response.status_code == 200
    assert b"above zero" in response.content
    assert sales_settings(org).big_deal_threshold is None


def test_manager_reads_but_may_not_change(client, org):
    manager = make_member(org, "manager", username="mgr")
    login(client, manager)
    assert client.get("/sales/settings/").status_code == 200
    response = client.post("/sales/settings/", {"credit_check": "off", "quote_valid_days": "9"})
    assert response.status_code == 403


def test_sales_rep_may_not_see_the_page(sales_client):
    assert sales_client.get("/sales/settings/").status_code == 403


def test_big_deal_notifies_managers_and_admins_once_per_amount(org, other_org, admin_member):
    manager = make_member(org, "manager", username="mgr")
    rep = make_member(org, "sales", username="rep")
    make_member(other_org, "admin", username="elsewhere")
    update_sales_settings(
        org=org, actor=admin_member.user, data={"big_deal_threshold": Decimal("50000")}
    )
    with scopes_disabled():
        party = Party.objects.create(org=org, name="大客户", short_name="大客户")

    assert notify_big_deal(org, party, Decimal("49999.99"), "/x/", actor=rep.user) == 0
    assert notify_big_deal(org, party, Decimal("50000"), "/x/", actor=rep.user) == 2
    assert notify_big_deal(org, party, Decimal("50000"), "/x/", actor=rep.user) == 0
    assert notify_big_deal(org, party, Decimal("80000"), "/x/", actor=manager.user) == 1

    recipients = [user_id for user_id, _title in _notifications(org)]
    assert sorted(recipients) == sorted(
        [admin_member.user_id, manager.user_id, admin_member.user_id]
    )
    assert all("50,000.00" in t or "80,000.00" in t for _u, t in _notifications(org))


def test_no_threshold_means_no_alert(org, admin_member):
    with scopes_disabled():
        party = Party.objects.create(org=org, name="客户", short_name="客户")
    assert notify_big_deal(org, party, Decimal("99999999"), "/x/") == 0
