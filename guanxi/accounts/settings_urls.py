"""Settings pages, mounted at /accounts/settings/ inside the "accounts" namespace."""

from django.urls import path

from guanxi.accounts import settings_views as views

urlpatterns = [
    path("", views.settings_home, name="settings_home"),
    path("organisation/", views.org_settings, name="org_settings"),
    path("members/", views.member_list, name="member_list"),
    path("members/new/", views.member_create, name="member_create"),
    path("members/<int:pk>/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/active/", views.member_toggle_active, name="member_toggle_active"),
    path("members/<int:pk>/password/", views.member_reset_password, name="member_reset_password"),
    path("roles/", views.role_list, name="role_list"),
    path("roles/new/", views.role_create, name="role_create"),
    path("roles/<int:pk>/", views.role_edit, name="role_edit"),
    path("roles/<int:pk>/delete/", views.role_delete, name="role_delete"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<int:pk>/", views.team_edit, name="team_edit"),
    path("teams/<int:pk>/delete/", views.team_delete, name="team_delete"),
]
