import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import make_member


def test_global_search_finds_members_visible_to_the_user(admin_client, org, other_org):
    make_member(org, "sales", username="lina", display_name="李娜")
    make_member(other_org, "sales", username="linda", display_name="Linda")
    response = admin_client.get(reverse("web:search"), {"q": "lin"})
    assert response.status_code == 200
    titles = [hit.title for group in response.context["groups"] for hit in group.hits]
    assert titles == ["李娜"]


def test_global_search_htmx_returns_only_the_results_partial(admin_client, org):
    make_member(org, "sales", username="zhangwei", display_name="张伟")
    response = admin_client.get(reverse("web:search"), {"q": "张"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "张伟" in body
    assert "<html" not in body


def test_search_escapes_user_text(admin_client, org):
    make_member(org, "sales", username="xss", display_name="<script>alert(1)</script>")
    body = admin_client.get(reverse("web:search"), {"q": "xss"}).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_empty_query_returns_no_groups(admin_client):
    response = admin_client.get(reverse("web:search"), {"q": "  "})
    assert response.context["groups"] == []


@pytest.mark.parametrize(
    ("language", "text"), [("en", "This page does not exist"), ("zh-hans", "页面不存在")]
)
def test_friendly_404_in_both_languages(admin_client, settings, language, text):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = admin_client.get("/no/such/page/")
    assert response.status_code == 404
    assert text in response.content.decode()


@override_settings(DEBUG=False)
def test_server_error_page_is_friendly(db, settings):
    from guanxi.web import views

    client = Client(raise_request_exception=False)
    response = views.server_error(client.get("/healthz").wsgi_request)
    assert response.status_code == 500
    assert "500" in response.content.decode()


def test_health_check(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_csrf_is_enforced_on_forms(db, admin_member):
    from tests.conftest import login

    client = login(Client(enforce_csrf_checks=True), admin_member)
    response = client.post(reverse("web:set_language"), {"language": "en"})
    assert response.status_code == 403


def test_security_headers_are_sent(admin_client):
    response = admin_client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
