"""Market-basket rules (H10): the organisation's thresholds, mining runs and the rules
the latest run found.

A basket is one purchase event (a posted sales delivery that still stands, see
guanxi/analytics/facts.py) seen as the set of distinct products on it. A rule X → Y says
"baskets with X often also hold Y", measured by support, confidence and lift (defined on
AssociationRule and in docs/analytics/basket.md).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import OrgScopedModel, TimeStampedModel

# Defaults for a small business: a few hundred to a few thousand deliveries a year.
DEFAULT_MIN_SUPPORT = 0.005  # 0.5% of baskets …
DEFAULT_MIN_COUNT = 3  # … and at least 3 baskets, whichever is more
DEFAULT_MIN_CONFIDENCE = 0.2
DEFAULT_MIN_LIFT = 1.2
DEFAULT_MAX_RULES = 500
MAX_RULES_LIMIT = 5000


class BasketSettings(OrgScopedModel, TimeStampedModel):
    """The mining thresholds of one organisation (one row; defaults until changed)."""

    min_support = models.FloatField(
        _("minimum support"),
        default=DEFAULT_MIN_SUPPORT,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Share of all baskets that hold both sides of a rule, from 0 to 1."),
    )
    min_count = models.PositiveIntegerField(
        _("minimum baskets"),
        default=DEFAULT_MIN_COUNT,
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
        help_text=_("A rule needs at least this many baskets with both sides."),
    )
    min_confidence = models.FloatField(
        _("minimum confidence"),
        default=DEFAULT_MIN_CONFIDENCE,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Share of the baskets with the first product that also hold the second."),
    )
    min_lift = models.FloatField(
        _("minimum lift"),
        default=DEFAULT_MIN_LIFT,
        validators=[MinValueValidator(0.0), MaxValueValidator(1000.0)],
        help_text=_("How many times more often than chance the two are bought together."),
    )
    max_rules = models.PositiveIntegerField(
        _("maximum rules"),
        default=DEFAULT_MAX_RULES,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RULES_LIMIT)],
        help_text=_("Only the strongest rules (by lift) are kept."),
    )
    pair_antecedents = models.BooleanField(
        _("rules from two products"),
        default=True,
        help_text=_("Also find rules such as “printer and toner → paper”."),
    )

    class Meta:
        verbose_name = _("basket analysis settings")
        verbose_name_plural = _("basket analysis settings")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org",), name="basket_settings_one_per_org")
        ]

    def thresholds(self) -> dict[str, Any]:
        return {
            "min_support": self.min_support,
            "min_count": self.min_count,
            "min_confidence": self.min_confidence,
            "min_lift": self.min_lift,
            "max_rules": self.max_rules,
            "pair_antecedents": self.pair_antecedents,
        }


class BasketRun(OrgScopedModel):
    """One mining of an organisation's baskets, with its progress and what it found."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    baskets = models.PositiveIntegerField(_("baskets"), default=0)
    products = models.PositiveIntegerField(_("products"), default=0)
    rules = models.PositiveIntegerField(_("rules"), default=0)
    thresholds = models.JSONField(_("thresholds"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("basket mining run")
        verbose_name_plural = _("basket mining runs")
        ordering = ("-created_at", "-id")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "-created_at", "-id"), name="basket_run_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class AssociationRule(OrgScopedModel):
    """X → Y found by the latest run, X being one product or two (`antecedent_2`).

    With N baskets, n(X) the baskets holding X, n(X∪Y) those holding X and Y:
    support = n(X∪Y) / N, confidence = n(X∪Y) / n(X), lift = confidence / (n(Y) / N).
    """

    run = models.ForeignKey(BasketRun, on_delete=models.CASCADE, related_name="+")
    antecedent = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="+", verbose_name=_("if bought")
    )
    antecedent_2 = models.ForeignKey(
        "catalog.Product",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("and bought"),
    )
    consequent = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="+", verbose_name=_("also bought")
    )
    count = models.PositiveIntegerField(_("baskets with both"))
    antecedent_count = models.PositiveIntegerField(_("baskets with the first"))
    consequent_count = models.PositiveIntegerField(_("baskets with the second"))
    support = models.FloatField(_("support"))
    confidence = models.FloatField(_("confidence"))
    lift = models.FloatField(_("lift"))
    mined_at = models.DateTimeField(_("mined at"))

    class Meta:
        verbose_name = _("association rule")
        verbose_name_plural = _("association rules")
        ordering = ("-lift", "-id")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "-lift", "-id"), name="basket_rule_lift"),
            models.Index(fields=("org", "-confidence", "-id"), name="basket_rule_confidence"),
            models.Index(fields=("org", "-support", "-id"), name="basket_rule_support"),
            models.Index(fields=("org", "antecedent"), name="basket_rule_antecedent"),
            models.Index(fields=("org", "consequent"), name="basket_rule_consequent"),
        ]

    def __str__(self) -> str:
        left = str(self.antecedent_id)
        if self.antecedent_2_id:
            left += f"+{self.antecedent_2_id}"
        return f"{left} → {self.consequent_id}"

    @property
    def confidence_percent(self) -> int:
        return round(self.confidence * 100)

    @property
    def score(self) -> float:
        """How strongly to suggest the consequent: confidence × lift."""
        return self.confidence * self.lift
