"""Recently viewed, most used and pinned parties (B3): the visit counter."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django_scopes import scope

from guanxi.parties.models import PartyVisit
from guanxi.parties.visits import is_pinned, record_visit, set_pinned
from tests.factories import make_member
from tests.parties.list_helpers import make_party


def visit_row(org, user, party):
    with scope(org=org.pk):
        return PartyVisit.objects.filter(user=user, party=party).first()


def test_each_visit_counts_and_moves_the_time_on(org, admin_member):
    party = make_party(org, admin_member.user, name="A")

    record_visit(user=admin_member.user, party=party)
    first = visit_row(org, admin_member.user, party)
    record_visit(user=admin_member.user, party=party)
    second = visit_row(org, admin_member.user, party)

    assert (first.visits, second.visits) == (1, 2)
    assert second.last_visited_at >= first.last_visited_at
    assert second.pinned is False


def test_visits_are_per_member(org, admin_member):
    other = make_member(org, "sales", username="other")
    party = make_party(org, admin_member.user, name="A")

    record_visit(user=admin_member.user, party=party)

    assert visit_row(org, other.user, party) is None


def test_pin_without_a_visit_and_unpin_keeps_the_count(org, admin_member):
    party = make_party(org, admin_member.user, name="A")

    set_pinned(user=admin_member.user, party=party, pinned=True)
    assert is_pinned(user=admin_member.user, party=party) is True
    assert visit_row(org, admin_member.user, party).visits == 0

    record_visit(user=admin_member.user, party=party)
    set_pinned(user=admin_member.user, party=party, pinned=False)
    row = visit_row(org, admin_member.user, party)
    assert (row.pinned, row.visits) == (False, 1)


def test_anonymous_visits_are_not_recorded(org, admin_member):
    party = make_party(org, admin_member.user, name="A")

    record_visit(user=AnonymousUser(), party=party)

    with scope(org=org.pk):
        assert PartyVisit.objects.exists() is False
