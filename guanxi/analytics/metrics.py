"""The computation of the customer metrics (H6–H8): one pass per organisation.

1. One SQL statement aggregates the sales facts (guanxi.analytics.facts: signed sales
   documents with their purchase events and gross profit) per customer, reading only the
   covering index of the documents. It is built from the facts' querysets, so revenue is
   defined in one place, and runs unchanged on SQLite and PostgreSQL. numpy/scipy then
   rank the buyers: the R, F and M quintile scores (ties share a score, as SQL's RANK()
   would give them) and the cumulative revenue before each customer for the value tiers.
2. Python classifies each row (segment, tier, quadrant, lifecycle stage, rate drop),
   adds the lifetime-value model's predictions (`apply_clv`) and the churn risk.
3. The rows are written with one multi-row upsert per batch
   (`INSERT … ON CONFLICT (org_id, party_id) DO UPDATE`), and rows of customers that no longer
   qualify are deleted.

Every rule and threshold is explained in docs/analytics/metrics.md; the functions below
keep the same names as the documentation's headings.
"""

from __future__ import annotations

import datetime
import functools
import math
import statistics
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Case, Count, F, Max, Min, Q, Sum, When
from django.utils import timezone
from scipy.stats import rankdata

from guanxi.analytics import facts
from guanxi.analytics.models import (
    AnalyticsSettings,
    CustomerMetrics,
    LifecycleStage,
    RfmSegment,
    ValueQuadrant,
    ValueTier,
)

CENT = Decimal("0.01")
ZERO = Decimal("0")
BATCH_SIZE = 1000

Progress = Callable[[int, str], None]


# --- the RFM segment map ---------------------------------------------------------------


# The common 11-segment map over the R score (rows, 1–5) and the F score (columns, 1–5),
# read "RF": e.g. R=5, F=1 is a new customer. See docs/analytics/metrics.md.
_SEGMENT_GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("new", "potential_loyalist", "potential_loyalist", "champions", "champions"),
    4: ("promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"),
    3: ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    2: ("hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose"),
    1: ("lost", "hibernating", "at_risk", "at_risk", "cannot_lose"),
}


def rfm_segment(r_score: int | None, f_score: int | None) -> str:
    """The segment of a customer with these scores ("" without purchases)."""
    if not r_score or not f_score:
        return ""
    return _SEGMENT_GRID[r_score][f_score - 1]


# The grid holds the segments' stored values (checked once here, not per customer).
assert {v for row in _SEGMENT_GRID.values() for v in row} <= set(RfmSegment.values)  # noqa: S101

# Enum members' values, looked up once: a refresh classifies 200,000 customers.
_VIP, _MAJOR, _ORDINARY, _SMALL = (
    ValueTier.VIP.value,
    ValueTier.MAJOR.value,
    ValueTier.ORDINARY.value,
    ValueTier.SMALL.value,
)
_GOLD, _METEOR, _STREAM, _BURDEN = (
    ValueQuadrant.GOLD.value,
    ValueQuadrant.METEOR.value,
    ValueQuadrant.STREAM.value,
    ValueQuadrant.BURDEN.value,
)
_POTENTIAL, _DEVELOPMENT, _GROWTH, _MATURITY, _DECLINE, _TERMINATED = (
    LifecycleStage.POTENTIAL.value,
    LifecycleStage.DEVELOPMENT.value,
    LifecycleStage.GROWTH.value,
    LifecycleStage.MATURITY.value,
    LifecycleStage.DECLINE.value,
    LifecycleStage.TERMINATED.value,
)


# --- one customer's row ----------------------------------------------------------------


@dataclass
class Row:
    """One customer's figures while the refresh computes them."""

    party_id: int
    first_purchase: datetime.date | None
    last_purchase: datetime.date | None
    frequency: int
    monetary: Decimal
    gross_profit: Decimal
    r_score: int | None = None
    f_score: int | None = None
    m_score: int | None = None
    cum_before: Decimal = ZERO
    revenue_total: Decimal = ZERO
    position: int | None = None
    buyers: int = 0
    recency_days: int | None = None
    tenure_days: int | None = None
    average_order_value: Decimal = ZERO
    rfm_segment: str = ""
    value_tier: str = ""
    value_quadrant: str = ""
    lifecycle_stage: str = LifecycleStage.POTENTIAL.value
    purchase_rate_drop: float | None = None
    churn_risk: float | None = None
    p_alive: float | None = None
    expected_purchases: dict[int, float | None] = field(default_factory=dict)
    expected_value: dict[int, Decimal | None] = field(default_factory=dict)
    expected_average_value: Decimal | None = None

    @property
    def is_buyer(self) -> bool:
        return self.frequency > 0


# --- 1. the SQL pass -------------------------------------------------------------------


def _sql(queryset: Any) -> tuple[str, tuple[Any, ...]]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def aggregate_sql(org_id: int) -> tuple[str, tuple[Any, ...]]:
    """The one statement of the SQL pass (call inside the organisation's scope)."""
    # One scan of `facts.sales_documents` (index-only, by the stock index
    # stockdoc_party_sales), grouped by customer, kind and status: plain sums per group
    # cost SQLite little more than the bare RFM aggregation, where filtered and signed
    # aggregates per document cost twice as much. The outer query then signs the groups
    # as `sales_documents` does (returns negative) and takes the purchase events (the
    # predicate of `facts.purchase_events`, which a test checks: posted deliveries that
    # are not reversals) for first/last purchase and frequency.
    original = Q(reverses__isnull=True)
    groups = (
        facts.sales_documents()
        .filter(org_id=org_id)
        .values(pid=F("party_id"), k=F("kind"), st=F("status"))
        .annotate(
            net=Sum(F("total") - F("tax_total")),
            cost=Sum("cost_total"),
            first_day=facts.EpochDay(Min(Case(When(original, then=F("date"))))),
            last_day=facts.EpochDay(Max(Case(When(original, then=F("date"))))),
            n=Count("id") - Count("reverses"),
        )
        .order_by()
    )
    g_sql, g_params = _sql(groups)
    # Every customer, with or without purchases, in party order. The ranking is done in
    # numpy (`rank_rows`): SQLite's window functions would sort the customers five times.
    # Only the facts' compiled SQL and fixed identifiers are interpolated; values are params.
    sql = f"""
WITH g AS ({g_sql}),
s AS (
  SELECT pid,
    SUM(CASE WHEN k = %s THEN -net ELSE net END) AS net,
    SUM(CASE WHEN k = %s THEN cost - net ELSE net - cost END) AS gp,
    MIN(CASE WHEN k = %s AND st = %s THEN first_day END) AS first_day,
    MAX(CASE WHEN k = %s AND st = %s THEN last_day END) AS last_day,
    SUM(CASE WHEN k = %s AND st = %s THEN n ELSE 0 END) AS n
  FROM g GROUP BY pid
)
SELECT party.id, s.first_day, s.last_day, COALESCE(s.n, 0), COALESCE(s.net, 0),
       COALESCE(s.gp, 0)
FROM parties_party party
LEFT JOIN s ON s.pid = party.id
WHERE party.org_id = %s AND party.deleted_at IS NULL
  AND (party.is_customer OR s.pid IS NOT NULL)
ORDER BY party.id
"""  # noqa: S608
    ret, delivery, posted = (
        str(facts.SK.SALES_RETURN),
        str(facts.SK.SALES_DELIVERY),
        str(facts.StockDocument.Status.POSTED),
    )
    signs = (ret, ret, delivery, posted, delivery, posted, delivery, posted)
    return sql, (*g_params, *signs, org_id)


def _day(value: Any) -> datetime.date | None:
    """A date from its number of days since 1970-01-01 (`facts.EpochDay`)."""
    return None if value is None else _date_of(int(value))


@functools.lru_cache(maxsize=8192)
def _date_of(day: int) -> datetime.date:
    # Customers share a few hundred distinct purchase days: one date object each.
    return datetime.date.fromordinal(facts.EPOCH_ORDINAL + day)


def _money(value: Any) -> Decimal:
    if value is None:
        return ZERO
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def quintile_scores(values: Sequence[Any]) -> list[int]:
    """1–5 scores of the buyers by `values`: 1 + 5·(rank − 1) div n, rank counted from the
    lowest with ties sharing the lowest rank (SQL's RANK()), so equal values always get
    equal scores."""
    n = len(values)
    if not n:
        return []
    ranks = rankdata(np.asarray(values, dtype=np.float64), method="min").astype(np.int64)
    return (1 + (5 * (ranks - 1)) // n).tolist()


def rank_rows(rows: Sequence[Row]) -> None:
    """The buyers' R, F and M scores, their order by net sales (position, cumulative sales
    before them) and the total of positive net sales, for the value tiers."""
    buyers = [row for row in rows if row.is_buyer]
    n = len(buyers)
    if not n:
        return
    recency = quintile_scores([row.last_purchase.toordinal() for row in buyers])  # type: ignore[union-attr]
    frequency = quintile_scores([row.frequency for row in buyers])
    monetary = quintile_scores([row.monetary for row in buyers])
    total = sum((row.monetary for row in buyers if row.monetary > 0), ZERO)
    cumulative = ZERO
    for position, row in enumerate(
        sorted(buyers, key=lambda row: (-row.monetary, row.party_id)), start=1
    ):
        row.position, row.cum_before, row.revenue_total, row.buyers = position, cumulative, total, n
        cumulative += row.monetary
    for row, r, f, m in zip(buyers, recency, frequency, monetary, strict=True):
        row.r_score, row.f_score, row.m_score = r, f, m


def fetch_rows(org_id: int) -> list[Row]:
    """Run the SQL pass for one organisation (inside its scope) and rank the buyers."""
    sql, params = aggregate_sql(org_id)
    rows = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for party_id, first, last, n, monetary, gp in cursor.fetchall():
            rows.append(
                Row(
                    party_id=int(party_id),
                    first_purchase=_day(first),
                    last_purchase=_day(last),
                    frequency=int(n),
                    monetary=_money(monetary),
                    gross_profit=_money(gp),
                )
            )
    rank_rows(rows)
    return rows


# --- 2. classification -----------------------------------------------------------------


def tier_cuts(config: AnalyticsSettings) -> tuple[tuple[Decimal, str], ...]:
    return (
        (Decimal(config.tier_vip_percent), _VIP),
        (Decimal(config.tier_major_percent), _MAJOR),
        (Decimal(config.tier_ordinary_percent), _ORDINARY),
    )


def value_tier(
    row: Row,
    config: AnalyticsSettings,
    cuts: tuple[tuple[Decimal, str], ...] | None = None,
) -> str:
    """VIP / major / ordinary / small by cumulative share (docs: "Value tiers")."""
    if not row.is_buyer:
        return ""
    if row.monetary <= 0:
        return _SMALL
    if cuts is None:
        cuts = tier_cuts(config)
    if config.tier_method == AnalyticsSettings.TierMethod.CUSTOMER_SHARE:
        # Share of the buyers ranked before this one.
        before = Decimal((row.position or 1) - 1) * 100 / Decimal(max(row.buyers, 1))
    else:
        total = row.revenue_total
        before = row.cum_before * 100 / total if total > 0 else Decimal(100)
    for cut, tier in cuts:
        if before < cut:
            return tier
    return _SMALL


@dataclass(frozen=True)
class QuadrantCuts:
    value: Decimal
    frequency: int


def quadrant_cuts(rows: Sequence[Row], config: AnalyticsSettings) -> QuadrantCuts:
    """The thresholds of the quadrants: the settings', else the buyers' medians."""
    buyers = [row for row in rows if row.is_buyer]
    value = config.quadrant_value_threshold
    if value is None:
        value = (
            _money(statistics.median(row.average_order_value for row in buyers)) if buyers else ZERO
        )
    frequency = config.quadrant_frequency_threshold
    if frequency is None:
        median = statistics.median(row.frequency for row in buyers) if buyers else 2
        # A repeat buyer has bought at least twice, whatever the median.
        frequency = max(2, math.ceil(median))
    return QuadrantCuts(Decimal(value), int(frequency))


def value_quadrant(row: Row, cuts: QuadrantCuts) -> str:
    """Gold / meteor / stream / burden: value per purchase × repeat purchases."""
    if not row.is_buyer:
        return ""
    high = row.average_order_value >= cuts.value
    repeat = row.frequency >= cuts.frequency
    if high and repeat:
        return _GOLD
    if high:
        return _METEOR
    if repeat:
        return _STREAM
    return _BURDEN


def purchase_rate_drop(row: Row) -> float | None:
    """1 − (current rate ÷ own past rate); None without two purchases (docs: "Churn")."""
    if row.frequency < 2 or row.first_purchase is None or row.last_purchase is None:
        return None
    span = (row.last_purchase - row.first_purchase).days
    interval = max(span / (row.frequency - 1), 1.0)
    recency = row.recency_days or 0
    if recency <= interval:
        return 0.0
    return round(1.0 - interval / recency, 4)


def lifecycle_stage(row: Row, config: AnalyticsSettings, courted: bool) -> str:
    """Potential … terminated from the purchase history (docs: "Lifecycle stages")."""
    if not row.is_buyer:
        return _DEVELOPMENT if courted else _POTENTIAL
    recency = row.recency_days or 0
    if recency > config.terminated_days:
        return _TERMINATED
    if recency > config.lapse_days or (
        row.purchase_rate_drop is not None and row.purchase_rate_drop >= config.decline_drop
    ):
        return _DECLINE
    if row.frequency == 1:
        return _DEVELOPMENT
    if (
        row.frequency >= config.maturity_purchases
        and (row.tenure_days or 0) >= config.maturity_days
    ):
        return _MATURITY
    return _GROWTH


def churn_risk(row: Row, config: AnalyticsSettings) -> float | None:
    """w·(1 − P(alive)) + (1 − w)·rate drop; each part alone when the other is missing."""
    if not row.is_buyer:
        return None
    drop = row.purchase_rate_drop
    if drop is None:
        # A one-time buyer has no rhythm of their own: the lapse window stands in.
        drop = min(1.0, (row.recency_days or 0) / max(config.lapse_days, 1))
    if row.p_alive is None:
        return round(drop, 4)
    weight = config.churn_weight
    return round(weight * (1.0 - row.p_alive) + (1.0 - weight) * drop, 4)


def classify(
    rows: list[Row], config: AnalyticsSettings, as_of: datetime.date, courted: set[int]
) -> None:
    """Fill the derived figures of every row except the model's (before `apply_clv`)."""
    cuts = tier_cuts(config)
    for row in rows:
        if row.is_buyer and row.last_purchase is not None and row.first_purchase is not None:
            row.recency_days = max((as_of - row.last_purchase).days, 0)
            row.tenure_days = max((as_of - row.first_purchase).days, 0)
            row.average_order_value = (row.monetary / row.frequency).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
        row.rfm_segment = rfm_segment(row.r_score, row.f_score)
        row.value_tier = value_tier(row, config, cuts)
        row.purchase_rate_drop = purchase_rate_drop(row)
        row.lifecycle_stage = lifecycle_stage(row, config, row.party_id in courted)
    quadrants = quadrant_cuts(rows, config)
    for row in rows:
        row.value_quadrant = value_quadrant(row, quadrants)


def finish(rows: Iterable[Row], config: AnalyticsSettings) -> None:
    """The churn risk, once the model's P(alive) is known."""
    for row in rows:
        row.churn_risk = churn_risk(row, config)


def courted_parties(org_id: int, as_of: datetime.date, lapse_days: int) -> set[int]:
    """Customers being developed: an open opportunity, or an activity in the lapse window."""
    from guanxi.activities.models import Activity
    from guanxi.sales.models import Opportunity

    since = timezone.make_aware(
        datetime.datetime.combine(as_of - datetime.timedelta(days=lapse_days), datetime.time())
    )
    found = set(
        Opportunity.objects.filter(org_id=org_id, status=Opportunity.Status.OPEN)
        .exclude(party__isnull=True)
        .values_list("party_id", flat=True)
        .distinct()
    )
    found.update(
        Activity.objects.filter(org_id=org_id, party__isnull=False, timeline_at__gte=since)
        .values_list("party_id", flat=True)
        .distinct()
    )
    return found


# --- 3. writing ------------------------------------------------------------------------


WRITTEN_COLUMNS = (
    "computed_at",
    "first_purchase",
    "last_purchase",
    "recency_days",
    "frequency",
    "monetary",
    "gross_profit",
    "average_order_value",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
    "value_tier",
    "value_quadrant",
    "lifecycle_stage",
    "churn_risk",
    "purchase_rate_drop",
    "p_alive",
    "expected_purchases_3m",
    "expected_purchases_6m",
    "expected_purchases_12m",
    "expected_value_3m",
    "expected_value_6m",
    "expected_value_12m",
    "expected_average_value",
)


def _values(row: Row, org_id: int, computed_at: Any) -> tuple[Any, ...]:
    # Dates and Decimals go to the driver as they are: psycopg takes both, and Django
    # registers sqlite3 adapters for both (what ops.adapt_*field_value would return).
    purchases, value = row.expected_purchases, row.expected_value
    return (
        org_id,
        row.party_id,
        computed_at,
        row.first_purchase,
        row.last_purchase,
        row.recency_days,
        row.frequency,
        row.monetary,
        row.gross_profit,
        row.average_order_value,
        row.r_score,
        row.f_score,
        row.m_score,
        row.rfm_segment,
        row.value_tier,
        row.value_quadrant,
        row.lifecycle_stage,
        row.churn_risk,
        row.purchase_rate_drop,
        row.p_alive,
        purchases.get(3),
        purchases.get(6),
        purchases.get(12),
        value.get(3),
        value.get(6),
        value.get(12),
        row.expected_average_value,
    )


def _chunks(rows: Sequence[Row], size: int) -> Iterator[Sequence[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def write_rows(
    org_id: int,
    rows: Sequence[Row],
    computed_at: datetime.datetime,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
) -> None:
    """Upsert every row, then drop stale rows.

    SQLite: one multi-row `INSERT … ON CONFLICT DO UPDATE` per batch. PostgreSQL: the rows
    are copied (`COPY`) into a temporary table and upserted from it in one statement:
    psycopg parses a statement's placeholders in Python, which for batches of 30,000
    parameters took longer than the database's work.
    """
    if connection.vendor == "postgresql":
        _write_rows_by_copy(org_id, rows, computed_at, progress)
    else:
        _write_rows_by_batch(org_id, rows, computed_at, progress, batch_size)
    CustomerMetrics.objects.filter(org_id=org_id).exclude(computed_at=computed_at).delete()


_COLUMNS = ("org_id", "party_id", *WRITTEN_COLUMNS)


def _upsert_tail() -> str:
    quote = connection.ops.quote_name
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in WRITTEN_COLUMNS)
    return f" ON CONFLICT ({quote('org_id')}, {quote('party_id')}) DO UPDATE SET {updates}"


def _write_rows_by_batch(
    org_id: int,
    rows: Sequence[Row],
    computed_at: datetime.datetime,
    progress: Progress | None,
    batch_size: int,
) -> None:
    table = CustomerMetrics._meta.db_table
    quote = connection.ops.quote_name
    column_sql = ", ".join(quote(c) for c in _COLUMNS)
    placeholder = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    stamp = connection.ops.adapt_datetimefield_value(computed_at)
    # SQLite allows at most 32,766 parameters per statement.
    batch_size = max(1, min(batch_size, 32_000 // len(_COLUMNS)))
    total = max(len(rows), 1)
    done = 0
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, batch_size):
            params: list[Any] = []
            for row in chunk:
                params.extend(_values(row, org_id, stamp))
            cursor.execute(  # identifiers are the model's, values are params
                f"INSERT INTO {quote(table)} ({column_sql}) VALUES "  # noqa: S608
                + ", ".join([placeholder] * len(chunk))
                + _upsert_tail(),
                params,
            )
            done += len(chunk)
            if progress is not None:
                progress(done * 100 // total, "write")


def _write_rows_by_copy(
    org_id: int,
    rows: Sequence[Row],
    computed_at: datetime.datetime,
    progress: Progress | None,
) -> None:
    table = CustomerMetrics._meta.db_table
    quote = connection.ops.quote_name
    column_sql = ", ".join(quote(c) for c in _COLUMNS)
    # Identifiers are the model's own; every value goes through COPY.
    with transaction.atomic(), connection.cursor() as cursor:
        # Dropped at the end too: inside an outer transaction (tests, a caller's atomic
        # block) ON COMMIT comes only later, and a second refresh would find the table.
        cursor.execute("DROP TABLE IF EXISTS guanxi_metrics_incoming")
        cursor.execute(
            f"CREATE TEMPORARY TABLE guanxi_metrics_incoming ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {column_sql} FROM {quote(table)} WITH NO DATA"
        )
        # No progress report inside the copy: a report is a query, and the connection
        # is busy copying until the block ends.
        with cursor.cursor.copy(f"COPY guanxi_metrics_incoming ({column_sql}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(_values(row, org_id, computed_at))
        if progress is not None:
            progress(50, "write")  # the upsert below takes about as long as the copy
        cursor.execute(
            f"INSERT INTO {quote(table)} ({column_sql}) "  # noqa: S608
            f"SELECT {column_sql} FROM guanxi_metrics_incoming" + _upsert_tail()
        )
        cursor.execute("DROP TABLE guanxi_metrics_incoming")
    if progress is not None:
        progress(100, "write")


# --- the whole computation -------------------------------------------------------------


def org_today(org: Any) -> datetime.date:
    """Today in the organisation's time zone (the observation end)."""
    import zoneinfo

    try:
        zone = zoneinfo.ZoneInfo(org.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("Asia/Shanghai")
    return timezone.now().astimezone(zone).date()


@dataclass
class ComputeResult:
    customers: int
    buyers: int
    clv_status: str
    rows: list[Row]


def compute(
    org: Any,
    config: AnalyticsSettings,
    *,
    as_of: datetime.date | None = None,
    progress: Progress | None = None,
    clv: Callable[[Any, list[Row], datetime.date], str] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ComputeResult:
    """Compute and store every customer's metrics (inside the organisation's scope).

    `clv(org, rows, as_of)` fits the lifetime-value model and fills the rows' P(alive)
    and expectations; it returns the fit's status. Progress goes 0–100.
    """

    def report(percent: int, step: str) -> None:
        if progress is not None:
            progress(percent, step)

    as_of = as_of or org_today(org)
    report(5, "aggregate")
    rows = fetch_rows(org.pk)
    report(30, "classify")
    courted = courted_parties(org.pk, as_of, config.lapse_days)
    classify(rows, config, as_of, courted)
    report(40, "clv")
    status = clv(org, rows, as_of) if clv is not None else ""
    finish(rows, config)
    report(70, "write")
    write_rows(
        org.pk,
        rows,
        timezone.now(),
        progress=lambda percent, step: report(70 + percent * 29 // 100, step),
        batch_size=batch_size,
    )
    report(99, "write")
    return ComputeResult(
        customers=len(rows),
        buyers=sum(1 for row in rows if row.is_buyer),
        clv_status=status,
        rows=rows,
    )
