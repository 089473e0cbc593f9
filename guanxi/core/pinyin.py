"""Pinyin for finding Chinese names by 汉字, full pinyin or initials (B5).

`search_text()` builds the precomputed, lower-case text a record is searched by: the
original words, the full pinyin of every reading of every character (so 单 matches both
"dan" and "shan"), the initials, phone digits and e-mail addresses. `index_letter()`
gives the A–Z surname index letter of a name.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin, pinyin

# Characters read differently as surnames than as ordinary words.
SURNAME_READINGS: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "查": "zha",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "盖": "ge",
    "覃": "qin",
    "缪": "miao",
    "翟": "zhai",
    "尉": "yu",
    "乐": "yue",
    "召": "shao",
    "种": "chong",
    "秘": "bi",
    "繁": "po",
    "长": "chang",
    "任": "ren",
    "华": "hua",
    "冼": "xian",
    "车": "che",
    "沈": "shen",
    "纪": "ji",
    "薄": "bo",
    "万": "wan",
    "莫": "mo",
    "黑": "he",
    "阚": "kan",
    "员": "yun",
}

_HAN = re.compile(r"[\u3400-\u9fff]")
_NON_DIGIT = re.compile(r"\D+")
# Cap on reading combinations per word so a long name with many heteronyms stays small.
_MAX_COMBINATIONS = 8


def has_han(text: str) -> bool:
    return bool(_HAN.search(text or ""))


def full_pinyin(text: str, *, surname: bool = False) -> str:
    """Return the most likely full pinyin of `text` without spaces, e.g. 张伟 → zhangwei."""
    if not text:
        return ""
    syllables = lazy_pinyin(text, errors="default")
    if surname and text[0] in SURNAME_READINGS:
        syllables[0] = SURNAME_READINGS[text[0]]
    return "".join(syllables).lower()


def initials(text: str, *, surname: bool = False) -> str:
    """Return the pinyin initials of `text`, e.g. 张伟 → zw (latin words keep their first letter)."""
    if not text:
        return ""
    letters = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    if surname and text[0] in SURNAME_READINGS:
        letters[0] = SURNAME_READINGS[text[0]][0]
    return "".join(part[:1] for part in letters).lower()


def reading_variants(text: str) -> list[str]:
    """Return full-pinyin spellings covering every reading of each character (bounded)."""
    if not has_han(text):
        return []
    per_char = [
        [r.lower() for r in readings]
        for readings in pinyin(text, style=Style.NORMAL, heteronym=True, errors="default")
    ]
    variants = []
    for combo in itertools.islice(itertools.product(*per_char), _MAX_COMBINATIONS):
        variants.append("".join(combo))
    return variants


def index_letter(name: str, *, surname: bool = True) -> str:
    """Return the A–Z index letter of `name` (its first character's pinyin), or '#'."""
    name = (name or "").strip()
    if not name:
        return "#"
    first = name[0]
    if first in SURNAME_READINGS and surname:
        letter = SURNAME_READINGS[first][0]
    elif has_han(first):
        letter = lazy_pinyin(first, style=Style.FIRST_LETTER)[0][:1]
    else:
        letter = first
    letter = letter.upper()
    return letter if "A" <= letter <= "Z" else "#"


def phone_digits(value: str) -> str:
    """Return only the digits of a phone number, without a leading +86/0086."""
    digits = _NON_DIGIT.sub("", value or "")
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def search_text(
    *,
    names: Iterable[str] = (),
    person_names: Iterable[str] = (),
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    extra: Iterable[str] = (),
) -> str:
    """Build the lower-case text a record is found by.

    `person_names` get surname readings; `names` (companies, short names) do not.
    """
    parts: list[str] = []
    for value, is_person in [*((n, False) for n in names), *((n, True) for n in person_names)]:
        value = (value or "").strip()
        if not value:
            continue
        parts.append(value.lower())
        if has_han(value):
            parts.append(full_pinyin(value, surname=is_person))
            parts.append(initials(value, surname=is_person))
            parts.extend(reading_variants(value))
    for phone in phones:
        digits = phone_digits(phone)
        if digits:
            parts.append(digits)
    for email in emails:
        if email:
            parts.append(email.strip().lower())
    for value in extra:
        if value:
            parts.append(str(value).strip().lower())
    # Keep order, drop repeats; one space between parts (trigram search ignores it).
    return " ".join(dict.fromkeys(p for p in parts if p))
