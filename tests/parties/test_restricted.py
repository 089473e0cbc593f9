"""Restricted customers (B7): encrypted at rest, revealed with the organisation's password,
every reveal in the history."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from guanxi.core.exceptions import StaleEdit
from guanxi.parties import restricted
from guanxi.parties.models import Party, PartySettings, RestrictedReveal
from guanxi.parties.restricted import (
    SENSITIVE_FIELDS,
    RestrictedPasswordMissing,
    WrongRestrictedPassword,
    restrict_party,
    restricted_parties_with_phone,
    set_restricted_password,
)
from guanxi.parties.services import RESTRICTED_COLUMNS, update_party
from tests.conftest import login
from tests.factories import make_member
from tests.parties.record_helpers import edit_form, make_party

PASSWORD = "tea-leaves-42"
HTMX = {"HX-Request": "true"}
SECRETS = {
    "mobile": "13812345678",
    "phone": "021-62345678",
    "home_phone": "0571-88886666",
    "email": "secret.boss@example.test",
    "wechat": "boss_wechat",
    "qq": "8888888",
    "address": "机密路 1 号",
    "home_address": "秘密小区 8 栋",
    "notes": "只给老板看",
    "family_notes": "孩子在国外读书",
}


@pytest.fixture(autouse=True)
def _fresh_failure_counts():
    # Wrong-password counts live in the cache, which outlives a test's database rows.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def with_password(org, admin_member):
    set_restricted_password(org=org, actor=admin_member.user, new_password=PASSWORD)
    return PASSWORD


@pytest.fixture
def secret_party(org, admin_member, with_password):
    party = make_party(org, admin_member.user, name="机密客户", city="上海", **SECRETS)
    return restrict_party(party=party, actor=admin_member.user, expected_version=party.version)


def _raw(table: str, columns: list[str], where: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}", params)  # noqa: S608
        return cursor.fetchall()


def _stored(org, pk) -> Party:
    with scope(org=org.pk):
        return Party.objects.get(pk=pk)


def _reveals(org, party) -> list[str]:
    with scope(org=org.pk):
        return list(
            RestrictedReveal.objects.filter(party=party)
            .order_by("id")
            .values_list("purpose", flat=True)
        )


def _unlock(client: Client, password: str = PASSWORD):
    return client.post(reverse("parties:restricted_unlock"), {"password": password, "next": "/"})


# --- the password ----------------------------------------------------------------------


def test_sensitive_field_lists_agree():
    assert set(SENSITIVE_FIELDS) == set(RESTRICTED_COLUMNS)


def test_admin_sets_the_password_and_it_is_stored_hashed(admin_client, org):
    response = admin_client.post(
        reverse("parties:restricted_settings"),
        {"new_password": PASSWORD, "confirm_password": PASSWORD},
    )

    assert response.status_code == 302
    with scope(org=org.pk):
        stored = PartySettings.objects.get().restricted_password
    assert stored != PASSWORD
    assert PASSWORD not in stored
    assert check_password(PASSWORD, stored) is True


def test_changing_the_password_needs_the_current_one(admin_client, org, with_password):
    wrong = admin_client.post(
        reverse("parties:restricted_settings"),
        {
            "current_password": "nope",
            "new_password": "new-pass-1",
            "confirm_password": "new-pass-1",
        },
    )
    right = admin_client.post(
        reverse("parties:restricted_settings"),
        {
            "current_password": PASSWORD,
            "new_password": "new-pass-1",
            "confirm_password": "new-pass-1",
        },
    )

    assert "current_password" in wrong.context["form"].errors
    assert right.status_code == 302
    with scope(org=org.pk):
        assert check_password("new-pass-1", PartySettings.objects.get().restricted_password)


@pytest.mark.parametrize(
    ("new", "again", "field"),
    [("123", "123", "new_password"), ("long-enough", "different", "confirm_password")],
)
def test_bad_new_passwords_are_refused(admin_client, org, new, again, field):
    response = admin_client.post(
        reverse("parties:restricted_settings"), {"new_password": new, "confirm_password": again}
    )

    assert field in response.context["form"].errors
    with scope(org=org.pk):
        assert PartySettings.objects.filter(restricted_password__gt="").exists() is False


def test_only_administrators_set_the_password(org, sales_member):
    client = login(Client(), sales_member)

    assert client.get(reverse("parties:restricted_settings")).status_code == 403
    assert (
        client.post(
            reverse("parties:restricted_settings"),
            {"new_password": PASSWORD, "confirm_password": PASSWORD},
        ).status_code
        == 403
    )


# --- restricting ---------------------------------------------------------------------------


def test_restricting_needs_a_password_first(admin_client, org, admin_member):
    party = make_party(org, admin_member.user, mobile="13812345678")

    response = admin_client.post(
        reverse("parties:party_restrict", args=[party.pk]),
        {"restricted": "1", "version": "1"},
        follow=True,
    )

    assert len(list(response.context["messages"])) == 1
    stored = _stored(org, party.pk)
    assert (stored.is_restricted, stored.mobile) == (False, "13812345678")
    with pytest.raises(RestrictedPasswordMissing):
        restrict_party(party=party, actor=None, expected_version=1)


def test_restrict_encrypts_at_rest_and_blanks_the_plain_columns(
    admin_client, org, admin_member, with_password
):
    party = make_party(org, admin_member.user, name="机密客户", **SECRETS)

    response = admin_client.post(
        reverse("parties:party_restrict", args=[party.pk]), {"restricted": "1", "version": "1"}
    )

    assert response.status_code == 302
    columns = ["restricted_payload", "search_text", *SENSITIVE_FIELDS]
    [row] = _raw("parties_party", columns, "id = %s", [party.pk])
    payload, search, *plain = row
    # then the plain columns are blank …
    assert plain == [""] * len(SENSITIVE_FIELDS)
    # … and the payload column holds Fernet ciphertext, not the values
    assert payload.startswith("gAAAAA")
    for value in SECRETS.values():
        assert value not in payload
        assert value not in search
    assert "13812345678" not in search
    # while the model decrypts it
    stored = _stored(org, party.pk)
    assert stored.is_restricted is True
    assert json.loads(stored.restricted_payload) == SECRETS


def test_history_rows_keep_no_plain_copy(org, admin_member, secret_party):
    columns = ["restricted_payload", "search_text", *SENSITIVE_FIELDS]
    rows = _raw("parties_historicalparty", columns, "id = %s", [secret_party.pk])

    assert len(rows) == 2
    for payload, search, *plain in rows:
        assert plain == [""] * len(SENSITIVE_FIELDS)
        assert "13812345678" not in (search or "")
        assert payload is None or payload.startswith("gAAAAA")


def test_exact_phone_lookup_finds_a_restricted_customer(org, other_org, secret_party):
    [(index,)] = _raw("parties_party", ["restricted_phone_index"], "id = %s", [secret_party.pk])
    assert "13812345678" not in index
    assert len(index.split()) == 3

    for phone in ("138 1234 5678", "+86 138-1234-5678", "021 6234 5678", "0571-88886666"):
        assert list(restricted_parties_with_phone(org, phone)) == [secret_party], phone
    assert list(restricted_parties_with_phone(org, "13812345679")) == []
    assert list(restricted_parties_with_phone(other_org, "13812345678")) == []


def test_restricted_fields_do_not_show_on_pages(admin_client, org, secret_party):
    urls = [
        reverse("parties:party_detail", args=[secret_party.pk]),
        reverse("parties:party_profile_tab", args=[secret_party.pk]),
        reverse("parties:party_history_tab", args=[secret_party.pk]),
        reverse("parties:party_edit", args=[secret_party.pk]),
    ]
    for url in urls:
        html = admin_client.get(url).content.decode()
        for value in SECRETS.values():
            assert value not in html, (url, value)
    edit = admin_client.get(reverse("parties:party_edit", args=[secret_party.pk]))
    assert "mobile" not in edit.context["form"].fields
    assert 'data-testid="restricted-fields-hidden"' in edit.content.decode()
    assert _reveals(org, secret_party) == []


# --- revealing ---------------------------------------------------------------------------------


def test_reveal_asks_for_the_password_then_shows_and_logs(admin_client, org, secret_party):
    url = reverse("parties:party_reveal", args=[secret_party.pk])

    asked = admin_client.post(url, headers=HTMX)
    wrong = admin_client.post(url, {"password": "guess"}, headers=HTMX)
    right = admin_client.post(url, {"password": PASSWORD}, headers=HTMX)

    assert 'data-testid="reveal-unlock-form"' in asked.content.decode()
    assert "13812345678" not in wrong.content.decode()
    assert "is-invalid" in wrong.content.decode()
    html = right.content.decode()
    for value in SECRETS.values():
        assert value in html
    assert _reveals(org, secret_party) == ["view"]
    history = admin_client.get(reverse("parties:party_history_tab", args=[secret_party.pk]))
    assert history.content.decode().count('data-testid="history-reveal"') == 1


def test_every_reveal_is_logged(admin_client, org, secret_party):
    _unlock(admin_client)
    url = reverse("parties:party_reveal", args=[secret_party.pk])

    admin_client.post(url, headers=HTMX)
    admin_client.post(url)

    assert _reveals(org, secret_party) == ["view", "view"]


def test_elevation_lasts_only_the_configured_minutes(
    admin_client, org, secret_party, settings, monkeypatch
):
    settings.GUANXI_RESTRICTED_ELEVATION_MINUTES = 5
    now = [1_000_000.0]
    monkeypatch.setattr(restricted.time, "time", lambda: now[0])
    _unlock(admin_client)
    url = reverse("parties:party_reveal", args=[secret_party.pk])

    now[0] += 4 * 60
    inside = admin_client.post(url, headers=HTMX)
    now[0] += 2 * 60
    after = admin_client.post(url, headers=HTMX)

    assert "13812345678" in inside.content.decode()
    assert "13812345678" not in after.content.decode()
    assert 'data-testid="reveal-unlock-form"' in after.content.decode()
    assert _reveals(org, secret_party) == ["view"]


def test_wrong_passwords_pause_the_member(admin_client, org, secret_party):
    for _attempt in range(restricted.MAX_FAILURES):
        _unlock(admin_client, "wrong")

    response = _unlock(admin_client, PASSWORD)

    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert restricted.is_elevated(admin_client.session, org=org) is False


def test_wrong_password_service_error(org, with_password):
    with pytest.raises(WrongRestrictedPassword):
        restricted.check_restricted_password(org=org, user=None, password="nope")


# --- editing -----------------------------------------------------------------------------------


def test_edit_while_elevated_re_encrypts(admin_client, org, secret_party):
    _unlock(admin_client)
    data = edit_form(admin_client, secret_party, mobile="13900001111", city="杭州")
    assert data["email"] == SECRETS["email"]  # the form was filled from the payload

    response = admin_client.post(reverse("parties:party_edit", args=[secret_party.pk]), data)

    assert response.status_code == 302
    [(payload, mobile, city)] = _raw(
        "parties_party", ["restricted_payload", "mobile", "city"], "id = %s", [secret_party.pk]
    )
    assert (mobile, city) == ("", "杭州")
    assert payload.startswith("gAAAAA")
    assert "13900001111" not in payload
    stored = _stored(org, secret_party.pk)
    assert json.loads(stored.restricted_payload)["mobile"] == "13900001111"
    assert list(restricted_parties_with_phone(org, "13900001111")) == [stored]
    assert list(restricted_parties_with_phone(org, "13812345678")) == []
    assert _reveals(org, secret_party) == ["edit"]
    # the history holds no plain copy of the new number either
    for row in _raw("parties_historicalparty", ["mobile"], "id = %s", [secret_party.pk]):
        assert row == ("",)


def test_bad_restricted_value_is_a_field_error_and_changes_nothing(admin_client, org, secret_party):
    _unlock(admin_client)
    data = edit_form(admin_client, secret_party, mobile="12345", city="杭州")

    response = admin_client.post(reverse("parties:party_edit", args=[secret_party.pk]), data)

    assert "mobile" in response.context["form"].errors
    stored = _stored(org, secret_party.pk)
    assert (stored.city, json.loads(stored.restricted_payload)["mobile"]) == ("上海", "13812345678")


def test_edit_without_elevation_keeps_the_restricted_fields(admin_client, org, secret_party):
    data = edit_form(admin_client, secret_party, city="南京")

    response = admin_client.post(reverse("parties:party_edit", args=[secret_party.pk]), data)

    assert response.status_code == 302
    stored = _stored(org, secret_party.pk)
    assert stored.city == "南京"
    assert json.loads(stored.restricted_payload) == SECRETS
    assert stored.mobile == ""


def test_lapsed_elevation_refuses_the_restricted_changes(admin_client, org, secret_party):
    _unlock(admin_client)
    data = edit_form(admin_client, secret_party, mobile="13900001111")
    restricted.drop_elevation(session := admin_client.session, org=org)
    session.save()

    response = admin_client.post(reverse("parties:party_edit", args=[secret_party.pk]), data)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert json.loads(_stored(org, secret_party.pk).restricted_payload) == SECRETS


def test_api_style_update_of_other_fields_keeps_the_restriction(org, secret_party):
    update_party(
        party=secret_party, actor=None, data={"level": "key"}, expected_version=secret_party.version
    )

    stored = _stored(org, secret_party.pk)
    assert (stored.level, stored.is_restricted, stored.mobile) == ("key", True, "")


def test_plain_update_of_a_restricted_field_is_refused(org, secret_party):
    with pytest.raises(ValidationError) as excinfo:
        update_party(
            party=secret_party,
            actor=None,
            data={"mobile": "13900001111", "city": "杭州"},
            expected_version=secret_party.version,
        )

    assert list(excinfo.value.message_dict) == ["mobile"]
    [(mobile, city)] = _raw("parties_party", ["mobile", "city"], "id = %s", [secret_party.pk])
    assert (mobile, city) == ("", "上海")


# --- unrestricting -------------------------------------------------------------------------------


def test_unrestrict_needs_elevation(admin_client, org, secret_party):
    response = admin_client.post(
        reverse("parties:party_restrict", args=[secret_party.pk]),
        {"restricted": "0", "version": str(secret_party.version)},
    )

    assert reverse("parties:restricted_unlock") in response["Location"]
    assert _stored(org, secret_party.pk).is_restricted is True


def test_unrestrict_puts_the_fields_back(admin_client, org, secret_party):
    _unlock(admin_client)

    admin_client.post(
        reverse("parties:party_restrict", args=[secret_party.pk]),
        {"restricted": "0", "version": str(secret_party.version)},
    )

    stored = _stored(org, secret_party.pk)
    assert stored.is_restricted is False
    assert {f: getattr(stored, f) for f in SENSITIVE_FIELDS} == SECRETS
    assert (stored.restricted_payload, stored.restricted_phone_index) == (None, "")
    assert "13812345678" in stored.search_text
    assert _reveals(org, secret_party) == ["unrestrict"]


def test_stale_restrict_is_refused(org, admin_member, with_password):
    party = make_party(org, admin_member.user, mobile="13812345678")

    with pytest.raises(StaleEdit):
        restrict_party(party=party, actor=None, expected_version=7)

    assert _stored(org, party.pk).mobile == "13812345678"


def test_restore_keeps_a_customer_restricted(admin_client, org, secret_party):
    with scope(org=org.pk):
        first = secret_party.history.earliest("history_date")

    admin_client.post(
        reverse("parties:party_history_restore", args=[secret_party.pk, first.history_id]),
        {"version": str(secret_party.version)},
    )

    stored = _stored(org, secret_party.pk)
    assert (stored.is_restricted, stored.mobile, stored.version) == (True, "", 3)
    assert json.loads(stored.restricted_payload) == SECRETS


def test_a_member_of_another_organisation_cannot_reveal(client, other_org, secret_party):
    login(client, make_member(other_org, "admin", username="outsider"))

    response = client.post(
        reverse("parties:party_reveal", args=[secret_party.pk]), {"password": PASSWORD}
    )

    assert response.status_code == 404
