"""Helpers shared by the settings page tests."""

from __future__ import annotations

from django.test import Client
from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership, Role, Team
from guanxi.core.models import Organisation
from tests.conftest import login
from tests.factories import make_member


def role(org: Organisation, code: str) -> Role:
    with scopes_disabled():
        return Role.objects.get(org=org, code=code)


def fresh(obj):
    """Reload a row whatever its scope or recycle-bin state."""
    with scopes_disabled():
        manager = getattr(type(obj), "all_objects", type(obj)._base_manager)
        return manager.get(pk=obj.pk)


def client_for(org: Organisation, role_code: str, **user_kwargs) -> tuple[Client, Membership]:
    member = make_member(org, role_code, **user_kwargs)
    return login(Client(), member), member


def errors_of(response, field: str) -> list[str]:
    form = response.context["form"]
    return [str(e) for e in form.errors.get(field, [])]


def team_names(org: Organisation) -> set[str]:
    with scopes_disabled():
        return set(Team.objects.filter(org=org).values_list("name", flat=True))
