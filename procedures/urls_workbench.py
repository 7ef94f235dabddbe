"""The officer workbench (included at the site root)."""

from django.urls import path

from procedures.views import workbench

urlpatterns = [
    path("workbench/", workbench.workbench, name="workbench"),
    path("workbench/bulk-receive/", workbench.bulk_receive, name="workbench-bulk-receive"),
    path("workbench/dossiers/<str:code>/", workbench.dossier_detail, name="workbench-dossier"),
    path(
        "workbench/dossiers/<str:code>/actions/<slug:action>/",
        workbench.dossier_action,
        name="workbench-action",
    ),
]
