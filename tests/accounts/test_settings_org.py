"""Organisation settings (A3): validation, optimistic locking, admins only."""

import pytest
from django.urls import reverse

from tests.accounts.settings_helpers import errors_of, fresh

URL = reverse("accounts:org_settings")


def _post(client, org, **changes):
    data = {
        "name": org.name,
        "currency": org.currency,
        "time_zone": org.time_zone,
        "language": org.language,
        "version": org.version,
        **changes,
    }
    return client.post(URL, data)


def test_admin_changes_the_settings(admin_client, org):
    response = _post(
        admin_client,
        org,
        name="Acme 国际",
        currency="usd",
        time_zone="America/Denver",  # valid, though not among the common ones
        language="en",
    )

    assert response.status_code == 302
    org = fresh(org)
    assert (org.name, org.currency, org.time_zone, org.language) == (
        "Acme 国际",
        "USD",
        "America/Denver",
        "en",
    )
    assert org.version == 2


def test_form_shows_current_values(admin_client, org):
    form = admin_client.get(URL).context["form"]

    assert form["currency"].value() == "CNY"
    assert form["time_zone"].value() == "Asia/Shanghai"
    assert form["version"].value() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("currency", "XYZ"),
        ("currency", "RMB"),
        ("currency", "CN"),
        ("time_zone", "Mars/Olympus"),
        ("time_zone", ""),
        ("language", "fr"),
        ("name", "   "),
    ],
)
def test_bad_input_is_refused_on_its_field_and_changes_nothing(admin_client, org, field, value):
    response = _post(admin_client, org, **{field: value})

    assert response.status_code == 200
    assert errors_of(response, field) != []
    assert f'data-field="{field}"' in response.content.decode()
    after = fresh(org)
    assert (after.name, after.currency, after.time_zone, after.language, after.version) == (
        org.name,
        org.currency,
        org.time_zone,
        org.language,
        1,
    )


def test_stale_edit_is_refused_and_changes_nothing(admin_client, org):
    # given: someone saved the settings after this form was loaded
    assert _post(admin_client, org, name="First edit").status_code == 302

    # when: the old form (version 1) is submitted
    response = _post(admin_client, org, name="Second edit", version=1)

    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="form-errors"' in body
    assert "Someone else changed this record" in body
    after = fresh(org)
    assert after.name == "First edit"
    assert after.version == 2


def test_a_non_admin_cannot_save(sales_client, org):
    response = _post(sales_client, org, name="Hijacked")

    assert response.status_code == 403
    assert fresh(org).name == org.name
