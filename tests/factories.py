"""Cross-app factories: organisations, users, members. One organisation per factory call."""

from __future__ import annotations

import factory
from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership, Role, Team, User
from guanxi.accounts.services import create_organisation
from guanxi.core.models import Organisation

TEST_PASSWORD = "Correct-Horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name", locale="zh_CN")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_org(name: str = "Acme 贸易") -> Organisation:
    """Create an organisation the way the product does (with its built-in roles)."""
    with scopes_disabled():
        return create_organisation(name=name, actor=None)


def make_member(
    org: Organisation,
    role_code: str = "admin",
    *,
    team: Team | None = None,
    user: User | None = None,
    **user_kwargs,
) -> Membership:
    with scopes_disabled():
        role = Role.objects.get(org=org, code=role_code)
        user = user or UserFactory(**user_kwargs)
        return Membership.objects.create(org=org, user=user, role=role, team=team)


def make_team(org: Organisation, name: str = "Team A") -> Team:
    with scopes_disabled():
        return Team.objects.create(org=org, name=name)
