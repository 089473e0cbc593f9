"""The committed openapi.json: up to date, and true to what the API really answers."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from jsonschema import Draft202012Validator

from guanxi.api.management.commands.export_openapi import openapi_document, render
from tests.activities.api_calls import activity_calls
from tests.analytics.basket_api_calls import basket_calls
from tests.analytics.behaviour_api_calls import behaviour_calls
from tests.analytics.clv_api_calls import clv_calls
from tests.analytics.dashboard_api_calls import dashboard_calls
from tests.analytics.metrics_api_calls import metrics_calls
from tests.analytics.reports_api_calls import reports_calls
from tests.analytics.sales_api_calls import sales_calls
from tests.api.conftest import API, english
from tests.catalog.api_calls import all_catalog_calls
from tests.core.attachment_api_calls import attachment_calls
from tests.core.fields_api_calls import custom_field_calls
from tests.factories import make_member
from tests.finance.api_calls import finance_calls
from tests.parties.api_calls import party_calls
from tests.parties.exchange_api_calls import exchange_calls
from tests.sales.documents_api_calls import documents_calls
from tests.sales.pipeline_api_calls import pipeline_calls
from tests.stock.api_calls import stock_calls

COMMITTED = Path(settings.BASE_DIR) / "openapi.json"


@pytest.fixture(scope="module")
def document():
    return json.loads(COMMITTED.read_text(encoding="utf-8"))


def test_committed_openapi_json_is_up_to_date():
    generated = render(openapi_document())

    assert generated == COMMITTED.read_text(encoding="utf-8"), (
        "openapi.json differs from the API's schema: run `make openapi` and commit the result"
    )


def test_export_is_the_same_in_any_active_language():
    with translation.override("zh-hans"):
        in_chinese = render(openapi_document())

    assert in_chinese == render(openapi_document())


def test_export_command_prints_the_document():
    out = StringIO()

    call_command("export_openapi", stdout=out)

    assert json.loads(out.getvalue()) == openapi_document()


def test_document_declares_both_authentication_schemes(document):
    schemes = document["components"]["securitySchemes"]

    assert schemes["TokenAuth"]["type"] == "http"
    assert schemes["TokenAuth"]["scheme"] == "bearer"
    assert schemes["SessionAuth"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": settings.SESSION_COOKIE_NAME,
        "description": schemes["SessionAuth"]["description"],
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"TokenAuth": []}, {"SessionAuth": []}], (
                method,
                path,
            )


def test_every_error_response_is_documented_with_the_error_body(document):
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorOut"}


# --- real responses against the document ------------------------------------------------


def validate(document, method: str, template: str, response) -> None:
    """Check `response` against the document's schema for this operation and status."""
    operation = document["paths"][f"{API}{template}"][method]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method.upper()} {template}: {status} undocumented"
    if status == "204":
        assert "content" not in operation["responses"][status]
        assert response.content == b""
        return
    media = response["Content-Type"].split(";")[0]
    if media != "application/json":
        # A file (an export): its media type must be documented; there is no JSON to check.
        documented = operation["responses"][status]["content"]
        assert media in documented or "*/*" in documented, f"{template}: {media}"
        return
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    # Put the components beside the schema so its "#/components/…" references resolve.
    validator = Draft202012Validator({**schema, "components": document["components"]})
    errors = sorted(validator.iter_errors(response.json()), key=str)
    assert errors == [], f"{method.upper()} {template} {status}: {errors[0].message}"


@pytest.fixture
def calls(admin_api, sales_api, admin_member, sales_member, team, org, other_org):
    """Every operation, with the clients and inputs that make it answer each status."""
    make_member(org, "readonly", username="zz-reader")
    stranger = make_member(other_org, "admin", username="stranger")
    anonymous = english(Client())
    # The name stays: a later call (finance data reset) types it as its confirmation.
    patch = {"version": 1, "name": org.name, "currency": "USD"}
    return [
        ("get", "/me", admin_api, f"{API}/me", None, 200),
        ("get", "/me", sales_api, f"{API}/me", None, 200),
        ("get", "/me", anonymous, f"{API}/me", None, 401),
        ("get", "/organisations", admin_api, f"{API}/organisations", None, 200),
        ("get", "/organisations/current", sales_api, f"{API}/organisations/current", None, 200),
        ("patch", "/organisations/current", admin_api, f"{API}/organisations/current", patch, 200),
        ("patch", "/organisations/current", admin_api, f"{API}/organisations/current", patch, 409),
        ("patch", "/organisations/current", sales_api, f"{API}/organisations/current", patch, 403),
        (
            "patch",
            "/organisations/current",
            admin_api,
            f"{API}/organisations/current",
            {"currency": "x"},
            422,
        ),
        ("get", "/users", admin_api, f"{API}/users?limit=2", None, 200),
        ("get", "/users", admin_api, f"{API}/users?limit=500", None, 422),
        ("get", "/users", admin_api, f"{API}/users?cursor=bad", None, 400),
        ("get", "/users/{id}", admin_api, f"{API}/users/{sales_member.user_id}", None, 200),
        ("get", "/users/{id}", admin_api, f"{API}/users/{stranger.user_id}", None, 404),
        ("get", "/users/{id}", admin_api, f"{API}/users/x", None, 422),
        ("get", "/roles", admin_api, f"{API}/roles", None, 200),
        ("get", "/roles", sales_api, f"{API}/roles", None, 403),
        ("get", "/roles/{id}", admin_api, f"{API}/roles/{sales_member.role_id}", None, 200),
        ("get", "/roles/{id}", admin_api, f"{API}/roles/{stranger.role_id}", None, 404),
        ("get", "/teams", sales_api, f"{API}/teams", None, 200),
        ("get", "/teams/{id}", sales_api, f"{API}/teams/{team.pk}", None, 200),
        ("get", "/teams/{id}", sales_api, f"{API}/teams/999999", None, 404),
        *custom_field_calls(admin_api, sales_api, org, other_org),
        *activity_calls(admin_api, sales_api, org, other_org),
        *party_calls(admin_api, sales_api, org, other_org),
        # The analysis calls build their own sales and customers: before the hand-over
        # (exchange) calls move the sales member's customers and the finance data reset.
        *sales_calls(admin_api, sales_api, org, other_org),
        *metrics_calls(admin_api, sales_api, org, other_org),
        *clv_calls(admin_api, sales_api, org, other_org),
        *basket_calls(admin_api, sales_api, org, other_org),
        *dashboard_calls(admin_api, sales_api, org, other_org),
        *behaviour_calls(admin_api, sales_api, org, other_org),
        *reports_calls(admin_api, sales_api, org, other_org),
        *exchange_calls(admin_api, sales_api, org, other_org),
        *attachment_calls(admin_api, sales_api, org, other_org),
        *all_catalog_calls(admin_api, sales_api, org, other_org),
        *pipeline_calls(admin_api, sales_api, org, other_org),
        *documents_calls(admin_api, sales_api, org, other_org),
        *stock_calls(admin_api, sales_api, org, other_org),
        *finance_calls(admin_api, sales_api, org, other_org),
    ]


def test_real_responses_match_the_committed_document(document, calls):
    covered = set()
    for method, template, client, url, body, status in calls:
        if body is None:
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == status, (method, url, response.content)
        validate(document, method, template, response)
        if status < 300:
            covered.add((method, f"{API}{template}"))

    every_operation = {
        (method, path) for path, operations in document["paths"].items() for method in operations
    }
    assert every_operation - covered == set(), "add a successful call for each new operation"


def test_no_two_different_schemas_share_a_name():
    """The OpenAPI components are keyed by class name: a second, different schema of the
    same name would silently replace the first in the document."""
    from collections import defaultdict

    from ninja import Schema

    import guanxi.api.api  # noqa: F401  (every router and its schemas)

    by_name: dict[str, dict[str, type]] = defaultdict(dict)

    def walk(cls):
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("guanxi."):
                by_name[sub.__name__][f"{sub.__module__}.{sub.__qualname__}"] = sub
            walk(sub)

    walk(Schema)
    clashes = {
        name: sorted(classes)
        for name, classes in by_name.items()
        if len({repr(c.model_json_schema()) for c in classes.values()}) > 1
    }
    assert clashes == {}
