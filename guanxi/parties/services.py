"""Business operations on parties and contacts. The only code that writes them.

Pages, the API, imports and background jobs call these functions, so the same rules
(validation, search text, locks, history) hold whichever way a record changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.exceptions import DomainError
from guanxi.core.history import restore_version
from guanxi.core.models import Organisation
from guanxi.core.pinyin import index_letter, search_text
from guanxi.core.recycle_bin import move_to_recycle_bin
from guanxi.core.scoping import org_scope
from guanxi.core.versioning import save_versioned
from guanxi.parties.models import (
    CATEGORY_FIELD_BY_ROLE,
    Contact,
    Party,
    PartyCategory,
    PartyTag,
)
from guanxi.parties.validators import validate_mobile, validate_phone, validate_wechat


class PartyLocked(DomainError):
    status_code = 409
    code = "party_locked"
    default_message = _("This customer is locked.")


class InvalidParty(DomainError):
    code = "invalid_party"


# Fields a caller may set through create_party / update_party.
PARTY_FIELDS: frozenset[str] = frozenset(
    f.name
    for f in Party._meta.concrete_fields
    if f.editable
    and f.name
    not in {
        "id",
        "org",
        "version",
        "created_at",
        "updated_at",
        "deleted_at",
        "deleted_by",
        "is_locked",
        "is_restricted",
        "restricted_payload",
        "restricted_phone_index",
        "search_text",
        "index_letter",
        "last_contact_at",
        "pool_entered_at",
    }
) | {
    "category_id",
    "supplier_category_id",
    "competitor_category_id",
    "channel_category_id",
    "owner_id",
}

CONTACT_FIELDS: frozenset[str] = frozenset(
    f.name
    for f in Contact._meta.concrete_fields
    if f.editable
    and f.name
    not in {
        "id",
        "org",
        "version",
        "created_at",
        "updated_at",
        "deleted_at",
        "deleted_by",
        "search_text",
        "party",
    }
)


# --- derived fields ---------------------------------------------------------------


def party_search_text(party: Party, contact_names: Iterable[str] = ()) -> str:
    person = party.kind == Party.Kind.PERSON
    names = [party.short_name, party.company_name, party.code]
    person_names = list(contact_names)
    (person_names if person else names).append(party.name)
    return search_text(
        names=names,
        person_names=person_names,
        phones=[party.mobile, party.phone, party.home_phone, party.fax],
        emails=[party.email],
        extra=[party.wechat, party.qq, party.city],
    )


def refresh_derived_fields(party: Party) -> None:
    """Fill the short name, index letter and search text from the record's own fields."""
    party.name = (party.name or "").strip()
    party.short_name = (party.short_name or "").strip() or party.name[:100]
    party.index_letter = index_letter(party.short_name, surname=party.kind == Party.Kind.PERSON)
    party.search_text = party_search_text(party)


def contact_search_text(contact: Contact) -> str:
    return search_text(
        person_names=[contact.name],
        phones=[contact.mobile, contact.phone],
        emails=[contact.email],
        extra=[contact.wechat, contact.role],
    )


# --- validation --------------------------------------------------------------------


def validate_party(party: Party) -> None:
    """Run the model's field validation plus phone, WeChat and role rules.

    Raise django.core.exceptions.ValidationError with messages per field.
    """
    errors: dict[str, list[str]] = {}
    try:
        party.full_clean(
            exclude=[
                "org",
                "owner",
                "category",
                "supplier_category",
                "competitor_category",
                "channel_category",
                "deleted_by",
            ],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    for field, check in (
        ("mobile", validate_mobile),
        ("phone", validate_phone),
        ("home_phone", validate_phone),
        ("fax", validate_phone),
        ("wechat", validate_wechat),
    ):
        try:
            check(getattr(party, field))
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.messages)
    if not (party.is_customer or party.is_supplier or party.is_competitor or party.is_channel):
        errors.setdefault("is_customer", []).append(
            _("Choose at least one role: customer, supplier, competitor or channel.")
        )
    if party.settlement_type == Party.Settlement.CREDIT and party.credit_limit is None:
        errors.setdefault("credit_limit", []).append(_("Credit customers need a credit limit."))
    if party.credit_limit is not None and party.credit_limit < 0:
        errors.setdefault("credit_limit", []).append(_("The credit limit cannot be negative."))
    if party.code:
        clash = Party.all_objects.filter(code=party.code).exclude(pk=party.pk)
        if clash.exists():
            errors.setdefault("code", []).append(_("Another record already has this code."))
    for field in CATEGORY_FIELD_BY_ROLE.values():
        category = getattr(party, field)
        if category is not None and category.org_id != party.org_id:
            errors.setdefault(field, []).append(_("Choose a category of your organisation."))
    if errors:
        raise ValidationError(errors)


def validate_contact(contact: Contact) -> None:
    errors: dict[str, list[str]] = {}
    try:
        contact.full_clean(
            exclude=["org", "party", "deleted_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    for field, check in (
        ("mobile", validate_mobile),
        ("phone", validate_phone),
        ("wechat", validate_wechat),
    ):
        try:
            check(getattr(contact, field))
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.messages)
    if contact.birthday_calendar == Contact.BirthdayCalendar.LUNAR:
        month, day = contact.lunar_birth_month, contact.lunar_birth_day
        if not month or not day:
            errors.setdefault("lunar_birth_month", []).append(
                _("A lunar birthday needs its month and day.")
            )
        elif not (1 <= month <= 12 and 1 <= day <= 30):
            errors.setdefault("lunar_birth_day", []).append(
                _("A lunar month is 1–12 and a lunar day 1–30.")
            )
    if contact.birthday_reminder and not (contact.birthday or contact.lunar_birth_month):
        errors.setdefault("birthday_reminder", []).append(
            _("Enter the birthday before switching its reminder on.")
        )
    if contact.reminder_days_before > 60:
        errors.setdefault("reminder_days_before", []).append(_("Remind at most 60 days before."))
    if errors:
        raise ValidationError(errors)


def _apply(instance: Any, data: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise InvalidParty(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for key, value in data.items():
        if isinstance(value, str) and key not in {"notes", "background", "family_notes"}:
            value = value.strip()
        setattr(instance, key, value)


# --- parties -------------------------------------------------------------------------


@transaction.atomic
def create_party(
    *, org: Organisation, actor: Any, data: dict[str, Any], tags: Iterable[Any] = ()
) -> Party:
    """Create a customer (or supplier, competitor, channel).

    Raise ValidationError with field messages when the data is invalid; nothing is saved.
    """
    with org_scope(org):
        party = Party(org=org)
        if actor is not None and "owner" not in data and "owner_id" not in data:
            party.owner = actor
        _apply(party, data, PARTY_FIELDS)
        refresh_derived_fields(party)
        validate_party(party)
        party.last_contact_at = None
        party.save()
        set_party_tags(party=party, tags=tags)
        return party


@transaction.atomic
def update_party(
    *,
    party: Party,
    actor: Any,
    data: dict[str, Any],
    expected_version: int,
    tags: Iterable[Any] | None = None,
) -> Party:
    """Change a party's fields. Raise ValidationError, StaleEdit.

    A restricted party's sensitive fields are refused here, since this would store them
    in plain text: guanxi.parties.restricted.update_restricted_party encrypts them.
    """
    if party.is_restricted:
        refused = {
            field: [
                _(
                    "This customer is restricted: change this field on its page after "
                    "entering the restricted-records password."
                )
            ]
            for field in sorted(RESTRICTED_COLUMNS)
            if data.get(field)
        }
        if refused:
            raise ValidationError(refused)
    with org_scope(party.org_id):
        _apply(party, data, PARTY_FIELDS)
        refresh_derived_fields(party)
        validate_party(party)
        save_versioned(party, expected_version=expected_version)
        if tags is not None:
            set_party_tags(party=party, tags=tags)
        return party


def set_party_tags(*, party: Party, tags: Iterable[Any]) -> None:
    wanted = {getattr(t, "pk", t) for t in tags}
    current = set(PartyTag.objects.filter(party=party).values_list("tag_id", flat=True))
    PartyTag.objects.filter(party=party, tag_id__in=current - wanted).delete()
    PartyTag.objects.bulk_create(
        [PartyTag(org_id=party.org_id, party=party, tag_id=t) for t in wanted - current]
    )


@transaction.atomic
def set_party_lock(*, party: Party, actor: Any, locked: bool) -> Party:
    """Lock (or unlock) a customer: a locked one cannot be deleted or merged away (B6)."""
    with org_scope(party.org_id):
        party.is_locked = locked
        party.version += 1
        party.save(update_fields=["is_locked", "version", "updated_at"])
    return party


@transaction.atomic
def delete_party(*, party: Party, actor: Any) -> Party:
    """Move a party to the recycle bin. Raise DeletionRefused for a locked one."""
    with org_scope(party.org_id):
        move_to_recycle_bin(obj=party, actor=actor)
    return party


@transaction.atomic
def assign_owner(*, parties: Iterable[Party], actor: Any, owner: Any) -> int:
    """Give parties to `owner` (bulk action); they leave the pool. Returns how many."""
    rows = list(parties)
    if not rows:
        return 0
    with org_scope(rows[0].org_id):
        for row in rows:
            row.owner = owner
            row.pool_entered_at = None
            row.version += 1
            row.save(update_fields=["owner", "pool_entered_at", "version", "updated_at"])
    return len(rows)


@transaction.atomic
def file_in_category(
    *, parties: Iterable[Party], category: PartyCategory | None, actor: Any, role: str = "customer"
) -> int:
    """File parties in a category of `role`'s tree (drag onto a category; bulk action).

    Raise InvalidParty when the category belongs to another list or organisation.
    """
    field = CATEGORY_FIELD_BY_ROLE[role]
    rows = list(parties)
    if not rows:
        return 0
    org_id = rows[0].org_id
    if category is not None and (category.org_id != org_id or category.tree != role):
        raise InvalidParty(_("Choose a category of this list."), field="category")
    with org_scope(org_id):
        for row in rows:
            setattr(row, field, category)
            row.version += 1
            row.save(update_fields=[field, "version", "updated_at"])
    return len(rows)


def touch_last_contact(*, party: Party, when: Any = None) -> None:
    """Record a follow-up (called by the timeline when a contact record is logged)."""
    when = when or timezone.now()
    with org_scope(party.org_id):
        Party.objects.filter(pk=party.pk).exclude(last_contact_at__gt=when).update(
            last_contact_at=when
        )


# --- contacts ------------------------------------------------------------------------


@transaction.atomic
def create_contact(*, party: Party, actor: Any, data: dict[str, Any]) -> Contact:
    """Add a contact to a party. Raise ValidationError with field messages."""
    with org_scope(party.org_id):
        contact = Contact(org_id=party.org_id, party=party)
        _apply(contact, data, CONTACT_FIELDS)
        contact.search_text = contact_search_text(contact)
        validate_contact(contact)
        if contact.is_primary:
            Contact.objects.filter(party=party, is_primary=True).update(is_primary=False)
        contact.save()
        _refresh_party_search(party)
        return contact


@transaction.atomic
def update_contact(
    *, contact: Contact, actor: Any, data: dict[str, Any], expected_version: int
) -> Contact:
    """Change a contact. Raise ValidationError, StaleEdit."""
    with org_scope(contact.org_id):
        _apply(contact, data, CONTACT_FIELDS)
        contact.search_text = contact_search_text(contact)
        validate_contact(contact)
        if contact.is_primary:
            Contact.objects.filter(party_id=contact.party_id, is_primary=True).exclude(
                pk=contact.pk
            ).update(is_primary=False)
        save_versioned(contact, expected_version=expected_version)
        _refresh_party_search(contact.party)
        return contact


@transaction.atomic
def delete_contact(*, contact: Contact, actor: Any) -> Contact:
    with org_scope(contact.org_id):
        move_to_recycle_bin(obj=contact, actor=actor)
        _refresh_party_search(contact.party)
        return contact


def _refresh_party_search(party: Party) -> None:
    """Contacts' names and phones find their party too."""
    names = Contact.objects.filter(party=party).values_list("name", "mobile", "phone")
    contact_bits: list[str] = []
    phones: list[str] = []
    for name, mobile, phone in names:
        contact_bits.append(name)
        phones.extend([mobile, phone])
    text = party_search_text(party, contact_bits)
    extra = search_text(phones=phones)
    if extra:
        text = f"{text} {extra}"
    Party.all_objects.filter(pk=party.pk).update(search_text=text)


# --- history ---------------------------------------------------------------------------

# What restoring an earlier version leaves as it is: protection (a lock, the restricted
# state and its encrypted data) and bookkeeping kept by other use cases.
RESTORE_KEEPS: frozenset[str] = frozenset(
    {
        "is_locked",
        "is_restricted",
        "restricted_payload",
        "restricted_phone_index",
        "last_contact_at",
        "pool_entered_at",
        "owner",
    }
)
# The plain columns a restricted party keeps blank (guanxi.parties.restricted moves them).
RESTRICTED_COLUMNS: frozenset[str] = frozenset(
    {
        "mobile",
        "phone",
        "home_phone",
        "email",
        "wechat",
        "qq",
        "address",
        "home_address",
        "notes",
        "family_notes",
    }
)


@transaction.atomic
def restore_party_version(
    *, party: Party, actor: Any, history_id: int, expected_version: int
) -> Party:
    """Bring back the business fields of an earlier version of a party (A5).

    The lock, the restricted state, the owner and the pool bookkeeping stay as they are,
    and a restricted party's sensitive columns stay blank. Raise StaleEdit; DoesNotExist
    when the version is not one of this party's.
    """
    keep = set(RESTORE_KEEPS)
    if party.is_restricted:
        keep |= RESTRICTED_COLUMNS
    with org_scope(party.org_id):
        restore_version(
            obj=party,
            history_id=history_id,
            actor=actor,
            expected_version=expected_version,
            keep=keep,
            prepare=refresh_derived_fields,
        )
        _refresh_party_search(party)
        return party


@transaction.atomic
def restore_contact_version(
    *, contact: Contact, actor: Any, history_id: int, expected_version: int
) -> Contact:
    """Bring back the fields of an earlier version of a contact (A5).

    The contact stays with its current party (a merge may have moved it). Raise
    StaleEdit; DoesNotExist when the version is not one of this contact's.
    """

    def prepare(obj: Contact) -> None:
        obj.search_text = contact_search_text(obj)

    with org_scope(contact.org_id):
        restore_version(
            obj=contact,
            history_id=history_id,
            actor=actor,
            expected_version=expected_version,
            keep={"party"},
            prepare=prepare,
        )
        _refresh_party_search(contact.party)
        return contact
