from django.urls import path

from identity.eid import views

urlpatterns = [
    path("eid/<str:provider_id>/login/", views.login, name="vneid_login"),
    path("eid/<str:provider_id>/login/callback/", views.callback, name="vneid_callback"),
]
