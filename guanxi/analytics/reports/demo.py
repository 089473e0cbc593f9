"""Demo data of the report designer: the ready-made reports, plus one shared grouped
report of the demo organisation's sales by month and salesperson."""

from __future__ import annotations

from django_scopes import scope

from guanxi.core.demo import DemoContext, register_demo_seeder


def seed_reports(ctx: DemoContext) -> None:
    from guanxi.analytics.reports.definition import check_definition
    from guanxi.analytics.reports.models import SavedReport
    from guanxi.analytics.reports.services import ensure_builtin_reports

    created = ensure_builtin_reports(ctx.org.pk)
    ctx.log(f"Reports: {created} ready-made reports added.")
    with scope(org=ctx.org.pk):
        if SavedReport.objects.filter(builtin_key="", name="月度销售（按业务员）").exists():
            return
        owner = next(iter(ctx.users.values()), None)
        checked = check_definition(
            {
                "object": "sales_lines",
                "group_by": [{"field": "date", "period": "month"}, {"field": "owner"}],
                "aggregates": [{"func": "sum", "field": "net"}, {"func": "count"}],
                "chart": "bar",
            },
            ctx.org.pk,
        )
        SavedReport.objects.create(
            org=ctx.org,
            name="月度销售（按业务员）",
            description="每月净销售额，按业务员分组（演示）",
            object_key=checked.obj.key,
            definition=checked.raw,
            owner=owner,
            sharing=SavedReport.Sharing.ORG,
        )


register_demo_seeder("reports", 90, seed_reports)
