"""The customer metrics on a small hand-computed data set (tests/analytics/metrics_fixtures.py).

Observation end 2025-06-30, settings at their defaults, lifetime-value model off (its
figures are tested in test_metrics_clv.py). By hand:

customer  purchases (net)               F  monetary  last        recency
A         5 × 1000 (2024-06-01 … 06-20)  5  5000      2025-06-20  10
B         1 × 3000                       1  3000      2025-06-25  5
C         3 × 2000 (2024-01 … 05-10)     3  6000      2024-05-10  416
D         2 × 400 (2025-01-15, 02-15)    2  800       2025-02-15  135
E         3 × 100, one return of 50      3  250       2025-06-15  15
F, G      none

Scores (5 buyers, score = 1 + 5·(rank − 1) div 5 = rank; ties share the rank):
R by last purchase: C 1, D 2, E 3, A 4, B 5.  F by purchases: B 1, D 2, C 3, E 3, A 5.
M by net sales: E 1, D 2, B 3, A 4, C 5.
Segments (R, F): A (4,5) loyal, B (5,1) new, C (1,3) at risk, D (2,2) hibernating,
E (3,3) need attention.
Tiers (total 15,050; share before each, largest first): C 0 % VIP, A 39.9 % VIP,
B 73.1 % major, D 93.0 % ordinary, E 98.3 % small.
Quadrants (median value per purchase 1000, repeat from max(2, median F 3) = 3):
A gold, B meteor, C gold, D burden, E stream.
Lifecycle: A maturity (5 purchases, 394 days since first), B development (one purchase),
C terminated (416 > 365 days), D decline (rate drop 1 − 31/135 = 0.7704 ≥ 0.5),
E growth (3 purchases), F potential, G development (a call within 180 days).
Churn risk without the model = the rate drop: A 0, B 5/180 = 0.0278 (one purchase),
C 1 − 60.5/416 = 0.8546, D 0.7704, E 0.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scope

from guanxi.analytics import metrics
from guanxi.analytics.metrics_services import get_settings, refresh_now, update_settings
from guanxi.analytics.models import AnalyticsSettings, CustomerMetrics
from tests.analytics.metrics_fixtures import AS_OF, build_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(org, admin_member):
    return build_dataset(org, owner=admin_member.user)


EXPECTED = {
    # name: (F, monetary, recency, R, F score, M, segment, tier, quadrant, stage, drop, churn)
    "A": (5, "5000.00", 10, 4, 5, 4, "loyal", "vip", "gold", "maturity", 0.0, 0.0),
    "B": (1, "3000.00", 5, 5, 1, 3, "new", "major", "meteor", "development", None, 0.0278),
    "C": (3, "6000.00", 416, 1, 3, 5, "at_risk", "vip", "gold", "terminated", 0.8546, 0.8546),
    "D": (
        2,
        "800.00",
        135,
        2,
        2,
        2,
        "hibernating",
        "ordinary",
        "burden",
        "decline",
        0.7704,
        0.7704,
    ),
    "E": (3, "250.00", 15, 3, 3, 1, "need_attention", "small", "stream", "growth", 0.0, 0.0),
    "F": (0, "0.00", None, None, None, None, "", "", "", "potential", None, None),
    "G": (0, "0.00", None, None, None, None, "", "", "", "development", None, None),
}


def _by_key(org) -> dict[str, CustomerMetrics]:
    with scope(org=org.pk):
        return {
            m.party.name.removeprefix("客户"): m
            for m in CustomerMetrics.objects.select_related("party")
        }


def test_every_metric_matches_the_hand_computation(org, dataset):
    result = refresh_now(org, as_of=AS_OF, with_clv=False)
    assert (result.customers, result.buyers) == (7, 5)
    rows = _by_key(org)
    for key, expected in EXPECTED.items():
        m = rows[key]
        got = (
            m.frequency,
            str(m.monetary),
            m.recency_days,
            m.r_score,
            m.f_score,
            m.m_score,
            m.rfm_segment,
            m.value_tier,
            m.value_quadrant,
            m.lifecycle_stage,
            m.purchase_rate_drop,
            m.churn_risk,
        )
        assert got == expected, key
    a = rows["A"]
    assert a.gross_profit == Decimal("2000.00")  # 5 × (1000 − 600)
    assert a.average_order_value == Decimal("1000.00")
    assert str(a.first_purchase) == "2024-06-01"
    assert str(a.last_purchase) == "2025-06-20"
    assert rows["E"].average_order_value == Decimal("83.33")
    assert rows["A"].p_alive is None  # the model was not run


def test_refresh_is_idempotent_and_drops_deleted_customers(org, dataset):
    refresh_now(org, as_of=AS_OF, with_clv=False)
    first = {k: (m.pk, m.r_score, m.value_tier, m.churn_risk) for k, m in _by_key(org).items()}
    refresh_now(org, as_of=AS_OF, with_clv=False)
    assert {
        k: (m.pk, m.r_score, m.value_tier, m.churn_risk) for k, m in _by_key(org).items()
    } == first
    from guanxi.core.recycle_bin import move_to_recycle_bin

    with scope(org=org.pk):
        move_to_recycle_bin(obj=dataset["F"], actor=None)
    refresh_now(org, as_of=AS_OF, with_clv=False)
    assert set(_by_key(org)) == set("ABCDEG")


def test_customer_pyramid_tiers(org, dataset):
    # By share of customers with cut-offs 20 / 40 / 60 %: 5 buyers ranked C, A, B, D, E
    # have 0, 20, 40, 60, 80 % of the buyers before them.
    update_settings(
        org=org,
        actor=None,
        data={
            "tier_method": AnalyticsSettings.TierMethod.CUSTOMER_SHARE,
            "tier_vip_percent": "20",
            "tier_major_percent": "40",
            "tier_ordinary_percent": "60",
        },
    )
    refresh_now(org, as_of=AS_OF, with_clv=False)
    tiers = {k: m.value_tier for k, m in _by_key(org).items() if m.frequency}
    assert tiers == {"C": "vip", "A": "major", "B": "ordinary", "D": "small", "E": "small"}


def test_fixed_quadrant_thresholds(org, dataset):
    update_settings(
        org=org,
        actor=None,
        data={"quadrant_value_threshold": "2000", "quadrant_frequency_threshold": 2},
    )
    refresh_now(org, as_of=AS_OF, with_clv=False)
    quadrants = {k: m.value_quadrant for k, m in _by_key(org).items() if m.frequency}
    assert quadrants == {"A": "stream", "B": "meteor", "C": "gold", "D": "stream", "E": "stream"}


def test_churn_risk_combines_the_model_and_the_rate_drop(org):
    config = AnalyticsSettings(org=org, churn_weight=0.5, lapse_days=180)
    row = metrics.Row(
        party_id=1, first_purchase=None, last_purchase=None, frequency=4,
        monetary=Decimal(1), gross_profit=Decimal(1), r_score=1, f_score=1, m_score=1,
        cum_before=Decimal(0), revenue_total=Decimal(1), position=1, buyers=1,
        recency_days=100, purchase_rate_drop=0.6, p_alive=0.3,
    )  # fmt: skip
    assert metrics.churn_risk(row, config) == pytest.approx(0.5 * 0.7 + 0.5 * 0.6)
    row.p_alive = None
    assert metrics.churn_risk(row, config) == pytest.approx(0.6)
    row.frequency, row.purchase_rate_drop, row.p_alive = 1, None, 0.9
    assert metrics.churn_risk(row, config) == pytest.approx(0.5 * 0.1 + 0.5 * 100 / 180, abs=1e-4)


@pytest.mark.parametrize(
    ("r", "f", "segment"),
    [(5, 5, "champions"), (5, 1, "new"), (4, 1, "promising"), (1, 1, "lost"),
     (1, 5, "cannot_lose"), (2, 3, "at_risk"), (3, 3, "need_attention"), (3, 2, "about_to_sleep"),
     (4, 4, "loyal"), (4, 2, "potential_loyalist"), (2, 1, "hibernating"), (None, None, "")],
)  # fmt: skip
def test_segment_map(r, f, segment):
    assert metrics.rfm_segment(r, f) == segment


def test_settings_defaults(org):
    config = get_settings(org)
    assert (config.lapse_days, config.terminated_days) == (180, 365)
    assert (config.tier_vip_percent, config.tier_major_percent, config.tier_ordinary_percent) == (
        50,
        80,
        95,
    )
    assert get_settings(org).pk == config.pk


def test_demo_seeder_and_nightly_job_are_registered(org, dataset):
    from guanxi.analytics.demo import seed_metrics
    from guanxi.core.demo import DemoContext, demo_seeders

    seeder = next(s for s in demo_seeders() if s.name == "analytics.metrics")
    assert seeder.order == 80
    lines: list[str] = []
    seed_metrics(DemoContext(org=org, log=lines.append))
    seed_metrics(DemoContext(org=org, log=lines.append))  # idempotent
    with scope(org=org.pk):
        assert CustomerMetrics.objects.count() == 7
    assert lines[-1].startswith("customer metrics: 7 customers")
    from guanxi.core.periodic import periodic_jobs

    job = next(j for j in periodic_jobs() if j.name == "analytics.refresh_metrics")
    assert job.task_path.endswith("refresh_all_metrics")


def test_purchases_are_exactly_the_purchase_events(org, dataset):
    """The SQL pass counts purchases with its own copy of the purchase-event predicate;
    it must agree with facts.purchase_events (a reversed delivery is no purchase, and its
    reversal nets its revenue to zero)."""
    from django.db.models import Count, Max, Min

    from guanxi.analytics import facts
    from tests.finance.factories import post_stock, reverse_stock

    doc = post_stock(org, dataset["B"], 700, date=AS_OF)
    reverse_stock(doc, date=AS_OF)
    refresh_now(org, as_of=AS_OF, with_clv=False)
    with scope(org=org.pk):
        events = {
            row["party_id"]: (row["n"], row["first"], row["last"])
            for row in facts.purchase_events()
            .values("party_id")
            .annotate(n=Count("id"), first=Min("date"), last=Max("date"))
            .order_by()
        }
        got = {
            m.party_id: (m.frequency, m.first_purchase, m.last_purchase)
            for m in CustomerMetrics.objects.filter(frequency__gt=0)
        }
        b = CustomerMetrics.objects.get(party=dataset["B"])
    assert got == events
    assert (b.frequency, b.monetary) == (1, Decimal("3000.00"))


def test_net_sales_and_profit_are_the_signed_sales_documents(org, dataset):
    """The SQL pass signs its per-kind groups itself; per customer it must agree with
    facts.sales_documents (returns negative, a reversal cancelling its original), here
    with a costed return and a reversed costed delivery on top of the data set."""
    from django.db.models import Sum

    from guanxi.analytics import facts
    from tests.finance.factories import post_stock, reverse_stock

    doc = post_stock(org, dataset["A"], 900, date=AS_OF, unit_cost=250)
    reverse_stock(doc, date=AS_OF)
    post_stock(org, dataset["A"], 1000, date=AS_OF, kind=facts.SK.SALES_RETURN, unit_cost=600)
    refresh_now(org, as_of=AS_OF, with_clv=False)
    with scope(org=org.pk):
        expected = {
            row["party_id"]: (row["net"], row["gp"])
            for row in facts.sales_documents()
            .values("party_id")
            .annotate(net=Sum("signed_net"), gp=Sum("gross_profit"))
            .order_by()
        }
        got = {
            m.party_id: (m.monetary, m.gross_profit)
            for m in CustomerMetrics.objects.filter(party_id__in=expected)
        }
        a = CustomerMetrics.objects.get(party=dataset["A"])
    assert got == expected
    # A: five purchases of 1000 at cost 600, one returned at cost 600; the reversed one nets 0.
    assert (a.frequency, a.monetary, a.gross_profit) == (5, Decimal("4000.00"), Decimal("1600.00"))


def test_quintile_scores_are_sql_rank_quintiles():
    """numpy's ranking gives what `1 + 5·(RANK() − 1) div n` gives in SQL: ties share the
    lowest rank (checked against the definition: rank = 1 + how many are smaller)."""
    import random

    rng = random.Random(5)
    values = [
        Decimal(rng.choice([0, 10, 10, 25, 99.5, 100, 250, 250, 250, 1e6])) for _ in range(137)
    ]
    values += [Decimal("-40.00"), Decimal("0.01")]
    n = len(values)
    expected = [1 + 5 * sum(1 for w in values if w < v) // n for v in values]
    assert metrics.quintile_scores(values) == expected
    assert metrics.quintile_scores([]) == []
    assert metrics.quintile_scores([Decimal(7)]) == [1]


def test_rank_rows_orders_buyers_by_net_sales_then_party():
    import datetime

    def row(pid: int, monetary: str, n: int = 1) -> metrics.Row:
        day = datetime.date(2025, 1, pid)
        return metrics.Row(
            party_id=pid, first_purchase=day, last_purchase=day, frequency=n,
            monetary=Decimal(monetary), gross_profit=Decimal(0),
        )  # fmt: skip

    rows = [row(3, "100"), row(1, "300"), row(2, "100"), row(4, "-20")]
    rows.append(metrics.Row(5, None, None, 0, Decimal(0), Decimal(0)))  # never bought
    metrics.rank_rows(rows)
    by_id = {r.party_id: r for r in rows}
    # 300 first, then the two 100s in party order, the negative last.
    assert [by_id[i].position for i in (1, 2, 3, 4)] == [1, 2, 3, 4]
    assert [by_id[i].cum_before for i in (1, 2, 3, 4)] == [0, 300, 400, 500]
    assert {by_id[i].revenue_total for i in (1, 2, 3, 4)} == {Decimal(500)}
    assert {by_id[i].buyers for i in (1, 2, 3, 4)} == {4}
    assert [by_id[i].m_score for i in (1, 2, 3, 4)] == [4, 2, 2, 1]
    # Recency: party 4 bought last (Jan 4th), party 1 first.
    assert [by_id[i].r_score for i in (1, 2, 3, 4)] == [1, 2, 3, 4]
    assert by_id[5].r_score is None
    assert by_id[5].position is None
    assert by_id[5].buyers == 0
