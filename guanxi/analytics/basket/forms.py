"""Forms of the basket analysis: the rules list's filters and the mining thresholds."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.analytics.basket.models import BasketSettings
from guanxi.analytics.basket.selectors import RuleFilters


class RuleFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Product"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Product name or code")}),
    )
    min_support = forms.FloatField(
        label=_("Min. support"),
        required=False,
        min_value=0,
        max_value=1,
        widget=forms.NumberInput(attrs={"step": "0.001"}),
    )
    min_confidence = forms.FloatField(
        label=_("Min. confidence"),
        required=False,
        min_value=0,
        max_value=1,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    min_lift = forms.FloatField(
        label=_("Min. lift"),
        required=False,
        min_value=0,
        max_value=1000,
        widget=forms.NumberInput(attrs={"step": "0.1"}),
    )
    product = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def filters(self) -> RuleFilters:
        """The valid filters (a bad value is ignored and shown as a field error)."""
        if not self.is_bound:
            return RuleFilters()
        self.is_valid()
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        return RuleFilters(
            query=(data.get("q") or "").strip(),
            product=data.get("product"),
            min_support=data.get("min_support"),
            min_confidence=data.get("min_confidence"),
            min_lift=data.get("min_lift"),
        )


class BasketSettingsForm(forms.ModelForm):
    class Meta:
        model = BasketSettings
        fields = (
            "min_support",
            "min_count",
            "min_confidence",
            "min_lift",
            "max_rules",
            "pair_antecedents",
        )
        widgets = {
            "min_support": forms.NumberInput(attrs={"step": "0.001", "min": "0", "max": "1"}),
            "min_confidence": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
            "min_lift": forms.NumberInput(attrs={"step": "0.1", "min": "0"}),
        }
