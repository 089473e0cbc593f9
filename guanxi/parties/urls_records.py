"""Add/edit, the 360° page and its tabs, contacts, lock, restricted records, history."""

from django.urls import path

from guanxi.parties import record_views as views

urlpatterns = [
    path("new/", views.party_create, name="party_create"),
    path("new/extra-field/", views.adhoc_row, name="adhoc_row"),
    path("<int:pk>/", views.party_detail, name="party_detail"),
    path("<int:pk>/edit/", views.party_edit, name="party_edit"),
    path("<int:pk>/delete/", views.party_delete, name="party_delete"),
    path("<int:pk>/lock/", views.party_lock, name="party_lock"),
    path("<int:pk>/restrict/", views.party_restrict, name="party_restrict"),
    path("<int:pk>/reveal/", views.party_reveal, name="party_reveal"),
    # the 360° page's tabs (htmx partials)
    path("<int:pk>/tabs/profile/", views.party_profile_tab, name="party_profile_tab"),
    path("<int:pk>/tabs/contacts/", views.party_contacts_tab, name="party_contacts_tab"),
    path(
        "<int:pk>/tabs/custom-fields/",
        views.party_custom_fields_tab,
        name="party_custom_fields_tab",
    ),
    path("<int:pk>/tabs/history/", views.party_history_tab, name="party_history_tab"),
    path(
        "<int:pk>/history/<int:history_id>/restore/",
        views.party_history_restore,
        name="party_history_restore",
    ),
    # contacts (B9)
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path(
        "contacts/<int:pk>/tabs/history/",
        views.contact_history_tab,
        name="contact_history_tab",
    ),
    path(
        "contacts/<int:pk>/history/<int:history_id>/restore/",
        views.contact_history_restore,
        name="contact_history_restore",
    ),
    # restricted records (B7)
    path("restricted/unlock/", views.restricted_unlock, name="restricted_unlock"),
    path("restricted/settings/", views.restricted_settings, name="restricted_settings"),
]
