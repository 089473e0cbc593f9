"""The metrics refresh with the lifetime-value model: P(alive), expected purchases and
values per customer come from the stored fit, and the churn risk combines them with the
drop in purchase rate. Data: the CLV test organisation (tests/analytics/clv_fixtures.py):
24 customers, a third bought once, a third stopped after 120 days, a third buy on."""

from __future__ import annotations

import pytest
from django_scopes import scope

from guanxi.analytics import clv, clv_services
from guanxi.analytics.metrics_services import get_settings, refresh_now
from guanxi.analytics.models import ClvModelFit, CustomerMetrics
from tests.analytics.clv_fixtures import OBSERVATION_END, build_clv_dataset

pytestmark = pytest.mark.django_db


def test_refresh_scores_every_buyer_with_the_fitted_model(org, admin_member):
    parties = build_clv_dataset(org, owner=admin_member.user)
    result = refresh_now(org, as_of=OBSERVATION_END)
    assert result.clv_status == ClvModelFit.Status.OK
    fit = clv_services.latest_fit(org)
    bg, gg = clv_services.fit_params(fit)
    summary = clv_services.customer_summary(org, OBSERVATION_END)
    index = {pid: i for i, pid in enumerate(summary.customer_ids.tolist())}
    config = get_settings(org)
    with scope(org=org.pk):
        rows = {m.party_id: m for m in CustomerMetrics.objects.all()}
    assert len(rows) == 24
    for party in parties:
        m = rows[party.pk]
        i = index[party.pk]
        x, t_x, age = summary.frequency[i], summary.recency[i], summary.T[i]
        expected_alive = float(clv.probability_alive(bg, [x], [t_x], [age])[0])
        assert m.p_alive == pytest.approx(expected_alive, abs=1e-4)
        twelve = float(
            clv.expected_purchases(bg, 12 * clv.DAYS_PER_MONTH / 7, [x], [t_x], [age])[0]
        )
        assert m.expected_purchases_12m == pytest.approx(twelve, abs=1e-4)
        assert m.expected_purchases_3m <= m.expected_purchases_6m <= m.expected_purchases_12m
        if gg is not None:
            assert m.expected_value_3m <= m.expected_value_6m <= m.expected_value_12m
            assert m.expected_average_value > 0
        drop = m.purchase_rate_drop
        if drop is None:  # one purchase: the lapse window stands in
            drop = min(1.0, m.recency_days / config.lapse_days)
        weight = config.churn_weight
        assert m.churn_risk == pytest.approx(
            weight * (1 - m.p_alive) + (1 - weight) * drop, abs=2e-4
        )
    # Customers who stopped after 120 days are less likely alive than those who buy on.
    stopped = [rows[p.pk].p_alive for i, p in enumerate(parties) if i % 3 == 1]
    buying = [rows[p.pk].p_alive for i, p in enumerate(parties) if i % 3 == 2]
    assert max(stopped) < min(buying)
    # One-time buyers have P(alive) = 1 in the BG/NBD (no repeat purchase to drop out after).
    assert all(rows[p.pk].p_alive == 1.0 for i, p in enumerate(parties) if i % 3 == 0)


def test_without_enough_data_the_model_figures_stay_empty(org, admin_member):
    from tests.analytics.metrics_fixtures import AS_OF, build_dataset

    build_dataset(org, owner=admin_member.user)
    result = refresh_now(org, as_of=AS_OF)
    assert result.clv_status == ClvModelFit.Status.INSUFFICIENT_DATA
    with scope(org=org.pk):
        assert not CustomerMetrics.objects.filter(p_alive__isnull=False).exists()
        c = CustomerMetrics.objects.get(party__name="客户C")
    assert c.churn_risk == pytest.approx(0.8546)  # the rate drop alone


def test_a_refresh_reads_the_purchases_once(org, admin_member, monkeypatch):
    """The fit and the scoring share one read of the purchase events."""
    build_clv_dataset(org, owner=admin_member.user)
    calls = []
    real = clv_services.purchase_arrays

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(clv_services, "purchase_arrays", counting)
    result = refresh_now(org, as_of=OBSERVATION_END)
    assert result.clv_status == ClvModelFit.Status.OK
    assert len(calls) == 1


def test_purchase_arrays_give_the_dates_and_net_amounts(org, admin_member):
    import datetime

    import numpy as np

    from tests.finance.factories import make_customer, post_stock

    customer = make_customer(org, name="读取测试客户")
    post_stock(org, customer, "100", tax_rate=13, date=datetime.date(2025, 6, 30))
    post_stock(org, customer, "20.50", date=datetime.date(1999, 12, 31))
    ids, days, amounts = clv_services.purchase_arrays(org, datetime.date(2025, 6, 30))
    order = np.argsort(days)
    assert ids.tolist() == [customer.pk, customer.pk]
    assert days[order].tolist() == [datetime.date(1999, 12, 31), datetime.date(2025, 6, 30)]
    assert amounts[order].tolist() == pytest.approx([20.5, 100.0])  # net: the 13 % tax is left out
    # Purchases after the observation end are left out.
    ids, _days, _amounts = clv_services.purchase_arrays(org, datetime.date(2025, 6, 29))
    assert ids.tolist() == [customer.pk]


def test_the_model_is_refitted_weekly_and_on_request(org, admin_member):
    """Within a week of the stored fit a refresh only scores; after a week, or asked, it
    fits again. Scoring with the stored fit gives the same figures as a fresh fit would
    on the same day."""
    import datetime

    build_clv_dataset(org, owner=admin_member.user)

    def fits() -> int:
        with scope(org=org.pk):
            return ClvModelFit.objects.count()

    refresh_now(org, as_of=OBSERVATION_END)
    assert fits() == 1
    next_day = OBSERVATION_END + datetime.timedelta(days=1)
    refresh_now(org, as_of=next_day)
    assert fits() == 1  # scored with the stored fit
    with scope(org=org.pk):
        scored = dict(CustomerMetrics.objects.values_list("party_id", "p_alive"))
    refresh_now(org, as_of=next_day, refit=True)
    assert fits() == 2
    with scope(org=org.pk):
        refitted = dict(CustomerMetrics.objects.values_list("party_id", "p_alive"))
    # A day's more history hardly moves the parameters.
    assert scored.keys() == refitted.keys()
    assert all(abs(scored[k] - refitted[k]) < 0.05 for k in scored)
    refresh_now(org, as_of=next_day + datetime.timedelta(days=clv_services.REFIT_AFTER_DAYS))
    assert fits() == 3
    # A refresh of an earlier day than the fit's data fits again, on that day's data.
    refresh_now(org, as_of=OBSERVATION_END)
    assert fits() == 4
    assert clv_services.latest_fit(org).observation_end == OBSERVATION_END


def test_needs_refit():
    import datetime

    day = datetime.date(2025, 6, 30)
    ok = ClvModelFit(status=ClvModelFit.Status.OK, observation_end=day)
    assert not clv_services.needs_refit(ok, day)
    assert not clv_services.needs_refit(ok, day + datetime.timedelta(days=6))
    assert clv_services.needs_refit(ok, day + datetime.timedelta(days=7))
    assert clv_services.needs_refit(ok, day - datetime.timedelta(days=1))
    assert clv_services.needs_refit(None, day)
    failed = ClvModelFit(status=ClvModelFit.Status.FAILED, observation_end=day)
    assert clv_services.needs_refit(failed, day)
