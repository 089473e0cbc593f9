"""API of behavioural types (H13); mounted by guanxi/api/api.py.

GET /analytics/behaviour-types: the nine types with their playbook (in the caller's
language) and how many customers the caller can see carry each. GET/PUT
/parties/{id}/behaviour-types: one customer's types; PUT replaces them (an empty list
clears them; an unknown key is a 422 field error on `types`, nothing written).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from guanxi.analytics.behaviour import selectors as sel
from guanxi.analytics.behaviour.catalogue import BY_KEY
from guanxi.analytics.behaviour.services import set_customer_types
from guanxi.analytics.registrations import ANALYTICS
from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.core.permissions import CHANGE, VIEW, get_visible_or_404, require_perm
from guanxi.parties.models import Party

router = Router(tags=["analytics"])


def _membership(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


class BehaviourTypeOut(Schema):
    key: str
    number: int
    name: str
    name_zh: str
    traits: str
    approach: str
    avoid: str
    customers: int


class AssignmentOut(Schema):
    key: str
    name: str
    assigned_by: str | None
    assigned_at: datetime.datetime


class CustomerTypesOut(Schema):
    party_id: int
    types: list[AssignmentOut]


class CustomerTypesIn(Schema):
    types: list[str]


@router.get(
    "/analytics/behaviour-types",
    response={200: list[BehaviourTypeOut], **error_responses(*AUTH_ERRORS)},
)
def list_types(request: HttpRequest) -> list[dict[str, Any]]:
    """The nine behavioural customer types, each with its playbook and customer count."""
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    return [
        {
            "key": row.type.key,
            "number": row.type.number,
            "name": row.type.name,
            "name_zh": row.type.name_zh,
            "traits": row.type.traits,
            "approach": row.type.approach,
            "avoid": row.type.avoid,
            "customers": row.count,
        }
        for row in sel.type_counts(membership)
    ]


def _customer_types(party: Party) -> dict[str, Any]:
    return {
        "party_id": party.pk,
        "types": [
            {
                "key": row.type_key,
                "name": BY_KEY[row.type_key].name,
                "assigned_by": str(row.assigned_by) if row.assigned_by else None,
                "assigned_at": row.assigned_at,
            }
            for row in sel.assignments_of(party)
            if row.type_key in BY_KEY
        ],
    }


@router.get(
    "/parties/{id}/behaviour-types",
    response={200: CustomerTypesOut, **error_responses(*AUTH_ERRORS, 404, 422)},
)
def get_customer_types(request: HttpRequest, id: int) -> dict[str, Any]:
    """A customer's behavioural types (404 for a customer the caller may not see)."""
    party = get_visible_or_404(Party.objects.all(), _membership(request), "party", pk=id)
    return _customer_types(party)


@router.put(
    "/parties/{id}/behaviour-types",
    response={200: CustomerTypesOut, **error_responses(*AUTH_ERRORS, 404, 422)},
)
def put_customer_types(request: HttpRequest, id: int, payload: CustomerTypesIn) -> dict[str, Any]:
    """Replace a customer's behavioural types (CHANGE on customers)."""
    membership = _membership(request)
    party = get_visible_or_404(Party.objects.all(), membership, "party", pk=id)
    require_perm(membership, CHANGE, "party")
    set_customer_types(
        org=membership.org_id, actor=membership.user, party=party, keys=payload.types
    )
    return _customer_types(party)
