from django.urls import path

from identity import views

urlpatterns = [
    path("login/", views.login_choice, name="login"),
    path("logout/", views.logout, name="logout"),
    path("me/", views.profile, name="profile"),
]
