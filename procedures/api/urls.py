"""Procedures API under /api/v1/: the catalogue, dossiers and public tracking."""

from procedures.api import catalogue, dossiers

urlpatterns = [*catalogue.urlpatterns, *dossiers.urlpatterns]
