"""What the activities app adds to the shared registries: its object type and menu entries.

Role defaults for "activity" (owner field: `owner`): managers may do everything; sales
reps log, change and delete their activities; service agents and marketers log and
change them (care calls, return visits) but do not delete; read-only members see them.
Which rows each member sees is decided in guanxi.activities.selectors.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import ADD, CHANGE, DELETE, EXPORT, VIEW, register_object_type
from guanxi.web.navigation import NavItem, register_nav_item

_ALL = (VIEW, ADD, CHANGE, DELETE, EXPORT)

register_object_type(
    "activity",
    _("Activities (tasks, meetings, calls, care, expenses)"),
    actions=_ALL,
    owner_field="owner",
    defaults={
        "manager": _ALL,
        "sales": _ALL,
        "service": (VIEW, ADD, CHANGE),
        "marketing": (VIEW, ADD, CHANGE),
        "readonly": (VIEW,),
    },
)

register_nav_item(
    NavItem(
        key="activities",
        label=_("Activities"),
        url_name="activities:activity_list",
        icon="calendar-event",
        object_type="activity",
        order=30,
    )
)
# Every member has notifications, whatever their role.
register_nav_item(
    NavItem(
        key="notification_preferences",
        label=_("Reminders and notifications"),
        url_name="activities:notification_preferences",
        icon="bell",
        section="settings",
        order=80,
    )
)
