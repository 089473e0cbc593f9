import pytest
from django.urls import reverse


def test_home_shows_role_and_org(admin_client, org):
    response = admin_client.get(reverse("web:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert org.name in body
    assert 'data-testid="home-role"' in body


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("language", "text"), [("zh-hans", "登录"), ("en", "Sign in")])
def test_login_page_in_both_languages(client, db, settings, language, text):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert text in response.content.decode()


def test_the_section_entry_with_the_longest_matching_url_is_the_active_one(rf, admin_member):
    from guanxi.web.navigation import nav_entries

    request = rf.get("/sales/pipeline/")
    request.membership = admin_member
    active = [entry.key for entry in nav_entries(request, "sales") if entry.active]
    assert active == ["sales_pipeline"]  # not also "Overview" at /sales/
    request = rf.get("/sales/")
    request.membership = admin_member
    active = [entry.key for entry in nav_entries(request, "sales") if entry.active]
    assert active == ["sales_overview"]


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("/analysis/", "analytics_dashboard"),
        ("/analysis/basket/", "analytics_basket"),
        ("/analysis/metrics/", "analytics_metrics"),
        ("/analysis/sales/", "analytics_sales"),
    ],
)
def test_the_analysis_switcher_lights_only_the_current_page(admin_client, url, key):
    response = admin_client.get(url)
    assert response.status_code == 200
    active = [entry.key for entry in response.context["analytics_nav"] if entry.active]
    assert active == [key]
