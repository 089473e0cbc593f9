"""Data initialisation (A4): clearing the sales and stock data of one organisation."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from guanxi.activities.models import Activity
from guanxi.catalog.models import Product
from guanxi.core.models import NumberSequence
from guanxi.finance.models import DataResetLog, MoneyDocument, PartyLedgerEntry
from guanxi.finance.reset import CLEARED, KEPT, clear_sales_and_stock, preview
from guanxi.parties.models import Party
from guanxi.sales.models import Lead, Opportunity, Order, PipelineStage, Quote
from guanxi.stock.models import StockDocument
from tests.activities.factories import make_activity
from tests.conftest import login
from tests.factories import make_member, make_org
from tests.finance.factories import (
    make_customer,
    make_order,
    make_product,
    post_stock,
    receipt,
    reverse_stock,
)

pytestmark = pytest.mark.django_db


def fill(org, actor=None):
    """Some of everything, the way the apps write it."""
    customer = make_customer(org, "清空客户")
    product = make_product(org)
    order = make_order(org, customer, "100.00")
    doc = post_stock(org, customer, "100.00", order=order, product=product)
    reverse_stock(doc)
    post_stock(org, customer, "80.00", order=order, product=product)
    money = receipt(org, customer, "50.00", allocations=[(order, "50.00")])
    from guanxi.finance.services import reverse_money_document

    reverse_money_document(document=money, actor=None)
    with scope(org=org.pk):
        stage = PipelineStage.objects.create(org=org, name="初步接触")
        opportunity = Opportunity.objects.create(org=org, name="大单", party=customer, stage=stage)
        Lead.objects.create(org=org, title="线索", opportunity=opportunity)
        Quote.objects.create(org=org, number="QT-1", date=order.date, party=customer)
        order.quote = Quote.objects.get()
        order.save()
    actor = actor or make_member(org, "admin", username=f"filler{org.pk}").user
    activity = make_activity(org, actor, subject="拜访", party=customer)
    with scope(org=org.pk):
        Activity.objects.filter(pk=activity.pk).update(opportunity=opportunity)
    return customer, product, activity


def test_every_model_of_the_cleared_apps_is_either_cleared_or_kept():
    labels = {
        m._meta.label
        for app in ("sales", "stock", "finance")
        for m in apps.get_app_config(app).get_models()
        if not m.__name__.startswith("Historical")
    }
    assert labels == set(CLEARED) | set(KEPT)


def test_clear_deletes_sales_and_stock_and_keeps_the_rest(org, admin_member):
    customer, product, activity = fill(org, admin_member.user)
    other = make_org("别家")
    _other_customer, *_ = fill(other)
    assert preview(org)["stock.StockDocument"] == 3

    log = clear_sales_and_stock(org=org, actor=admin_member.user, confirmation=" Acme 贸易 ")

    with scope(org=org.pk):
        for model in (StockDocument, MoneyDocument, PartyLedgerEntry, Order, Quote, Lead):
            manager = getattr(model, "all_objects", model.objects)
            assert not manager.exists(), model
        assert not Opportunity.all_objects.exists()
        assert Party.objects.filter(pk=customer.pk).exists()
        assert Product.objects.filter(pk=product.pk).exists()
        assert PipelineStage.objects.exists()
        activity = Activity.objects.get(pk=activity.pk)
        assert activity.opportunity_id is None
        assert not NumberSequence.objects.filter(kind="receipt").exists()
        assert not StockDocument.history.model.objects.filter(org_id=org.pk).exists()
    assert log.counts["stock.StockDocument"] == 3
    assert log.counts["finance.MoneyDocument"] == 2
    assert log.counts["activities.Activity (opportunity link cleared)"] == 1
    assert log.actor == admin_member.user
    # The other organisation keeps everything.
    with scopes_disabled():
        assert StockDocument.objects.filter(org=other).count() == 3
        assert MoneyDocument.objects.filter(org=other).count() == 2
        assert Opportunity.objects.filter(org=other).count() == 1
    # Numbers start again.
    new = receipt(org, customer, "1.00")
    assert new.number.endswith("-00001")


def test_wrong_confirmation_deletes_nothing(org, admin_member):
    fill(org)
    with pytest.raises(ValidationError) as excinfo:
        clear_sales_and_stock(org=org, actor=admin_member.user, confirmation="acme")
    assert "confirmation" in excinfo.value.message_dict
    assert preview(org)["stock.StockDocument"] == 3
    with scope(org=org.pk):
        assert not DataResetLog.objects.exists()


def test_reset_page_for_admins(admin_client, org):
    fill(org)
    url = reverse("finance:data_reset")
    page = admin_client.get(url).content.decode()
    assert 'data-testid="reset-preview"' in page

    response = admin_client.post(url, {"confirmation": "wrong"})
    assert response.status_code == 200
    assert "Type the organisation&#x27;s name exactly" in response.content.decode()
    assert preview(org)["stock.StockDocument"] == 3

    response = admin_client.post(url, {"confirmation": "Acme 贸易"})
    assert response.status_code == 302
    page = admin_client.get(url).content.decode()
    assert 'data-testid="reset-log-row"' in page
    assert 'data-testid="reset-nothing"' in page


def test_reset_page_is_refused_to_everyone_else(org, sales_member):
    client = login(Client(), sales_member)
    url = reverse("finance:data_reset")
    assert client.get(url).status_code == 403
    assert client.post(url, {"confirmation": "Acme 贸易"}).status_code == 403


def test_settings_menu_shows_the_reset_page_to_admins_only(admin_client, sales_client):
    url = reverse("finance:data_reset")
    assert url in admin_client.get(reverse("accounts:settings_home")).content.decode()
    assert url not in sales_client.get("/").content.decode()
