"""Template context for the header's activity entries: the "+" menu and the bell.

Costs no query: the permission check reads the member's role, which the middleware has
already loaded, and the unread count is fetched by the bell itself (htmx), so adding the
bell to every page does not add a query to every page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from guanxi.activities.models import Activity
from guanxi.core.permissions import ADD, has_perm


def activities(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {
        "can_add_activity": has_perm(membership, ADD, "activity"),
        "activity_kinds": [
            (value, label, Activity.ICONS[value]) for value, label in Activity.Kind.choices
        ],
    }
