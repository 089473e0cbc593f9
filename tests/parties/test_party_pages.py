"""The customer record pages: add/edit (B1, B4, B17), the 360° page and its tabs, lock (B6)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from guanxi.core.attachments import add_attachment
from guanxi.core.categories import add_category
from guanxi.core.custom_fields import save_custom_field, save_layout
from guanxi.core.models import CustomField, Tag
from guanxi.parties.models import Party, PartyCategory, PartyVisit
from guanxi.parties.services import set_party_lock, update_party
from guanxi.parties.validators import validate_mobile, validate_wechat
from tests.conftest import login
from tests.factories import make_member
from tests.parties.record_helpers import edit_form, full_party_form, make_contact, make_party

SCRIPT = "<script>alert('x')</script>"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _tab_urls(pk: int) -> list[str]:
    return [
        reverse("parties:party_profile_tab", args=[pk]),
        reverse("parties:party_contacts_tab", args=[pk]),
        reverse("parties:party_custom_fields_tab", args=[pk]),
        reverse("parties:party_history_tab", args=[pk]),
        reverse("core:attachment_panel", args=["parties.party", pk]),
    ]


def _stored(org, pk) -> Party:
    with scope(org=org.pk):
        return Party.all_objects.get(pk=pk)


def _count(org) -> int:
    with scope(org=org.pk):
        return Party.all_objects.count()


# --- every page answers -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["", "customer", "supplier", "competitor", "channel"])
def test_new_party_page_renders_all_sections(admin_client, role):
    url = reverse("parties:party_create") + (f"?role={role}" if role else "")

    response = admin_client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    for section in ("identity", "classification", "personal", "company", "family", "other"):
        assert f'data-testid="section-{section}"' in html
    assert response.context["form"].initial["roles"] == [role or "customer"]


def test_every_record_page_of_a_party_answers(admin_client, org, admin_member):
    party = make_party(org, admin_member.user)
    contact = make_contact(party)
    urls = [
        reverse("parties:party_detail", args=[party.pk]),
        reverse("parties:party_edit", args=[party.pk]),
        reverse("parties:party_delete", args=[party.pk]),
        reverse("parties:contact_create", args=[party.pk]),
        reverse("parties:contact_detail", args=[contact.pk]),
        reverse("parties:contact_edit", args=[contact.pk]),
        reverse("parties:contact_delete", args=[contact.pk]),
        reverse("parties:contact_history_tab", args=[contact.pk]),
        reverse("parties:restricted_unlock"),
        reverse("parties:restricted_settings"),
        reverse("parties:adhoc_row"),
        *_tab_urls(party.pk),
    ]
    for url in urls:
        assert admin_client.get(url).status_code == 200, url
        assert admin_client.get(url, headers={"HX-Request": "true"}).status_code == 200, url


# --- add ------------------------------------------------------------------------------------


def test_first_customer_with_all_four_sections_is_saved(admin_client, org, admin_member):
    with scope(org=org.pk):
        tag = Tag.objects.create(org=org, name="VIP")

    response = admin_client.post(
        reverse("parties:party_create"),
        full_party_form(tags=[str(tag.pk)], owner=str(admin_member.user.pk)),
    )

    assert response.status_code == 302
    with scope(org=org.pk):
        party = Party.objects.get()
        assert response["Location"] == reverse("parties:party_detail", args=[party.pk])
        assert list(party.tags.values_list("name", flat=True)) == ["VIP"]
    assert (party.name, party.short_name, party.code) == (
        "杭州西湖茶业有限公司",
        "西湖茶业",
        "C-0001",
    )
    assert (party.level, party.settlement_type, party.credit_limit) == (
        "important",
        "credit",
        Decimal("50000.00"),
    )
    assert (party.mobile, party.wechat, party.email) == (
        "138 0013 8000",
        "lina_tea88",
        "li.na@xihutea.example",
    )
    assert (party.department, party.city, party.postcode) == ("采购部", "杭州", "310000")
    assert (party.spouse, party.family_notes) == ("张伟", "喜欢周末爬山")
    assert (party.decision_makers, party.purchase_timeline, party.upstream_partners) == (
        "总经理李娜",
        "明年春茶季",
        "龙井茶农合作社",
    )
    assert party.adhoc_fields == [{"label": "Favourite tea", "value": "龙井"}]
    assert party.owner == admin_member.user
    assert (party.is_customer, party.is_supplier) == (True, False)


def test_supplier_role_from_the_query_string(admin_client, org):
    response = admin_client.post(
        reverse("parties:party_create") + "?role=supplier",
        {
            "name": "宁波海运",
            "roles": ["supplier"],
            "kind": "company",
            "customer_type": "enterprise",
            "level": "normal",
            "settlement_type": "cash",
        },
    )

    assert response.status_code == 302
    with scope(org=org.pk):
        party = Party.objects.get()
    assert (party.is_customer, party.is_supplier) == (False, True)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mobile", "12345"),
        ("mobile", "138001380001"),
        ("phone", "abc"),
        ("home_phone", "123"),
        ("email", "not-an-email"),
        ("wechat", "a!"),
        ("name", ""),
        ("name", "名" * 201),
        ("code", "x" * 41),
        ("credit_limit", "-5"),
        ("website", "javascript:alert(1)"),
    ],
)
def test_bad_input_is_a_field_error_and_saves_nothing(admin_client, org, field, value):
    response = admin_client.post(reverse("parties:party_create"), full_party_form(**{field: value}))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'data-field="{field}"' in response.content.decode()
    assert _count(org) == 0


def test_chinese_phone_messages_come_from_the_services(admin_client, org):
    admin_client.cookies["guanxi_language"] = "en"
    expected = {}
    with translation.override("en"):
        for field, check, value in (
            ("mobile", validate_mobile, "12345678901"),
            ("wechat", validate_wechat, "1abc"),
        ):
            with pytest.raises(ValidationError) as excinfo:
                check(value)
            expected[field] = excinfo.value.messages

    response = admin_client.post(
        reverse("parties:party_create"), full_party_form(mobile="12345678901", wechat="1abc")
    )

    errors = response.context["form"].errors
    assert errors["mobile"] == expected["mobile"]
    assert errors["wechat"] == expected["wechat"]
    assert "A WeChat ID has 6–20 letters" in response.content.decode()
    assert _count(org) == 0


def test_no_role_is_refused_on_the_roles_field(admin_client, org):
    response = admin_client.post(reverse("parties:party_create"), full_party_form(roles=[]))

    assert "roles" in response.context["form"].errors
    assert _count(org) == 0


def test_extra_field_without_a_name_is_refused(admin_client, org):
    response = admin_client.post(
        reverse("parties:party_create"),
        full_party_form(adhoc_label=["", "颜色"], adhoc_value=["无名", "红"]),
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert _count(org) == 0


def test_readonly_member_may_not_add(client, org, readonly_member):
    login(client, readonly_member)

    assert client.get(reverse("parties:party_create")).status_code == 403
    assert client.post(reverse("parties:party_create"), full_party_form()).status_code == 403
    assert _count(org) == 0


def test_customer_given_to_an_invisible_owner_leads_back_to_the_list(org, sales_member):
    # given a sales rep who sees only their own customers
    other = make_member(org, "sales", username="other-rep")
    client = login(Client(), sales_member)

    # when they add a customer owned by somebody else
    with scopes_disabled():
        response = client.post(
            reverse("parties:party_create"), full_party_form(owner=str(other.user.pk))
        )

    # then it is saved, and they are not sent to a page that would be a 404
    assert response.status_code == 302
    assert "/customers/" in response["Location"]
    assert str(_stored_one(org).pk) not in response["Location"]


def _stored_one(org) -> Party:
    with scope(org=org.pk):
        return Party.objects.get()


# --- edit -----------------------------------------------------------------------------------


def test_edit_changes_the_record_and_bumps_the_version(admin_client, org, admin_member):
    party = make_party(org, admin_member.user, mobile="13800138000")

    response = admin_client.post(
        reverse("parties:party_edit", args=[party.pk]),
        edit_form(admin_client, party, city="苏州", adhoc_label=["楼层"], adhoc_value=["3F"]),
    )

    assert response.status_code == 302
    stored = _stored(org, party.pk)
    assert (stored.city, stored.version, stored.mobile) == ("苏州", 2, "13800138000")
    assert stored.adhoc_fields == [{"label": "楼层", "value": "3F"}]


def test_stale_edit_is_refused_and_changes_nothing(admin_client, org, admin_member):
    party = make_party(org, admin_member.user, name="原名")
    stale = edit_form(admin_client, party, name="我的修改")
    update_party(party=party, actor=None, data={"name": "别人的修改"}, expected_version=1)

    response = admin_client.post(reverse("parties:party_edit", args=[party.pk]), stale)

    assert response.status_code == 200
    assert 'data-testid="form-errors"' in response.content.decode()
    assert "version" not in response.context["form"].errors
    stored = _stored(org, party.pk)
    assert (stored.name, stored.version) == ("别人的修改", 2)


def test_readonly_member_sees_but_may_not_edit(client, org, admin_member, readonly_member):
    party = make_party(org, admin_member.user)
    login(client, readonly_member)

    assert client.get(reverse("parties:party_detail", args=[party.pk])).status_code == 200
    assert client.get(reverse("parties:party_edit", args=[party.pk])).status_code == 403
    html = client.get(reverse("parties:party_detail", args=[party.pk])).content.decode()
    assert 'data-testid="party-edit"' not in html


# --- escaping -------------------------------------------------------------------------------


def test_script_in_names_is_escaped_everywhere(admin_client, org, admin_member):
    party = make_party(
        org, admin_member.user, name=SCRIPT, short_name=SCRIPT, city=SCRIPT, background=SCRIPT
    )
    contact = make_contact(party, name=SCRIPT, role=SCRIPT)
    update_party(party=party, actor=None, data={"notes": SCRIPT}, expected_version=1)
    with scope(org=org.pk):
        party = Party.objects.get(pk=party.pk)
        party.adhoc_fields = [{"label": SCRIPT, "value": SCRIPT}]
        party.save()
    urls = [
        reverse("parties:party_detail", args=[party.pk]),
        reverse("parties:party_edit", args=[party.pk]),
        reverse("parties:party_delete", args=[party.pk]),
        reverse("parties:contact_detail", args=[contact.pk]),
        reverse("parties:contact_edit", args=[contact.pk]),
        *_tab_urls(party.pk),
    ]
    for url in urls:
        html = admin_client.get(url).content.decode()
        assert "<script>alert" not in html, url
    detail = admin_client.get(reverse("parties:party_detail", args=[party.pk])).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in detail


# --- the 360° page ---------------------------------------------------------------------------


def test_360_page_shows_key_facts_and_counts_a_visit(admin_client, org, admin_member):
    party = make_party(
        org,
        admin_member.user,
        name="北京华联商厦",
        short_name="华联",
        code="BJ-7",
        mobile="13911112222",
        email="buyer@hualian.example",
        city="北京",
        settlement_type="credit",
        credit_limit=Decimal("8000"),
    )

    response = admin_client.get(reverse("parties:party_detail", args=[party.pk]))

    html = response.content.decode()
    for text in (
        "北京华联商厦",
        "华联",
        "BJ-7",
        "13911112222",
        "buyer@hualian.example",
        "北京",
        "8000",
    ):
        assert text in html
    assert 'data-testid="value-badges"' not in html  # nothing to show, no placeholder
    assert [t.key for t in response.context["tabs"]][:2] == ["profile", "contacts"]
    with scope(org=org.pk):
        assert PartyVisit.objects.get(party=party, user=admin_member.user).visits == 1


def test_value_badges_hook_shows_what_providers_give(admin_client, org, admin_member):
    from guanxi.parties import record_views

    party = make_party(org, admin_member.user)
    record_views.VALUE_BADGE_PROVIDERS.append(
        lambda p: [record_views.ValueBadge(label="高价值", color="green")]
    )
    try:
        html = admin_client.get(reverse("parties:party_detail", args=[party.pk])).content.decode()
    finally:
        record_views.VALUE_BADGE_PROVIDERS.pop()

    assert 'data-testid="value-badges"' in html
    assert "高价值" in html


def test_timeline_tab_follows_the_activities_app(admin_client, org, admin_member):
    party = make_party(org, admin_member.user)

    response = admin_client.get(reverse("parties:party_detail", args=[party.pk]))

    keys = [t.key for t in response.context["tabs"]]
    try:
        reverse("activities:party_timeline", args=[party.pk])
    except NoReverseMatch:
        assert "timeline" not in keys
    else:
        assert "timeline" in keys
    # Sales tabs come from the sales app; service tickets are not built yet.
    assert {"opportunities", "quotes", "orders"} <= set(keys)
    assert "tickets" not in keys


def test_unknown_tab_falls_back_to_the_profile(admin_client, org, admin_member):
    party = make_party(org, admin_member.user)

    response = admin_client.get(reverse("parties:party_detail", args=[party.pk]) + "?tab=nope")

    assert response.context["active_tab"] == "profile"


def test_profile_tab_shows_the_four_sections(admin_client, org, admin_member):
    party = make_party(org, admin_member.user, spouse="张伟", budget="20 万", department="采购部")

    html = admin_client.get(reverse("parties:party_profile_tab", args=[party.pk])).content.decode()

    for key in ("personal", "company", "family", "other"):
        assert f'data-testid="profile-{key}"' in html
    for text in ("张伟", "20 万", "采购部"):
        assert text in html


def test_custom_fields_by_layout_on_form_and_tab(admin_client, org, admin_member):
    with scope(org=org.pk):
        size = save_custom_field(
            org=org,
            actor=None,
            field=None,
            target=CustomField.Target.PARTY,
            label="门店数",
            field_type="number",
        )
        channel = save_custom_field(
            org=org,
            actor=None,
            field=None,
            target=CustomField.Target.PARTY,
            label="渠道",
            field_type="choice",
            choices=["线上", "线下"],
        )
        save_layout(
            org=org,
            actor=None,
            layout=None,
            target=CustomField.Target.PARTY,
            name="标准方案",
            groups=[{"title": "经营情况", "fields": [size.key, channel.key]}],
            is_default=True,
        )

    form_html = admin_client.get(reverse("parties:party_create")).content.decode()
    assert "经营情况" in form_html
    assert f'name="cf_{size.key}"' in form_html

    response = admin_client.post(
        reverse("parties:party_create"),
        full_party_form(**{f"cf_{size.key}": "3", f"cf_{channel.key}": "线下"}),
    )
    assert response.status_code == 302
    party = _stored_one(org)
    assert party.custom_data == {size.key: "3", channel.key: "线下"}

    tab = admin_client.get(reverse("parties:party_custom_fields_tab", args=[party.pk]))
    html = tab.content.decode()
    for text in ("门店数", "线下", "Favourite tea"):
        assert text in html


def test_bad_custom_field_value_is_a_field_error(admin_client, org):
    with scope(org=org.pk):
        size = save_custom_field(
            org=org,
            actor=None,
            field=None,
            target=CustomField.Target.PARTY,
            label="门店数",
            field_type="number",
        )

    response = admin_client.post(
        reverse("parties:party_create"), full_party_form(**{f"cf_{size.key}": "很多"})
    )

    assert f"cf_{size.key}" in response.context["form"].errors
    assert _count(org) == 0


def test_categories_of_each_role_are_offered(admin_client, org):
    root = add_category(model=PartyCategory, org=org, name="华东区", extra={"tree": "customer"})

    form = admin_client.get(reverse("parties:party_create")).context["form"]

    assert "category" in form.fields
    assert "supplier_category" not in form.fields  # no supplier tree yet
    assert list(form.fields["category"].queryset) == [root]


# --- query counts -----------------------------------------------------------------------------


def _grow(party, org, n):
    for i in range(n):
        make_contact(party, name=f"联系人{i}", mobile=f"1380013{i:04d}")
        with scope(org=org.pk):
            add_attachment(
                parent=party,
                actor=None,
                upload=SimpleUploadedFile(f"f{i}.pdf", PDF, content_type="application/pdf"),
            )


@pytest.mark.parametrize(
    "url_name",
    [
        "parties:party_detail",
        "parties:party_profile_tab",
        "parties:party_contacts_tab",
        "parties:party_custom_fields_tab",
        "parties:party_history_tab",
        "attachments",
    ],
)
def test_360_page_and_tabs_stay_flat_as_records_grow(
    admin_client, org, admin_member, django_assert_num_queries, url_name
):
    party = make_party(org, admin_member.user)
    if url_name == "attachments":
        url = reverse("core:attachment_panel", args=["parties.party", party.pk])
    else:
        url = reverse(url_name, args=[party.pk])
    _grow(party, org, 1)
    admin_client.get(url)  # warm caches (content types, session)

    with CaptureQueriesContext(connection) as small:
        assert admin_client.get(url).status_code == 200

    _grow(party, org, 9)
    with django_assert_num_queries(len(small.captured_queries)):
        assert admin_client.get(url).status_code == 200


# --- lock and delete (B6) ------------------------------------------------------------------


def test_lock_disables_delete_with_the_reason(admin_client, org, admin_member):
    party = make_party(org, admin_member.user)

    response = admin_client.post(reverse("parties:party_lock", args=[party.pk]), {"locked": "1"})

    assert response.status_code == 302
    assert _stored(org, party.pk).is_locked is True
    html = admin_client.get(reverse("parties:party_detail", args=[party.pk])).content.decode()
    assert 'data-testid="locked-badge"' in html
    assert 'data-testid="delete-blocked-reason"' in html
    assert 'disabled aria-disabled="true"' in html


def test_forced_delete_of_a_locked_customer_is_refused_with_the_reason(
    admin_client, org, admin_member
):
    party = make_party(org, admin_member.user)
    set_party_lock(party=party, actor=None, locked=True)

    response = admin_client.post(reverse("parties:party_delete", args=[party.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("parties:party_detail", args=[party.pk])
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert _stored(org, party.pk).is_deleted is False


def test_unlocked_customer_goes_to_the_recycle_bin(admin_client, org, admin_member):
    party = make_party(org, admin_member.user)
    admin_client.post(reverse("parties:party_lock", args=[party.pk]), {"locked": "1"})
    admin_client.post(reverse("parties:party_lock", args=[party.pk]), {"locked": "0"})

    response = admin_client.post(reverse("parties:party_delete", args=[party.pk]))

    assert response.status_code == 302
    assert _stored(org, party.pk).is_deleted is True
    assert admin_client.get(reverse("parties:party_detail", args=[party.pk])).status_code == 404


def test_pin_button_posts_to_the_pin_view(admin_client, org, admin_member):
    party = make_party(org, admin_member.user)
    html = admin_client.get(reverse("parties:party_detail", args=[party.pk])).content.decode()
    assert reverse("parties:party_pin", args=[party.pk]) in html

    admin_client.post(
        reverse("parties:party_pin", args=[party.pk]),
        {"pinned": "1", "next": reverse("parties:party_detail", args=[party.pk])},
    )

    with scope(org=org.pk):
        assert PartyVisit.objects.get(party=party, user=admin_member.user).pinned is True


# --- other organisations ------------------------------------------------------------------


def _foreign_urls(party, contact) -> list[tuple[str, str]]:
    pk, cpk = party.pk, contact.pk
    history_id = 1
    return [
        ("get", reverse("parties:party_detail", args=[pk])),
        ("get", reverse("parties:party_edit", args=[pk])),
        ("post", reverse("parties:party_edit", args=[pk])),
        ("get", reverse("parties:party_delete", args=[pk])),
        ("post", reverse("parties:party_delete", args=[pk])),
        ("post", reverse("parties:party_lock", args=[pk])),
        ("post", reverse("parties:party_restrict", args=[pk])),
        ("post", reverse("parties:party_reveal", args=[pk])),
        ("post", reverse("parties:party_history_restore", args=[pk, history_id])),
        ("get", reverse("parties:contact_create", args=[pk])),
        ("post", reverse("parties:contact_create", args=[pk])),
        ("get", reverse("parties:contact_detail", args=[cpk])),
        ("get", reverse("parties:contact_edit", args=[cpk])),
        ("post", reverse("parties:contact_edit", args=[cpk])),
        ("get", reverse("parties:contact_delete", args=[cpk])),
        ("post", reverse("parties:contact_delete", args=[cpk])),
        ("get", reverse("parties:contact_history_tab", args=[cpk])),
        ("post", reverse("parties:contact_history_restore", args=[cpk, history_id])),
        ("get", reverse("core:attachment_panel", args=["parties.party", pk])),
        ("post", reverse("core:attachment_upload", args=["parties.party", pk])),
        ("get", reverse("core:attachment_panel", args=["parties.contact", cpk])),
        *[("get", url) for url in _tab_urls(pk)],
    ]


def test_another_organisations_records_are_404_everywhere(admin_client, other_org):
    stranger = make_member(other_org, "admin", username="stranger")
    party = make_party(other_org, stranger.user, name="别家公司")
    contact = make_contact(party)

    for method, url in _foreign_urls(party, contact):
        response = getattr(admin_client, method)(url, {"locked": "1", "name": "x"})
        assert response.status_code == 404, (method, url)
    stored = _stored(other_org, party.pk)
    assert (stored.name, stored.is_locked, stored.version) == ("别家公司", False, 1)


def test_a_colleagues_customer_is_404_for_a_rep_who_sees_only_their_own(org, sales_member):
    colleague = make_member(org, "sales", username="colleague")
    party = make_party(org, colleague.user)
    contact = make_contact(party)
    client = login(Client(), sales_member)

    for method, url in _foreign_urls(party, contact):
        assert getattr(client, method)(url).status_code == 404, (method, url)


def test_deleted_party_pages_are_404(admin_client, org, admin_member):
    party = make_party(org, admin_member.user)
    contact = make_contact(party)
    admin_client.post(reverse("parties:party_delete", args=[party.pk]))

    for method, url in _foreign_urls(party, contact):
        assert getattr(admin_client, method)(url).status_code == 404, (method, url)
