"""What import/export, duplicates, the pool and handover add to the shared registries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core.periodic import register_periodic_job
from guanxi.core.permissions import CHANGE, VIEW, register_object_type
from guanxi.parties import pool  # noqa: F401 - registers the built-in handover steps
from guanxi.parties.tasks import return_idle_customers
from guanxi.web.navigation import NavItem, register_nav_item

# The pool report (view) and handing a rep's work to a colleague (change): managers'
# business by default; administrators may grant it to other roles.
register_object_type(
    "customer_pool",
    _("Customer pool report and handover"),
    actions=(VIEW, CHANGE),
    defaults={"manager": (VIEW, CHANGE)},
)

register_nav_item(
    NavItem(
        key="customer_pool",
        label=_("Customer pool"),
        url_name="parties:pool",
        icon="lifebuoy",
        object_type="party",
        section="main",
        order=25,
    )
)
# Import and duplicates live in the customer list's actions menu, which renders this
# section (or links the url names directly).
ACTIONS_SECTION = "customer_actions"
register_nav_item(
    NavItem(
        key="customer_import",
        label=_("Import customers"),
        url_name="parties:import_start",
        icon="file-import",
        object_type="party",
        section=ACTIONS_SECTION,
        order=10,
    )
)
register_nav_item(
    NavItem(
        key="customer_import_history",
        label=_("Import history"),
        url_name="parties:import_list",
        icon="history",
        object_type="party",
        section=ACTIONS_SECTION,
        order=20,
    )
)
register_nav_item(
    NavItem(
        key="customer_duplicates",
        label=_("Duplicates and merge"),
        url_name="parties:duplicates",
        icon="git-merge",
        object_type="party",
        section=ACTIONS_SECTION,
        order=30,
    )
)
register_nav_item(
    NavItem(
        key="customer_pool_report",
        label=_("Pool report"),
        url_name="parties:pool_report",
        icon="chart-bar",
        object_type="customer_pool",
        section=ACTIONS_SECTION,
        order=40,
    )
)
register_nav_item(
    NavItem(
        key="customer_handover",
        label=_("Hand over customers"),
        url_name="parties:handover",
        icon="arrows-exchange",
        object_type="customer_pool",
        section=ACTIONS_SECTION,
        order=50,
    )
)
register_nav_item(
    NavItem(
        key="customer_pool_settings",
        label=_("Customer pool rules"),
        url_name="parties:pool_settings",
        icon="clock-hour-4",
        admin_only=True,
        section="settings",
        order=65,
    )
)

register_periodic_job(
    "parties.return_idle_customers",
    "15 2 * * *",
    return_idle_customers,
    _("Return customers without follow-up for the organisation's pool period to the pool."),
)
