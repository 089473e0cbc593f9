"""Context every page of the shell needs: navigation, organisation, languages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from guanxi.web.navigation import nav_entries


def shell(request: HttpRequest) -> dict[str, Any]:
    return {
        "nav_main": nav_entries(request, "main"),
        "nav_settings": nav_entries(request, "settings"),
        "current_org": getattr(request, "org", None),
        "current_membership": getattr(request, "membership", None),
        "user_memberships": getattr(request, "memberships", []),
        "available_languages": settings.LANGUAGES,
    }
