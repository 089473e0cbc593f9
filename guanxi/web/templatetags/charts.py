"""`{% chart "id" options %}`: one ECharts chart (see web/static/web/charts.js)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("web/components/chart.html")
def chart(
    chart_id: str, options: dict[str, Any], height: str = "320px", label: str = ""
) -> dict[str, Any]:
    """Render a chart div and its options as a JSON script block (CSP-safe, escaped).

    Load `web/components/chart_scripts.html` once in the page's head block."""
    return {
        "id": chart_id,
        "json_id": f"{chart_id}-options",
        "options": options,
        "height": height,
        "label": label,
    }
