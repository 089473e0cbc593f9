"""Recently viewed, most used and pinned parties, per member (B3).

The 360° page calls `record_visit` each time a member opens a party; the list's quick
tabs read the counts. Pinning (固定客户) keeps a party in the member's pinned tab
regardless of how often or how lately it was opened.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from guanxi.core.scoping import org_scope
from guanxi.parties.models import Party, PartyVisit


def _upsert(*, user: Any, party: Party, changes: dict[str, Any], create: dict[str, Any]) -> None:
    """Update the member's visit row of `party`, creating it on first use.

    The unique (org, user, party) constraint settles a race between two first visits:
    the loser's insert fails and its update runs instead.
    """
    with org_scope(party.org_id):
        rows = PartyVisit.objects.filter(user_id=user.pk, party_id=party.pk)
        if rows.update(**changes):
            return
        try:
            with transaction.atomic():
                PartyVisit.objects.create(
                    org_id=party.org_id, user_id=user.pk, party_id=party.pk, **create
                )
        except IntegrityError:
            rows.update(**changes)


def record_visit(*, user: Any, party: Party) -> None:
    """Count one visit of `user` to `party` (the 360° page calls this on every view)."""
    if not getattr(user, "pk", None):
        return
    now = timezone.now()
    _upsert(
        user=user,
        party=party,
        changes={"visits": F("visits") + 1, "last_visited_at": now},
        create={"visits": 1, "last_visited_at": now},
    )


def set_pinned(*, user: Any, party: Party, pinned: bool) -> None:
    """Pin `party` to (or unpin it from) the member's pinned tab."""
    _upsert(user=user, party=party, changes={"pinned": pinned}, create={"pinned": pinned})


def is_pinned(*, user: Any, party: Party) -> bool:
    with org_scope(party.org_id):
        return PartyVisit.objects.filter(user_id=user.pk, party_id=party.pk, pinned=True).exists()
