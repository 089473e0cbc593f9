"""The "Clear sales and stock data" settings page (A4), for administrators only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from guanxi.core.permissions import is_org_admin
from guanxi.finance.models import DataResetLog
from guanxi.finance.reset import clear_sales_and_stock, model_label, preview
from guanxi.web.forms import StyledFormMixin


class ResetForm(StyledFormMixin, forms.Form):
    confirmation = forms.CharField(
        label=gettext_lazy("Type the organisation's name to confirm"), max_length=200
    )


def _labelled(counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(model_label(label), count) for label, count in counts.items()]


@login_required
@require_http_methods(["GET", "POST"])
def data_reset(request: HttpRequest) -> HttpResponse:
    membership: Any = getattr(request, "membership", None)
    if not is_org_admin(membership):
        raise PermissionDenied
    org = request.org  # type: ignore[attr-defined]
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            log = clear_sales_and_stock(
                org=org, actor=request.user, confirmation=form.cleaned_data["confirmation"]
            )
        except ValidationError as error:
            for message in error.message_dict.get("confirmation", []):
                form.add_error("confirmation", message)
        else:
            total = sum(v for k, v in log.counts.items() if "(" not in k)
            messages.success(
                request,
                _("The sales and stock data have been cleared (%(count)s rows deleted).")
                % {"count": total},
            )
            return redirect("finance:data_reset")
    logs = list(DataResetLog.objects.select_related("actor")[:20])
    for log in logs:
        log.labelled = _labelled(log.counts)  # type: ignore[attr-defined]
    return render(
        request,
        "finance/data_reset.html",
        {
            "form": form,
            "org": org,
            "preview": [(label, count) for label, count in _labelled(preview(org)) if count],
            "logs": logs,
        },
    )
