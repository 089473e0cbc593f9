"""The interactive API docs: served from our own static files, under our CSP."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders
from django.test import Client

from scripts.copy_assets import FILES
from tests.api.conftest import API


def test_docs_page_loads_nothing_from_outside(db):
    response = Client().get(f"{API}/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html) is None
    assert "<script>" not in html  # no inline script: the CSP allows only 'self'
    assert 'src="/static/vendor/swagger-ui/swagger-ui-bundle.js"' in html
    assert 'src="/static/api/swagger-init.js"' in html
    assert '"url": "/api/v1/openapi.json"' in html
    assert '"validatorUrl": null' in html


def test_docs_page_is_served_under_the_sites_csp(db):
    response = Client().get(f"{API}/docs")

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy or policy.endswith("script-src 'self'")


def test_docs_page_assets_are_ours():
    vendored = set(FILES.values())

    assert "swagger-ui/swagger-ui-bundle.js" in vendored
    assert "swagger-ui/swagger-ui.css" in vendored
    assert finders.find("api/swagger-init.js") is not None


def test_openapi_json_is_served(db):
    response = Client().get(f"{API}/openapi.json")

    assert response.status_code == 200
    assert f"{API}/me" in response.json()["paths"]
