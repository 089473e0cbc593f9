"""The product picker other apps' line editors use (quotes, orders, stock documents).

GET `catalog:product_search?q=…` answers JSON: {"results": [{id, code, name, model,
spec, unit, list_price, cost_price, tax_rate, kind, serial_tracked}]}, usable products
only (not voided, not deleted). An htmx request gets an HTML fragment of the same
results instead (`catalog/picker/results.html`), each row carrying the values in
data- attributes.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from guanxi.catalog.models import Product
from guanxi.catalog.selectors import product_picker_results
from guanxi.core.permissions import VIEW, require_perm

MAX_RESULTS = 50


def picker_row(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk,
        "code": product.code,
        "name": product.name,
        "model": product.model,
        "spec": product.spec,
        "unit": product.unit,
        "list_price": str(product.list_price),
        "cost_price": str(product.cost_price),
        "tax_rate": str(product.tax_rate),
        "kind": product.kind,
        "serial_tracked": product.serial_tracked,
    }


@login_required
@require_GET
def product_search(request: HttpRequest) -> HttpResponse:
    membership = getattr(request, "membership", None)
    require_perm(membership, VIEW, "product")
    query = request.GET.get("q", "")
    try:
        limit = max(1, min(int(request.GET.get("limit", 20)), MAX_RESULTS))
    except ValueError:
        limit = 20
    products = product_picker_results(membership, query, limit=limit)
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        return render(
            request,
            "catalog/picker/results.html",
            {"products": products, "query": query, "target": request.GET.get("target", "")},
        )
    return JsonResponse({"results": [picker_row(p) for p in products]})
