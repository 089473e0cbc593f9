"""Demo data of the customer metrics: a full refresh of the demo organisation, run
synchronously after the sales history exists (order 80), so the demo's customer pages,
metrics and churn lists show figures straight away. Idempotent: a refresh replaces the
previous one."""

from __future__ import annotations

from guanxi.core.demo import DemoContext, register_demo_seeder


def seed_metrics(ctx: DemoContext) -> None:
    from guanxi.analytics.metrics_services import run_refresh

    run = run_refresh(ctx.org.pk)
    if run is None:
        return
    ctx.log(f"customer metrics: {run.customers} customers ({run.status})")


register_demo_seeder("analytics.metrics", 80, seed_metrics)
