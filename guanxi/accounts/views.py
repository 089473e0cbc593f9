"""Sign-in, password change, organisation choice and language switch."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.accounts.forms import LoginForm, PasswordChangeForm
from guanxi.accounts.middleware import SESSION_ORG_KEY
from guanxi.accounts.services import change_password


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def _safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        change_password(user=request.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        return redirect("web:home")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def choose_organisation(request: HttpRequest) -> HttpResponse:
    memberships = request.memberships  # type: ignore[attr-defined]
    if not memberships:
        return redirect("accounts:no_organisation")
    if request.method == "POST":
        wanted = request.POST.get("org")
        chosen = next((m for m in memberships if str(m.org_id) == wanted), None)
        if chosen is None:
            messages.error(request, _("Choose one of your organisations."))
        else:
            request.session[SESSION_ORG_KEY] = chosen.org_id
            messages.success(
                request, _("You are now working in %(org)s.") % {"org": chosen.org.name}
            )
            return HttpResponseRedirect(_safe_next(request, "/"))
    return render(
        request,
        "accounts/choose_organisation.html",
        {"memberships": memberships, "next": _safe_next(request, "/")},
    )


@login_required
def no_organisation(request: HttpRequest) -> HttpResponse:
    if request.memberships:  # type: ignore[attr-defined]
        return redirect("web:home")
    return render(request, "accounts/no_organisation.html", status=403)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered in a cookie and on the user."""
    language = request.POST.get("language", "")
    supported = {code for code, _name in settings.LANGUAGES}
    response = HttpResponseRedirect(_safe_next(request, "/"))
    if language in supported:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
        )
        user = request.user
        if user.is_authenticated and user.language != language:
            user.language = language
            user.save(update_fields=["language"])
    return response


def locked_out(
    request: HttpRequest, credentials: object = None, *args: object, **kwargs: object
) -> HttpResponse:
    """What django-axes shows an address that failed to sign in too often."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"cooloff_minutes": minutes}, status=429)
