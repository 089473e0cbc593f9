"""The one error body, on a throwaway API that raises each kind of error."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from ninja import Schema
from ninja.testing import TestClient

from guanxi.api.api import GuanxiAPI
from guanxi.api.errors import install_error_handlers, pydantic_message
from guanxi.core.exceptions import DomainError, StaleEdit

errors_api = GuanxiAPI(urls_namespace="errors-test")
install_error_handlers(errors_api)


class LineIn(Schema):
    quantity: int


class OrderIn(Schema):
    body: str
    lines: list[LineIn]


@errors_api.post("/orders")
def create_order(request, payload: OrderIn):
    return {"ok": True}


@errors_api.get("/domain")
def domain(request):
    raise DomainError("该客户已锁定。", field="name")


@errors_api.get("/stale")
def stale(request):
    raise StaleEdit()


@errors_api.get("/forbidden")
def forbidden(request):
    raise PermissionDenied


@errors_api.get("/missing")
def missing(request):
    raise Http404("No Membership matches the given query.")


@errors_api.get("/invalid-fields")
def invalid_fields(request):
    raise DjangoValidationError({"email": ["Enter a valid email address."], "name": ["Too long."]})


@errors_api.get("/invalid")
def invalid(request):
    raise DjangoValidationError("This password is too common.")


@errors_api.get("/boom")
def boom(request):
    raise RuntimeError("a bug")


client = TestClient(errors_api)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_validation_error_names_fields_with_dotted_paths():
    response = client.post("/orders", json={"body": 5, "lines": [{"quantity": 1}, {}]})

    assert response.status_code == 422
    assert response.json() == {
        "detail": "Some fields are not valid.",
        "code": "validation_error",
        "errors": [
            {"field": "body", "message": "Enter a text value."},
            {"field": "lines.1.quantity", "message": "This field is required."},
        ],
    }


def test_validation_error_of_a_whole_missing_body():
    response = client.post("/orders")

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "__all__", "message": "This field is required."}]


def test_body_that_is_not_json_is_a_400():
    response = client.post("/orders", data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request body is not valid JSON.",
        "code": "parse_error",
        "errors": [],
    }


def test_domain_error_carries_its_code_message_and_field():
    response = client.get("/domain")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "该客户已锁定。",
        "code": "domain_error",
        "errors": [{"field": "name", "message": "该客户已锁定。"}],
    }


def test_stale_edit_is_a_409():
    response = client.get("/stale")

    assert response.status_code == 409
    assert response.json()["code"] == "stale_edit"
    assert response.json()["errors"] == []
    assert response.json()["detail"].startswith("Someone else changed this record")


def test_permission_denied_is_a_403():
    response = client.get("/forbidden")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "You do not have permission to do this.",
        "code": "permission_denied",
        "errors": [],
    }


def test_not_found_never_echoes_the_exception():
    response = client.get("/missing")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found", "errors": []}


def test_django_validation_error_lists_its_fields():
    response = client.get("/invalid-fields")

    assert response.status_code == 422
    assert response.json() == {
        "detail": "Some fields are not valid.",
        "code": "validation_error",
        "errors": [
            {"field": "email", "message": "Enter a valid email address."},
            {"field": "name", "message": "Too long."},
        ],
    }


def test_django_validation_error_without_field_is_a_non_field_error():
    response = client.get("/invalid")

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "__all__", "message": "This password is too common."}
    ]


def test_unexpected_exception_answers_the_error_body_and_is_logged(caplog):
    response = client.get("/boom")

    assert response.status_code == 500
    assert response.json() == {
        "detail": "Something went wrong on the server.",
        "code": "server_error",
        "errors": [],
    }
    assert "Unhandled error in GET /boom" in caplog.text


def test_messages_follow_the_active_language():
    with translation.override("zh-hans"):
        response = client.post("/orders", json={"body": "x", "lines": [{}]})

    with translation.override("zh-hans"):
        required = translation.gettext("This field is required.")
    assert required != "This field is required."
    assert response.json()["errors"] == [{"field": "lines.0.quantity", "message": required}]


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ({"type": "string_too_long", "ctx": {"max_length": 60}}, "at most 60 characters"),
        ({"type": "less_than_equal", "ctx": {"le": 200}}, "less than or equal to 200"),
        ({"type": "value_error", "ctx": {"error": "Choose a time zone."}}, "Choose a time zone."),
        ({"type": "something_new", "msg": "Pydantic says no"}, "Pydantic says no"),
    ],
)
def test_pydantic_messages_are_reworded(error, message):
    assert message in pydantic_message(error)
