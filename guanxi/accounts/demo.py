"""Demo organisation, users for every role, and teams."""

from __future__ import annotations

from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership, Role, Team, User
from guanxi.accounts.services import create_organisation
from guanxi.core.demo import DEMO_ORG_NAME, DEMO_PASSWORD, DemoContext, register_demo_seeder
from guanxi.core.models import Organisation

# username, display name, role code, team name
DEMO_USERS = [
    ("manager", "王经理", Role.Code.MANAGER, "华东销售部"),
    ("sales1", "李娜", Role.Code.SALES, "华东销售部"),
    ("sales2", "张伟", Role.Code.SALES, "华东销售部"),
    ("sales3", "刘洋", Role.Code.SALES, "华南销售部"),
    ("service", "陈静", Role.Code.SERVICE, "客户服务部"),
    ("marketing", "赵敏", Role.Code.MARKETING, None),
    ("viewer", "孙老师", Role.Code.READONLY, None),
]
DEMO_TEAMS = ["华东销售部", "华南销售部", "客户服务部"]


def ensure_demo_organisation() -> Organisation:
    """Return the demo organisation, creating it (and admin's membership) if missing."""
    with scopes_disabled():
        admin = User.objects.filter(username="admin").first()
        org = Organisation.objects.filter(name=DEMO_ORG_NAME).first()
        if org is None:
            org = create_organisation(name=DEMO_ORG_NAME, actor=admin, admin=admin)
        elif admin is not None and not Membership.objects.filter(org=org, user=admin).exists():
            Membership.objects.create(
                org=org, user=admin, role=Role.objects.get(org=org, code="admin")
            )
    return org


def seed_people(ctx: DemoContext) -> None:
    org = ctx.org
    teams = {}
    for name in DEMO_TEAMS:
        teams[name], _created = Team.objects.get_or_create(org=org, name=name)
    roles = {r.code: r for r in Role.objects.exclude(code="")}
    for username, display, role_code, team_name in DEMO_USERS:
        with scopes_disabled():
            user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username, display_name=display, email=f"{username}@demo.guanxi.test"
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        Membership.objects.get_or_create(
            org=org,
            user=user,
            defaults={
                "role": roles[role_code],
                "team": teams.get(team_name) if team_name else None,
            },
        )
        ctx.users[username] = user
    for name, leader in (("华东销售部", "manager"), ("客户服务部", "service")):
        team = teams[name]
        if team.leader_id is None:
            team.leader = ctx.users[leader]
            team.save(update_fields=["leader"])
    with scopes_disabled():
        ctx.users["admin"] = User.objects.filter(username="admin").first()
    ctx.log(f"{len(DEMO_USERS)} demo users in {len(DEMO_TEAMS)} teams")


register_demo_seeder("accounts.people", 10, seed_people)
