"""Check gettext catalogues: every entry translated, none fuzzy, placeholders kept.

    python scripts/check_messages.py [--allow-untranslated] FILE.po ...

With no file, checks locale/zh_Hans/LC_MESSAGES/django.po. For each catalogue it
reports untranslated and fuzzy entries (unless --allow-untranslated, as for the
English catalogue whose msgids are the text), and for every translated entry any
difference between msgid and msgstr in

- printf placeholders (``%(name)s``, ``%s``, ``%d``, and the escaped ``%%``),
- str.format placeholders (``{name}``, ``{0}``),
- HTML tags (``<code>``, ``</a>`` …; attributes are ignored).

A plural entry's every msgstr[n] is compared with msgid_plural (the singular msgid
may leave the count out, as in "one record"; Chinese has one form serving every n).
Exit status 1 when a problem was found. The test suite calls check_file().
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import polib

DEFAULT_PO = Path(__file__).resolve().parent.parent / "locale/zh_Hans/LC_MESSAGES/django.po"

# %% first, so "%%(count)s" (a template's escaped literal) is the token "%%" and not a
# named placeholder.
PRINTF = re.compile(
    r"%%|%\([^)]*\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
)
BRACES = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|\{\d*\}")
TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)\b[^>]*?/?>")


def placeholders(text: str, *, printf: bool = True) -> Counter[str]:
    """The placeholders of one message, as a multiset (their order may change)."""
    found: Counter[str] = Counter()
    if printf:
        found.update(PRINTF.findall(text))
    found.update(BRACES.findall(text))
    return found


def tags(text: str) -> Counter[str]:
    return Counter(
        ("/" if m.group(0).startswith("</") else "") + m.group(1).lower()
        for m in TAG.finditer(text)
    )


def _uses_printf(entry: polib.POEntry) -> bool:
    # xgettext flags an entry python-format when its msgid has a placeholder; a msgid
    # with a lone "%" (e.g. "100%") and no flag is plain text.
    return "python-format" in entry.flags or bool(PRINTF.search(entry.msgid))


def _pairs(entry: polib.POEntry) -> list[tuple[str, str, str]]:
    """(label, source, translation) for each msgstr of the entry that is filled in."""
    if entry.msgid_plural:
        return [
            (f"msgstr[{index}]", entry.msgid_plural, text)
            for index, text in sorted(entry.msgstr_plural.items())
            if text
        ]
    return [("msgstr", entry.msgid, entry.msgstr)] if entry.msgstr else []


def entry_problems(entry: polib.POEntry) -> list[str]:
    """What is wrong with the placeholders or tags of one translated entry."""
    problems = []
    printf = _uses_printf(entry)
    for label, source, text in _pairs(entry):
        want, got = placeholders(source, printf=printf), placeholders(text, printf=printf)
        if want != got:
            problems.append(
                f"{label} placeholders {sorted(got.elements())} != msgid {sorted(want.elements())}"
            )
        want_tags, got_tags = tags(source), tags(text)
        if want_tags != got_tags:
            problems.append(
                f"{label} HTML tags {sorted(got_tags.elements())} "
                f"!= msgid {sorted(want_tags.elements())}"
            )
    return problems


def is_untranslated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return not entry.msgstr_plural or not all(entry.msgstr_plural.values())
    return not entry.msgstr


def check_file(path: str | Path, *, allow_untranslated: bool = False) -> list[str]:
    """All the problems of one catalogue, one line each; empty when it is fine."""
    po = polib.pofile(str(path))
    problems = []
    if po.metadata_is_fuzzy:
        problems.append(f"{path}: the header is marked fuzzy")
    for key in ("Content-Type", "Plural-Forms", "Language"):
        if not po.metadata.get(key):
            problems.append(f"{path}: the header has no {key}")
    for entry in po:
        if entry.obsolete:
            continue
        where = f"{path}: msgid {entry.msgid!r}"
        if "fuzzy" in entry.flags:
            problems.append(f"{where}: fuzzy")
        if not allow_untranslated and is_untranslated(entry):
            problems.append(f"{where}: untranslated")
        problems.extend(f"{where}: {problem}" for problem in entry_problems(entry))
    return problems


def main(argv: list[str]) -> int:
    allow_untranslated = "--allow-untranslated" in argv
    paths = [arg for arg in argv if not arg.startswith("--")] or [str(DEFAULT_PO)]
    problems = []
    for path in paths:
        po = polib.pofile(path)
        found = check_file(path, allow_untranslated=allow_untranslated)
        problems.extend(found)
        print(
            f"{path}: {len([e for e in po if not e.obsolete])} entries, "
            f"{len(po.untranslated_entries())} untranslated, {len(po.fuzzy_entries())} fuzzy, "
            f"{len(found)} problem(s)"
        )
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
