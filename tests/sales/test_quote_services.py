"""Quote services: create, edit, status flow, convert (C5)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from guanxi.catalog.services import void_product
from guanxi.core.exceptions import DeletionRefused, StaleEdit
from guanxi.sales import documents_services as services
from guanxi.sales.models import Order, Quote, QuoteLine
from tests.sales.documents_fixtures import *  # noqa: F403
from tests.sales.documents_fixtures import in_scope, line, make_quote

D = Decimal


def test_create_quote_prices_lines_and_numbers_it(quote, printer, toner):
    assert quote.number.startswith("QT-")
    assert quote.status == Quote.Status.DRAFT
    with in_scope(quote.org):
        lines = list(quote.lines.order_by("position"))
    # 2 × 1999 −10% = 3598.20, tax 13% = 467.77; 3 × 299.50 = 898.50, tax 116.81
    assert [(x.product_id, x.net_amount, x.tax_amount) for x in lines] == [
        (printer.pk, D("3598.20"), D("467.77")),
        (toner.pk, D("898.50"), D("116.81")),
    ]
    assert lines[0].unit_price == D("1999.00")  # the list price by default
    assert lines[0].tax_rate == D("13.00")  # the product's tax rate by default
    assert quote.subtotal == D("4896.50")
    assert quote.discount_total == D("399.80")
    assert quote.tax_total == D("584.58")
    assert quote.total == D("5081.28")
    assert quote.valid_until is not None
    assert quote.valid_until > quote.date


def test_numbers_are_consecutive(sales_member, customer, printer):
    first = make_quote(sales_member, customer, [line(printer)])
    second = make_quote(sales_member, customer, [line(printer)])
    assert int(second.number.rsplit("-", 1)[1]) == int(first.number.rsplit("-", 1)[1]) + 1


@pytest.mark.parametrize(
    ("row", "key"),
    [
        ({"quantity": "-1"}, "lines.0.quantity"),
        ({"discount_percent": "150"}, "lines.0.discount_percent"),
        ({"unit_price": "-5"}, "lines.0.unit_price"),
        ({"tax_rate": "101"}, "lines.0.tax_rate"),
        ({"quantity": "abc"}, "lines.0.quantity"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(sales_member, customer, printer, row, key):
    with pytest.raises(ValidationError) as caught:
        make_quote(sales_member, customer, [line(printer, **{"quantity": "1", **row})])
    assert key in caught.value.message_dict
    with scopes_disabled():
        assert not Quote.all_objects.exists()
        assert not QuoteLine.objects.exists()


def test_foreign_and_voided_products_are_refused(
    sales_member, admin_member, customer, printer, toner, foreign_product
):
    void_product(product=toner, actor=admin_member.user)
    with pytest.raises(ValidationError) as caught:
        make_quote(sales_member, customer, [line(printer), line(foreign_product), line(toner)])
    errors = caught.value.message_dict
    assert "lines.1.product" in errors
    assert "lines.2.product" in errors
    assert "voided" in errors["lines.2.product"][0]
    assert "lines.0.product" not in errors


def test_unknown_product_key(sales_member, customer):
    with pytest.raises(ValidationError) as caught:
        make_quote(sales_member, customer, [{"product": 999999, "quantity": "1"}])
    assert "lines.0.product" in caught.value.message_dict


def test_no_lines_and_no_customer(sales_member, customer, printer):
    with pytest.raises(ValidationError) as caught:
        services.create_quote(sales_member, data={}, lines=[])
    assert {"party", "lines"} <= set(caught.value.message_dict)


def test_foreign_customer_is_refused(sales_member, foreign_customer, printer):
    with pytest.raises(ValidationError) as caught:
        make_quote(sales_member, foreign_customer, [line(printer)])
    assert "party" in caught.value.message_dict


def test_contact_of_another_customer(sales_member, customer, printer, org):
    from tests.sales.documents_fixtures import make_customer

    other = make_customer(org, name="另一家")
    from tests.activities.factories import make_contact

    stranger = make_contact(other, "李四")
    with pytest.raises(ValidationError) as caught:
        make_quote(sales_member, customer, [line(printer)], contact=stranger.pk)
    assert "contact" in caught.value.message_dict


def test_valid_until_before_date(sales_member, customer, printer):
    with pytest.raises(ValidationError) as caught:
        make_quote(
            sales_member, customer, [line(printer)], date="2025-05-10", valid_until="2025-05-01"
        )
    assert "valid_until" in caught.value.message_dict


def test_unknown_header_field(sales_member, customer, printer):
    with pytest.raises(ValidationError) as caught:
        make_quote(sales_member, customer, [line(printer)], total="1")
    assert "total" in caught.value.message_dict


def test_update_replaces_lines_and_recomputes(quote, sales_member, printer):
    with in_scope(quote.org):
        first = quote.lines.order_by("position").first()
    updated = services.update_quote(
        sales_member,
        quote=quote,
        data={"terms": "预付30%"},
        lines=[{"id": first.pk, "product": printer.pk, "quantity": "1", "unit_price": "100"}],
        expected_version=quote.version,
    )
    assert updated.total == D("113.00")
    assert updated.terms == "预付30%"
    with in_scope(quote.org):
        assert list(quote.lines.values_list("pk", flat=True)) == [first.pk]


def test_stale_edit_is_refused(quote, sales_member, printer):
    with pytest.raises(StaleEdit):
        services.update_quote(
            sales_member,
            quote=quote,
            data={"notes": "x"},
            lines=None,
            expected_version=quote.version - 1,
        )


def test_voided_product_already_on_the_quote_stays_editable(
    quote, sales_member, admin_member, printer
):
    void_product(product=printer, actor=admin_member.user)
    with in_scope(quote.org):
        rows = [
            {"id": x.pk, "product": x.product_id, "quantity": x.quantity}
            for x in quote.lines.order_by("position")
        ]
    services.update_quote(
        sales_member, quote=quote, data={}, lines=rows, expected_version=quote.version
    )


def test_line_of_another_document_is_refused(quote, sales_member, customer, printer):
    other = make_quote(sales_member, customer, [line(printer)])
    with in_scope(other.org):
        foreign_line = other.lines.first()
    with pytest.raises(ValidationError) as caught:
        services.update_quote(
            sales_member,
            quote=quote,
            data={},
            lines=[{"id": foreign_line.pk, "product": printer.pk, "quantity": "1"}],
            expected_version=quote.version,
        )
    assert "lines.0.id" in caught.value.message_dict


def test_status_flow(quote, sales_member):
    quote = services.set_quote_status(sales_member, quote=quote, status="sent")
    assert quote.sent_at is not None
    quote = services.set_quote_status(sales_member, quote=quote, status="accepted")
    with pytest.raises(services.DocumentRefused):
        services.set_quote_status(sales_member, quote=quote, status="sent")
    with pytest.raises(services.DocumentRefused):
        services.set_quote_status(sales_member, quote=quote, status="converted")


def test_accepted_quote_cannot_be_edited(quote, sales_member):
    services.set_quote_status(sales_member, quote=quote, status="accepted")
    with pytest.raises(services.DocumentRefused):
        services.update_quote(
            sales_member, quote=quote, data={}, lines=None, expected_version=quote.version
        )


def test_convert_to_order(quote, sales_member):
    order = services.convert_quote(sales_member, quote=quote)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.CONVERTED
    assert order.quote_id == quote.pk
    assert order.status == Order.Status.DRAFT
    assert order.number.startswith("SO-")
    assert order.total == quote.total
    assert order.contact_id == quote.contact_id
    with in_scope(order.org):
        assert order.lines.count() == 2
    with pytest.raises(services.DocumentRefused):
        services.convert_quote(sales_member, quote=quote)
    with pytest.raises(DeletionRefused):
        services.delete_quote(sales_member, quote=quote)


def test_convert_keeps_products_voided_since(quote, sales_member, admin_member, printer):
    void_product(product=printer, actor=admin_member.user)
    order = services.convert_quote(sales_member, quote=quote)
    assert order.total == quote.total


def test_delete_draft_quote(quote, sales_member):
    services.delete_quote(sales_member, quote=quote)
    with in_scope(quote.org):
        assert not Quote.objects.filter(pk=quote.pk).exists()


def test_quote_from_opportunity_copies_lines(sales_member, customer, contact, printer, org):
    from guanxi.sales.models import Opportunity, OpportunityLine, PipelineStage

    with in_scope(org):
        stage = PipelineStage.objects.create(org=org, name="初步接洽", position=1)
        opportunity = Opportunity.objects.create(
            org=org, name="打印机项目", party=customer, contact=contact, stage=stage
        )
        OpportunityLine.objects.create(
            org=org,
            opportunity=opportunity,
            product=printer,
            quantity=D("4"),
            unit_price=D("1800"),
            discount_percent=D("5"),
            tax_rate=D("13"),
        )
    quote = services.create_quote_from_opportunity(sales_member, opportunity=opportunity)
    assert quote.opportunity_id == opportunity.pk
    assert quote.contact_id == contact.pk
    assert quote.subtotal == D("7200.00")
    assert quote.discount_total == D("360.00")
    order = services.create_order_from_opportunity(sales_member, opportunity=opportunity)
    assert order.total == quote.total

    with in_scope(org):
        empty = Opportunity.objects.create(org=org, name="空", party=customer, stage=stage)
    with pytest.raises(ValidationError):
        services.create_quote_from_opportunity(sales_member, opportunity=empty)
