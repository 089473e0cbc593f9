"""What the accounts app adds to the shared registries: object types, navigation, search."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import ADD, CHANGE, DELETE, VIEW, register_object_type
from guanxi.core.search import SearchHit, SearchProvider, register_search_provider

register_object_type(
    "organisation",
    _("Organisation settings"),
    actions=(VIEW, CHANGE),
    defaults={"manager": (VIEW,)},
)
register_object_type(
    "member",
    _("Members"),
    actions=(VIEW, ADD, CHANGE),
    defaults=dict.fromkeys(("manager", "sales", "service", "marketing", "readonly"), (VIEW,)),
)
register_object_type(
    "role",
    _("Roles"),
    actions=(VIEW, ADD, CHANGE, DELETE),
    defaults={"manager": (VIEW,)},
)
register_object_type(
    "team",
    _("Teams"),
    actions=(VIEW, ADD, CHANGE, DELETE),
    defaults={
        "manager": (VIEW, ADD, CHANGE),
        **dict.fromkeys(("sales", "service", "marketing", "readonly"), (VIEW,)),
    },
)


def _search_members(request: HttpRequest, query: str, limit: int) -> list[SearchHit]:
    from guanxi.accounts.selectors import visible_members

    members = visible_members(
        request.membership
    ).filter(  # type: ignore[attr-defined]
        Q(user__username__icontains=query)
        | Q(user__display_name__icontains=query)
        | Q(user__email__icontains=query)
    )[:limit]
    hits = []
    for m in members:
        try:
            url = reverse("accounts:member_edit", args=[m.pk])
        except NoReverseMatch:
            url = reverse("web:home")
        hits.append(SearchHit(title=str(m.user), url=url, subtitle=f"{m.user.username} · {m.role}"))
    return hits


register_search_provider(
    SearchProvider(
        key="members", label=_("Members"), object_type="member", search=_search_members, order=900
    )
)
