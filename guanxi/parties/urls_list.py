"""The party lists, category trees, bulk actions, groups and segments."""

from django.urls import path

from guanxi.parties import list_views as views
from guanxi.parties.models import PartyRole

urlpatterns = [
    path("", views.party_list, {"role": PartyRole.CUSTOMER}, name="party_list"),
    path("suppliers/", views.party_list, {"role": PartyRole.SUPPLIER}, name="supplier_list"),
    path("competitors/", views.party_list, {"role": PartyRole.COMPETITOR}, name="competitor_list"),
    path("channels/", views.party_list, {"role": PartyRole.CHANNEL}, name="channel_list"),
    path("bulk/", views.party_bulk, name="party_bulk"),
    path("file-in-category/", views.party_file_in_category, name="file_in_category"),
    path("<int:pk>/pin/", views.party_pin, name="party_pin"),
    # category trees (one per role)
    path("categories/<str:role>/add/", views.category_add, name="category_add"),
    path("categories/<int:pk>/rename/", views.category_rename, name="category_rename"),
    path("categories/<int:pk>/move/", views.category_move, name="category_move"),
    path("categories/<int:pk>/delete/", views.category_delete, name="category_delete"),
    # groups (static lists) and segments (saved filters), B18
    path("groups/", views.group_list, name="group_list"),
    path("groups/<int:pk>/", views.group_detail, name="group_detail"),
    path("groups/<int:pk>/edit/", views.group_edit, name="group_edit"),
    path("groups/<int:pk>/delete/", views.group_delete, name="group_delete"),
    path(
        "groups/<int:pk>/members/add/",
        views.group_members,
        {"operation": "add"},
        name="group_members_add",
    ),
    path(
        "groups/<int:pk>/members/remove/",
        views.group_members,
        {"operation": "remove"},
        name="group_members_remove",
    ),
    path("groups/<int:pk>/candidates/", views.group_candidates, name="group_candidates"),
    path("segments/", views.segment_list, name="segment_list"),
    path("segments/save/", views.segment_save, name="segment_save"),
    path("segments/<int:pk>/", views.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", views.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/delete/", views.segment_delete, name="segment_delete"),
]
