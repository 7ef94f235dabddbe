"""Public catalogue pages, at the site root: /procedures/ and /procedures/<code>/."""

from django.urls import path

from procedures.views import catalogue

urlpatterns = [
    path("procedures/", catalogue.procedure_list_page, name="procedure-list"),
    path("procedures/<str:code>/", catalogue.procedure_detail_page, name="procedure-detail"),
]
