"""Behavioural customer types (H13): which of the nine types a customer was judged to be.

A customer may carry several types (the document's 综合型 says people change with the
situation). Each row records who assigned the type and when.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.analytics.behaviour.catalogue import CHOICES
from guanxi.core.models import OrgScopedModel


class CustomerBehaviour(OrgScopedModel):
    """One behavioural type (理智型, 任务型 …) given to a customer, by whom and when."""

    party = models.ForeignKey(
        "parties.Party",
        on_delete=models.CASCADE,
        related_name="behaviour_types",
        verbose_name=_("customer"),
    )
    type_key = models.CharField(_("behavioural type"), max_length=20, choices=CHOICES)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned"), auto_now_add=True)

    class Meta:
        verbose_name = _("behavioural type of a customer")
        verbose_name_plural = _("behavioural types of customers")
        ordering = ("party", "type_key")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "party", "type_key"), name="behaviour_unique_party_type"
            ),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "type_key", "party"), name="behaviour_by_type"),
        ]

    def __str__(self) -> str:
        return f"{self.party_id}:{self.type_key}"
