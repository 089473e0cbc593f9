"""The sales settings page (settings menu): administrators change, managers read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guanxi.core.permissions import CHANGE, VIEW, has_perm, require_perm
from guanxi.sales.settings_forms import SalesSettingsForm
from guanxi.sales.settings_services import sales_settings, update_sales_settings

# Organisation settings govern this page: administrators change, managers view.
SETTINGS_TYPE = "organisation"


@login_required
@require_http_methods(["GET", "POST"])
def sales_settings_page(request: HttpRequest) -> HttpResponse:
    membership = getattr(request, "membership", None)
    require_perm(membership, VIEW, SETTINGS_TYPE)
    can_change = has_perm(membership, CHANGE, SETTINGS_TYPE)
    row = sales_settings(membership.org_id)  # type: ignore[union-attr]
    if request.method == "POST":
        require_perm(membership, CHANGE, SETTINGS_TYPE)
        form = SalesSettingsForm(request.POST, instance=sales_settings(row.org_id))
        if form.is_valid():
            try:
                update_sales_settings(org=row.org_id, actor=request.user, data=form.settings_data())
            except ValidationError as error:
                for field, field_messages in error.message_dict.items():
                    for message in field_messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("The sales settings have been saved."))
                return redirect("sales:settings")
    else:
        form = SalesSettingsForm(instance=row, read_only=not can_change)
    return render(
        request, "sales/settings.html", {"form": form, "can_change": can_change, "settings": row}
    )
