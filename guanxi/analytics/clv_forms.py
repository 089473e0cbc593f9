"""The refit form of the lifetime-value page (the rules are the service's)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.web.forms import StyledFormMixin


class RefitForm(StyledFormMixin, forms.Form):
    observation_end = forms.DateField(
        label=_("End of observation"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: today. An earlier day fits the model as it would have been then."),
    )
