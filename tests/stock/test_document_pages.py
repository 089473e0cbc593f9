"""The stock document pages: list per kind, the editor, post, reverse, correct, returns,
drafts from orders and purchase orders; permissions and other organisations."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope

from guanxi.stock.models import StockDocument
from tests.conftest import login
from tests.factories import make_member
from tests.stock.helpers import (
    DAY,
    Kind,
    balance,
    deliver,
    draft,
    line,
    on_hand,
    receive,
    stocked,
)

pytestmark = pytest.mark.django_db
D = Decimal


def _formset(rows: list[dict], prefix: str = "lines") -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def test_list_shows_each_kind_in_its_tab(admin_client, org, user, supplier, customer, widget):
    receive(org, user, supplier, widget, 5)
    deliver(org, user, customer, widget, 2)
    response = admin_client.get(reverse("stock:document_list") + "?kind=purchase_receipt")
    assert response.status_code == 200
    rows = response.content.decode().count('data-testid="document-row"')
    assert rows == 1
    response = admin_client.get(reverse("stock:document_list") + "?kind=sales_delivery")
    assert "上海华联" in response.content.decode()


def test_list_is_paged_and_keeps_its_query_count(
    admin_client, org, user, supplier, widget, settings, django_assert_max_num_queries
):
    settings.GUANXI_PAGE_SIZE = 5
    for _ in range(8):
        draft(org, user, Kind.PURCHASE_RECEIPT, [line(widget, 1)], party=supplier.pk)
    url = reverse("stock:document_list") + "?kind=purchase_receipt"
    with django_assert_max_num_queries(12):
        response = admin_client.get(url)
    page = response.context["page"]
    assert len(page.items) == 5
    assert page.next_cursor
    second = admin_client.get(url + f"&cursor={page.next_cursor}")
    assert len(second.context["page"].items) == 3


def test_list_filters_by_status_and_search(admin_client, org, user, supplier, widget):
    posted_doc = receive(org, user, supplier, widget, 1)
    draft(org, user, Kind.PURCHASE_RECEIPT, [line(widget, 1)], party=supplier.pk)
    url = reverse("stock:document_list")
    response = admin_client.get(url, {"kind": "purchase_receipt", "status": "posted"})
    assert [d.pk for d in response.context["page"]] == [posted_doc.pk]
    response = admin_client.get(url, {"kind": "purchase_receipt", "q": posted_doc.number})
    assert [d.pk for d in response.context["page"]] == [posted_doc.pk]
    # the htmx request gets just the rows
    response = admin_client.get(url, {"kind": "purchase_receipt"}, headers={"HX-Request": "true"})
    assert b"<html" not in response.content


def test_create_draft_through_the_editor(admin_client, org, supplier, widget, main_warehouse):
    data = {
        "kind": "purchase_receipt",
        "date": "2026-03-02",
        "party": str(supplier.pk),
        "warehouse": str(main_warehouse.pk),
        "notes": "首批",
        **_formset(
            [{"product": str(widget.pk), "quantity": "4", "unit_price": "80", "tax_rate": "13"}]
        ),
    }
    response = admin_client.post(reverse("stock:document_create") + "?kind=purchase_receipt", data)
    assert response.status_code == 302
    with scope(org=org.pk):
        doc = StockDocument.objects.get()
    assert doc.status == StockDocument.Status.DRAFT
    assert doc.total == D("361.60")
    assert on_hand(org, widget) == 0
    page = admin_client.get(doc.get_absolute_url())
    assert page.status_code == 200
    assert 'data-testid="post-document"' in page.content.decode()


def test_save_and_post_posts_at_once(admin_client, org, supplier, widget, main_warehouse):
    data = {
        "kind": "purchase_receipt",
        "date": "2026-03-02",
        "party": str(supplier.pk),
        "warehouse": str(main_warehouse.pk),
        "then": "post",
        **_formset([{"product_search": widget.code, "quantity": "3", "unit_price": "10"}]),
    }
    response = admin_client.post(reverse("stock:document_create") + "?kind=purchase_receipt", data)
    assert response.status_code == 302
    assert on_hand(org, widget) == 3


def test_editor_errors_land_on_the_line_fields(admin_client, org, supplier, widget, main_warehouse):
    data = {
        "kind": "purchase_receipt",
        "date": "2026-03-02",
        "party": str(supplier.pk),
        "warehouse": str(main_warehouse.pk),
        **_formset(
            [
                {"product": str(widget.pk), "quantity": "-2", "unit_price": "10"},
                {"product": str(widget.pk), "quantity": "1", "discount_percent": "120"},
            ]
        ),
    }
    response = admin_client.post(reverse("stock:document_create") + "?kind=purchase_receipt", data)
    assert response.status_code == 422
    formset = response.context["formset"]
    assert formset.forms[0].errors["quantity"]
    assert "between 0 and 100" in formset.forms[1].errors["discount_percent"][0]
    with scope(org=org.pk):
        assert not StockDocument.objects.exists()


def test_unknown_product_code_is_a_field_error(admin_client, org, supplier, main_warehouse):
    data = {
        "kind": "purchase_receipt",
        "date": "2026-03-02",
        "party": str(supplier.pk),
        "warehouse": str(main_warehouse.pk),
        **_formset([{"product_search": "NO-SUCH", "quantity": "1"}]),
    }
    response = admin_client.post(reverse("stock:document_create") + "?kind=purchase_receipt", data)
    assert response.status_code == 422
    assert response.context["formset"].forms[0].errors["product_search"]


def test_posting_an_empty_draft_shows_a_clear_error(admin_client, org, user, customer):
    doc = draft(org, user, Kind.SALES_DELIVERY, [], party=customer.pk)
    response = admin_client.post(reverse("stock:document_post", args=[doc.pk]), follow=True)
    assert "at least one line" in response.content.decode()
    doc.refresh_from_db()
    assert doc.status == StockDocument.Status.DRAFT


def test_post_reverse_and_correct_from_the_pages(
    admin_client, org, user, supplier, customer, widget
):
    receive(org, user, supplier, widget, 10)
    doc = draft(
        org,
        user,
        Kind.SALES_DELIVERY,
        [line(widget, 4, unit_price="100", tax_rate="0")],
        party=customer.pk,
    )
    admin_client.post(reverse("stock:document_post", args=[doc.pk]))
    assert on_hand(org, widget) == 6
    # the correction page starts from the posted lines
    page = admin_client.get(reverse("stock:document_correct", args=[doc.pk]))
    assert page.status_code == 200
    doc.refresh_from_db()
    data = {
        "date": "2026-03-02",
        "party": str(customer.pk),
        "warehouse": str(doc.warehouse_id),
        "version": str(doc.version),
        "reason": "少发了一台",
        **_formset(
            [{"product": str(widget.pk), "quantity": "3", "unit_price": "100", "tax_rate": "0"}]
        ),
    }
    response = admin_client.post(reverse("stock:document_correct", args=[doc.pk]), data)
    assert response.status_code == 302
    assert on_hand(org, widget) == 7
    assert balance(org, customer) == D("300.00")
    with scope(org=org.pk):
        correction = StockDocument.objects.get(corrects=doc)
    detail = admin_client.get(correction.get_absolute_url()).content.decode()
    assert detail.count('data-testid="chain-item"') == 3
    # reverse the correction too
    response = admin_client.post(
        reverse("stock:document_reverse", args=[correction.pk]), {"reason": "取消"}
    )
    assert response.status_code == 302
    assert on_hand(org, widget) == 10
    assert balance(org, customer) == 0


def test_reverse_page_refuses_a_second_reversal(admin_client, org, user, supplier, widget):
    doc = receive(org, user, supplier, widget, 1)
    admin_client.post(reverse("stock:document_reverse", args=[doc.pk]), {"reason": "错"})
    response = admin_client.post(reverse("stock:document_reverse", args=[doc.pk]), {"reason": "错"})
    assert response.status_code == 422
    assert "already been reversed" in response.content.decode()


def test_edit_a_draft_and_refuse_a_stale_edit(admin_client, org, user, supplier, widget):
    doc = draft(org, user, Kind.PURCHASE_RECEIPT, [line(widget, 1)], party=supplier.pk)
    url = reverse("stock:document_edit", args=[doc.pk])
    assert admin_client.get(url).status_code == 200
    data = {
        "date": "2026-03-05",
        "party": str(supplier.pk),
        "warehouse": str(doc.warehouse_id),
        "version": str(doc.version),
        **_formset([{"product": str(widget.pk), "quantity": "7", "unit_price": "5"}]),
    }
    assert admin_client.post(url, data).status_code == 302
    doc.refresh_from_db()
    assert doc.date == datetime.date(2026, 3, 5)
    with scope(org=org.pk):
        assert doc.lines.get().quantity == 7
    stale = admin_client.post(url, data)
    assert stale.status_code == 422
    assert "Someone else changed" in stale.content.decode()


def test_delete_a_draft(admin_client, org, user, supplier, widget):
    doc = draft(org, user, Kind.PURCHASE_RECEIPT, [line(widget, 1)], party=supplier.pk)
    response = admin_client.post(reverse("stock:document_delete", args=[doc.pk]))
    assert response.status_code == 302
    with scope(org=org.pk):
        assert not StockDocument.objects.filter(pk=doc.pk).exists()


def test_transfer_and_adjustment_pages(
    admin_client, org, user, supplier, widget, main_warehouse, south
):
    receive(org, user, supplier, widget, 5)
    for kind in ("transfer", "adjustment"):
        assert (
            admin_client.get(reverse("stock:document_create") + f"?kind={kind}").status_code == 200
        )
    data = {
        "kind": "transfer",
        "date": "2026-03-02",
        "warehouse": str(main_warehouse.pk),
        "to_warehouse": str(south.pk),
        "then": "post",
        **_formset([{"product": str(widget.pk), "quantity": "2"}]),
    }
    assert (
        admin_client.post(reverse("stock:document_create") + "?kind=transfer", data).status_code
        == 302
    )
    assert on_hand(org, widget, south) == 2
    data = {
        "kind": "adjustment",
        "date": "2026-03-02",
        "warehouse": str(main_warehouse.pk),
        "then": "post",
        **_formset([{"product": str(widget.pk), "quantity": "-1"}]),
    }
    assert (
        admin_client.post(reverse("stock:document_create") + "?kind=adjustment", data).status_code
        == 302
    )
    assert on_hand(org, widget, main_warehouse) == 2


def test_return_against_a_delivery_is_prefilled(admin_client, org, user, supplier, customer, phone):
    receive(org, user, supplier, phone, 2, line={"serials": ["P1", "P2"]})
    delivery = deliver(org, user, customer, phone, 2, line={"serials": ["P1", "P2"]})
    url = reverse("stock:return_from_document", args=[delivery.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    initial = page.context["formset"].forms[0].initial
    assert initial["quantity"] == "2"
    assert initial["source_line"]
    data = {
        "date": "2026-03-03",
        "party": str(customer.pk),
        "warehouse": str(delivery.warehouse_id),
        "then": "post",
        **_formset(
            [
                {
                    "product": str(phone.pk),
                    "quantity": "1",
                    "serials": "P2",
                    "source_line": str(initial["source_line"]),
                    "unit_price": "150",
                    "tax_rate": "0",
                }
            ]
        ),
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert on_hand(org, phone) == 1
    with scope(org=org.pk):
        ret = StockDocument.objects.get(kind=Kind.SALES_RETURN)
    assert ret.return_of_id == delivery.pk


def test_delivery_from_order_prefills_the_undelivered_quantities(
    admin_client, admin_member, org, user, supplier, customer, widget
):
    from guanxi.sales import documents_services as sales

    receive(org, user, supplier, widget, 10)
    order = sales.create_order(
        admin_member,
        data={"party": customer.pk},
        lines=[{"product": widget.pk, "quantity": "5", "unit_price": "150"}],
    )
    with scope(org=org.pk):
        type(order).objects.filter(pk=order.pk).update(status="confirmed")
    url = reverse("stock:delivery_from_order", args=[order.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    row = page.context["formset"].forms[0].initial
    assert row["quantity"] == "5"
    data = {
        "date": "2026-03-02",
        "party": str(customer.pk),
        "warehouse": str(page.context["form"].initial["warehouse"]),
        "then": "post",
        **_formset(
            [
                {
                    "product": str(widget.pk),
                    "quantity": "2",
                    "unit_price": "150",
                    "tax_rate": "13",
                    "order_line": str(row["order_line"]),
                }
            ]
        ),
    }
    assert admin_client.post(url, data).status_code == 302
    with scope(org=org.pk):
        order.refresh_from_db()
        assert order.lines.get().delivered_quantity == 2
    assert order.delivery_status == "partial"
    # the next delivery starts with what is left
    again = admin_client.get(url)
    assert again.context["formset"].forms[0].initial["quantity"] == "3"


def test_draft_order_cannot_be_delivered(admin_client, admin_member, customer, widget):
    from guanxi.sales import documents_services as sales

    order = sales.create_order(
        admin_member, data={"party": customer.pk}, lines=[{"product": widget.pk, "quantity": "1"}]
    )
    response = admin_client.get(reverse("stock:delivery_from_order", args=[order.pk]))
    assert response.status_code == 302


def test_other_organisations_documents_are_not_found(
    client, org, other_org, user, supplier, widget
):
    doc = receive(org, user, supplier, widget, 1)
    stranger = make_member(other_org, "admin", username="stranger")
    login(client, stranger)
    for name in (
        "document_detail",
        "document_edit",
        "document_reverse",
        "document_correct",
        "return_from_document",
    ):
        assert client.get(reverse(f"stock:{name}", args=[doc.pk])).status_code == 404
    assert client.post(reverse("stock:document_post", args=[doc.pk])).status_code == 404


def test_sales_rep_sees_only_own_documents(sales_client, sales_member, org, user, supplier, widget):
    mine = draft(
        org, sales_member.user, Kind.PURCHASE_RECEIPT, [line(widget, 1)], party=supplier.pk
    )
    theirs = draft(org, user, Kind.PURCHASE_RECEIPT, [line(widget, 1)], party=supplier.pk)
    assert sales_client.get(mine.get_absolute_url()).status_code == 200
    assert sales_client.get(theirs.get_absolute_url()).status_code == 404


def test_readonly_member_may_look_but_not_post(
    client, org, user, supplier, widget, readonly_member
):
    doc = draft(org, user, Kind.PURCHASE_RECEIPT, [line(widget, 1)], party=supplier.pk)
    login(client, readonly_member)
    assert client.get(doc.get_absolute_url()).status_code == 200
    assert client.post(reverse("stock:document_post", args=[doc.pk])).status_code == 403
    assert client.get(reverse("stock:document_create")).status_code == 403
    doc.refresh_from_db()
    assert doc.status == StockDocument.Status.DRAFT


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("stock:document_list"))
    assert response.status_code == 302


def test_detail_shows_ledger_and_party_rows(admin_client, org, user, supplier, widget):
    doc = receive(org, user, supplier, widget, 2, "55")
    content = admin_client.get(doc.get_absolute_url()).content.decode()
    assert 'data-testid="document-ledger"' in content
    assert 'data-testid="party-ledger"' in content
    assert "110.00" in content


def test_voided_product_is_refused_on_a_new_draft(admin_client, org, supplier, main_warehouse):
    product = stocked(org, name="作废品")
    with scope(org=org.pk):
        type(product).objects.filter(pk=product.pk).update(is_voided=True)
    data = {
        "kind": "purchase_receipt",
        "date": str(DAY),
        "party": str(supplier.pk),
        "warehouse": str(main_warehouse.pk),
        **_formset([{"product": str(product.pk), "quantity": "1"}]),
    }
    response = admin_client.post(reverse("stock:document_create") + "?kind=purchase_receipt", data)
    assert response.status_code == 422
    assert response.context["formset"].forms[0].errors["product_search"]
