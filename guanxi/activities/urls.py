"""URLs of the activities area (mounted at /activities/)."""

from django.urls import path

from guanxi.activities import views

app_name = "activities"

urlpatterns = [
    path("", views.activity_list, name="activity_list"),
    path("new/", views.activity_create, name="activity_create"),
    path("<int:pk>/", views.activity_detail, name="activity_detail"),
    path("<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("<int:pk>/done/", views.activity_complete, name="activity_complete"),
    path("<int:pk>/cancel/", views.activity_cancel, name="activity_cancel"),
    path("<int:pk>/reopen/", views.activity_reopen, name="activity_reopen"),
    path("<int:pk>/delete/", views.activity_delete, name="activity_delete"),
    # htmx partials: the timeline tab of the customer and contact pages, form pickers
    path("customers/<int:party_pk>/timeline/", views.party_timeline, name="party_timeline"),
    path("contacts/<int:contact_pk>/timeline/", views.contact_timeline, name="contact_timeline"),
    path("pickers/customers/", views.party_options, name="party_options"),
    path("pickers/contacts/", views.contact_options, name="contact_options"),
    # notifications (G3)
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/badge/", views.notification_badge, name="notification_badge"),
    path(
        "notifications/read-all/",
        views.notification_mark_all_read,
        name="notification_mark_all_read",
    ),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
]
