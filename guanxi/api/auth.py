"""Who is calling the API: a signed-in browser session or a personal API token.

`ActiveOrganisationMiddleware` has already done the work: it resolved a bearer token
(answering 401 itself for an unknown, revoked or expired one), picked the organisation
and set `request.membership`. The classes here only admit a request that ended up with
a membership, and declare both schemes in OpenAPI.

On success `request.auth` is the caller's `Membership`, which is what selectors and the
permission service take: `visible_members(request.auth)`. The user is `request.user`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from guanxi.api.errors import CsrfFailed

if TYPE_CHECKING:
    from guanxi.accounts.models import Membership

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _membership(request: HttpRequest) -> Membership | None:
    return getattr(request, "membership", None)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer gx_…`: a personal API token, bound to one organisation."""

    openapi_bearerFormat = "gx_<token>"
    openapi_description = (
        "A personal API token, created on the API tokens page. It acts as its owner, "
        "in the organisation it was created in."
    )

    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        if getattr(request, "api_token", None) is None:
            return None
        return _membership(request)


class SessionAuth(APIKeyCookie):
    """The browser's Django session; unsafe methods need the CSRF token (`X-CSRFToken`)."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = (
        "The session cookie of a signed-in browser. Requests other than GET, HEAD and "
        "OPTIONS must send the CSRF token in the X-CSRFToken header."
    )

    def __call__(self, request: HttpRequest) -> Membership | None:
        if getattr(request, "api_token", None) is not None:
            return None
        user: Any = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and request.method not in SAFE_METHODS and check_csrf(request):
            raise CsrfFailed()
        return _membership(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Membership | None:
        return _membership(request)  # pragma: no cover (__call__ does the work)


# Token first: a token request carries no session, and is exempt from CSRF.
api_auth = [TokenAuth(), SessionAuth()]
