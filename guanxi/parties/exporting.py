"""Exporting customers to CSV, XLSX, vCard 3.0 and TXT (B15).

What is exported is what the member sees: `visible_parties()` narrowed by the list
page's filters (`guanxi.parties.filters.filter_parties`) or by chosen ids, and only with
the `export` permission. Restricted customers (B7) are exported with their sensitive
fields blank, as they are stored.

Every format carries the custom fields. CSV and XLSX use the headers the import
recognises, so an exported file can be imported back. A spreadsheet cell that starts
with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so a name like
`=HYPERLINK(...)` is shown as text instead of being run as a formula (CSV injection).
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.custom_fields import active_fields, display_value
from guanxi.core.models import CustomField
from guanxi.core.permissions import EXPORT, MembershipLike, require_perm
from guanxi.core.scoping import org_scope
from guanxi.parties.importing import category_paths, export_header
from guanxi.parties.models import Contact, Party, PartyRole, PartyTag
from guanxi.parties.selectors import visible_parties

FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "vcf": "text/vcard; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
}
CHUNK = 1000

# The party columns exported, in this order (the import's column keys).
PARTY_KEYS: tuple[str, ...] = (
    "name",
    "short_name",
    "code",
    "kind",
    "customer_type",
    "level",
    "source",
    "owner",
    "category",
    "tags",
    "settlement_type",
    "credit_limit",
    "gender",
    "birthday",
    "mobile",
    "phone",
    "email",
    "wechat",
    "qq",
    "company_name",
    "department",
    "job_title",
    "industry",
    "company_size",
    "website",
    "fax",
    "country",
    "province",
    "city",
    "district",
    "address",
    "postcode",
    "home_address",
    "home_phone",
    "spouse",
    "children",
    "family_notes",
    "background",
    "decision_makers",
    "budget",
    "purchase_timeline",
    "interests",
    "upstream_partners",
    "downstream_partners",
    "notes",
)
CONTACT_KEYS: tuple[str, ...] = (
    "contact.name",
    "contact.mobile",
    "contact.phone",
    "contact.email",
    "contact.wechat",
    "contact.role",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would read as a formula with a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# --- what is exported ---------------------------------------------------------------------


def export_queryset(
    membership: MembershipLike | None,
    *,
    params: Any = None,
    ids: Iterable[Any] | None = None,
) -> QuerySet[Party]:
    """The parties to export: visible, filtered like the list (or the chosen ids).

    Raise PermissionDenied without the export permission.
    """
    require_perm(membership, EXPORT, "party")
    role = (params.get("role") if params is not None else None) or PartyRole.CUSTOMER
    if role not in PartyRole.values:
        role = PartyRole.CUSTOMER
    queryset = visible_parties(membership, role)
    wanted = [int(i) for i in (ids or []) if str(i).strip().isdigit()]
    if wanted:
        return queryset.filter(pk__in=wanted)
    if params:
        try:
            from guanxi.parties.filters import filter_parties
        except ImportError:  # the list filters are not installed: export the whole list
            return queryset
        return filter_parties(queryset, params, membership=membership, role=role)
    return queryset


@dataclass
class ExportColumn:
    key: str
    header: str


class PartyRows:
    """The export's columns and, per party, its values (prefetched in chunks)."""

    def __init__(self, queryset: QuerySet[Party], org_id: int) -> None:
        self.org_id = org_id
        with org_scope(org_id):
            self.custom_fields = active_fields(org_id, CustomField.Target.PARTY)
            self.categories = {pk: " / ".join(path) for path, pk in category_paths(org_id).items()}
        self.queryset = (
            queryset.select_related("owner")
            .prefetch_related(
                Prefetch("party_tags", queryset=PartyTag.objects.select_related("tag")),
                Prefetch(
                    "contacts",
                    queryset=Contact.objects.order_by("-is_primary", "name", "id"),
                ),
            )
            .order_by("short_name", "id")
        )
        self.columns = [ExportColumn(k, export_header(k)) for k in (*PARTY_KEYS, *CONTACT_KEYS)]
        self.columns += [ExportColumn(f"cf.{f.key}", f.label) for f in self.custom_fields]

    def parties(self) -> Iterator[Party]:
        with org_scope(self.org_id):
            yield from self.queryset.iterator(chunk_size=CHUNK)

    def value(self, party: Party, key: str) -> Any:
        """The cell value of one column: labels for choices, text for relations."""
        if key == "owner":
            return str(party.owner) if party.owner_id else ""
        if key == "category":
            return self.categories.get(party.category_id, "") if party.category_id else ""
        if key == "tags":
            return "、".join(sorted(pt.tag.name for pt in party.party_tags.all()))
        if key.startswith("contact."):
            contacts = list(party.contacts.all())
            return getattr(contacts[0], key[8:], "") if contacts else ""
        if key.startswith("cf."):
            for custom in self.custom_fields:
                if f"cf.{custom.key}" == key:
                    return display_value(custom, (party.custom_data or {}).get(custom.key))
            return ""
        model_field = Party._meta.get_field(key)
        if model_field.choices:
            return str(getattr(party, f"get_{key}_display")()) if getattr(party, key) else ""
        value = getattr(party, key)
        if value is None:
            return ""
        if isinstance(value, date | datetime):
            return value.isoformat()
        return value

    def row(self, party: Party) -> list[Any]:
        return [self.value(party, c.key) for c in self.columns]


def _filename(extension: str) -> str:
    return f"customers-{timezone.localtime():%Y%m%d-%H%M}.{extension}"


def _attachment(response: Any, extension: str) -> Any:
    response["Content-Disposition"] = f'attachment; filename="{_filename(extension)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- CSV ------------------------------------------------------------------------------------


class _Line:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: PartyRows) -> Iterator[bytes]:
    """The CSV as UTF-8 byte chunks, with a BOM so Excel reads the Chinese correctly."""
    writer = csv.writer(_Line())
    yield ("\ufeff" + writer.writerow([c.header for c in rows.columns])).encode("utf-8")
    batch: list[str] = []
    for party in rows.parties():
        cells = [neutralise(_text(v)) for v in rows.row(party)]
        batch.append(writer.writerow(cells))
        if len(batch) >= 200:
            yield "".join(batch).encode("utf-8")
            batch = []
    if batch:
        yield "".join(batch).encode("utf-8")


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return "" if value is None else str(value)


# --- XLSX -----------------------------------------------------------------------------------

_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_file(rows: PartyRows) -> Any:
    """Write the workbook (openpyxl write-only mode) to a temporary file; return it rewound."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Customers")[:31])
    sheet.append([c.header for c in rows.columns])
    for party in rows.parties():
        sheet.append([_xlsx_cell(v) for v in rows.row(party)])
    handle = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return handle


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        return neutralise(_ILLEGAL_XML.sub("", value))
    return value


# --- vCard 3.0 (RFC 2426) -------------------------------------------------------------------

# Compound surnames, so 欧阳娜娜 is N:欧阳;娜娜 and not N:欧;阳娜娜.
_COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "令狐",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "百里",
    ]
)
_HAN = re.compile(r"^[\u3400-\u9fff]{2,5}$")


def vcard_escape(value: Any) -> str:
    """Escape a text value: backslash, comma, semicolon and newlines (RFC 2426 §4)."""
    text = str(value or "")
    text = text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def vcard_fold(line: str) -> str:
    """Fold a content line at 75 octets (CRLF + space), never inside a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with a space
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _split_name(name: str) -> tuple[str, str]:
    """(family, given) of a person's name: Chinese surname first, Western surname last."""
    name = name.strip()
    if _HAN.match(name):
        surname_length = 2 if name[:2] in _COMPOUND_SURNAMES and len(name) > 2 else 1
        return name[:surname_length], name[surname_length:]
    words = name.split()
    if len(words) > 1:
        return words[-1], " ".join(words[:-1])
    return name, ""


def _card(lines: list[tuple[str, str]]) -> str:
    out = ["BEGIN:VCARD", "VERSION:3.0"]
    out += [vcard_fold(f"{prop}:{value}") for prop, value in lines]
    out.append("END:VCARD")
    return "\r\n".join(out) + "\r\n"


def party_cards(rows: PartyRows, party: Party) -> list[str]:
    """One card per contact; a customer without contacts becomes one card itself."""
    custom = [
        f"{f.label}: {display_value(f, (party.custom_data or {}).get(f.key))}"
        for f in rows.custom_fields
        if display_value(f, (party.custom_data or {}).get(f.key))
    ]
    address = ";".join(
        vcard_escape(v)
        for v in ("", "", party.address, party.city, party.province, party.postcode, party.country)
    )
    company = vcard_escape(party.name)
    contacts = list(party.contacts.all())
    cards = []
    for contact in contacts:
        family, given = _split_name(contact.name)
        lines = [
            ("FN", vcard_escape(contact.name)),
            ("N", f"{vcard_escape(family)};{vcard_escape(given)};;;"),
            (
                "ORG",
                company + (f";{vcard_escape(contact.department)}" if contact.department else ""),
            ),
        ]
        if contact.role:
            lines.append(("TITLE", vcard_escape(contact.role)))
        if contact.mobile:
            lines.append(("TEL;TYPE=CELL", vcard_escape(contact.mobile)))
        if contact.phone:
            lines.append(("TEL;TYPE=WORK,VOICE", vcard_escape(contact.phone)))
        if contact.email:
            lines.append(("EMAIL;TYPE=INTERNET", vcard_escape(contact.email)))
        if contact.address:
            lines.append(("ADR;TYPE=WORK", f";;{vcard_escape(contact.address)};;;;"))
        elif party.address or party.city:
            lines.append(("ADR;TYPE=WORK", address))
        if contact.birthday:
            lines.append(("BDAY", contact.birthday.isoformat()))
        if contact.wechat:
            lines.append(("X-WECHAT", vcard_escape(contact.wechat)))
        notes = [n for n in (contact.notes, *custom) if n]
        if notes:
            lines.append(("NOTE", vcard_escape("\n".join(notes))))
        lines.append(("UID", f"guanxi-contact-{contact.pk}"))
        cards.append(_card(lines))
    if not contacts:
        person = party.kind == Party.Kind.PERSON
        family, given = _split_name(party.name) if person else (party.name, "")
        lines = [
            ("FN", vcard_escape(party.name)),
            ("N", f"{vcard_escape(family)};{vcard_escape(given)};;;"),
        ]
        if not person:
            lines.append(("ORG", company))
        elif party.company_name:
            lines.append(("ORG", vcard_escape(party.company_name)))
        if party.job_title:
            lines.append(("TITLE", vcard_escape(party.job_title)))
        if party.mobile:
            lines.append(("TEL;TYPE=CELL", vcard_escape(party.mobile)))
        if party.phone:
            lines.append(("TEL;TYPE=WORK,VOICE", vcard_escape(party.phone)))
        if party.fax:
            lines.append(("TEL;TYPE=WORK,FAX", vcard_escape(party.fax)))
        if party.email:
            lines.append(("EMAIL;TYPE=INTERNET", vcard_escape(party.email)))
        if party.address or party.city:
            lines.append(("ADR;TYPE=WORK", address))
        if party.website:
            lines.append(("URL", vcard_escape(party.website)))
        if party.birthday:
            lines.append(("BDAY", party.birthday.isoformat()))
        if party.wechat:
            lines.append(("X-WECHAT", vcard_escape(party.wechat)))
        notes = [n for n in (party.notes, *custom) if n]
        if notes:
            lines.append(("NOTE", vcard_escape("\n".join(notes))))
        lines.append(("UID", f"guanxi-party-{party.pk}"))
        cards.append(_card(lines))
    return cards


def vcard_chunks(rows: PartyRows) -> Iterator[bytes]:
    for party in rows.parties():
        yield "".join(party_cards(rows, party)).encode("utf-8")


# --- TXT --------------------------------------------------------------------------------------


def txt_chunks(rows: PartyRows) -> Iterator[bytes]:
    """A readable listing: one block per customer, filled fields only, extra fields too."""
    labels = {c.key: c.header for c in rows.columns}
    for party in rows.parties():
        lines = [f"==== {party.name} ===="]
        for key in (*PARTY_KEYS, *(c.key for c in rows.columns if c.key.startswith("cf."))):
            if key == "name":
                continue
            value = _text(rows.value(party, key))
            if value:
                lines.append(f"{labels[key]}: {_one_line(value)}")
        for extra in party.adhoc_fields or []:
            if isinstance(extra, dict) and extra.get("value"):
                lines.append(f"{extra.get('label', '')}: {_one_line(str(extra['value']))}")
        for contact in party.contacts.all():
            bits = [contact.name, contact.role, contact.mobile, contact.phone, contact.email]
            lines.append(_("Contact: %(details)s") % {"details": " · ".join(b for b in bits if b)})
        yield ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def _one_line(value: str) -> str:
    return value.replace("\r\n", " / ").replace("\n", " / ")


# --- the response -------------------------------------------------------------------------------


def export_response(queryset: QuerySet[Party], *, org_id: int, file_format: str) -> Any:
    """Return the HTTP response (a download) for one format; large exports stream."""
    rows = PartyRows(queryset, org_id)
    content_type = FORMATS[file_format]
    if file_format == "xlsx":
        return _attachment(FileResponse(xlsx_file(rows), content_type=content_type), file_format)
    chunks = {"csv": csv_lines, "vcf": vcard_chunks, "txt": txt_chunks}[file_format](rows)
    return _attachment(StreamingHttpResponse(chunks, content_type=content_type), file_format)


def header_row(rows: PartyRows) -> Sequence[str]:
    return [c.header for c in rows.columns]
