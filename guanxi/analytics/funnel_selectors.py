"""The sales funnel (H2): opportunities by stage, stage-to-stage conversion, time in
stage, won/lost rate, the weighted forecast by expected close month, and the lead →
customer → first order funnel.

Definitions (docs/analytics/sales.md explains them with examples):
- *weighted amount* = amount × the opportunity's probability / 100;
- an opportunity *reached* an open stage when it ever entered that stage, a later open
  stage or a won stage (every entry is a StageChange row, the first one at creation);
- *conversion* from a stage to the next = reached(next) / reached(stage), over the
  opportunities created in the period (a cohort);
- *win rate* = won / (won + lost) of the cohort's closed opportunities;
- *time in stage*: for each entry into a stage in the period, the time until the
  opportunity's next stage change (stays not yet ended are not averaged, but counted);
- *forecast*: open opportunities by the month of their expected close date, Σ amount
  and Σ weighted amount; overdue (close date before the first month) and undated apart.

Rows follow the member's visibility of opportunities (and of leads for the lead funnel).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import Lead as LeadFn
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from guanxi.analytics import facts
from guanxi.core.permissions import MembershipLike, visible
from guanxi.sales.models import Lead, Opportunity, PipelineStage, StageChange
from guanxi.sales.pipeline_selectors import weighted_expression

ZERO = Decimal("0")
CENT = Decimal("0.01")
Outcome = PipelineStage.Outcome


@dataclass(frozen=True)
class FunnelFilters:
    date_from: datetime.date
    date_to: datetime.date
    owner_id: int | None = None
    team_id: int | None = None


def _rate(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _dec(value: Any) -> Decimal:
    if value is None:
        return ZERO.quantize(CENT)
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT)


def _bounds(filters: FunnelFilters) -> tuple[datetime.datetime, datetime.datetime]:
    """The period as [start, end) instants in the active (the organisation's) time zone."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(filters.date_from, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        filters.date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    return start, end


def _owned(qs: QuerySet, membership: MembershipLike, filters: FunnelFilters) -> QuerySet:
    if filters.owner_id:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.team_id:
        from guanxi.accounts.models import Membership

        qs = qs.filter(
            owner_id__in=Membership.objects.filter(
                org_id=membership.org_id, team_id=filters.team_id
            ).values("user_id")
        )
    return qs


def funnel_opportunities(membership: MembershipLike, filters: FunnelFilters) -> QuerySet:
    return _owned(
        visible(Opportunity.objects.all(), membership, "opportunity"), membership, filters
    )


def _stages(membership: MembershipLike) -> list[PipelineStage]:
    return list(PipelineStage.objects.filter(org_id=membership.org_id).order_by("position", "id"))


def opportunity_list_url(filters: FunnelFilters | None = None, **params: Any) -> str:
    query = {k: v for k, v in params.items() if v not in ("", None)}
    if filters is not None and filters.owner_id:
        query["owner"] = filters.owner_id
    return f"{reverse('sales:opportunity_list')}?{urlencode(query)}"


# --- the open pipeline by stage --------------------------------------------------------------


@dataclass
class StageRow:
    stage: PipelineStage
    count: int
    amount: Decimal
    weighted: Decimal
    url: str


def pipeline_by_stage(membership: MembershipLike, filters: FunnelFilters) -> list[StageRow]:
    """Open opportunities now, per open stage: count, amount, weighted amount (one query)."""
    stages = [s for s in _stages(membership) if s.outcome == Outcome.OPEN]
    rows = {
        r["stage_id"]: r
        for r in funnel_opportunities(membership, filters)
        .filter(status=Opportunity.Status.OPEN)
        .values("stage_id")
        .annotate(n=Count("id"), sum_amount=Sum("amount"), sum_weighted=Sum(weighted_expression()))
        .order_by()
    }
    out = []
    for s in stages:
        r = rows.get(s.pk, {})
        if not r and not s.is_active:
            continue
        out.append(
            StageRow(
                stage=s,
                count=int(r.get("n") or 0),
                amount=_dec(r.get("sum_amount")),
                weighted=_dec(r.get("sum_weighted")),
                url=opportunity_list_url(filters, stage=s.pk, status="open"),
            )
        )
    return out


# --- conversion between stages (cohort of the period) ---------------------------------------


@dataclass
class ConversionRow:
    stage: PipelineStage
    reached: int
    to_next: Decimal | None  # percent of those reaching this stage that reach the next one
    of_cohort: Decimal | None  # percent of the cohort that reached this stage
    url: str


@dataclass
class Conversion:
    cohort: int
    rows: list[ConversionRow]
    won: int
    lost: int
    open: int

    @property
    def win_rate(self) -> Decimal | None:
        return _rate(self.won, self.won + self.lost)

    @property
    def loss_rate(self) -> Decimal | None:
        return _rate(self.lost, self.won + self.lost)


def conversion(membership: MembershipLike, filters: FunnelFilters) -> Conversion:
    """Stage-to-stage conversion of the opportunities created in the period (one query)."""
    start, end = _bounds(filters)
    cohort = funnel_opportunities(membership, filters).filter(
        created_at__gte=start, created_at__lt=end
    )
    stages = _stages(membership)
    open_stages = [s for s in stages if s.outcome == Outcome.OPEN]
    won_ids = [s.pk for s in stages if s.outcome == Outcome.WON]
    aggregates: dict[str, Any] = {
        "cohort": Count("id"),
        "won": Count("id", filter=Q(status=Opportunity.Status.WON)),
        "lost": Count("id", filter=Q(status=Opportunity.Status.LOST)),
        "open": Count("id", filter=Q(status=Opportunity.Status.OPEN)),
    }
    for s in open_stages:
        later = [t.pk for t in open_stages if t.position >= s.position] + won_ids
        entered = StageChange.objects.filter(opportunity_id=OuterRef("pk"), to_stage_id__in=later)
        aggregates[f"s{s.pk}"] = Count("id", filter=Q(Exists(entered)))
    totals = cohort.order_by().aggregate(**aggregates)
    reached = [int(totals[f"s{s.pk}"] or 0) for s in open_stages]
    rows = []
    for i, s in enumerate(open_stages):
        if not reached[i] and not s.is_active:
            continue
        nxt = reached[i + 1] if i + 1 < len(open_stages) else int(totals["won"] or 0)
        rows.append(
            ConversionRow(
                stage=s,
                reached=reached[i],
                to_next=_rate(nxt, reached[i]),
                of_cohort=_rate(reached[i], totals["cohort"]),
                url=opportunity_list_url(filters, stage=s.pk),
            )
        )
    return Conversion(
        cohort=int(totals["cohort"] or 0),
        rows=rows,
        won=int(totals["won"] or 0),
        lost=int(totals["lost"] or 0),
        open=int(totals["open"] or 0),
    )


# --- time in stage ---------------------------------------------------------------------------


@dataclass
class StageTime:
    stage: PipelineStage
    entries: int
    ended: int
    average_days: Decimal | None


def time_in_stage(membership: MembershipLike, filters: FunnelFilters) -> list[StageTime]:
    """Average days between entering a stage (in the period) and the next stage change.

    The next change comes from a window function (LEAD over the opportunity's changes in
    time order), computed over all changes of the opportunities concerned, so a stay that
    ends after the period still counts with its real length."""
    start, end = _bounds(filters)
    opps = funnel_opportunities(membership, filters)
    concerned = StageChange.objects.filter(
        changed_at__gte=start, changed_at__lt=end, opportunity__in=opps.values("pk")
    ).values("opportunity_id")
    changes = (
        StageChange.objects.filter(opportunity_id__in=concerned)
        .annotate(
            next_at=Window(
                LeadFn("changed_at"),
                partition_by=[F("opportunity_id")],
                order_by=[F("changed_at").asc(), F("id").asc()],
            )
        )
        .values_list("to_stage_id", "changed_at", "next_at")
    )
    sums: dict[int, list[Any]] = {}
    for stage_id, entered, left in changes:
        if not (start <= entered < end):
            continue
        acc = sums.setdefault(stage_id, [0, 0, datetime.timedelta(0)])
        acc[0] += 1
        if left is not None:
            acc[1] += 1
            acc[2] += left - entered
    out = []
    for s in _stages(membership):
        if s.outcome != Outcome.OPEN:
            continue
        entries, ended, spent = sums.get(s.pk, [0, 0, datetime.timedelta(0)])
        if not entries and not s.is_active:
            continue
        average = None
        if ended:
            days = Decimal(spent.total_seconds()) / Decimal(86400) / Decimal(ended)
            average = days.quantize(Decimal("0.1"))
        out.append(StageTime(stage=s, entries=entries, ended=ended, average_days=average))
    return out


# --- weighted forecast by expected close month -----------------------------------------------


@dataclass
class ForecastRow:
    key: str  # "YYYY-MM", "overdue" or "none"
    month: datetime.date | None
    count: int
    amount: Decimal
    weighted: Decimal
    url: str


@dataclass
class Forecast:
    rows: list[ForecastRow]
    overdue: ForecastRow
    undated: ForecastRow
    total_amount: Decimal = ZERO
    total_weighted: Decimal = ZERO
    months: list[ForecastRow] = field(default_factory=list)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def forecast(
    membership: MembershipLike,
    filters: FunnelFilters,
    *,
    start: datetime.date,
    months: int = 12,
) -> Forecast:
    """Open opportunities by expected close month from `start`'s month for `months`
    months: count, Σ amount, Σ amount × probability (one query)."""
    first = start.replace(day=1)
    after = _add_months(first, months)
    open_opps = funnel_opportunities(membership, filters).filter(status=Opportunity.Status.OPEN)
    grouped = (
        open_opps.annotate(month=TruncMonth("close_date"))
        .values("month")
        .annotate(n=Count("id"), sum_amount=Sum("amount"), sum_weighted=Sum(weighted_expression()))
        .order_by()
    )
    by_month: dict[Any, dict[str, Any]] = {}
    overdue: dict[str, Any] = {"n": 0, "amount": ZERO, "weighted": ZERO}
    undated: dict[str, Any] = {"n": 0, "amount": ZERO, "weighted": ZERO}
    for r in grouped:
        month = r["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        if isinstance(month, str):
            month = datetime.date.fromisoformat(month[:10])
        if month is None:
            target = undated
        elif month < first:
            target = overdue
        elif month >= after:
            continue
        else:
            by_month[month] = r
            continue
        target["n"] += r["n"]
        target["amount"] += _dec(r["sum_amount"])
        target["weighted"] += _dec(r["sum_weighted"])
    rows = []
    for i in range(months):
        month = _add_months(first, i)
        r = by_month.get(month, {})
        key = f"{month.year}-{month.month:02d}"
        rows.append(
            ForecastRow(
                key=key,
                month=month,
                count=int(r.get("n") or 0),
                amount=_dec(r.get("sum_amount")),
                weighted=_dec(r.get("sum_weighted")),
                url=opportunity_list_url(filters, status="open", close_month=key),
            )
        )
    overdue_row = ForecastRow(
        "overdue",
        None,
        overdue["n"],
        _dec(overdue["amount"]),
        _dec(overdue["weighted"]),
        opportunity_list_url(filters, status="open"),
    )
    undated_row = ForecastRow(
        "none",
        None,
        undated["n"],
        _dec(undated["amount"]),
        _dec(undated["weighted"]),
        opportunity_list_url(filters, status="open"),
    )
    result = Forecast(rows=rows, overdue=overdue_row, undated=undated_row, months=rows)
    for row in [*rows, overdue_row, undated_row]:
        result.total_amount += row.amount
        result.total_weighted += row.weighted
    return result


# --- leads → customers → first order ----------------------------------------------------------


@dataclass
class LeadFunnel:
    leads: int
    converted: int
    ordered: int

    @property
    def conversion_rate(self) -> Decimal | None:
        return _rate(self.converted, self.leads)

    @property
    def order_rate(self) -> Decimal | None:
        """Of the converted leads, the share whose customer has a posted delivery."""
        return _rate(self.ordered, self.converted)

    @property
    def overall_rate(self) -> Decimal | None:
        return _rate(self.ordered, self.leads)


def lead_funnel(membership: MembershipLike, filters: FunnelFilters) -> LeadFunnel:
    """Leads created in the period; of them, converted into a customer; of those, the
    customers with a posted delivery that still stands (facts.purchase_events). One query."""
    start, end = _bounds(filters)
    leads = _owned(visible(Lead.objects.all(), membership, "lead"), membership, filters).filter(
        created_at__gte=start, created_at__lt=end
    )
    bought = facts.purchase_events().filter(party_id=OuterRef("party_id"))
    converted = Q(status=Lead.Status.CONVERTED, party__isnull=False)
    totals = leads.order_by().aggregate(
        leads=Count("id"),
        converted=Count("id", filter=converted),
        ordered=Count("id", filter=converted & Q(Exists(bought))),
    )
    return LeadFunnel(
        leads=int(totals["leads"] or 0),
        converted=int(totals["converted"] or 0),
        ordered=int(totals["ordered"] or 0),
    )
