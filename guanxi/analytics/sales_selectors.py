"""Sales analysis: trend (H1), composition (H3) and Pareto (H11), computed in SQL over
the sales facts (guanxi/analytics/facts.py: posted deliveries and returns, returns and
reversals negative, amounts net of tax).

Every figure follows the member's visibility of the sales documents behind it
("stock_document": own, team or organisation), so a sales user sees their own sales.

Measures (over the lines of the period):
- `net`: net sales, Σ signed net amount;
- `profit`: gross profit, Σ (signed net − signed cost);
- `quantity`: Σ signed quantity;
- `purchases`: the number of deliveries that still stand (facts.purchase_events), one
  per purchase of a customer.

Periods are bucketed on the document's date (a DateField, so no time-zone shift) with
Django's Trunc functions, which give the same buckets on SQLite and PostgreSQL (weeks
start on Monday).
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db import connections
from django.db.models import Count, DateField, F, Func, Q, QuerySet, Sum
from django.db.models.functions import (
    TruncDay,
    TruncMonth,
    TruncQuarter,
    TruncWeek,
    TruncYear,
)
from django.urls import reverse
from django.utils.translation import gettext as _

from guanxi.analytics import facts
from guanxi.catalog.models import ProductCategory
from guanxi.core.permissions import VIEW, MembershipLike, Visibility, has_perm, visible
from guanxi.stock.models import StockDocument, StockDocumentLine

ZERO = Decimal("0")
CENT = Decimal("0.01")
GRAINS: dict[str, Any] = {
    "day": TruncDay,
    "week": TruncWeek,
    "month": TruncMonth,
    "quarter": TruncQuarter,
    "year": TruncYear,
}
MEASURES = ("net", "profit", "quantity", "purchases")
SPLITS = ("", "customer", "product", "category", "person", "team")
DIMENSIONS = (
    "product",
    "category",
    "customer_category",
    "customer_group",
    "province",
    "city",
    "channel",
    "person",
)
PARETO_SUBJECTS = ("customer", "product")
PARETO_MEASURES = ("net", "profit")
MAX_BUCKETS = 800
PURCHASE_Q = Q(
    document__kind=StockDocument.Kind.SALES_DELIVERY,
    document__status=StockDocument.Status.POSTED,
    document__reverses__isnull=True,
)


@dataclass(frozen=True)
class SalesFilters:
    """The slice of sales an analysis looks at (dates inclusive)."""

    date_from: datetime.date
    date_to: datetime.date
    party_id: int | None = None
    product_id: int | None = None
    category_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None

    def shifted(self, date_from: datetime.date, date_to: datetime.date) -> SalesFilters:
        return SalesFilters(
            date_from,
            date_to,
            self.party_id,
            self.product_id,
            self.category_id,
            self.owner_id,
            self.team_id,
        )


def _aggregates() -> dict[str, Any]:
    return {
        "net": Sum("signed_net"),
        "profit": Sum("gross_profit"),
        "quantity": Sum("signed_quantity"),
        "purchases": Count("document", distinct=True, filter=PURCHASE_Q),
    }


def _dec(value: Any, places: Decimal = CENT) -> Decimal:
    """A database sum as Decimal (SQLite may answer floats), rounded to `places`."""
    if value is None:
        return ZERO.quantize(places)
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(places)


def _measure_value(row: dict[str, Any], measure: str) -> Decimal:
    if measure == "purchases":
        return Decimal(int(row.get("purchases") or 0))
    if measure == "quantity":
        return _dec(row.get("quantity"), Decimal("0.001"))
    return _dec(row.get(measure))


def sees_whole_org(membership: MembershipLike | None) -> bool:
    if membership is None:
        return False
    role = membership.role
    return bool(role.is_admin or role.visibility == Visibility.ORG)


def visible_sales_lines(
    membership: MembershipLike | None, filters: SalesFilters
) -> QuerySet[StockDocumentLine]:
    """The sales lines (facts.sales_lines) of the period the member may see, filtered."""
    if membership is None or not has_perm(membership, VIEW, "stock_document"):
        return StockDocumentLine.objects.none()
    qs = facts.sales_lines().filter(
        org_id=membership.org_id,
        document__date__gte=filters.date_from,
        document__date__lte=filters.date_to,
    )
    if not sees_whole_org(membership):
        # The same rule as the sales ledger: documents the member may see.
        docs = visible(StockDocument.objects.all(), membership, "stock_document")
        qs = qs.filter(document__in=docs.values("pk"))
    if filters.party_id:
        qs = qs.filter(document__party_id=filters.party_id)
    if filters.product_id:
        qs = qs.filter(product_id=filters.product_id)
    if filters.owner_id:
        qs = qs.filter(document__owner_id=filters.owner_id)
    if filters.team_id:
        from guanxi.accounts.models import Membership

        qs = qs.filter(
            document__owner_id__in=Membership.objects.filter(
                org_id=membership.org_id, team_id=filters.team_id
            ).values("user_id")
        )
    if filters.category_id:
        category = ProductCategory.objects.filter(pk=filters.category_id).first()
        if category is None:
            return qs.none()
        qs = qs.filter(product__category__path__startswith=category.path)
    return qs


def sales_totals(membership: MembershipLike | None, filters: SalesFilters) -> dict[str, Decimal]:
    """Net sales, gross profit, quantity and purchases of the slice (one query)."""
    row = visible_sales_lines(membership, filters).order_by().aggregate(**_aggregates())
    return {m: _measure_value(row, m) for m in MEASURES}


# --- periods -------------------------------------------------------------------------------


def bucket_start(day: datetime.date, grain: str) -> datetime.date:
    if grain == "day":
        return day
    if grain == "week":
        return day - datetime.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return datetime.date(day.year, 1, 1)


def next_bucket(start: datetime.date, grain: str) -> datetime.date:
    if grain == "day":
        return start + datetime.timedelta(days=1)
    if grain == "week":
        return start + datetime.timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    index = start.year * 12 + start.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def buckets_between(date_from: datetime.date, date_to: datetime.date, grain: str) -> list:
    """Every bucket start from the one holding `date_from` to the one holding `date_to`."""
    out = []
    current = bucket_start(date_from, grain)
    while current <= date_to:
        out.append(current)
        current = next_bucket(current, grain)
    return out


def bucket_count(date_from: datetime.date, date_to: datetime.date, grain: str) -> int:
    days = (date_to - date_from).days + 1
    if grain == "day":
        return days
    if grain == "week":
        return days // 7 + 2
    return len(buckets_between(date_from, date_to, grain))


def bucket_label(start: datetime.date, grain: str) -> str:
    if grain == "day":
        return start.isoformat()
    if grain == "week":
        year, week, _day = start.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{start.year}-{start.month:02d}"
    if grain == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def year_back(day: datetime.date, years: int = 1) -> datetime.date:
    """The same day `years` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def previous_period(filters: SalesFilters, grain: str) -> tuple[datetime.date, datetime.date]:
    """The same period last year: 52 weeks back for weeks (same weekday), a year otherwise."""
    if grain == "week":
        back = datetime.timedelta(days=364)
        return filters.date_from - back, filters.date_to - back
    return year_back(filters.date_from), year_back(filters.date_to)


def _forward_bucket(start: datetime.date, grain: str) -> datetime.date:
    """Last year's bucket → this year's bucket of the same period."""
    if grain == "week":
        return start + datetime.timedelta(days=364)
    try:
        return start.replace(year=start.year + 1)
    except ValueError:
        return start.replace(year=start.year + 1, day=28)


def _as_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


# --- drill-down ----------------------------------------------------------------------------


def ledger_url(
    filters: SalesFilters,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    **keys: Any,
) -> str:
    """The sales ledger (finance query centre) filtered to a slice."""
    params: dict[str, Any] = {
        "date_from": (date_from or filters.date_from).isoformat(),
        "date_to": (date_to or filters.date_to).isoformat(),
        "party": keys.get("party") or filters.party_id or "",
        "product": keys.get("product") or filters.product_id or "",
        "category": keys.get("category") or filters.category_id or "",
        "owner": keys.get("owner") or filters.owner_id or "",
    }
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
    return f"{reverse('finance:sales_ledger')}?{query}"


# --- trend (H1) -----------------------------------------------------------------------------

SPLIT_FIELDS: dict[str, tuple[str, str]] = {
    # split: (group field, the sales ledger's filter for one key)
    "customer": ("document__party_id", "party"),
    "product": ("product_id", "product"),
    "category": ("product__category_id", "category"),
    "person": ("document__owner_id", "owner"),
    "team": ("document__owner_id", ""),
}


@dataclass
class TrendRow:
    bucket: datetime.date
    label: str
    date_from: datetime.date
    date_to: datetime.date
    net: Decimal
    profit: Decimal
    quantity: Decimal
    purchases: int
    previous: Decimal
    url: str

    @property
    def yoy(self) -> Decimal | None:
        """Change of the chosen measure against the same period last year, in percent."""
        if not self.previous:
            return None
        return ((self.value - self.previous) * 100 / abs(self.previous)).quantize(Decimal("0.1"))

    value: Decimal = ZERO


@dataclass
class Series:
    key: Any
    label: str
    values: list[Decimal]
    urls: list[str] = field(default_factory=list)


@dataclass
class Trend:
    grain: str
    measure: str
    split: str
    rows: list[TrendRow]
    series: list[Series]

    def total(self, measure: str | None = None) -> Decimal:
        return sum((getattr(r, measure or self.measure) for r in self.rows), ZERO)

    def previous_total(self) -> Decimal:
        return sum((r.previous for r in self.rows), ZERO)


# SQLite's date() is native C; Django's Trunc on SQLite calls a Python function per row,
# which dominates a grouped report over millions of lines. ("%%" is a literal "%".)
SQLITE_BUCKETS = {
    "day": "date({d})",
    "week": "date({d}, '-' || ((CAST(strftime('%%w', {d}) AS INTEGER) + 6) %% 7) || ' days')",
    "month": "date({d}, 'start of month')",
    "quarter": (
        "date({d}, 'start of month', "
        "'-' || ((CAST(strftime('%%m', {d}) AS INTEGER) - 1) %% 3) || ' months')"
    ),
    "year": "date({d}, 'start of year')",
}


class DateBucket(Func):
    """The first day of the day/week (Monday)/month/quarter/year holding a date."""

    output_field = DateField()

    def __init__(self, expression: Any, grain: str) -> None:
        super().__init__(expression)
        self.grain = grain

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        return compiler.compile(GRAINS[self.grain](self.source_expressions[0]))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        template = SQLITE_BUCKETS[self.grain]
        return template.replace("{d}", sql), list(params) * template.count("{d}")


def _bucketed(qs: QuerySet, grain: str, *fields: str, measure: str | None = None) -> QuerySet:
    """Per bucket (and `fields`): every measure, or only `measure` (the distinct count of
    purchases costs a sort on PostgreSQL, so it is computed only where shown)."""
    aggregates = _aggregates()
    if measure is not None:
        aggregates = {measure: aggregates[measure]}
    return (
        qs.annotate(bucket=DateBucket(F("document__date"), grain))
        .values("bucket", *fields)
        .annotate(**aggregates)
        .order_by()
    )


def _member_names(org_id: int, user_ids: set[Any]) -> dict[Any, str]:
    from guanxi.accounts.models import User

    names: dict[Any, str] = {None: _("No owner")}
    for user in User.objects.filter(pk__in=[u for u in user_ids if u is not None]):
        names[user.pk] = str(user)
    return names


def _teams_of(org_id: int) -> tuple[dict[int, Any], dict[Any, str]]:
    """user id → team id, and team id → name (members without a team: None)."""
    from guanxi.accounts.models import Membership

    team_of: dict[int, Any] = {}
    names: dict[Any, str] = {None: _("No team")}
    for m in Membership.objects.filter(org_id=org_id).select_related("team"):
        team_of[m.user_id] = m.team_id
        if m.team is not None:
            names[m.team_id] = m.team.name
    return team_of, names


def trend(
    membership: MembershipLike,
    filters: SalesFilters,
    *,
    grain: str = "month",
    measure: str = "net",
    split: str = "",
    top: int = 8,
) -> Trend:
    """Sales of the period per bucket, last year's figure of the same bucket, and
    optionally one series per customer / product / category / person / team (the `top`
    largest by the measure, the rest as "Others")."""
    if grain not in GRAINS or measure not in MEASURES or split not in SPLITS:
        raise ValueError("unknown grain, measure or split")
    buckets = buckets_between(filters.date_from, filters.date_to, grain)
    current = {
        _as_date(r["bucket"]): r for r in _bucketed(visible_sales_lines(membership, filters), grain)
    }
    prev_from, prev_to = previous_period(filters, grain)
    previous: dict[datetime.date, Decimal] = defaultdict(lambda: ZERO)
    previous_lines = visible_sales_lines(membership, filters.shifted(prev_from, prev_to))
    for r in _bucketed(previous_lines, grain, measure=measure):
        previous[_forward_bucket(_as_date(r["bucket"]), grain)] += _measure_value(r, measure)

    rows = []
    for start in buckets:
        end = next_bucket(start, grain) - datetime.timedelta(days=1)
        lo, hi = max(start, filters.date_from), min(end, filters.date_to)
        r = current.get(start, {})
        row = TrendRow(
            bucket=start,
            label=bucket_label(start, grain),
            date_from=lo,
            date_to=hi,
            net=_measure_value(r, "net"),
            profit=_measure_value(r, "profit"),
            quantity=_measure_value(r, "quantity"),
            purchases=int(r.get("purchases") or 0),
            previous=previous[start],
            url=ledger_url(filters, lo, hi),
        )
        row.value = _measure_value(r, measure)
        rows.append(row)
    series = _split_series(membership, filters, rows, grain, measure, split, top) if split else []
    return Trend(grain=grain, measure=measure, split=split, rows=rows, series=series)


def _split_series(
    membership: MembershipLike,
    filters: SalesFilters,
    rows: list[TrendRow],
    grain: str,
    measure: str,
    split: str,
    top: int,
) -> list[Series]:
    group_field, ledger_key = SPLIT_FIELDS[split]
    lines = visible_sales_lines(membership, filters)
    index = {row.bucket: i for i, row in enumerate(rows)}
    agg = _aggregates()[measure]
    keyed: dict[Any, list[Decimal]] = {}
    labels: dict[Any, str] = {}
    if split == "team":
        # Few owners: aggregate per owner in SQL, fold owners into their teams here.
        team_of, team_names = _teams_of(membership.org_id)
        for r in _bucketed(lines, grain, group_field, measure=measure):
            team = team_of.get(r[group_field])
            values = keyed.setdefault(team, [ZERO] * len(rows))
            i = index.get(_as_date(r["bucket"]))
            if i is not None:
                values[i] += _measure_value(r, measure)
        labels = {k: team_names.get(k, str(k)) for k in keyed}
        ranked = sorted(keyed, key=lambda k: sum(keyed[k], ZERO), reverse=True)[:top]
    else:
        # The `top` keys by the measure over the period, then their buckets: two queries.
        ranked_rows = list(
            lines.values(group_field)
            .annotate(v=agg)
            .order_by(F("v").desc(nulls_last=True), group_field)[:top]
        )
        ranked = [r[group_field] for r in ranked_rows]
        for k in ranked:
            keyed[k] = [ZERO] * len(rows)
        for r in _bucketed(
            lines.filter(**{f"{group_field}__in": [k for k in ranked if k]}),
            grain,
            group_field,
            measure=measure,
        ):
            i = index.get(_as_date(r["bucket"]))
            if i is not None and r[group_field] in keyed:
                keyed[r[group_field]][i] += _measure_value(r, measure)
        if None in ranked:
            nulls = lines.filter(**{f"{group_field}__isnull": True})
            for r in _bucketed(nulls, grain, measure=measure):
                i = index.get(_as_date(r["bucket"]))
                if i is not None:
                    keyed[None][i] += _measure_value(r, measure)
        labels = _labels(split, membership.org_id, set(ranked))
    series = []
    for k in ranked:
        urls = []
        for row in rows:
            if ledger_key and k is not None:
                urls.append(ledger_url(filters, row.date_from, row.date_to, **{ledger_key: k}))
            else:
                urls.append("")
        series.append(Series(key=k, label=labels.get(k, str(k)), values=keyed[k], urls=urls))
    others = [row.value - sum((s.values[i] for s in series), ZERO) for i, row in enumerate(rows)]
    if any(others):
        series.append(Series(key="others", label=_("Others"), values=others, urls=[""] * len(rows)))
    return series


def _labels(split: str, org_id: int, keys: set[Any]) -> dict[Any, str]:
    from guanxi.catalog.models import Product
    from guanxi.parties.models import Party

    real = [k for k in keys if k is not None]
    labels: dict[Any, str]
    if split == "customer":
        labels = {p.pk: p.short_name or p.name for p in Party.all_objects.filter(pk__in=real)}
        labels[None] = _("No customer")
    elif split == "product":
        labels = {p.pk: p.name for p in Product.all_objects.filter(pk__in=real)}
        labels[None] = _("No product")
    elif split == "category":
        labels = {c.pk: c.name for c in ProductCategory.objects.filter(pk__in=real)}
        labels[None] = _("No category")
    else:
        labels = _member_names(org_id, keys)
    return labels


# --- composition (H3) -----------------------------------------------------------------------

DIMENSION_FIELDS: dict[str, str] = {
    "product": "product_id",
    "category": "product__category_id",
    "customer_category": "document__party__category_id",
    "customer_group": "document__party__group_memberships__group_id",
    "province": "document__party__province",
    "city": "document__party__city",
    "channel": "document__party__source",
    "person": "document__owner_id",
}


@dataclass
class Slice:
    key: Any
    label: str
    value: Decimal
    share: Decimal | None
    url: str = ""


@dataclass
class Composition:
    dimension: str
    measure: str
    total: Decimal
    slices: list[Slice]
    overlapping: bool = False


def _share(value: Decimal, total: Decimal) -> Decimal | None:
    if not total:
        return None
    return (value * 100 / total).quantize(Decimal("0.1"))


def composition(
    membership: MembershipLike,
    filters: SalesFilters,
    *,
    dimension: str = "product",
    measure: str = "net",
    top: int = 10,
) -> Composition:
    """Each slice's value and share of the slice total, the `top` largest and "Others".

    Customer groups overlap (a customer may be in several static groups, or none), so
    their shares need not add up to 100%; the remainder shows as "Not in a group"."""
    if dimension not in DIMENSIONS or measure not in MEASURES:
        raise ValueError("unknown dimension or measure")
    group_field = DIMENSION_FIELDS[dimension]
    lines = visible_sales_lines(membership, filters)
    agg = _aggregates()[measure]
    total = _measure_value(lines.order_by().aggregate(**{measure: agg}), measure)
    ranked = list(
        lines.values(group_field)
        .annotate(**{measure: agg})
        .order_by(F(measure).desc(nulls_last=True), group_field)[: top + 1]
    )
    overlapping = dimension == "customer_group"
    labels = _dimension_labels(dimension, membership.org_id, {r[group_field] for r in ranked})
    slices = []
    for r in ranked[:top]:
        key = r[group_field]
        if key in ("", None) and overlapping:
            continue
        value = _measure_value(r, measure)
        slices.append(
            Slice(
                key=key,
                label=labels.get(key, str(key)),
                value=value,
                share=_share(value, total),
                url=_slice_url(dimension, key, filters),
            )
        )
    if overlapping:
        ungrouped = _measure_value(
            lines.filter(document__party__group_memberships__isnull=True)
            .order_by()
            .aggregate(**{measure: agg}),
            measure,
        )
        if ungrouped:
            slices.append(Slice("", _("Not in a group"), ungrouped, _share(ungrouped, total)))
    elif len(ranked) > top:
        rest = total - sum((s.value for s in slices), ZERO)
        slices.append(Slice("others", _("Others"), rest, _share(rest, total)))
    return Composition(dimension, measure, total, slices, overlapping)


def _dimension_labels(dimension: str, org_id: int, keys: set[Any]) -> dict[Any, str]:
    from guanxi.parties.models import Party, PartyCategory, PartyGroup

    real = [k for k in keys if k not in (None, "")]
    if dimension in ("product", "category", "person"):
        split = {"product": "product", "category": "category", "person": "person"}[dimension]
        return _labels(split, org_id, keys)
    if dimension == "customer_category":
        labels: dict[Any, str] = {c.pk: c.name for c in PartyCategory.objects.filter(pk__in=real)}
        labels[None] = _("No category")
        return labels
    if dimension == "customer_group":
        return {g.pk: g.name for g in PartyGroup.objects.filter(pk__in=real)}
    if dimension == "channel":
        labels = {k: str(v) for k, v in Party.Source.choices}
        labels[""] = _("Not given")
        labels[None] = _("Not given")
        return labels
    labels = {k: k for k in real}
    labels[""] = _("Not given")
    labels[None] = _("Not given")
    return labels


def _slice_url(dimension: str, key: Any, filters: SalesFilters) -> str:
    if key in (None, ""):
        return ""
    if dimension == "product":
        return ledger_url(filters, product=key)
    if dimension == "category":
        return ledger_url(filters, category=key)
    if dimension == "person":
        return ledger_url(filters, owner=key)
    base = reverse("parties:party_list")
    param = {
        "customer_category": "category",
        "customer_group": "group",
        "city": "city",
        "channel": "source",
    }.get(dimension)
    if param is None:
        return ""
    return f"{base}?{urlencode({param: key})}"


# --- Pareto (H11) ---------------------------------------------------------------------------

PARETO_FIELDS = {"customer": "document__party_id", "product": "product_id"}
# Ranked and accumulated over the per-key sums ({inner}); keeps the first rows listed
# and the rows where the rank crosses a whole percent of the keys (the curve).
PARETO_SQL = (
    "SELECT k, v, cum, rn, n, total FROM ("
    "SELECT s.k AS k, s.v AS v, "
    "SUM(s.v) OVER (ORDER BY s.v DESC, s.k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
    " AS cum, "
    "ROW_NUMBER() OVER (ORDER BY s.v DESC, s.k) AS rn, "
    "COUNT(*) OVER () AS n, SUM(s.v) OVER () AS total "
    "FROM ({inner}) s"
    ") w WHERE rn <= %s OR (rn * 100) / n > ((rn - 1) * 100) / n ORDER BY rn"
)


@dataclass
class ParetoRow:
    rank: int
    key: Any
    label: str
    value: Decimal
    cumulative: Decimal
    cumulative_share: Decimal | None
    count_share: Decimal
    url: str = ""


@dataclass
class Pareto:
    subject: str
    measure: str
    count: int
    total: Decimal
    rows: list[ParetoRow]
    curve: list[tuple[Decimal, Decimal]]
    top_count: int
    top_share: Decimal | None


def pareto(
    membership: MembershipLike,
    filters: SalesFilters,
    *,
    subject: str = "customer",
    measure: str = "net",
    listed: int = 50,
    top_percent: int = 20,
) -> Pareto:
    """Customers (or products) ranked by net sales (or gross profit), with the cumulative
    share, a curve of at most 100 points, and the share of the top `top_percent`%.

    One SQL query: the per-customer sums in a subquery, ranked and accumulated with
    window functions (ROW_NUMBER, SUM OVER) outside. The top 20% are the first
    ⌈0.2·n⌉ of the n ranked customers (ties broken by id)."""
    if subject not in PARETO_SUBJECTS or measure not in PARETO_MEASURES:
        raise ValueError("unknown subject or measure")
    key = PARETO_FIELDS[subject]
    annotation = "signed_net" if measure == "net" else "gross_profit"
    inner = (
        visible_sales_lines(membership, filters)
        .annotate(k=F(key))
        .values("k")
        .annotate(v=Sum(annotation))
        .order_by()
    )
    sql, params = inner.query.sql_with_params()
    # The inner SQL and its parameters come from the ORM; nothing here is user text.
    query = PARETO_SQL.replace("{inner}", sql)
    with connections[inner.db].cursor() as cursor:
        cursor.execute(query, (*params, listed))
        raw = cursor.fetchall()
    count = int(raw[0][4]) if raw else 0
    total = _dec(raw[0][5]) if raw else ZERO
    top_count = math.ceil(count * top_percent / 100) if count else 0
    curve: list[tuple[Decimal, Decimal]] = [(ZERO, ZERO)]
    rows: list[ParetoRow] = []
    top_share = None
    for k, v, cum, rn, n, _total in raw:
        cum_d = _dec(cum)
        cum_share = _share(cum_d, total)
        count_share = (Decimal(rn) * 100 / Decimal(n)).quantize(Decimal("0.1"))
        if (rn * 100) // n > ((rn - 1) * 100) // n:
            curve.append((count_share, cum_share if cum_share is not None else ZERO))
        if rn == top_count:
            top_share = cum_share
        if rn <= listed:
            rows.append(ParetoRow(rn, k, "", _dec(v), cum_d, cum_share, count_share))
    labels = _labels(subject, membership.org_id, {r.key for r in rows})
    for r in rows:
        r.label = labels.get(r.key, str(r.key))
        if r.key is not None:
            r.url = (
                reverse("parties:party_detail", args=[r.key])
                if subject == "customer"
                else ledger_url(filters, product=r.key)
            )
    return Pareto(subject, measure, count, total, rows, curve, top_count, top_share)
