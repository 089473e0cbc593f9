from django.urls import path

from guanxi.accounts import token_views

urlpatterns = [
    path("", token_views.token_list, name="token_list"),
    path("new/", token_views.token_create, name="token_create"),
    path("<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]
