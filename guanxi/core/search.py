"""The global search service: apps register providers; the search box asks them all.

A provider gets the request (for the member, organisation and permissions) and the
query, and returns at most `limit` hits it has already filtered for visibility.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.functional import Promise

from guanxi.core.permissions import VIEW, has_perm


@dataclass(frozen=True)
class SearchHit:
    title: str
    url: str
    subtitle: str = ""


@dataclass(frozen=True)
class SearchProvider:
    key: str
    label: str | Promise
    object_type: str
    search: Callable[[HttpRequest, str, int], list[SearchHit]]
    order: int = 100


@dataclass(frozen=True)
class SearchGroup:
    key: str
    label: str | Promise
    hits: list[SearchHit]


_PROVIDERS: dict[str, SearchProvider] = {}

MIN_QUERY_LENGTH = 1
MAX_QUERY_LENGTH = 100


def register_search_provider(provider: SearchProvider) -> SearchProvider:
    _PROVIDERS[provider.key] = provider
    return provider


def search_providers() -> list[SearchProvider]:
    return sorted(_PROVIDERS.values(), key=lambda p: (p.order, p.key))


def global_search(request: HttpRequest, query: str, *, limit: int = 8) -> list[SearchGroup]:
    """Ask every provider the member may use; return the non-empty groups in order."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    if len(query) < MIN_QUERY_LENGTH:
        return []
    membership = getattr(request, "membership", None)
    groups = []
    for provider in search_providers():
        if not has_perm(membership, VIEW, provider.object_type):
            continue
        hits = provider.search(request, query, limit)
        if hits:
            groups.append(SearchGroup(key=provider.key, label=provider.label, hits=hits))
    return groups
