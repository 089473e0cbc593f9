"""The form of the sales settings page (credit check, big-deal threshold, quotes' validity).

Other parts of the sales app add their fields to `SalesSettingsForm` (e.g. the quotes'
mail server); every field named like a SalesSettings column is saved by
`guanxi.sales.settings_services.update_sales_settings`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.sales.models import SalesSettings
from guanxi.web.forms import StyledFormMixin


class SalesSettingsForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = SalesSettings
        fields = (
            "credit_check",
            "big_deal_threshold",
            "quote_valid_days",
            # The mail server quotes are sent through (guanxi.sales.mail).
            "smtp_host",
            "smtp_port",
            "smtp_username",
            "smtp_password",
            "smtp_use_tls",
            "smtp_from",
        )
        widgets = {"smtp_password": forms.PasswordInput(render_value=False)}
        help_texts = {
            "smtp_host": _(
                "Quotes are e-mailed through this server. Leave empty to use the "
                "installation's mail server."
            ),
            "smtp_password": _("Leave empty to keep the saved password."),
            "smtp_from": _("The sender address of quotes (default: the installation's)."),
            "credit_check": _(
                "What happens when a confirmed order would take a customer over its credit limit."
            ),
            "big_deal_threshold": _(
                "Opportunities and orders at or above this amount notify the managers and "
                "administrators. Leave empty to switch the alerts off."
            ),
        }

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["smtp_port"].required = False  # empty: the SMTP default, 25
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    def clean_smtp_port(self) -> int:
        return self.cleaned_data.get("smtp_port") or 25

    def settings_data(self) -> dict[str, Any]:
        """The cleaned values, as update_sales_settings takes them (an empty password
        field keeps the saved password)."""
        data = {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}
        if not data.get("smtp_password"):
            data.pop("smtp_password", None)
        return data
