"""Fitting the lifetime-value model of an organisation from its posted sales."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from django_scopes import scopes_disabled

from guanxi.analytics import clv, clv_services
from guanxi.analytics.models import ClvModelFit
from guanxi.stock.models import StockDocument
from tests.analytics.clv_fixtures import OBSERVATION_END, build_clv_dataset, purchase_plan
from tests.finance.factories import make_customer, post_stock, reverse_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def clv_parties(org, admin_member):
    return build_clv_dataset(org, owner=admin_member.user)


def test_summary_reads_the_posted_deliveries(org, clv_parties):
    summary = clv_services.customer_summary(org, OBSERVATION_END)
    plan = purchase_plan()
    assert len(summary) == len(plan)
    by_party = dict(zip(summary.customer_ids.tolist(), range(len(summary)), strict=True))
    # Customer 1: every 3 weeks for 120 days → purchases on days 0, 21, …, 105: 6 purchases.
    i = by_party[clv_parties[1].pk]
    assert summary.frequency[i] == len(plan[1]) - 1 == 5
    assert summary.recency[i] == 15  # weeks between the weeks of the first and last purchase
    repeat_amounts = [amount for _day, amount in plan[1][1:]]
    assert summary.monetary_value[i] == pytest.approx(sum(repeat_amounts) / 5)


def test_the_model_reads_posted_deliveries_only(org, admin_member):
    """Real postings: deliveries count (net of tax, one per calendar week), returns and
    reversed deliveries do not, nor sales after the observation end."""
    party = make_customer(org, name="退货客户", owner=admin_member.user)
    post_stock(org, party, 100, date=datetime.date(2025, 3, 3))
    post_stock(org, party, 50, date=datetime.date(2025, 3, 5))  # same week: one purchase
    taxed = post_stock(org, party, 100, date=datetime.date(2025, 3, 17), tax_rate="0.13")
    post_stock(
        org, party, 40, date=datetime.date(2025, 3, 20), kind=StockDocument.Kind.SALES_RETURN
    )
    cancelled = post_stock(org, party, 999, date=datetime.date(2025, 4, 7))
    reverse_stock(cancelled, date=datetime.date(2025, 4, 8))
    post_stock(org, party, 70, date=datetime.date(2026, 1, 5))  # after the end
    summary = clv_services.customer_summary(org, OBSERVATION_END)
    assert list(summary.customer_ids) == [party.pk]
    assert list(summary.frequency) == [1]
    assert list(summary.recency) == [2]
    assert taxed.tax_total > 0
    assert summary.monetary_value[0] == pytest.approx(float(taxed.total - taxed.tax_total))


def test_fit_on_a_small_organisation(org, clv_parties):
    fit = clv_services.fit_clv_model(org, OBSERVATION_END)
    assert fit.status == ClvModelFit.Status.OK, fit.message
    assert fit.n_customers == 24
    assert fit.observation_end == OBSERVATION_END
    # The stored parameters are the maths module's maximum-likelihood fit of the summary.
    summary = clv_services.customer_summary(org, OBSERVATION_END)
    bg = clv.fit_bgnbd(summary.frequency, summary.recency, summary.T)
    assert (fit.r, fit.alpha, fit.a, fit.b) == pytest.approx((bg.r, bg.alpha, bg.a, bg.b), rel=1e-6)
    assert fit.bgnbd_log_likelihood == pytest.approx(bg.log_likelihood)
    gg = clv.fit_gamma_gamma(summary.frequency, summary.monetary_value)
    assert (fit.p, fit.q, fit.v) == pytest.approx((gg.p, gg.q, gg.v), rel=1e-6)
    # Holdout: the last third of the 51 weeks of history, in whole weeks (17).
    assert fit.holdout_start == OBSERVATION_END - datetime.timedelta(weeks=17)
    cal = fit.calibration
    assert cal["available"] is True
    assert cal["period_days"] == 7
    assert cal["holdout_start"] == fit.holdout_start.isoformat()
    assert sum(b["customers"] for b in cal["by_frequency"]) == 24
    assert cal["cumulative"]["dates"][-1] == OBSERVATION_END.isoformat()
    # Actual holdout purchases: the customers who buy on to the end.
    holdout = sum(
        1 for rows in purchase_plan().values() for day, _a in rows if day >= fit.holdout_start
    )
    assert cal["holdout_actual"] == holdout
    assert clv_services.latest_fit(org) == fit


def test_scores_from_the_stored_fit(org, clv_parties):
    fit = clv_services.fit_clv_model(org, OBSERVATION_END)
    bg, gg = clv_services.fit_params(fit)
    assert bg is not None
    assert gg is not None
    summary = clv_services.customer_summary(org, OBSERVATION_END)
    scores = clv.score(
        bg, gg, summary.frequency, summary.recency, summary.T, summary.monetary_value
    )
    by_party = dict(zip(summary.customer_ids.tolist(), range(len(summary)), strict=True))
    lapsed = by_party[clv_parties[1].pk]  # stopped buying in May
    active = by_party[clv_parties[2].pk]  # buys to the end
    once = by_party[clv_parties[0].pk]  # bought once
    assert scores["p_alive"][once] == 1.0
    assert scores["p_alive"][lapsed] < 0.2 < 0.8 < scores["p_alive"][active]
    assert scores["expected_value_12m"][active] > scores["expected_value_12m"][lapsed]
    assert np.all(np.diff([scores[f"expected_purchases_{m}m"] for m in (3, 6, 12)], axis=0) > 0)


def test_too_few_customers_is_reported_not_fitted(org, admin_member):
    party = make_customer(org, name="唯一客户", owner=admin_member.user)
    post_stock(org, party, 100, date=datetime.date(2025, 3, 1))
    post_stock(org, party, 100, date=datetime.date(2025, 4, 1))
    fit = clv_services.fit_clv_model(org, OBSERVATION_END)
    assert fit.status == ClvModelFit.Status.INSUFFICIENT_DATA
    assert fit.r is None
    assert "at least 20 customers" in fit.message
    assert "there are 1 customers and 1 repeat customers" in fit.message
    assert clv_services.fit_params(fit) == (None, None)


def test_an_empty_organisation(org):
    fit = clv_services.fit_clv_model(org, OBSERVATION_END)
    assert fit.status == ClvModelFit.Status.INSUFFICIENT_DATA
    assert fit.n_customers == 0


def test_a_numerical_failure_is_stored_as_failed(org, clv_parties, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(clv, "fit_bgnbd", broken)
    fit = clv_services.fit_clv_model(org, OBSERVATION_END)
    assert fit.status == ClvModelFit.Status.FAILED
    assert "boom" in fit.message


def test_fits_stay_in_their_organisation_and_old_ones_are_pruned(
    org, other_org, clv_parties, monkeypatch
):
    monkeypatch.setattr(clv_services, "KEEP_FITS", 2)
    for _ in range(3):
        clv_services.fit_clv_model(org, OBSERVATION_END)
    other = clv_services.fit_clv_model(other_org, OBSERVATION_END)
    assert other.status == ClvModelFit.Status.INSUFFICIENT_DATA
    with scopes_disabled():
        assert ClvModelFit.objects.filter(org=org).count() == 2
        assert ClvModelFit.objects.filter(org=other_org).count() == 1
    assert clv_services.latest_fit(other_org) == other
