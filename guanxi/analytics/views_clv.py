"""The "Lifetime value model" page: the fitted BG/NBD and Gamma-Gamma parameters with
what they mean, the calibration-vs-holdout check, the customers with the highest expected
value, and the refit form.

Viewing needs the analytics VIEW permission, refitting CHANGE. Customer rows follow the
visibility of the customers behind them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guanxi.analytics import clv_selectors as sel
from guanxi.analytics import clv_services as svc
from guanxi.analytics.clv_forms import RefitForm
from guanxi.analytics.models import ClvModelFit
from guanxi.analytics.navigation import analytics_context
from guanxi.analytics.registrations import ANALYTICS
from guanxi.core.permissions import CHANGE, VIEW, has_perm, require_perm


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _context(request: HttpRequest, form: RefitForm | None = None) -> dict[str, Any]:
    membership = _membership(request)
    fit = sel.latest_fit(membership.org)
    calibration = (fit.calibration or {}) if fit else {}
    return {
        **analytics_context(request),
        "fit": fit,
        "ok": fit is not None and fit.status == ClvModelFit.Status.OK,
        "summary": sel.fit_summary(fit) if fit else {},
        "calibration": calibration,
        "holdout_chart": sel.holdout_chart(calibration),
        "tracking_chart": sel.tracking_chart(calibration),
        "top": list(sel.top_customers(membership)),
        "can_refit": has_perm(membership, CHANGE, ANALYTICS),
        "form": form or RefitForm(),
        "min_customers": svc.MIN_CUSTOMERS,
        "min_repeat": svc.MIN_REPEAT_CUSTOMERS,
    }


@login_required
@require_GET
def clv_model(request: HttpRequest) -> HttpResponse:
    require_perm(_membership(request), VIEW, ANALYTICS)
    return render(request, "analytics/clv_model.html", _context(request))


@login_required
@require_POST
def clv_refit(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, CHANGE, ANALYTICS)
    form = RefitForm(request.POST)
    if form.is_valid():
        try:
            fit = svc.refit(
                membership.org,
                actor=request.user,
                observation_end=form.cleaned_data.get("observation_end"),
            )
        except ValidationError as error:
            for field, field_messages in error.message_dict.items():
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            if fit.status == ClvModelFit.Status.OK:
                messages.success(request, _("The lifetime-value model was refitted."))
            else:
                messages.warning(request, fit.message or fit.get_status_display())
            return redirect("analytics:clv")
    return render(request, "analytics/clv_model.html", _context(request, form), status=400)
