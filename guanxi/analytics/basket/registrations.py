"""What the basket analysis adds to the shared registries: its page in the analysis
switcher, the customer page's cross-sell tab, the nightly mining job and the demo data."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.analytics.registrations import ANALYTICS, ANALYTICS_SECTION
from guanxi.core.demo import DemoContext, register_demo_seeder
from guanxi.core.periodic import register_periodic_job
from guanxi.core.permissions import VIEW, has_perm
from guanxi.parties.record_views import PartyTabProvider, Tab, register_party_tab
from guanxi.web.navigation import NavItem, register_nav_item

register_nav_item(
    NavItem(
        key="analytics_basket",
        label=_("Market basket"),
        url_name="analytics:basket_rules",
        icon="shopping-cart-heart",
        object_type=ANALYTICS,
        section=ANALYTICS_SECTION,
        order=60,
    )
)


def cross_sell_tab(request: HttpRequest, party: Any) -> Tab | None:
    membership = getattr(request, "membership", None)
    if not has_perm(membership, VIEW, ANALYTICS):
        return None
    return Tab(
        "cross_sell",
        _("Also bought"),
        reverse("analytics:basket_party_tab", args=[party.pk]),
    )


register_party_tab(PartyTabProvider(key="cross_sell", order=75, tab=cross_sell_tab))


def _register_job() -> None:
    from guanxi.analytics.basket.tasks import mine_all_basket_rules

    register_periodic_job(
        "analytics.mine_basket_rules",
        "40 18 * * *",  # UTC: 02:40 in China, after the metrics refresh (18:30 UTC)
        mine_all_basket_rules,
        _("Mine the market-basket rules (bought-together products) of every organisation."),
    )


_register_job()


def seed_basket_rules(ctx: DemoContext) -> None:
    """Mine the demo organisation's rules so the rules page and the suggestions are full."""
    from django_scopes import scopes_disabled

    from guanxi.analytics.basket.models import BasketRun
    from guanxi.analytics.basket.services import run_mining

    with scopes_disabled():
        run = BasketRun.objects.create(org_id=ctx.org.pk)
    run = run_mining(run.pk)
    ctx.log(f"basket rules: {run.rules if run else 0} from {run.baskets if run else 0} baskets")


register_demo_seeder("analytics.basket", 85, seed_basket_rules)
