"""The demo organisation's customers (guanxi/parties/demo.py).

Seeding takes a few seconds, so the module seeds once (twice, to prove idempotency) in a
module-scoped transaction that is rolled back at the end; the tests only read.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter

import phonenumbers
import pytest
from django.core.management import call_command
from django.db import transaction
from django_scopes import scope, scopes_disabled
from lunar_python import LunarMonth

from guanxi.core.demo import DEMO_ORG_NAME
from guanxi.core.models import Organisation, Tag
from guanxi.parties.demo import SEED, demo_parties
from guanxi.parties.models import (
    Contact,
    Party,
    PartyCategory,
    PartyGroup,
    PartyGroupMember,
    PartyTag,
)
from guanxi.parties.services import validate_contact, validate_party

pytestmark = pytest.mark.django_db

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-[2-9]\d{6,7}(转\d{3})?$")


def _counts() -> dict[str, int]:
    return {
        "parties": Party.all_objects.count(),
        "customers": Party.objects.filter(is_customer=True).count(),
        "contacts": Contact.all_objects.count(),
        "categories": PartyCategory.objects.count(),
        "tags": Tag.objects.count(),
        "party_tags": PartyTag.objects.count(),
        "groups": PartyGroup.objects.count(),
        "group_members": PartyGroupMember.objects.count(),
        "history": Party.history.count() + Contact.history.count(),
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Run `seed_demo` twice; yield (org, counts after the first run, after the second,
    seconds the first run took, the second run's output)."""
    with django_db_blocker.unblock(), transaction.atomic():
        started = time.monotonic()
        call_command("seed_demo", stdout=io.StringIO())
        seconds = time.monotonic() - started
        with scopes_disabled():
            org = Organisation.objects.get(name=DEMO_ORG_NAME)
        with scope(org=org.pk):
            first = _counts()
        second_out = io.StringIO()
        call_command("seed_demo", stdout=second_out)
        with scope(org=org.pk):
            second = _counts()
        yield org, first, second, seconds, second_out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded):
    org = seeded[0]
    with scope(org=org.pk):
        yield org


def test_seeding_twice_adds_nothing(seeded):
    _org, first, second, _seconds, output = seeded
    assert first == second
    assert "already there" in output


def test_counts(demo, seeded):
    counts = seeded[1]
    assert 280 <= counts["customers"] <= 320
    customers = Party.objects.filter(is_customer=True)
    persons = customers.filter(kind=Party.Kind.PERSON).count()
    assert 0.15 <= persons / counts["customers"] <= 0.25
    assert 550 <= Contact.objects.filter(party__is_customer=True).count() <= 650
    assert 18 <= Party.objects.filter(is_supplier=True).count() <= 22
    assert Party.objects.filter(is_supplier=True, is_customer=True).count() == 1
    assert 6 <= Party.objects.filter(is_competitor=True).count() <= 10
    assert 8 <= Party.objects.filter(is_channel=True).count() <= 12


def test_category_trees(demo):
    def names(tree: str, depth: int) -> set[str]:
        return set(
            PartyCategory.objects.filter(tree=tree, depth=depth).values_list("name", flat=True)
        )

    assert names("customer", 1) == {"华东区", "华南区", "华北区", "西南区"}
    assert {"上海", "杭州", "南京", "苏州", "广州", "深圳", "北京", "成都"} <= names("customer", 2)
    for tree in ("supplier", "competitor", "channel"):
        assert names(tree, 1)
    shanghai = PartyCategory.objects.get(tree="customer", name="上海")
    assert PartyCategory.objects.get_parent(shanghai).name == "华东区"
    # every customer is filed in a city category matching its address
    customers = Party.objects.filter(is_customer=True).select_related("category")
    assert all(p.category is not None and p.category.depth == 2 for p in customers)
    assert all(p.city.startswith(p.category.name) for p in customers)
    # each other role is filed in its own tree
    for role, field in (
        ("supplier", "supplier_category"),
        ("competitor", "competitor_category"),
        ("channel", "channel_category"),
    ):
        rows = Party.objects.filter(**{f"is_{role}": True}).select_related(field)
        assert all(getattr(p, field).tree == role for p in rows)


def test_every_record_passes_validation(demo):
    for party in Party.objects.all():
        validate_party(party)
    for contact in Contact.objects.all():
        validate_contact(contact)


def test_codes_unique_and_numbered(demo):
    codes = list(Party.all_objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))
    customer_codes = sorted(
        Party.objects.filter(code__startswith="C").values_list("code", flat=True)
    )
    assert customer_codes[0] == "C0001"
    assert all(re.fullmatch(r"C\d{4}", code) for code in customer_codes)


def test_phone_numbers_are_valid(demo):
    numbers: list[tuple[str, str]] = []
    for mobile, phone, fax in Party.objects.values_list("mobile", "phone", "fax"):
        numbers += [("mobile", mobile), ("phone", phone), ("phone", fax)]
    for mobile, phone in Contact.objects.values_list("mobile", "phone"):
        numbers += [("mobile", mobile), ("phone", phone)]
    numbers = [(kind, n) for kind, n in numbers if n]
    assert len(numbers) > 900
    for kind, number in numbers:
        if kind == "mobile":
            assert MOBILE.match(number), number
        else:
            assert LANDLINE.match(number), number
        main = number.split("转")[0]
        assert phonenumbers.is_valid_number(phonenumbers.parse(main, "CN")), number
    # companies have landlines, people have mobiles
    assert not Party.objects.filter(kind=Party.Kind.COMPANY, phone="").exists()
    assert not Party.objects.filter(kind=Party.Kind.PERSON, mobile="").exists()
    mobiles = [n for kind, n in numbers if kind == "mobile"]
    persons = Party.objects.filter(kind=Party.Kind.PERSON).count()
    # a person customer's own mobile is also on their contact; otherwise all different
    assert len(mobiles) - len(set(mobiles)) == persons


def test_demo_users_own_customers_and_some_are_in_the_pool(demo):
    owners = Counter(
        Party.objects.filter(is_customer=True).values_list("owner__username", flat=True)
    )
    for username in ("sales1", "sales2", "sales3", "manager"):
        assert owners[username] >= 30, owners
    pool = Party.objects.filter(is_customer=True, owner__isnull=True)
    assert 5 <= pool.count() <= 20
    assert not pool.filter(pool_entered_at__isnull=True).exists()
    assert not Party.objects.filter(owner__isnull=False, pool_entered_at__isnull=False).exists()


def test_classification_and_profiles(demo):
    customers = Party.objects.filter(is_customer=True)
    levels = Counter(customers.values_list("level", flat=True))
    assert 3 <= levels["key"] <= 30
    assert len(set(customers.values_list("customer_type", flat=True))) >= 4
    assert len(set(customers.values_list("source", flat=True))) >= 6
    credit = customers.filter(settlement_type=Party.Settlement.CREDIT)
    assert credit.count() >= 30
    assert not credit.filter(credit_limit__isnull=True).exists()
    assert customers.exclude(background="").exclude(decision_makers="").count() >= 50
    assert customers.exclude(wechat="").exists()
    assert 3 <= customers.filter(is_locked=True).count() <= 20
    assert customers.filter(name__endswith="有限公司").count() >= 200
    dates = customers.values_list("created_at", flat=True)
    span = max(dates) - min(dates)
    assert span.days >= 600


def test_tags_and_groups(demo):
    tagged = Counter(PartyTag.objects.values_list("tag__name", flat=True))
    for name in ("重点跟进", "老客户", "价格敏感", "展会获客"):
        assert tagged[name] >= 5, tagged
    members = Counter(PartyGroupMember.objects.values_list("group__name", flat=True))
    assert members["2026 展会客户"] >= 5
    assert members["年度 VIP"] >= 5


def test_contacts(demo):
    customers = Party.objects.filter(is_customer=True)
    per_party = Counter(
        Contact.objects.filter(party__is_customer=True).values_list("party_id", flat=True)
    )
    assert len(per_party) == customers.count()
    assert max(per_party.values()) <= 4
    primaries = Counter(Contact.objects.filter(is_primary=True).values_list("party_id", flat=True))
    assert all(primaries[p.pk] == 1 for p in customers)
    assert Contact.objects.filter(birthday_reminder=True).count() >= 50
    with_birthday = Contact.objects.exclude(birthday__isnull=True, lunar_birth_month__isnull=True)
    assert 0.35 <= with_birthday.count() / Contact.objects.count() <= 0.65
    # special surname readings are in the search text
    shan = Contact.objects.filter(name__startswith="单").first()
    assert shan is not None
    assert "shan" in shan.search_text
    assert Contact.objects.filter(name__startswith="区").exists()


def test_lunar_birthdays_are_real_dates(demo):
    lunar = Contact.objects.filter(birthday_calendar=Contact.BirthdayCalendar.LUNAR)
    assert lunar.count() >= 30
    assert lunar.filter(lunar_birth_leap=True).count() >= 2
    assert lunar.filter(lunar_birth_day=30).exists()
    assert lunar.filter(birthday_reminder=True).exists()
    for c in lunar.exclude(lunar_birth_year__isnull=True):
        month = -c.lunar_birth_month if c.lunar_birth_leap else c.lunar_birth_month
        assert c.lunar_birth_day <= LunarMonth.fromYm(c.lunar_birth_year, month).getDayCount()
    assert not lunar.filter(birthday__isnull=False).exists()


def test_generation_is_deterministic():
    first, second = demo_parties(SEED), demo_parties(SEED)
    assert [(s.code, s.data, s.contacts, s.owner) for s in first] == [
        (s.code, s.data, s.contacts, s.owner) for s in second
    ]
    assert demo_parties(SEED + 1)[0].data != first[0].data


def test_a_missing_demo_customer_is_topped_up_unchanged(demo):
    from guanxi.core.demo import DemoContext
    from guanxi.parties.demo import seed_customers

    # A customer without sales documents: those protect their customer from deletion.
    before = (
        Party.objects.filter(
            code__startswith="C",
            opportunities__isnull=True,
            quotes__isnull=True,
            orders__isnull=True,
            stock_documents__isnull=True,
            money_documents__isnull=True,
            serial_units__isnull=True,
        )
        .order_by("code")
        .first()
    )
    assert before is not None
    contacts = sorted(Contact.objects.filter(party=before).values_list("name", "mobile"))
    Party.all_objects.filter(pk=before.pk).delete()
    messages: list[str] = []
    seed_customers(DemoContext(org=demo, log=messages.append))
    after = Party.objects.get(code=before.code)
    assert (after.name, after.phone, after.mobile, after.owner_id) == (
        before.name,
        before.phone,
        before.mobile,
        before.owner_id,
    )
    assert sorted(Contact.objects.filter(party=after).values_list("name", "mobile")) == contacts
    assert messages[0].startswith("1 customers")
    assert Party.objects.filter(is_customer=True).count() == 300
