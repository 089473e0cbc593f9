"""Forms of the customer-metrics pages: the analysis settings and the visit plan."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from guanxi.analytics.metrics_services import SETTINGS_FIELDS, validate_settings
from guanxi.analytics.models import AnalyticsSettings
from guanxi.web.forms import StyledFormMixin


class AnalyticsSettingsForm(StyledFormMixin, forms.ModelForm):
    """Every threshold of the metrics; the rules between fields are the service's."""

    class Meta:
        model = AnalyticsSettings
        fields = SETTINGS_FIELDS
        help_texts = {
            "tier_method": _(
                "Revenue share: VIP are the biggest customers who together make the first "
                "VIP percentage of net sales (default 50 / 80 / 95). Customer pyramid: VIP "
                "are the first VIP percentage of the buyers ranked by net sales (the "
                "textbook's 1 / 5 / 20)."
            ),
            "quadrant_value_threshold": _(
                "Net sales per purchase from which a customer counts as high-value. "
                "Empty: the median of your customers."
            ),
            "quadrant_frequency_threshold": _(
                "Purchases from which a customer counts as a repeat buyer. Empty: the median "
                "of your customers, at least 2."
            ),
            "lapse_days": _(
                "A customer without a purchase for longer is lapsed: declining, and counted in "
                "the churn rate."
            ),
            "terminated_days": _("A customer without a purchase for longer is terminated."),
            "decline_drop": _(
                "Between 0 and 1: a customer whose purchase rate fell by this share of their "
                "own past rate is declining (0.5 = half as often)."
            ),
            "churn_weight": _(
                "Between 0 and 1: the share of the churn risk taken from the purchase model "
                "(1 − probability still active); the rest comes from the drop in purchase rate."
            ),
            "churn_threshold": _(
                "Customers at or above this churn risk (0–1) are listed as at risk."
            ),
        }

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    def _post_clean(self) -> None:
        """Also report the rules between fields (the service's) with the field errors."""
        super()._post_clean()
        try:
            validate_settings(self.instance)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field in self.fields and field not in self.errors:
                    for message in messages:
                        self.add_error(field, message)

    def settings_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in SETTINGS_FIELDS}


class PlanVisitsForm(StyledFormMixin, forms.Form):
    """The churn list's "Plan a visit": selected customers, day, note."""

    customers = forms.MultipleChoiceField(
        label=_("Customers"),
        required=False,
        widget=forms.MultipleHiddenInput,
    )
    due_date = forms.DateField(
        label=_("Visit on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("Note for the visit"), required=False, max_length=2000, widget=forms.TextInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any id: the service checks each one against the member's visible customers.
        self.fields["customers"].valid_value = lambda value: str(value).isdigit()  # type: ignore[attr-defined]
