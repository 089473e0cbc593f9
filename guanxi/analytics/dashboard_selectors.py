"""The analysis dashboard (H5) and the person page (C4): every figure in SQL.

Definitions (docs/analytics/dashboard.md explains them for a teacher):

- *Revenue* is the sales facts' signed net amount (analytics/facts.py): posted deliveries
  minus returns, net of tax, dated by the document date, in [start, end).
- *Sales vs target* reuses the sales targets' own attainment (sales/pipeline_selectors:
  confirmed and completed orders in the current month, quarter and year), so the
  dashboard and the targets page never disagree.
- *New customer*: the customer's first standing purchase (facts.purchase_events) falls in
  the period. *Lapsed customer*: had bought before, and their latest purchase up to the
  period's end is more than LAPSED_DAYS (90) days before the period's last day (or today,
  if earlier). "Lapsed in the period": the 90 days ran out inside the period.
- *Age band*: individuals by age from their birthday; companies by years since their first
  purchase, or since they were created when they have never bought.

Visibility: revenue, rankings and trends count the sales documents the member may see
("stock_document", by document owner); customer figures (new, lapsed, region, age) the
customers they may see ("party"); the pipeline the opportunities ("opportunity"). So a
sales user sees their own figures, a manager their team's or the organisation's, an
administrator the organisation's.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.analytics.facts import purchase_events, sales_documents, sales_lines
from guanxi.core.permissions import (
    VIEW,
    MembershipLike,
    Visibility,
    has_perm,
    is_org_admin,
    team_member_ids,
    visible,
)
from guanxi.parties.models import Party
from guanxi.parties.selectors import visible_parties

ZERO = Decimal("0")
CENT = Decimal("0.01")
LAPSED_DAYS = 90
TOP = 10
MAX_SPAN_DAYS = 366 * 5
DOC = "stock_document"

PERIODS: dict[str, Any] = {
    "month": gettext_lazy("This month"),
    "quarter": gettext_lazy("This quarter"),
    "year": gettext_lazy("This year"),
    "last12": gettext_lazy("Last 12 months"),
    "custom": gettext_lazy("Custom"),
}
DEFAULT_PERIOD = "month"

# Age bands: (key, label, lower bound in years inclusive, upper bound exclusive or None).
PERSON_BANDS: tuple[tuple[str, Any, int, int | None], ...] = (
    ("p_u25", gettext_lazy("Individuals under 25"), 0, 25),
    ("p_25", gettext_lazy("Individuals 25–34"), 25, 35),
    ("p_35", gettext_lazy("Individuals 35–44"), 35, 45),
    ("p_45", gettext_lazy("Individuals 45–54"), 45, 55),
    ("p_55", gettext_lazy("Individuals 55 and over"), 55, None),
)
COMPANY_BANDS: tuple[tuple[str, Any, int, int | None], ...] = (
    ("c_u1", gettext_lazy("Companies under 1 year"), 0, 1),
    ("c_1", gettext_lazy("Companies 1–2 years"), 1, 3),
    ("c_3", gettext_lazy("Companies 3–4 years"), 3, 5),
    ("c_5", gettext_lazy("Companies 5 years and over"), 5, None),
)
UNKNOWN_BAND = ("p_unknown", gettext_lazy("Individuals, birthday unknown"))
BAND_LABELS: dict[str, Any] = {
    **{key: label for key, label, _lo, _hi in PERSON_BANDS + COMPANY_BANDS},
    UNKNOWN_BAND[0]: UNKNOWN_BAND[1],
}
NO_PROVINCE = "-"


# --- the period ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str
    start: datetime.date
    end: datetime.date  # exclusive

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)

    @property
    def label(self) -> str:
        return str(PERIODS[self.key])

    def as_params(self) -> dict[str, str]:
        params = {"period": self.key}
        if self.key == "custom":
            params.update(start=self.start.isoformat(), end=self.last_day.isoformat())
        return params


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def resolve_period(
    key: str | None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    *,
    today: datetime.date | None = None,
) -> Period:
    """The period [start, end) of a picker choice; `end` of a custom period is inclusive.

    Bad input raises ValidationError with field errors (period, start, end)."""
    today = today or timezone.localdate()
    key = key or DEFAULT_PERIOD
    if key not in PERIODS:
        raise ValidationError({"period": _("Choose one of the offered periods.")})
    if key == "month":
        first = today.replace(day=1)
        return Period(key, first, (first + datetime.timedelta(days=32)).replace(day=1))
    if key == "quarter":
        first = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return Period(key, first, (first + datetime.timedelta(days=95)).replace(day=1))
    if key == "year":
        return Period(key, datetime.date(today.year, 1, 1), datetime.date(today.year + 1, 1, 1))
    if key == "last12":
        end_ = today + datetime.timedelta(days=1)
        return Period(key, _add_years(end_, -1), end_)
    errors: dict[str, str] = {}
    if start is None:
        errors["start"] = _("Enter the first day of the period.")
    if end is None:
        errors["end"] = _("Enter the last day of the period.")
    if start and end and end < start:
        errors["end"] = _("The last day must not be before the first day.")
    if start and end and (end - start).days > MAX_SPAN_DAYS:
        errors["end"] = _("A period may span at most five years.")
    if errors or start is None or end is None:
        raise ValidationError(errors)
    return Period(key, start, end + datetime.timedelta(days=1))


# --- who is counted ------------------------------------------------------------------------


def visible_sales_documents(membership: MembershipLike | None) -> QuerySet[Any]:
    return visible(sales_documents(), membership, DOC)


def visible_sales_lines(membership: MembershipLike | None) -> QuerySet[Any]:
    """Sales lines of the documents the member may see (the document's owner decides)."""
    lines = sales_lines()
    if membership is None or not has_perm(membership, VIEW, DOC):
        return lines.none()
    lines = lines.filter(document__org_id=membership.org_id)
    if is_org_admin(membership) or membership.role.visibility == Visibility.ORG:
        return lines
    if membership.role.visibility == Visibility.TEAM:
        return lines.filter(document__owner_id__in=team_member_ids(membership))
    return lines.filter(document__owner_id=membership.user_id)


def scope_label(membership: MembershipLike) -> str:
    if is_org_admin(membership) or membership.role.visibility == Visibility.ORG:
        return _("The whole organisation")
    if membership.role.visibility == Visibility.TEAM:
        return _("Your team")
    return _("Your own figures")


# --- figures ------------------------------------------------------------------------------


@dataclass
class Ranked:
    key: Any
    label: str
    amount: Decimal
    quantity: Decimal | None = None
    count: int | None = None


@dataclass
class StageRow:
    stage_id: int
    name: str
    probability: int
    count: int
    amount: Decimal
    weighted: Decimal


@dataclass
class Bucket:
    key: str
    label: str
    count: int


@dataclass
class TrendPoint:
    day: datetime.date
    amount: Decimal


@dataclass
class Dashboard:
    period: Period
    scope: str
    revenue: Decimal
    deliveries: int
    gross_profit: Decimal
    trend: list[TrendPoint]
    trend_unit: str  # "day" or "month"
    products: list[Ranked]
    people: list[Ranked]
    new_customers: int
    lapsed_in_period: int
    lapsed_total: int
    pipeline: list[StageRow]
    regions: list[Bucket]
    ages: list[Bucket]
    attainment: list[Any] = field(default_factory=list)  # sales Attainment per period


def _q(value: Any) -> Decimal:
    return (value or ZERO).quantize(CENT)


def trend(documents: QuerySet[Any], period: Period) -> tuple[list[TrendPoint], str]:
    """Revenue per day (periods up to 62 days) or per month, one grouped query; days or
    months without sales are filled with zero."""
    unit = "day" if (period.end - period.start).days <= 62 else "month"
    bucket = F("date") if unit == "day" else TruncMonth("date")
    rows = (
        documents.filter(date__gte=period.start, date__lt=period.end)
        .annotate(bucket=bucket)
        .order_by()
        .values("bucket")
        .annotate(amount=Sum("signed_net"))
    )
    found: dict[datetime.date, Decimal] = {}
    for row in rows:
        day = row["bucket"]
        if isinstance(day, datetime.datetime):
            day = day.date()
        found[day] = found.get(day, ZERO) + _q(row["amount"])
    points = []
    day = period.start if unit == "day" else period.start.replace(day=1)
    while day < period.end:
        points.append(TrendPoint(day, found.get(day, ZERO)))
        if unit == "day":
            day += datetime.timedelta(days=1)
        else:
            day = (day + datetime.timedelta(days=32)).replace(day=1)
    return points, unit


def _customer_purchases(membership: MembershipLike, period: Period) -> QuerySet[Any]:
    """Per visible customer: first and latest standing purchase up to the period's end."""
    return (
        purchase_events()
        .filter(
            org_id=membership.org_id,
            date__lt=period.end,
            party_id__in=visible_parties(membership).values("pk"),
        )
        .order_by()
        .values("party_id")
        .annotate(first=Min("date"), last=Max("date"))
    )


def lapse_cutoff(period: Period, today: datetime.date) -> datetime.date:
    """A customer whose latest purchase is before this day has lapsed by the period's end."""
    as_of = min(period.last_day, today)
    return as_of - datetime.timedelta(days=LAPSED_DAYS)


def customer_segment(
    membership: MembershipLike, period: Period, segment: str, today: datetime.date
) -> QuerySet[Any]:
    """Visible customers of a dashboard segment: new, lapsed, lapsed_in (party ids)."""
    per_customer = _customer_purchases(membership, period)
    cutoff = lapse_cutoff(period, today)
    if segment == "new":
        ids = per_customer.filter(first__gte=period.start)
    elif segment == "lapsed":
        ids = per_customer.filter(last__lt=cutoff)
    elif segment == "lapsed_in":
        ids = per_customer.filter(
            last__lt=cutoff, last__gte=period.start - datetime.timedelta(days=LAPSED_DAYS)
        )
    else:
        raise ValidationError({"segment": _("Unknown customer segment.")})
    return ids.values("party_id")


def pipeline_by_stage(membership: MembershipLike, owner_id: int | None = None) -> list[StageRow]:
    """Open opportunities per active open stage: count, Σ amount, Σ amount × probability."""
    from guanxi.sales.models import Opportunity, PipelineStage
    from guanxi.sales.pipeline_selectors import totals_by_stage, visible_opportunities

    qs = visible_opportunities(membership).filter(status=Opportunity.Status.OPEN)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    totals = totals_by_stage(qs)
    stages = PipelineStage.objects.filter(
        org_id=membership.org_id, is_active=True, outcome=PipelineStage.Outcome.OPEN
    ).order_by("position", "id")
    rows = []
    for stage in stages:
        t = totals.get(stage.pk)
        rows.append(
            StageRow(
                stage.pk,
                stage.name,
                stage.probability,
                t.count if t else 0,
                t.amount if t else ZERO,
                t.weighted if t else ZERO,
            )
        )
    return rows


def customers_by_region(membership: MembershipLike) -> list[Bucket]:
    rows = (
        visible_parties(membership)
        .order_by()
        .values("province")
        .annotate(n=Count("pk"))
        .order_by("-n", "province")
    )
    return [
        Bucket(row["province"] or NO_PROVINCE, row["province"] or _("Unknown"), row["n"])
        for row in rows
    ]


def _years_ago(today: datetime.date, years: int) -> datetime.date:
    return _add_years(today, -years)


def age_band_expression(today: datetime.date) -> tuple[Any, Case]:
    """A CASE giving each customer's band key (see the module docstring)."""
    first_purchase = Subquery(
        purchase_events()
        # The organisation too, so the (org, party, date) index answers it.
        .filter(org_id=OuterRef("org_id"), party_id=OuterRef("pk"))
        .order_by()
        .values("party_id")
        .annotate(first=Min("date"))
        .values("first")[:1],
        output_field=DateField(),
    )
    since = Coalesce(first_purchase, TruncDate("created_at"), output_field=DateField())
    # Ordered WHENs, one comparison each (the first that holds wins), so the first-purchase
    # subquery is evaluated as few times as possible per customer.
    person = Q(kind=Party.Kind.PERSON)
    whens = [When(person & Q(birthday__isnull=True), then=Value(UNKNOWN_BAND[0]))]
    for key, _label, _lo, hi in PERSON_BANDS:
        if hi is None:
            whens.append(When(person, then=Value(key)))
        else:  # younger than `hi`: born after today − hi years
            whens.append(When(person & Q(birthday__gt=_years_ago(today, hi)), then=Value(key)))
    for key, _label, _lo, hi in COMPANY_BANDS:
        if hi is not None:
            whens.append(When(Q(since__gt=_years_ago(today, hi)), then=Value(key)))
    last_company = COMPANY_BANDS[-1][0]
    return since, Case(*whens, default=Value(last_company), output_field=CharField())


def with_age_band(qs: QuerySet[Party], today: datetime.date) -> QuerySet[Any]:
    since, band = age_band_expression(today)
    return qs.annotate(since=since).annotate(band=band)


def _day_after_start(day: datetime.date) -> datetime.datetime:
    """The first instant of the day after `day` in the current time zone."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


def customer_figures(
    membership: MembershipLike, period: Period, today: datetime.date
) -> tuple[int, int, int, list[Bucket]]:
    """(new, lapsed in the period, lapsed by the period's end, age bands) in one statement.

    The visible customers are joined (left) to one grouped pass over the purchase events
    in customer order (the covering index on party): each customer's first purchase ever
    and latest purchase before the period's end. Conditional counts then give the new and
    lapsed customers and every age band at once; no per-customer subquery."""
    ops = connection.ops
    parties = (
        visible_parties(membership)
        .order_by()
        .values(p_id=F("pk"), p_kind=F("kind"), p_birthday=F("birthday"), p_created=F("created_at"))
    )
    events = purchase_events().filter(org_id=membership.org_id)
    if not (is_org_admin(membership) or membership.role.visibility == Visibility.ORG):
        # A narrower view reads only its customers' events (the join would drop the rest).
        events = events.filter(party_id__in=visible_parties(membership).values("pk"))
    per_customer = (
        events.order_by()
        .values("party_id")
        .annotate(first=Min("date"), last=Max("date", filter=Q(date__lt=period.end)))
    )
    outer_sql, outer_params = parties.query.sql_with_params()
    inner_sql, inner_params = per_customer.query.sql_with_params()
    first, last = (f"t.{ops.quote_name(name)}" for name in ("first", "last"))

    def day(value: datetime.date) -> Any:
        return ops.adapt_datefield_value(value)

    cutoff = lapse_cutoff(period, today)
    lapse_from = period.start - datetime.timedelta(days=LAPSED_DAYS)
    keys: list[str] = ["new", "lapsed_in", "lapsed"]
    cases = [
        f"{first} >= %s AND {first} < %s",
        f"{last} < %s AND {last} >= %s",
        f"{last} < %s",
    ]
    params: list[Any] = [
        day(period.start),
        day(period.end),
        day(cutoff),
        day(lapse_from),
        day(cutoff),
    ]
    person, company = Party.Kind.PERSON, Party.Kind.COMPANY
    keys.append(UNKNOWN_BAND[0])
    cases.append("p.p_kind = %s AND p.p_birthday IS NULL")
    params.append(person)
    older: datetime.date | None = None
    for key, _label, _lo, hi in PERSON_BANDS:  # born after today − hi years
        tests = ["p.p_kind = %s", "p.p_birthday IS NOT NULL"]
        params.append(person)
        if older is not None:
            tests.append("p.p_birthday <= %s")
            params.append(day(older))
        older = _years_ago(today, hi) if hi is not None else None
        if older is not None:
            tests.append("p.p_birthday > %s")
            params.append(day(older))
        keys.append(key)
        cases.append(" AND ".join(tests))
    # Companies: by their first purchase, or by their creation day when they never bought.
    lower: datetime.date | None = None
    for key, _label, _lo, hi in COMPANY_BANDS:
        bound = _years_ago(today, hi) if hi is not None else None
        bought = [f"{first} IS NOT NULL"]
        never = [f"{first} IS NULL"]
        bought_params: list[Any] = []
        never_params: list[Any] = []
        if bound is not None:
            bought.append(f"{first} > %s")
            bought_params.append(day(bound))
            never.append("p.p_created >= %s")
            never_params.append(ops.adapt_datetimefield_value(_day_after_start(bound)))
        if lower is not None:
            bought.append(f"{first} <= %s")
            bought_params.append(day(lower))
            never.append("p.p_created < %s")
            never_params.append(ops.adapt_datetimefield_value(_day_after_start(lower)))
        lower = bound
        keys.append(key)
        cases.append(f"p.p_kind = %s AND (({' AND '.join(bought)}) OR ({' AND '.join(never)}))")
        params += [company, *bought_params, *never_params]
    sums = ", ".join(f"COALESCE(SUM(CASE WHEN {case} THEN 1 ELSE 0 END), 0)" for case in cases)
    sql = (
        f"SELECT {sums} FROM ({outer_sql}) p"  # noqa: S608 (fixed SQL, parameters)
        f" LEFT JOIN ({inner_sql}) t ON t.{ops.quote_name('party_id')} = p.p_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *outer_params, *inner_params])
        counts = dict(zip(keys, (int(n or 0) for n in cursor.fetchone()), strict=True))
    order = [key for key, *_rest in PERSON_BANDS] + [UNKNOWN_BAND[0]]
    order += [key for key, *_rest in COMPANY_BANDS]
    ages = [Bucket(key, str(BAND_LABELS[key]), counts[key]) for key in order if counts[key]]
    return counts["new"], counts["lapsed_in"], counts["lapsed"], ages


def team_attainment(membership: MembershipLike, today: datetime.date) -> list[Any]:
    """Sales vs target for this month, quarter and year, over the people the member sees
    (the targets' own attainment: confirmed orders). One Attainment per period with
    target None when nobody has a target."""
    from guanxi.sales.models import SalesTarget
    from guanxi.sales.pipeline_selectors import Attainment, current_period, people_overview

    rows = people_overview(membership, today)
    result = []
    for period in SalesTarget.Period.values:
        year, number = current_period(period, today)
        values = [getattr(row, period) for row in rows]
        targets = [a.target for a in values if a.target is not None]
        result.append(
            Attainment(
                period=period,
                year=year,
                number=number,
                target=sum(targets, ZERO) if targets else None,
                attained=sum((a.attained for a in values), ZERO),
            )
        )
    return result


# --- the sales figures, computed once per posting ------------------------------------------

CACHE_PREFIX = "guanxi:dashboard:sales:v1"
CACHE_SECONDS = 24 * 3600


@dataclass
class SalesFigures:
    """The figures read from sales documents and lines (ids and amounts, no names): the
    part of the dashboard that is costly at scale and changes only when something is
    posted. Cached under `sales_cache_key`."""

    revenue: Decimal
    deliveries: int
    gross_profit: Decimal
    days: dict[datetime.date, Decimal]  # signed net per document date
    owners: list[tuple[int, Decimal, int]]  # (owner id, amount, documents), best first
    products: list[tuple[int, Decimal, Decimal]]  # (product id, amount, quantity), best first


def sales_figures(membership: MembershipLike, period: Period, limit: int = TOP) -> SalesFigures:
    """Two grouped statements over the period's visible sales: documents by (date, owner)
    give revenue, deliveries, gross profit (from the cost posting stored on the document),
    the trend and the salespeople; lines by product give the product ranking."""
    documents = visible_sales_documents(membership).filter(
        date__gte=period.start, date__lt=period.end
    )
    rows = (
        documents.order_by()
        .values("date", "owner_id")
        .annotate(
            amount=Sum("signed_net"),
            gp=Sum("gross_profit"),
            n=Count("pk"),
            # Purchases (facts.purchase_events): a reversed delivery and its reversal
            # count neither.
            deliveries=Count(
                "pk", filter=Q(kind="sales_delivery", status="posted", reverses__isnull=True)
            ),
        )
    )
    revenue, profit, deliveries = ZERO, ZERO, 0
    days: dict[datetime.date, Decimal] = {}
    owners: dict[int, list[Any]] = {}
    for row in rows:
        amount = row["amount"] or ZERO
        revenue += amount
        profit += row["gp"] or ZERO
        deliveries += row["deliveries"] or 0
        day = row["date"]
        days[day] = days.get(day, ZERO) + amount
        if row["owner_id"] is not None:
            total = owners.setdefault(row["owner_id"], [ZERO, 0])
            total[0] += amount
            total[1] += row["n"]
    ranked_owners = sorted(owners.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
    products = (
        visible_sales_lines(membership)
        .filter(document__date__gte=period.start, document__date__lt=period.end)
        .order_by()
        .values("product_id")
        .annotate(amount=Sum("signed_net"), quantity=Sum("signed_quantity"))
    )
    ranked_products = sorted(
        ((r["product_id"], _q(r["amount"]), r["quantity"]) for r in products),
        key=lambda row: (-row[1], row[0]),
    )[:limit]
    return SalesFigures(
        revenue=_q(revenue),
        deliveries=deliveries,
        gross_profit=_q(profit),
        days={day: _q(amount) for day, amount in days.items()},
        owners=[(owner, _q(total[0]), total[1]) for owner, total in ranked_owners],
        products=ranked_products,
    )


def posting_stamp(org_id: int) -> str:
    """The organisation's latest posting time: every posting and every reversal sets
    `posted_at` to now and posted documents are never edited, so a sales figure computed
    under one stamp stays right until the stamp changes."""
    from guanxi.stock.models import StockDocument

    latest = StockDocument.objects.filter(org_id=org_id).aggregate(at=Max("posted_at"))["at"]
    return latest.isoformat() if latest else "-"


def _document_scope(membership: MembershipLike) -> str:
    """Whose documents the member sees, as a cache-key part (matches visible_sales_*)."""
    if not has_perm(membership, VIEW, DOC):
        return "none"
    if is_org_admin(membership) or membership.role.visibility == Visibility.ORG:
        return "org"
    if membership.role.visibility == Visibility.TEAM:
        return "team-" + ".".join(str(i) for i in sorted(team_member_ids(membership)))
    return f"own-{membership.user_id}"


def sales_cache_key(membership: MembershipLike, period: Period) -> str:
    return ":".join(
        (
            CACHE_PREFIX,
            str(membership.org_id),
            _document_scope(membership),
            period.start.isoformat(),
            period.end.isoformat(),
            posting_stamp(membership.org_id),
        )
    )


def cached_sales_figures(membership: MembershipLike, period: Period) -> SalesFigures:
    """`sales_figures`, from the cache when nothing was posted since they were computed."""
    key = sales_cache_key(membership, period)
    figures = cache.get(key)
    if figures is None:
        figures = sales_figures(membership, period)
        cache.set(key, figures, CACHE_SECONDS)
    return figures


def _trend_points(
    days: dict[datetime.date, Decimal], period: Period
) -> tuple[list[TrendPoint], str]:
    unit = "day" if (period.end - period.start).days <= 62 else "month"
    found: dict[datetime.date, Decimal] = {}
    for day, amount in days.items():
        bucket = day if unit == "day" else day.replace(day=1)
        found[bucket] = found.get(bucket, ZERO) + amount
    points = []
    day = period.start if unit == "day" else period.start.replace(day=1)
    while day < period.end:
        points.append(TrendPoint(day, found.get(day, ZERO)))
        if unit == "day":
            day += datetime.timedelta(days=1)
        else:
            day = (day + datetime.timedelta(days=32)).replace(day=1)
    return points, unit


def _named(figures: SalesFigures, org_id: int) -> tuple[list[Ranked], list[Ranked]]:
    """The ranked products and people with their current names (two small lookups)."""
    from guanxi.accounts.models import User
    from guanxi.catalog.models import Product

    product_names = (
        dict(
            Product.all_objects.filter(
                org_id=org_id, pk__in=[row[0] for row in figures.products]
            ).values_list("pk", "name")
        )
        if figures.products
        else {}
    )
    users = (
        {
            row["pk"]: row["display_name"] or row["username"]
            for row in User.objects.filter(pk__in=[row[0] for row in figures.owners]).values(
                "pk", "display_name", "username"
            )
        }
        if figures.owners
        else {}
    )
    products = [
        Ranked(pk, product_names.get(pk, ""), amount, quantity=quantity)
        for pk, amount, quantity in figures.products
    ]
    people = [Ranked(pk, users.get(pk, ""), amount, count=n) for pk, amount, n in figures.owners]
    return products, people


def dashboard(
    membership: MembershipLike, period: Period, *, today: datetime.date | None = None
) -> Dashboard:
    """Every figure of the dashboard for the member: a fixed number of queries. The sales
    figures come from the cache while nothing new is posted (see `cached_sales_figures`);
    customer, pipeline and target figures are computed on every request."""
    today = today or timezone.localdate()
    sales = cached_sales_figures(membership, period)
    points, unit = _trend_points(sales.days, period)
    products, people = _named(sales, membership.org_id)
    new, lapsed_in, lapsed_total, ages = customer_figures(membership, period, today)
    return Dashboard(
        period=period,
        scope=scope_label(membership),
        revenue=sales.revenue,
        deliveries=sales.deliveries,
        gross_profit=sales.gross_profit,
        trend=points,
        trend_unit=unit,
        products=products,
        people=people,
        new_customers=new,
        lapsed_in_period=lapsed_in,
        lapsed_total=lapsed_total,
        pipeline=pipeline_by_stage(membership),
        regions=customers_by_region(membership),
        ages=ages,
        attainment=team_attainment(membership, today),
    )


# --- the person page -----------------------------------------------------------------------


def visible_person(membership: MembershipLike | None, user_id: int) -> Any:
    """The active member `user_id` whose page the member may open; Http404 otherwise.

    A sales user sees their own page, a team-visibility member their team's, an
    organisation-visibility member or administrator everyone's."""
    from guanxi.accounts.models import Membership

    if membership is None:
        raise Http404
    person = (
        Membership.objects.filter(org_id=membership.org_id, user_id=user_id, is_active=True)
        .select_related("user", "team", "role")
        .first()
    )
    if person is None:
        raise Http404
    if person.user_id == membership.user_id:
        return person
    if is_org_admin(membership) or membership.role.visibility == Visibility.ORG:
        return person
    if (
        membership.role.visibility == Visibility.TEAM
        and membership.team_id
        and person.team_id == membership.team_id
    ):
        return person
    raise Http404


@dataclass
class PersonSummary:
    person: Any
    period: Period
    current: list[Any]  # Attainment for this month, quarter, year
    targets: list[Any]  # Attainment of each of their targets, newest first
    revenue: Decimal
    trend: list[TrendPoint]
    trend_unit: str
    pipeline: list[StageRow]
    customers: list[Ranked]


def top_customers(documents: QuerySet[Any], period: Period, limit: int = TOP) -> list[Ranked]:
    rows = (
        documents.filter(date__gte=period.start, date__lt=period.end)
        .order_by()
        .values("party_id", "party__name")
        .annotate(amount=Sum("signed_net"), n=Count("pk"))
        .order_by("-amount", "party_id")[:limit]
    )
    return [Ranked(r["party_id"], r["party__name"], _q(r["amount"]), count=r["n"]) for r in rows]


def person_summary(
    membership: MembershipLike,
    user_id: int,
    period: Period,
    *,
    today: datetime.date | None = None,
    target_limit: int = 12,
) -> PersonSummary:
    from guanxi.sales.models import SalesTarget
    from guanxi.sales.pipeline_selectors import attainments_of, my_attainments

    today = today or timezone.localdate()
    person = visible_person(membership, user_id)
    documents = visible_sales_documents(membership).filter(owner_id=user_id)
    targets = list(
        SalesTarget.objects.filter(org_id=membership.org_id, user_id=user_id).order_by(
            "-year", "-number", "period"
        )[:target_limit]
    )
    revenue = _q(
        documents.filter(date__gte=period.start, date__lt=period.end).aggregate(
            total=Sum("signed_net")
        )["total"]
    )
    points, unit = trend(documents, period)
    return PersonSummary(
        person=person,
        period=period,
        current=my_attainments(person, today),
        targets=attainments_of(membership.org_id, targets),
        revenue=revenue,
        trend=points,
        trend_unit=unit,
        pipeline=pipeline_by_stage(membership, owner_id=user_id),
        customers=top_customers(documents, period),
    )
