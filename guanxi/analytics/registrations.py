"""What the analytics area shares with the rest of guanxi: its object type and the name
of its page switcher. Each part (metrics, sales analysis, dashboard, basket, reports)
registers its own pages in its own registrations module."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import CHANGE, VIEW, register_object_type

# The analysis area's switcher (NavItem.section) that lists its pages.
ANALYTICS_SECTION = "analytics"
# The object type that guards the analysis pages. VIEW: see analysis (rows still follow
# the visibility of the customers, documents and opportunities behind them); CHANGE:
# refresh metrics, mine rules, change the analysis settings.
ANALYTICS = "analytics"

register_object_type(
    ANALYTICS,
    _("Analysis"),
    actions=(VIEW, CHANGE),
    defaults={
        "manager": (VIEW, CHANGE),
        "sales": (VIEW,),
        "service": (VIEW,),
        "marketing": (VIEW,),
        "readonly": (VIEW,),
    },
)
