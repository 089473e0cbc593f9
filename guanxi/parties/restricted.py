"""Restricted customers (B7): sensitive fields encrypted at rest, shown only after the
organisation's restricted-records password has been entered.

Restricting a customer moves SENSITIVE_FIELDS into `Party.restricted_payload` (a
django-fernet-encrypted-fields column: Fernet with keys derived from SECRET_KEY and
SALT_KEY, so a copy of the database alone does not reveal them) and blanks the plain
columns, in the record and in its earlier history rows. `restricted_phone_index` keeps
an HMAC of each phone number, so an exact phone lookup and duplicate detection still
find the customer without decrypting anything.

Seeing the fields needs an *elevation*: the password entered within the last
GUANXI_RESTRICTED_ELEVATION_MINUTES, kept in the session. Every reveal is recorded
(`RestrictedReveal`) and shown in the record's history.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.exceptions import DomainError
from guanxi.core.pinyin import phone_digits
from guanxi.core.scoping import org_scope
from guanxi.core.versioning import save_versioned
from guanxi.parties.models import Party, PartySettings, RestrictedReveal
from guanxi.parties.services import (
    PARTY_FIELDS,
    _apply,
    refresh_derived_fields,
    update_party,
    validate_party,
)

# The fields a restricted customer keeps only in encrypted form.
SENSITIVE_FIELDS: tuple[str, ...] = (
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
)
PHONE_FIELDS: tuple[str, ...] = ("mobile", "phone", "home_phone")

SESSION_KEY = "guanxi_restricted_elevation"
MIN_PASSWORD_LENGTH = 6
# Wrong passwords allowed per member and organisation before a pause.
MAX_FAILURES = 5
FAILURE_PAUSE_SECONDS = 15 * 60
_HMAC_SALT = "guanxi.parties.restricted_phone_index"


class RestrictedError(DomainError):
    status_code = 403
    code = "restricted"


class RestrictedPasswordMissing(RestrictedError):
    code = "restricted_password_missing"
    default_message = gettext_lazy(
        "The organisation has no restricted-records password yet. An administrator sets it "
        "under Settings › Restricted records."
    )


class WrongRestrictedPassword(RestrictedError):
    code = "restricted_password_wrong"
    default_message = gettext_lazy("That is not the restricted-records password.")


class RestrictedPasswordThrottled(RestrictedError):
    status_code = 429
    code = "restricted_password_throttled"
    default_message = gettext_lazy("Too many wrong passwords. Wait 15 minutes before trying again.")


class ElevationRequired(RestrictedError):
    code = "restricted_elevation_required"
    default_message = gettext_lazy(
        "Enter the restricted-records password to see or change this customer's restricted fields."
    )


# --- the password --------------------------------------------------------------------


def party_settings(org: Any) -> PartySettings:
    """Return the organisation's customers-area settings row, creating it on first use."""
    org_id = getattr(org, "pk", org)
    with org_scope(org_id):
        row, _created = PartySettings.objects.get_or_create(org_id=org_id)
        return row


def has_restricted_password(org: Any) -> bool:
    return bool(party_settings(org).restricted_password)


@transaction.atomic
def set_restricted_password(
    *, org: Any, actor: Any, new_password: str, current_password: str = ""
) -> PartySettings:
    """Set or change the restricted-records password (stored as a Django password hash).

    The encryption keys do not depend on this password, so changing it re-encrypts
    nothing. Raise WrongRestrictedPassword when a password exists and `current_password`
    is not it; ValidationError when the new one is too short.
    """
    row = party_settings(org)
    with org_scope(row.org_id):
        row = PartySettings.objects.select_for_update().get(pk=row.pk)
        if row.restricted_password and not check_password(
            current_password, row.restricted_password
        ):
            raise WrongRestrictedPassword(field="current_password")
        if len(new_password or "") < MIN_PASSWORD_LENGTH:
            raise ValidationError(
                {
                    "new_password": [
                        _("Use at least %(count)d characters.") % {"count": MIN_PASSWORD_LENGTH}
                    ]
                }
            )
        row.restricted_password = make_password(new_password)
        row.save(update_fields=["restricted_password"])
        return row


def _failure_key(org_id: int, user: Any) -> str:
    return f"guanxi:restricted-failures:{org_id}:{getattr(user, 'pk', 'anon')}"


def check_restricted_password(*, org: Any, user: Any, password: str) -> None:
    """Accept the organisation's restricted-records password or raise.

    Raise RestrictedPasswordMissing when none is set, RestrictedPasswordThrottled after
    MAX_FAILURES wrong tries (for FAILURE_PAUSE_SECONDS), WrongRestrictedPassword.
    """
    row = party_settings(org)
    if not row.restricted_password:
        raise RestrictedPasswordMissing()
    key = _failure_key(row.org_id, user)
    if int(cache.get(key, 0)) >= MAX_FAILURES:
        raise RestrictedPasswordThrottled()
    if not check_password(password or "", row.restricted_password):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, FAILURE_PAUSE_SECONDS)
        raise WrongRestrictedPassword(field="password")
    cache.delete(key)


# --- elevation (kept in the session) -----------------------------------------------------


def elevation_seconds() -> int:
    return int(getattr(settings, "GUANXI_RESTRICTED_ELEVATION_MINUTES", 5)) * 60


def grant_elevation(session: Any, *, org: Any, user: Any, password: str) -> float:
    """Check the password and remember in `session` that it was entered; return the expiry.

    Raise what check_restricted_password raises.
    """
    org_id = int(getattr(org, "pk", org))
    check_restricted_password(org=org_id, user=user, password=password)
    until = time.time() + elevation_seconds()
    grants = dict(session.get(SESSION_KEY) or {})
    grants[str(org_id)] = until
    session[SESSION_KEY] = grants
    return until


def elevation_expires(session: Any, *, org: Any) -> float | None:
    """Return when the session's elevation for `org` ends (epoch seconds), None if not elevated."""
    org_id = int(getattr(org, "pk", org))
    until = (session.get(SESSION_KEY) or {}).get(str(org_id))
    if until is None or float(until) <= time.time():
        return None
    return float(until)


def is_elevated(session: Any, *, org: Any) -> bool:
    return elevation_expires(session, org=org) is not None


def drop_elevation(session: Any, *, org: Any) -> None:
    org_id = int(getattr(org, "pk", org))
    grants = dict(session.get(SESSION_KEY) or {})
    if grants.pop(str(org_id), None) is not None:
        session[SESSION_KEY] = grants


# --- the blind index -------------------------------------------------------------------


def phone_index_token(org_id: int, phone: str) -> str:
    """Return the HMAC-SHA256 of a phone's normalised digits (key derived from SECRET_KEY).

    The organisation is part of the message, so equal numbers in two organisations give
    different tokens.
    """
    digits = phone_digits(phone)
    return salted_hmac(_HMAC_SALT, f"{org_id}:{digits}", algorithm="sha256").hexdigest()


def phone_index(org_id: int, phones: list[str]) -> str:
    tokens = [phone_index_token(org_id, p) for p in phones if phone_digits(p)]
    return " ".join(dict.fromkeys(tokens))


def restricted_parties_with_phone(org: Any, phone: str) -> QuerySet[Party]:
    """Return the restricted parties holding `phone` (any format) in a phone field.

    For exact-phone lookups and duplicate detection: the plain columns of a restricted
    party are blank, so a search on them cannot find it.
    """
    org_id = int(getattr(org, "pk", org))
    with org_scope(org_id):
        if not phone_digits(phone):
            return Party.objects.none()
        token = phone_index_token(org_id, phone)
        return Party.objects.filter(
            Q(restricted_phone_index=token)
            | Q(restricted_phone_index__startswith=f"{token} ")
            | Q(restricted_phone_index__endswith=f" {token}")
            | Q(restricted_phone_index__contains=f" {token} "),
            is_restricted=True,
        )


# --- restricting and revealing -----------------------------------------------------------


def _payload(party: Party) -> dict[str, str]:
    if not party.restricted_payload:
        return {}
    try:
        data = json.loads(party.restricted_payload)
    except ValueError:
        return {}
    return {k: str(v) for k, v in data.items() if k in SENSITIVE_FIELDS}


def _seal(party: Party, values: dict[str, str]) -> None:
    """Put `values` into the encrypted payload and the blind index; blank the columns."""
    clean = {f: values.get(f, "") or "" for f in SENSITIVE_FIELDS}
    party.restricted_payload = json.dumps(clean, ensure_ascii=False)
    party.restricted_phone_index = phone_index(party.org_id, [clean[f] for f in PHONE_FIELDS])
    for field in SENSITIVE_FIELDS:
        setattr(party, field, "")


def _scrub_history(party: Party) -> None:
    """Blank the sensitive fields (and the search text made from them) in earlier versions.

    Otherwise the audit trail would keep a plain copy of what the payload encrypts.
    """
    party.history.filter(id=party.pk).update(  # type: ignore[attr-defined]
        search_text="", **dict.fromkeys(SENSITIVE_FIELDS, "")
    )


@transaction.atomic
def restrict_party(*, party: Party, actor: Any, expected_version: int) -> Party:
    """Encrypt the customer's sensitive fields and blank their plain columns (B7).

    Raise RestrictedPasswordMissing when the organisation has no password yet (nobody
    could ever see the fields again), StaleEdit.
    """
    if not has_restricted_password(party.org_id):
        raise RestrictedPasswordMissing()
    with org_scope(party.org_id):
        if party.is_restricted:
            return party
        _seal(party, {f: getattr(party, f) or "" for f in SENSITIVE_FIELDS})
        party.is_restricted = True
        refresh_derived_fields(party)
        save_versioned(party, expected_version=expected_version)
        _scrub_history(party)
        return party


@transaction.atomic
def unrestrict_party(*, party: Party, actor: Any, expected_version: int) -> Party:
    """Put a restricted customer's fields back into the plain columns. Raise StaleEdit.

    The caller has checked the elevation; the reveal is recorded.
    """
    with org_scope(party.org_id):
        if not party.is_restricted:
            return party
        values = _payload(party)
        for field in SENSITIVE_FIELDS:
            setattr(party, field, values.get(field, ""))
        party.restricted_payload = None
        party.restricted_phone_index = ""
        party.is_restricted = False
        refresh_derived_fields(party)
        save_versioned(party, expected_version=expected_version)
        RestrictedReveal.objects.create(
            org_id=party.org_id,
            party=party,
            user=actor if getattr(actor, "pk", None) else None,
            purpose=RestrictedReveal.Purpose.UNRESTRICT,
        )
        return party


@transaction.atomic
def reveal_restricted(
    *, party: Party, actor: Any, purpose: str = RestrictedReveal.Purpose.VIEW
) -> dict[str, str]:
    """Return the decrypted sensitive fields of a restricted customer and log the reveal.

    The caller has checked the elevation. A party that is not restricted reveals nothing.
    """
    if not party.is_restricted:
        return {}
    with org_scope(party.org_id):
        RestrictedReveal.objects.create(
            org_id=party.org_id,
            party=party,
            user=actor if getattr(actor, "pk", None) else None,
            purpose=purpose,
        )
    values = _payload(party)
    return {f: values.get(f, "") for f in SENSITIVE_FIELDS}


@transaction.atomic
def update_restricted_party(
    *,
    party: Party,
    actor: Any,
    data: dict[str, Any],
    sensitive: dict[str, str],
    expected_version: int,
    tags: Any = None,
) -> Party:
    """Change a restricted customer, re-encrypting the sensitive fields in `sensitive`.

    Sensitive values are validated like the plain columns (phones, e-mail, WeChat) but
    never written to them, nor to the history. Raise ValidationError, StaleEdit.
    """
    unknown = set(sensitive) - set(SENSITIVE_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    plain = {k: v for k, v in data.items() if k not in SENSITIVE_FIELDS}
    with org_scope(party.org_id):
        if sensitive:
            # Validate the new values on a throw-away copy so they never reach a column.
            probe = copy.copy(party)
            _apply(probe, {**plain, **sensitive}, PARTY_FIELDS)
            refresh_derived_fields(probe)
            validate_party(probe)
            values = {**_payload(party), **{f: getattr(probe, f) or "" for f in sensitive}}
            _seal(party, values)
        return update_party(
            party=party, actor=actor, data=plain, expected_version=expected_version, tags=tags
        )


def reveals_of(party: Party, *, limit: int = 100) -> list[RestrictedReveal]:
    with org_scope(party.org_id):
        return list(RestrictedReveal.objects.filter(party=party).select_related("user")[:limit])
