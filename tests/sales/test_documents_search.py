"""Quotes, orders and purchase orders in the global search box, by number."""

from __future__ import annotations

from django.test import RequestFactory
from django_scopes import scope

from guanxi.core.search import global_search
from tests.sales.documents_fixtures import *  # noqa: F403
from tests.sales.documents_fixtures import line, make_quote


def _request(membership):
    request = RequestFactory().get("/search/")
    request.membership = membership
    request.org = membership.org
    request.user = membership.user
    return request


def test_documents_are_found_by_number(
    org, sales_member, other_sales_member, quote, order, purchase_order, printer, customer
):
    theirs = make_quote(other_sales_member, customer, [line(printer)])
    with scope(org=org.pk):
        groups = {g.key: g for g in global_search(_request(sales_member), quote.number)}
        assert [hit.title for hit in groups["sales_quotes"].hits] == [quote.number]
        assert groups["sales_quotes"].hits[0].url == quote.get_absolute_url()
        assert "sales_purchase_orders" not in groups  # sales reps do not see them
        orders = global_search(_request(sales_member), order.number.split("-", 1)[1])
        assert {hit.title for g in orders for hit in g.hits} >= {order.number}
        # another rep's quote stays hidden (own records only)
        hidden = global_search(_request(sales_member), theirs.number)
        assert theirs.number not in {hit.title for g in hidden for hit in g.hits}
