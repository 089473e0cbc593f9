"""Personal API tokens: list, issue (the secret is shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from guanxi.accounts.models import ApiToken
from guanxi.accounts.selectors import tokens_of
from guanxi.accounts.services import create_api_token, revoke_api_token
from guanxi.accounts.token_forms import TokenCreateForm


def _own_token(request: HttpRequest, pk: int) -> ApiToken:
    # Only the member's own tokens, in this organisation: anyone else's is a 404.
    return get_object_or_404(tokens_of(request.membership), pk=pk)  # type: ignore[attr-defined]


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    tokens = tokens_of(request.membership)  # type: ignore[attr-defined]
    return render(request, "accounts/tokens/token_list.html", {"tokens": tokens})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issued = create_api_token(
            org=request.org,  # type: ignore[attr-defined]
            user=request.user,  # type: ignore[arg-type]
            name=form.cleaned_data["name"],
            expires_at=form.expires_at(),
        )
        # Rendered, not redirected: the secret must not travel in a URL or the session,
        # and this response is the only time it is shown (never_cache keeps it out of caches).
        return render(
            request,
            "accounts/tokens/token_created.html",
            {"token": issued.token, "secret": issued.secret},
        )
    return render(request, "accounts/tokens/token_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = _own_token(request, pk)
    if request.method == "POST":
        revoke_api_token(token=token, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
        return redirect("accounts:token_list")
    return render(request, "accounts/tokens/token_revoke.html", {"token": token})
