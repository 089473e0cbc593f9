"""The settings pages in the settings menu (the user menu), each shown to those who may use it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.web.navigation import NavItem, register_nav_item

register_nav_item(
    NavItem(
        key="org_settings",
        label=_("Organisation settings"),
        url_name="accounts:org_settings",
        icon="building",
        # Administrators change these settings; others with view (managers) read them.
        object_type="organisation",
        section="settings",
        order=10,
    )
)
register_nav_item(
    NavItem(
        key="members",
        label=_("Members"),
        url_name="accounts:member_list",
        icon="users",
        object_type="member",
        section="settings",
        order=20,
    )
)
register_nav_item(
    NavItem(
        key="roles",
        label=_("Roles"),
        url_name="accounts:role_list",
        icon="shield-lock",
        object_type="role",
        section="settings",
        order=30,
    )
)
register_nav_item(
    NavItem(
        key="teams",
        label=_("Teams"),
        url_name="accounts:team_list",
        icon="users-group",
        object_type="team",
        section="settings",
        order=40,
    )
)
