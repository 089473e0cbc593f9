"""How quantities and percentages are shown on the documents' pages and print view."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from guanxi.sales import documents_services as services
from guanxi.sales.templatetags.sales_documents import plain
from tests.sales.documents_fixtures import *  # noqa: F403
from tests.sales.documents_fixtures import in_scope, line, make_order


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("20.000"), "20"),
        (Decimal("1.500"), "1.5"),
        (Decimal("0.000"), "0"),
        (Decimal("100.00"), "100"),
        (Decimal("12.25"), "12.25"),
        (None, ""),
        ("x", "x"),
    ],
)
def test_plain(value, shown):
    assert plain(value) == shown


def test_round_quantities_show_without_exponent(sales_client, sales_member, customer, printer):
    order = make_order(sales_member, customer, [line(printer, "20", discount_percent="10")])
    page = sales_client.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert "2E+1" not in page
    assert ">20 " in page
    printed = sales_client.get(reverse("sales:document_print", args=["order", order.pk]))
    assert "2E+1" not in printed.content.decode()
    with in_scope(order.org):
        row = order.lines.get()
    with pytest.raises(Exception) as caught:
        services.split_order(sales_member, order=order, quantities={row.pk: "30"})
    assert "At most 20 can move" in str(caught.value)
