"""Per-request context: the member's organisation, its scope, language and time zone.

`ActiveOrganisationMiddleware` is the one place that decides which organisation a
request works in, for pages (the session's choice) and for the API (the token's
organisation). Everything after it runs inside `django_scopes.scope(org=…)`.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from guanxi.accounts.models import Membership
from guanxi.accounts.services import authenticate_token

SESSION_ORG_KEY = "guanxi_org_id"

# Paths a signed-in user may reach before choosing an organisation.
_ORG_FREE_PREFIXES = (
    "/accounts/login",
    "/accounts/logout",
    "/accounts/password",
    "/accounts/organisations",
    "/accounts/no-organisation",
    "/static/",
    "/i18n/",
    "/healthz",
)


def _org_free(path: str) -> bool:
    return path.startswith(_ORG_FREE_PREFIXES)


def _active_memberships(user_id: int) -> list[Membership]:
    with scopes_disabled():
        return list(
            Membership.objects.filter(user_id=user_id, is_active=True)
            .select_related("org", "role", "team")
            .order_by("org__name", "org_id")
        )


class ActiveOrganisationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.org = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        request.memberships = []  # type: ignore[attr-defined]
        request.api_token = None  # type: ignore[attr-defined]

        if request.path.startswith("/api/"):
            auth = request.headers.get("Authorization", "")
            if auth.lower().startswith("bearer "):
                token = authenticate_token(auth[7:].strip())
                if token is None:
                    return JsonResponse(
                        {
                            "detail": _("Invalid or revoked API token."),
                            "code": "invalid_token",
                            "errors": [],
                        },
                        status=401,
                    )
                request.user = token.user
                request.api_token = token  # type: ignore[attr-defined]
                # A token request carries no cookie session; CSRF is for cookie auth only.
                request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
                memberships = [
                    m for m in _active_memberships(token.user_id) if m.org_id == token.org_id
                ]
                return self._in_org(request, memberships[0] if memberships else None)

        user = getattr(request, "user", AnonymousUser())
        if not user.is_authenticated:
            return self.get_response(request)

        memberships = _active_memberships(user.pk)
        request.memberships = memberships  # type: ignore[attr-defined]
        chosen = request.session.get(SESSION_ORG_KEY)
        membership = next((m for m in memberships if m.org_id == chosen), None)
        if membership is None and len(memberships) == 1:
            membership = memberships[0]
            request.session[SESSION_ORG_KEY] = membership.org_id
        if membership is None and not _org_free(request.path):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": _("Choose an organisation first."),
                        "code": "no_organisation",
                        "errors": [],
                    },
                    status=403,
                )
            if memberships:
                return redirect(f"{reverse('accounts:choose_organisation')}?next={request.path}")
            return redirect("accounts:no_organisation")
        return self._in_org(request, membership)

    def _in_org(self, request: HttpRequest, membership: Membership | None) -> HttpResponse:
        if membership is None:
            return self.get_response(request)
        request.membership = membership  # type: ignore[attr-defined]
        request.org = membership.org  # type: ignore[attr-defined]
        try:
            tz = zoneinfo.ZoneInfo(membership.org.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        with scope(org=membership.org_id), timezone.override(tz):
            return self.get_response(request)


class LanguageMiddleware:
    """Pick the language: the switch's cookie, else the user's, else the organisation's.

    Unlike Django's LocaleMiddleware it ignores the browser's Accept-Language, because
    简体中文 is the product's default whatever the browser says.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supported = {code for code, _name in settings.LANGUAGES}
        candidates = [request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            candidates.append(user.language)
        org = getattr(request, "org", None)
        if org is not None:
            candidates.append(org.language)
        language = next((c for c in candidates if c in supported), settings.LANGUAGE_CODE)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class PasswordChangeRequiredMiddleware:
    """Send a user who must change their password to the change page, and nowhere else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.must_change_password
            and getattr(request, "api_token", None) is None
        ):
            allowed = (reverse("accounts:password_change"), reverse("accounts:logout"))
            if request.path not in allowed and not request.path.startswith(("/static/", "/i18n/")):
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "detail": _("Change your password first."),
                            "code": "password_change_required",
                            "errors": [],
                        },
                        status=403,
                    )
                return redirect("accounts:password_change")
        return self.get_response(request)
