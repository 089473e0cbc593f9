"""URLs of the report designer (/analysis/reports/); included by analytics/urls.py."""

from django.urls import URLPattern, path

from guanxi.analytics.reports import views

urlpatterns: list[URLPattern] = [
    path("", views.report_list, name="report_list"),
    path("new/", views.report_new, name="report_new"),
    path("filter-row/", views.report_filter_row, name="report_filter_row"),
    path("<int:pk>/", views.report_detail, name="report_detail"),
    path("<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("<int:pk>/drill/", views.report_drill, name="report_drill"),
    path("<int:pk>/delete/", views.report_delete, name="report_delete"),
    path("<int:pk>/export/<str:fmt>/", views.report_export, name="report_export"),
    path("<int:pk>/schedules/", views.report_schedules, name="report_schedules"),
    path("schedules/<int:pk>/delete/", views.report_schedule_delete, name="report_schedule_delete"),
]
