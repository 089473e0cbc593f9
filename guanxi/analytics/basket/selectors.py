"""Reading the basket rules: the rules page, the latest run, the settings and the
cross-sell suggestions for a customer or for the lines of a quote or order.

Rules are organisation-wide statistics over all baskets (no rule names a customer or a
document). What a member sees of them follows the products: a rule shows only when the
member may see every product in it and none of them is voided or deleted. Suggestions
for a customer start from the purchases the member may see (the customer's documents
follow "stock_document" visibility), so a suggestion never reveals a hidden purchase.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F, FloatField, Q, QuerySet
from django.db.models.expressions import ExpressionWrapper

from guanxi.analytics.basket.models import AssociationRule, BasketRun, BasketSettings
from guanxi.analytics.facts import purchase_events
from guanxi.analytics.registrations import ANALYTICS
from guanxi.catalog.models import Product
from guanxi.core.permissions import VIEW, MembershipLike, has_perm, visible
from guanxi.stock.models import StockDocumentLine

# Sort keys of the rules list: name → keyset ordering (a unique tie-breaker last).
SORTS: dict[str, tuple[str, ...]] = {
    "lift": ("-lift", "-id"),
    "confidence": ("-confidence", "-id"),
    "support": ("-support", "-id"),
    "count": ("-count", "-id"),
}
DEFAULT_SORT = "lift"
SCORE = ExpressionWrapper(F("confidence") * F("lift"), output_field=FloatField())


@dataclass(frozen=True)
class RuleFilters:
    query: str = ""
    product: int | None = None
    min_support: float | None = None
    min_confidence: float | None = None
    min_lift: float | None = None


@dataclass(frozen=True)
class Suggestion:
    """A product to offer and the rule that suggests it (its reason)."""

    product: Product
    rule: AssociationRule

    @property
    def score(self) -> float:
        return self.rule.score


def settings_of(org_id: int) -> BasketSettings:
    """The organisation's thresholds (unsaved defaults until someone changes them)."""
    found = BasketSettings.objects.filter(org_id=org_id).first()
    return found or BasketSettings(org_id=org_id)


def latest_run(org_id: int) -> BasketRun | None:
    return BasketRun.objects.filter(org_id=org_id).order_by("-created_at", "-id").first()


def get_run_for_user(membership: MembershipLike | None, pk: Any) -> BasketRun:
    from django.http import Http404

    if membership is None or not has_perm(membership, VIEW, ANALYTICS):
        raise Http404
    try:
        return BasketRun.objects.get(org_id=membership.org_id, pk=pk)
    except (BasketRun.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def suggestable_products(membership: MembershipLike | None) -> QuerySet[Product]:
    """Products a rule may show to the member: visible, live and not voided."""
    return visible(Product.objects.filter(is_voided=False), membership, "product")


def visible_rules(membership: MembershipLike | None) -> QuerySet[AssociationRule]:
    """The organisation's rules whose products the member may all see."""
    if membership is None or not has_perm(membership, VIEW, ANALYTICS):
        return AssociationRule.objects.none()
    products = suggestable_products(membership).values("pk")
    return (
        AssociationRule.objects.filter(org_id=membership.org_id)
        .filter(antecedent__in=products, consequent__in=products)
        .filter(Q(antecedent_2__isnull=True) | Q(antecedent_2__in=products))
        .select_related("antecedent", "antecedent_2", "consequent")
    )


def filtered_rules(
    membership: MembershipLike | None, filters: RuleFilters
) -> QuerySet[AssociationRule]:
    qs = visible_rules(membership)
    if filters.query:
        q = filters.query
        qs = qs.filter(
            Q(antecedent__name__icontains=q)
            | Q(antecedent__code__icontains=q)
            | Q(antecedent_2__name__icontains=q)
            | Q(antecedent_2__code__icontains=q)
            | Q(consequent__name__icontains=q)
            | Q(consequent__code__icontains=q)
        )
    if filters.product is not None:
        p = filters.product
        qs = qs.filter(Q(antecedent_id=p) | Q(antecedent_2_id=p) | Q(consequent_id=p))
    if filters.min_support is not None:
        qs = qs.filter(support__gte=filters.min_support)
    if filters.min_confidence is not None:
        qs = qs.filter(confidence__gte=filters.min_confidence)
    if filters.min_lift is not None:
        qs = qs.filter(lift__gte=filters.min_lift)
    return qs


def chart_rules(
    membership: MembershipLike | None, filters: RuleFilters, limit: int = 300
) -> list[AssociationRule]:
    """The strongest rules (by lift) for the scatter chart."""
    return list(filtered_rules(membership, filters).order_by("-lift", "-id")[:limit])


def _rank(rules: Iterable[AssociationRule], exclude: set[int], limit: int) -> list[Suggestion]:
    """One suggestion per product, best reason first (confidence × lift)."""
    seen: set[int] = set()
    found: list[Suggestion] = []
    for rule in rules:
        if rule.consequent_id in seen or rule.consequent_id in exclude:
            continue
        seen.add(rule.consequent_id)
        found.append(Suggestion(product=rule.consequent, rule=rule))
        if len(found) >= limit:
            break
    return found


def _suggest(
    membership: MembershipLike | None, have: set[int], exclude: set[int], limit: int
) -> list[Suggestion]:
    if not have:
        return []
    rules = (
        visible_rules(membership)
        .filter(antecedent_id__in=have)
        .filter(Q(antecedent_2__isnull=True) | Q(antecedent_2_id__in=have))
        .exclude(consequent_id__in=have | exclude)
        .annotate(rank=SCORE)
        .order_by("-rank", "-count", "id")
    )
    return _rank(rules[: limit * 10], exclude | have, limit)


def suggestions_for_products(
    membership: MembershipLike | None, product_ids: Sequence[int], limit: int = 5
) -> list[Suggestion]:
    """What to offer with the lines entered so far: products the rules say go with them."""
    return _suggest(membership, set(product_ids), set(), limit)


def purchased_products(party: Any, membership: MembershipLike | None = None) -> set[int]:
    """Products on the customer's purchases (only the documents the member may see, when a
    member is given)."""
    events = purchase_events().filter(party_id=party.pk)
    if membership is not None:
        events = visible(events, membership, "stock_document")
    return set(
        StockDocumentLine.objects.filter(document__in=events.values("pk"))
        .values_list("product_id", flat=True)
        .distinct()
    )


def suggestions_for_party(
    membership: MembershipLike | None, party: Any, limit: int = 10
) -> list[Suggestion]:
    """ "Customers who bought X also bought Y": from the products the customer bought (that
    the member may see), the consequents the customer never bought, best first."""
    if membership is None or not has_perm(membership, VIEW, ANALYTICS):
        return []
    seen_bought = purchased_products(party, membership)
    all_bought = purchased_products(party)
    return _suggest(membership, seen_bought, all_bought - seen_bought, limit)
