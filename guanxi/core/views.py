"""Core pages: the recycle bin (A6)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.exceptions import DomainError
from guanxi.core.recycle_bin import recyclable_model, restore_from_recycle_bin
from guanxi.core.selectors import get_recycled_for_restore, recycle_bin_listing


@login_required
def recycle_bin(request: HttpRequest) -> HttpResponse:
    membership = getattr(request, "membership", None)
    only = request.GET.get("type") or None
    listing = recycle_bin_listing(membership, only=only)
    page = Paginator(listing.items, settings.GUANXI_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/recycle_bin.html",
        {
            "listing": listing,
            "page": page,
            "only": only,
            "keep_days": settings.GUANXI_RECYCLE_BIN_DAYS,
        },
    )


@login_required
@require_POST
def recycle_bin_restore(request: HttpRequest, model_key: str, pk: int) -> HttpResponse:
    model = recyclable_model(model_key)
    if model is None:
        raise Http404
    obj = get_recycled_for_restore(model, getattr(request, "membership", None), pk)
    label = obj.recycle_bin_label()
    try:
        restore_from_recycle_bin(obj=obj, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
    except IntegrityError:
        # A live record took its place meanwhile (for example one with the same name).
        messages.error(
            request,
            _(
                "“%(label)s” cannot be restored because another record now has the same "
                "name or code. Rename or delete that one first."
            )
            % {"label": label},
        )
    else:
        messages.success(request, _("“%(label)s” has been restored.") % {"label": label})
    return redirect("core:recycle_bin")
