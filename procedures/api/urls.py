"""Procedures API under /api/v1/: the catalogue, dossiers and public tracking."""

from procedures.api import catalogue, dossiers, track

urlpatterns = [*catalogue.urlpatterns, *dossiers.urlpatterns, *track.urlpatterns]
