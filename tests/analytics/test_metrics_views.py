"""Pages and API of the customer metrics: lists (query counts, filters, visibility), the
churn-risk list and visit plan, refresh with progress, settings, the customer tab and
badges. Data: the hand-computed set (metrics_fixtures), A, B, E, F, G owned by the admin,
C and D by the sales member (both at risk: churn 0.85 and 0.77)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from guanxi.activities.models import Activity
from guanxi.analytics.metrics_services import refresh_now
from guanxi.analytics.models import AnalyticsSettings, MetricsRun
from tests.analytics.metrics_fixtures import AS_OF, build_dataset
from tests.api.conftest import API, issue_token, token_client
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties(org, admin_member, sales_member):
    found = build_dataset(org, owner=admin_member.user, other_owner=sales_member.user)
    refresh_now(org, as_of=AS_OF, with_clv=False)
    return found


def _tomorrow() -> str:
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def test_metrics_page_lists_filters_and_counts_segments(
    admin_client, parties, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):
        response = admin_client.get("/analysis/metrics/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-testid="metrics-row"') == 7
    assert 'data-testid="chart-rfm-segments"' in body
    assert "segment=at_risk" in body  # drill-down url of a bar / row
    filtered = admin_client.get("/analysis/metrics/?segment=at_risk").content.decode()
    assert filtered.count('data-testid="metrics-row"') == 1
    assert "客户C" in filtered
    tiers = admin_client.get("/analysis/metrics/?tier=vip&sort=name").content.decode()
    assert tiers.count('data-testid="metrics-row"') == 2
    assert admin_client.get("/analysis/metrics/?tier=nonsense&sort=x").status_code == 200


def test_metrics_page_query_count_does_not_grow(
    org, admin_member, admin_client, parties, django_assert_max_num_queries
):
    from tests.finance.factories import make_customer

    for i in range(15):
        make_customer(org, name=f"更多客户{i}", owner=admin_member.user)
    refresh_now(org, as_of=AS_OF, with_clv=False)
    with django_assert_max_num_queries(20):
        response = admin_client.get("/analysis/metrics/")
    assert response.content.decode().count('data-testid="metrics-row"') == 22


def test_sales_member_sees_only_own_customers(sales_client, parties):
    body = sales_client.get("/analysis/churn/").content.decode()
    assert body.count('data-testid="churn-row"') == 2  # C and D, both theirs
    body = sales_client.get("/analysis/metrics/").content.decode()
    assert body.count('data-testid="metrics-row"') == 2
    assert "客户A" not in body
    a = parties["A"].pk
    assert sales_client.get(f"/analysis/metrics/customer/{a}/").status_code == 404
    own = sales_client.get(f"/analysis/metrics/customer/{parties['C'].pk}/")
    assert own.status_code == 200
    assert 'data-testid="metric-churn"' in own.content.decode()


def test_churn_list_sorts_and_filters(admin_client, parties, admin_member):
    body = admin_client.get("/analysis/churn/").content.decode()
    assert body.count('data-testid="churn-row"') == 2
    assert body.index("客户C") < body.index("客户D")  # riskiest first
    by_value = admin_client.get("/analysis/churn/?sort=value").content.decode()
    assert by_value.index("客户C") < by_value.index("客户D")
    mine = admin_client.get("/analysis/churn/?owner=me").content.decode()
    assert mine.count('data-testid="churn-row"') == 0
    assert 'data-testid="churn-rates"' in body


def test_plan_visits_creates_one_task_per_customer(admin_client, parties, org, sales_member):
    c, d = parties["C"].pk, parties["D"].pk
    response = admin_client.post(
        "/analysis/churn/plan-visits/",
        {"customers": [c, d], "due_date": _tomorrow(), "note": "带上新品目录"},
    )
    assert response.status_code == 302
    with scope(org=org.pk):
        tasks = Activity.objects.filter(kind="task", party_id__in=[c, d])
        assert tasks.count() == 2
        assert {t.owner_id for t in tasks} == {sales_member.user_id}  # the customers' owner
        assert all(t.status == "planned" and t.body == "带上新品目录" for t in tasks)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"due_date": "2030-01-01"}, "customers-error", "Select at least one customer."),
        ({"customers": ["C"], "due_date": "2000-01-01"}, "due-date-error", "cannot be in the past"),
        ({"customers": ["C"], "due_date": ""}, "due-date-error", "Choose the day of the visit."),
        ({"customers": ["C"], "due_date": "31.02.2030"}, "due-date-error", "valid date"),
    ],
)
def test_plan_visits_bad_input_changes_nothing(admin_client, parties, org, data, field, message):
    data = {k: [parties[x].pk for x in v] if k == "customers" else v for k, v in data.items()}
    response = admin_client.post("/analysis/churn/plan-visits/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'data-testid="{field}"' in body
    assert message in body
    with scope(org=org.pk):
        assert not Activity.objects.filter(kind="task").exists()


def test_plan_visits_for_a_hidden_customer_is_refused(sales_client, parties, org):
    response = sales_client.post(
        "/analysis/churn/plan-visits/",
        {"customers": [parties["C"].pk, parties["A"].pk], "due_date": _tomorrow()},
    )
    assert response.status_code == 400
    assert "not found" in response.content.decode()
    with scope(org=org.pk):
        assert not Activity.objects.filter(kind="task").exists()


def test_refresh_button_queues_a_run_and_reports_progress(admin_client, org, parties):
    from guanxi.analytics.tasks import refresh_metrics

    response = admin_client.post("/analysis/metrics/refresh/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'hx-trigger="every 1s"' in body
    with scopes_disabled():
        run = MetricsRun.objects.get(org=org)
    assert run.status == "queued"
    # A second click while it is queued reuses the run.
    admin_client.post("/analysis/metrics/refresh/")
    with scopes_disabled():
        assert MetricsRun.objects.filter(org=org).count() == 1
    refresh_metrics.call(org.pk, run.pk)
    with scopes_disabled():
        run.refresh_from_db()
    assert (run.status, run.progress, run.customers) == ("done", 100, 7)
    status = admin_client.get(
        f"/analysis/metrics/runs/{run.pk}/?reload=1", headers={"HX-Request": "true"}
    )
    assert "every 1s" not in status.content.decode()
    assert status["HX-Refresh"] == "true"


def test_progress_is_recorded_while_running(org, parties):
    from guanxi.analytics import metrics_services as svc

    with scopes_disabled():
        run = MetricsRun.objects.create(org=org)
    seen = []
    original = svc.metrics.write_rows

    def spy(*args, **kwargs):
        with scopes_disabled():
            seen.append(MetricsRun.objects.get(pk=run.pk).progress)
        return original(*args, **kwargs)

    svc.metrics.write_rows = spy
    try:
        svc.run_refresh(org.pk, run.pk)
    finally:
        svc.metrics.write_rows = original
    assert seen
    assert 0 < seen[0] < 100
    with scopes_disabled():
        assert MetricsRun.objects.get(pk=run.pk).progress == 100


def test_refresh_needs_change_permission(sales_client, org):
    assert sales_client.post("/analysis/metrics/refresh/").status_code == 403
    with scopes_disabled():
        assert not MetricsRun.objects.filter(org=org).exists()


def test_another_organisations_run_is_404(admin_client, other_org):
    with scopes_disabled():
        run = MetricsRun.objects.create(org=other_org)
    assert admin_client.get(f"/analysis/metrics/runs/{run.pk}/").status_code == 404


def test_settings_page_saves_and_reports_field_errors(admin_client, org, sales_client):
    assert admin_client.get("/analysis/metrics/settings/").status_code == 200
    form = {
        "tier_method": "revenue_share",
        "tier_vip_percent": "60",
        "tier_major_percent": "50",
        "tier_ordinary_percent": "95",
        "lapse_days": "400",
        "terminated_days": "365",
        "decline_drop": "1.5",
        "maturity_purchases": "4",
        "maturity_days": "365",
        "churn_weight": "0.5",
        "churn_threshold": "0.5",
    }
    response = admin_client.post("/analysis/metrics/settings/", form)
    assert response.status_code == 400
    body = response.content.decode()
    assert "The cut-offs must rise" in body
    assert "Ensure this value is less than or equal to 1.0." in body
    with scopes_disabled():
        assert AnalyticsSettings.objects.get(org=org).tier_vip_percent == 50
    form.update(tier_vip_percent="40", decline_drop="0.6", lapse_days="120")
    assert admin_client.post("/analysis/metrics/settings/", form).status_code == 302
    with scopes_disabled():
        saved = AnalyticsSettings.objects.get(org=org)
    assert (saved.tier_vip_percent, saved.lapse_days, saved.decline_drop) == (40, 120, 0.6)
    assert sales_client.post("/analysis/metrics/settings/", form).status_code == 403


def test_customer_tab_and_badges(admin_client, parties):
    c = parties["C"].pk
    tab = admin_client.get(f"/analysis/metrics/customer/{c}/").content.decode()
    for key in ("recency", "frequency", "monetary", "segment", "tier", "quadrant", "stage"):
        assert f'data-testid="metric-{key}"' in tab
    assert "Terminated" in tab
    assert "VIP" in tab
    page = admin_client.get(f"/customers/{c}/").content.decode()
    assert 'data-testid="value-badges"' in page
    assert "At risk" in page
    f = parties["F"].pk
    empty = admin_client.get(f"/analysis/metrics/customer/{f}/").content.decode()
    assert "No purchase yet" in empty


def test_chinese_explanations(parties, org, admin_member):
    client = Client()
    from tests.conftest import login

    client.cookies["django_language"] = "zh-hans"
    login(client, admin_member)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(f"/analysis/metrics/customer/{parties['C'].pk}/")
    assert response.status_code == 200


def test_pages_need_the_analytics_permission(org, parties):
    member = make_member(org, "readonly", username="watcher")
    client = Client()
    from tests.conftest import login

    login(client, member)
    assert client.get("/analysis/metrics/").status_code == 200
    assert client.post("/analysis/metrics/refresh/").status_code == 403


# --- API -------------------------------------------------------------------------------


@pytest.fixture
def admin_api(admin_member):
    return token_client(issue_token(admin_member))


@pytest.fixture
def sales_api(sales_member):
    return token_client(issue_token(sales_member))


def test_api_lists_and_customer_metrics(admin_api, sales_api, parties):
    rows = admin_api.get(f"{API}/analytics/metrics?limit=3").json()
    assert [r["customer"]["name"] for r in rows["items"]] == ["客户C", "客户A", "客户B"]
    assert rows["next_cursor"]
    rest = admin_api.get(f"{API}/analytics/metrics?cursor={rows['next_cursor']}").json()
    assert len(rest["items"]) == 4
    one = admin_api.get(f"{API}/analytics/metrics/customers/{parties['D'].pk}").json()
    assert (one["rfm_segment"], one["value_quadrant"], one["lifecycle_stage"]) == (
        "hibernating",
        "burden",
        "decline",
    )
    assert admin_api.get(f"{API}/analytics/metrics?segment=bogus").status_code == 422
    assert sales_api.get(f"{API}/analytics/metrics/customers/{parties['A'].pk}").status_code == 404
    churn = sales_api.get(f"{API}/analytics/churn-risk").json()
    assert [r["customer"]["name"] for r in churn["items"]] == ["客户C", "客户D"]


def test_api_plan_visits_refresh_and_settings(admin_api, sales_api, parties, org):
    bad = admin_api.post(
        f"{API}/analytics/churn-risk/plan-visits",
        {"customer_ids": [], "due_date": "2000-01-01"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} >= {"customers", "due_date"}
    ok = admin_api.post(
        f"{API}/analytics/churn-risk/plan-visits",
        {"customer_ids": [parties["C"].pk], "due_date": _tomorrow()},
        content_type="application/json",
    )
    assert ok.status_code == 201
    assert ok.json()["created"][0]["customer_id"] == parties["C"].pk
    run = admin_api.post(f"{API}/analytics/metrics/refresh")
    assert run.status_code == 202
    status = admin_api.get(f"{API}/analytics/metrics/runs/{run.json()['id']}").json()
    assert status["status"] == "queued"
    assert sales_api.post(f"{API}/analytics/metrics/refresh").status_code == 403
    settings = admin_api.get(f"{API}/analytics/metrics/settings").json()
    assert settings["lapse_days"] == 180
    put = admin_api.put(
        f"{API}/analytics/metrics/settings",
        {"lapse_days": 90},
        content_type="application/json",
    )
    assert put.status_code == 200
    assert put.json()["lapse_days"] == 90
    wrong = admin_api.put(
        f"{API}/analytics/metrics/settings",
        {"terminated_days": 30},
        content_type="application/json",
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "terminated_days"


def test_api_calls_for_the_schema_test_answer_as_listed(admin_api, sales_api, org, other_org):
    from tests.analytics.metrics_api_calls import metrics_calls

    for method, _path, client, url, body, status in metrics_calls(
        admin_api, sales_api, org, other_org
    ):
        kwargs = {"content_type": "application/json"} if body is not None else {}
        response = (
            getattr(client, method)(url, body, **kwargs)
            if body is not None
            else getattr(client, method)(url)
        )
        assert response.status_code == status, (method, url, response.content[:300])
