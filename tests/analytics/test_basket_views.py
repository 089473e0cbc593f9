"""Pages of the basket analysis: the rules list (filters, sort, pages, chart, query
count), mining from the page, the thresholds form, the customer tab and the editors'
suggestions partial."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from guanxi.analytics.basket.models import BasketRun, BasketSettings
from tests.activities.factories import make_party
from tests.analytics.basket_api_calls import delivery, ten_baskets
from tests.conftest import login
from tests.factories import make_member

pytestmark = pytest.mark.django_db

RULES = reverse("analytics:basket_rules")


@pytest.fixture
def customer(org, sales_member):
    return make_party(org, sales_member.user, name="篮子页面客户")


@pytest.fixture
def mined(org, admin_client, customer, django_capture_on_commit_callbacks):
    items = ten_baskets(org, customer)
    with scopes_disabled():
        BasketSettings.objects.create(
            org=org, min_support=0, min_count=1, min_lift=1.0, pair_antecedents=False
        )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("analytics:basket_mine"))
    assert response.status_code == 302
    return items


def test_rules_page_lists_rules_with_chart_and_status(
    admin_client, mined, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14):
        response = admin_client.get(RULES)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="basket-rule"') == 8  # A↔B, A↔C, B↔C, D↔E: lift ≥ 1
    assert 'data-testid="chart-basket-rules"' in html
    assert 'data-testid="basket-run-done"' in html
    assert "商品A" in html
    assert "1.39" in html
    assert 'data-testid="basket-mine"' in html


def test_rules_filters_sort_and_pages(admin_client, mined, settings):
    html = admin_client.get(RULES, {"q": "商品E"}).content.decode()
    assert html.count('data-testid="basket-rule"') == 2
    html = admin_client.get(RULES, {"min_confidence": "0.9"}).content.decode()
    assert html.count('data-testid="basket-rule"') == 1  # E → D
    html = admin_client.get(RULES, {"min_lift": "2"}).content.decode()
    assert html.count('data-testid="basket-rule"') == 2
    html = admin_client.get(RULES, {"min_support": "0.4"}).content.decode()
    assert html.count('data-testid="basket-rule"') == 2  # A ↔ B
    html = admin_client.get(RULES, {"product": mined["D"].pk}).content.decode()
    assert html.count('data-testid="basket-rule"') == 2
    # Sorted by support: A ↔ B (0.5) first.
    html = admin_client.get(RULES, {"sort": "support"}, HTTP_HX_REQUEST="true").content.decode()
    first = html.index('data-testid="basket-rule"')
    assert html.index("商品A", first) < html.index("商品D", first)
    settings.GUANXI_PAGE_SIZE = 4
    page = admin_client.get(RULES, {"sort": "count"}).context["page"]
    assert len(page) == 4
    assert page.next_cursor
    rest = admin_client.get(RULES, {"sort": "count", "cursor": page.next_cursor}).context["page"]
    assert {r.pk for r in page}.isdisjoint({r.pk for r in rest})


def test_bad_filters_are_field_errors_not_500(admin_client, mined):
    response = admin_client.get(RULES, {"min_support": "2", "min_lift": "abc", "sort": "nope"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="basket-filter-errors"' in html
    assert html.count('data-testid="basket-rule"') == 8  # bad filters are ignored


def test_rules_page_needs_view_analytics_and_hides_mine_without_change(
    org, client, sales_client, mined
):
    html = sales_client.get(RULES).content.decode()
    assert html.count('data-testid="basket-rule"') == 8
    assert 'data-testid="basket-mine"' not in html
    assert sales_client.post(reverse("analytics:basket_mine")).status_code == 403
    assert sales_client.get(reverse("analytics:basket_settings")).status_code == 403
    nobody = make_member(org, "readonly", username="basket-viewer")
    with scopes_disabled():
        nobody.role.permissions = {"analytics": []}
        nobody.role.save()
    assert login(client, nobody).get(RULES).status_code == 403


def test_run_status_partial_polls_and_404s_for_other_orgs(admin_client, org, other_org, mined):
    with scopes_disabled():
        run = BasketRun.objects.get(org=org)
        queued = BasketRun.objects.create(org=org)
        theirs = BasketRun.objects.create(org=other_org)
    url = reverse("analytics:basket_run_status", args=[queued.pk])
    html = admin_client.get(url).content.decode()
    assert "every 1s" in html
    assert 'data-status="queued"' in html
    done = admin_client.get(reverse("analytics:basket_run_status", args=[run.pk]) + "?poll=1")
    assert done["HX-Refresh"] == "true"
    assert (
        admin_client.get(reverse("analytics:basket_run_status", args=[theirs.pk])).status_code
        == 404
    )


def test_mine_with_htmx_answers_the_status_partial(
    admin_client, org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("analytics:basket_mine"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="basket-run"' in response.content.decode()
    with scopes_disabled():
        assert BasketRun.objects.get(org=org).status == "done"


def test_thresholds_form_saves_and_reports_field_errors(admin_client, org):
    url = reverse("analytics:basket_settings")
    assert admin_client.get(url).status_code == 200
    bad = admin_client.post(
        url,
        {
            "min_support": "1.5",
            "min_count": "0",
            "min_confidence": "0.2",
            "min_lift": "-1",
            "max_rules": "10",
        },
    )
    assert bad.status_code == 200
    errors = bad.context["form"].errors
    assert {"min_support", "min_count", "min_lift"} <= set(errors)
    with scopes_disabled():
        assert not BasketSettings.objects.filter(org=org).exists()
    good = admin_client.post(
        url,
        {
            "min_support": "0.01",
            "min_count": "2",
            "min_confidence": "0.3",
            "min_lift": "1.5",
            "max_rules": "100",
        },
    )
    assert good.status_code == 302
    with scopes_disabled():
        saved = BasketSettings.objects.get(org=org)
    assert (saved.min_confidence, saved.max_rules, saved.pair_antecedents) == (0.3, 100, False)


def test_customer_tab_suggests_what_they_have_not_bought(
    org, admin_client, sales_client, sales_member, mined, other_org
):
    shopper = make_party(org, sales_member.user, name="只买过A")
    delivery(org, shopper, [mined["A"]], owner=sales_member.user)
    detail = sales_client.get(reverse("parties:party_detail", args=[shopper.pk])).content.decode()
    tab_url = reverse("analytics:basket_party_tab", args=[shopper.pk])
    assert tab_url in detail
    html = sales_client.get(tab_url).content.decode()
    assert html.count('data-testid="cross-sell-suggestion"') == 2
    assert html.index("商品B") < html.index("商品C")
    assert "83% of the baskets with 商品A also held 商品B" in html
    theirs = make_party(other_org, None, name="别家客户")
    assert (
        sales_client.get(reverse("analytics:basket_party_tab", args=[theirs.pk])).status_code == 404
    )
    # A customer the sales member does not own is hidden from them: 404, not 403.
    hidden = make_party(org, None, name="别人的客户")
    assert (
        sales_client.get(reverse("analytics:basket_party_tab", args=[hidden.pk])).status_code == 404
    )
    assert (
        admin_client.get(reverse("analytics:basket_party_tab", args=[hidden.pk])).status_code == 200
    )


def test_editor_suggestions_partial(sales_client, mined, django_assert_max_num_queries):
    url = reverse("analytics:basket_suggestions")
    with django_assert_max_num_queries(8):
        response = sales_client.get(url, {"product": [mined["A"].pk, "x", "-3"]})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="basket-suggestion"') == 2
    assert f'data-product="{mined["B"].pk}"' in html
    assert sales_client.get(url).status_code == 200
    assert 'data-testid="basket-suggestion"' not in sales_client.get(url).content.decode()
