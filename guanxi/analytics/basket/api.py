"""REST API of the market-basket analysis (H10): the rules (filtered, keyset pages), the
thresholds, mining runs and cross-sell suggestions for a customer or a set of products.

Same rules as the pages, through the same selectors and services: VIEW "analytics" to
read, CHANGE "analytics" to mine or change the thresholds; a rule shows only when the
caller may see all its products; a customer the caller may not see is a 404.
"""

import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from guanxi.analytics.basket import selectors as sel
from guanxi.analytics.basket import services as svc
from guanxi.analytics.basket.models import MAX_RULES_LIMIT, AssociationRule, BasketRun
from guanxi.analytics.registrations import ANALYTICS
from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.api.pagination import paginate_keyset
from guanxi.core.permissions import VIEW, get_visible_or_404, require_perm

router = Router(tags=["analytics"])
MAX_PRODUCTS = 50


# --- schemas ------------------------------------------------------------------------------------


class BasketProductOut(Schema):
    id: int
    code: str
    name: str


class AssociationRuleOut(Schema):
    id: int
    antecedent: BasketProductOut
    antecedent_2: BasketProductOut | None = Field(
        None, description="The second product of a two-product rule ({a, b} → c)."
    )
    consequent: BasketProductOut
    count: int = Field(description="Baskets holding every product of the rule.")
    antecedent_count: int = Field(description="Baskets holding the left side.")
    consequent_count: int = Field(description="Baskets holding the consequent.")
    support: float = Field(description="count / all baskets.")
    confidence: float = Field(description="count / antecedent_count.")
    lift: float = Field(description="confidence / (consequent_count / all baskets).")
    mined_at: datetime.datetime


class RuleFilterIn(Schema):
    q: str | None = Field(None, max_length=100, description="Text in a product's name or code.")
    product: int | None = Field(None, ge=1, description="Rules that involve this product id.")
    min_support: float | None = Field(None, ge=0, le=1)
    min_confidence: float | None = Field(None, ge=0, le=1)
    min_lift: float | None = Field(None, ge=0, le=1000)


class BasketRunOut(Schema):
    id: int
    status: str
    progress: int
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    baskets: int
    products: int
    rules: int
    thresholds: dict[str, Any]


class BasketSettingsOut(Schema):
    min_support: float
    min_count: int
    min_confidence: float
    min_lift: float
    max_rules: int
    pair_antecedents: bool


class BasketSettingsIn(Schema):
    min_support: float | None = Field(None, ge=0, le=1)
    min_count: int | None = Field(None, ge=1, le=1_000_000)
    min_confidence: float | None = Field(None, ge=0, le=1)
    min_lift: float | None = Field(None, ge=0, le=1000)
    max_rules: int | None = Field(None, ge=1, le=MAX_RULES_LIMIT)
    pair_antecedents: bool | None = None


class SuggestionOut(Schema):
    product: BasketProductOut
    rule: AssociationRuleOut
    score: float = Field(description="confidence × lift: the rank of the suggestion.")


class SuggestionsIn(Schema):
    product: list[int] = Field(
        default_factory=list, max_length=MAX_PRODUCTS, description="Product ids on the lines."
    )


# --- helpers ------------------------------------------------------------------------------------


def _membership(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _suggestions(found: list[sel.Suggestion]) -> list[dict[str, Any]]:
    return [{"product": s.product, "rule": s.rule, "score": s.score} for s in found]


READ = error_responses(*AUTH_ERRORS, 404, 422)


# --- endpoints ----------------------------------------------------------------------------------


@router.get(
    "/analytics/basket/rules",
    response={200: list[AssociationRuleOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset("-lift", "-id")
def list_basket_rules(
    request: HttpRequest, filters: Query[RuleFilterIn]
) -> QuerySet[AssociationRule]:
    """The rules of the latest mining run, strongest lift first."""
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    return sel.filtered_rules(
        membership,
        sel.RuleFilters(
            query=(filters.q or "").strip(),
            product=filters.product,
            min_support=filters.min_support,
            min_confidence=filters.min_confidence,
            min_lift=filters.min_lift,
        ),
    )


@router.post(
    "/analytics/basket/mine", response={202: BasketRunOut, **error_responses(*AUTH_ERRORS)}
)
def mine_basket_rules(request: HttpRequest) -> Status[BasketRun]:
    """Start a mining run (or return the one under way); poll it at /runs/{id}."""
    run = svc.request_mining(_membership(request))
    return Status(202, run)


@router.get("/analytics/basket/runs/{id}", response={200: BasketRunOut, **READ})
def get_basket_run(request: HttpRequest, id: int) -> BasketRun:
    return sel.get_run_for_user(_membership(request), id)


@router.get(
    "/analytics/basket/settings",
    response={200: BasketSettingsOut, **error_responses(*AUTH_ERRORS)},
)
def get_basket_settings(request: HttpRequest) -> Any:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    return sel.settings_of(membership.org_id)


@router.patch(
    "/analytics/basket/settings",
    response={200: BasketSettingsOut, **error_responses(*AUTH_ERRORS, 422)},
)
def update_basket_settings(request: HttpRequest, payload: BasketSettingsIn) -> Any:
    """Change the mining thresholds (they apply from the next run)."""
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return svc.update_settings(_membership(request), data)


@router.get(
    "/analytics/basket/suggestions",
    response={200: list[SuggestionOut], **error_responses(*AUTH_ERRORS, 422)},
)
def basket_suggestions(request: HttpRequest, filters: Query[SuggestionsIn]) -> Any:
    """Products that go with the given products (the lines of a quote or an order)."""
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    return _suggestions(sel.suggestions_for_products(membership, filters.product))


@router.get(
    "/analytics/basket/customers/{id}/suggestions",
    response={200: list[SuggestionOut], **READ},
)
def customer_basket_suggestions(request: HttpRequest, id: int) -> Any:
    """ "Customers who bought X also bought Y" for one customer."""
    from guanxi.parties.models import Party

    membership = _membership(request)
    party = get_visible_or_404(Party.objects.all(), membership, "party", pk=id)
    require_perm(membership, VIEW, ANALYTICS)
    return _suggestions(sel.suggestions_for_party(membership, party))
