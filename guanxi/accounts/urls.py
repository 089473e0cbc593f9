from django.contrib.auth import views as auth_views
from django.urls import include, path

from guanxi.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("organisations/", views.choose_organisation, name="choose_organisation"),
    path("no-organisation/", views.no_organisation, name="no_organisation"),
    # Settings pages (organisation, members, roles, teams) and personal API tokens.
    path("settings/", include("guanxi.accounts.settings_urls")),
    path("tokens/", include("guanxi.accounts.token_urls")),
]
