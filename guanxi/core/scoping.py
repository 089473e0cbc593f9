"""Helpers around django-scopes, so code says which organisation it works in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django_scopes import get_scope, scope, scopes_disabled

P = ParamSpec("P")
T = TypeVar("T")


def org_pk(org: Any) -> int:
    """Return the primary key of an organisation given as an instance or a key."""
    return int(getattr(org, "pk", org))


@contextmanager
def org_scope(org: Any) -> Iterator[None]:
    """Run the body with queries scoped to `org` (an Organisation or its key)."""
    with scope(org=org_pk(org)):
        yield


def current_org_id() -> int | None:
    """Return the organisation key of the active scope, or None outside any scope."""
    value = get_scope().get("org")
    return int(value) if isinstance(value, int) else None


def in_org_scope(func: Callable[P, T]) -> Callable[P, T]:
    """Run a service in the scope of its keyword argument `org` (or `obj.org_id`)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        org = kwargs.get("org")
        if org is None:
            for value in kwargs.values():
                if hasattr(value, "org_id"):
                    org = value.org_id
                    break
        if org is None:
            raise TypeError(f"{func.__name__} needs an organisation to scope its queries")
        with org_scope(org):
            return func(*args, **kwargs)

    return wrapper


__all__ = ["current_org_id", "in_org_scope", "org_pk", "org_scope", "scopes_disabled"]
