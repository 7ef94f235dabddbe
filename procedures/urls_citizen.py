"""The citizen's pages for dossiers, plus the document and slip URLs that officers share."""

from django.urls import path

from procedures.views import citizen

urlpatterns = [
    path("procedures/<str:code>/file/", citizen.dossier_start, name="dossier-start"),
    path("file/<uuid:uuid>/", citizen.dossier_draft, name="dossier-draft"),
    path("file/<uuid:uuid>/review/", citizen.dossier_review, name="dossier-review"),
    path("my/dossiers/", citizen.my_dossiers, name="my-dossiers"),
    path("my/dossiers/<str:code>/", citizen.my_dossier, name="my-dossier"),
    path("my/dossiers/<str:code>/supplement/", citizen.dossier_supplement, name="my-dossier-supplement"),
    path("my/dossiers/<str:code>/withdraw/", citizen.dossier_withdraw, name="my-dossier-withdraw"),
    path("dossiers/<str:code>/documents/<int:doc_id>/", citizen.dossier_document, name="dossier-document"),
    path("dossiers/<str:code>/slip/", citizen.dossier_slip, name="dossier-slip"),
    path("track/", citizen.track_form, name="track-form"),
    path("track/<str:code>/", citizen.track, name="track"),
]
