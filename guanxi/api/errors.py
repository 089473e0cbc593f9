"""One error body for every failure the API reports (ARCHITECTURE rule 4).

Every error answers `{"detail": str, "code": str, "errors": [{"field": str, "message": str}]}`:
`detail` is a sentence for people (in the request's language), `code` a stable token for
programs, and `errors` lists field-level problems with dotted field paths
(`items.0.quantity`). Handlers are installed on the API object by `install_error_handlers`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core import signals
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from guanxi.core.exceptions import DomainError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("guanxi.api")

# Where Ninja found a parameter; the first element of every validation error location.
PARAM_SOURCES = frozenset({"body", "query", "path", "header", "cookie", "form", "file"})


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    code: str
    errors: list[FieldErrorOut]


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Document `ErrorOut` for each status: `response={200: XOut, **error_responses(401, 404)}`."""
    return dict.fromkeys(statuses, ErrorOut)


# The statuses any authenticated operation may answer: no or bad credentials (401), and
# a refused CSRF check, an unchosen organisation or a forced password change (403).
AUTH_ERRORS: tuple[int, ...] = (401, 403)


class CsrfFailed(HttpError):
    """A cookie-authenticated unsafe request came without a valid CSRF token."""

    code = "csrf_failed"

    def __init__(self) -> None:
        super().__init__(403, "CSRF check failed")


def error_body(
    detail: object, code: str, errors: Iterable[tuple[str, object]] = ()
) -> dict[str, Any]:
    return {
        "detail": str(detail),
        "code": code,
        "errors": [{"field": field, "message": str(message)} for field, message in errors],
    }


# Pydantic's messages are English only; the usual ones get a translatable wording.
# Placeholders name keys of the pydantic error's `ctx`.
_PYDANTIC_MESSAGES: dict[str, Promise] = {
    "missing": _("This field is required."),
    "string_type": _("Enter a text value."),
    "string_too_short": _("Ensure this value has at least %(min_length)s characters."),
    "string_too_long": _("Ensure this value has at most %(max_length)s characters."),
    "string_pattern_mismatch": _("Enter a value in the expected format."),
    "int_type": _("Enter a whole number."),
    "int_parsing": _("Enter a whole number."),
    "int_from_float": _("Enter a whole number."),
    "float_type": _("Enter a number."),
    "float_parsing": _("Enter a number."),
    "decimal_type": _("Enter a number."),
    "decimal_parsing": _("Enter a number."),
    "decimal_max_places": _("Ensure there are no more than %(decimal_places)s decimal places."),
    "bool_type": _("Enter true or false."),
    "bool_parsing": _("Enter true or false."),
    "greater_than": _("Ensure this value is greater than %(gt)s."),
    "greater_than_equal": _("Ensure this value is greater than or equal to %(ge)s."),
    "less_than": _("Ensure this value is less than %(lt)s."),
    "less_than_equal": _("Ensure this value is less than or equal to %(le)s."),
    "enum": _("Select one of: %(expected)s."),
    "literal_error": _("Select one of: %(expected)s."),
    "date_type": _("Enter a valid date."),
    "date_parsing": _("Enter a valid date."),
    "date_from_datetime_parsing": _("Enter a valid date."),
    "datetime_type": _("Enter a valid date and time."),
    "datetime_parsing": _("Enter a valid date and time."),
    "datetime_from_date_parsing": _("Enter a valid date and time."),
    "list_type": _("Enter a list."),
    "dict_type": _("Enter an object."),
    "model_type": _("Enter an object."),
    "model_attributes_type": _("Enter an object."),
    "extra_forbidden": _("This field is not allowed."),
    "json_invalid": _("The request body is not valid JSON."),
}


def pydantic_message(error: Mapping[str, Any]) -> str:
    """Return a translated message for one pydantic error dict."""
    ctx = error.get("ctx") or {}
    if error.get("type") == "value_error" and "error" in ctx:
        # Raised by a schema's own validator with an already translated message.
        return str(ctx["error"])
    template = _PYDANTIC_MESSAGES.get(str(error.get("type")))
    if template is None:
        return str(error.get("msg", ""))
    try:
        return str(template) % {key: str(value) for key, value in ctx.items()}
    except (KeyError, TypeError, ValueError):
        return str(error.get("msg", ""))


def field_path(parts: Iterable[object]) -> str:
    """Join field names and list indexes into a dotted path: ("items", 0) -> "items.0"."""
    return ".".join(str(part) for part in parts) or NON_FIELD_ERRORS


def location_path(loc: Iterable[object]) -> str:
    """The field path of a validation location that starts with its source ("body", …)."""
    parts = list(loc)
    if parts and parts[0] in PARAM_SOURCES:
        parts = parts[1:]
    return field_path(parts)


def _respond(
    api: NinjaAPI, request: HttpRequest, status: int, body: dict[str, Any]
) -> HttpResponse:
    response = api.create_response(request, body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace Ninja's default handlers with ones that answer the one error body."""

    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            (error.get("field") or location_path(error.get("loc", ())), pydantic_message(error))
            for error in exc.errors
        ]
        body = error_body(gettext("Some fields are not valid."), "validation_error", errors)
        return _respond(api, request, 422, body)

    def django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [
                (field, message)
                for field, messages in exc.message_dict.items()
                for message in messages
            ]
        else:
            errors = [(NON_FIELD_ERRORS, message) for message in exc.messages]
        body = error_body(gettext("Some fields are not valid."), "validation_error", errors)
        return _respond(api, request, 422, body)

    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        errors = [(exc.field, exc.message)] if exc.field else []
        return _respond(api, request, exc.status_code, error_body(exc.message, exc.code, errors))

    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Never echo the exception: it may name a model or a lookup (rule 2).
        return _respond(api, request, 404, error_body(gettext("Not found."), "not_found"))

    def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        detail = str(exc) or gettext("You do not have permission to do this.")
        return _respond(api, request, 403, error_body(detail, "permission_denied"))

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        if isinstance(exc, AuthenticationError):
            detail: object = gettext(
                "Sign in, or send a valid API token in the Authorization header."
            )
            code = "not_authenticated"
        elif isinstance(exc, CsrfFailed):
            detail = gettext("The CSRF check failed. Reload the page and try again.")
            code = exc.code
        elif status == 400 and str(exc).startswith("Cannot parse request body"):
            detail = gettext("The request body is not valid JSON.")
            code = "parse_error"
        else:
            detail, code = str(exc), _HTTP_CODES.get(status, "error")
        return _respond(api, request, status, error_body(detail, code))

    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
        # Let Django's usual listeners (the test client, error reporters) see it too.
        signals.got_request_exception.send(sender=None, request=request)
        body = error_body(gettext("Something went wrong on the server."), "server_error")
        return _respond(api, request, 500, body)

    handlers: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
        (Exception, server_error),
        (NinjaValidationError, validation_error),
        (DjangoValidationError, django_validation_error),
        (DomainError, domain_error),
        (Http404, not_found),
        (PermissionDenied, permission_denied),
        (HttpError, http_error),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "throttled",
}
