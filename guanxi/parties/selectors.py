"""Reads of parties and contacts, narrowed by the permission service (rule 2)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from guanxi.core.permissions import MembershipLike, get_visible_or_404, visible
from guanxi.parties.models import ROLE_FLAG, Contact, Party


def visible_parties(
    membership: MembershipLike | None, role: str | None = "customer"
) -> QuerySet[Party]:
    """The parties of `role` (None: every role) the member may see."""
    qs = Party.objects.all()
    if role is not None:
        qs = qs.filter(**{ROLE_FLAG[role]: True})
    return visible(qs, membership, "party")


def get_party_for_user(membership: MembershipLike | None, pk: Any) -> Party:
    """Return the visible party `pk`; Http404 when missing, deleted or not visible."""
    return get_visible_or_404(Party.objects.all(), membership, "party", pk=pk)


def visible_contacts(membership: MembershipLike | None) -> QuerySet[Contact]:
    qs = Contact.objects.select_related("party").filter(party__deleted_at__isnull=True)
    return visible(qs, membership, "contact")


def get_contact_for_user(membership: MembershipLike | None, pk: Any) -> Contact:
    return get_visible_or_404(
        Contact.objects.select_related("party").filter(party__deleted_at__isnull=True),
        membership,
        "contact",
        pk=pk,
    )
