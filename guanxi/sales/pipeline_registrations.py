"""What the sales pipeline adds to the shared registries: the targets' object type,
navigation (the top bar's "Sales" entry and the sales area's own switcher), the
opportunities tab of the customer page and the demo data."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import ADD, CHANGE, DELETE, VIEW, register_object_type
from guanxi.web.navigation import NavItem, register_nav_item

# The sales area's switcher (the pages of the pipeline and the sales documents).
SALES_SECTION = "sales"

register_object_type(
    "sales_target",
    _("Sales targets"),
    actions=(VIEW, ADD, CHANGE, DELETE),
    owner_field="user",
    defaults={
        "manager": (VIEW, ADD, CHANGE, DELETE),
        "sales": (VIEW,),
        "service": (VIEW,),
        "marketing": (VIEW,),
        "readonly": (VIEW,),
    },
)

register_nav_item(
    NavItem(
        key="sales",
        label=_("Sales"),
        url_name="sales:overview",
        icon="chart-funnel",
        object_type="opportunity",
        order=20,
    )
)
for _order, (_key, _label, _url_name, _icon, _type) in enumerate(
    (
        ("sales_overview", _("Overview"), "sales:overview", "gauge", "opportunity"),
        ("sales_pipeline", _("Pipeline"), "sales:pipeline", "layout-kanban", "opportunity"),
        (
            "sales_opportunities",
            _("Opportunities"),
            "sales:opportunity_list",
            "bulb",
            "opportunity",
        ),
        ("sales_leads", _("Leads"), "sales:lead_list", "user-search", "lead"),
        ("sales_targets", _("Targets"), "sales:target_list", "target-arrow", "sales_target"),
    )
):
    register_nav_item(
        NavItem(
            key=_key,
            label=_label,
            url_name=_url_name,
            icon=_icon,
            object_type=_type,
            section=SALES_SECTION,
            order=10 + _order,
        )
    )
register_nav_item(
    NavItem(
        key="sales_settings",
        label=_("Sales settings"),
        url_name="sales:settings",
        icon="adjustments-dollar",
        object_type="organisation",
        section="settings",
        order=60,
    )
)
register_nav_item(
    NavItem(
        key="pipeline_stages",
        label=_("Pipeline stages"),
        url_name="sales:stage_list",
        icon="list-numbers",
        admin_only=True,
        section="settings",
        order=61,
    )
)

from guanxi.sales import pipeline_demo, pipeline_search, pipeline_tabs  # noqa: E402,F401
