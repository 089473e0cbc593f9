"""The customer pool (公海, K1): the daily return, claim, release, report, handover."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from guanxi.core.permissions import has_perm
from guanxi.parties.models import Party, PartySettings, PoolEvent
from guanxi.parties.pool import (
    HandoverRefused,
    PoolError,
    claim_party,
    hand_over,
    pool_customers,
    pool_report,
    pool_settings,
    release_party,
    return_idle_to_pool,
    update_pool_settings,
)
from guanxi.parties.services import set_party_lock
from tests.conftest import login
from tests.factories import make_member, make_org
from tests.parties.exchange_helpers import (  # noqa: F401 - english is a fixture
    english,
    in_english,
    party,
)

pytestmark = pytest.mark.usefixtures("english")


def _age(customer, *, created=None, contacted=None):
    with scope(org=customer.org_id):
        Party.all_objects.filter(pk=customer.pk).update(
            created_at=created or timezone.now(), last_contact_at=contacted
        )
        customer.refresh_from_db()
    return customer


def _days(n):
    return timezone.now() - timedelta(days=n)


@pytest.fixture
def rules(org):
    return update_pool_settings(org=org, actor=None, pool_after_days=30, pool_claim_limit=2)


# --- the daily return -----------------------------------------------------------------------


def test_idle_customers_return_after_n_days_and_the_job_is_idempotent(org, sales_member, rules):
    # given
    idle = _age(party(org, sales_member, name="Idle"), created=_days(40))
    contacted = _age(
        party(org, sales_member, name="Contacted"), created=_days(90), contacted=_days(10)
    )
    new = _age(party(org, sales_member, name="New"), created=_days(5))
    stale_contact = _age(
        party(org, sales_member, name="Stale"), created=_days(90), contacted=_days(31)
    )
    locked = set_party_lock(
        party=_age(party(org, sales_member, name="Locked"), created=_days(90)),
        actor=None,
        locked=True,
    )

    # when
    first = return_idle_to_pool()
    second = return_idle_to_pool()

    # then
    assert (first, second) == (2, 0)
    with scope(org=org.pk):
        for customer in (idle, contacted, new, stale_contact, locked):
            customer.refresh_from_db()
        assert idle.owner_id is None
        assert idle.pool_entered_at is not None
        assert stale_contact.owner_id is None
        assert contacted.owner_id == sales_member.user_id
        assert new.owner_id == sales_member.user_id
        assert locked.owner_id == sales_member.user_id
        events = list(
            PoolEvent.objects.order_by("id").values_list("party__name", "kind", "from_user")
        )
        assert events == [
            ("Idle", "returned", sales_member.user_id),
            ("Stale", "returned", sales_member.user_id),
        ]
        latest = idle.history.first()
        assert latest.owner_id is None
        assert "30 days" in latest.history_change_reason


def test_zero_days_switches_the_return_off(org, sales_member):
    update_pool_settings(org=org, actor=None, pool_after_days=0, pool_claim_limit=0)
    _age(party(org, sales_member, name="Idle"), created=_days(400))

    assert return_idle_to_pool() == 0


def test_organisations_keep_their_own_rules(org, sales_member):
    other = make_org("Other")
    other_rep = make_member(other, "sales", username="other-rep")
    update_pool_settings(org=org, actor=None, pool_after_days=60, pool_claim_limit=0)
    mine = _age(party(org, sales_member, name="Mine"), created=_days(45))
    theirs = _age(party(other, other_rep, name="Theirs"), created=_days(45))  # default 30

    assert return_idle_to_pool() == 1
    with scope(org=org.pk):
        mine.refresh_from_db()
    with scope(org=other.pk):
        theirs.refresh_from_db()
    assert mine.owner_id == sales_member.user_id
    assert theirs.owner_id is None


def test_a_claimed_customer_is_not_returned_the_next_night(org, sales_member, rules):
    customer = _age(party(org, sales_member, name="Old"), created=_days(100))
    return_idle_to_pool()
    with scope(org=org.pk):
        customer.refresh_from_db()
    claim_party(party=customer, membership=sales_member, actor=sales_member.user)

    assert return_idle_to_pool() == 0


def test_the_periodic_job_is_registered():
    from guanxi.core.periodic import periodic_jobs

    jobs = {job.name: job for job in periodic_jobs()}
    assert jobs["parties.return_idle_customers"].cron == "15 2 * * *"


# --- claim and release ----------------------------------------------------------------------------


@pytest.fixture
def pooled(org, admin_member):
    customer = party(org, admin_member, name="公海客户有限公司", mobile="13800138000")
    with scope(org=org.pk):
        Party.objects.filter(pk=customer.pk).update(owner=None, pool_entered_at=timezone.now())
        customer.refresh_from_db()
    return customer


def test_pool_is_visible_to_reps_with_own_visibility(org, sales_member, pooled):
    with scope(org=org.pk):
        assert list(pool_customers(sales_member)) == [pooled]


def test_claim_takes_the_customer(org, sales_member, pooled, rules):
    claimed = claim_party(party=pooled, membership=sales_member, actor=sales_member.user)

    with scope(org=org.pk):
        assert claimed.owner_id == sales_member.user_id
        assert claimed.pool_entered_at is None
        event = PoolEvent.objects.get()
        assert (event.kind, event.to_user_id) == ("claimed", sales_member.user_id)
        assert claimed.history.first().history_change_reason == "Claimed from the pool"


def test_claim_stops_at_the_limit(org, sales_member, pooled, rules):
    party(org, sales_member, name="One")
    party(org, sales_member, name="Two")

    with pytest.raises(PoolError, match="limit is 2"):
        claim_party(party=pooled, membership=sales_member, actor=sales_member.user)
    with scope(org=org.pk):
        pooled.refresh_from_db()
    assert pooled.owner_id is None


@pytest.mark.parametrize(
    ("data", "what"),
    [
        ({"name": "别的名字", "mobile": "+86 138 0013 8000"}, "phone number"),
        ({"name": "公海客户", "mobile": ""}, "name"),
    ],
)
def test_claim_refuses_a_duplicate_of_the_reps_own_customer(org, sales_member, pooled, data, what):
    party(org, sales_member, **data)

    with pytest.raises(PoolError, match=f"same {what}") as excinfo:
        claim_party(party=pooled, membership=sales_member, actor=sales_member.user)
    assert data["name"] in str(excinfo.value)


def test_only_one_of_two_claims_wins(org, sales_member, pooled, team):
    other = make_member(org, "sales", team=team, username="rep2")
    claim_party(party=pooled, membership=sales_member, actor=sales_member.user)

    with pytest.raises(PoolError, match="no longer in the pool"):
        claim_party(party=pooled, membership=other, actor=other.user)


def test_readonly_cannot_claim(org, readonly_member, pooled):
    with pytest.raises(PermissionDenied):
        claim_party(party=pooled, membership=readonly_member, actor=readonly_member.user)


def test_release_returns_to_the_pool(org, sales_member):
    customer = party(org, sales_member, name="Mine")

    release_party(party=customer, membership=sales_member, actor=sales_member.user)

    with scope(org=org.pk):
        customer.refresh_from_db()
        assert customer.owner_id is None
        assert PoolEvent.objects.get().kind == "released"
    with pytest.raises(PoolError):
        release_party(party=customer, membership=sales_member, actor=sales_member.user)


# --- pages ---------------------------------------------------------------------------------------------


def test_pool_page_claim_and_release(sales_client, org, sales_member, pooled):
    in_english(sales_client)
    response = sales_client.get(reverse("parties:pool"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "公海客户有限公司" in content
    assert "13800138000" not in content  # no phones in the pool

    response = sales_client.post(reverse("parties:pool_claim", args=[pooled.pk]))
    assert response.status_code == 302
    with scope(org=org.pk):
        pooled.refresh_from_db()
    assert pooled.owner_id == sales_member.user_id

    response = sales_client.post(reverse("parties:pool_release", args=[pooled.pk]))
    assert response["Location"] == reverse("parties:pool")
    with scope(org=org.pk):
        pooled.refresh_from_db()
    assert pooled.owner_id is None


def test_claiming_an_owned_customer_is_not_found(sales_client, org, admin_member):
    owned = party(org, admin_member, name="Owned")
    assert sales_client.post(reverse("parties:pool_claim", args=[owned.pk])).status_code == 404
    assert sales_client.post(reverse("parties:pool_release", args=[owned.pk])).status_code == 404


def test_pool_settings_page_is_for_administrators(admin_client, sales_client, org):
    assert sales_client.get(reverse("parties:pool_settings")).status_code == 403

    response = admin_client.post(
        reverse("parties:pool_settings"), {"pool_after_days": "45", "pool_claim_limit": "100"}
    )

    assert response.status_code == 302
    rules = pool_settings(org)
    assert (rules.pool_after_days, rules.pool_claim_limit) == (45, 100)


def test_pool_settings_keep_the_restricted_password(org):
    with scope(org=org.pk):
        PartySettings.objects.create(org=org, restricted_password="hash")
    update_pool_settings(org=org, actor=None, pool_after_days=10, pool_claim_limit=5)
    assert pool_settings(org).restricted_password == "hash"


def test_pool_settings_refuse_bad_values(admin_client):
    response = admin_client.post(
        reverse("parties:pool_settings"), {"pool_after_days": "-1", "pool_claim_limit": "x"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"pool_after_days", "pool_claim_limit"}


# --- report ---------------------------------------------------------------------------------------------


def test_report_counts_inflow_and_outflow_per_rep_and_month(org, admin_member, sales_member, rules):
    _age(party(org, sales_member, name="Idle"), created=_days(40))
    released = party(org, sales_member, name="Released")
    return_idle_to_pool()
    release_party(party=released, membership=sales_member, actor=sales_member.user)
    claim_party(party=released, membership=admin_member, actor=admin_member.user)

    rows = pool_report(org)

    by_user = {row.user_id: row for row in rows}
    assert (by_user[sales_member.user_id].into_pool, by_user[sales_member.user_id].claimed) == (
        2,
        0,
    )
    assert (by_user[admin_member.user_id].into_pool, by_user[admin_member.user_id].claimed) == (
        0,
        1,
    )


def test_report_page_permission(admin_client, sales_client, org):
    assert admin_client.get(reverse("parties:pool_report")).status_code == 200
    assert sales_client.get(reverse("parties:pool_report")).status_code == 403


def test_managers_may_see_the_report_and_hand_over(org):
    manager = make_member(org, "manager", username="mgr")
    assert has_perm(manager, "view", "customer_pool") is True
    assert has_perm(manager, "change", "customer_pool") is True


# --- handover ------------------------------------------------------------------------------------------------


def test_handover_moves_customers_and_open_activities(org, admin_member, sales_member, team):
    from guanxi.activities.models import Activity

    # given
    successor = make_member(org, "sales", team=team, username="successor")
    customers = [party(org, sales_member, name=f"C{i}") for i in range(3)]
    other = party(org, admin_member, name="Not theirs")
    with scope(org=org.pk):
        open_task = Activity.objects.create(
            org=org,
            kind=Activity.Kind.TASK,
            subject="回访",
            owner=sales_member.user,
            party=customers[0],
        )
        done_task = Activity.objects.create(
            org=org,
            kind=Activity.Kind.TASK,
            subject="已完成",
            owner=sales_member.user,
            status=Activity.Status.DONE,
        )

    # when
    moved = hand_over(
        org=org, from_user=sales_member.user, to_user=successor.user, actor=admin_member.user
    )

    # then
    assert moved == {"customers": 3, "open_activities": 1}
    with scope(org=org.pk):
        assert set(Party.objects.filter(owner=successor.user).values_list("name", flat=True)) == {
            "C0",
            "C1",
            "C2",
        }
        other.refresh_from_db()
        open_task.refresh_from_db()
        done_task.refresh_from_db()
        assert other.owner_id == admin_member.user_id
        assert open_task.owner_id == successor.user_id
        assert done_task.owner_id == sales_member.user_id
        events = PoolEvent.objects.filter(kind="handed_over")
        assert events.count() == 3
        assert {(e.from_user_id, e.to_user_id) for e in events} == {
            (sales_member.user_id, successor.user_id)
        }
        assert customers[0].history.first().history_change_reason == "Handed over"


def test_handover_refuses_the_same_person_and_inactive_receivers(org, admin_member, sales_member):
    with pytest.raises(HandoverRefused):
        hand_over(org=org, from_user=sales_member.user, to_user=sales_member.user, actor=None)
    leaver = make_member(org, "sales", username="leaver")
    with scope(org=org.pk):
        leaver.is_active = False
        leaver.save()
    with pytest.raises(HandoverRefused, match="active"):
        hand_over(org=org, from_user=sales_member.user, to_user=leaver.user, actor=None)


def test_handover_steps_are_a_registry(org, admin_member, sales_member):
    from guanxi.parties import pool

    calls = []
    step = pool.register_handover_step(
        "test_step", "Test", lambda **kwargs: calls.append(kwargs) or 7, order=99
    )
    try:
        moved = hand_over(
            org=org,
            from_user=sales_member.user,
            to_user=admin_member.user,
            actor=None,
            steps=["test_step"],
        )
    finally:
        pool._STEPS.pop(step.key)
    assert moved == {"test_step": 7}
    assert calls[0]["from_user_id"] == sales_member.user_id


def test_handover_page(admin_client, org, admin_member, sales_member):
    in_english(admin_client)
    party(org, sales_member, name="C")

    response = admin_client.post(
        reverse("parties:handover"),
        {
            "from_user": sales_member.user_id,
            "to_user": admin_member.user_id,
            "steps": ["customers", "open_activities"],
        },
    )

    assert response.status_code == 302
    with scope(org=org.pk):
        assert Party.objects.get().owner_id == admin_member.user_id


def test_handover_page_is_for_managers(sales_client, client, org):
    assert sales_client.get(reverse("parties:handover")).status_code == 403
    login(client, make_member(org, "manager", username="mgr"))
    assert client.get(reverse("parties:handover")).status_code == 200


def test_pool_page_query_count_stays_flat(
    sales_client, org, admin_member, django_assert_max_num_queries
):
    for i in range(30):
        customer = party(org, admin_member, name=f"Pool {i}")
        with scope(org=org.pk):
            Party.objects.filter(pk=customer.pk).update(owner=None)
    with django_assert_max_num_queries(12):
        response = sales_client.get(reverse("parties:pool"))
    assert response.context["page"].paginator.count == 30
