"""Reads for the shell's pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from guanxi.accounts.models import Membership, Team


@dataclass(frozen=True)
class HomeSummary:
    members: int
    teams: int
    role: str
    team: str


def home_summary(request: HttpRequest) -> HomeSummary:
    membership = request.membership  # type: ignore[attr-defined]
    return HomeSummary(
        members=Membership.objects.filter(is_active=True).count(),
        teams=Team.objects.count(),
        role=str(membership.role),
        team=str(membership.team or ""),
    )
