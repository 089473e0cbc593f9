"""Reads of the customer-metrics part: lists with filters, segment counts, the churn-risk
list and churn rate per group, one customer's metrics with their explanation.

Rows follow the visibility of the customers behind them (object type "party"): a member
sees the metrics of the customers they may see, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.analytics.models import (
    AnalyticsSettings,
    CustomerMetrics,
    LifecycleStage,
    MetricsRun,
    RfmSegment,
    ValueQuadrant,
    ValueTier,
)
from guanxi.core.permissions import MembershipLike, visible

FILTERS = ("segment", "tier", "quadrant", "stage", "owner", "q")
CHOICES: dict[str, Any] = {
    "segment": RfmSegment,
    "tier": ValueTier,
    "quadrant": ValueQuadrant,
    "stage": LifecycleStage,
}
COLUMN = {
    "segment": "rfm_segment",
    "tier": "value_tier",
    "quadrant": "value_quadrant",
    "stage": "lifecycle_stage",
}
# Sort keys of the lists → order_by (ties broken by the row's key for a stable order).
SORTS: dict[str, tuple[str, ...]] = {
    "churn": ("-churn_risk", "party_id"),
    "value": ("-monetary", "party_id"),
    "recency": ("-recency_days", "party_id"),
    "frequency": ("-frequency", "party_id"),
    "name": ("party__name", "party_id"),
    "clv": ("-expected_value_12m", "party_id"),
}


@dataclass(frozen=True)
class Filters:
    segment: str = ""
    tier: str = ""
    quadrant: str = ""
    stage: str = ""
    owner: str = ""  # a user id, "me" or ""
    q: str = ""

    @classmethod
    def from_query(cls, data: Any) -> Filters:
        """Filters from a query dict; unknown choices are ignored, not an error."""
        values: dict[str, str] = {}
        for name in FILTERS:
            value = str(data.get(name, "") or "").strip()
            if name in CHOICES and value not in CHOICES[name].values:
                value = ""
            if name == "owner" and value not in ("", "me") and not value.isdigit():
                value = ""
            values[name] = value[:100]
        return cls(**values)

    def as_params(self, **override: str) -> dict[str, str]:
        values = {name: getattr(self, name) for name in FILTERS}
        values.update(override)
        return {k: v for k, v in values.items() if v}


def visible_metrics(membership: MembershipLike | None) -> QuerySet[CustomerMetrics]:
    """The metrics of the customers the member may see (none without analytics view)."""
    from guanxi.parties.models import Party

    if membership is None:
        return CustomerMetrics.objects.none()
    parties = visible(Party.objects.all(), membership, "party")
    return CustomerMetrics.objects.filter(
        org_id=membership.org_id, party__in=parties.values("pk")
    ).select_related("party", "party__owner", "party__category")


def apply_filters(
    queryset: QuerySet[CustomerMetrics], filters: Filters, membership: MembershipLike
) -> QuerySet[CustomerMetrics]:
    for name, column in COLUMN.items():
        value = getattr(filters, name)
        if value:
            queryset = queryset.filter(**{column: value})
    if filters.owner == "me":
        queryset = queryset.filter(party__owner_id=membership.user_id)
    elif filters.owner:
        queryset = queryset.filter(party__owner_id=int(filters.owner))
    if filters.q:
        queryset = queryset.filter(
            Q(party__name__icontains=filters.q) | Q(party__short_name__icontains=filters.q)
        )
    return queryset


def metrics_list(
    membership: MembershipLike, filters: Filters, sort: str = "value"
) -> QuerySet[CustomerMetrics]:
    queryset = apply_filters(visible_metrics(membership), filters, membership)
    order = SORTS.get(sort, SORTS["value"])
    first = order[0].lstrip("-")
    if order[0].startswith("-") and first != "party__name":
        # Empty figures last on both databases.
        return queryset.order_by(F(first).desc(nulls_last=True), *order[1:])
    return queryset.order_by(*order)


def counts_by(
    membership: MembershipLike, filters: Filters, dimension: str
) -> list[tuple[str, str, int]]:
    """(value, label, customers) per value of `dimension` under the other filters."""
    column = COLUMN[dimension]
    queryset = apply_filters(
        visible_metrics(membership), Filters(**{**filters.__dict__, dimension: ""}), membership
    )
    found = dict(
        queryset.order_by().values_list(column).annotate(n=Count("pk")).values_list(column, "n")
    )
    return [
        (value, str(label), int(found.get(value, 0))) for value, label in CHOICES[dimension].choices
    ]


def churn_list(
    membership: MembershipLike, filters: Filters, config: AnalyticsSettings, sort: str = "churn"
) -> QuerySet[CustomerMetrics]:
    """Customers at risk: churn risk at or above the organisation's threshold."""
    return metrics_list(membership, filters, sort).filter(churn_risk__gte=config.churn_threshold)


def at_risk_by_owner(
    membership: MembershipLike, filters: Filters, config: AnalyticsSettings
) -> list[dict[str, Any]]:
    """Customers at risk per owner (the member's visible customers)."""
    queryset = apply_filters(
        visible_metrics(membership), Filters(**{**filters.__dict__, "owner": ""}), membership
    ).filter(churn_risk__gte=config.churn_threshold)
    rows = (
        queryset.order_by()
        .values("party__owner_id", "party__owner__display_name", "party__owner__username")
        .annotate(n=Count("pk"))
        .order_by("-n", "party__owner__username")
    )
    return [
        {
            "owner_id": row["party__owner_id"],
            "owner": row["party__owner__display_name"]
            or row["party__owner__username"]
            or _("No owner"),
            "customers": row["n"],
        }
        for row in rows
    ]


def churn_rate_by_group(
    membership: MembershipLike, config: AnalyticsSettings, group: str = "category"
) -> list[dict[str, Any]]:
    """Share of the buyers of each group who have lapsed (no purchase for the lapse window).

    `group`: "category" (customer category) or "tier" (value tier).
    """
    buyers = visible_metrics(membership).filter(frequency__gt=0).order_by()
    lapsed = Count("pk", filter=Q(recency_days__gt=config.lapse_days))
    result: list[tuple[str, Any, Any]] = []
    if group == "tier":
        labels = dict(ValueTier.choices)
        tiers = buyers.values("value_tier").annotate(n=Count("pk"), lapsed=lapsed)
        for tier_row in sorted(tiers, key=lambda r: list(labels).index(r["value_tier"] or "small")):
            result.append(
                (tier_row["value_tier"], str(labels.get(tier_row["value_tier"], "—")), tier_row)
            )
    else:
        groups = (
            buyers.values("party__category_id", "party__category__name")
            .annotate(n=Count("pk"), lapsed=lapsed)
            .order_by("party__category__name")
        )
        for group_row in groups:
            found: Any = group_row
            result.append(
                (
                    str(found["party__category_id"] or ""),
                    found["party__category__name"] or _("No category"),
                    found,
                )
            )
    return [
        {
            "key": key,
            "label": label,
            "customers": row["n"],
            "lapsed": row["lapsed"],
            "rate": round(row["lapsed"] / row["n"], 4) if row["n"] else 0.0,
        }
        for key, label, row in result
    ]


def party_metrics(membership: MembershipLike | None, party_id: int) -> CustomerMetrics | None:
    """The metrics of a visible customer (None before the first refresh); 404 if hidden."""
    from guanxi.parties.models import Party

    if membership is None:
        raise Http404
    if not visible(Party.objects.filter(pk=party_id), membership, "party").exists():
        raise Http404
    return CustomerMetrics.objects.filter(org_id=membership.org_id, party_id=party_id).first()


def latest_run(org_id: int) -> MetricsRun | None:
    return MetricsRun.objects.filter(org_id=org_id).order_by("-created_at", "-pk").first()


# --- plain-language explanations ------------------------------------------------------

SEGMENT_MEANING: dict[str, Any] = {
    "champions": gettext_lazy("Bought recently and often: your best customers."),
    "loyal": gettext_lazy("Buy often and not long ago: keep them close."),
    "potential_loyalist": gettext_lazy(
        "Bought recently and more than once: could become loyal customers."
    ),
    "new": gettext_lazy("Bought for the first time very recently."),
    "promising": gettext_lazy("Bought recently but only once: worth a follow-up."),
    "need_attention": gettext_lazy("Average recency and frequency: a nudge keeps them buying."),
    "about_to_sleep": gettext_lazy("Bought a while ago and rarely: may slip away soon."),
    "at_risk": gettext_lazy("Used to buy often but not for a long time: win them back."),
    "cannot_lose": gettext_lazy(
        "Among the most frequent buyers, yet silent for a long time: act now."
    ),
    "hibernating": gettext_lazy("Bought rarely and long ago."),
    "lost": gettext_lazy("Bought once or twice, very long ago: probably gone."),
}
TIER_MEANING: dict[str, Any] = {
    "vip": gettext_lazy(
        "VIP customers (VIP客户): watch their business closely and serve them first."
    ),
    "major": gettext_lazy(
        "Major customers (主要客户): build their loyalty so they contribute more."
    ),
    "ordinary": gettext_lazy(
        "Ordinary customers (普通客户): develop them so that some move up a tier."
    ),
    "small": gettext_lazy(
        "Small customers (小客户): serve at low cost; drop those that lose money."
    ),
}
QUADRANT_MEANING: dict[str, Any] = {
    "gold": gettext_lazy("Gold (黄金客户): buy repeatedly and spend a lot per purchase."),
    "meteor": gettext_lazy(
        "Meteor (流星客户): spend a lot per purchase but do not come back often."
    ),
    "stream": gettext_lazy("Stream (小溪客户): loyal, repeat buyers, but each purchase is small."),
    "burden": gettext_lazy("Burden (负担客户): few purchases and small ones."),
}
STAGE_MEANING: dict[str, Any] = {
    "potential": gettext_lazy("Potential (潜在期): no purchase yet and no contact being made."),
    "development": gettext_lazy(
        "Development (开发期): being courted (an open opportunity or recent contact) "
        "or has made a first purchase."
    ),
    "growth": gettext_lazy("Growth (成长期): buys again; the relationship is deepening."),
    "maturity": gettext_lazy("Maturity (成熟期): buys regularly over a long time."),
    "decline": gettext_lazy(
        "Decline (衰退期): buys much less often than before, or not within the lapse window."
    ),
    "terminated": gettext_lazy("Terminated (终止期): no purchase for a very long time."),
}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def explain(m: CustomerMetrics, config: AnalyticsSettings) -> list[dict[str, Any]]:
    """Each figure of the customer's analysis with a sentence saying what it means."""
    items: list[dict[str, Any]] = []

    def add(key: str, label: Any, value: Any, text: Any) -> None:
        items.append({"key": key, "label": label, "value": value, "text": text})

    if not m.frequency:
        add(
            "rfm",
            _("RFM"),
            "—",
            _("No purchase yet, so there are no recency, frequency or monetary scores."),
        )
    else:
        add(
            "recency",
            _("Recency (R)"),
            _("%(days)s days · score %(score)s") % {"days": m.recency_days, "score": m.r_score},
            _(
                "Last purchase on %(date)s. Scores run 1–5 by quintile among your "
                "customers: 5 means among the 20%% who bought most recently."
            )
            % {"date": m.last_purchase},
        )
        add(
            "frequency",
            _("Frequency (F)"),
            _("%(n)s purchases · score %(score)s") % {"n": m.frequency, "score": m.f_score},
            _(
                "Posted deliveries still standing since the first purchase on %(date)s; "
                "5 means among the 20%% who bought most often."
            )
            % {"date": m.first_purchase},
        )
        add(
            "monetary",
            _("Monetary (M)"),
            _("%(amount)s · score %(score)s") % {"amount": m.monetary, "score": m.m_score},
            _(
                "Net sales (without tax, returns deducted); gross profit %(profit)s, "
                "%(aov)s per purchase on average. 5 means among the top 20%% by net sales."
            )
            % {"profit": m.gross_profit, "aov": m.average_order_value},
        )
    if m.rfm_segment:
        add(
            "segment",
            _("RFM segment"),
            m.get_rfm_segment_display(),
            SEGMENT_MEANING.get(m.rfm_segment, ""),
        )
    if m.value_tier:
        if config.tier_method == AnalyticsSettings.TierMethod.CUSTOMER_SHARE:
            rule = _(
                "Customers ranked by net sales: the first %(vip)s%% of buyers are VIP, up to "
                "%(major)s%% major, up to %(ordinary)s%% ordinary, the rest small."
            )
        else:
            rule = _(
                "Customers ranked by net sales: those making the first %(vip)s%% of revenue "
                "are VIP, up to %(major)s%% major, up to %(ordinary)s%% ordinary, the rest "
                "small."
            )
        rule = rule % {
            "vip": _num(config.tier_vip_percent),
            "major": _num(config.tier_major_percent),
            "ordinary": _num(config.tier_ordinary_percent),
        }
        add(
            "tier",
            _("Value tier"),
            m.get_value_tier_display(),
            f"{TIER_MEANING.get(m.value_tier, '')} {rule}",
        )
    if m.value_quadrant:
        add(
            "quadrant",
            _("Value quadrant"),
            m.get_value_quadrant_display(),
            f"{QUADRANT_MEANING.get(m.value_quadrant, '')} "
            + _("Based on net sales per purchase (%(aov)s) and the number of purchases (%(n)s).")
            % {"aov": m.average_order_value, "n": m.frequency},
        )
    add(
        "stage",
        _("Lifecycle stage"),
        m.get_lifecycle_stage_display(),
        STAGE_MEANING.get(m.lifecycle_stage, ""),
    )
    if m.churn_risk is not None:
        drop = (
            _("its purchase rate has dropped by %(drop)s against its own rhythm")
            % {"drop": _pct(m.purchase_rate_drop)}
            if m.purchase_rate_drop is not None
            else _("one purchase only, so the time since it is set against the lapse window")
        )
        add(
            "churn",
            _("Churn risk"),
            _pct(m.churn_risk),
            _(
                "Combines the probability that the customer is no longer active "
                "(%(inactive)s, from the purchase model) with the fact that %(drop)s."
            )
            % {
                "inactive": _pct(None if m.p_alive is None else 1 - m.p_alive),
                "drop": drop,
            },
        )
    if m.p_alive is not None:
        add(
            "p_alive",
            _("Probability still active"),
            _pct(m.p_alive),
            _(
                "From the BG/NBD model fitted on all your customers: how likely it is that "
                "this customer still buys from you, given how often and how recently they did."
            ),
        )
    if m.expected_purchases_12m is not None:
        add(
            "clv",
            _("Lifetime value, next 12 months"),
            m.expected_value_12m if m.expected_value_12m is not None else "—",
            _(
                "Expected purchases: %(p3)s in 3 months, %(p6)s in 6, %(p12)s in 12; "
                "expected value per purchase %(spend)s (Gamma-Gamma model); expected value "
                "%(v3)s / %(v6)s / %(v12)s."
            )
            % {
                "p3": _num(m.expected_purchases_3m, 2),
                "p6": _num(m.expected_purchases_6m, 2),
                "p12": _num(m.expected_purchases_12m, 2),
                "spend": m.expected_average_value if m.expected_average_value is not None else "—",
                "v3": m.expected_value_3m if m.expected_value_3m is not None else "—",
                "v6": m.expected_value_6m if m.expected_value_6m is not None else "—",
                "v12": m.expected_value_12m if m.expected_value_12m is not None else "—",
            },
        )
    return items


def _num(value: Any, places: int = 0) -> str:
    if value is None:
        return "—"
    number = Decimal(str(value))
    if places == 0 and number == number.to_integral_value():
        return str(int(number))
    return f"{float(number):.{places or 2}f}"
