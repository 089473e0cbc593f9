"""Association rules on hand-computed baskets: the mining core, the run that stores the
rules (replacement, organisation isolation, which deliveries count), the thresholds and
the cross-sell suggestions with their visibility."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_scopes import scope, scopes_disabled

from guanxi.analytics.basket import selectors as sel
from guanxi.analytics.basket import services as svc
from guanxi.analytics.basket.mining import Thresholds, mine
from guanxi.analytics.basket.models import AssociationRule, BasketRun, BasketSettings
from guanxi.stock.models import StockDocument
from tests.activities.factories import make_party
from tests.analytics.basket_api_calls import TEN_BASKETS, delivery, products, ten_baskets
from tests.factories import make_member

pytestmark = pytest.mark.django_db

ALL = Thresholds(min_support=0, min_count=1, min_confidence=0, min_lift=0, pair_antecedents=False)


def _flat(baskets):
    ids, items = [], []
    for number, basket in enumerate(baskets, 1):
        for letter in basket:
            ids.append(number)
            items.append(ord(letter))
    return ids, items


def _rules(result):
    return {
        (chr(r.antecedent) + (chr(r.antecedent_2) if r.antecedent_2 else ""), chr(r.consequent)): r
        for r in result.rules
    }


# --- the mining core (no database) -------------------------------------------------------------


def test_ten_baskets_give_the_hand_computed_figures():
    # n = 10; n(A) = 6, n(B) = 6, n(C) = 5, n(D) = 3, n(E) = 1; n(AB) = 5, n(AC) = 3,
    # n(BC) = 3, n(DE) = 1, n(AD) = n(BD) = 1.
    result = mine(*_flat(TEN_BASKETS), ALL)
    assert (result.baskets, result.products) == (10, 5)
    rules = _rules(result)
    ab = rules[("A", "B")]
    assert (ab.count, ab.antecedent_count, ab.consequent_count) == (5, 6, 6)
    assert ab.support == pytest.approx(0.5)
    assert ab.confidence == pytest.approx(5 / 6)
    assert ab.lift == pytest.approx((5 / 6) / 0.6)  # 1.3889
    ca = rules[("C", "A")]
    assert (ca.support, ca.confidence, ca.lift) == pytest.approx((0.3, 0.6, 1.0))
    ed = rules[("E", "D")]
    assert (ed.confidence, ed.lift) == pytest.approx((1.0, 1 / 0.3))
    de = rules[("D", "E")]
    assert (de.confidence, de.lift) == pytest.approx((1 / 3, 1 / 0.3))
    ad = rules[("A", "D")]
    assert ad.lift == pytest.approx((1 / 6) / 0.3)
    # C and D never meet, E meets only D: no rule between them.
    assert ("C", "D") not in rules
    assert ("A", "E") not in rules
    # Strongest lift first.
    lifts = [r.lift for r in result.rules]
    assert lifts == sorted(lifts, reverse=True)


def test_thresholds_select_the_rules():
    ids, items = _flat(TEN_BASKETS)
    small_business = Thresholds(
        min_support=0, min_count=1, min_confidence=0.2, min_lift=1.2, pair_antecedents=False
    )
    assert set(_rules(mine(ids, items, small_business))) == {
        ("A", "B"),
        ("B", "A"),
        ("D", "E"),
        ("E", "D"),
    }
    # Basket 10 (A B D) alone would make {B, D} → A (1/1 beats B → A at 5/6): a
    # two-product rule needs twice the minimum baskets, so it is not kept.
    with_pairs = Thresholds(min_support=0, min_count=1, min_confidence=0.2, min_lift=1.2)
    assert set(_rules(mine(ids, items, with_pairs))) == {
        ("A", "B"),
        ("B", "A"),
        ("D", "E"),
        ("E", "D"),
    }
    # Two baskets at least: D and E meet once only.
    two = Thresholds(min_support=0, min_count=2, min_confidence=0.2, min_lift=1.2)
    assert set(_rules(mine(ids, items, two))) == {("A", "B"), ("B", "A")}
    # Support 0.6 is more than any pair reaches (AB: 0.5).
    assert mine(ids, items, Thresholds(min_support=0.6, min_count=1, min_lift=0)).rules == []
    # Confidence 0.9 keeps E → D (1.0) but not D → E (1/3) or A → B (5/6).
    strict = Thresholds(
        min_support=0, min_count=1, min_confidence=0.9, min_lift=0, pair_antecedents=False
    )
    assert set(_rules(mine(ids, items, strict))) == {("E", "D")}
    # max_rules keeps the strongest lift.
    top = Thresholds(
        min_support=0,
        min_count=1,
        min_confidence=0,
        min_lift=0,
        max_rules=2,
        pair_antecedents=False,
    )
    assert set(_rules(mine(ids, items, top))) == {("D", "E"), ("E", "D")}


def test_repeated_lines_count_once_and_empty_input():
    result = mine([1, 1, 2, 2], [ord("A"), ord("A"), ord("A"), ord("B")], ALL)
    rules = _rules(result)
    assert rules[("B", "A")].count == 1
    assert rules[("A", "B")].antecedent_count == 2
    assert mine([], [], ALL).rules == []


def test_two_product_rules_only_when_they_beat_each_product_alone():
    baskets = ["ABC"] * 3 + ["A", "B", "C"] * 3 + ["AB"]
    # min_count 1: two-product rules need 2 baskets; {A, B, C} are in 3.
    both = Thresholds(min_support=0, min_count=1, min_confidence=0.2, min_lift=1.0)
    rules = _rules(mine(*_flat(baskets), both))
    # n = 13; n(AB) = 4, n(ABC) = 3: conf({A,B} → C) = 3/4 > conf(A → C) = 3/7.
    abc = rules[("AB", "C")]
    assert (abc.count, abc.antecedent_count) == (3, 4)
    assert abc.confidence == pytest.approx(0.75)
    assert abc.lift == pytest.approx(0.75 / (6 / 13))
    # In the ten baskets no pair predicts better than one of its products.
    assert not [
        k
        for k in _rules(mine(*_flat(TEN_BASKETS), Thresholds(min_count=1, min_lift=0)))
        if len(k[0]) == 2
    ]


# --- the stored run ------------------------------------------------------------------------------


@pytest.fixture
def customer(org, sales_member):
    return make_party(org, sales_member.user, name="篮子客户")


@pytest.fixture
def items(org, customer):
    return ten_baskets(org, customer)


def _loose(org, **extra):
    with scopes_disabled():
        BasketSettings.objects.update_or_create(
            org=org,
            defaults={
                "min_support": 0,
                "min_count": 1,
                "min_confidence": 0.2,
                "min_lift": 1.2,
                "pair_antecedents": False,
                **extra,
            },
        )


def _mine(member, captured):
    with captured(execute=True):
        run = svc.request_mining(member)
    with scopes_disabled():
        return BasketRun.objects.get(pk=run.pk)


def _stored(org):
    with scopes_disabled():
        return {
            (
                r.antecedent.name[-1] + (r.antecedent_2.name[-1] if r.antecedent_2 else ""),
                r.consequent.name[-1],
            ): r
            for r in AssociationRule.objects.filter(org=org).select_related(
                "antecedent", "antecedent_2", "consequent"
            )
        }


def test_a_run_stores_the_rules_of_the_posted_deliveries(
    org, admin_member, customer, items, django_capture_on_commit_callbacks
):
    # Not baskets: a draft, a reversed delivery and its reversal, a return.
    delivery(org, customer, [items["C"], items["E"]], status=StockDocument.Status.DRAFT)
    gone = delivery(org, customer, [items["C"], items["E"]], status=StockDocument.Status.REVERSED)
    delivery(org, customer, [items["C"], items["E"]], reverses=gone)
    delivery(org, customer, [items["C"], items["E"]], kind=StockDocument.Kind.SALES_RETURN)
    _loose(org)
    run = _mine(admin_member, django_capture_on_commit_callbacks)
    assert (run.status, run.progress, run.baskets, run.products, run.rules) == (
        "done",
        100,
        10,
        5,
        4,
    )
    assert run.thresholds["min_lift"] == 1.2
    rules = _stored(org)
    assert set(rules) == {("A", "B"), ("B", "A"), ("D", "E"), ("E", "D")}
    ab = rules[("A", "B")]
    assert (ab.count, ab.support, ab.confidence) == (5, 0.5, pytest.approx(5 / 6))
    assert ab.run_id == run.pk
    assert ab.mined_at == run.finished_at


def test_mining_again_replaces_the_rules_and_other_orgs_are_untouched(
    org, other_org, admin_member, customer, items, django_capture_on_commit_callbacks
):
    theirs = make_party(other_org, None, name="别家")
    other_items = products(other_org, "X", "Y")
    for _ in range(3):
        delivery(other_org, theirs, [other_items["X"], other_items["Y"]])
    delivery(other_org, theirs, [other_items["X"]])
    delivery(other_org, theirs, [])  # an empty delivery holds no basket
    other_admin = make_member(other_org, "admin", username="other-basket-boss")
    _loose(org)
    _loose(other_org, min_lift=1.0)
    _mine(other_admin, django_capture_on_commit_callbacks)
    assert set(_stored(other_org)) == {("X", "Y"), ("Y", "X")}
    first = _mine(admin_member, django_capture_on_commit_callbacks)
    _loose(org, min_count=2)
    second = _mine(admin_member, django_capture_on_commit_callbacks)
    assert first.pk != second.pk
    rules = _stored(org)
    assert set(rules) == {("A", "B"), ("B", "A")}
    assert {r.run_id for r in rules.values()} == {second.pk}
    assert set(_stored(other_org)) == {("X", "Y"), ("Y", "X")}


def test_mining_needs_change_and_a_run_under_way_is_reused(org, sales_member, admin_member):
    with pytest.raises(PermissionDenied):
        svc.request_mining(sales_member)
    with scope(org=org.pk):
        first = svc.request_mining(admin_member)  # not committed: stays queued
        assert svc.request_mining(admin_member).pk == first.pk


def test_a_failed_run_is_marked(org, admin_member, monkeypatch, django_capture_on_commit_callbacks):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(svc, "mine", boom)
    # The task backend records the job's error; the run says it failed.
    with django_capture_on_commit_callbacks(execute=True):
        svc.request_mining(admin_member)
    with scopes_disabled():
        run = BasketRun.objects.get(org=org)
    assert run.status == "failed"
    assert "disk full" in run.error


def test_nightly_job_mines_every_organisation_with_deliveries(org, other_org, customer, items):
    from guanxi.analytics.basket.tasks import mine_all_basket_rules

    _loose(org)
    mine_all_basket_rules.call()
    assert len(_stored(org)) == 4
    with scopes_disabled():
        assert not BasketRun.objects.filter(org=other_org).exists()


# --- thresholds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"min_support": 1.5}, "min_support"),
        ({"min_support": -0.1}, "min_support"),
        ({"min_confidence": 2}, "min_confidence"),
        ({"min_lift": -1}, "min_lift"),
        ({"max_rules": 0}, "max_rules"),
        ({"max_rules": 100_000}, "max_rules"),
        ({"min_count": 0}, "min_count"),
    ],
)
def test_thresholds_out_of_range_are_field_errors(org, admin_member, data, field):
    with scope(org=org.pk), pytest.raises(ValidationError) as error:
        svc.update_settings(admin_member, data)
    assert field in error.value.message_dict
    with scopes_disabled():
        assert not BasketSettings.objects.filter(org=org).exists()


def test_thresholds_saved_and_defaults(org, admin_member, sales_member):
    with scope(org=org.pk):
        assert sel.settings_of(org.pk).min_lift == 1.2
        svc.update_settings(admin_member, {"min_lift": 2.0, "max_rules": 50})
        assert (sel.settings_of(org.pk).min_lift, sel.settings_of(org.pk).max_rules) == (2.0, 50)
        with pytest.raises(PermissionDenied):
            svc.update_settings(sales_member, {"min_lift": 1.0})


# --- suggestions ---------------------------------------------------------------------------------


@pytest.fixture
def mined(org, admin_member, customer, items, django_capture_on_commit_callbacks):
    _loose(org, min_lift=1.0)
    _mine(admin_member, django_capture_on_commit_callbacks)
    return items


def test_suggestions_for_lines_rank_by_confidence_times_lift(org, admin_member, mined):
    with scope(org=org.pk):
        found = sel.suggestions_for_products(admin_member, [mined["A"].pk])
        # A → B: 5/6 × 1.389 = 1.157 beats A → C: 0.5 × 1.0.
        assert [s.product.pk for s in found] == [mined["B"].pk, mined["C"].pk]
        assert found[0].score == pytest.approx((5 / 6) * (5 / 6) / 0.6)
        assert (
            sel.suggestions_for_products(admin_member, [mined["A"].pk, mined["B"].pk])[0].product.pk
            == mined["C"].pk
        )
        assert sel.suggestions_for_products(admin_member, []) == []


def test_voided_and_invisible_products_are_never_suggested(
    org, admin_member, readonly_member, mined
):
    from guanxi.catalog.models import Product

    with scopes_disabled():
        Product.objects.filter(pk=mined["B"].pk).update(is_voided=True)
    with scope(org=org.pk):
        assert [
            s.product.pk for s in sel.suggestions_for_products(admin_member, [mined["A"].pk])
        ] == [mined["C"].pk]
        assert not sel.visible_rules(admin_member).filter(consequent=mined["B"]).exists()


def test_customer_suggestions_skip_what_they_bought_and_hidden_purchases(
    org, admin_member, sales_member, mined
):
    shopper = make_party(org, sales_member.user, name="只买A")
    delivery(org, shopper, [mined["A"]], owner=sales_member.user)
    with scope(org=org.pk):
        found = sel.suggestions_for_party(sales_member, shopper)
        assert [s.product.pk for s in found] == [mined["B"].pk, mined["C"].pk]
        assert found[0].rule.antecedent_id == mined["A"].pk
    # A purchase of B on a document the sales member may not see: B is not suggested
    # (already bought), and it gives no reason of its own.
    delivery(org, shopper, [mined["B"]], owner=admin_member.user)
    with scope(org=org.pk):
        assert [s.product.pk for s in sel.suggestions_for_party(sales_member, shopper)] == [
            mined["C"].pk
        ]
        assert [s.product.pk for s in sel.suggestions_for_party(admin_member, shopper)] == [
            mined["C"].pk
        ]


def test_demo_seeder_mines_the_organisation(org, customer, items):
    from guanxi.analytics.basket.registrations import seed_basket_rules
    from guanxi.core.demo import DemoContext, demo_seeders

    assert ("analytics.basket", 85) in {(s.name, s.order) for s in demo_seeders()}
    logged = []
    seed_basket_rules(DemoContext(org=org, log=logged.append))
    with scopes_disabled():
        run = BasketRun.objects.get(org=org)
    assert run.status == "done"
    assert run.baskets == 10
    assert logged == [f"basket rules: {run.rules} from 10 baskets"]
    assert len(_stored(org)) == run.rules == 2  # A ↔ B with the default thresholds
