"""Duplicates (found in SQL) and merge: related records move, history stays, locks hold."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.urls import reverse
from django_scopes import scope

from guanxi.core.exceptions import StaleEdit
from guanxi.core.models import Attachment, Tag
from guanxi.parties.merging import (
    KIND_EMAIL,
    KIND_NAME,
    KIND_PHONE,
    MergeConflict,
    duplicate_groups,
    merge_parties,
    name_key,
    phone_key,
)
from guanxi.parties.models import (
    Party,
    PartyGroup,
    PartyGroupMember,
    PartyTag,
    PartyVisit,
    PoolEvent,
)
from guanxi.parties.selectors import visible_parties
from guanxi.parties.services import PartyLocked, create_contact, set_party_lock
from tests.parties.exchange_helpers import (  # noqa: F401 - english is a fixture
    english,
    in_english,
    party,
)

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def admin_client(admin_client):
    return in_english(admin_client)


# --- normalisation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("上海华为技术有限公司", "上海华为技术"),
        ("上海华为技术股份有限公司", "上海 华为技术"),
        ("Acme Trading Co., Ltd.", "acme trading"),
        ("ACME Trading Co.,Ltd", "Acme  Trading"),
        ("Acme Inc.", "acme"),
        ("北京（中关村）科技有限责任公司", "北京中关村科技"),
    ],
)
def test_names_normalise_alike(a, b):
    assert name_key(a) == name_key(b)


def test_words_inside_names_are_kept():
    assert name_key("Principal Ltd") == "principal"
    assert name_key("Voltdata") == "voltdata"


def test_phone_keys():
    assert phone_key("+86 138-0013-8000") == phone_key("13800138000") == "13800138000"
    assert phone_key("0086 21 6234 5678") == "2162345678"
    assert phone_key("123") == ""


# --- the duplicates page's SQL ----------------------------------------------------------------


def _groups(membership, kind):
    with scope(org=membership.org_id):
        groups, total = duplicate_groups(visible_parties(membership), kind)
    return {frozenset(p.name for p in g.parties) for g in groups}, total


def test_groups_by_phone_across_mobile_and_landline(org, admin_member):
    party(org, admin_member, name="A", mobile="138 0013 8000")
    party(org, admin_member, name="B", phone="+86 13800138000")
    party(org, admin_member, name="C", mobile="13700137000")
    party(org, admin_member, name="D", phone="021-62345678")
    party(org, admin_member, name="E", phone="02162345678")

    groups, total = _groups(admin_member, KIND_PHONE)

    assert groups == {frozenset({"A", "B"}), frozenset({"D", "E"})}
    assert total == 2


def test_groups_by_email_and_name(org, admin_member):
    party(org, admin_member, name="上海华为技术有限公司", email="Info@Huawei.cn")
    party(org, admin_member, name="上海华为技术", email="info@huawei.cn ")
    party(org, admin_member, name="北京联想", email="x@lenovo.cn")

    assert _groups(admin_member, KIND_EMAIL)[0] == {
        frozenset({"上海华为技术有限公司", "上海华为技术"})
    }
    assert _groups(admin_member, KIND_NAME)[0] == {
        frozenset({"上海华为技术有限公司", "上海华为技术"})
    }


def test_sql_and_python_names_agree(org, admin_member):
    names = [
        "Acme Trading Co., Ltd.",
        "ACME Trading",
        "Zinc",
        "Z",
        "Costco",
        "Cost",
        "北京（中关村）科技有限责任公司",
        "北京中关村科技",
        "Principal Inc.",
        "principal",
    ]
    for name in names:
        party(org, admin_member, name=name)

    groups, _total = _groups(admin_member, KIND_NAME)

    assert groups == {
        frozenset({"Acme Trading Co., Ltd.", "ACME Trading"}),
        frozenset({"北京（中关村）科技有限责任公司", "北京中关村科技"}),
        frozenset({"Principal Inc.", "principal"}),
    }
    python = {}
    for name in names:
        python.setdefault(name_key(name), set()).add(name)
    assert {frozenset(v) for v in python.values() if len(v) > 1} == groups


def test_duplicates_respect_visibility(org, admin_member, sales_member):
    party(org, sales_member, name="Mine", mobile="13800138000")
    party(org, admin_member, name="Theirs", mobile="13800138000")

    assert _groups(sales_member, KIND_PHONE) == (set(), 0)
    assert _groups(admin_member, KIND_PHONE)[1] == 1


def test_restricted_customers_group_by_phone_token(org, admin_member):
    from guanxi.parties.restricted import phone_index

    for name in ("R1", "R2"):
        made = party(org, admin_member, name=name)
        with scope(org=org.pk):
            Party.objects.filter(pk=made.pk).update(
                is_restricted=True, restricted_phone_index=phone_index(org.pk, ["13800138000"])
            )

    assert frozenset({"R1", "R2"}) in _groups(admin_member, KIND_PHONE)[0]


def test_duplicates_page(admin_client, org, admin_member):
    party(org, admin_member, name="A", mobile="13800138000")
    party(org, admin_member, name="B", mobile="13800138000")

    response = admin_client.get(reverse("parties:duplicates"))

    assert response.status_code == 200
    assert response.context["total"] == 1
    assert response.content.decode().count('data-testid="duplicate-member"') == 2
    assert response.content.decode().count('data-testid="merge-link"') == 1


def test_duplicates_page_query_count_stays_flat(
    admin_client, org, admin_member, django_assert_max_num_queries
):
    for i in range(12):
        party(org, admin_member, name=f"A{i}", mobile=f"1380013{i:04d}")
        party(org, admin_member, name=f"B{i}", mobile=f"1380013{i:04d}")
    with django_assert_max_num_queries(14):
        response = admin_client.get(reverse("parties:duplicates"))
    assert response.context["total"] == 12


# --- merging ------------------------------------------------------------------------------------


@pytest.fixture
def pair(org, admin_member):
    keep = party(org, admin_member, name="上海华为技术有限公司", mobile="13800138000", city="")
    duplicate = party(
        org,
        admin_member,
        name="上海华为技术",
        email="info@huawei.cn",
        city="上海",
        is_supplier=True,
    )
    return keep, duplicate


def test_merge_moves_contacts_tags_groups_visits_events_attachments_and_keeps_history(
    org, admin_member, pair
):
    # given
    keep, duplicate = pair
    user = admin_member.user
    contact = create_contact(party=duplicate, actor=user, data={"name": "张伟"})
    with scope(org=org.pk):
        shared, own = (
            Tag.objects.create(org=org, name="共有"),
            Tag.objects.create(org=org, name="独有"),
        )
        PartyTag.objects.create(org=org, party=keep, tag=shared)
        PartyTag.objects.create(org=org, party=duplicate, tag=shared)
        PartyTag.objects.create(org=org, party=duplicate, tag=own)
        group = PartyGroup.objects.create(org=org, name="展会")
        PartyGroupMember.objects.create(org=org, group=group, party=keep)
        PartyGroupMember.objects.create(org=org, group=group, party=duplicate)
        PartyVisit.objects.create(org=org, user=user, party=keep, visits=2)
        PartyVisit.objects.create(org=org, user=user, party=duplicate, visits=3, pinned=True)
        PoolEvent.objects.create(
            org=org, party=duplicate, kind=PoolEvent.Kind.CLAIMED, to_user=user
        )
        attachment = Attachment.objects.create(
            org=org,
            content_type=ContentType.objects.get_for_model(Party),
            object_id=duplicate.pk,
            file=ContentFile(b"x", name="a.txt"),
            original_name="a.txt",
            size=1,
            mime_type="text/plain",
        )
        keep_versions = keep.history.count()

    # when
    survivor = merge_parties(keep=keep, duplicate=duplicate, actor=user)

    # then
    with scope(org=org.pk):
        contact.refresh_from_db()
        attachment.refresh_from_db()
        duplicate = Party.all_objects.get(pk=duplicate.pk)
        assert contact.party_id == keep.pk
        assert sorted(PartyTag.objects.filter(party=keep).values_list("tag__name", flat=True)) == [
            "共有",
            "独有",
        ]
        assert PartyGroupMember.objects.filter(party=keep).count() == 1
        visit = PartyVisit.objects.get(party=keep)
        assert (visit.visits, visit.pinned) == (5, True)
        assert PoolEvent.objects.get().party_id == keep.pk
        assert attachment.object_id == keep.pk
        assert duplicate.is_deleted is True
        assert survivor.city == "上海"  # the survivor's empty field takes the duplicate's
        assert survivor.email == "info@huawei.cn"
        assert survivor.name == "上海华为技术有限公司"
        assert survivor.is_supplier is True
        assert "zhangwei" in Party.objects.get(pk=keep.pk).search_text
        assert keep.history.count() == keep_versions + 1
        assert "Merged" in keep.history.first().history_change_reason
        assert duplicate.history.count() >= 2  # its versions stay, plus the deletion
        assert contact.history.first().history_change_reason.startswith("Merged")


def test_field_choices_pick_the_duplicates_values(org, admin_member, pair):
    keep, duplicate = pair

    survivor = merge_parties(
        keep=keep, duplicate=duplicate, actor=admin_member.user, field_choices={"name": "duplicate"}
    )

    assert survivor.name == "上海华为技术"
    assert survivor.short_name == "上海华为技术有限公司"  # the survivor's, by default


def test_a_locked_customer_cannot_be_merged_away_and_nothing_changes(org, admin_member, pair):
    # given
    keep, duplicate = pair
    create_contact(party=duplicate, actor=admin_member.user, data={"name": "张伟"})
    duplicate = set_party_lock(party=duplicate, actor=admin_member.user, locked=True)

    # when / then
    with pytest.raises(PartyLocked, match="locked"):
        merge_parties(keep=keep, duplicate=duplicate, actor=admin_member.user)
    with scope(org=org.pk):
        duplicate.refresh_from_db()
        assert duplicate.is_deleted is False
        assert keep.contacts.exists() is False
        assert Party.objects.get(pk=keep.pk).city == ""


def test_a_locked_survivor_may_absorb_a_duplicate(org, admin_member, pair):
    keep, duplicate = pair
    keep = set_party_lock(party=keep, actor=admin_member.user, locked=True)

    survivor = merge_parties(keep=keep, duplicate=duplicate, actor=admin_member.user)

    assert survivor.is_locked is True


def test_stale_versions_are_refused(org, admin_member, pair):
    keep, duplicate = pair
    keep.version -= 1 if keep.version > 1 else -5

    with pytest.raises(StaleEdit):
        merge_parties(keep=keep, duplicate=duplicate, actor=admin_member.user)


@pytest.mark.parametrize("case", ["self", "deleted", "restricted", "bad-choice"])
def test_refused_merges(org, admin_member, pair, case):
    keep, duplicate = pair
    kwargs = {}
    if case == "self":
        duplicate = keep
    elif case == "deleted":
        with scope(org=org.pk):
            Party.objects.filter(pk=duplicate.pk).update(deleted_at="2026-01-01T00:00:00Z")
    elif case == "restricted":
        with scope(org=org.pk):
            Party.objects.filter(pk=duplicate.pk).update(is_restricted=True)
    else:
        kwargs["field_choices"] = {"name": "both"}

    with pytest.raises(MergeConflict):
        merge_parties(keep=keep, duplicate=duplicate, actor=admin_member.user, **kwargs)


def test_codes_do_not_clash(org, admin_member):
    keep = party(org, admin_member, name="A", code="")
    duplicate = party(org, admin_member, name="A 有限公司", code="C-9")

    survivor = merge_parties(keep=keep, duplicate=duplicate, actor=admin_member.user)

    assert survivor.code == "C-9"


def test_activities_move_to_the_survivor(org, admin_member, pair):
    from guanxi.activities.models import Activity

    keep, duplicate = pair
    with scope(org=org.pk):
        activity = Activity.objects.create(
            org=org,
            kind=Activity.Kind.NOTE,
            subject="电话",
            party=duplicate,
            owner=admin_member.user,
        )

    merge_parties(keep=keep, duplicate=duplicate, actor=admin_member.user)

    with scope(org=org.pk):
        activity.refresh_from_db()
    assert activity.party_id == keep.pk


# --- the merge page ---------------------------------------------------------------------------------


def test_merge_page_shows_differences_and_merges(admin_client, org, pair):
    keep, duplicate = pair
    url = reverse("parties:merge")

    response = admin_client.get(url, {"keep": keep.pk, "duplicate": duplicate.pk})
    assert response.status_code == 200
    fields = {row["name"]: row["choice"] for row in response.context["form"].preview}
    assert fields["city"] == "duplicate"
    assert fields["name"] == "keep"

    response = admin_client.post(
        url,
        {
            "keep": keep.pk,
            "duplicate": duplicate.pk,
            "keep_version": keep.version,
            "duplicate_version": duplicate.version,
            "field_name": "duplicate",
            "field_city": "keep",
            "field_email": "duplicate",
            "field_mobile": "keep",
        },
    )
    assert response.status_code == 302
    with scope(org=org.pk):
        keep.refresh_from_db()
        assert keep.name == "上海华为技术"
        assert keep.city == ""
        assert Party.objects.filter(pk=duplicate.pk).exists() is False


def test_merge_page_reports_a_lock(admin_client, org, admin_member, pair):
    keep, duplicate = pair
    duplicate = set_party_lock(party=duplicate, actor=admin_member.user, locked=True)

    response = admin_client.post(
        reverse("parties:merge"),
        {
            "keep": keep.pk,
            "duplicate": duplicate.pk,
            "keep_version": keep.version,
            "duplicate_version": duplicate.version,
        },
    )

    assert response.status_code == 200
    assert "is locked" in response.content.decode()
    with scope(org=org.pk):
        assert Party.objects.filter(pk=duplicate.pk).exists() is True


def test_merge_page_hides_invisible_records(sales_client, org, admin_member, sales_member):
    mine = party(org, sales_member, name="Mine")
    theirs = party(org, admin_member, name="Theirs")
    response = sales_client.get(reverse("parties:merge"), {"keep": mine.pk, "duplicate": theirs.pk})
    assert response.status_code == 404


def test_merge_needs_change_and_delete(client, org, admin_member, pair):
    from tests.conftest import login
    from tests.factories import make_member

    login(client, make_member(org, "readonly", username="reader"))
    keep, duplicate = pair
    response = client.get(reverse("parties:merge"), {"keep": keep.pk, "duplicate": duplicate.pk})
    assert response.status_code == 403
