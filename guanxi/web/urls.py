from django.urls import path

from guanxi.accounts.views import set_language
from guanxi.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/language/", set_language, name="set_language"),
]
