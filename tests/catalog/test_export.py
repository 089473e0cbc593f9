"""Exporting products: what the list shows, formula-neutralised, importable back."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse

from guanxi.catalog import importing
from tests.catalog.factories import make_brand, make_category, make_product

pytestmark = pytest.mark.django_db


def test_csv_export_follows_the_filters_and_neutralises_formulas(admin_client, org):
    office = make_category(org, "办公设备")
    printers = make_category(org, "打印机", parent=office)
    make_product(
        org,
        code="A",
        name='=HYPERLINK("http://x")',
        category=printers,
        brand=make_brand(org, "惠普"),
    )
    make_product(org, code="B", name="其他")
    response = admin_client.get(reverse("catalog:export"), {"format": "csv", "category": office.pk})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.splitlines()
    assert len(lines) == 2
    assert "'=HYPERLINK" in lines[1]
    assert "办公设备 / 打印机" in lines[1]
    assert "惠普" in lines[1]
    # The headers are the importer's: the file imports back.
    assert importing.auto_mapping(lines[0].split(","), [])[:3] == ["code", "name", "model"]


def test_xlsx_export(admin_client, org):
    from openpyxl import load_workbook

    make_product(org, code="A", name="@SUM(1)", list_price=Decimal("12.50"))
    response = admin_client.get(reverse("catalog:export"), {"format": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[1][0] == "A"
    assert rows[1][1] == "'@SUM(1)"
    assert Decimal(str(rows[1][8])) == Decimal("12.5")


def test_export_needs_the_permission_and_a_known_format(client, admin_client, org):
    from tests.conftest import login
    from tests.factories import make_member

    assert admin_client.get(reverse("catalog:export"), {"format": "pdf"}).status_code == 404
    login(client, make_member(org, "service", username="svc"))
    assert client.get(reverse("catalog:export"), {"format": "csv"}).status_code == 403


def test_export_leaves_out_other_orgs(admin_client, other_org):
    make_product(other_org, code="SECRET")
    response = admin_client.get(reverse("catalog:export"), {"format": "csv"})
    assert b"SECRET" not in b"".join(response.streaming_content)
