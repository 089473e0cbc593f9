"""Validation of Chinese phone numbers, WeChat IDs and the like, with clear messages."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WECHAT = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{5,19}$")
_MOBILE_CN = re.compile(r"^1[3-9]\d{9}$")


def validate_phone(value: str) -> None:
    """Accept Chinese mobiles (138 0013 8000), landlines with area code (021-6234 5678,
    extension allowed) and international numbers with a + prefix."""
    if not value:
        return
    raw = value.strip()
    main = re.split(r"转|ext\.?|x|#", raw, maxsplit=1)[0]  # an extension is not validated
    try:
        number = phonenumbers.parse(main, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("“%(value)s” is not a phone number."), code="invalid_phone", params={"value": value}
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "“%(value)s” is not a valid phone number: a mobile has 11 digits starting with 1, "
                "a landline needs its area code (e.g. 021-62345678)."
            ),
            code="invalid_phone",
            params={"value": value},
        )


def validate_mobile(value: str) -> None:
    if not value:
        return
    validate_phone(value)
    digits = re.sub(r"\D", "", value)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    chinese = not value.strip().startswith("+") or value.strip().startswith("+86")
    if chinese and not _MOBILE_CN.match(digits):
        raise ValidationError(
            _("A Chinese mobile number has 11 digits and starts with 13–19."),
            code="invalid_mobile",
        )


def validate_wechat(value: str) -> None:
    """A WeChat ID: 6–20 letters, digits, _ or -, starting with a letter; or a mobile number."""
    if not value:
        return
    if _WECHAT.match(value) or _MOBILE_CN.match(value):
        return
    raise ValidationError(
        _("A WeChat ID has 6–20 letters, digits, “_” or “-” and starts with a letter."),
        code="invalid_wechat",
    )
