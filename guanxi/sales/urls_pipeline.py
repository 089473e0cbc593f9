"""URLs of the sales pipeline: leads, opportunities, the kanban, targets, the overview and
the sales settings (names in the "sales" namespace)."""

from django.urls import path

from guanxi.sales import pipeline_views as views
from guanxi.sales import settings_views

urlpatterns: list = [
    path("", views.overview, name="overview"),
    path("pipeline/", views.pipeline, name="pipeline"),
    # leads
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/new/", views.lead_create, name="lead_create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/qualify/", views.lead_qualify, name="lead_qualify"),
    path("leads/<int:pk>/disqualify/", views.lead_disqualify, name="lead_disqualify"),
    path("leads/<int:pk>/convert/", views.lead_convert, name="lead_convert"),
    path("leads/<int:pk>/delete/", views.lead_delete, name="lead_delete"),
    # opportunities
    path("opportunities/", views.opportunity_list, name="opportunity_list"),
    path("opportunities/new/", views.opportunity_create, name="opportunity_create"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/move/", views.opportunity_move, name="opportunity_move"),
    path("opportunities/<int:pk>/close/", views.opportunity_close, name="opportunity_close"),
    path("opportunities/<int:pk>/delete/", views.opportunity_delete, name="opportunity_delete"),
    path(
        "opportunities/<int:pk>/activities/new/",
        views.opportunity_activity_create,
        name="opportunity_activity_create",
    ),
    path(
        "customers/<int:party_pk>/opportunities/",
        views.party_opportunities_tab,
        name="party_opportunities_tab",
    ),
    path("pickers/customers/", views.customer_options, name="customer_options"),
    path("pickers/contacts/", views.contact_options, name="contact_options"),
    # targets
    path("targets/", views.target_list, name="target_list"),
    path("targets/<int:pk>/", views.target_edit, name="target_edit"),
    path("targets/<int:pk>/delete/", views.target_delete, name="target_delete"),
    # settings
    path("settings/", settings_views.sales_settings_page, name="settings"),
    path("settings/stages/", views.stage_list, name="stage_list"),
    path("settings/stages/<int:pk>/", views.stage_edit, name="stage_edit"),
    path("settings/stages/<int:pk>/move/", views.stage_move, name="stage_move"),
]
