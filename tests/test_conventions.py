"""Walk every model of guanxi and fail on a break of ARCHITECTURE rule 1.

Every business table has `org_id`, and every unique constraint includes it, so one
installation can serve many organisations (and PostgreSQL can be sharded by org_id).
A model opts out only with an `org_exempt = "<reason>"` attribute.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

from guanxi.core.models import Organisation, SoftDeleteModel


def _project_models():
    for model in apps.get_models():
        module = model.__module__
        if module.startswith(("guanxi.", "tests.testapp")):
            yield model


def _source_model(model):
    """The model a django-simple-history table records, or the model itself."""
    return getattr(model, "instance_type", model)


def _exempt(model) -> bool:
    return bool(getattr(_source_model(model), "org_exempt", ""))


BUSINESS_MODELS = [m for m in _project_models() if not _exempt(m)]


def _has_org_column(model) -> bool:
    try:
        field = model._meta.get_field("org")
    except Exception:
        return False
    return field.column == "org_id" and field.related_model is Organisation


def test_there_are_business_models_to_check():
    labels = {m._meta.label for m in BUSINESS_MODELS}
    assert {"accounts.Role", "accounts.Team", "accounts.Membership", "accounts.ApiToken"} <= labels


@pytest.mark.parametrize("model", BUSINESS_MODELS, ids=lambda m: m._meta.label)
def test_business_table_has_org_id(model):
    assert _has_org_column(model), f"{model._meta.label} ({model._meta.db_table}) lacks org_id"


@pytest.mark.parametrize("model", BUSINESS_MODELS, ids=lambda m: m._meta.label)
def test_unique_constraints_include_org(model):
    problems = []
    for field in model._meta.local_fields:
        if field.unique and not field.primary_key:
            problems.append(f"field {field.name} is unique=True on its own")
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and "org" not in constraint.fields:
            problems.append(f"constraint {constraint.name} lacks org")
    for together in model._meta.unique_together:
        if "org" not in together:
            problems.append(f"unique_together {together} lacks org")
    assert problems == [], f"{model._meta.label}: {problems}"


@pytest.mark.parametrize("model", BUSINESS_MODELS, ids=lambda m: m._meta.label)
def test_no_foreign_key_reaches_a_tenant_table_outside_org(model):
    """A foreign key to another organisation-scoped table must be checkable by org."""
    for field in model._meta.local_fields:
        if isinstance(field, models.ForeignKey) and field.name != "org":
            target = field.related_model
            if target is None or _exempt(target) or target is Organisation:
                continue
            if not target.__module__.startswith(("guanxi.", "tests.testapp")):
                continue  # Django's own tables (content types) are global by design
            assert _has_org_column(target), (
                f"{model._meta.label}.{field.name} points at {target._meta.label} without org_id"
            )


@pytest.mark.parametrize(
    "model",
    [
        m
        for m in BUSINESS_MODELS
        if issubclass(m, SoftDeleteModel) and not hasattr(m, "instance_type")
    ],
    ids=lambda m: m._meta.label,
)
def test_soft_delete_models_hide_deleted_rows_by_default(model):
    sql = str(model.objects.with_scope(org=1).all().query)
    assert '"deleted_at" IS NULL' in sql, f"{model._meta.label}.objects shows deleted rows"


@pytest.mark.parametrize(
    "model",
    [m for m in _project_models() if not hasattr(m, "instance_type")],
    ids=lambda m: m._meta.label,
)
def test_models_have_docstrings(model):
    doc = (model.__doc__ or "").strip()
    # Django writes "Widget(id, name, …)" when a model has no docstring of its own.
    assert not doc.startswith(f"{model.__name__}("), f"{model._meta.label} needs a docstring"
    assert doc != ""


@pytest.mark.parametrize(
    "model",
    [
        m
        for m in BUSINESS_MODELS
        if issubclass(m, SoftDeleteModel) and not hasattr(m, "instance_type")
    ],
    ids=lambda m: m._meta.label,
)
def test_recyclable_models_name_their_permission_type(model):
    """The recycle bin shows a record only to members who may view its object type."""
    from guanxi.core.permissions import object_types

    assert getattr(model, "permission_type", None) in {t.key for t in object_types()}
