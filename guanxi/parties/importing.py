"""Importing customers (and a first contact each) from CSV and Excel files (B15).

The steps, each a plain function testable without HTTP:

1. `check_upload` — size limit, extension and a look at the content (a CSV must be text,
   an .xlsx a real workbook, not an executable or a zip bomb renamed);
2. `read_table` — the header row and the data rows; CSV encodings are detected
   (UTF-8 with or without BOM, UTF-16, GBK/GB18030 from Chinese Excel via
   charset-normalizer, GB18030 preferred since it is a superset of GBK), Excel files are
   read with python-calamine;
3. `auto_mapping` — Chinese and English header names recognised (客户名称/name,
   手机/mobile, custom field labels …); the mapping page lets the user fix the rest;
4. `analyse` — every row converted and validated with the model fields' own checks plus
   the rules of `guanxi.parties.services.validate_party` (phones, WeChat IDs, credit
   limits, unique codes), owners and categories resolved, duplicates found by
   normalised phone, e-mail and name against the database and within the file;
   the dry run stops here and reports every bad row;
5. `write` — all or nothing, in one transaction: categories and tags created, parties,
   contacts and their first history versions inserted in batches, duplicates merged.

Speed: no query per row. Search text and index letter are computed in Python with the
same rules as `guanxi.parties.services.refresh_derived_fields` but with pinyin cached per
word (`derive_party_fields`, checked against the original by tests), and rows are
inserted as multi-row INSERTs straight from prepared values, with their history rows,
because building 70-field model instances for `bulk_create`/`bulk_history_create` costs
several times the insert itself.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import pinyin as core_pinyin
from guanxi.core.custom_fields import active_fields, form_field, to_json
from guanxi.core.exceptions import DomainError
from guanxi.core.models import CustomField, Tag
from guanxi.core.permissions import ADD, CHANGE, MembershipLike, has_perm, visible
from guanxi.core.scoping import org_scope
from guanxi.parties.merging import email_key, name_key, phone_key
from guanxi.parties.models import Contact, ImportJob, Party, PartyCategory, PartyRole, PartyTag
from guanxi.parties.validators import validate_mobile, validate_phone, validate_wechat

# --- limits ------------------------------------------------------------------------------

MAX_UPLOAD_BYTES: int = getattr(settings, "GUANXI_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
MAX_ROWS: int = getattr(settings, "GUANXI_IMPORT_MAX_ROWS", 500_000)
# The dry-run report keeps this many problems; the count beyond is still given.
MAX_REPORTED: int = 50_000
# An .xlsx unpacks to at most this much (a zip bomb is refused before it is read).
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
PROGRESS_EVERY = 2000

CSV = "csv"
XLSX = "xlsx"
XLS = "xls"
EXTENSIONS: dict[str, str] = {".csv": CSV, ".txt": CSV, ".tsv": CSV, ".xlsx": XLSX, ".xls": XLS}

OPTION_MATCH_ON = "match_on"
OPTION_CREATE_CATEGORIES = "create_categories"
MATCH_PHONE, MATCH_EMAIL, MATCH_NAME = "phone", "email", "name"
MATCH_CHOICES = (
    (MATCH_PHONE, gettext_lazy("Phone (mobile or landline)")),
    (MATCH_EMAIL, gettext_lazy("E-mail")),
    (MATCH_NAME, gettext_lazy("Name (without 有限公司, Co., Ltd. …)")),
)


class ImportFileError(DomainError):
    """The uploaded file cannot be imported at all (wrong type, too big, unreadable)."""

    code = "import_file"


class ImportRefused(DomainError):
    code = "import_refused"
    status_code = 409


# --- 1. the upload -------------------------------------------------------------------------

_BINARY_SIGNATURES = (
    b"PK\x03\x04",  # zip (an .xlsx renamed .csv)
    b"\xd0\xcf\x11\xe0",  # OLE2 (.xls, .doc)
    b"%PDF",
    b"MZ",  # Windows executable
    b"\x7fELF",
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"Rar!",
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf",
)


def file_kind(name: str) -> str:
    """Return csv, xlsx or xls for an accepted file name; raise ImportFileError otherwise."""
    suffix = PurePath(name or "").suffix.lower()
    kind = EXTENSIONS.get(suffix)
    if kind is None:
        raise ImportFileError(
            _("Upload a .csv, .xlsx or .xls file (this one is “%(suffix)s”).")
            % {"suffix": suffix or _("without extension")},
            field="file",
        )
    return kind


def check_upload(name: str, size: int, head: bytes) -> str:
    """Check the size, extension and first bytes of an upload; return its kind.

    Raise ImportFileError with a message for the user when the file is refused.
    """
    kind = file_kind(name)
    if size > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            _("The file is %(size)s MB; at most %(limit)s MB can be imported at once.")
            % {
                "size": f"{size / 1024 / 1024:.1f}",
                "limit": MAX_UPLOAD_BYTES // 1024 // 1024,
            },
            field="file",
        )
    if size == 0 or not head.strip():
        raise ImportFileError(_("The file is empty."), field="file")
    if kind == CSV:
        utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        if head.startswith(_BINARY_SIGNATURES) or (b"\x00" in head[:8192] and not utf16):
            raise ImportFileError(
                _("This is not a text (CSV) file. Save it from Excel as “CSV (comma delimited)”."),
                field="file",
            )
    elif kind == XLSX and not head.startswith(b"PK\x03\x04"):
        raise ImportFileError(_("This is not an Excel .xlsx workbook."), field="file")
    elif kind == XLS and not head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("This is not an Excel .xls workbook."), field="file")
    return kind


def _check_workbook_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ImportFileError(_("This Excel file is damaged."), field="file") from exc
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names:
        raise ImportFileError(_("This is not an Excel .xlsx workbook."), field="file")
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES or any(info.flag_bits & 0x1 for info in archive.infolist()):
        raise ImportFileError(
            _("This workbook is encrypted or unpacks to too much data to import."), field="file"
        )


# --- 2. reading --------------------------------------------------------------------------

_GB_FAMILY = {"gbk", "gb2312", "gb18030", "cp936", "hz", "hz-gb-2312", "euc_cn", "ms936"}


def detect_encoding(data: bytes) -> str:
    """Return the text encoding of CSV bytes.

    A BOM decides; valid UTF-8 is UTF-8; otherwise charset-normalizer guesses, and any
    guess from the GB family becomes gb18030 (a superset of GBK and GB2312, so characters
    outside GBK in a file Excel saved as "GBK" still decode).
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1024 * 1024]).best()
    guess = (best.encoding if best is not None else "").lower().replace("-", "_")
    if not guess or guess in _GB_FAMILY or guess.replace("_", "") in _GB_FAMILY:
        return "gb18030"
    return guess


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        if encoding != "gb18030":
            try:
                return data.decode("gb18030")
            except UnicodeDecodeError:
                pass
        raise ImportFileError(
            _(
                "The file's characters could not be read (it looks like %(encoding)s but is "
                "not). Save it again from Excel as “CSV UTF-8”."
            )
            % {"encoding": encoding},
            field="file",
        ) from exc


@dataclass
class Table:
    """A file's header row and its data rows as (row number in the file, cells)."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str = ""


def _clean_header(value: str) -> str:
    return str(value or "").replace("\ufeff", "").strip()


def _cell_text(value: Any) -> str:
    """Text of a spreadsheet cell: 13800138000.0 → 13800138000, a date → 2026-05-01."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(data: bytes, kind: str, *, encoding: str = "") -> Table:
    """Read the header row and the data rows of a CSV/XLSX/XLS file.

    Entirely empty rows are dropped. Raise ImportFileError when the file cannot be read
    or has no header row.
    """
    if kind == CSV:
        encoding = encoding or detect_encoding(data)
        text = _decode(data, encoding)
        if text.startswith("\ufeff"):
            text = text[1:]
        first_line = text.split("\n", 1)[0]
        try:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
            raw_rows = [(reader.line_num, row) for row in reader]
        except csv.Error as exc:
            raise ImportFileError(
                _("The CSV file is broken near line %(line)s: %(error)s")
                % {"line": reader.line_num, "error": exc},
                field="file",
            ) from exc
        # csv's line_num is the line a record ends on; the row number users see is the
        # record's position, which is what Excel shows for a CSV it opens.
        rows = [(index + 1, cells) for index, (_line, cells) in enumerate(raw_rows)]
    else:
        if kind == XLSX:
            _check_workbook_zip(data)
        rows = _read_workbook(data)
    rows = [(number, cells) for number, cells in rows if any(str(c).strip() for c in cells)]
    if not rows:
        raise ImportFileError(_("The file has no header row."), field="file")
    _header_number, header = rows[0]
    headers = [_clean_header(h) for h in header]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise ImportFileError(_("The file has no header row."), field="file")
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise ImportFileError(
            _("The file has %(rows)s rows; at most %(limit)s can be imported at once.")
            % {"rows": len(body), "limit": MAX_ROWS},
            field="file",
        )
    return Table(headers=headers, rows=body, encoding=encoding if kind == CSV else "")


def _read_workbook(data: bytes) -> list[tuple[int, list[str]]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        values = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken files
        raise ImportFileError(_("This Excel file could not be read."), field="file") from exc
    return [(index + 1, [_cell_text(v) for v in row]) for index, row in enumerate(values)]


# --- 3. columns and mapping -----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A field a file column can be imported into, with the header names recognised."""

    key: str
    en: str  # header written by the export in English, recognised by the import
    zh: str  # header written by the export in Chinese
    synonyms: tuple[str, ...] = ()


# Header names in both languages; the first two are what the export writes.
# fmt: off
COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", "客户名称", (
        "名称", "公司名称", "客户", "客户全称", "全称", "企业名称", "单位名称", "customer", "customer name",
        "company name", "full name", "account name",
    )),
    Column("short_name", "Short name", "简称", ("客户简称", "short", "abbreviation", "alias")),
    Column("code", "Code", "客户编号", (
        "编号", "编码", "客户编码", "客户代码", "customer code", "customer no", "customer number",
    )),
    Column("kind", "Kind", "客户性质", ("性质", "公司/个人", "个人/公司", "company or person")),
    Column("customer_type", "Type", "类型", ("客户类型", "customer type")),
    Column("level", "Level", "级别", ("客户级别", "等级", "客户等级", "customer level", "rating")),
    Column("source", "Source", "来源", ("客户来源", "lead source", "customer source")),
    Column("owner", "Owner", "负责人", (
        "业务员", "销售", "销售员", "所属销售", "归属人", "客户经理", "sales rep", "account owner", "assigned to",
        "salesperson",
    )),
    Column("category", "Category", "分类", ("客户分类", "类别", "customer category")),
    Column("tags", "Tags", "标签", ("tag", "labels")),
    Column("settlement_type", "Settlement", "结算方式", ("结算", "settlement type", "payment terms")),
    Column("credit_limit", "Credit limit", "信用额度", ("授信额度", "信用额", "credit")),
    Column("gender", "Gender", "性别", ("sex",)),
    Column("birthday", "Birthday", "生日", ("出生日期", "date of birth", "dob")),
    Column("mobile", "Mobile", "手机", (
        "手机号", "手机号码", "移动电话", "mobile phone", "cell", "cellphone", "cell phone",
    )),
    Column("phone", "Phone", "电话", (
        "固话", "固定电话", "办公电话", "联系电话", "电话号码", "telephone", "tel", "work phone", "office phone",
    )),
    Column("email", "E-mail", "邮箱", (
        "电子邮件", "电子邮箱", "邮件", "email", "mail", "email address", "e-mail address",
    )),
    Column("wechat", "WeChat", "微信", ("微信号", "wechat id", "weixin")),
    Column("qq", "QQ", "QQ", ("qq号", "qq号码")),
    Column("company_name", "Company", "工作单位", ("所在单位", "单位", "employer")),
    Column("department", "Department", "部门", ("dept",)),
    Column("job_title", "Job title", "职务", ("职位", "title", "position")),
    Column("industry", "Industry", "行业", ("所属行业",)),
    Column("company_size", "Company size", "公司规模", ("规模", "人数", "employees", "size")),
    Column("website", "Website", "网址", ("网站", "主页", "公司网址", "web", "url", "homepage")),
    Column("fax", "Fax", "传真", ()),
    Column("country", "Country", "国家", ("国家/地区",)),
    Column("province", "Province", "省份", ("省", "省/直辖市", "state")),
    Column("city", "City", "城市", ("市", "所在城市")),
    Column("district", "District", "区县", ("区", "县", "区/县")),
    Column("address", "Address", "地址", ("详细地址", "通讯地址", "公司地址", "street")),
    Column("postcode", "Postcode", "邮编", ("邮政编码", "zip", "zip code", "postal code")),
    Column("home_address", "Home address", "家庭住址", ("家庭地址",)),
    Column("home_phone", "Home phone", "家庭电话", ("住宅电话",)),
    Column("spouse", "Spouse", "配偶", ()),
    Column("children", "Children", "子女", ()),
    Column("family_notes", "Family notes", "家庭备注", ()),
    Column("background", "Background", "背景", ("客户背景", "公司简介", "简介")),
    Column("decision_makers", "Decision makers", "决策人", ()),
    Column("budget", "Budget", "预算", ()),
    Column("purchase_timeline", "Purchase timeline", "采购时间", ("采购周期",)),
    Column("interests", "Interests", "兴趣爱好", ("爱好",)),
    Column("upstream_partners", "Upstream partners", "上游伙伴", ("上游",)),
    Column("downstream_partners", "Downstream partners", "下游伙伴", ("下游",)),
    Column("notes", "Notes", "备注", ("说明", "note", "remarks", "comment", "comments")),
    Column("contact.name", "Contact", "联系人", ("联系人姓名", "联系人名称", "contact name", "contact person")),
    Column("contact.mobile", "Contact mobile", "联系人手机", ("联系人手机号", "联系人移动电话", "contact cell")),
    Column("contact.phone", "Contact phone", "联系人电话", ("联系人固话",)),
    Column("contact.email", "Contact e-mail", "联系人邮箱", ("联系人电子邮件", "contact email")),
    Column("contact.wechat", "Contact WeChat", "联系人微信", ()),
    Column("contact.role", "Contact role", "联系人职务", ("联系人职位", "contact title")),
    Column("contact.department", "Contact department", "联系人部门", ()),
    Column("contact.gender", "Contact gender", "联系人性别", ()),
)
# fmt: on
COLUMN_BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
CONTACT_PREFIX = "contact."
CUSTOM_PREFIX = "cf."
SPECIAL_KEYS = frozenset({"owner", "category", "tags"})


def normalise_header(value: str) -> str:
    """Fold a header for comparison: full-width to half-width, lower case, no spaces or marks."""
    text = unicodedata.normalize("NFKC", str(value or "")).replace("\ufeff", "").lower()
    text = re.sub(r"[（(][^)）]*必填[^)）]*[)）]", "", text)  # "名称(必填)"
    return re.sub(r"[\s_\-*:：.。/]+", "", text)


def header_index(custom_fields: Iterable[CustomField]) -> dict[str, str]:
    """Return {normalised header name: column key} for every recognised header."""
    index: dict[str, str] = {}
    for column in COLUMNS:
        for name in (column.key, column.en, column.zh, *column.synonyms):
            index.setdefault(normalise_header(name), column.key)
    for custom in custom_fields:
        key = f"{CUSTOM_PREFIX}{custom.key}"
        for name in (custom.label, custom.key):
            index.setdefault(normalise_header(name), key)
    return index


def auto_mapping(headers: Sequence[str], custom_fields: Iterable[CustomField]) -> list[str]:
    """Return the column key for each header ("" for headers not recognised or repeated)."""
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


def column_choices(custom_fields: Iterable[CustomField]) -> list[tuple[str, str]]:
    """The (key, label) pairs the mapping page offers for each column."""
    result: list[tuple[str, str]] = []
    for column in COLUMNS:
        result.append((column.key, column_label(column.key)))
    for custom in custom_fields:
        label = _("Custom field: %(label)s") % {"label": custom.label}
        result.append((f"{CUSTOM_PREFIX}{custom.key}", label))
    return result


def column_label(key: str, custom_fields: Iterable[CustomField] = ()) -> str:
    """The translated name of a column key, e.g. mobile → 手机 / Mobile."""
    if key.startswith(CUSTOM_PREFIX):
        for custom in custom_fields:
            if f"{CUSTOM_PREFIX}{custom.key}" == key:
                return custom.label
        return key[len(CUSTOM_PREFIX) :]
    if key == "owner":
        return str(Party._meta.get_field("owner").verbose_name)
    if key == "category":
        return str(Party._meta.get_field("category").verbose_name)
    if key == "tags":
        return _("Tags")
    if key.startswith(CONTACT_PREFIX):
        name = key[len(CONTACT_PREFIX) :]
        return _("Contact: %(field)s") % {"field": Contact._meta.get_field(name).verbose_name}
    return str(Party._meta.get_field(key).verbose_name)


def export_header(key: str) -> str:
    """The header the export writes for a column (the import recognises it back)."""
    column = COLUMN_BY_KEY[key]
    return column.zh if translation.get_language() in ("zh-hans", "zh-cn", "zh") else column.en


def mapping_problems(columns: Sequence[str], known: Iterable[str]) -> list[str]:
    """Return what is wrong with a mapping (the customer name must be mapped, once)."""
    problems = []
    known = set(known)
    chosen = [c for c in columns if c]
    if "name" not in chosen:
        problems.append(_("Choose the column that holds the customer name."))
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


# --- fast derived fields (same rules as services.refresh_derived_fields) -------------------

from pypinyin import Style as _Style  # noqa: E402
from pypinyin import lazy_pinyin as _lazy_pinyin  # noqa: E402
from pypinyin import pinyin as _pinyin  # noqa: E402
from pypinyin.constants import RE_HANS as _RE_HANS  # noqa: E402
from pypinyin.seg.mmseg import seg as _mmseg  # noqa: E402

# pypinyin segments text into runs of Han characters and runs of anything else, then
# cuts each Han run into dictionary words (simpleseg.seg). The same here, with the cut
# of each run and the pinyin of each word cached: company names share most of them.
_HAN_CLASS = _RE_HANS.pattern.removeprefix("^(?:").removesuffix(")+$")
_RUNS = re.compile(f"(?:{_HAN_CLASS})+|(?:(?!{_HAN_CLASS}).)+", re.DOTALL)


@lru_cache(maxsize=200_000)
def _cut(run: str) -> tuple[str, ...]:
    return tuple(_mmseg.cut(run))


def _segments(text: str) -> list[str]:
    words: list[str] = []
    for run in _RUNS.findall(text):
        if _RE_HANS.match(run):
            words.extend(_cut(run))
        else:
            words.append(run)
    return words


@lru_cache(maxsize=200_000)
def _word_normal(word: str) -> tuple[str, ...]:
    if not _RE_HANS.match(word):
        return (word,)
    return tuple(_lazy_pinyin(word, errors="default"))


@lru_cache(maxsize=200_000)
def _word_letters(word: str) -> tuple[str, ...]:
    if not _RE_HANS.match(word):
        return (word,)
    return tuple(_lazy_pinyin(word, style=_Style.FIRST_LETTER, errors="default"))


@lru_cache(maxsize=200_000)
def _word_readings(word: str) -> tuple[tuple[str, ...], ...]:
    if not _RE_HANS.match(word):
        return ((word.lower(),),)
    return tuple(
        tuple(r.lower() for r in readings)
        for readings in _pinyin(word, style=_Style.NORMAL, heteronym=True, errors="default")
    )


def _full_pinyin(text: str, surname: bool) -> str:
    syllables = [s for word in _segments(text) for s in _word_normal(word)]
    if surname and text[0] in core_pinyin.SURNAME_READINGS:
        syllables[0] = core_pinyin.SURNAME_READINGS[text[0]]
    return "".join(syllables).lower()


def _initials(text: str, surname: bool) -> str:
    letters = [s for word in _segments(text) for s in _word_letters(word)]
    if surname and text[0] in core_pinyin.SURNAME_READINGS:
        letters[0] = core_pinyin.SURNAME_READINGS[text[0]][0]
    return "".join(part[:1] for part in letters).lower()


def _reading_variants(text: str) -> list[str]:
    per_char = [r for word in _segments(text) for r in _word_readings(word)]
    combos = itertools.islice(itertools.product(*per_char), core_pinyin._MAX_COMBINATIONS)
    return ["".join(combo) for combo in combos]


@lru_cache(maxsize=50_000)
def _name_parts(value: str, is_person: bool) -> tuple[str, ...]:
    parts = [value.lower()]
    if core_pinyin.has_han(value):
        parts.append(_full_pinyin(value, is_person))
        parts.append(_initials(value, is_person))
        parts.extend(_reading_variants(value))
    return tuple(parts)


def fast_search_text(
    *,
    names: Iterable[str] = (),
    person_names: Iterable[str] = (),
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    extra: Iterable[str] = (),
) -> str:
    """`guanxi.core.pinyin.search_text` with pinyin cached per word (same result)."""
    parts: list[str] = []
    for value, is_person in [*((n, False) for n in names), *((n, True) for n in person_names)]:
        value = (value or "").strip()
        if value:
            parts.extend(_name_parts(value, is_person))
    for phone in phones:
        digits = core_pinyin.phone_digits(phone)
        if digits:
            parts.append(digits)
    for email in emails:
        if email:
            parts.append(email.strip().lower())
    for value in extra:
        if value:
            parts.append(str(value).strip().lower())
    return " ".join(dict.fromkeys(p for p in parts if p))


@lru_cache(maxsize=10_000)
def _index_letter(first_char: str, surname: bool) -> str:
    return core_pinyin.index_letter(first_char, surname=surname)


def derive_party_fields(
    values: dict[str, Any], contacts: Sequence[dict[str, Any]] = ()
) -> tuple[str, str, str, str]:
    """Return (name, short name, index letter, search text) of a new party and its contacts.

    The same result as `refresh_derived_fields` followed by `create_contact` for each
    contact (whose names and phones are added to the party's search text).
    """
    name = (values.get("name") or "").strip()
    short_name = (values.get("short_name") or "").strip() or name[:100]
    person = values.get("kind") == Party.Kind.PERSON
    stripped = short_name.strip()
    letter = _index_letter(stripped[0], person) if stripped else "#"
    names = [short_name, values.get("company_name", ""), values.get("code", "")]
    person_names = [c["name"] for c in contacts]
    (person_names if person else names).append(name)
    text = fast_search_text(
        names=names,
        person_names=person_names,
        phones=[
            values.get("mobile", ""),
            values.get("phone", ""),
            values.get("home_phone", ""),
            values.get("fax", ""),
        ],
        emails=[values.get("email", "")],
        extra=[values.get("wechat", ""), values.get("qq", ""), values.get("city", "")],
    )
    if contacts:
        contact_phones = [p for c in contacts for p in (c.get("mobile", ""), c.get("phone", ""))]
        more = fast_search_text(phones=contact_phones)
        if more:
            text = f"{text} {more}"
    return name, short_name, letter, text


def contact_search_text_fast(contact: dict[str, Any]) -> str:
    """`services.contact_search_text` for a contact given as a dict."""
    return fast_search_text(
        person_names=[contact.get("name", "")],
        phones=[contact.get("mobile", ""), contact.get("phone", "")],
        emails=[contact.get("email", "")],
        extra=[contact.get("wechat", ""), contact.get("role", "")],
    )


# --- 4. converting and checking rows ---------------------------------------------------------


@dataclass
class RowProblem:
    row: int
    column: str
    message: str
    field: str = ""
    kind: str = "error"  # "error" (the row is bad) or "duplicate" (information)

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "message": self.message,
            "kind": self.kind,
        }


@dataclass
class PreparedRow:
    """One good row: the party's values, its first contact, category and tags."""

    row: int
    values: dict[str, Any]
    custom: dict[str, Any]
    contact: dict[str, Any] | None
    category: tuple[str, ...] | None
    tags: list[str]
    keys: dict[str, list[str]] = field(default_factory=dict)
    # filled by the duplicate pass
    action: str = "create"  # create, skip, merge-db, merge-file
    target: int | None = None  # the party (merge-db) or earlier row (merge-file)
    extra_contacts: list[dict[str, Any]] = field(default_factory=list)
    # (name, short name, index letter, search text), computed before the write
    derived: tuple[str, str, str, str] | None = None


def _choice_lookup(model: type[models.Model], name: str, extra: dict[str, str]) -> dict[str, str]:
    """Every way a choice may be written (value, English and Chinese label) → stored value."""
    model_field = model._meta.get_field(name)
    lookup: dict[str, str] = {}
    for value, label in model_field.choices or []:
        spellings = {str(value), str(label)}
        for language in ("en", "zh-hans"):
            with translation.override(language):
                spellings.add(str(label))
        for spelling in spellings:
            if spelling:
                lookup[normalise_header(spelling)] = str(value)
    for spelling, value in extra.items():
        lookup[normalise_header(spelling)] = value
    return lookup


# Chinese (and common) spellings of the choices, whether or not translations are installed.
# fmt: off
_CHOICE_SYNONYMS: dict[str, dict[str, str]] = {
    "kind": {
        "公司": "company", "企业": "company", "单位": "company", "个人": "person", "person": "person",
        "individual": "person",
    },
    "customer_type": {
        "企业": "enterprise", "企业客户": "enterprise", "公司": "enterprise", "个人": "individual",
        "个人客户": "individual", "个人消费者": "individual", "政府": "government", "机关": "government",
        "事业单位": "government", "政府/机构": "government", "经销商": "dealer", "代理商": "dealer",
        "渠道": "dealer", "其他": "other", "其它": "other",
    },
    "level": {
        "重点客户": "key", "关键客户": "key", "重点": "key", "vip": "key", "a": "key", "重要": "important",
        "重要客户": "important", "b": "important", "普通": "normal", "一般": "normal", "普通客户": "normal",
        "c": "normal", "低": "low", "次要": "low", "低优先级": "low", "d": "low",
    },
    "source": {
        "转介绍": "referral", "介绍": "referral", "推荐": "referral", "老客户介绍": "referral",
        "网站": "website", "官网": "website", "网络": "website", "展会": "exhibition", "广告": "advertising",
        "陌生拜访": "cold_call", "电话营销": "cold_call", "陌拜": "cold_call", "合作伙伴": "partner",
        "伙伴": "partner", "微信": "social", "社交媒体": "social", "上门": "walk_in", "到店": "walk_in",
        "自然到访": "walk_in", "其他": "other", "其它": "other",
    },
    "settlement_type": {
        "现金": "cash", "现结": "cash", "预付": "prepaid", "预付款": "prepaid", "赊销": "credit",
        "信用": "credit", "月结": "credit", "账期": "credit",
    },
    "gender": {
        "男": "male", "女": "female", "m": "male", "f": "female", "先生": "male", "女士": "female",
        "未知": "",
    },
}
# fmt: on
_MULTI_SPLIT = re.compile(r"[,，;；、|]+")
_CATEGORY_SPLIT = re.compile(r"\s*[/>›＞／\\]\s*")
_NUMBER_JUNK = re.compile(r"[,\s¥￥$元]")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%d/%m/%Y")
_MOBILE_SHAPE = re.compile(r"^1\d{10}$")
_PHONE_FIELDS = {
    "mobile": validate_mobile,
    "phone": validate_phone,
    "home_phone": validate_phone,
    "fax": validate_phone,
}
_CONTACT_FIELDS = ("name", "mobile", "phone", "email", "wechat", "role", "department", "gender")


@lru_cache(maxsize=8192)
def _mobile_prefix_valid(mobile: bool, prefix: str) -> bool:
    """Validate one 11-digit number per 7-digit prefix: in the numbering plan a Chinese
    mobile's validity depends on its first few digits only, and phonenumbers is slow."""
    try:
        (validate_mobile if mobile else validate_phone)(prefix + "0000")
    except ValidationError:
        return False
    return True


def _check_phone(name: str, value: str) -> None:
    validator = _PHONE_FIELDS.get(name, validate_phone)
    compact = value.replace(" ", "").replace("-", "")
    if _MOBILE_SHAPE.match(compact) and _mobile_prefix_valid(
        validator is validate_mobile, compact[:7]
    ):
        return
    # Not an 11-digit mobile, or an invalid one: the real validator gives the message.
    validator(value)


def _parse_date(value: str) -> date:
    text = value.strip().split(" ")[0].split("T")[0]
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValidationError(_("“%(value)s” is not a date (use 2026-05-01)."), params={"value": value})


class RowConverter:
    """Everything needed to turn a file's rows into parties, loaded once per file."""

    def __init__(
        self,
        *,
        org_id: int,
        columns: Sequence[str],
        headers: Sequence[str],
        options: dict[str, Any],
    ) -> None:
        from guanxi.accounts.models import Membership

        self.org_id = org_id
        self.columns = list(columns)
        self.headers = list(headers)
        self.create_categories = bool(options.get(OPTION_CREATE_CATEGORIES, True))
        with org_scope(org_id):
            self.custom_fields = {
                f"{CUSTOM_PREFIX}{f.key}": f
                for f in active_fields(org_id, CustomField.Target.PARTY)
            }
            self.custom_form_fields = {k: form_field(f) for k, f in self.custom_fields.items()}
            members = list(Membership.objects.filter(is_active=True).select_related("user"))
            self.categories = category_paths(org_id)
        self.members: dict[str, int | None] = {}
        for membership in members:
            user = membership.user
            for spelling in {user.username, user.display_name, user.get_full_name(), str(user)}:
                key = spelling.strip().casefold() if spelling else ""
                if not key:
                    continue
                # A name two members share is ambiguous: None makes the row ask for the username.
                if key in self.members and self.members[key] != user.pk:
                    self.members[key] = None
                else:
                    self.members[key] = user.pk
        self.choices = {
            name: _choice_lookup(Party, name, _CHOICE_SYNONYMS.get(name, {}))
            for name in ("kind", "customer_type", "level", "source", "settlement_type", "gender")
        }
        self.contact_gender = _choice_lookup(Contact, "gender", _CHOICE_SYNONYMS["gender"])
        self.new_categories: set[tuple[str, ...]] = set()
        self.plan = [
            (index, self.headers[index] if index < len(self.headers) else "", key)
            for index, key in enumerate(self.columns)
            if key
        ]
        self.width = len(self.headers)

    # The conversion of one row; returns the prepared row and the problems found.
    def convert(self, number: int, cells: list[str]) -> tuple[PreparedRow | None, list[RowProblem]]:
        problems: list[RowProblem] = []
        if len(cells) > self.width and any(str(c).strip() for c in cells[self.width :]):
            problems.append(
                RowProblem(
                    number,
                    "",
                    _("The row has %(cells)s cells but the header only %(columns)s columns.")
                    % {"cells": len(cells), "columns": self.width},
                )
            )
            return None, problems
        if len(cells) < self.width:
            problems.append(
                RowProblem(
                    number,
                    "",
                    _("The row has %(cells)s cells; the header has %(columns)s columns.")
                    % {"cells": len(cells), "columns": self.width},
                )
            )
            return None, problems
        values: dict[str, Any] = {}
        custom_raw: dict[str, str] = {}
        contact: dict[str, Any] = {}
        category: tuple[str, ...] | None = None
        tags: list[str] = []
        contact_given = False
        for index, header, key in self.plan:
            raw = cells[index].strip() if index < len(cells) else ""
            try:
                if key.startswith(CONTACT_PREFIX):
                    if raw:
                        contact_given = True
                        contact[key[len(CONTACT_PREFIX) :]] = self._contact_value(
                            key[len(CONTACT_PREFIX) :], raw
                        )
                elif key.startswith(CUSTOM_PREFIX):
                    custom_raw[key] = raw
                elif key == "owner":
                    if raw:
                        values["owner_id"] = self._owner(raw)
                elif key == "category":
                    if raw:
                        category = self._category(raw)
                elif key == "tags":
                    tags = self._tags(raw)
                else:
                    value = self._party_value(key, raw)
                    if value is not None:
                        values[key] = value
            except ValidationError as error:
                for message in error.messages:
                    problems.append(RowProblem(number, header, message, field=key))
        custom = self._custom(number, custom_raw, problems)
        self._row_rules(number, values, contact, problems, contact_given=contact_given)
        if problems:
            return None, problems
        row = PreparedRow(
            row=number,
            values=values,
            custom=custom,
            contact=contact or None,
            category=category,
            tags=tags,
        )
        return row, problems

    def _party_value(self, key: str, raw: str) -> Any:
        model_field = Party._meta.get_field(key)
        if key in self.choices:
            if not raw:
                return None
            value = self.choices[key].get(normalise_header(raw))
            if value is None:
                options = "、".join(str(label) for _v, label in model_field.choices if _v)
                raise ValidationError(
                    _("“%(value)s” is not one of: %(options)s.")
                    % {"value": raw, "options": options}
                )
            return value
        if isinstance(model_field, models.DecimalField):
            if not raw:
                return None
            try:
                number = Decimal(_NUMBER_JUNK.sub("", raw))
            except InvalidOperation as exc:
                raise ValidationError(_("“%(value)s” is not a number.") % {"value": raw}) from exc
            return model_field.clean(number, None)
        if isinstance(model_field, models.DateField):
            return _parse_date(raw) if raw else None
        if not raw:
            if key == "name":
                raise ValidationError(_("The customer name is empty."))
            return None  # an empty cell keeps the field's default
        if isinstance(model_field, models.URLField) and "://" not in raw:
            raw = f"http://{raw}"  # as the website field of the edit form does
        value = model_field.clean(raw, None)
        if key in _PHONE_FIELDS:
            _check_phone(key, raw)
        elif key == "wechat":
            validate_wechat(raw)
        return value

    def _contact_value(self, name: str, raw: str) -> Any:
        if name == "gender":
            value = self.contact_gender.get(normalise_header(raw))
            if value is None:
                raise ValidationError(_("“%(value)s” is not a gender.") % {"value": raw})
            return value
        value = Contact._meta.get_field(name).clean(raw, None)
        if name in ("mobile", "phone"):
            _check_phone(name, raw)
        elif name == "wechat":
            validate_wechat(raw)
        return value

    def _owner(self, raw: str) -> int:
        key = raw.strip().casefold()
        if key not in self.members:
            raise ValidationError(
                _("“%(value)s” is not an active member of this organisation.") % {"value": raw}
            )
        user_id = self.members[key]
        if user_id is None:
            raise ValidationError(
                _("Several members are called “%(value)s”; write the username instead.")
                % {"value": raw}
            )
        return user_id

    def _category(self, raw: str) -> tuple[str, ...]:
        path = tuple(p for p in _CATEGORY_SPLIT.split(raw.strip()) if p)
        if any(len(p) > 100 for p in path):
            raise ValidationError(_("A category name has at most 100 characters."))
        if path not in self.categories:
            if not self.create_categories:
                raise ValidationError(
                    _("There is no customer category “%(path)s”.") % {"path": " / ".join(path)}
                )
            self.new_categories.add(path)
        return path

    def _tags(self, raw: str) -> list[str]:
        names = list(dict.fromkeys(t.strip() for t in _MULTI_SPLIT.split(raw) if t.strip()))
        too_long = [n for n in names if len(n) > 40]
        if too_long:
            raise ValidationError(
                _("A tag has at most 40 characters: “%(tag)s”.") % {"tag": too_long[0]}
            )
        return names

    def _custom(
        self, number: int, raw: dict[str, str], problems: list[RowProblem]
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, text in raw.items():
            custom = self.custom_fields[key]
            value: Any = text
            if custom.field_type == CustomField.FieldType.MULTI_CHOICE:
                value = [v.strip() for v in text.replace("；", ";").split(";") if v.strip()]
                if len(value) == 1:
                    value = [v.strip() for v in _MULTI_SPLIT.split(text) if v.strip()]
            elif custom.field_type == CustomField.FieldType.BOOLEAN:
                value = text.strip().lower() in {"1", "true", "yes", "y", "是", "对", "√"}
            elif custom.field_type == CustomField.FieldType.DATE and text:
                try:
                    value = _parse_date(text)
                except ValidationError:
                    value = text
            try:
                cleaned = self.custom_form_fields[key].clean(value)
            except ValidationError as error:
                header = self.headers[self.columns.index(key)]
                for message in error.messages:
                    problems.append(RowProblem(number, header, message, field=key))
                continue
            values[custom.key] = to_json(custom, cleaned)
        return values

    def _row_rules(
        self,
        number: int,
        values: dict[str, Any],
        contact: dict[str, Any],
        problems: list[RowProblem],
        *,
        contact_given: bool = False,
    ) -> None:
        # The rules of services.validate_party that span fields.
        if (
            values.get("settlement_type") == Party.Settlement.CREDIT
            and values.get("credit_limit") is None
        ):
            problems.append(
                RowProblem(
                    number,
                    self._header("credit_limit"),
                    _("Credit customers need a credit limit."),
                    field="credit_limit",
                )
            )
        limit = values.get("credit_limit")
        if limit is not None and limit < 0:
            problems.append(
                RowProblem(
                    number,
                    self._header("credit_limit"),
                    _("The credit limit cannot be negative."),
                    field="credit_limit",
                )
            )
        if (contact or contact_given) and not contact.get("name"):
            problems.append(
                RowProblem(
                    number,
                    self._header("contact.name"),
                    _("A contact needs a name."),
                    field="contact.name",
                )
            )
        short = (values.get("short_name") or "").strip() or (values.get("name") or "")[:100]
        if not short.strip() and "name" in values:
            problems.append(
                RowProblem(
                    number, self._header("name"), _("The customer name is empty."), field="name"
                )
            )

    def _header(self, key: str) -> str:
        if key in self.columns:
            index = self.columns.index(key)
            return self.headers[index] if index < len(self.headers) else ""
        return ""


def category_paths(org_id: int) -> dict[tuple[str, ...], int]:
    """Return {(names from the root): id} for the customer category tree."""
    with org_scope(org_id):
        nodes = list(
            PartyCategory.objects.filter(tree=PartyRole.CUSTOMER)
            .order_by("path")
            .values_list("id", "path", "name")
        )
    steplen = PartyCategory.steplen
    names_by_path = {path: name for _pk, path, name in nodes}
    result: dict[tuple[str, ...], int] = {}
    for pk, path, _name in nodes:
        names = tuple(
            names_by_path.get(path[:end], "") for end in range(steplen, len(path) + 1, steplen)
        )
        result.setdefault(names, pk)
    return result


# --- duplicates -------------------------------------------------------------------------------


def _row_keys(row: PreparedRow, match_on: Iterable[str]) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    match_on = set(match_on)
    if MATCH_PHONE in match_on:
        phones = [phone_key(row.values.get(f, "")) for f in ("mobile", "phone")]
        keys[MATCH_PHONE] = [p for p in dict.fromkeys(phones) if p]
    if MATCH_EMAIL in match_on:
        email = email_key(row.values.get("email", ""))
        keys[MATCH_EMAIL] = [email] if email else []
    if MATCH_NAME in match_on:
        name = name_key(row.values.get("name", ""))
        keys[MATCH_NAME] = [name] if name else []
    return keys


@dataclass
class ExistingMatch:
    party_id: int
    name: str
    visible: bool


def existing_matches(
    org_id: int, wanted: dict[str, set[str]], membership: MembershipLike | None
) -> dict[tuple[str, str], ExistingMatch]:
    """Find live customers whose phone/e-mail/name key is among `wanted`, in one pass.

    Every customer of the organisation is compared (so a rep does not re-create a
    colleague's customer), but only the keys the file has are kept in memory.
    Restricted customers are compared by their phone tokens.
    """
    found: dict[tuple[str, str], ExistingMatch] = {}
    phones, emails, names = (
        wanted.get(MATCH_PHONE, set()),
        wanted.get(MATCH_EMAIL, set()),
        wanted.get(MATCH_NAME, set()),
    )
    if not (phones or emails or names):
        return found
    with org_scope(org_id):
        base = Party.objects.filter(is_customer=True)
        visible_ids = set()
        candidates = base.values_list(
            "id", "name", "short_name", "mobile", "phone", "email", "restricted_phone_index"
        ).order_by("id")
        rows = []
        for pk, name, short, mobile, phone, email, tokens in candidates.iterator(chunk_size=5000):
            hits = []
            for number in (mobile, phone):
                key = phone_key(number) if number else ""
                if key and key in phones:
                    hits.append((MATCH_PHONE, key))
            if emails and email:
                key = email_key(email)
                if key in emails:
                    hits.append((MATCH_EMAIL, key))
            if names:
                key = name_key(name)
                if key in names:
                    hits.append((MATCH_NAME, key))
            if tokens and phones:
                hits.extend((MATCH_PHONE, f"token:{t}") for t in tokens.split())
            if hits:
                rows.append((pk, short or name, hits))
        if rows:
            ids = [pk for pk, _n, _h in rows]
            for start in range(0, len(ids), 900):
                chunk = ids[start : start + 900]
                visible_ids.update(
                    visible(base.filter(pk__in=chunk), membership, "party").values_list(
                        "pk", flat=True
                    )
                )
    tokens_wanted = (
        _phone_tokens(org_id, phones)
        if any(key.startswith("token:") for _pk, _n, hits in rows for _k, key in hits)
        else {}
    )
    for pk, label, hits in rows:
        for kind, key in hits:
            if key.startswith("token:"):
                digits = tokens_wanted.get(key[len("token:") :])
                if digits is None:
                    continue
                key = digits
            found.setdefault((kind, key), ExistingMatch(pk, label, pk in visible_ids))
    return found


def _phone_tokens(org_id: int, phones: Iterable[str]) -> dict[str, str]:
    try:
        from guanxi.parties.restricted import phone_index_token
    except ImportError:  # restricted customers not installed: nothing to compare
        return {}
    return {phone_index_token(org_id, digits): digits for digits in phones}


def resolve_duplicates(
    rows: list[PreparedRow],
    *,
    org_id: int,
    policy: str,
    match_on: Sequence[str],
    membership: MembershipLike | None,
) -> list[RowProblem]:
    """Decide what happens to each row that duplicates a customer or an earlier row.

    Return one "duplicate" note per such row for the report.
    """
    wanted: dict[str, set[str]] = {m: set() for m in match_on}
    for row in rows:
        row.keys = _row_keys(row, match_on)
        for kind, keys in row.keys.items():
            wanted[kind].update(keys)
    existing = existing_matches(org_id, wanted, membership)
    seen: dict[tuple[str, str], PreparedRow] = {}
    notes: list[RowProblem] = []
    labels = {MATCH_PHONE: _("phone"), MATCH_EMAIL: _("e-mail"), MATCH_NAME: _("name")}
    for row in rows:
        match: ExistingMatch | None = None
        earlier: PreparedRow | None = None
        how = ""
        for kind in (MATCH_PHONE, MATCH_EMAIL, MATCH_NAME):
            for key in row.keys.get(kind, []):
                if match is None and (kind, key) in existing:
                    match, how = existing[(kind, key)], kind
                if earlier is None and (kind, key) in seen:
                    earlier = seen[(kind, key)]
                    how = how or kind
        if match is None and earlier is None:
            for kind, keys in row.keys.items():
                for key in keys:
                    seen.setdefault((kind, key), row)
            continue
        if policy == ImportJob.DuplicatePolicy.CREATE:
            row.action = "create"
            for kind, keys in row.keys.items():
                for key in keys:
                    seen.setdefault((kind, key), row)
            outcome = _("created anyway")
        elif policy == ImportJob.DuplicatePolicy.SKIP:
            row.action = "skip"
            outcome = _("skipped")
        elif match is not None and not match.visible:
            row.action = "skip"
            outcome = _("skipped: you cannot change that customer")
        elif match is not None:
            row.action, row.target = "merge-db", match.party_id
            outcome = _("its empty fields will be filled in")
        elif earlier is not None:
            row.action, row.target = "merge-file", earlier.row
            outcome = _("merged into row %(row)s") % {"row": earlier.row}
        if match is not None:
            what = (
                _("the existing customer “%(name)s”") % {"name": match.name}
                if match.visible
                else _("an existing customer you cannot see")
            )
        else:
            what = _("row %(row)s") % {"row": earlier.row if earlier else "?"}
        notes.append(
            RowProblem(
                row.row,
                "",
                _("Same %(key)s as %(what)s: %(outcome)s.")
                % {"key": labels.get(how, how), "what": what, "outcome": outcome},
                kind="duplicate",
            )
        )
    return notes


# --- the analysis (the dry run) ----------------------------------------------------------------


@dataclass
class Analysis:
    rows: list[PreparedRow]
    problems: list[RowProblem]  # errors then duplicate notes
    error_count: int
    total_rows: int
    converter: RowConverter
    prepared: bool = False

    @property
    def to_create(self) -> int:
        return sum(1 for r in self.rows if r.action == "create")

    @property
    def to_update(self) -> int:
        return len({r.target for r in self.rows if r.action == "merge-db"})

    @property
    def to_skip(self) -> int:
        return sum(1 for r in self.rows if r.action in ("skip", "merge-file"))


def job_options(job: ImportJob) -> dict[str, Any]:
    mapping = job.mapping if isinstance(job.mapping, dict) else {}
    return {
        OPTION_MATCH_ON: list(mapping.get(OPTION_MATCH_ON, [MATCH_PHONE, MATCH_EMAIL, MATCH_NAME])),
        OPTION_CREATE_CATEGORIES: bool(mapping.get(OPTION_CREATE_CATEGORIES, True)),
    }


def job_columns(job: ImportJob) -> list[str]:
    mapping = job.mapping if isinstance(job.mapping, dict) else {}
    return list(mapping.get("columns", []))


def analyse(
    *,
    org_id: int,
    table: Table,
    columns: Sequence[str],
    policy: str,
    options: dict[str, Any],
    membership: MembershipLike | None,
    progress: Callable[[int], None] | None = None,
) -> Analysis:
    """Convert and check every row, then resolve duplicates. Writes nothing."""
    converter = RowConverter(org_id=org_id, columns=columns, headers=table.headers, options=options)
    problems: list[RowProblem] = []
    rows: list[PreparedRow] = []
    codes: dict[str, int] = {}
    for done, (number, cells) in enumerate(table.rows, start=1):
        row, row_problems = converter.convert(number, cells)
        if row_problems:
            problems.extend(row_problems)
        elif row is not None:
            code = row.values.get("code")
            if code:
                if code in codes:
                    problems.append(
                        RowProblem(
                            number,
                            converter._header("code"),
                            _("Row %(row)s has the same code.") % {"row": codes[code]},
                            field="code",
                        )
                    )
                    continue
                codes[code] = number
            rows.append(row)
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done)
    if codes:
        taken = set()
        with org_scope(org_id):
            code_list = list(codes)
            for start in range(0, len(code_list), 900):
                taken.update(
                    Party.all_objects.filter(code__in=code_list[start : start + 900]).values_list(
                        "code", flat=True
                    )
                )
        for code in sorted(taken, key=lambda c: codes[c]):
            problems.append(
                RowProblem(
                    codes[code],
                    converter._header("code"),
                    _("Another record already has this code."),
                    field="code",
                )
            )
        bad_rows = {codes[c] for c in taken}
        rows = [r for r in rows if r.row not in bad_rows]
    error_count = len({p.row for p in problems})
    problems.sort(key=lambda p: p.row)
    notes = resolve_duplicates(
        rows,
        org_id=org_id,
        policy=policy,
        match_on=options.get(OPTION_MATCH_ON, [MATCH_PHONE, MATCH_EMAIL, MATCH_NAME]),
        membership=membership,
    )
    if progress is not None:
        progress(len(table.rows))
    return Analysis(
        rows=rows,
        problems=problems + notes,
        error_count=error_count,
        total_rows=len(table.rows),
        converter=converter,
    )


# --- 5. writing -----------------------------------------------------------------------------------


def prepare_for_write(analysis: Analysis) -> None:
    """Fold rows merged into earlier rows of the file, and compute each new customer's
    search text and index letter — before the write, so the write transaction (on SQLite,
    the database's write lock) lasts only as long as the inserts."""
    if analysis.prepared:
        return
    rows_by_number = {r.row: r for r in analysis.rows}
    for row in analysis.rows:
        if row.action == "merge-file" and row.target in rows_by_number:
            _fill_row(rows_by_number[row.target], row)
    for row in analysis.rows:
        if row.action == "create":
            contacts = [c for c in (row.contact, *row.extra_contacts) if c]
            row.derived = derive_party_fields(row.values, contacts)
    analysis.prepared = True


class _Inserter:
    """Multi-row INSERTs of prepared values for one model (and its history table)."""

    _PLAIN = {
        "CharField",
        "TextField",
        "EmailField",
        "URLField",
        "SlugField",
        "BooleanField",
        "IntegerField",
        "BigIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "ForeignKey",
        "AutoField",
        "BigAutoField",
    }

    def __init__(self, model: type[models.Model], *, skip_pk: bool = True) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not (skip_pk and f.primary_key)]
        self.position = {f.attname: i for i, f in enumerate(self.fields)}
        self.prep = [
            (i, f) for i, f in enumerate(self.fields) if f.get_internal_type() not in self._PLAIN
        ]
        quote = connection.ops.quote_name
        self.table = quote(model._meta.db_table)
        self.column_sql = ", ".join(quote(f.column) for f in self.fields)
        self.pk_column = quote(model._meta.pk.column)
        if connection.vendor == "sqlite":
            import sqlite3

            limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        else:
            limit = 65_000
        self.batch = max(1, min(1000, limit // len(self.fields)))
        self.memo: dict[int, tuple[Any, Any]] = {}

    def template(self, **values: Any) -> list[Any]:
        row = []
        for model_field in self.fields:
            if model_field.attname in values:
                row.append(values[model_field.attname])
            else:
                # "" for text columns without a default, as Model.__init__ does.
                row.append(model_field.get_default())
        return row

    def _prepared(self, row: list[Any]) -> list[Any]:
        memo = self.memo
        for index, model_field in self.prep:
            value = row[index]
            if value is None:
                continue
            last = memo.get(index)
            # The same object in every row (the import's timestamp, an empty JSON value)
            # is converted once.
            if last is not None and last[0] is value:
                row[index] = last[1]
                continue
            prepared = model_field.get_db_prep_save(value, connection)
            memo[index] = (value, prepared)
            row[index] = prepared
        return row

    def insert(self, rows: list[list[Any]], *, returning: bool) -> list[int]:
        if connection.vendor == "postgresql":
            return self._insert_pipelined(rows, returning=returning)
        ids: list[int] = []
        width = len(self.fields)
        one = "(" + ", ".join(["%s"] * width) + ")"
        with connection.cursor() as cursor:
            for start in range(0, len(rows), self.batch):
                chunk = rows[start : start + self.batch]
                params = [v for row in chunk for v in self._prepared(row)]
                # Table and column names come from the model's _meta, values are parameters.
                values = ", ".join([one] * len(chunk))
                sql = f"INSERT INTO {self.table} ({self.column_sql}) VALUES {values}"  # noqa: S608
                if returning:
                    cursor.execute(f"{sql} RETURNING {self.pk_column}", params)
                    ids.extend(int(r[0]) for r in cursor.fetchall())
                else:
                    cursor.execute(sql, params)
        return ids

    def _insert_pipelined(self, rows: list[list[Any]], *, returning: bool) -> list[int]:
        """PostgreSQL: psycopg's executemany sends the rows in pipeline mode, several
        times faster than multi-row VALUES there (measured), and returns each row's id."""
        width = len(self.fields)
        one = "(" + ", ".join(["%s"] * width) + ")"
        sql = f"INSERT INTO {self.table} ({self.column_sql}) VALUES {one}"  # noqa: S608
        connection.ensure_connection()
        cursor = connection.connection.cursor()
        ids: list[int] = []
        try:
            params = [self._prepared(row) for row in rows]
            if not returning:
                cursor.executemany(sql, params)
                return ids
            cursor.executemany(f"{sql} RETURNING {self.pk_column}", params, returning=True)
            while True:
                ids.extend(int(r[0]) for r in cursor.fetchall())
                if not cursor.nextset():
                    break
        finally:
            cursor.close()
        return ids


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    party_ids: list[int] = field(default_factory=list)


def _history_rows(
    inserter: _Inserter,
    history: _Inserter,
    rows: list[list[Any]],
    ids: list[int],
    *,
    now: datetime,
    user_id: int | None,
    reason: str,
) -> list[list[Any]]:
    result = []
    source_positions = [
        (history.position[f.attname], inserter.position.get(f.attname))
        for f in history.fields
        if f.attname in inserter.position
    ]
    base = history.template(
        history_date=now, history_change_reason=reason, history_type="+", history_user_id=user_id
    )
    id_position = history.position["id"]
    for row, pk in zip(rows, ids, strict=True):
        copy = list(base)
        for target, source in source_positions:
            copy[target] = row[source]
        copy[id_position] = pk
        result.append(copy)
    return result


def write(analysis: Analysis, *, org_id: int, actor: Any, reason: str = "") -> WriteResult:
    """Write an analysis without errors: all rows or none (the caller's transaction).

    Raise ImportRefused when the analysis has errors.
    """
    if analysis.error_count:
        raise ImportRefused(_("The file has rows with errors; nothing was imported."))
    reason = reason or _("Imported")
    now = timezone.now()
    user_id = getattr(actor, "pk", None)
    result = WriteResult()
    if not analysis.prepared:
        prepare_for_write(analysis)
    creating = [r for r in analysis.rows if r.action == "create"]
    merging = [r for r in analysis.rows if r.action == "merge-db"]
    result.skipped = sum(1 for r in analysis.rows if r.action in ("skip", "merge-file"))
    with org_scope(org_id):
        category_ids = _ensure_categories(analysis.converter, org_id, actor)
        tag_ids = _ensure_tags(org_id, {t for r in analysis.rows for t in r.tags}, actor, now)
        if creating:
            result.party_ids = _create_parties(
                creating,
                org_id=org_id,
                user_id=user_id,
                now=now,
                reason=reason,
                category_ids=category_ids,
                tag_ids=tag_ids,
            )
            result.created = len(result.party_ids)
        if merging:
            result.updated = _merge_into_existing(
                merging,
                org_id=org_id,
                actor=actor,
                now=now,
                reason=reason,
                category_ids=category_ids,
                tag_ids=tag_ids,
            )
    return result


def _fill_row(target: PreparedRow, row: PreparedRow) -> None:
    for key, value in row.values.items():
        if value not in (None, "") and target.values.get(key) in (None, ""):
            target.values[key] = value
    for key, value in row.custom.items():
        if value not in (None, "", []) and target.custom.get(key) in (None, "", []):
            target.custom[key] = value
    if target.category is None:
        target.category = row.category
    target.tags = list(dict.fromkeys([*target.tags, *row.tags]))
    contacts = [c for c in (target.contact, *target.extra_contacts) if c]
    if row.contact and not any(
        c.get("name") == row.contact.get("name")
        and c.get("mobile", "") == row.contact.get("mobile", "")
        for c in contacts
    ):
        if target.contact is None:
            target.contact = row.contact
        else:
            target.extra_contacts.append(row.contact)


def _ensure_categories(
    converter: RowConverter, org_id: int, actor: Any
) -> dict[tuple[str, ...], int]:
    from guanxi.core.categories import add_category
    from guanxi.core.models import Organisation

    paths = dict(converter.categories)
    if not converter.new_categories:
        return paths
    org = Organisation.objects.get(pk=org_id)
    for path in sorted(converter.new_categories, key=len):
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            if prefix in paths:
                continue
            parent_id = paths.get(prefix[:-1]) if depth > 1 else None
            parent = PartyCategory.objects.get(pk=parent_id) if parent_id else None
            node = add_category(
                model=PartyCategory,
                org=org,
                name=prefix[-1],
                parent=parent,
                actor=actor,
                extra={"tree": PartyRole.CUSTOMER},
            )
            paths[prefix] = node.pk
    return paths


def _ensure_tags(org_id: int, names: set[str], actor: Any, now: datetime) -> dict[str, int]:
    if not names:
        return {}
    existing = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    missing = sorted(names - set(existing))
    if missing:
        from simple_history.utils import bulk_create_with_history

        created = bulk_create_with_history(
            [Tag(org_id=org_id, name=n) for n in missing],
            Tag,
            default_user=actor if getattr(actor, "pk", None) else None,
            default_change_reason=_("Imported"),
        )
        existing.update({t.name: t.pk for t in created})
    return existing


def _create_parties(
    rows: list[PreparedRow],
    *,
    org_id: int,
    user_id: int | None,
    now: datetime,
    reason: str,
    category_ids: dict[tuple[str, ...], int],
    tag_ids: dict[str, int],
) -> list[int]:
    parties = _Inserter(Party)
    party_history = _Inserter(Party.history.model)
    contacts = _Inserter(Contact)
    contact_history = _Inserter(Contact.history.model)
    party_tags = _Inserter(PartyTag)
    base = parties.template(
        org_id=org_id,
        created_at=now,
        updated_at=now,
        owner_id=user_id,
        version=1,
        custom_data={},
        adhoc_fields=[],
    )
    position = parties.position
    party_rows: list[list[Any]] = []
    for row in rows:
        values = base.copy()
        for key, value in row.values.items():
            values[position[key]] = value
        if row.custom:
            values[position["custom_data"]] = dict(row.custom)
        if row.category is not None:
            values[position["category_id"]] = category_ids[row.category]
        row_contacts = [c for c in (row.contact, *row.extra_contacts) if c]
        name, short, letter, text = row.derived or derive_party_fields(row.values, row_contacts)
        values[position["name"]] = name
        values[position["short_name"]] = short
        values[position["index_letter"]] = letter
        values[position["search_text"]] = text
        party_rows.append(values)
    # History rows copy the values before they are prepared for the database.
    history_sources = [list(r) for r in party_rows]
    ids = parties.insert(party_rows, returning=True)
    party_history.insert(
        _history_rows(
            parties, party_history, history_sources, ids, now=now, user_id=user_id, reason=reason
        ),
        returning=False,
    )
    contact_rows: list[list[Any]] = []
    contact_base = contacts.template(
        org_id=org_id, created_at=now, updated_at=now, version=1, custom_data={}
    )
    tag_rows: list[list[Any]] = []
    for row, pk in zip(rows, ids, strict=True):
        for index, contact in enumerate(c for c in (row.contact, *row.extra_contacts) if c):
            values = contact_base.copy()
            for key, value in contact.items():
                values[contacts.position[key]] = value
            values[contacts.position["party_id"]] = pk
            values[contacts.position["is_primary"]] = index == 0
            values[contacts.position["search_text"]] = contact_search_text_fast(contact)
            contact_rows.append(values)
        for tag in row.tags:
            tag_rows.append(party_tags.template(org_id=org_id, party_id=pk, tag_id=tag_ids[tag]))
    if contact_rows:
        sources = [list(r) for r in contact_rows]
        contact_ids = contacts.insert(contact_rows, returning=True)
        contact_history.insert(
            _history_rows(
                contacts,
                contact_history,
                sources,
                contact_ids,
                now=now,
                user_id=user_id,
                reason=reason,
            ),
            returning=False,
        )
    if tag_rows:
        party_tags.insert(tag_rows, returning=False)
    return ids


def _merge_into_existing(
    rows: list[PreparedRow],
    *,
    org_id: int,
    actor: Any,
    now: datetime,
    reason: str,
    category_ids: dict[tuple[str, ...], int],
    tag_ids: dict[str, int],
) -> int:
    """Fill the empty fields of existing customers from their duplicate rows.

    Only empty fields are filled, so an import never overwrites what someone typed; the
    owner never changes. Tags are added; a contact is added unless one with the same
    name and mobile exists. The slow path (model instances), since merges are few.
    """
    from guanxi.parties.services import (
        contact_search_text,
        party_search_text,
        refresh_derived_fields,
    )

    by_target: dict[int, list[PreparedRow]] = {}
    for row in rows:
        if row.target is not None:
            by_target.setdefault(row.target, []).append(row)
    ids = list(by_target)
    user = actor if getattr(actor, "pk", None) else None
    updated = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        parties = list(Party.objects.select_for_update().filter(pk__in=chunk))
        existing_contacts: dict[int, set[tuple[str, str]]] = {}
        contact_rows: dict[int, list[tuple[bool, str, int, str, str]]] = {}
        for party_id, pk, name, mobile, phone, primary in Contact.objects.filter(
            party_id__in=chunk
        ).values_list("party_id", "pk", "name", "mobile", "phone", "is_primary"):
            existing_contacts.setdefault(party_id, set()).add((name, mobile))
            contact_rows.setdefault(party_id, []).append((not primary, name, pk, mobile, phone))
        existing_tags = set(
            PartyTag.objects.filter(party_id__in=chunk).values_list("party_id", "tag_id")
        )
        changed_parties = []
        new_contacts: list[Contact] = []
        new_tags: list[PartyTag] = []
        for party in parties:
            changed = False
            for row in by_target[party.pk]:
                for key, value in row.values.items():
                    if key == "owner_id" or value in (None, ""):
                        continue
                    if getattr(party, key) in (None, ""):
                        setattr(party, key, value)
                        changed = True
                custom = dict(party.custom_data or {})
                for key, value in row.custom.items():
                    if value not in (None, "", []) and custom.get(key) in (None, "", []):
                        custom[key] = value
                        changed = True
                party.custom_data = custom
                if row.category is not None and party.category_id is None:
                    party.category_id = category_ids[row.category]
                    changed = True
                for tag in row.tags:
                    pair = (party.pk, tag_ids[tag])
                    if pair not in existing_tags:
                        existing_tags.add(pair)
                        new_tags.append(
                            PartyTag(org_id=org_id, party_id=party.pk, tag_id=tag_ids[tag])
                        )
                for contact in (c for c in (row.contact, *row.extra_contacts) if c):
                    pair = (contact.get("name", ""), contact.get("mobile", ""))
                    if pair in existing_contacts.setdefault(party.pk, set()):
                        continue
                    existing_contacts[party.pk].add(pair)
                    obj = Contact(org_id=org_id, party_id=party.pk, **contact)
                    obj.search_text = contact_search_text(obj)
                    new_contacts.append(obj)
                    contact_rows.setdefault(party.pk, []).append(
                        (True, obj.name, 10**18 + len(new_contacts), obj.mobile, obj.phone)
                    )
                    changed = True
            if changed:
                refresh_derived_fields(party)
                # As services._refresh_party_search: contacts' names and phones find it too.
                ordered = sorted(contact_rows.get(party.pk, []))
                text = party_search_text(party, [c[1] for c in ordered])
                phones = fast_search_text(phones=[p for c in ordered for p in (c[3], c[4])])
                party.search_text = f"{text} {phones}" if phones else text
                party.version += 1
                party.updated_at = now
                changed_parties.append(party)
        if changed_parties:
            fields = [
                f.name
                for f in Party._meta.concrete_fields
                if not f.primary_key and f.name not in {"org", "created_at"}
            ]
            Party.objects.bulk_update(changed_parties, fields, batch_size=200)
            Party.history.bulk_history_create(
                changed_parties,
                default_user=user,
                default_change_reason=reason,
                default_date=now,
                update=True,
            )
        if new_contacts:
            from simple_history.utils import bulk_create_with_history

            bulk_create_with_history(
                new_contacts, Contact, default_user=user, default_change_reason=reason
            )
        if new_tags:
            PartyTag.objects.bulk_create(new_tags, ignore_conflicts=True)
        touched = {p.pk for p in changed_parties} | {t.party_id for t in new_tags}
        updated += len(touched)
    return updated


# --- the import job (used by the task, the pages and the API) ------------------------------------


def may_import(membership: MembershipLike | None, policy: str = "") -> bool:
    if not has_perm(membership, ADD, "party"):
        return False
    return policy != ImportJob.DuplicatePolicy.MERGE or has_perm(membership, CHANGE, "party")


@transaction.atomic
def start_import(*, org: Any, actor: Any, upload: Any, language: str = "") -> ImportJob:
    """Store an uploaded file as a new import job, with its headers and a first mapping.

    `upload` is a Django UploadedFile. Raise ImportFileError when the file is refused.
    """
    name = str(getattr(upload, "name", "") or "")
    size = int(getattr(upload, "size", 0) or 0)
    upload.seek(0)
    head = upload.read(8192)
    kind = check_upload(name, size, head)
    upload.seek(0)
    data = upload.read()
    table = read_table(data, kind)
    org_id = getattr(org, "pk", org)
    with org_scope(org_id):
        custom = active_fields(org_id, CustomField.Target.PARTY)
        job = ImportJob(
            org_id=org_id,
            original_name=PurePath(name).name[:255],
            encoding=table.encoding,
            headers=table.headers,
            mapping={
                "columns": auto_mapping(table.headers, custom),
                OPTION_MATCH_ON: [MATCH_PHONE, MATCH_EMAIL, MATCH_NAME],
                OPTION_CREATE_CATEGORIES: True,
                "language": language or translation.get_language() or settings.LANGUAGE_CODE,
                "kind": kind,
            },
            total_rows=len(table.rows),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        upload.seek(0)
        job.file.save(
            f"{job.org_id}-{timezone.now():%Y%m%d%H%M%S}{PurePath(name).suffix.lower()}",
            upload,
            save=False,
        )
        job.save()
    return job


@transaction.atomic
def save_mapping(
    *,
    job: ImportJob,
    actor: Any,
    columns: Sequence[str],
    policy: str,
    match_on: Sequence[str],
    create_categories: bool,
) -> ImportJob:
    """Store the column mapping and duplicate handling; the dry run must run again.

    Raise ImportRefused for a job already imported, DomainError for a bad mapping.
    """
    if job.status in (ImportJob.Status.RUNNING, ImportJob.Status.DONE):
        raise ImportRefused(_("This file has already been imported."))
    with org_scope(job.org_id):
        custom = active_fields(job.org_id, CustomField.Target.PARTY)
    known = {key for key, _label in column_choices(custom)}
    columns = [c or "" for c in columns][: len(job.headers)]
    columns += [""] * (len(job.headers) - len(columns))
    problems = mapping_problems(columns, known)
    if problems:
        raise DomainError(" ".join(problems), field="columns")
    if policy not in ImportJob.DuplicatePolicy.values:
        raise DomainError(_("Choose what to do with duplicates."), field="duplicate_policy")
    match = [m for m in match_on if m in {MATCH_PHONE, MATCH_EMAIL, MATCH_NAME}]
    mapping = dict(job.mapping or {})
    mapping.update(
        {
            "columns": columns,
            OPTION_MATCH_ON: match,
            OPTION_CREATE_CATEGORIES: bool(create_categories),
        }
    )
    job.mapping = mapping
    job.duplicate_policy = policy
    job.status = ImportJob.Status.MAPPED
    job.processed_rows = 0
    job.errors = []
    job.created_count = job.updated_count = job.skipped_count = 0
    with org_scope(job.org_id):
        job.save()
    return job


def _job_membership(job: ImportJob) -> Any:
    from guanxi.accounts.models import Membership

    with org_scope(job.org_id):
        return (
            Membership.objects.filter(user_id=job.created_by_id, is_active=True)
            .select_related("role", "user")
            .first()
        )


def _job_table(job: ImportJob) -> Table:
    kind = (job.mapping or {}).get("kind") or file_kind(job.original_name)
    with job.file.open("rb") as handle:
        data = handle.read()
    return read_table(data, kind, encoding=job.encoding)


def _set_progress(job: ImportJob, done: int) -> None:
    with org_scope(job.org_id):
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done)


def _report(analysis: Analysis) -> list[dict[str, Any]]:
    return [p.as_dict() for p in analysis.problems[:MAX_REPORTED]]


def run_check(job: ImportJob) -> ImportJob:
    """The dry run: analyse the file and store the report on the job. Writes no customer."""
    membership = _job_membership(job)
    with translation.override((job.mapping or {}).get("language") or settings.LANGUAGE_CODE):
        table = _job_table(job)
        analysis = analyse(
            org_id=job.org_id,
            table=table,
            columns=job_columns(job),
            policy=job.duplicate_policy,
            options=job_options(job),
            membership=membership,
            progress=lambda done: _set_progress(job, done),
        )
        job.total_rows = analysis.total_rows
        job.processed_rows = analysis.total_rows
        job.errors = _report(analysis)
        job.created_count = analysis.to_create
        job.updated_count = analysis.to_update
        job.skipped_count = analysis.to_skip
        job.status = ImportJob.Status.CHECKED
        mapping = dict(job.mapping or {})
        mapping["error_rows"] = analysis.error_count
        mapping["new_categories"] = [
            " / ".join(p) for p in sorted(analysis.converter.new_categories)
        ]
        job.mapping = mapping
        with org_scope(job.org_id):
            job.save()
    return job


def run_import(job: ImportJob) -> ImportJob:
    """The real run: check the file again, then write every row or none.

    A file with any bad row (or an error while writing) leaves the job FAILED with the
    report and no customer written.
    """
    membership = _job_membership(job)
    language = (job.mapping or {}).get("language") or settings.LANGUAGE_CODE
    with translation.override(language):
        if membership is None or not may_import(membership, job.duplicate_policy):
            return _fail(job, _("You may no longer import customers."))
        try:
            table = _job_table(job)
            analysis = analyse(
                org_id=job.org_id,
                table=table,
                columns=job_columns(job),
                policy=job.duplicate_policy,
                options=job_options(job),
                membership=membership,
                progress=lambda done: _set_progress(job, done),
            )
        except ImportFileError as error:
            return _fail(job, str(error.message))
        if analysis.error_count:
            job.errors = _report(analysis)
            return _fail(job, None)
        mapping = dict(job.mapping or {})
        mapping["phase"] = "preparing"
        with org_scope(job.org_id):
            ImportJob.objects.filter(pk=job.pk).update(mapping=mapping)
        prepare_for_write(analysis)
        mapping["phase"] = "writing"
        with org_scope(job.org_id):
            ImportJob.objects.filter(pk=job.pk).update(mapping=mapping)
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
        job.processed_rows = analysis.total_rows
        job.total_rows = analysis.total_rows
        job.status = ImportJob.Status.DONE
        job.finished_at = timezone.now()
        mapping["phase"] = "done"
        job.mapping = mapping
        job.errors = [p.as_dict() for p in analysis.problems if p.kind == "duplicate"][
            :MAX_REPORTED
        ]
        with org_scope(job.org_id):
            job.save()
    return job


def _fail(job: ImportJob, message: str | None) -> ImportJob:
    errors = list(job.errors or [])
    if message:
        errors.insert(0, RowProblem(0, "", message).as_dict())
    job.errors = errors
    job.status = ImportJob.Status.FAILED
    job.finished_at = timezone.now()
    job.created_count = job.updated_count = 0
    mapping = dict(job.mapping or {})
    mapping["phase"] = "failed"
    job.mapping = mapping
    with org_scope(job.org_id):
        job.save()
    return job


def errors_of(job: ImportJob) -> list[dict[str, Any]]:
    return [e for e in (job.errors or []) if e.get("kind", "error") == "error"]


def duplicates_of(job: ImportJob) -> list[dict[str, Any]]:
    return [e for e in (job.errors or []) if e.get("kind") == "duplicate"]


def template_csv() -> bytes:
    """An empty CSV with the headers the import recognises, in the current language."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    keys = [
        "name",
        "short_name",
        "customer_type",
        "level",
        "source",
        "owner",
        "category",
        "tags",
        "mobile",
        "phone",
        "email",
        "wechat",
        "province",
        "city",
        "address",
        "contact.name",
        "contact.mobile",
        "contact.role",
        "notes",
    ]
    writer.writerow([export_header(k) for k in keys])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
