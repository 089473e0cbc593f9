"""Searching parties and contacts: 汉字, full pinyin, initials, phone, e-mail (B5).

Runs on the database in use: SQLite answers 3+ characters from the FTS5 trigram table,
PostgreSQL from the pg_trgm index; both must give the same rows.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django_scopes import scope

from guanxi.parties.filters import ensure_search_objects, search_parties, search_terms
from guanxi.parties.models import Contact, Party
from guanxi.parties.services import create_contact, delete_party, update_party
from tests.parties.list_helpers import make_party


def found(org, query: str) -> list[str]:
    with scope(org=org.pk):
        qs = search_parties(Party.objects.all(), query, org_id=org.pk)
        return sorted(qs.values_list("short_name", flat=True))


@pytest.fixture
def parties(org, admin_member):
    user = admin_member.user
    make_party(
        org,
        user,
        name="张伟",
        kind="person",
        mobile="138-0013-8000",
        email="Zhang.Wei@Example.com",
    )
    make_party(org, user, name="单雄信", kind="person", phone="(021) 6234-5678")
    make_party(org, user, name="上海东方明珠贸易有限公司", short_name="东方明珠", city="上海")
    make_party(org, user, name="Acme Trading", email="sales@acme.test", mobile="13912345678")
    return org


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("张伟", ["张伟"]),  # 汉字, 2 characters: the plain LIKE path
        ("张", ["张伟"]),
        ("东方明珠", ["东方明珠"]),  # 汉字, 4 characters: the trigram path
        ("zhangwei", ["张伟"]),  # full pinyin
        ("ZhangWei", ["张伟"]),  # case does not matter
        ("zw", ["张伟"]),  # initials
        ("dfmz", ["东方明珠"]),
        ("shanxiongxin", ["单雄信"]),  # surname reading of 单
        ("sxx", ["单雄信"]),
        ("dongfang", ["东方明珠"]),
        ("8000", ["张伟"]),  # phone suffix
        ("13800138000", ["张伟"]),  # the whole number
        ("138 0013 8000", ["张伟"]),  # any format
        ("138-0013-8000", ["张伟"]),
        ("+86 138 0013 8000", ["张伟"]),
        ("62345678", ["单雄信"]),  # a landline
        ("zhang.wei@example.com", ["张伟"]),  # e-mail, any case
        ("@acme", ["Acme Trading"]),
        ("acme trading", ["Acme Trading"]),  # every word must match
        ("acme 上海", []),
        ("上海 东方", ["东方明珠"]),
        ("nobody-here", []),
        ("", ["Acme Trading", "东方明珠", "单雄信", "张伟"]),
    ],
)
def test_search_finds_by_every_spelling(parties, query, expected):
    assert found(parties, query) == expected


@pytest.mark.parametrize(
    "query", ["%", "_", "*", "?", "[", "]", "a%c", "a_c", "[*]", "50%_", "'; --", "\\"]
)
def test_wildcards_and_quotes_are_matched_literally(org, admin_member, query):
    rows = [
        make_party(org, admin_member.user, name="abc plain"),
        make_party(org, admin_member.user, name="a%c 50%_off [*] shop? \\ it's"),
    ]
    # The oracle: a plain substring test on the stored search text.
    expected = sorted(
        p.short_name for p in rows if all(t in p.search_text for t in search_terms(query))
    )

    assert found(org, query) == expected


def test_search_is_kept_in_step_with_edits_and_deletions(org, admin_member):
    party = make_party(org, admin_member.user, name="旧名字有限公司")
    assert found(org, "旧名字") == ["旧名字有限公司"]

    update_party(
        party=party,
        actor=None,
        data={"name": "新名字有限公司", "short_name": ""},
        expected_version=1,
    )
    assert found(org, "旧名字") == []
    assert found(org, "新名字") == ["新名字有限公司"]
    assert found(org, "xinmingzi") == ["新名字有限公司"]

    delete_party(party=party, actor=admin_member.user)
    # Deleted rows leave the lists through the manager; the index keeps soft-deleted rows.
    assert found(org, "新名字") == []


def test_contact_names_and_phones_find_their_party(org, admin_member):
    party = make_party(org, admin_member.user, name="Globex")
    create_contact(party=party, actor=None, data={"name": "欧阳娜娜", "mobile": "13700001111"})

    assert found(org, "ouyang") == ["Globex"]
    assert found(org, "1111") == ["Globex"]


def test_other_organisations_rows_are_never_found(org, other_org, admin_member):
    make_party(other_org, None, name="张伟")

    assert found(org, "zhangwei") == []
    assert found(org, "张伟") == []


def test_search_terms_normalise_queries():
    assert search_terms("  ZhangWei  ") == ["zhangwei"]
    assert search_terms("138-0013 8000") == ["13800138000"]
    assert search_terms("(021) 6234-5678") == ["02162345678"]
    assert search_terms("a b a c d e f g") == ["a", "b", "c", "d", "e"]
    assert search_terms("x" * 300) == ["x" * 100]
    assert search_terms("") == []
    assert search_terms("---") == ["---"]  # no digit: not a phone number


def test_lost_search_objects_are_restored(org, admin_member):
    """SQLite: triggers dropped by a table rebuild come back and the FTS table is rebuilt.
    PostgreSQL: the GIN trigram index lives on its table and survives a rebuild."""
    make_party(org, admin_member.user, name="东方明珠")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # What a SQLite table rebuild (Django altering a column) leaves behind.
            for suffix in ("ai", "ad", "au"):
                cursor.execute(f"DROP TRIGGER parties_party_fts_{suffix}")
        make_party(org, admin_member.user, name="西湖龙井")
        assert found(org, "西湖龙") == []

        made = ensure_search_objects()

        assert sorted(made) == [f"parties_party_fts_{s}" for s in ("ad", "ai", "au")]
        assert ensure_search_objects() == []
    else:
        make_party(org, admin_member.user, name="西湖龙井")
    assert found(org, "西湖龙") == ["西湖龙井"]
    assert found(org, "东方明") == ["东方明珠"]


def test_long_queries_use_the_databases_trigram_index(org, admin_member):
    with scope(org=org.pk):
        sql = str(search_parties(Party.objects.all(), "zhangwei", org_id=org.pk).query)
        short = str(search_parties(Party.objects.all(), "zw", org_id=org.pk).query)
    if connection.vendor == "sqlite":
        assert "parties_party_fts" in sql
        assert "GLOB" in sql
        # 1–2 characters: no trigram can answer; a plain instr() over the narrow table.
        assert "instr(search_text" in short
        assert "GLOB" not in short
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname IN "
            "('party_search_trgm', 'contact_search_trgm') ORDER BY indexname"
        )
        rows = [row[0] for row in cursor.fetchall()]
    assert len(rows) == 2
    assert all("gin_trgm_ops" in row for row in rows)
    # PostgreSQL answers LIKE '%…%' from the GIN index for 3+ characters.
    assert "LIKE" in sql.upper()


def test_contacts_are_searchable_too(org, admin_member):
    from guanxi.parties.filters import search_contacts

    party = make_party(org, admin_member.user, name="Initech")
    create_contact(party=party, actor=None, data={"name": "司马懿", "email": "sima@initech.test"})
    create_contact(party=party, actor=None, data={"name": "Peter Gibbons"})

    with scope(org=org.pk):

        def names(query):
            qs = search_contacts(Contact.objects.all(), query, org_id=org.pk)
            return sorted(qs.values_list("name", flat=True))

        assert names("simayi") == ["司马懿"]
        assert names("smy") == ["司马懿"]
        assert names("sima@") == ["司马懿"]
        assert names("gibbons") == ["Peter Gibbons"]


def test_like_wildcards_in_a_query_are_taken_literally(org, admin_member):
    make_party(org, admin_member.user, name="百分百100%纯棉")
    make_party(org, admin_member.user, name="纯棉_批发")
    make_party(org, admin_member.user, name="纯棉家纺")
    assert found(org, "0%纯") == ["百分百100%纯棉"]
    assert found(org, "棉_批") == ["纯棉_批发"]


def test_ensure_search_objects_restores_the_level_name_index(db):
    """Migration 0004's index is recreated after a table rebuild dropped it."""

    def indexes() -> set[str]:
        with connection.cursor() as cursor:
            return {
                name
                for name, info in connection.introspection.get_constraints(
                    cursor, "parties_party"
                ).items()
                if info["index"]
            }

    assert "party_level_letter" in indexes()
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX party_level_letter")
    assert "party_level_letter" not in indexes()

    ensure_search_objects()

    assert "party_level_letter" in indexes()
