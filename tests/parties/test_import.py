"""The import engine (B15): encodings, header mapping, the dry run, all-or-nothing, duplicates."""

from __future__ import annotations

import codecs
import random

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from guanxi.core.categories import add_category
from guanxi.core.custom_fields import save_custom_field
from guanxi.core.models import CustomField, Tag
from guanxi.parties import importing
from guanxi.parties.importing import (
    ImportFileError,
    auto_mapping,
    check_upload,
    derive_party_fields,
    detect_encoding,
    read_table,
)
from guanxi.parties.models import Contact, ImportJob, Party, PartyCategory, PartyTag
from guanxi.parties.services import (
    _refresh_party_search,
    contact_search_text,
    create_contact,
    create_party,
    refresh_derived_fields,
    validate_party,
)
from tests.factories import make_member
from tests.parties.exchange_helpers import (  # noqa: F401 - english is a fixture
    HEADERS_ZH,
    checked,
    count_parties,
    csv_bytes,
    english,
    import_file,
    imported,
    new_job,
    party,
    xlsx_bytes,
)

pytestmark = pytest.mark.usefixtures("english")

GOOD_ROW = [
    "上海华为贸易有限公司",
    "13800138000",
    "info@huawei-sh.cn",
    "上海",
    "重要",
    "张伟",
    "13900139000",
]


# --- encodings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("gbk", b"", "gb18030"),
        ("gb18030", b"", "gb18030"),
    ],
)
def test_csv_encodings_are_detected_and_read(org, admin_member, encoding, prefix, expected):
    # given: a file as Chinese Excel (GBK), modern Excel (UTF-8 with BOM) or a script writes it
    rows = [
        HEADERS_ZH,
        GOOD_ROW,
        ["北京联想科技有限公司", "13700137000", "", "北京", "普通", "", ""],
    ]
    data = prefix + csv_bytes(rows, encoding)

    # when
    job = import_file(org, admin_member, data)

    # then
    assert job.encoding == expected
    assert job.status == ImportJob.Status.DONE
    with scope(org=org.pk):
        names = sorted(Party.objects.values_list("name", flat=True))
    assert names == ["上海华为贸易有限公司", "北京联想科技有限公司"]


def test_gb18030_only_characters_survive(org, admin_member):
    # 𠀾 (U+2003E) is outside GBK: a file saved as GB18030 still imports it.
    data = csv_bytes([["客户名称", "备注"], ["㐀𠀾贸易有限公司", "备注"] * 1], "gb18030")

    job = import_file(org, admin_member, data)

    assert job.status == ImportJob.Status.DONE
    with scope(org=org.pk):
        assert Party.objects.get().name == "㐀𠀾贸易有限公司"


def test_detect_encoding_prefers_gb18030_for_gbk_text():
    text = "客户名称,城市\n上海华为贸易有限公司,上海\n广州白云电器设备股份有限公司,广州\n" * 20
    assert detect_encoding(text.encode("gbk")) == "gb18030"
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
    assert detect_encoding(codecs.BOM_UTF8 + text.encode("utf-8")) == "utf-8-sig"


def test_utf16_tab_separated_file_from_excel_unicode_text(org, admin_member):
    data = csv_bytes(
        [["客户名称", "手机"], ["上海华为贸易有限公司", "13800138000"]], "utf-16", delimiter="\t"
    )

    job = import_file(org, admin_member, data, name="customers.txt")

    assert job.status == ImportJob.Status.DONE
    assert count_parties(org) == 1


def test_xlsx_numbers_and_dates_are_read_as_text(org, admin_member):
    from datetime import date

    data = xlsx_bytes(
        [
            ["Name", "Mobile", "Birthday", "Credit limit", "Settlement"],
            ["Acme Trading", 13800138000, date(1990, 5, 1), 5000, "credit"],
        ]
    )

    job = import_file(org, admin_member, data, name="customers.xlsx")

    assert job.status == ImportJob.Status.DONE, job.errors
    with scope(org=org.pk):
        acme = Party.objects.get()
    assert acme.mobile == "13800138000"
    assert acme.birthday == date(1990, 5, 1)
    assert str(acme.credit_limit) == "5000.00"
    assert acme.settlement_type == Party.Settlement.CREDIT


# --- header mapping -------------------------------------------------------------------------


def test_chinese_and_english_headers_are_recognised(org):
    headers = [
        "客户名称",
        "简称",
        "手机",
        "电话",
        "电子邮件",
        "微信",
        "城市",
        "省份",
        "地址",
        "类型",
        "级别",
        "来源",
        "负责人",
        "分类",
        "标签",
        "联系人",
        "联系人手机",
        "不认识的列",
    ]
    english_headers = [
        "Customer Name",
        "Short name",
        "Mobile",
        "Phone",
        "E-mail",
        "WeChat",
        "City",
        "Province",
        "Address",
        "Type",
        "Level",
        "Source",
        "Owner",
        "Category",
        "Tags",
        "Contact name",
        "Contact mobile",
        "Whatever",
    ]
    expected = [
        "name",
        "short_name",
        "mobile",
        "phone",
        "email",
        "wechat",
        "city",
        "province",
        "address",
        "customer_type",
        "level",
        "source",
        "owner",
        "category",
        "tags",
        "contact.name",
        "contact.mobile",
        "",
    ]

    assert auto_mapping(headers, []) == expected
    assert auto_mapping(english_headers, []) == expected


def test_full_width_and_marked_headers_are_recognised():
    assert auto_mapping(["名称(必填)", "Ｅ－ｍａｉｌ", "移动电话", "名称"], []) == [
        "name",
        "email",
        "mobile",
        "",  # the second "name" column is not mapped twice
    ]


def test_custom_field_labels_are_recognised(org, admin_member):
    field = save_custom_field(
        org=org,
        actor=admin_member.user,
        field=None,
        target="party",
        label="行业细分",
        field_type=CustomField.FieldType.CHOICE,
        choices=["制造", "零售"],
    )
    data = csv_bytes([["客户名称", "行业细分"], ["上海华为贸易有限公司", "零售"]])

    job = import_file(org, admin_member, data)

    assert job.mapping["columns"] == ["name", f"cf.{field.key}"]
    with scope(org=org.pk):
        assert Party.objects.get().custom_data == {field.key: "零售"}


def test_mapping_without_name_is_refused(org, admin_member):
    job = new_job(org, admin_member, csv_bytes([["foo", "手机"], ["x", "13800138000"]]))

    with pytest.raises(importing.DomainError, match="customer name"):
        checked(job, admin_member, columns=["", "mobile"])


def test_a_column_can_be_ignored(org, admin_member):
    data = csv_bytes([["客户名称", "手机"], ["上海华为贸易有限公司", "not a phone"]])
    job = new_job(org, admin_member, data)

    job = imported(checked(job, admin_member, columns=["name", ""]))

    assert job.status == ImportJob.Status.DONE
    with scope(org=org.pk):
        assert Party.objects.get().mobile == ""


# --- the dry run -----------------------------------------------------------------------------


def test_dry_run_reports_every_bad_row_with_row_and_column_and_writes_nothing(org, admin_member):
    # given
    rows = [
        HEADERS_ZH,
        GOOD_ROW,
        ["北京某某有限公司", "12345", "not-an-email", "北京", "超级VIP", "", ""],
        ["x" * 201, "", "", "", "", "", ""],
        ["广州某某有限公司", "13800138001", "", "广州", "", "", "13900"],
        ["太短的行", "13800138002"],
        ["太长的行", "13800138003", "", "", "", "", "", "多出来的"],
        ["", "13800138004", "", "", "", "", ""],
    ]
    job = new_job(org, admin_member, csv_bytes(rows))

    # when
    job = checked(job, admin_member)

    # then
    problems = {(e["row"], e["column"]) for e in importing.errors_of(job)}
    assert problems == {
        (3, "手机"),
        (3, "邮箱"),
        (3, "级别"),
        (4, "客户名称"),
        (5, "联系人手机"),
        (5, "联系人"),
        (6, ""),
        (7, ""),
        (8, "客户名称"),
    }
    assert job.mapping["error_rows"] == 6
    assert job.status == ImportJob.Status.CHECKED
    assert job.created_count == 1
    assert count_parties(org) == 0


def test_messages_are_clear(org, admin_member):
    rows = [["客户名称", "级别", "邮箱"], ["北京某某有限公司", "超级VIP", "bad"]]
    job = checked(new_job(org, admin_member, csv_bytes(rows)), admin_member)

    messages = {e["column"]: e["message"] for e in importing.errors_of(job)}

    assert "超级VIP" in messages["级别"]
    assert "Key account" in messages["级别"]
    assert messages["邮箱"] == "Enter a valid email address."


def test_real_run_refuses_a_file_with_bad_rows_and_writes_nothing(org, admin_member):
    rows = [HEADERS_ZH, GOOD_ROW, ["北京某某有限公司", "12345", "", "", "", "", ""]]
    job = checked(new_job(org, admin_member, csv_bytes(rows)), admin_member)

    job = imported(job)

    assert job.status == ImportJob.Status.FAILED
    assert {e["row"] for e in importing.errors_of(job)} == {3}
    assert count_parties(org) == 0


def test_real_run_is_all_or_nothing_when_writing_fails(org, admin_member, monkeypatch):
    # given: a good file, and a failure half-way through the write (after the parties)
    rows = [HEADERS_ZH, GOOD_ROW, ["北京联想科技有限公司", "13700137000", "", "", "", "李娜", ""]]
    job = checked(new_job(org, admin_member, csv_bytes(rows)), admin_member)
    original = importing._Inserter.insert

    def insert(self, rows, *, returning):
        if self.model is Contact:
            raise importing.ImportRefused("disk full")
        return original(self, rows, returning=returning)

    monkeypatch.setattr(importing._Inserter, "insert", insert)

    # when
    job = imported(job)

    # then
    assert job.status == ImportJob.Status.FAILED
    assert job.errors[0]["message"] == "disk full"
    assert count_parties(org) == 0
    with scope(org=org.pk):
        assert Party.history.count() == 0


def test_owner_category_and_tags(org, admin_member, sales_member):
    # given
    with scope(org=org.pk):
        east = add_category(model=PartyCategory, org=org, name="华东", extra={"tree": "customer"})
    rows = [
        ["客户名称", "负责人", "分类", "标签"],
        ["上海华为贸易有限公司", sales_member.user.username, "华东/上海", "重点,展会"],
        ["北京联想科技有限公司", "", "华北", "展会"],
        ["深圳某某有限公司", "nobody", "", ""],
    ]
    job = checked(new_job(org, admin_member, csv_bytes(rows)), admin_member)
    assert [e["row"] for e in importing.errors_of(job)] == [4]

    # when: the bad owner fixed
    rows[3][1] = ""
    job = import_file(org, admin_member, csv_bytes(rows))

    # then
    assert job.status == ImportJob.Status.DONE
    with scope(org=org.pk):
        shanghai = Party.objects.get(name="上海华为贸易有限公司")
        beijing = Party.objects.get(name="北京联想科技有限公司")
        assert shanghai.owner_id == sales_member.user_id
        assert beijing.owner_id == admin_member.user_id
        assert shanghai.category.name == "上海"
        assert PartyCategory.objects.get_parent(shanghai.category).pk == east.pk
        assert beijing.category.name == "华北"
        tags = sorted(PartyTag.objects.filter(party=shanghai).values_list("tag__name", flat=True))
        assert tags == ["展会", "重点"]
        assert Tag.objects.count() == 2


def test_missing_categories_are_errors_when_creating_them_is_off(org, admin_member):
    rows = [["客户名称", "分类"], ["上海华为贸易有限公司", "华东/上海"]]
    job = checked(
        new_job(org, admin_member, csv_bytes(rows)), admin_member, create_categories=False
    )

    assert [e["message"] for e in importing.errors_of(job)] == [
        "There is no customer category “华东 / 上海”."
    ]


def test_duplicate_codes_in_the_file_and_database(org, admin_member):
    party(org, admin_member, name="Old", code="C-001")
    rows = [["客户名称", "客户编号"], ["A", "C-001"], ["B", "C-002"], ["C", "C-002"]]

    job = checked(new_job(org, admin_member, csv_bytes(rows)), admin_member)

    assert sorted((e["row"], e["message"]) for e in importing.errors_of(job)) == [
        (2, "Another record already has this code."),
        (4, "Row 3 has the same code."),
    ]


def test_credit_without_limit_is_refused(org, admin_member):
    rows = [["客户名称", "结算方式"], ["A", "月结"]]
    job = checked(new_job(org, admin_member, csv_bytes(rows)), admin_member)
    assert [e["message"] for e in importing.errors_of(job)] == [
        "Credit customers need a credit limit."
    ]


# --- imported records ----------------------------------------------------------------------------


def test_imported_records_have_first_version_search_text_and_contact(org, admin_member):
    job = import_file(org, admin_member, csv_bytes([HEADERS_ZH, GOOD_ROW]))

    with scope(org=org.pk):
        imported_party = Party.objects.get()
        contact = Contact.objects.get()
        history = list(imported_party.history.all())
        contact_history = list(contact.history.all())
    assert job.created_count == 1
    assert [h.history_type for h in history] == ["+"]
    assert history[0].history_user_id == admin_member.user_id
    assert history[0].name == "上海华为贸易有限公司"
    assert [h.history_type for h in contact_history] == ["+"]
    assert imported_party.level == Party.Level.IMPORTANT
    assert imported_party.index_letter == "S"
    assert contact.is_primary is True
    assert contact.party_id == imported_party.pk
    # the same text the services would have built
    expected = Party.objects.model(**{f: getattr(imported_party, f) for f in ("name", "mobile")})
    assert "shhwmyyxgs" in imported_party.search_text
    assert "zhangwei" in imported_party.search_text
    assert "13900139000" in imported_party.search_text
    assert expected.name == imported_party.name


def test_fast_derived_fields_match_the_services(org, admin_member):
    # given: names with heteronyms, surnames read differently, Latin, digits and a contact
    random.seed(42)
    chars = "单曾解查仇区朴长重银行乐华沈万莫上海北京贸易科技有限公司ABC abc 123-·（）"
    samples = [
        "".join(random.choice(chars) for _ in range(random.randint(1, 16))) for _ in range(200)
    ]
    samples = [s for s in samples if s.strip()]
    for index, name in enumerate(samples):
        values = {
            "name": name.strip(),
            "kind": "person" if index % 2 else "company",
            "mobile": "138 0013 8000",
            "email": "A@B.cn",
            "city": "上海",
            "wechat": "wx_abcdef",
            "code": f"C{index}",
            "company_name": name[::-1].strip(),
        }
        contact = {
            "name": samples[-index - 1].strip() or "张三",
            "mobile": "13900139000",
            "phone": "",
        }

        # when
        name_out, short, letter, text = derive_party_fields(values, [contact])

        # then: create_party + create_contact would have given the same
        with scope(org=org.pk):
            model = Party(org=org, **values)
            refresh_derived_fields(model)
            fake = Contact(name=contact["name"], mobile=contact["mobile"])
        assert (name_out, short, letter) == (model.name, model.short_name, model.index_letter)
        from guanxi.core.pinyin import search_text
        from guanxi.parties.services import party_search_text

        expected = party_search_text(model, [fake.name])
        extra = search_text(phones=[fake.mobile, fake.phone])
        assert text == (f"{expected} {extra}" if extra else expected)
        assert importing.contact_search_text_fast(contact) == contact_search_text(
            Contact(**contact)
        )


def test_imported_party_search_text_equals_service_created_one(org, admin_member):
    # given: the same customer created through the services
    with scope(org=org.pk):
        made = create_party(
            org=org,
            actor=admin_member.user,
            data={
                "name": "上海华为贸易有限公司",
                "mobile": "13800138000",
                "email": "info@huawei-sh.cn",
                "city": "上海",
                "level": "important",
            },
        )
        create_contact(
            party=made,
            actor=admin_member.user,
            data={"name": "张伟", "mobile": "13900139000", "is_primary": True},
        )
        made.refresh_from_db()
        Party.objects.filter(pk=made.pk).delete()

    # when
    import_file(org, admin_member, csv_bytes([HEADERS_ZH, GOOD_ROW]))

    # then
    with scope(org=org.pk):
        assert Party.objects.get().search_text == made.search_text


def test_row_validation_agrees_with_validate_party():
    # Values the import refuses are refused by validate_party too, and the reverse.
    cases = {
        "mobile": [
            "12345",
            "13800138000",
            "138 0013 8000",
            "+86 138 0013 8000",
            "19912345678",
            "10012345678",
            "021-62345678",
        ],
        "phone": ["021-62345678", "62345678", "abc", "13800138000", "010-8888888转123"],
        "email": ["a@b.cn", "bad", "a@@b.cn"],
        "wechat": ["wx_abcdef", "a!", "13800138000"],
        "website": ["https://example.com", "http://bad url"],
        "postcode": ["200000", "1" * 13],
    }
    for field, values in cases.items():
        for value in values:
            model = Party(org_id=1, name="Acme", **{field: value})
            try:
                validate_party(model)
            except ValidationError as error:
                service_ok = field not in error.message_dict
            else:
                service_ok = True
            converter = importing.RowConverter.__new__(importing.RowConverter)
            converter.choices = {}
            try:
                converter._party_value(field, value)
            except ValidationError:
                import_ok = False
            else:
                import_ok = True
            assert import_ok == service_ok, (field, value)


# --- duplicates ---------------------------------------------------------------------------------


@pytest.fixture
def existing(org, admin_member):
    return party(
        org, admin_member, name="上海华为贸易有限公司", mobile="138 0013 8000", city="", email=""
    )


def test_skip_policy_skips_database_and_file_duplicates(org, admin_member, existing):
    rows = [
        ["客户名称", "手机", "城市"],
        ["上海华为贸易", "+86 13800138000", "上海"],  # same phone as the existing one
        ["北京联想科技有限公司", "13700137000", "北京"],
        ["北京联想科技", "", "北京"],  # same normalised name as row 3
    ]

    job = import_file(org, admin_member, csv_bytes(rows), policy="skip")

    assert (job.created_count, job.updated_count, job.skipped_count) == (1, 0, 2)
    existing.refresh_from_db()
    assert existing.city == ""
    assert count_parties(org) == 2


def test_merge_policy_fills_only_empty_fields(org, admin_member, existing):
    rows = [
        ["客户名称", "手机", "城市", "标签", "联系人"],
        ["上海华为贸易有限公司(new)", "13800138000", "上海", "展会", "张伟"],
        ["北京联想科技有限公司", "13700137000", "北京", "", ""],
        ["北京联想科技", "", "", "老客户", "李娜"],
    ]

    job = import_file(org, admin_member, csv_bytes(rows), policy="merge")

    assert (job.created_count, job.updated_count, job.skipped_count) == (1, 1, 1)
    with scope(org=org.pk):
        existing.refresh_from_db()
        assert existing.name == "上海华为贸易有限公司"  # not overwritten
        assert existing.city == "上海"  # filled in
        assert existing.version == 2
        assert list(existing.party_tags.values_list("tag__name", flat=True)) == ["展会"]
        assert list(existing.contacts.values_list("name", flat=True)) == ["张伟"]
        assert "zhangwei" in existing.search_text
        assert [h.history_type for h in existing.history.order_by("history_id")] == ["+", "~"]
        beijing = Party.objects.get(name="北京联想科技有限公司")
        assert list(beijing.party_tags.values_list("tag__name", flat=True)) == ["老客户"]
        assert list(beijing.contacts.values_list("name", flat=True)) == ["李娜"]


def test_create_policy_creates_duplicates(org, admin_member, existing):
    rows = [["客户名称", "手机"], ["上海华为贸易", "13800138000"], ["上海华为贸易", "13800138000"]]

    job = import_file(org, admin_member, csv_bytes(rows), policy="create")

    assert (job.created_count, job.skipped_count) == (2, 0)
    assert count_parties(org) == 3


def test_match_on_can_leave_names_out(org, admin_member, existing):
    rows = [["客户名称"], ["上海华为贸易有限公司"]]

    job = import_file(org, admin_member, csv_bytes(rows), policy="skip", match_on=["phone"])

    assert job.created_count == 1


def test_duplicates_of_invisible_customers_are_not_named_or_merged(org, admin_member, sales_member):
    # given: a customer of the admin, invisible to the rep (own visibility)
    party(org, admin_member, name="上海华为贸易有限公司", mobile="13800138000")
    rows = [["客户名称", "手机", "城市"], ["华为上海", "13800138000", "上海"]]
    job = checked(new_job(org, sales_member, csv_bytes(rows)), sales_member, policy="merge")

    notes = importing.duplicates_of(job)

    assert len(notes) == 1
    assert "上海华为" not in notes[0]["message"]
    assert "cannot see" in notes[0]["message"]
    job = imported(job)
    assert (job.created_count, job.updated_count, job.skipped_count) == (0, 0, 1)


# --- uploads ------------------------------------------------------------------------------------


def test_oversized_upload_is_refused(settings):
    with pytest.raises(ImportFileError, match="at most"):
        check_upload("big.csv", importing.MAX_UPLOAD_BYTES + 1, b"name\n")


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("customers.csv", b"MZ\x90\x00\x03\x00\x00\x00"),  # an executable renamed
        ("customers.csv", b"PK\x03\x04rest-of-zip"),  # a workbook renamed .csv
        ("customers.csv", b"name\x00\x00\x00binary"),
        ("customers.xlsx", b"name,phone\nAcme,1\n"),  # a CSV renamed .xlsx
        ("customers.exe", b"name\n"),
        ("customers", b"name\n"),
        ("customers.csv", b""),
    ],
)
def test_disguised_or_wrong_uploads_are_refused(name, head):
    with pytest.raises(ImportFileError):
        check_upload(name, max(len(head), 1), head)


def test_zip_that_is_not_a_workbook_is_refused():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ImportFileError, match="not an Excel"):
        read_table(buffer.getvalue(), "xlsx")


def test_upload_over_limit_through_the_service(org, admin_member, settings, monkeypatch):
    monkeypatch.setattr(importing, "MAX_UPLOAD_BYTES", 10)
    with pytest.raises(ImportFileError):
        new_job(org, admin_member, csv_bytes([["客户名称"], ["上海华为贸易有限公司"]]))
    with scope(org=org.pk):
        assert ImportJob.objects.count() == 0


def test_file_without_header_is_refused():
    with pytest.raises(ImportFileError, match="header"):
        read_table(b"\r\n,,\r\n", "csv")


def test_a_member_who_left_cannot_run_an_import(org, admin_member):
    member = make_member(org, "sales", username="leaver")
    job = checked(new_job(org, member, csv_bytes([HEADERS_ZH, GOOD_ROW])), member)
    with scope(org=org.pk):
        member.is_active = False
        member.save()

    job = imported(job)

    assert job.status == ImportJob.Status.FAILED
    assert count_parties(org) == 0


def test_search_refresh_helper_is_consistent_after_import(org, admin_member):
    # Editing an imported customer's contacts recomputes the same search text.
    import_file(org, admin_member, csv_bytes([HEADERS_ZH, GOOD_ROW]))
    with scope(org=org.pk):
        imported_party = Party.objects.get()
        before = imported_party.search_text
        _refresh_party_search(imported_party)
        imported_party.refresh_from_db()
    assert imported_party.search_text == before
