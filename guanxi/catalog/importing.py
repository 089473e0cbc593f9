"""Importing products from CSV and Excel files (D3), with the customer importer's behaviour.

The steps, each a plain function testable without HTTP:

1. the upload is checked and read by the customer importer's generic parts
   (`guanxi.parties.importing.check_upload` / `read_table`: size and type checks, a
   renamed executable refused, UTF-8/UTF-16/GBK/GB18030 detected, .xlsx/.xls read
   with python-calamine) — reused as they are, not copied;
2. `auto_mapping` — Chinese and English header names recognised (商品编号/code,
   商品名称/name, 型号/model, 规格/spec, 分类/category as 办公设备/打印机 …, and the
   organisation's custom field labels); the mapping page lets the user fix the rest;
3. `analyse` — every row converted and validated with the product rules of
   `guanxi.catalog.services.validate_product`; codes checked against the database and
   within the file; categories, brands and suppliers resolved. The dry run stops here
   and reports every bad row;
4. `write` — all or nothing, in one transaction: missing categories and brands
   created, new products inserted with their first history rows, existing ones
   (same code) updated or skipped as the user chose.

A spreadsheet percentage cell arrives as a fraction (13% → 0.13): a tax rate between 0
and 1 without a % sign is read as a fraction and multiplied by 100.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from guanxi.catalog.models import Brand, Product, ProductCategory, ProductImportJob
from guanxi.catalog.services import product_search_text, validate_product
from guanxi.core.custom_fields import active_fields, form_field, to_json
from guanxi.core.exceptions import DomainError
from guanxi.core.models import CustomField, Organisation
from guanxi.core.permissions import ADD, CHANGE, MembershipLike, has_perm
from guanxi.core.scoping import org_scope
from guanxi.parties.importing import (
    MAX_REPORTED,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    ImportFileError,
    ImportRefused,
    RowProblem,
    Table,
    check_upload,
    file_kind,
    normalise_header,
    read_table,
)
from guanxi.parties.models import Party

__all__ = [
    "MAX_REPORTED",
    "MAX_ROWS",
    "MAX_UPLOAD_BYTES",
    "ImportFileError",
    "ImportRefused",
    "analyse",
    "auto_mapping",
    "column_choices",
    "run_check",
    "run_import",
    "save_mapping",
    "start_import",
    "template_csv",
    "write",
]

PROGRESS_EVERY = 500
OPTION_CREATE_CATEGORIES = "create_categories"
OPTION_CREATE_BRANDS = "create_brands"
CUSTOM_PREFIX = "cf."


# --- columns ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    synonyms: tuple[str, ...] = ()


# fmt: off
COLUMNS: tuple[Column, ...] = (
    Column("code", "Code", "商品编号", ("编号", "商品编码", "编码", "产品编号", "产品编码", "货号", "sku", "product code")),
    Column("name", "Name", "商品名称", ("名称", "品名", "产品名称", "商品", "产品", "product", "product name")),
    Column("model", "Model", "型号", ("规格型号", "产品型号")),
    Column("spec", "Specification", "规格", ("规格说明", "spec", "specs")),
    Column("unit", "Unit", "单位", ("计量单位", "uom")),
    Column("kind", "Kind", "商品类型", ("类型", "type")),
    Column("category", "Category", "商品分类", ("分类", "类别", "category path")),
    Column("brand", "Brand", "品牌", ()),
    Column("list_price", "List price", "标准售价", ("售价", "单价", "价格", "零售价", "销售价", "price")),
    Column("cost_price", "Cost", "成本价", ("成本", "进价", "采购价", "standard cost", "cost price")),
    Column("tax_rate", "Tax rate (%)", "税率(%)", ("税率", "税率%", "tax", "tax rate", "vat")),
    Column("barcode", "Barcode", "条形码", ("条码", "ean", "upc")),
    Column("description", "Description", "说明", ("描述", "备注", "notes")),
    Column("allow_backorder", "Allow backorders", "允许负库存", ("负库存", "backorder")),
    Column("serial_tracked", "Serial numbers", "序列号管理", ("序列号", "serial tracked")),
    Column("warranty_type", "Warranty type", "保修类型", ("保修方式",)),
    Column("warranty_months", "Warranty (months)", "保修期(月)", ("保修期", "保修月数", "warranty")),
    Column("reorder_level", "Reorder level", "库存下限", ("最低库存", "再订货点", "安全库存")),
    Column("reorder_quantity", "Reorder quantity", "补货数量", ("订货量", "再订货量")),
    Column("preferred_supplier", "Preferred supplier", "首选供应商", ("供应商", "supplier")),
)
# fmt: on
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
DECIMAL_FIELDS = {"list_price", "cost_price", "tax_rate", "reorder_level", "reorder_quantity"}
BOOLEAN_FIELDS = {"allow_backorder", "serial_tracked"}
_TRUE = {"1", "true", "yes", "y", "是", "对", "√", "✓", "有", "允许", "x"}
_FALSE = {"0", "false", "no", "n", "否", "不", "无", "不允许", ""}
_KIND_SPELLINGS = {
    "stocked": Product.Kind.STOCKED,
    "库存商品": Product.Kind.STOCKED,
    "库存": Product.Kind.STOCKED,
    "商品": Product.Kind.STOCKED,
    "实物": Product.Kind.STOCKED,
    "service": Product.Kind.SERVICE,
    "服务": Product.Kind.SERVICE,
    "非库存": Product.Kind.SERVICE,
    "非库存商品": Product.Kind.SERVICE,
    "劳务": Product.Kind.SERVICE,
}
_CATEGORY_SPLIT = re.compile(r"\s*[/>›＞／\\]\s*")
_NUMBER_JUNK = re.compile(r"[,\s¥￥$元]")


def header_index(custom_fields: Iterable[CustomField]) -> dict[str, str]:
    index: dict[str, str] = {}
    for column in COLUMNS:
        for name in (column.key, column.en, column.zh, *column.synonyms):
            index.setdefault(normalise_header(name), column.key)
    for custom in custom_fields:
        for name in (custom.label, custom.key):
            index.setdefault(normalise_header(name), f"{CUSTOM_PREFIX}{custom.key}")
    return index


def auto_mapping(headers: Sequence[str], custom_fields: Iterable[CustomField]) -> list[str]:
    """The column key for each header ("" when not recognised or already taken)."""
    index = header_index(custom_fields)
    taken: set[str] = set()
    mapping = []
    for header in headers:
        key = index.get(normalise_header(header), "")
        if key in taken:
            key = ""
        taken.add(key)
        mapping.append(key)
    return mapping


def column_label(key: str, custom_fields: Iterable[CustomField] = ()) -> str:
    if not key:
        return ""
    if key.startswith(CUSTOM_PREFIX):
        for custom in custom_fields:
            if f"{CUSTOM_PREFIX}{custom.key}" == key:
                return custom.label
        return key[len(CUSTOM_PREFIX) :]
    return str(getattr(Product._meta.get_field(key), "verbose_name", key))


def column_choices(custom_fields: Iterable[CustomField]) -> list[tuple[str, str]]:
    custom_fields = list(custom_fields)
    result = [(c.key, column_label(c.key).capitalize()) for c in COLUMNS]
    for custom in custom_fields:
        result.append(
            (f"{CUSTOM_PREFIX}{custom.key}", _("Custom field: %(label)s") % {"label": custom.label})
        )
    return result


def export_header(key: str) -> str:
    """The header the export writes for a column (the import recognises it back)."""
    column = COLUMN_BY_KEY[key]
    return column.zh if translation.get_language() in ("zh-hans", "zh-cn", "zh") else column.en


def mapping_problems(columns: Sequence[str], known: Iterable[str]) -> list[str]:
    """What is wrong with a mapping (code and name must be mapped, each field once)."""
    problems = []
    known = set(known)
    chosen = [c for c in columns if c]
    if "code" not in chosen:
        problems.append(_("Choose the column that holds the product code."))
    if "name" not in chosen:
        problems.append(_("Choose the column that holds the product name."))
    repeated = sorted({c for c in chosen if chosen.count(c) > 1})
    if repeated:
        problems.append(
            _("Each field may come from one column only: %(fields)s")
            % {"fields": ", ".join(column_label(c) if c in known else c for c in repeated)}
        )
    unknown = sorted(set(chosen) - known)
    if unknown:
        problems.append(_("Unknown fields: %(fields)s") % {"fields": ", ".join(unknown)})
    return problems


# --- converting and checking rows ----------------------------------------------------------


@dataclass
class PreparedRow:
    row: int
    values: dict[str, Any]
    custom: dict[str, Any]
    category: tuple[str, ...] | None
    brand: str | None
    supplier_id: int | None = None
    # required custom fields the row leaves empty: an error for a new product only
    missing_required: list[str] = field(default_factory=list)
    action: str = "create"  # create, update, skip
    existing_id: int | None = None


def _parse_decimal(value: str) -> Decimal:
    text = _NUMBER_JUNK.sub("", value).replace("％", "%")
    try:
        number = Decimal(text.rstrip("%"))
    except InvalidOperation as exc:
        raise ValidationError(_("“%(value)s” is not a number."), params={"value": value}) from exc
    if not number.is_finite():
        raise ValidationError(_("“%(value)s” is not a number."), params={"value": value})
    return number


def _parse_bool(value: str) -> bool:
    text = normalise_header(value)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(_("Write 是 or 否 (yes or no)."))


class RowConverter:
    """What turning rows into products needs, loaded once per file (no query per row)."""

    def __init__(self, *, org_id: int, columns: Sequence[str], options: dict[str, Any]) -> None:
        self.org_id = org_id
        self.columns = list(columns)
        self.create_categories = bool(options.get(OPTION_CREATE_CATEGORIES, True))
        self.create_brands = bool(options.get(OPTION_CREATE_BRANDS, True))
        self.custom_fields = {
            f"{CUSTOM_PREFIX}{f.key}": f for f in active_fields(org_id, CustomField.Target.PRODUCT)
        }
        self.categories = category_paths(org_id)
        self.category_objects = {c.pk: c for c in ProductCategory.objects.filter(org_id=org_id)}
        self.brands = {normalise_header(b.name): b for b in Brand.objects.filter(org_id=org_id)}
        self.suppliers: dict[str, Party] = {}
        for party in Party.objects.filter(org_id=org_id, is_supplier=True).order_by("-id"):
            for name in (party.code, party.short_name, party.name):
                if name:
                    self.suppliers[normalise_header(name)] = party
        self.new_categories: set[tuple[str, ...]] = set()
        self.new_brands: set[str] = set()
        self.kind_lookup: dict[str, str] = {
            normalise_header(k): str(v) for k, v in _KIND_SPELLINGS.items()
        }
        for value, label in Product.Kind.choices:
            for language in ("en", "zh-hans"):
                with translation.override(language):
                    self.kind_lookup[normalise_header(str(label))] = str(value)

    def convert(self, number: int, cells: Sequence[str]) -> tuple[PreparedRow, list[RowProblem]]:
        """The row's values and its problems (the row is good when there are none)."""
        problems: list[RowProblem] = []
        values: dict[str, Any] = {}
        custom_raw: dict[str, Any] = {}
        category: tuple[str, ...] | None = None
        brand: str | None = None
        supplier: Party | None = None

        def problem(key: str, message: str) -> None:
            label = column_label(key, list(self.custom_fields.values()))
            problems.append(RowProblem(number, label, str(message), field=key))

        for index, key in enumerate(self.columns):
            if not key:
                continue
            raw = (cells[index] if index < len(cells) else "").strip()
            if key.startswith(CUSTOM_PREFIX):
                if key in self.custom_fields:
                    custom_raw[key] = raw
                continue
            if not raw:
                continue
            try:
                if key in DECIMAL_FIELDS:
                    amount = _parse_decimal(raw)
                    if key == "tax_rate" and "%" not in raw and "％" not in raw and 0 < amount < 1:
                        amount = amount * 100
                    values[key] = amount
                elif key in BOOLEAN_FIELDS:
                    values[key] = _parse_bool(raw)
                elif key == "warranty_months":
                    months = _parse_decimal(raw)
                    if months != months.to_integral_value() or months < 0:
                        raise ValidationError(_("Enter a whole number of months."))
                    values[key] = int(months)
                elif key == "kind":
                    kind = self.kind_lookup.get(normalise_header(raw))
                    if kind is None:
                        raise ValidationError(
                            _("“%(value)s” is not a kind: write 库存商品 or 服务.") % {"value": raw}
                        )
                    values[key] = kind
                elif key == "category":
                    parts = tuple(p for p in _CATEGORY_SPLIT.split(raw) if p)
                    if any(len(p) > 100 for p in parts):
                        raise ValidationError(_("Keep each category name under 100 characters."))
                    if parts and parts not in self.categories:
                        if not self.create_categories:
                            raise ValidationError(
                                _("There is no category “%(path)s”.") % {"path": " / ".join(parts)}
                            )
                        self.new_categories.add(parts)
                    category = parts or None
                elif key == "brand":
                    if len(raw) > 100:
                        raise ValidationError(_("Keep the brand under 100 characters."))
                    if normalise_header(raw) not in self.brands:
                        if not self.create_brands:
                            raise ValidationError(
                                _("There is no brand “%(name)s”.") % {"name": raw}
                            )
                        self.new_brands.add(raw)
                    brand = raw
                elif key == "preferred_supplier":
                    supplier = self.suppliers.get(normalise_header(raw))
                    if supplier is None:
                        raise ValidationError(_("There is no supplier “%(name)s”.") % {"name": raw})
                else:
                    values[key] = raw
            except ValidationError as error:
                for message in error.messages:
                    problem(key, message)
        missing_required = []
        for key, custom in self.custom_fields.items():
            if key not in custom_raw:
                continue
            raw_value: Any = custom_raw[key]
            if raw_value == "":
                # An empty cell leaves the value alone (it never blanks a stored one).
                if custom.required:
                    missing_required.append(key)
                continue
            if custom.field_type == CustomField.FieldType.MULTI_CHOICE:
                raw_value = [v.strip() for v in re.split(r"[,，;；、|]+", raw_value) if v.strip()]
            if custom.field_type == CustomField.FieldType.BOOLEAN:
                raw_value = normalise_header(raw_value) in _TRUE
            try:
                values.setdefault("custom_data", {})[custom.key] = to_json(
                    custom, form_field(custom).clean(raw_value)
                )
            except ValidationError as error:
                for message in error.messages:
                    problem(key, message)
        # The product's own rules, on an unsaved instance (no query: the codes are
        # checked for the whole file at once by `analyse`).
        product = Product(org_id=self.org_id)
        for key, value in values.items():
            setattr(product, key, value)
        if supplier is not None:
            product.preferred_supplier = supplier
        if category is not None and category in self.categories:
            product.category = self.category_objects.get(self.categories[category])
        try:
            validate_product(product, check_code=False)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                for message in messages:
                    problem(key if key in COLUMN_BY_KEY else "", message)
        return (
            PreparedRow(
                row=number,
                values=values,
                custom=values.pop("custom_data", {}),
                category=category,
                brand=brand,
                supplier_id=supplier.pk if supplier else None,
                missing_required=missing_required,
            ),
            problems,
        )


def category_paths(org_id: int) -> dict[tuple[str, ...], int]:
    """Every category of the organisation by its name path: ("办公设备", "打印机") → id."""
    nodes = list(ProductCategory.objects.filter(org_id=org_id).order_by("path"))
    by_path = {n.path: n for n in nodes}
    result: dict[tuple[str, ...], int] = {}
    for node in nodes:
        names = []
        for depth in range(1, node.depth + 1):
            ancestor = by_path.get(node.path[: depth * node.steplen])
            names.append(ancestor.name if ancestor else "")
        result[tuple(names)] = node.pk
    return result


@dataclass
class Analysis:
    rows: list[PreparedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    error_rows: set[int] = field(default_factory=set)
    total_rows: int = 0
    converter: RowConverter | None = None

    @property
    def error_count(self) -> int:
        return len(self.error_rows)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


def analyse(
    *,
    org_id: int,
    table: Table,
    columns: Sequence[str],
    policy: str,
    options: dict[str, Any],
    progress: Callable[[int], None] | None = None,
) -> Analysis:
    """Convert and check every row (the dry run). Writes nothing."""
    with org_scope(org_id):
        converter = RowConverter(org_id=org_id, columns=columns, options=options)
        analysis = Analysis(total_rows=len(table.rows), converter=converter)
        code_column = columns.index("code") if "code" in columns else -1
        codes = {
            (cells[code_column] if 0 <= code_column < len(cells) else "").strip()
            for _number, cells in table.rows
        }
        existing = {
            code: (pk, deleted_at is not None)
            for code, pk, deleted_at in Product.all_objects.filter(
                org_id=org_id, code__in=[c for c in codes if c]
            ).values_list("code", "pk", "deleted_at")
        }
        seen: dict[str, int] = {}
        for done, (number, cells) in enumerate(table.rows, start=1):
            row, problems = converter.convert(number, cells)
            code = row.values.get("code", "")
            if code:
                code_label = column_label("code")
                if code in seen:
                    problems.append(
                        RowProblem(
                            number,
                            code_label,
                            _("Row %(row)s of the file already has this code.")
                            % {"row": seen[code]},
                            field="code",
                        )
                    )
                elif code in existing:
                    pk, deleted = existing[code]
                    if deleted:
                        problems.append(
                            RowProblem(
                                number,
                                code_label,
                                _(
                                    "A product in the recycle bin has this code: restore it or use another."
                                ),
                                field="code",
                            )
                        )
                    elif policy == ProductImportJob.DuplicatePolicy.UPDATE:
                        row.action, row.existing_id = "update", pk
                    else:
                        row.action, row.existing_id = "skip", pk
                    if not problems:
                        analysis.problems.append(
                            RowProblem(
                                number,
                                code_label,
                                (
                                    _("%(code)s exists: it will be updated.")
                                    if row.action == "update"
                                    else _("%(code)s exists: the row will be skipped.")
                                )
                                % {"code": code},
                                field="code",
                                kind="duplicate",
                            )
                        )
                seen.setdefault(code, number)
                if row.action == "create":
                    for key in row.missing_required:
                        problems.append(
                            RowProblem(
                                number,
                                column_label(key, converter.custom_fields.values()),
                                _("This field is required."),
                                field=key,
                            )
                        )
            if problems:
                analysis.error_rows.add(number)
                if len(analysis.problems) < MAX_REPORTED:
                    analysis.problems.extend(problems)
            else:
                analysis.rows.append(row)
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done)
    # Errors first, then the duplicates' information, each in file order.
    analysis.problems.sort(key=lambda p: (p.kind != "error", p.row))
    return analysis


# --- writing ------------------------------------------------------------------------------------


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0


def _ensure_categories(
    org_id: int, paths: Iterable[tuple[str, ...]], actor: Any
) -> dict[tuple[str, ...], int]:
    from guanxi.core.categories import add_category

    known = category_paths(org_id)
    for path in sorted(set(paths), key=len):
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            if prefix in known:
                continue
            parent = ProductCategory.objects.get(pk=known[prefix[:-1]]) if depth > 1 else None
            node = add_category(
                model=ProductCategory,
                org=Organisation.objects.get(pk=org_id),
                name=prefix[-1],
                parent=parent,
                actor=actor,
            )
            known[prefix] = node.pk
    return known


def _ensure_brands(org_id: int, names: Iterable[str]) -> dict[str, int]:
    brands = {normalise_header(b.name): b.pk for b in Brand.objects.filter(org_id=org_id)}
    for name in sorted(set(names)):
        key = normalise_header(name)
        if key not in brands:
            brands[key] = Brand.objects.create(org_id=org_id, name=name.strip()).pk
    return brands


def write(analysis: Analysis, *, org_id: int, actor: Any, reason: str = "") -> WriteResult:
    """Write every good row in one transaction (the caller's). Raise on a refused row."""
    result = WriteResult()
    user = actor if getattr(actor, "pk", None) else None
    with org_scope(org_id):
        wanted_categories = {r.category for r in analysis.rows if r.category and r.action != "skip"}
        categories = _ensure_categories(org_id, wanted_categories, actor)  # type: ignore[arg-type]
        brands = _ensure_brands(
            org_id, {r.brand for r in analysis.rows if r.brand and r.action != "skip"}
        )
        brand_objects = {b.pk: b for b in Brand.objects.filter(org_id=org_id)}
        to_create: list[Product] = []
        to_update: list[Product] = []
        existing = {
            p.pk: p
            for p in Product.objects.filter(
                org_id=org_id, pk__in=[r.existing_id for r in analysis.rows if r.action == "update"]
            ).select_related("brand")
        }
        update_fields: set[str] = set()
        for row in analysis.rows:
            if row.action == "skip":
                result.skipped += 1
                continue
            product = (
                existing[row.existing_id]
                if row.action == "update" and row.existing_id
                else Product(org_id=org_id)
            )
            for key, value in row.values.items():
                setattr(product, key, value)
                update_fields.add(key)
            if row.custom:
                product.custom_data = {**(product.custom_data or {}), **row.custom}
                update_fields.add("custom_data")
            if row.category:
                product.category_id = categories[row.category]
                update_fields.add("category")
            if row.brand:
                product.brand = brand_objects[brands[normalise_header(row.brand)]]
                update_fields.add("brand")
            if row.supplier_id:
                product.preferred_supplier_id = row.supplier_id
                update_fields.add("preferred_supplier")
            product.search_text = product_search_text(product)
            if row.action == "update":
                product.version += 1
                to_update.append(product)
            else:
                to_create.append(product)
        if to_create:
            bulk_create_with_history(
                to_create,
                Product,
                batch_size=500,
                default_user=user,
                default_change_reason=reason[:100] or None,
            )
            result.created = len(to_create)
        if to_update:
            fields = sorted(update_fields | {"search_text", "version", "updated_at"})
            now = timezone.now()
            for product in to_update:
                product.updated_at = now
            bulk_update_with_history(
                to_update,
                Product,
                fields=fields,
                batch_size=500,
                default_user=user,
                default_change_reason=reason[:100] or None,
            )
            result.updated = len(to_update)
    return result


# --- the import job (the task, the pages and the API use these) -------------------------------


def may_import(membership: MembershipLike | None, policy: str = "") -> bool:
    if not has_perm(membership, ADD, "product"):
        return False
    return policy != ProductImportJob.DuplicatePolicy.UPDATE or has_perm(
        membership, CHANGE, "product"
    )


@transaction.atomic
def start_import(*, org: Any, actor: Any, upload: Any, language: str = "") -> ProductImportJob:
    """Store an uploaded file as a new import job, with its headers and a first mapping.

    Raise ImportFileError when the file is refused.
    """
    name = str(getattr(upload, "name", "") or "")
    size = int(getattr(upload, "size", 0) or 0)
    upload.seek(0)
    kind = check_upload(name, size, upload.read(8192))
    upload.seek(0)
    table = read_table(upload.read(), kind)
    org_id = getattr(org, "pk", org)
    with org_scope(org_id):
        custom = active_fields(org_id, CustomField.Target.PRODUCT)
        job = ProductImportJob(
            org_id=org_id,
            original_name=PurePath(name).name[:255],
            encoding=table.encoding,
            headers=table.headers,
            mapping={
                "columns": auto_mapping(table.headers, custom),
                OPTION_CREATE_CATEGORIES: True,
                OPTION_CREATE_BRANDS: True,
                "language": language or translation.get_language() or settings.LANGUAGE_CODE,
                "kind": kind,
            },
            total_rows=len(table.rows),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        upload.seek(0)
        job.file.save(
            f"{org_id}-{timezone.now():%Y%m%d%H%M%S}{PurePath(name).suffix.lower()}",
            upload,
            save=False,
        )
        job.save()
    return job


def job_columns(job: ProductImportJob) -> list[str]:
    columns = list((job.mapping or {}).get("columns") or [])
    return (columns + [""] * len(job.headers))[: len(job.headers)]


def job_options(job: ProductImportJob) -> dict[str, Any]:
    mapping = job.mapping or {}
    return {
        OPTION_CREATE_CATEGORIES: bool(mapping.get(OPTION_CREATE_CATEGORIES, True)),
        OPTION_CREATE_BRANDS: bool(mapping.get(OPTION_CREATE_BRANDS, True)),
    }


@transaction.atomic
def save_mapping(
    *,
    job: ProductImportJob,
    actor: Any,
    columns: Sequence[str],
    policy: str,
    create_categories: bool,
    create_brands: bool,
) -> ProductImportJob:
    """Store the column mapping and options; the dry run must run again.

    Raise ImportRefused for a job already imported, DomainError for a bad mapping.
    """
    if job.status in (ProductImportJob.Status.RUNNING, ProductImportJob.Status.DONE):
        raise ImportRefused(_("This file has already been imported."))
    with org_scope(job.org_id):
        custom = active_fields(job.org_id, CustomField.Target.PRODUCT)
    known = {key for key, _label in column_choices(custom)}
    columns = [c or "" for c in columns][: len(job.headers)]
    columns += [""] * (len(job.headers) - len(columns))
    problems = mapping_problems(columns, known)
    if problems:
        raise DomainError(" ".join(problems), field="columns")
    if policy not in ProductImportJob.DuplicatePolicy.values:
        raise DomainError(_("Choose what to do with existing codes."), field="duplicate_policy")
    mapping = dict(job.mapping or {})
    mapping.update(
        {
            "columns": columns,
            OPTION_CREATE_CATEGORIES: bool(create_categories),
            OPTION_CREATE_BRANDS: bool(create_brands),
        }
    )
    job.mapping = mapping
    job.duplicate_policy = policy
    job.status = ProductImportJob.Status.MAPPED
    job.processed_rows = 0
    job.errors = []
    job.created_count = job.updated_count = job.skipped_count = 0
    with org_scope(job.org_id):
        job.save()
    return job


def job_table(job: ProductImportJob) -> Table:
    kind = (job.mapping or {}).get("kind") or file_kind(job.original_name)
    with job.file.open("rb") as handle:
        data = handle.read()
    return read_table(data, kind, encoding=job.encoding)


def _job_membership(job: ProductImportJob) -> Any:
    from guanxi.accounts.models import Membership

    with org_scope(job.org_id):
        return (
            Membership.objects.filter(user_id=job.created_by_id or 0, is_active=True)
            .select_related("role", "user")
            .first()
        )


def _set_progress(job: ProductImportJob, done: int) -> None:
    with org_scope(job.org_id):
        ProductImportJob.objects.filter(pk=job.pk).update(processed_rows=done)


def _report(analysis: Analysis) -> list[dict[str, Any]]:
    return [p.as_dict() for p in analysis.problems[:MAX_REPORTED]]


def _analyse_job(job: ProductImportJob) -> Analysis:
    return analyse(
        org_id=job.org_id,
        table=job_table(job),
        columns=job_columns(job),
        policy=job.duplicate_policy,
        options=job_options(job),
        progress=lambda done: _set_progress(job, done),
    )


def run_check(job: ProductImportJob) -> ProductImportJob:
    """The dry run: analyse the file and store the report on the job. Writes no product."""
    with translation.override((job.mapping or {}).get("language") or settings.LANGUAGE_CODE):
        try:
            analysis = _analyse_job(job)
        except ImportFileError as error:
            return _fail(job, str(error.message))
        job.total_rows = analysis.total_rows
        job.processed_rows = analysis.total_rows
        job.errors = _report(analysis)
        job.created_count = analysis.count("create")
        job.updated_count = analysis.count("update")
        job.skipped_count = analysis.count("skip")
        job.status = ProductImportJob.Status.CHECKED
        mapping = dict(job.mapping or {})
        mapping["error_rows"] = analysis.error_count
        converter = analysis.converter
        mapping["new_categories"] = (
            [" / ".join(p) for p in sorted(converter.new_categories)] if converter else []
        )
        mapping["new_brands"] = sorted(converter.new_brands) if converter else []
        job.mapping = mapping
        with org_scope(job.org_id):
            job.save()
    return job


def run_import(job: ProductImportJob) -> ProductImportJob:
    """The real run: check the file again, then write every row or none."""
    membership = _job_membership(job)
    language = (job.mapping or {}).get("language") or settings.LANGUAGE_CODE
    with translation.override(language):
        if membership is None or not may_import(membership, job.duplicate_policy):
            return _fail(job, _("You may no longer import products."))
        try:
            analysis = _analyse_job(job)
        except ImportFileError as error:
            return _fail(job, str(error.message))
        if analysis.error_count:
            job.errors = _report(analysis)
            return _fail(job, None)
        mapping = dict(job.mapping or {})
        mapping["phase"] = "writing"
        with org_scope(job.org_id):
            ProductImportJob.objects.filter(pk=job.pk).update(mapping=mapping)
        try:
            with transaction.atomic():
                result = write(
                    analysis,
                    org_id=job.org_id,
                    actor=membership.user,
                    reason=_("Imported from %(file)s") % {"file": job.original_name},
                )
        except (DomainError, ValidationError) as error:
            message = error.message if isinstance(error, DomainError) else "; ".join(error.messages)
            return _fail(job, str(message))
        job.created_count = result.created
        job.updated_count = result.updated
        job.skipped_count = result.skipped
        job.processed_rows = job.total_rows = analysis.total_rows
        job.status = ProductImportJob.Status.DONE
        job.finished_at = timezone.now()
        mapping["phase"] = "done"
        job.mapping = mapping
        job.errors = [p.as_dict() for p in analysis.problems if p.kind == "duplicate"][
            :MAX_REPORTED
        ]
        with org_scope(job.org_id):
            job.save()
    return job


def _fail(job: ProductImportJob, message: str | None) -> ProductImportJob:
    errors = list(job.errors or [])
    if message:
        errors.insert(0, RowProblem(0, "", message).as_dict())
    job.errors = errors
    job.status = ProductImportJob.Status.FAILED
    job.finished_at = timezone.now()
    job.created_count = job.updated_count = 0
    mapping = dict(job.mapping or {})
    mapping["phase"] = "failed"
    job.mapping = mapping
    with org_scope(job.org_id):
        job.save()
    return job


def errors_of(job: ProductImportJob) -> list[dict[str, Any]]:
    return [e for e in (job.errors or []) if e.get("kind", "error") == "error"]


def duplicates_of(job: ProductImportJob) -> list[dict[str, Any]]:
    return [e for e in (job.errors or []) if e.get("kind") == "duplicate"]


TEMPLATE_KEYS = (
    "code",
    "name",
    "model",
    "spec",
    "unit",
    "kind",
    "category",
    "brand",
    "list_price",
    "cost_price",
    "tax_rate",
    "barcode",
    "serial_tracked",
    "warranty_type",
    "warranty_months",
    "reorder_level",
    "reorder_quantity",
    "preferred_supplier",
    "description",
)


def template_csv() -> bytes:
    """An empty CSV with the headers the import recognises, in the current language."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([export_header(k) for k in TEMPLATE_KEYS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
