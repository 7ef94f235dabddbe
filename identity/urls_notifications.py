"""In-app notifications; the project includes these at the site root."""

from django.urls import path

from identity import views_notifications

urlpatterns = [
    path("notifications/", views_notifications.notifications, name="notifications"),
]
