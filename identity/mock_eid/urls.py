"""Mounted by the portal at /mock-eid/ (govportal/urls.py) when MOCK_EID_ENABLED."""

from django.urls import path

from identity.mock_eid import views

app_name = "mock_eid"

urlpatterns = [
    path(".well-known/openid-configuration", views.discovery, name="discovery"),
    path("jwks", views.jwks, name="jwks"),
    path("authorize", views.authorize, name="authorize"),
    path("token", views.token, name="token"),
    path("userinfo", views.userinfo, name="userinfo"),
    path("logout", views.logout, name="logout"),
]
