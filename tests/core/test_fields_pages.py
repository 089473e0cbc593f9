"""Settings pages for custom fields and edit schemes (B4): access, editing, the scheme
editor without JavaScript, escaping and query counts."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership, Role
from guanxi.core.custom_fields import layout_groups
from tests.accounts.settings_helpers import errors_of
from tests.conftest import login
from tests.core.fields_helpers import (
    exists,
    fields_of,
    fresh,
    layouts_of,
    make_field,
    make_layout,
    make_tag,
)
from tests.factories import UserFactory

XSS = "<script>alert('x')</script>"


@pytest.fixture
def admin_client(admin_client):
    # Messages are asserted in English; the organisation's default is 简体中文.
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return admin_client


def field_list(target="party"):
    return reverse("core:field_list", args=[target])


def layout_edit_url(layout):
    return reverse("core:layout_edit", args=[layout.target, layout.pk])


@pytest.fixture
def objects(org):
    field = make_field(org, "客户级别", "choice", choices=["金牌", "银牌"])
    layout = make_layout(org, "个性方案")
    tag = make_tag(org, "VIP", "red")
    return {"field": field, "layout": layout, "tag": tag}


def page_urls(objects) -> list[str]:
    field, layout, tag = objects["field"], objects["layout"], objects["tag"]
    return [
        reverse("core:field_list", args=["party"]),
        reverse("core:field_list", args=["contact"]),
        reverse("core:field_create", args=["party"]),
        reverse("core:field_edit", args=["party", field.pk]),
        reverse("core:field_toggle_active", args=["party", field.pk]),
        reverse("core:layout_list", args=["party"]),
        reverse("core:layout_create", args=["party"]),
        reverse("core:layout_edit", args=["party", layout.pk]),
        reverse("core:layout_delete", args=["party", layout.pk]),
        reverse("core:tag_list"),
        reverse("core:tag_create"),
        reverse("core:tag_edit", args=[tag.pk]),
        reverse("core:tag_delete", args=[tag.pk]),
    ]


# --- access ----------------------------------------------------------------------------


def test_every_page_answers_an_administrator(admin_client, objects):
    for url in page_urls(objects):
        assert admin_client.get(url).status_code == 200, url


def test_every_page_refuses_a_sales_member(sales_client, objects):
    for url in [
        *page_urls(objects),
        reverse("core:field_home"),
        reverse("core:layout_home"),
    ]:
        assert sales_client.get(url).status_code == 403, url


def test_home_pages_open_the_first_record_type(admin_client):
    assert admin_client.get(reverse("core:field_home")).url == field_list("party")
    assert admin_client.get(reverse("core:layout_home")).url == reverse(
        "core:layout_list", args=["party"]
    )


def test_settings_landing_page_has_the_three_cards(admin_client, sales_client):
    page = admin_client.get(reverse("accounts:settings_home")).content.decode()
    sales_page = sales_client.get(reverse("accounts:settings_home")).content.decode()

    for key in ("custom_fields", "field_layouts", "tags"):
        assert f'data-testid="settings-card-{key}"' in page
        assert f'data-testid="settings-card-{key}"' not in sales_page


def test_tabs_show_the_registered_record_types_only(admin_client):
    page = admin_client.get(field_list()).content.decode()

    assert 'data-testid="target-tab-party"' in page
    assert 'data-testid="target-tab-contact"' in page
    # The catalog registers products; opportunities have no custom fields (yet).
    assert 'data-testid="target-tab-product"' in page
    assert 'data-testid="target-tab-opportunity"' not in page


@pytest.mark.parametrize("target", ["opportunity", "nonsense"])
def test_record_type_without_custom_fields_is_404(admin_client, target):
    assert admin_client.get(field_list(target)).status_code == 404
    assert admin_client.get(reverse("core:layout_list", args=[target])).status_code == 404
    assert admin_client.get(reverse("core:field_create", args=[target])).status_code == 404


def test_another_organisations_records_are_404_on_every_url(admin_client, other_org):
    theirs = {
        "field": make_field(other_org, "Theirs"),
        "layout": make_layout(other_org, "Theirs"),
        "tag": make_tag(other_org, "Theirs"),
    }
    field, layout, tag = theirs["field"], theirs["layout"], theirs["tag"]
    urls = [
        reverse("core:field_edit", args=["party", field.pk]),
        reverse("core:field_toggle_active", args=["party", field.pk]),
        reverse("core:layout_edit", args=["party", layout.pk]),
        reverse("core:layout_make_default", args=["party", layout.pk]),
        reverse("core:layout_delete", args=["party", layout.pk]),
        reverse("core:tag_edit", args=[tag.pk]),
        reverse("core:tag_delete", args=[tag.pk]),
    ]
    for url in urls:
        if "default" not in url:
            assert admin_client.get(url).status_code == 404, url
        assert admin_client.post(url, {"name": "Mine", "version": 1}).status_code == 404, url

    assert fresh(field).label == "Theirs"
    assert fresh(field).is_active is True
    assert fresh(layout).is_default is False
    assert exists(layout) is True
    assert exists(tag) is True


def test_a_field_of_another_record_type_is_404(admin_client, org):
    contact_field = make_field(org, "Hobby", target="contact")

    response = admin_client.get(reverse("core:field_edit", args=["party", contact_field.pk]))

    assert response.status_code == 404


def test_sales_member_cannot_post_changes(sales_client, org, objects):
    field = objects["field"]

    responses = [
        sales_client.post(reverse("core:field_create", args=["party"]), {"label": "X"}),
        sales_client.post(
            reverse("core:field_edit", args=["party", field.pk]), {"label": "X", "version": 1}
        ),
        sales_client.post(reverse("core:field_reorder", args=["party"]), {"order": [field.pk]}),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert fresh(field).label == "客户级别"


# --- custom field definitions ------------------------------------------------------------


def test_admin_adds_a_choice_field_last_with_a_pinyin_key(admin_client, org):
    make_field(org, "Budget", "number")

    response = admin_client.post(
        reverse("core:field_create", args=["party"]),
        {
            "label": "客户级别",
            "field_type": "choice",
            "choices": "金牌\r\n银牌\r\n\r\n银牌\r\n铜牌",
            "required": "on",
            "help_text": "按年采购额",
        },
    )

    assert response.status_code == 302
    assert fields_of(org) == [("budget", 1, True), ("kehujibie", 2, True)]
    created = layout_groups(org, "party")[0].fields[1]
    assert created.choices == ["金牌", "银牌", "铜牌"]
    assert created.required is True
    assert created.help_text == "按年采购额"


def test_admin_chooses_the_key_of_a_new_field(admin_client, org):
    response = admin_client.post(
        reverse("core:field_create", args=["contact"]),
        {"label": "Hobby", "field_type": "text", "key": "hobby_1"},
    )

    assert response.status_code == 302
    assert fields_of(org, "contact") == [("hobby_1", 1, True)]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"label": "", "field_type": "text"}, "label"),
        ({"label": "   ", "field_type": "text"}, "label"),
        ({"label": "x" * 61, "field_type": "text"}, "label"),
        ({"label": "Tier", "field_type": "choice", "choices": ""}, "choices"),
        ({"label": "Tier", "field_type": "multichoice", "choices": " \r\n "}, "choices"),
        ({"label": "Tier", "field_type": "colour"}, "field_type"),
        ({"label": "Tier", "field_type": "text", "key": "Not A Key"}, "key"),
        ({"label": "Tier", "field_type": "text", "key": "budget"}, "key"),
        ({"label": "Tier", "field_type": "text", "help_text": "h" * 201}, "help_text"),
        ({"label": "Tier", "field_type": "choice", "choices": "c" * 101}, "choices"),
    ],
)
def test_bad_definition_is_a_field_error_and_saves_nothing(admin_client, org, data, field):
    make_field(org, "Budget", "number")

    response = admin_client.post(reverse("core:field_create", args=["party"]), data)

    assert response.status_code == 200
    assert errors_of(response, field) != []
    assert fields_of(org) == [("budget", 1, True)]


def test_edit_changes_label_and_choices_but_never_the_type(admin_client, org):
    field = make_field(org, "Tier", "choice", choices=["A", "B"])
    url = reverse("core:field_edit", args=["party", field.pk])

    page = admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {
            "label": "等级",
            "field_type": "number",
            "key": "other",
            "choices": "A\nB\nC",
            "version": 1,
        },
    )

    assert 'data-testid="type-fixed"' in page
    assert "cannot change once it is created" in page
    assert response.status_code == 302
    after = fresh(field)
    assert (after.label, after.field_type, after.key) == ("等级", "choice", "tier")
    assert after.choices == ["A", "B", "C"]
    assert after.version == 2


def test_editing_keeps_the_position(admin_client, org):
    make_field(org, "One")
    second = make_field(org, "Two")

    admin_client.post(
        reverse("core:field_edit", args=["party", second.pk]), {"label": "Zwei", "version": 1}
    )

    assert fields_of(org) == [("one", 1, True), ("two", 2, True)]


def test_stale_field_edit_is_refused_and_changes_nothing(admin_client, org):
    field = make_field(org, "Tier")
    url = reverse("core:field_edit", args=["party", field.pk])
    assert admin_client.post(url, {"label": "First", "version": 1}).status_code == 302

    response = admin_client.post(url, {"label": "Second", "version": 1})

    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    assert fresh(field).label == "First"


def test_empty_label_on_edit_is_a_field_error(admin_client, org):
    field = make_field(org, "Tier")

    response = admin_client.post(
        reverse("core:field_edit", args=["party", field.pk]), {"label": "", "version": 1}
    )

    assert errors_of(response, "label") != []
    assert fresh(field).label == "Tier"
    assert fresh(field).version == 1


def test_deactivated_field_leaves_the_forms_and_comes_back(admin_client, org):
    field = make_field(org, "Tier")
    url = reverse("core:field_toggle_active", args=["party", field.pk])

    off = admin_client.post(url, {"active": "0", "version": 1})
    hidden = [f.key for g in layout_groups(org, "party") for f in g.fields]
    listed = admin_client.get(field_list()).content.decode()
    on = admin_client.post(url, {"active": "1", "version": 2})

    assert (off.status_code, on.status_code) == (302, 302)
    assert hidden == []
    assert 'data-testid="inactive"' in listed
    assert fields_of(org) == [("tier", 1, True)]
    assert fresh(field).version == 3


def test_deactivated_field_keeps_the_values_stored_in_it(admin_client, org, admin_member):
    from guanxi.parties.services import create_party

    field = make_field(org, "Tier")
    party = create_party(
        org=org, actor=admin_member.user, data={"name": "甲公司", "custom_data": {"tier": "金"}}
    )

    admin_client.post(
        reverse("core:field_toggle_active", args=["party", field.pk]), {"active": "0"}
    )

    assert fresh(field).is_active is False
    assert fresh(party).custom_data == {"tier": "金"}


def test_stale_deactivation_is_refused(admin_client, org):
    field = make_field(org, "Tier")
    admin_client.post(
        reverse("core:field_edit", args=["party", field.pk]), {"label": "T", "version": 1}
    )

    response = admin_client.post(
        reverse("core:field_toggle_active", args=["party", field.pk]),
        {"active": "0", "version": 1},
        follow=True,
    )

    assert "Someone else changed this record" in response.content.decode()
    assert fresh(field).is_active is True


def test_dragging_rows_posts_the_new_order(admin_client, org):
    a, b, c = (make_field(org, name) for name in ("Alpha", "Beta", "Gamma"))

    response = admin_client.post(
        reverse("core:field_reorder", args=["party"]),
        {"order": [c.pk, a.pk, b.pk]},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="field-rows"')
    assert (
        html.index('data-key="gamma"')
        < html.index('data-key="alpha"')
        < html.index('data-key="beta"')
    )
    assert fields_of(org) == [("gamma", 1, True), ("alpha", 2, True), ("beta", 3, True)]
    assert fresh(a).version == 1  # moving is not an edit of the field


def test_up_and_down_buttons_move_one_step_without_javascript(admin_client, org):
    a, b, c = (make_field(org, name) for name in ("Alpha", "Beta", "Gamma"))
    url = reverse("core:field_reorder", args=["party"])

    first = admin_client.post(url, {"order": [a.pk, b.pk, c.pk], "move": f"{c.pk}:up"})
    admin_client.post(url, {"order": [a.pk, c.pk, b.pk], "move": f"{a.pk}:down"})
    admin_client.post(url, {"order": [c.pk, a.pk, b.pk], "move": f"{c.pk}:up"})  # already first

    assert first.status_code == 302
    assert [key for key, _pos, _active in fields_of(org)] == ["gamma", "alpha", "beta"]


def test_reorder_ignores_ids_of_other_types_and_organisations(admin_client, org, other_org):
    a, b = make_field(org, "Alpha"), make_field(org, "Beta")
    contact_field = make_field(org, "Hobby", target="contact")
    theirs = make_field(other_org, "Theirs")

    admin_client.post(
        reverse("core:field_reorder", args=["party"]),
        {"order": [theirs.pk, contact_field.pk, b.pk, "x", a.pk]},
    )

    assert [key for key, _pos, _active in fields_of(org)] == ["beta", "alpha"]
    assert fresh(theirs).position == 1
    assert fresh(contact_field).position == 1


def test_labels_and_help_texts_are_escaped_everywhere(admin_client, org):
    field = make_field(org, XSS, "choice", choices=[XSS], help_text=XSS)
    layout = make_layout(org, XSS, [{"title": XSS, "fields": [field.key]}], is_default=True)

    pages = [
        admin_client.get(field_list()),
        admin_client.get(reverse("core:field_edit", args=["party", field.pk])),
        admin_client.get(reverse("core:field_toggle_active", args=["party", field.pk])),
        admin_client.get(reverse("core:layout_list", args=["party"])),
        admin_client.get(layout_edit_url(layout)),
    ]

    for response in pages:
        html = response.content.decode()
        assert XSS not in html, response.request["PATH_INFO"]
        assert "&lt;script&gt;" in html, response.request["PATH_INFO"]


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_field_list_query_count_stays_flat(admin_client, org, django_assert_num_queries):
    make_field(org, "One")
    few = queries(admin_client, field_list())
    for n in range(20):
        make_field(org, f"Field {n}", "choice" if n % 2 else "text")

    with django_assert_num_queries(few):
        admin_client.get(field_list())


# --- edit schemes ------------------------------------------------------------------------


def test_first_scheme_is_offered_as_the_default_standard_scheme(admin_client, org):
    page = admin_client.get(reverse("core:layout_create", args=["party"]))

    assert page.context["form"].initial == {"name": "Standard scheme", "is_default": True}


def test_admin_creates_a_scheme_and_lands_in_its_editor(admin_client, org):
    response = admin_client.post(
        reverse("core:layout_create", args=["party"]), {"name": "标准方案", "is_default": "on"}
    )

    assert layouts_of(org) == [("标准方案", True, [])]
    assert response.status_code == 302
    assert response.url.startswith("/core/edit-schemes/party/")


def test_scheme_name_must_be_unique_and_present(admin_client, org):
    make_layout(org, "标准方案")
    url = reverse("core:layout_create", args=["party"])

    taken = admin_client.post(url, {"name": "标准方案"})
    empty = admin_client.post(url, {"name": " "})
    too_long = admin_client.post(url, {"name": "n" * 61})

    assert errors_of(taken, "name") != []
    assert errors_of(empty, "name") != []
    assert errors_of(too_long, "name") != []
    assert layouts_of(org) == [("标准方案", False, [])]


def test_the_same_name_may_be_used_for_another_record_type(admin_client, org):
    make_layout(org, "标准方案")

    response = admin_client.post(
        reverse("core:layout_create", args=["contact"]), {"name": "标准方案"}
    )

    assert response.status_code == 302
    assert layouts_of(org, "contact") == [("标准方案", False, [])]


def _save(client, layout, structure, **extra):
    data = {
        "name": layout.name,
        "version": layout.version,
        "structure": json.dumps(structure),
        "op": "save",
        **extra,
    }
    if layout.is_default:
        data.setdefault("is_default", "on")
    return client.post(layout_edit_url(layout), data)


def test_saving_the_structure_drops_unknown_and_repeated_keys(admin_client, org, other_org):
    make_field(org, "Alpha")
    make_field(org, "Beta")
    make_field(other_org, "Theirs")
    layout = make_layout(org, "标准方案", is_default=True)

    response = _save(
        admin_client,
        layout,
        [
            {"title": "基本", "fields": ["beta", "nope", "theirs", "alpha"]},
            {"title": "其它", "fields": ["alpha", 7, None]},
            {"title": "", "fields": []},
            "junk",
        ],
    )

    assert response.status_code == 302
    assert layouts_of(org) == [
        (
            "标准方案",
            True,
            [{"title": "基本", "fields": ["beta", "alpha"]}, {"title": "其它", "fields": []}],
        )
    ]
    assert [(g.title, [f.key for f in g.fields]) for g in layout_groups(org, "party")] == [
        ("基本", ["beta", "alpha"])
    ]


def test_only_one_scheme_is_the_default(admin_client, org):
    standard = make_layout(org, "标准方案", is_default=True)
    personal = make_layout(org, "个性方案")

    response = admin_client.post(
        reverse("core:layout_make_default", args=["party", personal.pk]), {"version": 1}
    )
    _save(admin_client, fresh(standard), [], is_default="on")

    assert response.status_code == 302
    assert [(name, default) for name, default, _g in layouts_of(org)] == [
        ("个性方案", False),
        ("标准方案", True),
    ]


def test_stale_scheme_save_is_refused_and_keeps_the_unsaved_arrangement(admin_client, org):
    make_field(org, "Alpha")
    layout = make_layout(org, "标准方案")
    assert _save(admin_client, layout, [{"title": "A", "fields": []}]).status_code == 302

    response = _save(admin_client, layout, [{"title": "B", "fields": ["alpha"]}])

    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    assert response.context["editor"].groups == [{"title": "B", "fields": ["alpha"]}]
    assert layouts_of(org) == [("标准方案", False, [{"title": "A", "fields": []}])]


def test_bad_structure_json_is_reported_and_nothing_is_saved(admin_client, org):
    layout = make_layout(org, "标准方案", [{"title": "A", "fields": []}])

    response = admin_client.post(
        layout_edit_url(layout),
        {"name": "New name", "version": 1, "structure": "{not json", "op": "save"},
    )

    assert response.status_code == 200
    assert "could not be read" in response.content.decode()
    assert layouts_of(org) == [("标准方案", False, [{"title": "A", "fields": []}])]


def _op(client, layout, op, structure, **extra):
    return client.post(
        layout_edit_url(layout),
        {
            "name": layout.name,
            "version": layout.version,
            "structure": json.dumps(structure),
            "op": op,
            **extra,
        },
    )


def test_editor_works_without_javascript(admin_client, org):
    for name in ("Alpha", "Beta", "Gamma"):
        make_field(org, name)
    layout = make_layout(org, "标准方案", is_default=True)

    # given: one group added, then fields placed with the selects
    step = _op(admin_client, layout, "add-group", [], new_group_title="基本信息")
    structure = step.context["editor"].groups
    step = _op(
        admin_client,
        layout,
        "add-group",
        structure,
        **{"place-gamma": "g0", "place-alpha": "g0", "new_group_title": ""},
    )
    structure = step.context["editor"].groups
    # when: moved, renamed and reordered with the buttons
    step = _op(admin_client, layout, "field-up:alpha", structure, **{"title-1": "更多"})
    structure = step.context["editor"].groups
    step = _op(admin_client, layout, "group-down:0", structure, **{"place-beta": "g1"})
    structure = step.context["editor"].groups

    # then: nothing stored until Save, which stores what the page showed
    assert structure == [
        {"title": "更多", "fields": ["beta"]},
        {"title": "基本信息", "fields": ["alpha", "gamma"]},
    ]
    assert step.context["editor"].changed is True
    assert 'data-testid="unsaved"' in step.content.decode()
    assert layouts_of(org) == [("标准方案", True, [])]
    assert _save(admin_client, layout, structure).status_code == 302
    assert [(g.title, [f.key for f in g.fields]) for g in layout_groups(org, "party")] == [
        ("更多", ["beta"]),
        ("基本信息", ["alpha", "gamma"]),
    ]


def test_removing_a_group_returns_its_fields_to_unassigned(admin_client, org):
    make_field(org, "Alpha")
    layout = make_layout(org, "标准方案", [{"title": "A", "fields": ["alpha"]}])

    response = _op(admin_client, layout, "remove-group:0", [{"title": "A", "fields": ["alpha"]}])

    editor = response.context["editor"]
    assert editor.groups == []
    assert [f.key for f in editor.unassigned()] == ["alpha"]


def test_editor_ignores_malformed_operations(admin_client, org):
    make_field(org, "Alpha")
    layout = make_layout(org, "标准方案", [{"title": "A", "fields": ["alpha"]}])
    structure = [{"title": "A", "fields": ["alpha"]}]

    for op in ("remove-group:9", "group-up:x", "field-down:nope", "explode", "field-up:alpha"):
        response = _op(admin_client, layout, op, structure, **{"place-alpha": "g42"})
        assert response.status_code == 200, op
        assert response.context["editor"].groups == structure, op


def test_preview_shows_the_groups_as_the_form_will(admin_client, org):
    make_field(org, "Alpha")
    make_field(org, "Beta", "boolean")
    inactive = make_field(org, "Gone")
    admin_client.post(
        reverse("core:field_toggle_active", args=["party", inactive.pk]), {"active": "0"}
    )
    layout = make_layout(org, "标准方案", [{"title": "基本", "fields": ["beta", "gone"]}])

    response = admin_client.post(
        layout_edit_url(layout),
        {"name": "x", "structure": json.dumps(fresh(layout).groups), "op": "preview"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="layout-preview"')
    titles = re.findall(r'data-testid="preview-group-title">([^<]*)<', html)
    assert titles == ["基本", "Other fields"]
    first, second = html.split('data-testid="preview-group-title"')[1:]
    assert ('name="cf_beta"' in first, 'name="cf_alpha"' in second) == (True, True)
    assert "cf_gone" not in html
    assert "disabled" in html


def test_default_scheme_cannot_be_deleted_but_another_can(admin_client, org):
    standard = make_layout(org, "标准方案", is_default=True)
    personal = make_layout(org, "个性方案")

    refused = admin_client.post(
        reverse("core:layout_delete", args=["party", standard.pk]), follow=True
    )
    deleted = admin_client.post(reverse("core:layout_delete", args=["party", personal.pk]))

    assert "Make another scheme the default" in refused.content.decode()
    assert deleted.status_code == 302
    assert [name for name, _d, _g in layouts_of(org)] == ["标准方案"]


def test_layout_list_warns_when_no_scheme_is_the_default(admin_client, org):
    make_layout(org, "个性方案")

    page = admin_client.get(reverse("core:layout_list", args=["party"])).content.decode()

    assert 'data-testid="no-default"' in page


def test_layout_pages_query_counts_stay_flat(admin_client, org, django_assert_num_queries):
    layout = make_layout(org, "A")
    make_field(org, "F0")
    urls = [reverse("core:layout_list", args=["party"]), layout_edit_url(layout)]
    counts = [queries(admin_client, url) for url in urls]
    for n in range(1, 15):
        make_field(org, f"F{n}", "multichoice")
        make_layout(org, f"L{n}", [{"title": "G", "fields": [f"f{n}"]}])

    for url, count in zip(urls, counts, strict=True):
        with django_assert_num_queries(count):
            admin_client.get(url)


def test_a_role_that_may_only_view_sees_the_editor_read_only(org, objects):
    with scopes_disabled():
        role = Role.objects.create(org=org, name="Auditor", permissions={"customfield": ["view"]})
        member = Membership.objects.create(org=org, user=UserFactory(), role=role)
    client = login(Client(), member)
    layout, field = objects["layout"], objects["field"]

    page = client.get(layout_edit_url(layout)).content.decode()
    field_page = client.get(reverse("core:field_edit", args=["party", field.pk])).content.decode()
    refused = client.post(layout_edit_url(layout), {"name": "X", "version": 1, "op": "save"})

    assert 'data-testid="read-only"' in page
    assert "data-layout-editor" not in page
    assert 'data-testid="save"' not in page
    assert 'data-testid="read-only"' in field_page
    assert refused.status_code == 403
    assert fresh(layout).name == "个性方案"
