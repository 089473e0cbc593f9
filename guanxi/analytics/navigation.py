"""The analysis area's page switcher, shared by every analysis page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from guanxi.analytics.registrations import ANALYTICS_SECTION
from guanxi.web.navigation import nav_entries


def analytics_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    """The page's context with the analysis area's switcher (`analytics_nav`); nav_entries
    lights the entry whose URL is the longest prefix of the path."""
    return {"analytics_nav": nav_entries(request, ANALYTICS_SECTION), **extra}
