"""Tags: the settings page with usage counts, add, rename, colour and delete."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from guanxi.core.exceptions import StaleEdit
from guanxi.core.models import Tag
from guanxi.core.tags import InvalidTag, delete_tag, save_tag, tags_with_usage
from guanxi.parties.models import PartyTag
from guanxi.parties.services import create_party, delete_party
from tests.accounts.settings_helpers import errors_of
from tests.core.fields_helpers import exists, fresh, make_tag, tag_names

LIST = reverse("core:tag_list")
CREATE = reverse("core:tag_create")
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def admin_client(admin_client):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return admin_client


def party_with(org, actor, name, tags):
    return create_party(org=org, actor=actor, data={"name": name}, tags=tags)


def usage(org) -> dict[str, int]:
    with scope(org=org.pk):
        return {t.name: t.usage for t in tags_with_usage()}


# --- the list ----------------------------------------------------------------------------


def test_list_shows_each_tag_with_how_many_live_records_carry_it(admin_client, org, admin_member):
    vip, cold = make_tag(org, "VIP", "red"), make_tag(org, "冷淡", "azure")
    make_tag(org, "Unused")
    party_with(org, admin_member.user, "甲公司", [vip, cold])
    party_with(org, admin_member.user, "乙公司", [vip])
    gone = party_with(org, admin_member.user, "丙公司", [vip])
    delete_party(party=gone, actor=admin_member.user)

    response = admin_client.get(LIST)

    html = response.content.decode()
    rows = {t.name: t.usage for t in response.context["page"]}
    assert rows == {"VIP": 2, "冷淡": 1, "Unused": 0}
    assert "bg-red-lt" in html
    assert "bg-azure-lt" in html


def test_list_query_count_stays_flat(admin_client, org, admin_member, django_assert_num_queries):
    tag = make_tag(org, "T0")
    party_with(org, admin_member.user, "甲", [tag])
    with CaptureQueriesContext(connection) as few:
        admin_client.get(LIST)
    for n in range(1, 25):
        more = make_tag(org, f"T{n}")
        party_with(org, admin_member.user, f"P{n}", [more, tag])

    with django_assert_num_queries(len(few)):
        response = admin_client.get(LIST)

    assert len(response.context["page"].object_list) == 25


def test_search_narrows_the_list_and_answers_htmx_with_rows(admin_client, org):
    make_tag(org, "VIP 客户")
    make_tag(org, "经销商")

    response = admin_client.get(LIST, {"q": "vip"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="tag-rows"')
    assert "VIP 客户" in html
    assert "经销商" not in html


# --- add, rename, colour -----------------------------------------------------------------


def test_admin_adds_a_tag_from_the_list(admin_client, org):
    response = admin_client.post(CREATE, {"name": "  重点   客户 ", "color": "green"})

    assert response.status_code == 302
    with scopes_disabled():
        tag = Tag.objects.get(org=org, name="重点 客户")
    assert tag.color == "green"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "color": "blue"}, "name"),
        ({"name": "n" * 41, "color": "blue"}, "name"),
        ({"name": "vip", "color": "blue"}, "name"),
        ({"name": "New", "color": "chartreuse"}, "color"),
    ],
)
def test_bad_tag_is_a_field_error_and_saves_nothing(admin_client, org, data, field):
    make_tag(org, "VIP")

    response = admin_client.post(CREATE, data)

    assert response.status_code == 200
    assert errors_of(response, field) != []
    assert tag_names(org) == ["VIP"]


def test_admin_renames_and_recolours_a_tag(admin_client, org):
    tag = make_tag(org, "VIP")

    response = admin_client.post(
        reverse("core:tag_edit", args=[tag.pk]), {"name": "大客户", "color": "orange", "version": 1}
    )

    assert response.status_code == 302
    after = fresh(tag)
    assert (after.name, after.color, after.version) == ("大客户", "orange", 2)


def test_renaming_to_another_tags_name_is_refused(admin_client, org):
    make_tag(org, "VIP")
    other = make_tag(org, "Other")

    response = admin_client.post(
        reverse("core:tag_edit", args=[other.pk]), {"name": "VIP", "color": "blue", "version": 1}
    )

    assert errors_of(response, "name") != []
    assert fresh(other).name == "Other"


def test_stale_tag_edit_is_refused_and_changes_nothing(admin_client, org):
    tag = make_tag(org, "VIP")
    url = reverse("core:tag_edit", args=[tag.pk])
    assert admin_client.post(url, {"name": "A", "color": "blue", "version": 1}).status_code == 302

    response = admin_client.post(url, {"name": "B", "color": "red", "version": 1})

    assert "Someone else changed this record" in response.content.decode()
    assert (fresh(tag).name, fresh(tag).color) == ("A", "blue")


def test_tag_names_are_escaped(admin_client, org):
    tag = make_tag(org, XSS)

    pages = [
        admin_client.get(LIST),
        admin_client.get(reverse("core:tag_edit", args=[tag.pk])),
        admin_client.get(reverse("core:tag_delete", args=[tag.pk])),
    ]

    for response in pages:
        assert XSS not in response.content.decode()
        assert "&lt;img src=x" in response.content.decode()


# --- delete ------------------------------------------------------------------------------


def test_delete_asks_first_then_takes_the_tag_off_every_record(admin_client, org, admin_member):
    vip, keep = make_tag(org, "VIP"), make_tag(org, "Keep")
    party = party_with(org, admin_member.user, "甲公司", [vip, keep])
    url = reverse("core:tag_delete", args=[vip.pk])

    question = admin_client.get(url).content.decode()
    response = admin_client.post(url, follow=True)

    assert "taken off the 1 record" in question
    assert exists(vip) is False
    assert "taken off 1 record" in response.content.decode()
    with scopes_disabled():
        assert list(PartyTag.objects.filter(party=party).values_list("tag__name", flat=True)) == [
            "Keep"
        ]


def test_sales_member_may_not_touch_tags(sales_client, org):
    tag = make_tag(org, "VIP")

    responses = [
        sales_client.get(LIST),
        sales_client.post(CREATE, {"name": "New", "color": "blue"}),
        sales_client.post(
            reverse("core:tag_edit", args=[tag.pk]), {"name": "X", "color": "blue", "version": 1}
        ),
        sales_client.post(reverse("core:tag_delete", args=[tag.pk])),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert tag_names(org) == ["VIP"]


def test_another_organisations_tag_is_404(admin_client, other_org):
    theirs = make_tag(other_org, "Theirs")

    for url in (
        reverse("core:tag_edit", args=[theirs.pk]),
        reverse("core:tag_delete", args=[theirs.pk]),
    ):
        assert admin_client.get(url).status_code == 404
        assert (
            admin_client.post(url, {"name": "Mine", "color": "blue", "version": 1}).status_code
            == 404
        )

    assert tag_names(other_org) == ["Theirs"]


# --- services ----------------------------------------------------------------------------


def test_names_are_unique_whatever_their_case(org):
    make_tag(org, "Vip")

    with pytest.raises(InvalidTag) as refused:
        save_tag(org=org, actor=None, tag=None, name="VIP", color="blue")

    assert refused.value.field == "name"

    assert tag_names(org) == ["Vip"]


def test_same_name_in_another_organisation_is_fine(org, other_org):
    make_tag(org, "VIP")

    make_tag(other_org, "VIP")

    assert tag_names(other_org) == ["VIP"]


def test_stale_save_raises_and_keeps_the_stored_tag(org):
    tag = make_tag(org, "VIP")
    save_tag(org=org, actor=None, tag=fresh(tag), name="A", color="blue", expected_version=1)

    with pytest.raises(StaleEdit):
        save_tag(org=org, actor=None, tag=fresh(tag), name="B", color="blue", expected_version=1)

    assert fresh(tag).name == "A"


def test_delete_returns_how_many_records_carried_it(org, admin_member):
    tag = make_tag(org, "VIP")
    party_with(org, admin_member.user, "甲", [tag])
    party_with(org, admin_member.user, "乙", [tag])

    assert delete_tag(tag=tag, actor=None) == 2
    assert usage(org) == {}
