"""Customer metrics, CLV, churn (H6–H9); tables of the analytics app.

`CustomerMetrics` is a per-customer summary recomputed by the metrics refresh
(guanxi.analytics.metrics); nothing edits it by hand. `ClvModelFit` stores each fit of
the BG/NBD + Gamma-Gamma lifetime-value model, `MetricsRun` one refresh (its progress
is polled by the UI), `AnalyticsSettings` the organisation's thresholds. The definitions
of every figure are in docs/analytics/metrics.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.core.models import OrgScopedModel

AMOUNT = {"max_digits": 18, "decimal_places": 2}


class RfmSegment(models.TextChoices):
    """The common 11-segment map over the R and F scores (docs/analytics/metrics.md)."""

    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalist")
    NEW = "new", pgettext_lazy("RFM segment", "New customer")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Needs attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANNOT_LOSE = "cannot_lose", _("Cannot lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", pgettext_lazy("RFM segment", "Lost")


class ValueTier(models.TextChoices):
    """客户价值分层: VIP客户 / 主要客户 / 普通客户 / 小客户."""

    VIP = "vip", _("VIP")
    MAJOR = "major", _("Major")
    ORDINARY = "ordinary", _("Ordinary")
    SMALL = "small", _("Small")


class ValueQuadrant(models.TextChoices):
    """黄金 / 流星 / 小溪 / 负担: revenue per purchase × repeat purchases."""

    GOLD = "gold", _("Gold")
    METEOR = "meteor", _("Meteor")
    STREAM = "stream", _("Stream")
    BURDEN = "burden", _("Burden")


class LifecycleStage(models.TextChoices):
    """客户生命周期: 潜在 / 开发 / 成长 / 成熟 / 衰退 / 终止."""

    POTENTIAL = "potential", _("Potential")
    DEVELOPMENT = "development", _("Development")
    GROWTH = "growth", _("Growth")
    MATURITY = "maturity", _("Maturity")
    DECLINE = "decline", _("Decline")
    TERMINATED = "terminated", _("Terminated")


def _score_field(label: Any) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )


class CustomerMetrics(OrgScopedModel):
    """The computed analysis figures of one customer (one row per party, refreshed in bulk)."""

    # One row per customer: unique with the organisation (ARCHITECTURE rule 1), so a
    # foreign key and a constraint rather than a one-to-one field.
    party = models.ForeignKey(
        "parties.Party",
        on_delete=models.CASCADE,
        related_name="metrics",
        verbose_name=_("customer"),
    )
    computed_at = models.DateTimeField(_("computed at"))
    first_purchase = models.DateField(_("first purchase"), null=True, blank=True)
    last_purchase = models.DateField(_("last purchase"), null=True, blank=True)
    recency_days = models.IntegerField(_("days since last purchase"), null=True, blank=True)
    frequency = models.IntegerField(_("purchases"), default=0)
    monetary = models.DecimalField(_("net sales"), default=Decimal("0"), **AMOUNT)
    gross_profit = models.DecimalField(_("gross profit"), default=Decimal("0"), **AMOUNT)
    average_order_value = models.DecimalField(
        _("average purchase value"), default=Decimal("0"), **AMOUNT
    )
    r_score = _score_field(_("R score"))
    f_score = _score_field(_("F score"))
    m_score = _score_field(_("M score"))
    rfm_segment = models.CharField(
        _("RFM segment"), max_length=20, choices=RfmSegment.choices, blank=True
    )
    value_tier = models.CharField(
        _("value tier"), max_length=10, choices=ValueTier.choices, blank=True
    )
    value_quadrant = models.CharField(
        _("value quadrant"), max_length=10, choices=ValueQuadrant.choices, blank=True
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=12,
        choices=LifecycleStage.choices,
        default=LifecycleStage.POTENTIAL,
    )
    churn_risk = models.FloatField(_("churn risk"), null=True, blank=True)
    purchase_rate_drop = models.FloatField(_("drop in purchase rate"), null=True, blank=True)
    p_alive = models.FloatField(_("probability still active"), null=True, blank=True)
    expected_purchases_3m = models.FloatField(
        _("expected purchases, 3 months"), null=True, blank=True
    )
    expected_purchases_6m = models.FloatField(
        _("expected purchases, 6 months"), null=True, blank=True
    )
    expected_purchases_12m = models.FloatField(
        _("expected purchases, 12 months"), null=True, blank=True
    )
    expected_value_3m = models.DecimalField(
        _("expected value, 3 months"), null=True, blank=True, **AMOUNT
    )
    expected_value_6m = models.DecimalField(
        _("expected value, 6 months"), null=True, blank=True, **AMOUNT
    )
    expected_value_12m = models.DecimalField(
        _("expected value, 12 months"), null=True, blank=True, **AMOUNT
    )
    expected_average_value = models.DecimalField(
        _("expected average purchase value"), null=True, blank=True, **AMOUNT
    )

    class Meta:
        verbose_name = _("customer metrics")
        verbose_name_plural = _("customer metrics")
        # Only the two list orders are indexed (a page of the metrics list by value, of
        # the churn-risk list by risk). Segments, tiers, quadrants and stages have a few
        # values each, so an index per column would save little on a filter but cost
        # every row of every refresh: at 200,000 customers the seven indexes this had
        # made the nightly write 2.5× slower (docs/decisions.md).
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "-churn_risk"), name="metrics_org_churn"),
            models.Index(fields=("org", "-monetary"), name="metrics_org_monetary"),
        ]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org", "party"), name="metrics_unique_org_party")
        ]

    def __str__(self) -> str:
        return f"metrics of party {self.party_id}"


class ClvModelFit(OrgScopedModel):
    """One fit of the BG/NBD (purchase counts) and Gamma-Gamma (spend) models.

    The latest row per organisation (by `fitted_at`) is the one in use. Parameters are
    null when the fit did not succeed (`status` says why, `message` in words).
    """

    class Status(models.TextChoices):
        OK = "ok", _("Fitted")
        INSUFFICIENT_DATA = "insufficient_data", _("Not enough data")
        FAILED = "failed", _("Failed")

    fitted_at = models.DateTimeField(_("fitted at"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    message = models.TextField(_("message"), blank=True)
    n_customers = models.IntegerField(_("customers"), default=0)
    observation_end = models.DateField(_("end of observation"))
    holdout_start = models.DateField(_("start of holdout"), null=True, blank=True)
    # BG/NBD
    r = models.FloatField(null=True, blank=True)
    alpha = models.FloatField(null=True, blank=True)
    a = models.FloatField(null=True, blank=True)
    b = models.FloatField(null=True, blank=True)
    # Gamma-Gamma
    p = models.FloatField(null=True, blank=True)
    q = models.FloatField(null=True, blank=True)
    v = models.FloatField(null=True, blank=True)
    bgnbd_log_likelihood = models.FloatField(_("BG/NBD log-likelihood"), null=True, blank=True)
    gg_log_likelihood = models.FloatField(_("Gamma-Gamma log-likelihood"), null=True, blank=True)
    calibration = models.JSONField(_("calibration vs holdout"), default=dict, blank=True)

    class Meta:
        verbose_name = _("lifetime-value model fit")
        verbose_name_plural = _("lifetime-value model fits")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "-fitted_at"), name="clvfit_org_latest"),
        ]

    def __str__(self) -> str:
        return f"CLV fit {self.fitted_at:%Y-%m-%d %H:%M} ({self.status})"


class MetricsRun(OrgScopedModel):
    """One refresh of the customer metrics, with its progress for the progress bar."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress"), default=0, validators=[MaxValueValidator(100)]
    )
    step = models.CharField(_("step"), max_length=100, blank=True)
    customers = models.IntegerField(_("customers"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("metrics refresh")
        verbose_name_plural = _("metrics refreshes")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "-created_at"), name="metricsrun_org_latest"),
        ]

    def __str__(self) -> str:
        return f"metrics run {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class AnalyticsSettings(OrgScopedModel):
    """Per-organisation thresholds of the customer metrics (one row per organisation).

    Defaults and their reasons are documented in docs/analytics/metrics.md.
    """

    class TierMethod(models.TextChoices):
        REVENUE_SHARE = "revenue_share", _("By cumulative share of revenue")
        CUSTOMER_SHARE = "customer_share", _("By share of customers (customer pyramid)")

    tier_method = models.CharField(
        _("value tiers"),
        max_length=20,
        choices=TierMethod.choices,
        default=TierMethod.REVENUE_SHARE,
    )
    # Cumulative percentages, customers sorted by net sales (largest first). With the
    # revenue-share method the cut is a share of total net sales; with the customer
    # pyramid it is a share of the customers who bought.
    tier_vip_percent = models.DecimalField(
        _("VIP up to (cumulative %)"), max_digits=5, decimal_places=2, default=Decimal("50")
    )
    tier_major_percent = models.DecimalField(
        _("major up to (cumulative %)"), max_digits=5, decimal_places=2, default=Decimal("80")
    )
    tier_ordinary_percent = models.DecimalField(
        _("ordinary up to (cumulative %)"), max_digits=5, decimal_places=2, default=Decimal("95")
    )
    # Gold / meteor / stream / burden: blank = the organisation's median.
    quadrant_value_threshold = models.DecimalField(
        _("high value per purchase from"), null=True, blank=True, **AMOUNT
    )
    quadrant_frequency_threshold = models.PositiveIntegerField(
        _("repeat buyer from (purchases)"), null=True, blank=True
    )
    lapse_days = models.PositiveIntegerField(_("lapsed after (days without purchase)"), default=180)
    terminated_days = models.PositiveIntegerField(
        _("terminated after (days without purchase)"), default=365
    )
    decline_drop = models.FloatField(
        _("declining from a drop in purchase rate of"),
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    maturity_purchases = models.PositiveIntegerField(_("mature from (purchases)"), default=4)
    maturity_days = models.PositiveIntegerField(
        _("mature after (days since first purchase)"), default=365
    )
    churn_weight = models.FloatField(
        _("weight of the model in the churn risk"),
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    churn_threshold = models.FloatField(
        _("at risk from a churn risk of"),
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )

    class Meta:
        verbose_name = _("analytics settings")
        verbose_name_plural = _("analytics settings")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org",), name="analytics_settings_one_per_org")
        ]

    def __str__(self) -> str:
        return f"analytics settings of org {self.org_id}"
