"""Duplicate customers (B16): how duplicates are recognised, where they are, and merging them.

Two customers are duplicates when they share a normalised phone number, e-mail address
or name:

- *phone*: the digits of `mobile` or `phone` (spaces, dashes, brackets, dots, `+` and a
  leading 0086/86 dropped), at least 7 of them; a restricted customer (B7) is compared by
  the HMAC tokens in `restricted_phone_index`, so nothing is decrypted;
- *e-mail*: lower-cased, trimmed;
- *name*: lower-cased (ASCII), with company-form words (有限公司, 股份有限公司, Co., Ltd.,
  Inc. …), spaces and punctuation removed, so 上海华为技术有限公司 and 上海华为技术 match.

The same normalisation runs in Python (`phone_key`, `email_key`, `name_key`, used by the
import and the pool's claim check) and in SQL (`*_key_expression`, used by the
duplicates page, which groups in the database instead of loading every row).

`merge_parties` moves everything that points at the duplicate onto the survivor —
contacts, tags, group memberships, visits, pool events, attachments, and any model of
any app with a foreign key to Party, found through `Party._meta` — then moves the
duplicate to the recycle bin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Length, Lower, Replace, Substr, Trim
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.exceptions import DomainError, StaleEdit
from guanxi.core.permissions import MembershipLike
from guanxi.core.pinyin import phone_digits
from guanxi.core.recycle_bin import move_to_recycle_bin
from guanxi.core.scoping import org_scope
from guanxi.parties.models import Contact, Party, PartyTag
from guanxi.parties.services import (
    PARTY_FIELDS,
    PartyLocked,
    _refresh_party_search,
    refresh_derived_fields,
    validate_party,
)

# --- normalisation -------------------------------------------------------------------

# Company-form endings dropped before names are compared (one, the longest that
# matches, at the end of the name only). Latin forms start with their separator, so
# "Zinc" and "Costco" keep their endings.
NAME_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        (
            "股份有限公司",
            "有限责任公司",
            "集团有限公司",
            "有限公司",
            "股份公司",
            "公司",
            " company limited",
            " company ltd.",
            " company ltd",
            " co., ltd.",
            " co.,ltd.",
            " co., ltd",
            " co.,ltd",
            " co. ltd.",
            " co. ltd",
            " co.ltd.",
            " co.ltd",
            " co., limited",
            " co.,limited",
            ", ltd.",
            ",ltd.",
            ", ltd",
            ",ltd",
            ", inc.",
            ",inc.",
            ", inc",
            " limited",
            " ltd.",
            " ltd",
            " inc.",
            " inc",
            " llc",
            " corporation",
            " corp.",
            " corp",
        ),
        key=len,
        reverse=True,
    )
)
# Characters dropped after the ending.
NAME_PUNCTUATION: tuple[str, ...] = (
    " ",
    "\u3000",
    ".",
    ",",
    "，",
    "(",
    ")",
    "（",
    "）",
    "-",
    "·",
    "&",
    "'",
    '"',
)
PHONE_SEPARATORS: tuple[str, ...] = (" ", "-", "(", ")", "+", ".", "/", "（", "）", "\u3000")
MIN_PHONE_DIGITS = 7

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def name_key(name: str) -> str:
    """Return the normalised form of a customer name used to find duplicates."""
    # ASCII-only lower-casing and space-only trimming, as SQL's lower() and trim() do.
    text = (name or "").strip(" ").translate(_ASCII_LOWER)
    for suffix in NAME_SUFFIXES:
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    for char in NAME_PUNCTUATION:
        text = text.replace(char, "")
    return text


def email_key(email: str) -> str:
    return (email or "").strip().translate(_ASCII_LOWER)


def phone_key(phone: str) -> str:
    """Return a phone's digits (as `guanxi.core.pinyin.phone_digits`), or "" when too short."""
    digits = phone_digits(phone or "")
    return digits if len(digits) >= MIN_PHONE_DIGITS else ""


def email_key_expression(field_name: str = "email") -> Any:
    return Lower(Trim(field_name))


def phone_digits_expression(field_name: str) -> Any:
    expression: Any = F(field_name)
    for char in PHONE_SEPARATORS:
        expression = Replace(expression, Value(char), Value(""))
    return expression


# --- the duplicates page ----------------------------------------------------------------

KIND_PHONE = "phone"
KIND_EMAIL = "email"
KIND_NAME = "name"
DUPLICATE_KINDS: dict[str, Any] = {
    KIND_PHONE: gettext_lazy("Same phone"),
    KIND_EMAIL: gettext_lazy("Same e-mail"),
    KIND_NAME: gettext_lazy("Same name"),
}


@dataclass
class DuplicateGroup:
    kind: str
    key: str
    parties: list[Party] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.parties)


def _name_key_sql(queryset: QuerySet[Party]) -> tuple[str, list[Any]]:
    """SELECT id, dup_key for names: the ending stripped in a flat CASE over a derived
    table (nested REPLACEs for every ending would overflow SQLite's parser stack)."""
    inner, params = (
        queryset.order_by()
        .exclude(name="")
        .annotate(dup_name=Lower(Trim("name")))
        .values_list("id", "dup_name")
        .query.sql_with_params()
    )
    whens = []
    patterns: list[Any] = []
    for suffix in NAME_SUFFIXES:
        # The lengths are constants of this module, not input.
        whens.append(
            f"WHEN n.dup_name LIKE %s THEN SUBSTR(n.dup_name, 1, LENGTH(n.dup_name) - {len(suffix)})"
        )
        patterns.append(f"%{suffix}")
    expression = f"(CASE {' '.join(whens)} ELSE n.dup_name END)"
    for char in NAME_PUNCTUATION:
        expression = f"REPLACE({expression}, %s, '')"
        patterns.append(char)
    sql = f"SELECT n.id AS id, {expression} AS dup_key FROM ({inner}) n"  # noqa: S608
    # Placeholders in text order: the endings, the punctuation, then the inner query's.
    return sql, [*patterns, *params]


def _key_sql(queryset: QuerySet[Party], kind: str) -> tuple[str, list[Any]]:
    """SQL selecting (id, dup_key) pairs of `kind` for the parties of `queryset`."""
    if kind == KIND_NAME:
        return _name_key_sql(queryset)
    base = queryset.order_by()
    if kind == KIND_EMAIL:
        querysets = [
            base.exclude(email="")
            .annotate(dup_key=email_key_expression())
            .values_list("id", "dup_key")
        ]
    else:
        querysets = []
        for column in ("mobile", "phone"):
            querysets.append(
                base.exclude(**{column: ""})
                .annotate(dup_digits=phone_digits_expression(column))
                .annotate(dup_len=Length("dup_digits"))
                .annotate(
                    dup_key=models.Case(
                        models.When(dup_digits__startswith="0086", then=Substr("dup_digits", 5)),
                        models.When(
                            Q(dup_digits__startswith="86") & Q(dup_len=13),
                            then=Substr("dup_digits", 3),
                        ),
                        default=F("dup_digits"),
                        output_field=models.CharField(),
                    )
                )
                .values_list("id", "dup_key")
            )
    parts, params = [], []
    for qs in querysets:
        sql, qparams = qs.query.sql_with_params()
        parts.append(sql)
        params.extend(qparams)
    return " UNION ALL ".join(parts), params


def duplicate_key_counts(
    queryset: QuerySet[Party], kind: str, *, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[str, int]], int]:
    """Return ([(key, how many customers)], number of groups) for one page of groups.

    Grouped in SQL (GROUP BY … HAVING COUNT(DISTINCT id) > 1): no row is loaded that is
    not part of a group on the page.
    """
    union, params = _key_sql(queryset, kind)
    minimum = "AND LENGTH(k) >= %s " if kind == KIND_PHONE else ""
    having = "HAVING COUNT(DISTINCT i) > 1"
    inner = (
        f"SELECT k, COUNT(DISTINCT i) AS n FROM "  # noqa: S608 - composed of ORM SQL only
        f"(SELECT u.id AS i, u.dup_key AS k FROM ({union}) u) t "
        f"WHERE k IS NOT NULL AND k <> '' {minimum}GROUP BY k {having}"
    )
    extra = [MIN_PHONE_DIGITS] if kind == KIND_PHONE else []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({inner}) g", [*params, *extra])  # noqa: S608
        total = int(cursor.fetchone()[0])
        cursor.execute(
            f"{inner} ORDER BY n DESC, k LIMIT %s OFFSET %s",
            [*params, *extra, limit, offset],
        )
        rows = [(str(k), int(n)) for k, n in cursor.fetchall()]
    return rows, total


def duplicate_groups(
    queryset: QuerySet[Party], kind: str, *, limit: int = 50, offset: int = 0
) -> tuple[list[DuplicateGroup], int]:
    """Return one page of duplicate groups of `kind` among `queryset`, and how many there are.

    `queryset` is what the member may see (visible_parties); restricted customers are
    grouped by their phone tokens in a second, small pass (only restricted rows are read).
    """
    counts, total = duplicate_key_counts(queryset, kind, limit=limit, offset=offset)
    groups = [DuplicateGroup(kind=kind, key=key) for key, _n in counts]
    if counts:
        union, params = _key_sql(queryset, kind)
        keys = [key for key, _n in counts]
        placeholders = ", ".join(["%s"] * len(keys))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT u.dup_key, u.id FROM ({union}) u "  # noqa: S608
                f"WHERE u.dup_key IN ({placeholders})",
                [*params, *keys],
            )
            members = cursor.fetchall()
        ids = {pk for _k, pk in members}
        parties = {p.pk: p for p in queryset.filter(pk__in=ids).select_related("owner")}
        by_key: dict[str, list[Party]] = {}
        for key, pk in sorted(members, key=lambda m: m[1]):
            bucket = by_key.setdefault(str(key), [])
            if pk in parties and parties[pk] not in bucket:
                bucket.append(parties[pk])
        for group in groups:
            group.parties = by_key.get(group.key, [])
    if kind != KIND_PHONE:
        return groups, total
    # Restricted customers (few) are grouped by their phone tokens, after the others.
    restricted = _restricted_phone_groups(queryset)
    start = max(0, offset - total)
    room = max(0, limit - len(groups))
    groups.extend(restricted[start : start + room])
    return groups, total + len(restricted)


def _restricted_phone_groups(queryset: QuerySet[Party]) -> list[DuplicateGroup]:
    rows = queryset.filter(is_restricted=True).exclude(restricted_phone_index="")
    by_token: dict[str, list[Party]] = {}
    for party in rows.select_related("owner"):
        for token in party.restricted_phone_index.split():
            bucket = by_token.setdefault(token, [])
            if party not in bucket:
                bucket.append(party)
    return [
        DuplicateGroup(kind=KIND_PHONE, key=_("(restricted)"), parties=members)
        for members in by_token.values()
        if len(members) > 1
    ]


# --- merging -----------------------------------------------------------------------------


class MergeConflict(DomainError):
    status_code = 409
    code = "merge_conflict"


KEEP = "keep"
DUPLICATE = "duplicate"

# Fields the merge page offers a choice for: what a user typed, not bookkeeping.
MERGE_FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in Party._meta.concrete_fields
    if f.name in PARTY_FIELDS
    and f.name
    not in {
        "is_customer",
        "is_supplier",
        "is_competitor",
        "is_channel",
        "custom_data",
        "adhoc_fields",
    }
)
_ROLE_FLAGS = ("is_customer", "is_supplier", "is_competitor", "is_channel")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _attname(name: str) -> str:
    return Party._meta.get_field(name).attname


def default_choice(keep: Party, duplicate: Party, name: str) -> str:
    """The survivor's value unless it is empty and the duplicate's is not."""
    attname = _attname(name)
    if _empty(getattr(keep, attname)) and not _empty(getattr(duplicate, attname)):
        return DUPLICATE
    return KEEP


def merge_preview(keep: Party, duplicate: Party) -> list[dict[str, Any]]:
    """The fields whose values differ, with both values and the default choice."""
    rows = []
    for name in MERGE_FIELDS:
        attname = _attname(name)
        a, b = getattr(keep, attname), getattr(duplicate, attname)
        if a == b or (_empty(a) and _empty(b)):
            continue
        model_field = Party._meta.get_field(name)
        rows.append(
            {
                "name": name,
                "label": str(model_field.verbose_name),
                "keep": _display(keep, name),
                "duplicate": _display(duplicate, name),
                "choice": default_choice(keep, duplicate, name),
            }
        )
    return rows


def _display(party: Party, name: str) -> str:
    model_field = Party._meta.get_field(name)
    if model_field.is_relation:
        return str(getattr(party, name) or "")
    if getattr(model_field, "choices", None):
        return str(getattr(party, f"get_{name}_display")())
    value = getattr(party, name)
    return "" if value is None else str(value)


def _related_models() -> list[tuple[type[models.Model], models.ForeignKey]]:
    """Every (model, foreign key) pointing at Party, history tables excepted.

    Found through Party._meta so the apps written later (opportunities, orders, tickets)
    are moved too without this module knowing them.
    """
    result = []
    for rel in Party._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        model = rel.related_model
        # A history row records what was; it keeps pointing at the party it described.
        if hasattr(model, "instance_type"):
            continue
        result.append((model, rel.field))
    return result


def _unique_sets(model: type[models.Model], fk: models.ForeignKey) -> list[list[str]]:
    """The other fields of each unique constraint that includes `fk` (moving could clash)."""
    sets = []
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and fk.name in constraint.fields:
            sets.append([f for f in constraint.fields if f not in {fk.name, "org"}])
    for together in model._meta.unique_together:
        if fk.name in together:
            sets.append([f for f in together if f not in {fk.name, "org"}])
    if fk.unique or fk.one_to_one:
        sets.append([])
    return sets


def _move_related(keep: Party, duplicate: Party, actor: Any, reason: str) -> dict[str, int]:
    moved: dict[str, int] = {}
    for model, fk in _related_models():
        manager = model._base_manager  # includes rows in the recycle bin
        rows = manager.filter(**{fk.attname: duplicate.pk})
        if model.__name__ == "PartyVisit":
            _merge_visits(keep, duplicate)
        for others in _unique_sets(model, fk):
            # A row the survivor already has (the same tag, the same group) is dropped.
            attnames = [model._meta.get_field(name).attname for name in others]
            taken = set(manager.filter(**{fk.attname: keep.pk}).values_list(*attnames))
            if not attnames:
                clashes = rows if manager.filter(**{fk.attname: keep.pk}).exists() else None
            else:
                clash_ids = [
                    row[0] for row in rows.values_list("pk", *attnames) if tuple(row[1:]) in taken
                ]
                clashes = manager.filter(pk__in=clash_ids) if clash_ids else None
            if clashes is not None:
                clashes.delete()
        ids = list(rows.values_list("pk", flat=True))
        if not ids:
            continue
        manager.filter(pk__in=ids).update(**{fk.attname: keep.pk})
        moved[model._meta.label] = len(ids)
        history = getattr(model, "history", None)
        if history is not None and hasattr(history, "bulk_history_create"):
            objects = list(manager.filter(pk__in=ids))
            history.bulk_history_create(
                objects,
                default_user=actor if getattr(actor, "pk", None) else None,
                default_change_reason=reason,
                default_date=timezone.now(),
            )
    moved.update(_move_generic(keep, duplicate))
    return moved


def _merge_visits(keep: Party, duplicate: Party) -> None:
    from guanxi.parties.models import PartyVisit

    mine = {v.user_id: v for v in PartyVisit._base_manager.filter(party_id=keep.pk)}
    for visit in PartyVisit._base_manager.filter(party_id=duplicate.pk):
        survivor = mine.get(visit.user_id)
        if survivor is None:
            continue
        survivor.visits += visit.visits
        survivor.pinned = survivor.pinned or visit.pinned
        if visit.last_visited_at and (
            survivor.last_visited_at is None or visit.last_visited_at > survivor.last_visited_at
        ):
            survivor.last_visited_at = visit.last_visited_at
        survivor.save(update_fields=["visits", "pinned", "last_visited_at"])


def _content_type_pairs(model: type[models.Model]) -> list[tuple[str, str]]:
    """(content type column, object id column) pairs through which `model` points at rows
    of any model: its GenericForeignKeys, or the content_type/object_id convention
    (guanxi.core.models.Attachment)."""
    pairs = []
    for private in model._meta.private_fields:
        if isinstance(private, GenericForeignKey):
            pairs.append((private.ct_field, private.fk_field))
    names = {f.name for f in model._meta.concrete_fields}
    if not pairs and {"content_type", "object_id"} <= names:
        pairs.append(("content_type", "object_id"))
    result = []
    for ct_name, fk_name in pairs:
        ct_field = model._meta.get_field(ct_name)
        if getattr(ct_field, "related_model", None) is ContentType:
            result.append((ct_field.attname, model._meta.get_field(fk_name).attname))
    return result


def _move_generic(keep: Party, duplicate: Party) -> dict[str, int]:
    """Move rows that point at the duplicate through a content type (attachments …)."""
    party_type = ContentType.objects.get_for_model(Party)
    moved = {}
    for model in apps.get_models():
        if hasattr(model, "instance_type"):
            continue  # history rows keep describing what was
        for ct_column, id_column in _content_type_pairs(model):
            count = model._base_manager.filter(
                **{ct_column: party_type.pk, id_column: duplicate.pk}
            ).update(**{id_column: keep.pk})
            if count:
                moved[model._meta.label] = moved.get(model._meta.label, 0) + count
    return moved


@transaction.atomic
def merge_parties(
    *,
    keep: Party,
    duplicate: Party,
    actor: Any,
    field_choices: dict[str, str] | None = None,
) -> Party:
    """Merge `duplicate` into `keep` (B16) and move the duplicate to the recycle bin.

    Each field takes the survivor's value, or the duplicate's when the survivor's is
    empty; `field_choices` ({field: "keep" | "duplicate"}) overrides that per field.
    Roles, tags and custom fields are combined; the last contact is the later of the
    two. Every record pointing at the duplicate is moved to the survivor. Both keep
    their history: the survivor gets a new version, the duplicate's versions stay with
    it in the recycle bin.

    The versions of `keep` and `duplicate` as passed are checked against the stored rows.

    Raise PartyLocked if the duplicate is locked (the survivor may be), MergeConflict
    for a party merged with itself, another organisation's party or one already in the
    recycle bin, StaleEdit if either changed since it was read, ValidationError if the
    chosen values do not make a valid record.
    """
    if keep.pk == duplicate.pk:
        raise MergeConflict(_("Choose two different customers to merge."))
    if keep.org_id != duplicate.org_id:
        raise MergeConflict(_("These customers belong to different organisations."))
    choices = dict(field_choices or {})
    unknown = set(choices) - set(MERGE_FIELDS)
    bad_values = {v for v in choices.values() if v not in {KEEP, DUPLICATE}}
    if unknown or bad_values:
        raise MergeConflict(
            _("Unknown merge choices: %(names)s")
            % {"names": ", ".join(sorted(unknown | bad_values))}
        )
    with org_scope(keep.org_id):
        # Lock both rows so a concurrent edit cannot attach a contact to the duplicate.
        locked = {
            p.pk: p
            for p in Party.all_objects.select_for_update().filter(pk__in=[keep.pk, duplicate.pk])
        }
        fresh_keep, fresh_dup = locked.get(keep.pk), locked.get(duplicate.pk)
        if fresh_keep is None or fresh_dup is None or fresh_keep.is_deleted or fresh_dup.is_deleted:
            raise MergeConflict(_("One of these customers is in the recycle bin."))
        restricted = [p.display_name for p in (fresh_keep, fresh_dup) if p.is_restricted]
        if restricted:
            raise MergeConflict(
                _(
                    "“%(name)s” is a restricted customer. Unrestrict it before merging, so "
                    "its protected fields are not copied in plain text."
                )
                % {"name": restricted[0]}
            )
        if fresh_dup.is_locked:
            raise PartyLocked(
                _(
                    "“%(name)s” is locked, so it cannot be merged into another customer. "
                    "Unlock it first, or keep it as the surviving record."
                )
                % {"name": fresh_dup.display_name}
            )
        if fresh_keep.version != keep.version or fresh_dup.version != duplicate.version:
            raise StaleEdit()
        keep, duplicate = fresh_keep, fresh_dup
        reason = _("Merged “%(duplicate)s” (#%(dup_id)s) into “%(keep)s” (#%(keep_id)s)") % {
            "duplicate": duplicate.display_name,
            "dup_id": duplicate.pk,
            "keep": keep.display_name,
            "keep_id": keep.pk,
        }

        for name in MERGE_FIELDS:
            choice = choices.get(name) or default_choice(keep, duplicate, name)
            if choice == DUPLICATE:
                attname = _attname(name)
                setattr(keep, attname, getattr(duplicate, attname))
        for flag in _ROLE_FLAGS:
            setattr(keep, flag, getattr(keep, flag) or getattr(duplicate, flag))
        custom = dict(duplicate.custom_data or {})
        custom.update({k: v for k, v in (keep.custom_data or {}).items() if not _empty(v)})
        keep.custom_data = custom
        keep.adhoc_fields = _merge_adhoc(keep.adhoc_fields, duplicate.adhoc_fields)
        if duplicate.last_contact_at and (
            keep.last_contact_at is None or duplicate.last_contact_at > keep.last_contact_at
        ):
            keep.last_contact_at = duplicate.last_contact_at
        if keep.owner_id is not None:
            keep.pool_entered_at = None
        if keep.code and keep.code == duplicate.code:
            # The code moves with the survivor; the record in the recycle bin gives it up.
            Party.all_objects.filter(pk=duplicate.pk).update(code="")
            duplicate.code = ""
        refresh_derived_fields(keep)
        validate_party(keep)

        moved = _move_related(keep, duplicate, actor, reason)

        keep.version += 1
        keep._change_reason = reason  # type: ignore[attr-defined]
        keep.save()
        _refresh_party_search(keep)

        duplicate._change_reason = reason  # type: ignore[attr-defined]
        move_to_recycle_bin(obj=duplicate, actor=actor)
        keep.merge_summary = moved  # type: ignore[attr-defined]
        return keep


def _merge_adhoc(mine: Any, theirs: Any) -> list[Any]:
    result = list(mine or [])
    labels = {str(item.get("label", "")) for item in result if isinstance(item, dict)}
    for item in theirs or []:
        if isinstance(item, dict) and str(item.get("label", "")) in labels:
            continue
        result.append(item)
    return result


def mergeable_pair(
    membership: MembershipLike | None, keep_id: Any, duplicate_id: Any
) -> tuple[Party, Party]:
    """Return the two visible parties to merge; Http404 when either is not visible."""
    from guanxi.parties.selectors import get_party_for_user

    return get_party_for_user(membership, keep_id), get_party_for_user(membership, duplicate_id)


def contacts_and_tags(party: Party) -> tuple[list[Contact], list[Any]]:
    """A party's contacts and tags, for the merge page's side-by-side view."""
    contacts = list(Contact.objects.filter(party=party).order_by("-is_primary", "name", "id"))
    tags = [pt.tag for pt in PartyTag.objects.filter(party=party).select_related("tag")]
    return contacts, tags


__all__: Iterable[str] = [
    "DUPLICATE_KINDS",
    "DuplicateGroup",
    "MergeConflict",
    "duplicate_groups",
    "email_key",
    "merge_parties",
    "name_key",
    "phone_key",
]
