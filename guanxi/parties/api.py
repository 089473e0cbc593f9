"""The customers API: parties, contacts, category trees, groups and segments.

The same rules as the pages: reads go through the visibility-aware selectors and
`filter_parties`, writes through the services; another organisation's ids answer 404.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate_keyset
from guanxi.core.categories import (
    add_category,
    delete_category,
    move_category,
    rename_category,
)
from guanxi.core.custom_fields import active_fields, clean_values
from guanxi.core.models import CustomField, Tag
from guanxi.core.permissions import (
    ADD,
    CHANGE,
    DELETE,
    VIEW,
    get_for_action_or_404,
    require_perm,
)
from guanxi.parties import group_services
from guanxi.parties.filters import (
    is_selective,
    keyset_page,
    party_filterset,
    search_contacts,
)
from guanxi.parties.models import (
    CATEGORY_FIELD_BY_ROLE,
    Contact,
    Party,
    PartyCategory,
    PartyGroup,
    PartyRole,
    Segment,
)
from guanxi.parties.selectors import (
    get_contact_for_user,
    get_party_for_user,
    visible_contacts,
    visible_parties,
)
from guanxi.parties.services import (
    create_contact,
    create_party,
    delete_contact,
    delete_party,
    update_contact,
    update_party,
)

router = Router(tags=["customers"])

READ_ERRORS = error_responses(*AUTH_ERRORS, 404, 422)
WRITE_ERRORS = error_responses(*AUTH_ERRORS, 400, 404, 409, 422)
LIST_ERRORS = error_responses(*AUTH_ERRORS, 400, 422)
NESTED_LIST_ERRORS = error_responses(*AUTH_ERRORS, 400, 404, 422)

Role = Literal["customer", "supplier", "competitor", "channel"]
SortParam = Literal[
    "name",
    "-name",
    "code",
    "-code",
    "type",
    "-type",
    "level",
    "-level",
    "owner",
    "-owner",
    "city",
    "-city",
    "created",
    "-created",
    "contact",
    "-contact",
]


def _membership(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


# --- schemas ---------------------------------------------------------------------------


class UserRefOut(Schema):
    id: int
    username: str
    display_name: str


class PartyOut(Schema):
    id: int
    kind: Party.Kind
    name: str
    short_name: str
    code: str
    index_letter: str = Field(description="The A–Z index letter of the short name, or #.")
    is_customer: bool
    is_supplier: bool
    is_competitor: bool
    is_channel: bool
    category_id: int | None = Field(description="Category in the customers' tree.")
    supplier_category_id: int | None
    competitor_category_id: int | None
    channel_category_id: int | None
    customer_type: Party.CustomerType
    level: Party.Level
    source: str
    owner: UserRefOut | None = Field(description="Null while the party is in the shared pool.")
    settlement_type: Party.Settlement
    credit_limit: Decimal | None
    gender: str
    birthday: date | None
    mobile: str
    phone: str
    email: str
    wechat: str
    qq: str
    company_name: str
    department: str
    job_title: str
    industry: str
    company_size: str
    website: str
    fax: str
    country: str
    province: str
    city: str
    district: str
    address: str
    postcode: str
    home_address: str
    home_phone: str
    spouse: str
    children: str
    family_notes: str
    background: str
    decision_makers: str
    budget: str
    purchase_timeline: str
    interests: str
    upstream_partners: str
    downstream_partners: str
    notes: str
    custom_data: dict[str, Any] = Field(description="Custom field values by key.")
    tag_ids: list[int]
    is_locked: bool = Field(description="A locked party cannot be deleted or merged away.")
    is_restricted: bool
    last_contact_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Send back with an edit (optimistic locking).")

    @staticmethod
    def resolve_tag_ids(obj: Party) -> list[int]:
        return sorted(pt.tag_id for pt in obj.party_tags.all())


class PartyPageOut(Schema):
    items: list[PartyOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


class _PartyFields(Schema):
    """Writable fields of a party; fields left out keep their value (or default)."""

    kind: Party.Kind | None = None
    short_name: str | None = None
    code: str | None = None
    is_customer: bool | None = None
    is_supplier: bool | None = None
    is_competitor: bool | None = None
    is_channel: bool | None = None
    category_id: int | None = None
    supplier_category_id: int | None = None
    competitor_category_id: int | None = None
    channel_category_id: int | None = None
    customer_type: Party.CustomerType | None = None
    level: Party.Level | None = None
    source: Party.Source | Literal[""] | None = None
    owner_id: int | None = None
    settlement_type: Party.Settlement | None = None
    credit_limit: Decimal | None = None
    gender: Party.Gender | None = None
    birthday: date | None = None
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    qq: str | None = None
    company_name: str | None = None
    department: str | None = None
    job_title: str | None = None
    industry: str | None = None
    company_size: str | None = None
    website: str | None = None
    fax: str | None = None
    country: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    address: str | None = None
    postcode: str | None = None
    home_address: str | None = None
    home_phone: str | None = None
    spouse: str | None = None
    children: str | None = None
    family_notes: str | None = None
    background: str | None = None
    decision_makers: str | None = None
    budget: str | None = None
    purchase_timeline: str | None = None
    interests: str | None = None
    upstream_partners: str | None = None
    downstream_partners: str | None = None
    notes: str | None = None
    custom_data: dict[str, Any] | None = None
    tag_ids: list[int] | None = None


class PartyIn(_PartyFields):
    name: str = Field(description="Full name of the company or person.")


class PartyPatch(_PartyFields):
    version: int = Field(ge=1, description="The version the edit started from.")
    name: str | None = None


class PartyFilterQuery(Schema):
    """The list filters; custom fields are `cf_<key>` (and `_min`/`_max`, `_from`/`_to`)."""

    role: Role = Field("customer", description="Which list: customers, suppliers, …")
    q: str | None = Field(
        None, max_length=100, description="Search: 汉字, pinyin, initials, phone, e-mail."
    )
    category: str | None = Field(
        None, description="A category id (with its subcategories) or `none`."
    )
    letter: str | None = Field(None, description="A–Z or # (the surname index).")
    tab: Literal["all", "recent", "frequent", "pinned"] | None = None
    type: Party.CustomerType | None = None
    level: Party.Level | None = None
    source: Party.Source | None = None
    settlement: Party.Settlement | None = None
    owner: str | None = Field(None, description="A user id, or `none` for the shared pool.")
    team: int | None = None
    group: int | None = None
    tag: int | None = None
    city: str | None = Field(None, max_length=40)
    created_from: date | None = None
    created_to: date | None = None
    contact_from: date | None = None
    contact_to: date | None = None
    sort: SortParam = Field("name", description="Column, `-` first for descending.")
    cursor: str | None = Field(None, description="`next_cursor` from the previous page.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class ContactOut(Schema):
    id: int
    party_id: int
    name: str
    gender: str
    role: str
    department: str
    is_primary: bool
    mobile: str
    phone: str
    email: str
    wechat: str
    qq: str
    address: str
    notes: str
    birthday_calendar: Contact.BirthdayCalendar
    birthday: date | None
    lunar_birth_year: int | None
    lunar_birth_month: int | None
    lunar_birth_day: int | None
    lunar_birth_leap: bool
    birthday_reminder: bool
    reminder_days_before: int
    custom_data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int


class _ContactFields(Schema):
    gender: Party.Gender | None = None
    role: str | None = None
    department: str | None = None
    is_primary: bool | None = None
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    qq: str | None = None
    address: str | None = None
    notes: str | None = None
    birthday_calendar: Contact.BirthdayCalendar | None = None
    birthday: date | None = None
    lunar_birth_year: int | None = None
    lunar_birth_month: int | None = None
    lunar_birth_day: int | None = None
    lunar_birth_leap: bool | None = None
    birthday_reminder: bool | None = None
    reminder_days_before: int | None = None
    custom_data: dict[str, Any] | None = None


class ContactIn(_ContactFields):
    name: str


class ContactPatch(_ContactFields):
    version: int = Field(ge=1)
    name: str | None = None


class CategoryOut(Schema):
    id: int
    name: str
    tree: PartyRole
    depth: int = Field(description="1 for a top-level category.")
    parent_id: int | None


class CategoryIn(Schema):
    tree: Role = "customer"
    name: str
    parent_id: int | None = Field(None, description="Add under this category.")
    after_id: int | None = Field(None, description="Add right after this category.")


class CategoryPatch(Schema):
    name: str


class CategoryMoveIn(Schema):
    target_id: int
    position: Literal["first-child", "last-child", "left", "right"] = "last-child"


class GroupOut(Schema):
    id: int
    name: str
    description: str
    owner: UserRefOut | None
    created_at: datetime
    version: int


class GroupIn(Schema):
    name: str
    description: str = ""


class GroupPatch(Schema):
    version: int = Field(ge=1)
    name: str | None = None
    description: str | None = None


class PartyIdsIn(Schema):
    party_ids: list[int] = Field(min_length=1, max_length=1000)


class CountOut(Schema):
    count: int


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    filters: dict[str, Any] = Field(description="The list filters, as query-string keys.")
    is_shared: bool
    owner: UserRefOut | None
    version: int


class SegmentIn(Schema):
    name: str
    description: str = ""
    filters: dict[str, Any] = Field(default_factory=dict)
    is_shared: bool = False


class SegmentPatch(Schema):
    version: int = Field(ge=1)
    name: str | None = None
    description: str | None = None
    filters: dict[str, Any] | None = None
    is_shared: bool | None = None


# --- helpers ---------------------------------------------------------------------------


def _party_queryset(membership: Any, role: str | None) -> QuerySet[Party]:
    return visible_parties(membership, role).select_related("owner").prefetch_related("party_tags")


def _party(request: HttpRequest, id: int, action: str = VIEW) -> Party:
    membership = _membership(request)
    party = get_party_for_user(membership, id)
    if action != VIEW:
        require_perm(membership, action, "party")
    return party


def _check_party_refs(membership: Any, data: dict[str, Any]) -> None:
    """Refuse owners, categories and tags that are not the organisation's (422)."""
    from guanxi.accounts.models import Membership

    errors: dict[str, list[str]] = {}
    owner_id = data.get("owner_id")
    if owner_id is not None and not Membership.objects.filter(user_id=owner_id).exists():
        errors["owner_id"] = [_("Choose a member of your organisation.")]
    for role, field in CATEGORY_FIELD_BY_ROLE.items():
        category_id = data.get(f"{field}_id")
        if (
            category_id is not None
            and not PartyCategory.objects.filter(pk=category_id, tree=role).exists()
        ):
            errors[f"{field}_id"] = [_("Choose a category of this list.")]
    tag_ids = data.get("tag_ids")
    if tag_ids:
        found = Tag.objects.filter(pk__in=tag_ids).count()
        if found != len(set(tag_ids)):
            errors["tag_ids"] = [_("Choose tags of your organisation.")]
    if errors:
        raise ValidationError(errors)


def _clean_custom(membership: Any, target: str, raw: dict[str, Any]) -> dict[str, Any]:
    values, errors = clean_values(active_fields(membership.org_id, target), raw)
    if errors:
        raise ValidationError({f"custom_data.{key}": messages for key, messages in errors.items()})
    return values


# Writable columns that take NULL; any other field sent as null means "empty".
_NULLABLE = frozenset(
    {
        "category_id",
        "supplier_category_id",
        "competitor_category_id",
        "channel_category_id",
        "owner_id",
        "credit_limit",
        "birthday",
        "lunar_birth_year",
        "lunar_birth_month",
        "lunar_birth_day",
    }
)


def _payload_data(payload: Schema, model: type[Party] | type[Contact]) -> dict[str, Any]:
    """The fields the client sent, with null turned into what the column stores."""
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    for key, value in list(data.items()):
        if value is not None or key in _NULLABLE or key in {"tag_ids", "custom_data"}:
            continue
        field = model._meta.get_field(key)
        if field.get_internal_type() in {"CharField", "TextField", "EmailField", "URLField"}:
            data[key] = ""
        else:
            del data[key]  # a flag or number sent as null keeps its value
    return data


def _party_data(membership: Any, payload: Schema, current: Party | None = None) -> dict[str, Any]:
    data = _payload_data(payload, Party)
    _check_party_refs(membership, data)
    if data.get("custom_data") is not None:
        merged = {**(current.custom_data if current else {}), **data["custom_data"]}
        data["custom_data"] = _clean_custom(membership, CustomField.Target.PARTY, merged)
    else:
        data.pop("custom_data", None)
    return data


def _refetch(membership: Any, party: Party) -> Party:
    return _party_queryset(membership, None).get(pk=party.pk)


# --- parties ---------------------------------------------------------------------------


@router.get("/parties", response={200: PartyPageOut, **LIST_ERRORS})
def list_parties(request: HttpRequest, filters: Query[PartyFilterQuery]) -> dict[str, Any]:
    """Customers (or suppliers, competitors, channels), filtered, searched and sorted.

    Takes the list page's query-string filters, custom fields included (`cf_<key>`).
    Paged by cursor: pass `next_cursor` back as `cursor`.
    """
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    filterset = party_filterset(
        _party_queryset(membership, filters.role),
        request.GET,
        membership=membership,
        role=filters.role,
    )
    if not filterset.form.is_valid():
        raise ValidationError(
            {
                field: [error["message"] for error in errors]
                for field, errors in filterset.form.errors.get_json_data().items()
            }
        )
    page = keyset_page(
        filterset.qs,
        sort=filters.sort,
        cursor=filters.cursor,
        limit=filters.limit,
        selective=is_selective(filterset),
    )
    return {"items": page.rows, "next_cursor": page.next_cursor}


@router.post("/parties", response={201: PartyOut, **WRITE_ERRORS})
def create_party_endpoint(request: HttpRequest, payload: PartyIn) -> Status[Party]:
    """Add a customer (or supplier, competitor, channel). The caller owns it by default."""
    membership = _membership(request)
    require_perm(membership, ADD, "party")
    data = _party_data(membership, payload)
    tags = data.pop("tag_ids", None) or ()
    party = create_party(org=membership.org, actor=request.user, data=data, tags=tags)
    return Status(201, _refetch(membership, party))


@router.get("/parties/{id}", response={200: PartyOut, **READ_ERRORS})
def get_party(request: HttpRequest, id: int) -> Party:
    membership = _membership(request)
    return get_for_action_or_404(
        _party_queryset(membership, None), membership, "party", VIEW, pk=id
    )


@router.patch("/parties/{id}", response={200: PartyOut, **WRITE_ERRORS})
def patch_party(request: HttpRequest, id: int, payload: PartyPatch) -> Party:
    """Change a party. Answers 409 `stale_edit`, changing nothing, for an old `version`."""
    membership = _membership(request)
    party = _party(request, id, CHANGE)
    data = _party_data(membership, payload, current=party)
    tags = data.pop("tag_ids", None)
    update_party(
        party=party, actor=request.user, data=data, expected_version=payload.version, tags=tags
    )
    return _refetch(membership, party)


@router.delete("/parties/{id}", response={204: None, **WRITE_ERRORS})
def delete_party_endpoint(request: HttpRequest, id: int) -> Status[None]:
    """Move a party to the recycle bin. A locked party answers 409 `deletion_refused`."""
    party = _party(request, id, DELETE)
    delete_party(party=party, actor=request.user)
    return Status(204, None)


# --- contacts --------------------------------------------------------------------------


def _contact_data(
    membership: Any, payload: Schema, current: Contact | None = None
) -> dict[str, Any]:
    data = _payload_data(payload, Contact)
    if data.get("custom_data") is not None:
        merged = {**(current.custom_data if current else {}), **data["custom_data"]}
        data["custom_data"] = _clean_custom(membership, CustomField.Target.CONTACT, merged)
    else:
        data.pop("custom_data", None)
    return data


@router.get("/parties/{id}/contacts", response={200: list[ContactOut], **NESTED_LIST_ERRORS})
@paginate_keyset("name", "id")
def list_party_contacts(request: HttpRequest, id: int) -> QuerySet[Contact]:
    """The contacts of one party, by name."""
    membership = _membership(request)
    party = _party(request, id)
    require_perm(membership, VIEW, "contact")
    return visible_contacts(membership).filter(party=party)


@router.post("/parties/{id}/contacts", response={201: ContactOut, **WRITE_ERRORS})
def create_party_contact(request: HttpRequest, id: int, payload: ContactIn) -> Status[Contact]:
    membership = _membership(request)
    party = _party(request, id)
    require_perm(membership, ADD, "contact")
    contact = create_contact(
        party=party, actor=request.user, data=_contact_data(membership, payload)
    )
    return Status(201, contact)


@router.get("/contacts", response={200: list[ContactOut], **LIST_ERRORS})
@paginate_keyset("name", "id")
def list_contacts(
    request: HttpRequest, q: str | None = Query(None, max_length=100)
) -> QuerySet[Contact]:
    """Contacts of every party the caller may see, by name; `q` searches like the lists."""
    membership = _membership(request)
    require_perm(membership, VIEW, "contact")
    contacts = visible_contacts(membership)
    if q:
        contacts = search_contacts(contacts, q, org_id=membership.org_id)
    return contacts


@router.get("/contacts/{id}", response={200: ContactOut, **READ_ERRORS})
def get_contact(request: HttpRequest, id: int) -> Contact:
    return get_contact_for_user(_membership(request), id)


@router.patch("/contacts/{id}", response={200: ContactOut, **WRITE_ERRORS})
def patch_contact(request: HttpRequest, id: int, payload: ContactPatch) -> Contact:
    """Change a contact. Answers 409 `stale_edit` for an old `version`."""
    membership = _membership(request)
    contact = get_contact_for_user(membership, id)
    require_perm(membership, CHANGE, "contact")
    return update_contact(
        contact=contact,
        actor=request.user,
        data=_contact_data(membership, payload, current=contact),
        expected_version=payload.version,
    )


@router.delete("/contacts/{id}", response={204: None, **WRITE_ERRORS})
def delete_contact_endpoint(request: HttpRequest, id: int) -> Status[None]:
    membership = _membership(request)
    contact = get_contact_for_user(membership, id)
    require_perm(membership, DELETE, "contact")
    delete_contact(contact=contact, actor=request.user)
    return Status(204, None)


# --- category trees --------------------------------------------------------------------


def _category_out(category: PartyCategory, by_path: dict[str, int]) -> dict[str, Any]:
    parent_path = category.path[: -category.steplen]
    return {
        "id": category.pk,
        "name": category.name,
        "tree": category.tree,
        "depth": category.depth,
        "parent_id": by_path.get(parent_path) if parent_path else None,
    }


def _category(request: HttpRequest, id: int, action: str = VIEW) -> PartyCategory:
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    category = get_object_or_404(PartyCategory, pk=id)
    if action != VIEW:
        require_perm(membership, action, "party")
    return category


def _one_category_out(category: PartyCategory) -> dict[str, Any]:
    parent_path = category.path[: -category.steplen]
    parent = (
        PartyCategory.objects.filter(path=parent_path).values_list("pk", flat=True).first()
        if parent_path
        else None
    )
    return _category_out(category, {parent_path: parent} if parent else {})


@router.get("/party-categories", response={200: list[CategoryOut], **READ_ERRORS})
def list_categories(request: HttpRequest, tree: Role = "customer") -> list[dict[str, Any]]:
    """One list's whole category tree, depth first (a parent before its children)."""
    require_perm(_membership(request), VIEW, "party")
    categories = list(PartyCategory.objects.filter(tree=tree).order_by("path"))
    by_path = {c.path: c.pk for c in categories}
    return [_category_out(c, by_path) for c in categories]


@router.post("/party-categories", response={201: CategoryOut, **WRITE_ERRORS})
def create_category(request: HttpRequest, payload: CategoryIn) -> Status[dict[str, Any]]:
    """Add a category at the top, under `parent_id`, or right after `after_id`."""
    membership = _membership(request)
    require_perm(membership, CHANGE, "party")
    parent = after = None
    if payload.parent_id is not None:
        parent = get_object_or_404(PartyCategory, pk=payload.parent_id, tree=payload.tree)
    if payload.after_id is not None:
        after = get_object_or_404(PartyCategory, pk=payload.after_id, tree=payload.tree)
    category = add_category(
        model=PartyCategory,
        org=membership.org,
        name=payload.name,
        parent=parent,
        sibling_of=after,
        actor=request.user,
        extra={"tree": payload.tree},
    )
    return Status(201, _one_category_out(category))


@router.patch("/party-categories/{id}", response={200: CategoryOut, **WRITE_ERRORS})
def rename_category_endpoint(
    request: HttpRequest, id: int, payload: CategoryPatch
) -> dict[str, Any]:
    category = _category(request, id, CHANGE)
    rename_category(category=category, name=payload.name, actor=request.user)
    return _one_category_out(category)


@router.post("/party-categories/{id}/move", response={200: CategoryOut, **WRITE_ERRORS})
def move_category_endpoint(
    request: HttpRequest, id: int, payload: CategoryMoveIn
) -> dict[str, Any]:
    """Move a category (with its subcategories) relative to another of the same list."""
    category = _category(request, id, CHANGE)
    target = get_object_or_404(PartyCategory, pk=payload.target_id, tree=category.tree)
    moved = move_category(
        category=category, target=target, position=payload.position, actor=request.user
    )
    return _one_category_out(moved)


@router.delete("/party-categories/{id}", response={204: None, **WRITE_ERRORS})
def delete_category_endpoint(request: HttpRequest, id: int) -> Status[None]:
    """Delete an empty category; 409 `category_not_empty` otherwise."""
    category = _category(request, id, CHANGE)
    delete_category(category=category, actor=request.user)
    return Status(204, None)


# --- groups ----------------------------------------------------------------------------


def _group(request: HttpRequest, id: int, action: str = VIEW) -> PartyGroup:
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    group: PartyGroup = get_object_or_404(PartyGroup.objects.select_related("owner"), pk=id)
    if action != VIEW:
        require_perm(membership, action, "party")
    return group


@router.get("/groups", response={200: list[GroupOut], **LIST_ERRORS})
@paginate_keyset("name", "id")
def list_groups(request: HttpRequest) -> QuerySet[PartyGroup]:
    """Groups (static lists of parties), by name."""
    require_perm(_membership(request), VIEW, "party")
    return PartyGroup.objects.select_related("owner")


@router.post("/groups", response={201: GroupOut, **WRITE_ERRORS})
def create_group_endpoint(request: HttpRequest, payload: GroupIn) -> Status[PartyGroup]:
    membership = _membership(request)
    require_perm(membership, CHANGE, "party")
    group = group_services.create_group(
        org=membership.org, actor=request.user, name=payload.name, description=payload.description
    )
    return Status(201, group)


@router.get("/groups/{id}", response={200: GroupOut, **READ_ERRORS})
def get_group(request: HttpRequest, id: int) -> PartyGroup:
    return _group(request, id)


@router.patch("/groups/{id}", response={200: GroupOut, **WRITE_ERRORS})
def patch_group(request: HttpRequest, id: int, payload: GroupPatch) -> PartyGroup:
    group = _group(request, id, CHANGE)
    return group_services.update_group(
        group=group,
        actor=request.user,
        name=payload.name if payload.name is not None else group.name,
        description=payload.description if payload.description is not None else group.description,
        expected_version=payload.version,
    )


@router.delete("/groups/{id}", response={204: None, **WRITE_ERRORS})
def delete_group_endpoint(request: HttpRequest, id: int) -> Status[None]:
    """Delete a group; its parties stay."""
    group = _group(request, id, CHANGE)
    group_services.delete_group(group=group, actor=request.user)
    return Status(204, None)


@router.get("/groups/{id}/members", response={200: list[PartyOut], **NESTED_LIST_ERRORS})
@paginate_keyset("index_letter", "short_name", "id")
def list_group_members(request: HttpRequest, id: int) -> QuerySet[Party]:
    """The parties in a group that the caller may see, by name."""
    membership = _membership(request)
    group = _group(request, id)
    return (
        group_services.group_parties(group, membership)
        .select_related("owner")
        .prefetch_related("party_tags")
    )


def _visible_ids(membership: Any, ids: list[int]) -> list[Party]:
    wanted = list(dict.fromkeys(ids))
    parties = list(visible_parties(membership, None).filter(pk__in=wanted))
    if len(parties) != len(wanted):
        from django.http import Http404

        raise Http404
    return parties


@router.post("/groups/{id}/members", response={200: CountOut, **WRITE_ERRORS})
def add_group_members(request: HttpRequest, id: int, payload: PartyIdsIn) -> dict[str, int]:
    """Put parties in the group; answers how many were not in it yet. Unknown ids: 404."""
    membership = _membership(request)
    group = _group(request, id, CHANGE)
    parties = _visible_ids(membership, payload.party_ids)
    return {"count": group_services.add_to_group(group=group, parties=parties, actor=request.user)}


@router.delete("/groups/{id}/members/{party_id}", response={204: None, **WRITE_ERRORS})
def remove_group_member(request: HttpRequest, id: int, party_id: int) -> Status[None]:
    membership = _membership(request)
    group = _group(request, id, CHANGE)
    parties = _visible_ids(membership, [party_id])
    group_services.remove_from_group(group=group, parties=parties, actor=request.user)
    return Status(204, None)


# --- segments --------------------------------------------------------------------------


def _segment(request: HttpRequest, id: int, change: bool = False) -> Segment:
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    segment = get_object_or_404(group_services.visible_segments(membership), pk=id)
    if change and not group_services.can_change_segment(membership, segment):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    return segment


@router.get("/segments", response={200: list[SegmentOut], **LIST_ERRORS})
@paginate_keyset("name", "id")
def list_segments(request: HttpRequest) -> QuerySet[Segment]:
    """Saved filters: the caller's own and those shared with the organisation."""
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    return group_services.visible_segments(membership)


@router.post("/segments", response={201: SegmentOut, **WRITE_ERRORS})
def create_segment_endpoint(request: HttpRequest, payload: SegmentIn) -> Status[Segment]:
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    segment = group_services.create_segment(
        org=membership.org,
        actor=request.user,
        name=payload.name,
        description=payload.description,
        filters=payload.filters,
        is_shared=payload.is_shared,
    )
    return Status(201, segment)


@router.get("/segments/{id}", response={200: SegmentOut, **READ_ERRORS})
def get_segment(request: HttpRequest, id: int) -> Segment:
    return _segment(request, id)


@router.patch("/segments/{id}", response={200: SegmentOut, **WRITE_ERRORS})
def patch_segment(request: HttpRequest, id: int, payload: SegmentPatch) -> Segment:
    segment = _segment(request, id, change=True)
    return group_services.update_segment(
        segment=segment,
        actor=request.user,
        name=payload.name if payload.name is not None else segment.name,
        description=payload.description if payload.description is not None else segment.description,
        is_shared=payload.is_shared if payload.is_shared is not None else segment.is_shared,
        filters=payload.filters,
        expected_version=payload.version,
    )


@router.delete("/segments/{id}", response={204: None, **WRITE_ERRORS})
def delete_segment_endpoint(request: HttpRequest, id: int) -> Status[None]:
    segment = _segment(request, id, change=True)
    group_services.delete_segment(segment=segment, actor=request.user)
    return Status(204, None)


@router.get("/segments/{id}/members", response={200: list[PartyOut], **NESTED_LIST_ERRORS})
@paginate_keyset("index_letter", "short_name", "id")
def list_segment_members(request: HttpRequest, id: int) -> QuerySet[Party]:
    """The segment's parties now: its filters applied to what the caller may see."""
    membership = _membership(request)
    segment = _segment(request, id)
    return (
        group_services.segment_parties(segment, membership)
        .select_related("owner")
        .prefetch_related("party_tags")
    )


__all__ = ["router"]
