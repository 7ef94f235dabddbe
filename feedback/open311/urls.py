"""Open311 GeoReport v2 endpoints (included at /open311/v2/): each in .json and .xml."""

from django.urls import re_path

from feedback.open311 import views

FORMAT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^services" + FORMAT, views.services, name="open311-services"),
    re_path(r"^services/(?P<code>[^/]+?)" + FORMAT, views.service_definition, name="open311-service"),
    re_path(r"^requests" + FORMAT, views.requests, name="open311-requests"),
    re_path(r"^requests/(?P<code>[^/]+?)" + FORMAT, views.request_detail, name="open311-request"),
]
