"""Export to CSV, XLSX, vCard and TXT: formula injection, escaping, visibility, permission."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from guanxi.accounts.models import Role
from guanxi.core.custom_fields import save_custom_field
from guanxi.core.models import CustomField
from guanxi.parties.exporting import neutralise, vcard_escape, vcard_fold
from guanxi.parties.models import Party
from guanxi.parties.services import create_contact
from tests.conftest import login
from tests.factories import make_member
from tests.parties.exchange_helpers import (  # noqa: F401 - english is a fixture
    english,
    import_file,
    in_english,
    party,
)

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def admin_client(admin_client):
    return in_english(admin_client)


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _csv(response) -> list[list[str]]:
    text = _content(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _export(client, file_format, **params):
    return client.get(reverse("parties:export"), {"format": file_format, **params})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+86 138 0013 8000", "'+86 138 0013 8000"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("上海华为", "上海华为"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_cells_are_neutralised(value, expected):
    assert neutralise(value) == expected


def test_csv_has_bom_headers_custom_fields_and_neutralised_cells(admin_client, org, admin_member):
    # given
    field = save_custom_field(
        org=org,
        actor=admin_member.user,
        field=None,
        target="party",
        label="年采购额",
        field_type=CustomField.FieldType.NUMBER,
    )
    party(
        org,
        admin_member,
        name="=cmd|' /C calc'!A0",
        city="上海",
        level="key",
        custom_data={field.key: "1200000"},
    )

    # when
    response = _export(admin_client, "csv")

    # then
    assert response.status_code == 200
    assert response.streaming is True
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    rows = _csv(response)
    header, row = rows[0], rows[1]
    assert header[:3] == ["Name", "Short name", "Code"]
    assert header[-1] == "年采购额"
    values = dict(zip(header, row, strict=True))
    assert values["Name"] == "'=cmd|' /C calc'!A0"
    assert values["Level"] == "Key account"
    assert values["City"] == "上海"
    assert values["年采购额"] == "1200000"


def test_csv_round_trips_through_the_import(admin_client, org, admin_member, sales_member):
    # given
    from guanxi.core.categories import add_category
    from guanxi.parties.models import PartyCategory

    with scope(org=org.pk):
        east = add_category(model=PartyCategory, org=org, name="华东", extra={"tree": "customer"})
        shanghai = add_category(
            model=PartyCategory, org=org, name="上海", parent=east, extra={"tree": "customer"}
        )
    original = party(
        org,
        admin_member,
        name="上海华为贸易有限公司",
        mobile="13800138000",
        level="important",
        source="exhibition",
        category_id=shanghai.pk,
        owner_id=sales_member.user_id,
    )
    create_contact(
        party=original,
        actor=admin_member.user,
        data={"name": "张伟", "mobile": "13900139000", "role": "采购经理"},
    )
    exported = _content(_export(admin_client, "csv"))
    with scope(org=org.pk):
        Party.objects.all().delete()

    # when
    job = import_file(org, admin_member, exported)

    # then
    assert job.status == "done", job.errors
    with scope(org=org.pk):
        again = Party.objects.get()
        contact = again.contacts.get()
    assert (again.name, again.mobile, again.level, again.source) == (
        "上海华为贸易有限公司",
        "13800138000",
        "important",
        "exhibition",
    )
    assert again.category_id == shanghai.pk
    assert again.owner_id == sales_member.user_id
    assert (contact.name, contact.mobile, contact.role) == ("张伟", "13900139000", "采购经理")


def test_xlsx_is_a_workbook_with_neutralised_cells(admin_client, org, admin_member):
    from openpyxl import load_workbook

    party(
        org,
        admin_member,
        name="@evil",
        notes="+1 line\nsecond",
        credit_limit="100.50",
        settlement_type="credit",
    )

    response = _export(admin_client, "xlsx")

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = load_workbook(io.BytesIO(_content(response)))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    values = dict(zip(rows[0], rows[1], strict=True))
    assert values["Name"] == "'@evil"
    assert values["Notes"] == "'+1 line\nsecond"
    assert str(values["Credit limit"]) == "100.5"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_vcard_escapes_and_folds():
    assert vcard_escape("A, B; C\\D\nE") == "A\\, B\\; C\\\\D\\nE"
    line = "NOTE:" + "备注" * 40
    folded = vcard_fold(line)
    parts = folded.split("\r\n ")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert "".join(parts) == line


def test_vcard_one_card_per_contact_with_escaping(admin_client, org, admin_member):
    customer = party(org, admin_member, name="上海华为贸易有限公司, 浦东; 分部", city="上海")
    create_contact(
        party=customer,
        actor=admin_member.user,
        data={
            "name": "欧阳娜娜",
            "mobile": "13900139000",
            "role": "采购,经理",
            "notes": "第一行\n第二行",
            "birthday": date(1990, 5, 1),
            "is_primary": True,
        },
    )
    create_contact(party=customer, actor=admin_member.user, data={"name": "John Smith"})
    party(org, admin_member, name="北京联想科技有限公司", mobile="13800138000")

    response = _export(admin_client, "vcf")

    text = _content(response).decode("utf-8")
    assert response["Content-Type"].startswith("text/vcard")
    assert text.count("BEGIN:VCARD\r\nVERSION:3.0\r\n") == 3
    unfolded = text.replace("\r\n ", "")
    assert "FN:欧阳娜娜\r\n" in unfolded
    assert "N:欧阳;娜娜;;;\r\n" in unfolded
    assert "ORG:上海华为贸易有限公司\\, 浦东\\; 分部\r\n" in unfolded
    assert "TITLE:采购\\,经理\r\n" in unfolded
    assert "NOTE:第一行\\n第二行\r\n" in unfolded
    assert "BDAY:1990-05-01\r\n" in unfolded
    assert "N:Smith;John;;;\r\n" in unfolded
    # the customer without contacts is a card itself
    assert (
        "FN:北京联想科技有限公司\r\nN:北京联想科技有限公司;;;;\r\nORG:北京联想科技有限公司"
        in unfolded
    )
    assert "TEL;TYPE=CELL:13800138000" in unfolded
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))


def test_vcard_parses_with_vobject(admin_client, org, admin_member):
    import vobject

    customer = party(org, admin_member, name="上海华为贸易有限公司")
    create_contact(
        party=customer, actor=admin_member.user, data={"name": "张伟", "notes": "a, b; c\nd" * 10}
    )

    cards = list(vobject.readComponents(_content(_export(admin_client, "vcf")).decode("utf-8")))

    assert len(cards) == 1
    assert cards[0].fn.value == "张伟"
    assert cards[0].note.value == "a, b; c\nd" * 10


def test_txt_lists_filled_fields_extra_fields_and_contacts(admin_client, org, admin_member):
    customer = party(
        org,
        admin_member,
        name="上海华为贸易有限公司",
        city="上海",
        adhoc_fields=[{"label": "开户行", "value": "工商银行"}],
    )
    create_contact(
        party=customer, actor=admin_member.user, data={"name": "张伟", "mobile": "13900139000"}
    )

    text = _content(_export(admin_client, "txt")).decode("utf-8")

    assert "==== 上海华为贸易有限公司 ====" in text
    assert "City: 上海" in text
    assert "开户行: 工商银行" in text
    assert "Contact: 张伟 · 13900139000" in text
    assert "Fax:" not in text


def test_selected_ids_only(admin_client, org, admin_member):
    first = party(org, admin_member, name="A 公司")
    party(org, admin_member, name="B 公司")

    rows = _csv(_export(admin_client, "csv", ids=f"{first.pk}"))

    assert [r[0] for r in rows[1:]] == ["A 公司"]


def test_current_list_filters_apply(admin_client, org, admin_member):
    party(org, admin_member, name="A 公司", level="key")
    party(org, admin_member, name="B 公司", level="low")

    rows = _csv(_export(admin_client, "csv", level="key"))

    assert [r[0] for r in rows[1:]] == ["A 公司"]


def test_sales_rep_with_own_visibility_exports_only_theirs(org, admin_member, sales_member):
    party(org, sales_member, name="Mine 公司")
    party(org, admin_member, name="Not mine 公司")
    client = in_english(login(Client(), sales_member))

    rows = _csv(_export(client, "csv"))

    assert [r[0] for r in rows[1:]] == ["Mine 公司"]
    # and invisible ids are not exported either
    with scope(org=org.pk):
        hidden = Party.objects.get(name="Not mine 公司")
    rows = _csv(_export(client, "csv", ids=str(hidden.pk)))
    assert rows[1:] == []


def test_export_needs_the_export_permission(client, org, admin_member):
    party(org, admin_member, name="A 公司")
    with scope(org=org.pk):
        role = Role.objects.create(
            org=org, name="No export", visibility="org", permissions={"party": ["view"]}
        )
    member = make_member(org, "readonly", username="noexport")
    with scope(org=org.pk):
        member.role = role
        member.save()
    login(client, member)

    for file_format in ("csv", "xlsx", "vcf", "txt", ""):
        assert _export(client, file_format).status_code == 403


def test_format_page_without_format(admin_client, org, admin_member):
    response = admin_client.get(reverse("parties:export"), {"ids": "1,2", "level": "key"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "format=xlsx&amp;level=key&amp;ids=1%2C2" in content


def test_restricted_customers_are_exported_without_their_sensitive_fields(
    admin_client, org, admin_member
):
    customer = party(org, admin_member, name="保密客户", mobile="13800138000")
    with scope(org=org.pk):
        Party.objects.filter(pk=customer.pk).update(is_restricted=True, mobile="")

    text = _content(_export(admin_client, "csv")).decode("utf-8")

    assert "保密客户" in text
    assert "13800138000" not in text
