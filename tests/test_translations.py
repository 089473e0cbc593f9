"""The zh-Hans catalogue is complete and keeps every placeholder; Chinese pages render.

Whether the catalogue is up to date with the code is checked by `make makemessages`
(it needs GNU gettext's xgettext), not here.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import polib
import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
ZH_PO = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
EN_PO = ROOT / "locale/en/LC_MESSAGES/django.po"


def _checker():
    spec = importlib.util.spec_from_file_location(
        "check_messages", ROOT / "scripts/check_messages.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_messages = _checker()


@pytest.fixture(scope="module")
def zh_po():
    return polib.pofile(str(ZH_PO))


def test_zh_hans_catalogue_has_one_plural_form(zh_po):
    assert zh_po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert zh_po.metadata["Language"] == "zh_Hans"
    assert not zh_po.metadata_is_fuzzy


def test_every_zh_hans_entry_is_translated(zh_po):
    untranslated = [entry.msgid for entry in zh_po.untranslated_entries()]
    assert untranslated == []


def test_no_zh_hans_entry_is_fuzzy(zh_po):
    fuzzy = [entry.msgid for entry in zh_po.fuzzy_entries()]
    assert fuzzy == []


def test_zh_hans_placeholders_match(zh_po):
    mismatched = []
    for entry in zh_po:
        if entry.obsolete:
            continue
        printf = check_messages._uses_printf(entry)
        if entry.msgid_plural:
            pairs = [(entry.msgid_plural, text) for text in entry.msgstr_plural.values()]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, text in pairs:
            want = check_messages.placeholders(source, printf=printf)
            if check_messages.placeholders(text, printf=printf) != want:
                mismatched.append((entry.msgid, text))
    assert mismatched == []


def test_zh_hans_catalogue_passes_the_checker():
    assert check_messages.check_file(ZH_PO) == []


def test_en_catalogue_header_is_valid():
    # The English msgids are the text: msgstr stays empty and Django falls back.
    assert check_messages.check_file(EN_PO, allow_untranslated=True) == []


@pytest.mark.parametrize(
    ("source", "text", "ok"),
    [
        ("%(count)d records", "%(count)d 条记录", True),
        ("%(count)d records", "%(counts)d 条记录", False),
        ("%%(count)s selected", "已选 %%(count)s 项", True),
        ("%%(count)s selected", "已选 %(count)s 项", False),
        ("%s and %d", "%d 和 %s", True),
        ("Send <code>x</code>", "发送 x", False),
    ],
)
def test_checker_compares_placeholders_and_tags(source, text, ok):
    entry = polib.POEntry(msgid=source, msgstr=text, flags=["python-format"])
    assert (check_messages.entry_problems(entry) == []) is ok


@pytest.mark.parametrize(("language", "text"), [("zh-hans", "登录"), ("en", "Sign in")])
def test_login_page_is_translated(client, db, settings, language, text):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    body = client.get(reverse("accounts:login")).content.decode()
    assert text in body
    if language == "zh-hans":
        assert "Sign in" not in body
