"""Quote pages: list (sort, filters, keyset, query count), the line editor, detail and
actions, print view, PDF (and its fallback), sending by e-mail to a real SMTP server."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from guanxi.activities.models import Activity
from guanxi.catalog.services import void_product
from guanxi.sales import pdf as pdf_module
from guanxi.sales.models import Order, Quote, QuoteLine, SalesSettings
from tests.conftest import login
from tests.sales.documents_fixtures import *  # noqa: F403
from tests.sales.documents_fixtures import in_scope, line, make_customer, make_quote

D = Decimal


def _post_data(party, contact=None, rows=(), **header):
    data = {
        "party": party.pk,
        "contact": contact.pk if contact else "",
        "date": "2026-03-02",
        "valid_until": "2026-04-01",
        "terms": "款到发货",
        "notes": "",
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{index}-{key}"] = value
    data.update(header)
    return data


def test_create_quote_with_two_lines(sales_client, customer, contact, printer, toner):
    url = reverse("sales:quote_create")
    page = sales_client.get(f"{url}?party={customer.pk}")
    assert page.status_code == 200
    assert customer.name in page.content.decode()
    response = sales_client.post(
        url,
        _post_data(
            customer,
            contact,
            [
                {
                    "product": printer.pk,
                    "quantity": "2",
                    "unit_price": "1999",
                    "discount_percent": "10",
                    "tax_rate": "13",
                },
                {
                    "product": toner.pk,
                    "quantity": "3",
                    "unit_price": "",
                    "discount_percent": "",
                    "tax_rate": "",
                },
                {"product": "", "quantity": "", "unit_price": ""},  # a blank row is skipped
            ],
        ),
    )
    assert response.status_code == 302
    with scopes_disabled():
        quote = Quote.objects.get()
    assert response["Location"] == reverse("sales:quote_detail", args=[quote.pk])
    assert quote.total == D("5081.28")
    detail = sales_client.get(response["Location"])
    assert "5,081.28" in detail.content.decode()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"quantity": "-2"}, "cannot be negative"),
        ({"discount_percent": "120"}, "between 0 and 100"),
        ({"unit_price": "-1"}, "cannot be negative"),
        ({"tax_rate": "150"}, "between 0 and 100"),
    ],
)
def test_bad_lines_show_field_errors(sales_client, customer, printer, row, message):
    values = {
        "product": printer.pk,
        "quantity": "1",
        "unit_price": "10",
        "discount_percent": "0",
        "tax_rate": "13",
        **row,
    }
    response = sales_client.post(
        reverse("sales:quote_create"), _post_data(customer, None, [values])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="line-error"' in body
    assert message in body
    with scopes_disabled():
        assert not Quote.all_objects.exists()
        assert not QuoteLine.objects.exists()


def test_foreign_and_voided_products_show_field_errors(
    sales_client, admin_member, customer, printer, foreign_product
):
    void_product(product=printer, actor=admin_member.user)
    response = sales_client.post(
        reverse("sales:quote_create"),
        _post_data(
            customer,
            None,
            [
                {"product": printer.pk, "quantity": "1"},
                {"product": foreign_product.pk, "quantity": "1"},
            ],
        ),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "voided" in body
    assert "Choose a product of your organisation." in body
    with scopes_disabled():
        assert not Quote.all_objects.exists()


def test_no_lines_and_hidden_customer(sales_client, org, other_sales_member, printer):
    hidden = make_customer(org, other_sales_member.user, name="别人的客户")
    response = sales_client.post(reverse("sales:quote_create"), _post_data(hidden, None, []))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose a customer you may see." in body
    with scopes_disabled():
        assert not Quote.all_objects.exists()


def test_empty_document_is_refused(sales_client, customer):
    response = sales_client.post(reverse("sales:quote_create"), _post_data(customer, None, []))
    assert "Add at least one line." in response.content.decode()


def test_create_prefilled_from_an_opportunity(sales_client, org, customer, contact, printer):
    from guanxi.sales.models import Opportunity, OpportunityLine, PipelineStage

    with in_scope(org):
        stage = PipelineStage.objects.create(org=org, name="方案", position=1)
        opportunity = Opportunity.objects.create(
            org=org,
            name="打印机项目",
            party=customer,
            contact=contact,
            stage=stage,
            owner=customer.owner,
        )
        OpportunityLine.objects.create(
            org=org,
            opportunity=opportunity,
            product=printer,
            quantity=D("4"),
            unit_price=D("1800"),
            tax_rate=D("13"),
        )
    page = sales_client.get(f"{reverse('sales:quote_create')}?opportunity={opportunity.pk}")
    assert page.status_code == 200
    assert "1800.00" in page.content.decode()
    response = sales_client.post(reverse("sales:quote_from_opportunity", args=[opportunity.pk]))
    assert response.status_code == 302
    with scopes_disabled():
        quote = Quote.objects.get()
    assert quote.opportunity_id == opportunity.pk
    assert quote.subtotal == D("7200.00")


def test_list_sorts_filters_and_pages(sales_client, sales_member, org, printer, settings):
    settings.GUANXI_PAGE_SIZE = 5
    names = ["甲公司", "乙公司", "丙公司"]
    customers = [make_customer(org, sales_member.user, name=n) for n in names]
    for i in range(7):
        make_quote(
            sales_member,
            customers[i % 3],
            [line(printer, i + 1)],
            date=(datetime.date(2026, 1, 1) + datetime.timedelta(days=i)).isoformat(),
        )
    url = reverse("sales:quote_list")
    first = sales_client.get(url)
    assert first.status_code == 200
    assert first.content.decode().count('data-testid="quote-row"') == 5
    cursor = first.context["page"].next_cursor
    assert cursor
    second = sales_client.get(url, {"cursor": cursor})
    assert second.content.decode().count('data-testid="quote-row"') == 2
    by_total = sales_client.get(url, {"sort": "-total"})
    totals = [q.total for q in by_total.context["page"]]
    assert totals == sorted(totals, reverse=True)
    by_customer = sales_client.get(url, {"sort": "customer"})
    names_sorted = [q.party.short_name for q in by_customer.context["page"]]
    assert names_sorted == sorted(names_sorted)
    by_number = sales_client.get(url, {"sort": "number"})
    numbers = [q.number for q in by_number.context["page"]]
    assert numbers == sorted(numbers)
    filtered = sales_client.get(url, {"q": "乙公司"})
    assert {q.party.name for q in filtered.context["page"]} == {"乙公司"}
    only_party = sales_client.get(url, {"party": customers[0].pk})
    assert {q.party_id for q in only_party.context["page"]} == {customers[0].pk}
    partial = sales_client.get(url, {"sort": "status"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert b"document-rows" in partial.content
    assert b"<html" not in partial.content


def test_list_query_count_does_not_grow(
    sales_client, sales_member, customer, printer, django_assert_max_num_queries
):
    for _ in range(3):
        make_quote(sales_member, customer, [line(printer)])
    url = reverse("sales:quote_list")
    sales_client.get(url)
    with django_assert_max_num_queries(20) as few:
        sales_client.get(url)
    for _ in range(12):
        make_quote(sales_member, customer, [line(printer)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        sales_client.get(url)


def test_visibility(
    client, sales_client, quote, other_sales_member, foreign_member, readonly_member
):
    url = reverse("sales:quote_detail", args=[quote.pk])
    assert sales_client.get(url).status_code == 200
    assert login(client, other_sales_member).get(url).status_code == 404
    from django.test import Client

    foreign = login(Client(), foreign_member)
    assert foreign.get(url).status_code == 404
    assert foreign.get(reverse("sales:quote_edit", args=[quote.pk])).status_code == 404
    assert foreign.post(reverse("sales:quote_convert", args=[quote.pk])).status_code == 404
    assert foreign.get(reverse("sales:document_print", args=["quote", quote.pk])).status_code == 404
    viewer = login(Client(), readonly_member)
    assert viewer.get(url).status_code == 200
    assert viewer.get(reverse("sales:quote_create")).status_code == 403
    assert viewer.post(reverse("sales:quote_convert", args=[quote.pk])).status_code == 403


def test_edit_and_stale_edit(sales_client, quote, printer):
    url = reverse("sales:quote_edit", args=[quote.pk])
    page = sales_client.get(url)
    assert page.status_code == 200
    with in_scope(quote.org):
        first = quote.lines.order_by("position").first()
    row = {
        "id": first.pk,
        "product": printer.pk,
        "quantity": "1",
        "unit_price": "100",
        "discount_percent": "0",
        "tax_rate": "0",
    }
    data = _post_data(quote.party, None, [row], version=quote.version)
    data["lines-INITIAL_FORMS"] = "1"
    response = sales_client.post(url, data)
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.total == D("100.00")
    stale = sales_client.post(url, {**data, "version": quote.version - 1})
    assert stale.status_code == 200
    assert "Someone else changed this record" in stale.content.decode()


def test_status_convert_and_delete(sales_client, quote):
    detail = reverse("sales:quote_detail", args=[quote.pk])
    sales_client.post(reverse("sales:quote_status", args=[quote.pk]), {"status": "sent"})
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT
    wrong = sales_client.post(
        reverse("sales:quote_status", args=[quote.pk]), {"status": "converted"}, follow=True
    )
    assert "cannot become" in wrong.content.decode()
    response = sales_client.post(reverse("sales:quote_convert", args=[quote.pk]))
    with scopes_disabled():
        order = Order.objects.get()
    assert response["Location"] == reverse("sales:order_detail", args=[order.pk])
    quote.refresh_from_db()
    assert quote.status == Quote.Status.CONVERTED
    page = sales_client.get(detail)
    assert order.number in page.content.decode()
    refused = sales_client.post(reverse("sales:quote_delete", args=[quote.pk]), follow=True)
    assert "converted to an order" in refused.content.decode()


def test_delete_draft(sales_client, quote):
    response = sales_client.post(reverse("sales:quote_delete", args=[quote.pk]))
    assert response["Location"] == reverse("sales:quote_list")
    with scopes_disabled():
        assert Quote.all_objects.get().deleted_at is not None


def test_print_view(sales_client, quote, org):
    response = sales_client.get(reverse("sales:document_print", args=["quote", quote.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert org.name in body
    assert quote.number in body
    assert "王芳" in body
    assert "5,081.28" in body
    assert "款到发货" in body
    assert "documents_print.css" in body
    assert (
        sales_client.get(reverse("sales:document_print", args=["nope", quote.pk])).status_code
        == 404
    )


def test_pdf_download(sales_client, quote):
    response = sales_client.get(reverse("sales:document_pdf", args=["quote", quote.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert quote.number in response["Content-Disposition"]


def test_pdf_fallback_without_weasyprint(sales_client, quote, monkeypatch):
    monkeypatch.setattr(pdf_module, "_weasyprint", lambda: None)
    response = sales_client.get(reverse("sales:document_pdf", args=["quote", quote.pk]))
    assert response.status_code == 503
    body = response.content.decode()
    assert "PDF is not available" in body
    assert reverse("sales:document_print", args=["quote", quote.pk]) in body
    printed = sales_client.get(reverse("sales:document_print", args=["quote", quote.pk]))
    assert 'data-testid="pdf-link"' not in printed.content.decode()


def test_price_preview(sales_client, printer):
    data = {
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": printer.pk,
        "lines-0-quantity": "2",
        "lines-0-unit_price": "99.99",
        "lines-0-discount_percent": "10",
        "lines-0-tax_rate": "13",
        "lines-1-product": printer.pk,
        "lines-1-quantity": "1",
        "lines-1-unit_price": "10",
        "lines-1-discount_percent": "150",
        "lines-2-product": printer.pk,
        "lines-2-quantity": "1",
        "lines-2-unit_price": "0.125",
        "lines-2-tax_rate": "0",
    }
    answer = sales_client.post(reverse("sales:document_price_preview"), data).json()
    row = answer["lines"]["0"]
    assert (row["net"], row["tax"], row["total"], row["discount"]) == (
        "179.98",
        "23.40",
        "203.38",
        "20.00",
    )
    assert row["display"]["total"] == "203.38"
    assert "discount_percent" in answer["lines"]["1"]["errors"]
    assert "unit_price" in answer["lines"]["2"]["errors"]  # three decimals
    assert answer["totals"]["total"] == "203.38"
    big = sales_client.post(
        reverse("sales:document_price_preview"),
        {
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": printer.pk,
            "lines-0-quantity": "3",
            "lines-0-unit_price": "1999",
            "lines-0-tax_rate": "0",
        },
    ).json()
    assert big["totals_display"]["total"] == "5,997.00"  # as the English pages show it
    purchase = sales_client.post(
        reverse("sales:document_price_preview"),
        {
            "purchase": "1",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": printer.pk,
            "lines-0-quantity": "10",
            "lines-0-list_price": "200",
            "lines-0-discount_percent": "15",
            "lines-0-tax_rate": "13",
        },
    ).json()
    assert purchase["lines"]["0"]["unit_price"] == "170.00"
    assert purchase["totals"]["total"] == "1921.00"


def test_party_and_contact_options(sales_client, customer, contact, supplier):
    options = sales_client.get(reverse("sales:document_party_options"), {"party_q": "华联"})
    body = options.content.decode()
    assert customer.name in body
    assert "王芳" in body
    suppliers = sales_client.get(
        reverse("sales:document_party_options"), {"party_q": "供应链", "role": "supplier"}
    )
    contacts = sales_client.get(reverse("sales:document_contact_options"), {"party": customer.pk})
    assert "王芳" in contacts.content.decode()
    assert suppliers.status_code == 200


# --- sending by e-mail -----------------------------------------------------------------


def _send(client, quote, **fields):
    data = {
        "to": "wangfang@example.test",
        "cc": "",
        "subject": f"报价单 {quote.number}",
        "message": "王经理您好，附件是报价单。",
        "attach": "pdf",
        **fields,
    }
    return client.post(reverse("sales:quote_send", args=[quote.pk]), data)


def _use_org_server(org, port, **fields):
    with in_scope(org):
        row, _created = SalesSettings.objects.get_or_create(org=org)
        row.smtp_host = "127.0.0.1"
        row.smtp_port = port
        row.smtp_from = "sales@acme.example"
        for key, value in fields.items():
            setattr(row, key, value)
        row.save()


def test_send_form_is_prefilled(sales_client, quote):
    page = sales_client.get(reverse("sales:quote_send", args=[quote.pk]))
    assert page.status_code == 200
    assert page.context["form"].initial["to"] == "wangfang@example.test"
    assert quote.number in page.context["form"].initial["subject"]


def test_send_through_the_organisations_server(sales_client, quote, org, smtp_server, settings):
    port = settings.EMAIL_PORT
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # not used
    _use_org_server(org, port)
    response = _send(sales_client, quote)
    assert response.status_code == 302
    assert len(smtp_server.envelopes) == 1
    envelope = smtp_server.envelopes[0]
    assert envelope.mail_from == "sales@acme.example"
    assert envelope.rcpt_tos == ["wangfang@example.test"]
    raw = envelope.content.decode("utf-8", "replace")
    assert "application/pdf" in raw
    assert f"{quote.number}.pdf" in raw
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT
    assert quote.sent_at is not None
    with in_scope(org):
        record = Activity.objects.get(party=quote.party)
    assert record.channel == Activity.Channel.EMAIL
    assert quote.number in record.subject


def test_send_falls_back_to_the_installation_and_html(
    sales_client,
    quote,
    smtp_server,
    monkeypatch,
):
    monkeypatch.setattr(pdf_module, "_weasyprint", lambda: None)
    response = _send(sales_client, quote, attach="pdf", cc="boss@example.test")
    assert response.status_code == 302
    envelope = smtp_server.envelopes[0]
    assert sorted(envelope.rcpt_tos) == ["boss@example.test", "wangfang@example.test"]
    raw = envelope.content.decode("utf-8", "replace")
    assert f"{quote.number}.html" in raw
    assert "application/pdf" not in raw


def test_send_to_a_dead_server_records_nothing(sales_client, quote, org):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    _use_org_server(org, dead_port)
    response = _send(sales_client, quote)
    assert response.status_code == 200
    assert "did not accept the message" in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DRAFT
    with in_scope(org):
        assert not Activity.objects.exists()


def test_send_bad_address(sales_client, quote):
    response = _send(sales_client, quote, to="not-an-address")
    assert response.status_code == 200
    assert "is not an e-mail address" in response.content.decode()
