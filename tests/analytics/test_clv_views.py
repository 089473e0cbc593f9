"""The "Lifetime value model" page and its refit form."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from guanxi.analytics import clv_services
from guanxi.analytics.models import ClvModelFit, CustomerMetrics
from tests.analytics.clv_fixtures import OBSERVATION_END, build_clv_dataset
from tests.conftest import login
from tests.factories import make_member
from tests.finance.factories import make_customer

pytestmark = pytest.mark.django_db
URL = "/analysis/clv/"
REFIT = "/analysis/clv/refit/"


def _fit(org, status=ClvModelFit.Status.OK, **extra):
    fields = {
        "fitted_at": timezone.now(),
        "status": status,
        "n_customers": 30,
        "observation_end": OBSERVATION_END,
        "calibration": {"period_days": 7},
    }
    if status == ClvModelFit.Status.OK:
        fields.update(r=0.25, alpha=5.0, a=0.8, b=2.4, p=6.0, q=4.0, v=15.0)
        fields.update(bgnbd_log_likelihood=-1000.5, gg_log_likelihood=-300.25)
    fields.update(extra)
    with scope(org=org.pk):
        return ClvModelFit.objects.create(org=org, **fields)


def _metrics(org, party, value, p_alive=0.9, purchases=2.5):
    with scope(org=org.pk):
        return CustomerMetrics.objects.create(
            org=org,
            party=party,
            computed_at=timezone.now(),
            frequency=4,
            p_alive=p_alive,
            expected_purchases_12m=purchases,
            expected_value_12m=Decimal(value),
        )


def test_urls():
    assert reverse("analytics:clv") == URL
    assert reverse("analytics:clv_refit") == REFIT


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_page_before_any_fit(admin_client):
    response = admin_client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="clv-not-fitted"' in body
    assert 'data-testid="clv-refit"' in body
    assert 'data-testid="clv-no-top"' in body
    # The page is in the analysis switcher.
    assert URL in body.split('data-testid="analytics-nav"')[1].split("</ul>")[0]


def test_page_shows_the_fit_its_meaning_and_the_check(org, admin_client, admin_member):
    calibration = {
        "period_days": 7,
        "available": True,
        "holdout_start": "2025-09-10",
        "observation_end": "2025-12-31",
        "holdout_actual": 40.0,
        "holdout_predicted": 37.25,
        "by_frequency": [
            {"frequency": str(k), "customers": 3, "actual": k * 0.5, "predicted": k * 0.45}
            for k in range(7)
        ]
        + [{"frequency": "7+", "customers": 1, "actual": 6.0, "predicted": 5.5}],
        "cumulative": {
            "dates": ["2025-09-03", "2025-09-10", "2025-09-17"],
            "periods": [0, 1, 2],
            "actual": [10, 12, 15],
            "expected": [9.5, 12.5, 14.0],
        },
    }
    _fit(org, calibration=calibration)
    response = admin_client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "0.250, 5.000" in body  # r, alpha
    assert "0.800, 2.400" in body  # a, b
    assert "0.050 purchases per week" in body  # r/alpha
    assert "a/(a+b) = 0.250" in body  # 0.8 / 3.2
    assert "p·v/(q−1) = 30.00" in body  # 6 × 15 / 3
    assert "40 actual, 37.3 predicted" in body
    assert 'id="clv-holdout"' in body
    assert 'id="clv-tracking"' in body
    assert "Holdout starts" in body  # the mark on the tracking chart


def test_insufficient_data_is_explained(org, admin_client):
    _fit(
        org,
        ClvModelFit.Status.INSUFFICIENT_DATA,
        message="(stored in the language of the job that fitted it)",
        calibration={"period_days": 7, "repeat_customers": 3},
    )
    body = admin_client.get(URL).content.decode()
    assert 'data-testid="clv-insufficient"' in body
    # Rendered in the reader's language from the stored counts, not the stored message.
    assert "needs at least 20 customers, 10 of whom" in body
    assert "there are 30 customers and 3 repeat customers" in body
    assert 'data-testid="clv-bgnbd"' not in body


def test_failed_fit_is_explained(org, admin_client):
    _fit(org, ClvModelFit.Status.FAILED, message="The model could not be fitted: boom")
    body = admin_client.get(URL).content.decode()
    assert 'data-testid="clv-failed"' in body
    assert "boom" in body


def test_top_customers_follow_visibility_and_query_count(
    org, admin_member, sales_member, sales_client
):
    _fit(org)
    mine = [make_customer(org, name=f"我的客户{i}", owner=sales_member.user) for i in range(3)]
    theirs = make_customer(org, name="别人的大客户", owner=admin_member.user)
    for i, party in enumerate(mine):
        _metrics(org, party, 100 * (i + 1))
    _metrics(org, theirs, 99999)
    with CaptureQueriesContext(connection) as few:
        body = sales_client.get(URL).content.decode()
    assert "别人的大客户" not in body
    rows = body.split('data-testid="clv-top-row"')[1:]
    assert [r.split("</a>")[0].rsplit(">", 1)[1] for r in rows] == [
        "我的客户2",
        "我的客户1",
        "我的客户0",
    ]
    assert "90%" in rows[0]
    # Sales members may view analysis but not refit.
    assert 'data-testid="clv-refit"' not in body
    # No query per row.
    for i in range(3, 13):
        _metrics(org, make_customer(org, name=f"我的客户{i}", owner=sales_member.user), 50)
    with CaptureQueriesContext(connection) as many:
        sales_client.get(URL)
    assert len(many) == len(few)


def test_refit_needs_change_permission(org, sales_client):
    response = sales_client.post(REFIT)
    assert response.status_code == 403
    with scopes_disabled():
        assert not ClvModelFit.objects.filter(org=org).exists()


def test_readonly_member_sees_the_page(org, readonly_member):
    client = login(Client(), readonly_member)
    assert client.get(URL).status_code == 200
    assert client.post(REFIT).status_code == 403


def test_refit_fits_and_redirects(org, admin_member, admin_client):
    build_clv_dataset(org, owner=admin_member.user)
    response = admin_client.post(REFIT, {"observation_end": OBSERVATION_END.isoformat()})
    assert response.status_code == 302
    assert response["Location"] == URL
    fit = clv_services.latest_fit(org)
    assert fit.status == ClvModelFit.Status.OK
    assert fit.observation_end == OBSERVATION_END
    body = admin_client.get(URL).content.decode()
    assert "The lifetime-value model was refitted." in body
    assert 'data-testid="clv-bgnbd"' in body
    assert 'id="clv-tracking"' in body


def test_refit_with_too_little_data_warns(org, admin_client):
    response = admin_client.post(REFIT, {"observation_end": ""}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "there are 0 customers" in body
    assert 'data-testid="clv-insufficient"' in body


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2999-01-01", "cannot be in the future"),
        ("1999-12-31", "must be in 2000 or later"),
        ("not a date", "Enter a valid date."),
    ],
)
def test_refit_refuses_bad_dates(org, admin_client, value, message):
    response = admin_client.post(REFIT, {"observation_end": value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'data-testid="clv-error"' in response.content.decode()
    with scopes_disabled():
        assert not ClvModelFit.objects.filter(org=org).exists()


def test_page_in_chinese(org, admin_member):
    client = Client()
    login(client, admin_member)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(URL)
    assert response.status_code == 200


def test_other_organisations_fit_is_not_shown(org, other_org, admin_client):
    _fit(other_org, r=0.777)
    body = admin_client.get(URL).content.decode()
    assert 'data-testid="clv-not-fitted"' in body
    assert "0.777" not in body


def test_a_member_of_another_org_never_sees_these_customers(org, other_org, admin_member):
    _fit(org)
    party = make_customer(org, name="秘密客户", owner=admin_member.user)
    _metrics(org, party, 500)
    stranger = make_member(other_org, "admin", username="stranger")
    client = login(Client(), stranger)
    assert "秘密客户" not in client.get(URL).content.decode()


def test_fit_as_of_an_earlier_day(org, admin_member, admin_client):
    build_clv_dataset(org, owner=admin_member.user)
    earlier = datetime.date(2025, 6, 30)
    admin_client.post(REFIT, {"observation_end": earlier.isoformat()})
    fit = clv_services.latest_fit(org)
    assert fit.observation_end == earlier
    assert fit.status == ClvModelFit.Status.OK
