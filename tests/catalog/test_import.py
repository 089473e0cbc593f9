"""Importing products: encodings, mapping, the dry run reporting every bad row,
all-or-nothing writes, existing codes, categories and brands; the pages."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope

from guanxi.catalog import importing
from guanxi.catalog.models import Brand, Product, ProductCategory, ProductImportJob
from guanxi.core.exceptions import DomainError
from guanxi.core.models import CustomField
from guanxi.parties.importing import ImportFileError
from tests.catalog.factories import make_party, make_product
from tests.conftest import login
from tests.factories import make_member

pytestmark = pytest.mark.django_db

HEADERS = [
    "商品编号",
    "商品名称",
    "型号",
    "规格",
    "单位",
    "商品分类",
    "品牌",
    "标准售价",
    "成本价",
    "税率",
    "序列号管理",
    "保修期(月)",
    "保修类型",
    "商品类型",
]
ROW_1 = [
    "HP-1136",
    "黑白激光打印机",
    "M1136",
    "A4",
    "台",
    "办公设备/打印机",
    "惠普",
    "1,399.00",
    "￥1050",
    "13%",
    "是",
    "12",
    "整机保修",
    "库存商品",
]
ROW_2 = [
    "SV-01",
    "上门安装",
    "",
    "市区",
    "次",
    "服务/安装",
    "",
    "150",
    "60",
    "0.06",
    "否",
    "",
    "",
    "服务",
]


def csv_bytes(rows, encoding="utf-8"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(data, name="products.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


def _run(
    org, admin_member, rows, *, policy="skip", encoding="utf-8", name="products.csv", **options
):
    job = importing.start_import(
        org=org, actor=admin_member.user, upload=upload(csv_bytes(rows, encoding), name)
    )
    job = importing.save_mapping(
        job=job,
        actor=admin_member.user,
        columns=importing.job_columns(job),
        policy=policy,
        create_categories=options.get("create_categories", True),
        create_brands=options.get("create_brands", True),
    )
    job = importing.run_check(job)
    return job


def test_gbk_file_is_detected_and_columns_recognised(org, admin_member):
    job = importing.start_import(
        org=org, actor=admin_member.user, upload=upload(csv_bytes([HEADERS, ROW_1], "gbk"))
    )
    assert job.encoding == "gb18030"
    assert importing.job_columns(job) == [
        "code",
        "name",
        "model",
        "spec",
        "unit",
        "category",
        "brand",
        "list_price",
        "cost_price",
        "tax_rate",
        "serial_tracked",
        "warranty_months",
        "warranty_type",
        "kind",
    ]


def test_whole_import_creates_products_categories_and_brands(org, admin_member):
    job = _run(org, admin_member, [HEADERS, ROW_1, ROW_2], encoding="gb18030")
    assert job.status == ProductImportJob.Status.CHECKED
    assert job.mapping["error_rows"] == 0
    assert job.created_count == 2
    assert job.mapping["new_categories"] == ["办公设备 / 打印机", "服务 / 安装"]
    assert job.mapping["new_brands"] == ["惠普"]
    with scope(org=org.pk):
        assert Product.objects.count() == 0  # the dry run writes nothing
    job.status = ProductImportJob.Status.RUNNING
    job.save()
    job = importing.run_import(job)
    assert job.status == ProductImportJob.Status.DONE
    assert job.created_count == 2
    with scope(org=org.pk):
        printer = Product.objects.get(code="HP-1136")
        service = Product.objects.get(code="SV-01")
        assert printer.list_price == Decimal("1399.00")
        assert printer.cost_price == Decimal("1050.00")
        assert printer.tax_rate == Decimal("13.00")
        assert printer.serial_tracked
        assert printer.warranty_months == 12
        assert printer.brand.name == "惠普"
        assert printer.category.name == "打印机"
        assert printer.category.depth == 2
        assert "hbjgdyj" in printer.search_text
        assert service.kind == Product.Kind.SERVICE
        assert service.tax_rate == Decimal("6.00")  # 0.06 from a percent cell
        assert printer.history.count() == 1
        assert ProductCategory.objects.count() == 4
        assert Brand.objects.count() == 1


def test_every_bad_row_is_reported_and_nothing_written(org, admin_member):
    bad = [
        ["", "无编号", "", "", "个", "", "", "10", "", "", "", "", "", ""],
        ["X-1", "", "", "", "个", "", "", "abc", "", "", "", "", "", ""],
        ["X-2", "负价格", "", "", "个", "", "", "-5", "", "150", "也许", "", "", "玩具"],
        ["HP-1136", "重复编号", "", "", "个", "", "", "1", "", "", "", "", "", ""],
        ["X-3", "无保修类型", "", "", "个", "", "", "1", "", "", "", "12", "", ""],
    ]
    job = _run(org, admin_member, [HEADERS, ROW_1, *bad])
    assert job.mapping["error_rows"] == 5
    rows = {e["row"] for e in importing.errors_of(job)}
    assert rows == {3, 4, 5, 6, 7}
    messages = " ".join(e["message"] for e in importing.errors_of(job))
    assert "already has this code" in messages
    assert "is not a number" in messages
    assert "is not a kind" in messages
    job.status = ProductImportJob.Status.RUNNING
    job.save()
    job = importing.run_import(job)
    assert job.status == ProductImportJob.Status.FAILED
    with scope(org=org.pk):
        assert Product.objects.count() == 0
        assert ProductCategory.objects.count() == 0


def test_existing_codes_are_skipped_or_updated(org, admin_member):
    existing = make_product(org, code="HP-1136", name="旧名", list_price=Decimal("1"))
    job = _run(org, admin_member, [HEADERS, ROW_1, ROW_2])
    assert (job.created_count, job.skipped_count) == (1, 1)
    assert importing.duplicates_of(job)
    job = _run(org, admin_member, [HEADERS, ROW_1], policy="update")
    assert (job.created_count, job.updated_count) == (0, 1)
    job.status = ProductImportJob.Status.RUNNING
    job.save()
    importing.run_import(job)
    existing.refresh_from_db()
    assert existing.name == "黑白激光打印机"
    assert existing.list_price == Decimal("1399.00")
    assert existing.version == 2
    assert "hbjgdyj" in existing.search_text


def test_a_code_in_the_recycle_bin_is_an_error(org, admin_member):
    from guanxi.catalog.services import delete_product

    delete_product(product=make_product(org, code="HP-1136"), actor=None)
    job = _run(org, admin_member, [HEADERS, ROW_1])
    assert job.mapping["error_rows"] == 1
    assert "recycle bin" in importing.errors_of(job)[0]["message"]


def test_without_creating_categories_and_brands_unknown_ones_are_errors(org, admin_member):
    job = _run(org, admin_member, [HEADERS, ROW_1], create_categories=False, create_brands=False)
    messages = [e["message"] for e in importing.errors_of(job)]
    assert any("There is no category" in m for m in messages)
    assert any("There is no brand" in m for m in messages)


def test_suppliers_and_custom_fields(org, admin_member):
    supplier = make_party(org, name="上海办公设备有限公司", short_name="上海办公", is_supplier=True)
    with scope(org=org.pk):
        CustomField.objects.create(
            org=org, target="product", key="origin", label="产地", field_type="text", required=True
        )
    headers = ["商品编号", "商品名称", "首选供应商", "产地"]
    job = _run(
        org,
        admin_member,
        [headers, ["A-1", "商品甲", "上海办公", "深圳"], ["A-2", "商品乙", "不存在的供应商", ""]],
    )
    messages = [e["message"] for e in importing.errors_of(job)]
    assert any("There is no supplier" in m for m in messages)
    assert any("required" in m for m in messages)
    job = _run(org, admin_member, [headers, ["A-1", "商品甲", "上海办公", "深圳"]])
    job.status = ProductImportJob.Status.RUNNING
    job.save()
    importing.run_import(job)
    with scope(org=org.pk):
        product = Product.objects.get(code="A-1")
    assert product.preferred_supplier == supplier
    assert product.custom_data == {"origin": "深圳"}


def test_mapping_needs_code_and_name(org, admin_member):
    job = importing.start_import(
        org=org, actor=admin_member.user, upload=upload(csv_bytes([["甲", "乙"], ["1", "2"]]))
    )
    with pytest.raises(DomainError) as caught:
        importing.save_mapping(
            job=job,
            actor=None,
            columns=["", ""],
            policy="skip",
            create_categories=True,
            create_brands=True,
        )
    assert "code" in str(caught.value.message)
    with pytest.raises(DomainError):
        importing.save_mapping(
            job=job,
            actor=None,
            columns=["code", "code"],
            policy="skip",
            create_categories=True,
            create_brands=True,
        )
    with pytest.raises(DomainError):
        importing.save_mapping(
            job=job,
            actor=None,
            columns=["code", "name"],
            policy="merge",
            create_categories=True,
            create_brands=True,
        )


def test_refused_files(org, admin_member):
    with pytest.raises(ImportFileError):
        importing.start_import(
            org=org, actor=admin_member.user, upload=upload(b"MZ\x90\x00binary", "x.csv")
        )
    with pytest.raises(ImportFileError):
        importing.start_import(org=org, actor=admin_member.user, upload=upload(b"a,b", "x.pdf"))
    with pytest.raises(ImportFileError):
        importing.start_import(org=org, actor=admin_member.user, upload=upload(b"", "x.csv"))


def test_xlsx_files_are_read(org, admin_member):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["商品编号", "商品名称", "标准售价", "税率"])
    sheet.append(["X-1", "显示器", 1599, 0.13])
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = importing.start_import(
        org=org, actor=admin_member.user, upload=SimpleUploadedFile("p.xlsx", buffer.getvalue())
    )
    job = importing.save_mapping(
        job=job,
        actor=None,
        columns=importing.job_columns(job),
        policy="skip",
        create_categories=True,
        create_brands=True,
    )
    job = importing.run_check(job)
    assert job.mapping["error_rows"] == 0
    job.status = ProductImportJob.Status.RUNNING
    job.save()
    importing.run_import(job)
    with scope(org=org.pk):
        product = Product.objects.get(code="X-1")
    assert product.list_price == Decimal("1599.00")
    assert product.tax_rate == Decimal("13.00")


def test_template_lists_recognised_headers(org):
    data = importing.template_csv().decode("utf-8-sig")
    header = data.splitlines()[0].split(",")
    assert importing.auto_mapping(header, [])[:2] == ["code", "name"]


# --- the pages ---------------------------------------------------------------------------------


def test_pages_flow(admin_client, org, django_capture_on_commit_callbacks):
    response = admin_client.get(reverse("catalog:import_start"))
    assert response.status_code == 200
    response = admin_client.post(
        reverse("catalog:import_start"), {"file": upload(csv_bytes([HEADERS, ROW_1], "gbk"))}
    )
    with scope(org=org.pk):
        job = ProductImportJob.objects.latest("id")
    assert response["Location"] == reverse("catalog:import_mapping", args=[job.pk])
    response = admin_client.get(response["Location"])
    assert response.status_code == 200
    assert "黑白激光打印机" in response.content.decode()
    data = {f"col_{i}": key for i, key in enumerate(job.mapping["columns"])}
    data.update({"duplicate_policy": "skip", "create_categories": "on", "create_brands": "on"})
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("catalog:import_mapping", args=[job.pk]), data)
    assert response["Location"] == reverse("catalog:import_progress", args=[job.pk])
    response = admin_client.get(response["Location"])
    assert response["Location"] == reverse("catalog:import_check", args=[job.pk])
    response = admin_client.get(response["Location"])
    assert response.context["can_run"] is True
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("catalog:import_run", args=[job.pk]))
    response = admin_client.get(response["Location"], follow=True)
    assert b'data-testid="import-done"' in response.content
    with scope(org=org.pk):
        assert Product.objects.filter(code="HP-1136").exists()
    assert admin_client.get(reverse("catalog:import_list")).status_code == 200
    template = admin_client.get(reverse("catalog:import_template"))
    assert template["Content-Type"].startswith("text/csv")


def test_bad_upload_shows_the_reason(admin_client):
    response = admin_client.post(
        reverse("catalog:import_start"), {"file": upload(b"%PDF-1.4", "x.csv")}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_import_pages_need_the_add_permission(sales_client):
    assert sales_client.get(reverse("catalog:import_start")).status_code == 403


def test_other_members_jobs_are_404(client, org, admin_member):
    job = importing.start_import(
        org=org, actor=admin_member.user, upload=upload(csv_bytes([HEADERS, ROW_1]))
    )
    manager = make_member(org, "manager", username="mgr")
    login(client, manager)
    assert client.get(reverse("catalog:import_mapping", args=[job.pk])).status_code == 404
