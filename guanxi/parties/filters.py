"""Filtering, searching and sorting the party lists — one implementation for every caller.

The list pages, the API, exports and segments all narrow a `visible_parties()` queryset
with `filter_parties(queryset, params, membership=…)`, where `params` is the list page's
query string (a QueryDict) or a dict of the same keys (a saved segment). Unknown keys
are ignored; values that do not validate are dropped from the filter and reported on
`party_filterset(...).errors`.

Query-string keys:
    q                 search: 汉字, full pinyin, initials, phone (any format or a suffix), e-mail
    role              customer (default), supplier, competitor, channel: whose category tree
    category          a category id (with its subcategories) or "none" (uncategorised)
    letter            A–Z or "#" (the surname index, B5)
    tab               all, recent, frequent, pinned (B3; the requesting member's own)
    type level source settlement    choices of the Party model
    owner             a member's user id, or "none" (the shared pool)
    team              a team id: parties owned by its members
    group tag         a group id / tag id
    city              the city starts with this text
    created_from created_to contact_from contact_to   dates (YYYY-MM-DD), inclusive
    cf_<key>          a custom field: text contains / choice / multi-choice has / yes-no;
    cf_<key>_min _max numbers; cf_<key>_from _to dates

Search: the query is lower-cased and split on spaces; every word must match. A query
made of digits, spaces, dashes, dots, brackets and + is a phone number and is reduced
to its digits. Words of 3+ characters are answered by a trigram index (SQLite FTS5 /
PostgreSQL pg_trgm), shorter ones by a plain LIKE.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.db import connections
from django.db.models import DecimalField, F, Func, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.api.pagination import InvalidCursor, KeysetPagination, SortKey
from guanxi.core.models import CustomField, Tag
from guanxi.core.permissions import MembershipLike
from guanxi.core.pinyin import phone_digits
from guanxi.parties.models import (
    CATEGORY_FIELD_BY_ROLE,
    Party,
    PartyCategory,
    PartyGroup,
    PartyGroupMember,
    PartyRole,
    PartyTag,
    PartyVisit,
)
from guanxi.web.forms import StyledFormMixin

# --- search ----------------------------------------------------------------------------

MAX_QUERY_LENGTH = 100
MAX_TERMS = 5
TRIGRAM_MIN = 3
_PHONE_QUERY = re.compile(r"^[\d\s\-+().]+$")
PARTY_FTS = "parties_party_fts"
CONTACT_FTS = "parties_contact_fts"


def search_terms(query: str) -> list[str]:
    """Return the lower-cased words a query is made of (a phone number is one word)."""
    query = (query or "").strip()[:MAX_QUERY_LENGTH]
    if not query:
        return []
    if _PHONE_QUERY.match(query) and any(c.isdigit() for c in query):
        digits = phone_digits(query)
        return [digits] if digits else []
    words = [word for word in query.lower().split() if word]
    return list(dict.fromkeys(words))[:MAX_TERMS]


def _glob_literal(text: str) -> str:
    # GLOB has no ESCAPE clause: a special character is matched by a one-character class.
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def search_queryset(
    queryset: QuerySet[Any], query: str, *, fts_table: str, org_id: int | None = None
) -> QuerySet[Any]:
    """Narrow `queryset` (of a model with `search_text`) to the rows matching every word."""
    vendor = connections[queryset.db].vendor
    for term in search_terms(query):
        if vendor == "sqlite":
            if len(term) >= TRIGRAM_MIN:
                # Answered by the trigram index.
                sql = f"SELECT rowid FROM {fts_table} WHERE search_text GLOB %s"  # noqa: S608
                params: list[Any] = [f"*{_glob_literal(term)}*"]
            else:
                # No trigram index answers 1–2 characters: scan, but the search table's
                # narrow rows rather than the wide party rows, with a plain instr().
                sql = f"SELECT rowid FROM {fts_table} WHERE instr(search_text, %s) > 0"  # noqa: S608
                params = [term]
            if org_id is not None:
                sql += " AND org_id = %s"
                params.append(org_id)
            queryset = queryset.filter(pk__in=RawSQL(sql, params))  # noqa: S611
        elif len(term) >= TRIGRAM_MIN:
            # Start from the GIN trigram index's matches. Left to itself the planner may
            # walk the name-order index and test every row (200 ms at 100k customers
            # when the matches sort last); a MATERIALIZED CTE makes it use the index.
            table = _FTS_SOURCES[fts_table]
            like = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            sql = (
                f"WITH matches AS MATERIALIZED (SELECT id FROM {table} "  # noqa: S608
                "WHERE search_text LIKE %s"
            )
            params = [f"%{like}%"]
            if org_id is not None:
                sql += " AND org_id = %s"
                params.append(org_id)
            sql += ") SELECT id FROM matches"
            queryset = queryset.filter(pk__in=RawSQL(sql, params))  # noqa: S611
        else:
            # 1–2 characters: no trigram index can answer; a plain LIKE.
            queryset = queryset.filter(search_text__contains=term)
    return queryset


def search_parties(
    queryset: QuerySet[Party], query: str, *, org_id: int | None = None
) -> QuerySet[Party]:
    return search_queryset(queryset, query, fts_table=PARTY_FTS, org_id=org_id)


def search_contacts(queryset: QuerySet[Any], query: str, *, org_id: int | None = None) -> Any:
    return search_queryset(queryset, query, fts_table=CONTACT_FTS, org_id=org_id)


# Kept in step with migration 0002: run after every migrate (see list_registrations), it
# restores what a SQLite table rebuild (Django's way of altering a column) drops with
# the old table: the triggers and the indexes Django's migration state does not know.
SORT_INDEX_SQL = [
    "CREATE INDEX IF NOT EXISTS party_code_sort ON parties_party (org_id, code, id)",
    "CREATE INDEX IF NOT EXISTS party_type_sort ON parties_party "
    "(org_id, customer_type, short_name, id)",
    "CREATE INDEX IF NOT EXISTS party_level_sort ON parties_party (org_id, level, short_name, id)",
    "CREATE INDEX IF NOT EXISTS party_city_sort ON parties_party (org_id, city, short_name, id)",
    "CREATE INDEX IF NOT EXISTS party_created_sort ON parties_party (org_id, created_at, id)",
    # A level's customers in name order (migration 0004; kept here so a rebuilt table
    # gets it back).
    "CREATE INDEX IF NOT EXISTS party_level_letter ON parties_party "
    "(org_id, level, index_letter, short_name, id)",
    # An owner (own visibility, the pool) or a category, in name order, without a sort.
    "CREATE INDEX IF NOT EXISTS party_owner_letter ON parties_party "
    "(org_id, owner_id, index_letter, short_name, id)",
    "CREATE INDEX IF NOT EXISTS party_category_letter ON parties_party "
    "(org_id, category_id, index_letter, short_name, id)",
    "CREATE INDEX IF NOT EXISTS party_supplier_letter ON parties_party "
    "(org_id, index_letter, short_name, id) "
    "WHERE is_supplier",
    "CREATE INDEX IF NOT EXISTS party_competitor_letter ON parties_party "
    "(org_id, index_letter, short_name, id) "
    "WHERE is_competitor",
    "CREATE INDEX IF NOT EXISTS party_channel_letter ON parties_party "
    "(org_id, index_letter, short_name, id) "
    "WHERE is_channel",
]
_FTS_SOURCES = {PARTY_FTS: "parties_party", CONTACT_FTS: "parties_contact"}


def _sqlite_triggers(fts: str, table: str) -> dict[str, str]:
    # Names come from the constants above, never from input.
    insert = f"INSERT INTO {fts}(rowid, search_text, org_id) "
    values = "VALUES (new.id, new.search_text, new.org_id); END"
    delete = f"DELETE FROM {fts} WHERE rowid = old.id; "  # noqa: S608
    return {
        f"{fts}_ai": f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} "
        f"BEGIN {insert}{values}",
        f"{fts}_ad": f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} "
        f"BEGIN {delete}END",
        f"{fts}_au": f"CREATE TRIGGER IF NOT EXISTS {fts}_au "
        f"AFTER UPDATE OF search_text, org_id ON {table} BEGIN {delete}{insert}{values}",
    }


def ensure_search_objects(using: str = "default") -> list[str]:
    """Re-create missing sort indexes and (SQLite) search triggers; return what was made.

    A search table whose triggers were missing is rebuilt from its source table, since
    rows may have changed while nothing kept it in step.
    """
    made: list[str] = []
    conn = connections[using]
    tables = set(conn.introspection.table_names())
    if "parties_party" not in tables:
        return made
    with conn.cursor() as cursor:
        for statement in SORT_INDEX_SQL:
            cursor.execute(statement)
        if conn.vendor != "sqlite":
            return made
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {row[0] for row in cursor.fetchall()}
        for fts, table in _FTS_SOURCES.items():
            if fts not in present:
                continue  # migration 0002 not applied yet: it creates everything
            triggers = _sqlite_triggers(fts, table)
            missing = [name for name in triggers if name not in present]
            for name in missing:
                cursor.execute(triggers[name])
            if missing:
                cursor.execute(f"DELETE FROM {fts}")  # noqa: S608
                cursor.execute(
                    f"INSERT INTO {fts}(rowid, search_text, org_id) "  # noqa: S608
                    f"SELECT id, search_text, org_id FROM {table}"
                )
                made.extend(missing)
    return made


# --- the filter set -------------------------------------------------------------------

LETTERS: list[str] = [*string.ascii_uppercase, "#"]
NONE = "none"


class ListTab:
    ALL = "all"
    RECENT = "recent"
    FREQUENT = "frequent"
    PINNED = "pinned"
    CHOICES = (
        (ALL, _("All")),
        (RECENT, _("Recently viewed")),
        (FREQUENT, _("Most used")),
        (PINNED, _("Pinned")),
    )


# How many parties the "recently viewed" and "most used" tabs show.
TAB_SIZE = 50


class PartyFilterForm(StyledFormMixin, forms.Form):
    pass


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class PartyFilterSet(django_filters.FilterSet):
    """The filters of the party lists; see the module docstring for the keys."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        max_length=MAX_QUERY_LENGTH,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    category = django_filters.CharFilter(label=_("Category"), method="filter_category")
    letter = django_filters.ChoiceFilter(
        label=_("Index letter"), choices=[(c, c) for c in LETTERS], field_name="index_letter"
    )
    tab = django_filters.ChoiceFilter(
        label=_("Show"), choices=ListTab.CHOICES, method="filter_tab", empty_label=None
    )
    type = django_filters.ChoiceFilter(
        label=_("Type"), choices=Party.CustomerType.choices, field_name="customer_type"
    )
    level = django_filters.ChoiceFilter(label=_("Level"), choices=Party.Level.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Party.Source.choices)
    settlement = django_filters.ChoiceFilter(
        label=_("Settlement"), choices=Party.Settlement.choices, field_name="settlement_type"
    )
    owner = django_filters.ChoiceFilter(label=_("Owner"), method="filter_owner")
    team = django_filters.ModelChoiceFilter(
        label=_("Team"), queryset=PartyGroup.objects.none(), method="filter_team"
    )
    group = django_filters.ModelChoiceFilter(
        label=_("Group"), queryset=PartyGroup.objects.none(), method="filter_group"
    )
    tag = django_filters.ModelChoiceFilter(
        label=_("Tag"), queryset=Tag.objects.none(), method="filter_tag"
    )
    city = django_filters.CharFilter(label=_("City"), field_name="city", lookup_expr="istartswith")
    created_from = django_filters.DateFilter(
        label=_("Created from"), method="filter_date_from", field_name="created_at"
    )
    created_to = django_filters.DateFilter(
        label=_("Created until"), method="filter_date_to", field_name="created_at"
    )
    contact_from = django_filters.DateFilter(
        label=_("Last contact from"), method="filter_date_from", field_name="last_contact_at"
    )
    contact_to = django_filters.DateFilter(
        label=_("Last contact until"), method="filter_date_to", field_name="last_contact_at"
    )

    class Meta:
        model = Party
        fields: list[str] = []
        form = PartyFilterForm

    def __init__(
        self,
        data: QueryDict | None = None,
        queryset: QuerySet[Party] | None = None,
        *,
        membership: MembershipLike | None,
        role: str = PartyRole.CUSTOMER,
        custom_fields: Sequence[CustomField] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, queryset, **kwargs)
        from guanxi.accounts.models import Membership, Team

        self.membership = membership
        self.role = role if role in CATEGORY_FIELD_BY_ROLE else PartyRole.CUSTOMER
        self.category_field = CATEGORY_FIELD_BY_ROLE[self.role]
        date_widget = forms.DateInput(attrs={"type": "date"})
        for name in ("created_from", "created_to", "contact_from", "contact_to"):
            self.filters[name].extra["widget"] = date_widget
        # Querysets are lazy: a select's options are only read when the form is shown or
        # a value is checked, so an unused filter costs no query.
        self._members = Membership.objects.select_related("user").order_by(
            "user__display_name", "user__username"
        )
        self.filters["owner"].extra["choices"] = self._owner_choices
        self.filters["team"].queryset = Team.objects.order_by("name")
        self.filters["group"].queryset = PartyGroup.objects.order_by("name")
        self.filters["tag"].queryset = Tag.objects.order_by("name")
        self.custom_fields = list(
            custom_fields
            if custom_fields is not None
            else CustomField.objects.filter(
                target=CustomField.Target.PARTY, is_active=True
            ).order_by("position", "id")
        )
        self.custom_filter_names: list[str] = []
        for field in self.custom_fields:
            for name, filter_ in _custom_filters(field):
                self.filters[name] = filter_
                self.custom_filter_names.append(name)

    def _owner_choices(self) -> list[tuple[str, str]]:
        choices = [(NONE, str(_("Nobody (shared pool)")))]
        seen: set[int] = set()
        for member in self._members:
            if member.user_id not in seen:
                seen.add(member.user_id)
                choices.append((str(member.user_id), str(member.user)))
        return choices

    # --- filter methods ---------------------------------------------------------------

    def filter_search(self, queryset: QuerySet[Party], name: str, value: str) -> QuerySet[Party]:
        org_id = getattr(self.membership, "org_id", None)
        return search_parties(queryset, value, org_id=org_id)

    def filter_category(self, queryset: QuerySet[Party], name: str, value: str) -> QuerySet[Party]:
        value = (value or "").strip()
        if value == NONE:
            return queryset.filter(**{f"{self.category_field}__isnull": True})
        if not value.isdigit():
            return queryset.none()
        category = PartyCategory.objects.filter(pk=int(value), tree=self.role).first()
        if category is None:
            return queryset.none()
        subtree = PartyCategory.objects.filter(tree=self.role, path__startswith=category.path)
        return queryset.filter(**{f"{self.category_field}__in": subtree.values("pk")})

    def filter_tab(self, queryset: QuerySet[Party], name: str, value: str) -> QuerySet[Party]:
        if value == ListTab.ALL or self.membership is None:
            return queryset
        # `pk IN (…)` rather than EXISTS: the database starts from the member's few
        # visit rows instead of testing every party.
        visits = PartyVisit.objects.filter(user_id=self.membership.user_id)
        if value == ListTab.PINNED:
            return queryset.filter(pk__in=visits.filter(pinned=True).values("party_id"))
        return queryset.filter(pk__in=visits.filter(visits__gt=0).values("party_id"))

    def filter_owner(self, queryset: QuerySet[Party], name: str, value: str) -> QuerySet[Party]:
        if value == NONE:
            return queryset.filter(owner__isnull=True)
        return queryset.filter(owner_id=int(value))

    def filter_team(self, queryset: QuerySet[Party], name: str, value: Any) -> QuerySet[Party]:
        from guanxi.accounts.models import Membership

        members = Membership.objects.filter(team_id=value.pk).values("user_id")
        return queryset.filter(owner_id__in=members)

    def filter_group(self, queryset: QuerySet[Party], name: str, value: Any) -> QuerySet[Party]:
        members = PartyGroupMember.objects.filter(group_id=value.pk)
        return queryset.filter(pk__in=members.values("party_id"))

    def filter_tag(self, queryset: QuerySet[Party], name: str, value: Any) -> QuerySet[Party]:
        return queryset.filter(pk__in=PartyTag.objects.filter(tag_id=value.pk).values("party_id"))

    # django-filter passes the filter's field_name as `name`.
    def filter_date_from(
        self, queryset: QuerySet[Party], name: str, value: date
    ) -> QuerySet[Party]:
        return queryset.filter(**{f"{name}__gte": _start_of_day(value)})

    def filter_date_to(self, queryset: QuerySet[Party], name: str, value: date) -> QuerySet[Party]:
        return queryset.filter(**{f"{name}__lt": _start_of_day(value + timedelta(days=1))})

    # --- for templates -----------------------------------------------------------------

    @property
    def active_filter_count(self) -> int:
        """How many filters of the collapsible form (not search, tabs, tree, letters) are set."""
        if not self.is_bound:
            return 0
        skip = {"q", "tab", "category", "letter"}
        data = self.form.cleaned_data if self.form.is_valid() else {}
        return sum(1 for key, value in data.items() if key not in skip and value not in (None, ""))

    def custom_fields_bound(self) -> list[Any]:
        return [self.form[name] for name in self.custom_filter_names]


def _custom_key(field: CustomField) -> str:
    return f"cf_{field.key}"


def _custom_filters(field: CustomField) -> list[tuple[str, django_filters.Filter]]:
    """Return the filters of one custom field (values live in Party.custom_data).

    Values are stored as custom_fields.to_json makes them: numbers as decimal strings,
    dates as ISO strings, multiple choices as lists, yes/no as JSON booleans.
    """
    key = field.key
    base = _custom_key(field)
    label = field.label
    types = CustomField.FieldType

    def using(expression: Any, condition: Any) -> Any:
        """A filter method comparing `expression` (the stored value) by `condition(value)`."""

        def method(queryset: QuerySet[Party], name: str, value: Any) -> QuerySet[Party]:
            if value in (None, ""):
                return queryset
            return queryset.alias(_cf=expression).filter(condition(value))

        return method

    # Cast to plain text: key-transform comparisons would read the value as JSON.
    text = Cast(KeyTextTransform(key, "custom_data"), TextField())
    if field.field_type == types.NUMBER:
        number = Cast(
            KeyTextTransform(key, "custom_data"), DecimalField(max_digits=30, decimal_places=4)
        )
        return [
            (
                f"{base}_min",
                django_filters.NumberFilter(
                    label=_("%(label)s from") % {"label": label},
                    method=using(number, lambda v: Q(_cf__gte=v)),
                ),
            ),
            (
                f"{base}_max",
                django_filters.NumberFilter(
                    label=_("%(label)s to") % {"label": label},
                    method=using(number, lambda v: Q(_cf__lte=v)),
                ),
            ),
        ]
    if field.field_type == types.DATE:
        return [
            (
                f"{base}_from",
                django_filters.DateFilter(
                    label=_("%(label)s from") % {"label": label},
                    widget=forms.DateInput(attrs={"type": "date"}),
                    method=using(text, lambda v: Q(_cf__gte=v.isoformat())),
                ),
            ),
            (
                f"{base}_to",
                django_filters.DateFilter(
                    label=_("%(label)s to") % {"label": label},
                    widget=forms.DateInput(attrs={"type": "date"}),
                    method=using(text, lambda v: Q(_cf__lte=v.isoformat())),
                ),
            ),
        ]
    choices = [(c, c) for c in field.choices or []]
    if field.field_type == types.CHOICE:
        return [
            (
                base,
                django_filters.ChoiceFilter(
                    label=label, choices=choices, method=using(text, lambda v: Q(_cf=v))
                ),
            )
        ]
    if field.field_type == types.MULTI_CHOICE:

        def has_choice(value: str) -> Q:
            # The stored value is a JSON list: look for the quoted item, spelled either
            # way JSON text may hold it (the character itself or its \\u escape).
            return Q(_cf__contains=json.dumps(value, ensure_ascii=False)) | Q(
                _cf__contains=json.dumps(value)
            )

        return [
            (
                base,
                django_filters.ChoiceFilter(
                    label=label, choices=choices, method=using(text, has_choice)
                ),
            )
        ]
    if field.field_type == types.BOOLEAN:
        stored = KeyTransform(key, "custom_data")

        def is_yes(value: str) -> Q:
            if value == "yes":
                return Q(_cf=True)
            return Q(_cf=False) | Q(_cf__isnull=True)

        return [
            (
                base,
                django_filters.ChoiceFilter(
                    label=label,
                    choices=[("yes", _("Yes")), ("no", _("No"))],
                    method=using(stored, is_yes),
                ),
            )
        ]
    return [
        (
            base,
            django_filters.CharFilter(
                label=label,
                max_length=200,
                method=using(text, lambda v: Q(_cf__icontains=v.strip())),
            ),
        )
    ]


def as_query_dict(params: QueryDict | Mapping[str, Any] | None) -> QueryDict:
    """Return `params` as a QueryDict (a saved segment is a plain dict of str or lists)."""
    if isinstance(params, QueryDict):
        return params
    data = QueryDict(mutable=True)
    for key, value in (params or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        data.setlist(str(key), ["" if v is None else str(v) for v in values])
    return data


def party_filterset(
    queryset: QuerySet[Party],
    params: QueryDict | Mapping[str, Any] | None,
    *,
    membership: MembershipLike | None,
    role: str | None = None,
) -> PartyFilterSet:
    data = as_query_dict(params)
    role = role or data.get("role") or PartyRole.CUSTOMER
    return PartyFilterSet(data, queryset, membership=membership, role=role)


def filter_parties(
    queryset: QuerySet[Party],
    params: QueryDict | Mapping[str, Any] | None,
    *,
    membership: MembershipLike | None,
    role: str | None = None,
) -> QuerySet[Party]:
    """Narrow `queryset` by the list filters in `params` (a query string or a dict).

    `queryset` should already be `visible_parties(membership, role)`; values that do not
    validate (a group of another organisation, a malformed date) are ignored.
    """
    return party_filterset(queryset, params, membership=membership, role=role).qs


FILTER_KEYS = frozenset(PartyFilterSet.base_filters) | {"role"}


def filter_params(params: QueryDict | Mapping[str, Any]) -> dict[str, Any]:
    """Return only the filter keys of `params` (no sort or cursor), e.g. to save a segment."""
    data = as_query_dict(params)
    result: dict[str, Any] = {}
    for key in data:
        if key in FILTER_KEYS or key.startswith("cf_"):
            values = [v for v in data.getlist(key) if v != ""]
            if values:
                result[key] = values[0] if len(values) == 1 else values
    return result


# --- sorting and keyset pages -----------------------------------------------------------


@dataclass(frozen=True)
class SortColumn:
    key: str
    label: Any
    paths: tuple[str, ...]
    nullable: tuple[str, ...] = ()


SORT_COLUMNS: dict[str, SortColumn] = {
    c.key: c
    for c in (
        SortColumn("name", _("Name"), ("index_letter", "short_name", "id")),
        SortColumn("code", _("Code"), ("code", "id")),
        SortColumn("type", _("Type"), ("customer_type", "short_name", "id")),
        SortColumn("level", _("Level"), ("level", "short_name", "id")),
        SortColumn("owner", _("Owner"), ("owner_id", "short_name", "id"), ("owner_id",)),
        SortColumn("city", _("City"), ("city", "short_name", "id")),
        SortColumn("created", _("Created"), ("created_at", "id")),
        SortColumn("contact", _("Last contact"), ("last_contact_at", "id"), ("last_contact_at",)),
    )
}
DEFAULT_SORT = "name"


def parse_sort(value: str | None) -> tuple[str, bool]:
    """Return (column key, descending) for `name` / `-name`; unknown values sort by name."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.removeprefix("-")
    if key not in SORT_COLUMNS:
        return DEFAULT_SORT, False
    return key, descending


def sort_keys(sort: str, descending: bool, *, prefix: str = "") -> list[SortKey]:
    """The keyset columns of `sort`; with a `prefix`, of annotations named prefix0, prefix1…"""
    column = SORT_COLUMNS[sort]
    keys = []
    for index, path in enumerate(column.paths):
        field: Any = Party._meta.get_field(path.removesuffix("_id"))
        if field.is_relation:
            field = field.target_field  # owner_id: compare as the user's key
        keys.append(
            SortKey(
                path=f"{prefix}{index}" if prefix else path,
                alias=f"_keyset_{index}",
                descending=descending,
                field=field,
                nullable=path in column.nullable,
            )
        )
    return keys


def is_selective(filterset: PartyFilterSet) -> bool:
    """Whether the filters pick rows from a short list of ids (search, tabs, group, tag)."""
    form = filterset.form
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return bool(
        search_terms(data.get("q") or "")
        or data.get("tab") in (ListTab.PINNED, ListTab.RECENT, ListTab.FREQUENT)
        or data.get("group")
        or data.get("tag")
    )


@dataclass
class KeysetPage:
    rows: list[Any]
    next_cursor: str | None
    sort: str
    descending: bool


_UNINDEXED = "_unindexed_"


def keyset_page(
    queryset: QuerySet[Any],
    *,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    selective: bool = False,
) -> KeysetPage:
    """Return one page of `queryset` in `sort` order after `cursor` (no OFFSET, no COUNT).

    `selective` says the filters already pick few rows by id (a search, a group): SQLite
    then sorts those rows instead of walking the sort index to find them, which would
    read the whole index when the matches are rare.

    Raise InvalidCursor for a cursor that does not decode for this sort.
    """
    key, descending = parse_sort(sort)
    if selective and connections[queryset.db].vendor == "sqlite":
        # Unary + is SQLite's no-op that stops a column from matching an index.
        keys = sort_keys(key, descending, prefix=_UNINDEXED)
        queryset = queryset.annotate(
            **{
                k.path: Func(F(path), template="+%(expressions)s", output_field=k.field)
                for k, path in zip(keys, SORT_COLUMNS[key].paths, strict=True)
            }
        )
    else:
        keys = sort_keys(key, descending)
    queryset = queryset.annotate(**{k.alias: F(k.path) for k in keys}).order_by(
        *KeysetPagination.order_by(keys)
    )
    if cursor:
        values = KeysetPagination.decode_cursor(cursor, keys)
        queryset = queryset.filter(KeysetPagination.after(keys, values))
    rows = list(queryset[: limit + 1])
    items, more = rows[:limit], len(rows) > limit
    next_cursor = None
    if more:
        last = items[-1]
        next_cursor = KeysetPagination.encode_cursor([getattr(last, k.alias) for k in keys])
    return KeysetPage(rows=items, next_cursor=next_cursor, sort=key, descending=descending)


def visit_ordered(
    queryset: QuerySet[Party], *, user_id: int, tab: str, limit: int = TAB_SIZE
) -> list[Party]:
    """Return the member's most recently / most often visited parties of `queryset`, in order."""
    visits = PartyVisit.objects.filter(user_id=user_id, party=OuterRef("pk"))
    column = "last_visited_at" if tab == ListTab.RECENT else "visits"
    queryset = queryset.annotate(_visit_rank=Subquery(visits.values(column)[:1])).filter(
        _visit_rank__isnull=False
    )
    return list(queryset.order_by(F("_visit_rank").desc(), "id")[:limit])


__all__ = [
    "LETTERS",
    "SORT_COLUMNS",
    "InvalidCursor",
    "KeysetPage",
    "ListTab",
    "PartyFilterSet",
    "as_query_dict",
    "ensure_search_objects",
    "filter_params",
    "filter_parties",
    "is_selective",
    "keyset_page",
    "parse_sort",
    "party_filterset",
    "search_contacts",
    "search_parties",
    "search_terms",
    "visit_ordered",
]
