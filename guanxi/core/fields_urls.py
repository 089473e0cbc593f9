"""Settings pages for custom fields, edit schemes and tags, mounted at /core/ ("core" namespace)."""

from django.urls import path

from guanxi.core import fields_views as views

urlpatterns = [
    path("fields/", views.field_home, name="field_home"),
    path("fields/<slug:target>/", views.field_list, name="field_list"),
    path("fields/<slug:target>/new/", views.field_create, name="field_create"),
    path("fields/<slug:target>/reorder/", views.field_reorder, name="field_reorder"),
    path("fields/<slug:target>/<int:pk>/", views.field_edit, name="field_edit"),
    path(
        "fields/<slug:target>/<int:pk>/active/",
        views.field_toggle_active,
        name="field_toggle_active",
    ),
    path("edit-schemes/", views.layout_home, name="layout_home"),
    path("edit-schemes/<slug:target>/", views.layout_list, name="layout_list"),
    path("edit-schemes/<slug:target>/new/", views.layout_create, name="layout_create"),
    path("edit-schemes/<slug:target>/<int:pk>/", views.layout_edit, name="layout_edit"),
    path(
        "edit-schemes/<slug:target>/<int:pk>/default/",
        views.layout_make_default,
        name="layout_make_default",
    ),
    path(
        "edit-schemes/<slug:target>/<int:pk>/delete/",
        views.layout_delete,
        name="layout_delete",
    ),
    path("tags/", views.tag_list, name="tag_list"),
    path("tags/new/", views.tag_create, name="tag_create"),
    path("tags/<int:pk>/", views.tag_edit, name="tag_edit"),
    path("tags/<int:pk>/delete/", views.tag_delete, name="tag_delete"),
]
