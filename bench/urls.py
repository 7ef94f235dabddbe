"""The portal's URLs plus the two baselines every benchmark scenario is compared with."""

from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/read-one/", views.read_one, name="bench-read-one"),
    path("bench/insert-one/", views.insert_one, name="bench-insert-one"),
    path("", include("govportal.urls")),
]

handler400 = "govportal.views.bad_request"
handler403 = "govportal.views.permission_denied"
handler404 = "govportal.views.page_not_found"
handler500 = "govportal.views.server_error"
