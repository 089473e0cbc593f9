"""Receipt and payment pages: list, add with allocations, edit, post, reverse, delete,
allocate later; bad input, permissions and visibility."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from guanxi.finance.models import Allocation, MoneyDocument, PartyLedgerEntry
from tests.conftest import login
from tests.factories import make_member, make_org
from tests.finance.factories import (
    D,
    make_customer,
    make_order,
    make_supplier,
    post_stock,
    receipt,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def state(org):
    with scope(org=org.pk):
        return (
            MoneyDocument.objects.count(),
            Allocation.objects.count(),
            PartyLedgerEntry.objects.filter(money_document__isnull=False).count(),
        )


def form_data(party, amount="100.00", **extra):
    return {
        "kind": "receipt",
        "party": party.pk,
        "date": TODAY.isoformat(),
        "amount": amount,
        "method": "bank",
        "reference": "",
        "owner": "",
        "notes": "",
        **extra,
    }


def test_list_shows_visible_documents_with_filters(admin_client, org):
    customer = make_customer(org, "华联")
    supplier = make_supplier(org, "精工")
    receipt(org, customer, "100.00")
    receipt(org, supplier, "50.00", kind="payment")

    response = admin_client.get(reverse("finance:money_list"))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="money-row"') == 2

    response = admin_client.get(reverse("finance:money_list"), {"kind": "payment"})
    assert response.content.decode().count('data-testid="money-row"') == 1
    assert "精工" in response.content.decode()


def test_list_query_count_does_not_grow(admin_client, org, django_assert_max_num_queries):
    customer = make_customer(org)
    for _ in range(3):
        receipt(org, customer, "10.00")
    with django_assert_max_num_queries(12) as small:
        admin_client.get(reverse("finance:money_list"))
    for _ in range(15):
        receipt(org, customer, "10.00")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = admin_client.get(reverse("finance:money_list"))
    assert response.content.decode().count('data-testid="money-row"') == 18


def test_list_pages_by_cursor(admin_client, org, settings):
    settings.GUANXI_PAGE_SIZE = 2
    customer = make_customer(org)
    for i in range(3):
        receipt(org, customer, f"{i + 1}.00")
    first = admin_client.get(reverse("finance:money_list"))
    assert first.content.decode().count('data-testid="money-row"') == 2
    cursor = first.context["page"].next_cursor
    second = admin_client.get(reverse("finance:money_list"), {"cursor": cursor})
    assert second.content.decode().count('data-testid="money-row"') == 1


def test_create_receipt_allocated_and_posted(admin_client, org):
    customer = make_customer(org)
    delivery = post_stock(org, customer, "300.00")
    data = form_data(customer, "500.00", post="1")
    data[f"alloc_stock_document_{delivery.pk}"] = "300.00"

    response = admin_client.post(reverse("finance:money_create"), data)

    with scope(org=org.pk):
        doc = MoneyDocument.objects.get()
        assert response.status_code == 302
        assert response["Location"] == doc.get_absolute_url()
        assert doc.status == MoneyDocument.Status.POSTED
        assert [(a.stock_document_id, a.amount) for a in doc.allocations.all()] == [
            (delivery.pk, D(300))
        ]
    page = admin_client.get(doc.get_absolute_url()).content.decode()
    assert "On account: 200.00" in page


def test_over_allocation_shows_a_row_error_and_writes_nothing(admin_client, org):
    customer = make_customer(org)
    delivery = post_stock(org, customer, "300.00")
    data = form_data(customer, "500.00")
    data[f"alloc_stock_document_{delivery.pk}"] = "400"

    response = admin_client.post(reverse("finance:money_create"), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="allocation-error"' in page
    assert "Only 300.00 is open on this document." in page
    assert 'value="400"' in page
    assert state(org) == (0, 0, 0)


def test_bad_header_fields_show_field_errors(admin_client, org):
    customer = make_customer(org)
    response = admin_client.post(
        reverse("finance:money_create"), form_data(customer, "-3", date="not a date")
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"amount", "date"}
    assert state(org) == (0, 0, 0)


def test_supplier_cannot_be_chosen_for_a_receipt(admin_client, org):
    supplier = make_supplier(org)
    response = admin_client.post(reverse("finance:money_create"), form_data(supplier))
    assert response.status_code == 200
    assert "party" in response.context["form"].errors


def test_allocation_rows_and_suggestion(admin_client, org):
    customer = make_customer(org)
    old = post_stock(org, customer, "100.00", date=TODAY - datetime.timedelta(days=20))
    new = post_stock(org, customer, "200.00", date=TODAY - datetime.timedelta(days=2))
    order = make_order(org, customer, "900.00")
    url = reverse("finance:allocation_rows")

    response = admin_client.get(url, {"kind": "receipt", "party": customer.pk})
    page = response.content.decode()
    assert page.count('data-testid="allocation-row"') == 3
    assert f"alloc_order_{order.pk}" in page

    response = admin_client.get(
        url, {"kind": "receipt", "party": customer.pk, "suggest": "1", "amount": "150"}
    )
    page = response.content.decode()
    assert f'name="alloc_stock_document_{old.pk}" value="100.00"' in page
    assert f'name="alloc_stock_document_{new.pk}" value="50.00"' in page
    assert f'name="alloc_order_{order.pk}" value=""' in page


def test_party_options_search_and_oob_rows(admin_client, org):
    customer = make_customer(org, "上海华联贸易有限公司")
    make_supplier(org, "华联供应")
    post_stock(org, customer, "100.00")

    response = admin_client.get(
        reverse("finance:party_options"), {"kind": "receipt", "party_q": "华联"}
    )
    page = response.content.decode()
    assert f'<option value="{customer.pk}" selected>' in page
    assert "华联供应" not in page
    assert 'hx-swap-oob="outerHTML"' in page
    assert 'data-testid="allocation-row"' in page


def test_edit_draft_then_post_from_detail(admin_client, org):
    customer = make_customer(org)
    delivery = post_stock(org, customer, "300.00")
    doc = receipt(org, customer, "100.00", post=False)
    data = form_data(customer, "250.00", version=doc.version)
    data[f"alloc_stock_document_{delivery.pk}"] = "250"

    response = admin_client.post(reverse("finance:money_edit", args=[doc.pk]), data)
    assert response.status_code == 302
    response = admin_client.post(reverse("finance:money_post", args=[doc.pk]))
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.status == "posted"
    assert doc.amount == D(250)
    # A posted document cannot be edited any more.
    response = admin_client.get(reverse("finance:money_edit", args=[doc.pk]))
    assert response.status_code == 302


def test_stale_edit_is_refused(admin_client, org):
    customer = make_customer(org)
    doc = receipt(org, customer, "100.00", post=False)
    response = admin_client.post(
        reverse("finance:money_edit", args=[doc.pk]), form_data(customer, "120", version=0)
    )
    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()


def test_reverse_and_delete(admin_client, org):
    customer = make_customer(org)
    posted = receipt(org, customer, "100.00")
    draft = receipt(org, customer, "20.00", post=False)

    response = admin_client.post(
        reverse("finance:money_reverse", args=[posted.pk]),
        {"date": TODAY.isoformat(), "reason": "退款"},
    )
    assert response.status_code == 302
    posted.refresh_from_db()
    assert posted.status == "reversed"
    page = admin_client.get(posted.get_absolute_url()).content.decode()
    assert 'data-testid="reversed-by"' in page

    response = admin_client.post(reverse("finance:money_reverse", args=[posted.pk]), {"date": "x"})
    assert response.status_code == 302

    response = admin_client.post(reverse("finance:money_delete", args=[draft.pk]))
    assert response.status_code == 302
    with scope(org=org.pk):
        assert not MoneyDocument.objects.filter(pk=draft.pk).exists()


def test_allocate_on_account_page(admin_client, org):
    customer = make_customer(org)
    money = receipt(org, customer, "500.00")
    delivery = post_stock(org, customer, "200.00")
    url = reverse("finance:money_allocate", args=[money.pk])

    response = admin_client.get(url, {"suggest": "1"})
    assert response.status_code == 200
    assert [r.amount for r in response.context["rows"]] == [D(200)]

    response = admin_client.post(url, {f"alloc_stock_document_{delivery.pk}": "250"})
    assert response.status_code == 200
    assert 'data-testid="allocation-error"' in response.content.decode()

    response = admin_client.post(url, {f"alloc_stock_document_{delivery.pk}": "200"})
    assert response.status_code == 302
    with scope(org=org.pk):
        assert Allocation.objects.get().stock_document_id == delivery.pk


def test_other_organisation_documents_are_404(admin_client, org):
    other = make_org("别家")
    theirs = receipt(other, make_customer(other, "别家客户"), "10.00")
    for name in ("money_detail", "money_edit", "money_allocate"):
        assert admin_client.get(reverse(f"finance:{name}", args=[theirs.pk])).status_code == 404
    for name in ("money_post", "money_reverse", "money_delete"):
        assert admin_client.post(reverse(f"finance:{name}", args=[theirs.pk])).status_code == 404


def test_own_visibility_hides_other_reps_documents(org, sales_member):
    rep_client = login(Client(), sales_member)
    other_rep = make_member(org, "sales", username="rep2")
    customer = make_customer(org, owner=sales_member.user)
    mine = receipt(org, customer, "10.00", actor=sales_member.user)
    theirs = receipt(org, customer, "20.00", actor=other_rep.user)

    page = rep_client.get(reverse("finance:money_list")).content.decode()
    assert mine.number in page
    assert theirs.number not in page
    assert rep_client.get(theirs.get_absolute_url()).status_code == 404


def test_readonly_member_may_look_but_not_add_or_post(org, readonly_member):
    client = login(Client(), readonly_member)
    customer = make_customer(org)
    doc = receipt(org, customer, "10.00", post=False)
    assert client.get(reverse("finance:money_list")).status_code == 200
    assert client.get(reverse("finance:money_create")).status_code == 403
    assert client.post(reverse("finance:money_post", args=[doc.pk])).status_code == 403
    page = client.get(doc.get_absolute_url()).content.decode()
    assert 'data-testid="money-post"' not in page


def test_member_without_money_permission_cannot_see_the_list(org):
    member = make_member(org, "service", username="agent")
    client = login(Client(), member)
    assert client.get(reverse("finance:money_list")).status_code == 403
